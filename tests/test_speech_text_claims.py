"""Notebook 07 (AXAI 4.1, 4.2, App. C.4, E.3): the claim rules of axlib.papers.axai.claims (one
case that passes and one that fails each), the paper values they and the catalogue use, and the
page's functions in axlib.papers.axai.speech / text / appendix_c4."""
import numpy as np
import pandas as pd
import pytest
import torch

from axlib.data import polarity
from axlib.models.lenet import LeNetSpeech
from axlib.models.textcnn import TextCNN
from axlib.papers.axai import appendix_c4 as c4
from axlib.papers.axai import claims
from axlib.papers.axai import speech as axai_speech
from axlib.papers.axai import text as axai_text
from axlib.segment import grid


def _beta_fit(p: float, q: float) -> pd.DataFrame:
    return pd.DataFrame({"estimate": [p, q], "low": [p - 1, q - 1], "high": [p + 1, q + 1]}, index=["p", "q"])


# --------------------------------------------------------------------------- rules
def _judge(claim_id: str, estimate) -> str:
    return next(c.rule for c in claims.CLAIMS if c.id == claim_id).judge(estimate).verdict


def test_kims_accuracy_is_context_not_a_claim():
    assert "text.cnn_rand.accuracy" not in {c.id for c in claims.CLAIMS}
    assert "Kim 2014" in axai_text.accuracy_fields({"split": {"test": [0, 1]}}, 0.7)["paper"]


def test_speech_rules_read_every_clip_of_the_word():
    from axlib.companion.rules import Estimate
    both = {"start - middle": Estimate(0.2, 0.1, 0.3, 40), "end - middle": Estimate(0.15, 0.08, 0.2, 40)}
    assert _judge("speech.right.explanation_timing", both) == "reproduced"
    assert _judge("speech.right.explanation_timing", dict(both, **{"end - middle": Estimate(-0.2, -0.3, -0.1, 40)})) \
        == "partly"
    assert _judge("speech.three.explanation_timing", Estimate(0.1, 0.06, 0.14, 40)) == "reproduced"
    assert _judge("speech.three.explanation_timing", Estimate(0.1, 0.06, 0.14, 1)) == "inconclusive"    # one clip
    assert _judge("speech.right.neighbour", Estimate.proportion(30, 40)) == "reproduced"
    assert _judge("speech.right.neighbour", Estimate.proportion(0, 40)) == "not reproduced"
    assert _judge("speech.right.neighbour", Estimate(0.0, 0.0, 0.0, 0, "clips")) == "inconclusive"       # none attacked


def test_text_top_token_rule():
    from axlib.companion.rules import Estimate
    one = "none: one deterministic explanation"            # text.py's estimate: no resampling
    assert [_judge("text.negative.top_token", Estimate(r, r, r, 1, "sentence", one)) for r in (1.0, 3.0, 4.0)] == [
        "reproduced", "partly", "not reproduced"]


def test_c4_beta_rule_takes_table_8():
    from axlib.papers.axai import estimates
    rule = next(c.rule for c in claims.CLAIMS if c.id == "c4.beta.speech")
    near = np.column_stack([np.full(40, 53.0), np.full(40, 53.5)])
    assert rule.judge(estimates.beta_shape(near, 53.66, 52.27)).verdict == "reproduced"
    assert "p 53.66, q 52.27" in rule.text                               # Table 8's interval midpoints


# --------------------------------------------------------------------------- paper values
def test_catalogue_and_c4_tables_take_the_paper_values():
    by_id = {c.id: c for c in claims.CLAIMS if c.notebook == "07"}
    assert by_id["speech.right.neighbour"].paper_value == "five"
    assert by_id["text.negative.top_token"].paper_value == "unfunny"
    assert by_id["c4.ttest.text"].paper_value == "p = 0.47"
    assert by_id["c4.quantiles.speech"].paper_value == "q15 (-4.110e-3, -4.049e-3), q85 (4.153e-3, 4.220e-3)"
    assert by_id["c4.beta.text"].paper_value == "p (13.22, 13.68), q (13.46, 13.93)"
    assert c4.PAPER_PVALUES["speech"] == {"t": 0.30, "u": 0.25}
    assert c4.PAPER_QUANTILES["text"]["median"] == (-2.142e-3, -6.219e-4)
    assert c4.PAPER_BETA["speech"]["q"] == (51.44, 53.09)


# --------------------------------------------------------------------------- speech page functions
@pytest.fixture(scope="module")
def clips():
    g = torch.Generator().manual_seed(0)
    specs = torch.rand(6, 1, 129, 126, generator=g)
    return {"specs": specs, "labels": torch.tensor([0, 0, 1, 1, 2, 2]), "words": ["right", "three", "five"],
            "files": [f"w/{i}.wav" for i in range(6)], "held": np.array([1, 3, 5])}


def test_load_clips_names_the_sources():
    with pytest.raises(ValueError, match="source"):
        axai_speech.load_clips("v003")


def test_examples_timing_and_neighbours_on_a_small_model(clips):
    model = LeNetSpeech(3).eval()
    pred = torch.tensor([0, 0, 1, 1, 2, 2])
    segments = grid(clips["specs"].shape[-2:], (8, 10))
    examples = axai_speech.explain_examples(model, clips, pred, segments, k=4, steps=2)
    assert list(examples) == ["right", "three"]
    assert examples["right"]["idx"] == 1 and examples["right"]["why"] == "held-out, correct"
    assert examples["three"]["idx"] == 3 and examples["three"]["why"] == "held-out, correct"
    table = axai_speech.timing_table(examples, clips, (8, 10))
    assert list(table.index) == ["right", "three"] and table.loc["three", "clip"] == "w/3.wav"
    neighbours = axai_speech.neighbour_attacks(model, clips, pred, segments, k=4, steps=2,
                                               neighbours={"right": "five", "three": "five"})
    assert neighbours["right"]["attacked"] == 2 and len(neighbours["right"]["adv"]) == 2
    assert len(neighbours["right"]["timing"]) == 2 and set(neighbours["right"]["timing"][0]) >= {"start", "end"}
    fields = axai_speech.timing_fields("three", neighbours["three"], examples["three"], clips, k=4, cells=(8, 10))
    assert fields["ours"].startswith("mean start ") and "top 4 of 80 grid cells" in fields["note"]
    assert fields["estimate"].n == 2 and fields["estimate"].n_of == "clips"
    right = axai_speech.timing_fields("right", neighbours["right"], examples["right"], clips, k=4, cells=(8, 10))
    assert set(right["estimate"]) == {"start - middle", "end - middle"}
    none = axai_speech.timing_fields("three", {**neighbours["three"], "timing": []}, examples["three"], clips, k=4,
                                     cells=(8, 10))                     # no clip classified correctly: n = 0
    assert none["estimate"].n == 0 and none["ours"] == "no correctly classified clip of 'three'"
    assert neighbours["three"]["confused"] == ["three"]                          # held-out clip 3
    fields = axai_speech.neighbour_fields("right", neighbours["right"], steps=2)
    assert fields["ours"] in clips["words"] and "PGD-2 on the 2 correctly" in fields["note"]
    assert fields["estimate"].n == 2
    assert axai_speech.neighbour_fields("x", {"attacked": 0, "adv": [], "confused": []}, steps=2)["ours"] == ""
    assert axai_speech.neighbour_table(neighbours).loc["right", "clips attacked"] == 2
    assert axai_speech.more_examples(clips, pred, exclude=examples, n=4) == [5]
    assert axai_speech.plot_more_examples(model, clips, [], segments) is None
    with pytest.raises(ValueError, match="n must"):
        axai_speech.more_examples(clips, pred, n=-1)


def test_accuracy_fields_of_speech(clips):
    fields = axai_speech.accuracy_fields("speech-lenet", clips, 0.263157)
    assert fields["ours"] == 0.2632 and "3 held-out clips (3 words" in fields["note"]


# --------------------------------------------------------------------------- text page functions
@pytest.fixture(scope="module")
def sentences():
    texts = ["a fine film .", "an unfunny one at that , really not good .", "a work of astonishing force and art .",
             "bad ."]
    labels = torch.tensor([1, 0, 1, 0])
    vocab = polarity.build_vocabulary([polarity.tokenize(s) for s in texts[:3]])
    return {"sentences": texts, "labels": labels, "lines": torch.tensor([1, 1, 2, 2]),
            "split": {"train": np.array([0]), "test": np.array([1, 2, 3])}, "vocab": vocab,
            "tokens": polarity.encode_sentences(texts, vocab)}


def test_sentences_are_found_chosen_and_explained(sentences):
    assert axai_text.sentence_of(sentences, 1, 2) == "a work of astonishing force and art ."
    with pytest.raises(ValueError, match="label, line"):
        axai_text.sentence_of(sentences, 1, 7)
    assert axai_text.held_out_examples(sentences, per_label=2) == [1, 2]        # "bad ." is too short
    with pytest.raises(ValueError, match="per_label"):
        axai_text.held_out_examples(sentences, per_label=-1)
    torch.manual_seed(0)
    model = TextCNN(len(sentences["vocab"]), dim=6, maps=3).eval()
    e = axai_text.explain_sentence(model, sentences["vocab"], "a dull film .", k=2, steps=2)
    assert e["shown"] == ["a", "dull*", "film", "."] and sorted(e["ranked"]) == sorted(e["tokens"])
    fields = axai_text.top_token_fields(dict(e, expected="film"), steps=2)
    assert fields["ours"] == e["ranked"][0] and "PGD-2" in fields["note"]
    assert fields["estimate"].value == e["ranked"].index("film") + 1
    pred = axai_text.predict(model, sentences["tokens"][sentences["split"]["test"]])
    assert pred.shape == (3,) and pred.dtype == torch.int64
    assert "3 held-out sentences" in axai_text.accuracy_fields(sentences, 0.74)["note"]


# --------------------------------------------------------------------------- appendix C.4 page functions
def test_c4_magnitudes_and_record_fields(clips, sentences):
    torch.manual_seed(0)
    lenet = LeNetSpeech(3).eval()
    cnn = TextCNN(len(sentences["vocab"]), dim=6, maps=3).eval()
    deltas, seconds = c4.attack_magnitudes(lenet, cnn, clips, sentences, n_clips=2, n_sentences=2, steps=2)
    assert deltas["speech"].shape == deltas["speech_unclipped"].shape == (2, 129 * 126)
    assert len(deltas["text"]) == 2 and set(seconds) == {"speech", "text"}
    with pytest.raises(ValueError, match="n_clips"):
        c4.attack_magnitudes(lenet, cnn, clips, sentences, n_clips=1)
    rng = np.random.default_rng(0)
    summaries = {"speech": c4.summarise(rng.laplace(0, 1e-3, size=(5, 300))),
                 "text": c4.summarise([rng.normal(0, 0.1, size=n) for n in (40, 64, 52)])}
    table = c4.skew_table(summaries, rng.normal(size=(5, 300)))
    assert table.shape == (3, 2)
    assert "5 held-out inputs" in c4.skew_fields(summaries["speech"])["note"]
    fields = c4.pairwise_fields(summaries["text"], "u", 3)
    assert fields["note"].startswith("3 pairs of 3 inputs") and fields["estimate"].n == 3
    with pytest.raises(ValueError, match="test"):
        c4.pairwise_fields(summaries["text"], "anova", 3)
    shape = c4.shape_table(summaries)
    speech = rng.laplace(0, 1e-3, size=(5, 300))
    fields = c4.quantile_fields(summaries["speech"], shape, "speech", speech)
    assert fields["ours"].startswith("sym85 ") and fields["estimate"]["q85 / -q15"].n == 5
    fields = c4.beta_fields(_beta_fit(8.3, 8.4), "speech", speech)
    assert fields["ours"] == "p 8.3, q 8.4" and set(fields["estimate"]) == {"|p - q| / mean", "p / paper", "q / paper"}
