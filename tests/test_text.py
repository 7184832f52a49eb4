"""Sentence Polarity pipeline ((axlib.data.polarity, axlib.papers.axai.text)), Kim's CNN and AXAI on the embedding layer (issue 7)."""
import numpy as np
import pytest
import torch
from torch import nn

from axlib.data import polarity
from axlib.models.textcnn import TextCNN
from axlib.papers.axai import appendix_c4 as c4
from axlib.papers.axai import text as axai_text


@pytest.fixture(scope="module")
def corpus():
    return polarity.load_polarity()


# --------------------------------------------------------------------------- data
def test_load_polarity_counts_and_latin1(corpus):
    sentences, labels, lines = corpus
    assert len(sentences) == 10662 and int(labels.sum()) == 5331
    assert lines[0] == 1 and lines[5330] == 5331 and lines[5331] == 1
    # Latin-1: accented letters decode to one character each, no replacement characters
    joined = "".join(sentences)
    assert "\ufffd" not in joined and "é" in joined


def test_paper_examples_are_at_the_stated_lines(corpus):
    sentences, labels, lines = corpus
    (neg_label, neg_line), (pos_label, pos_line) = polarity.PAPER_EXAMPLES.values()
    neg = sentences[int(((labels == neg_label) & (lines == neg_line)).nonzero())]
    pos = sentences[int(((labels == pos_label) & (lines == pos_line)).nonzero())]
    assert neg == "it's a glorified sitcom , and a long , unfunny one at that ."
    assert pos == "a work of astonishing delicacy and force ."


def test_tokenize_splits_clitics():
    assert polarity.tokenize("It's a film that doesn't WORK .") == ["it", "'s", "a", "film", "that", "does",
                                                                "n't", "work", "."]
    with pytest.raises(ValueError, match="sentence"):
        polarity.tokenize(3)


def test_split_is_fixed_disjoint_and_holds_the_examples(corpus):
    _, labels, lines = corpus
    split = polarity.polarity_split(labels, lines)
    train, test = set(split["train"]), set(split["test"])
    assert not train & test and len(train) + len(test) == 10662
    assert len(test) == 534 + 534 + 1        # pos line 671 is 1 mod 10 already
    for label, line in polarity.PAPER_EXAMPLES.values():
        idx = int(((labels == label) & (lines == line)).nonzero())
        assert idx in test
    assert np.array_equal(polarity.polarity_split(labels, lines)["test"], split["test"])


def test_vocabulary_from_training_split_only(corpus):
    sentences, labels, lines = corpus
    vocab = polarity.vocabulary()
    split = polarity.polarity_split(labels, lines)
    train_words = {t for i in split["train"] for t in polarity.tokenize(sentences[i])}
    assert len(vocab) == len(train_words) + 2 and vocab.words[:2] == ("<pad>", "<unk>")
    unseen = [t for i in split["test"] for t in polarity.tokenize(sentences[i]) if t not in train_words]
    assert unseen and set(vocab.encode(unseen)) == {1}
    assert vocab.decode(vocab.encode(["the", "film"])) == ["the", "film"]


def test_pad():
    out = polarity.pad([[4, 5], [6]])
    assert out.tolist() == [[4, 5, 0, 0, 0], [6, 0, 0, 0, 0]]
    assert polarity.pad([[1] * 7, [2]]).shape == (2, 7)
    with pytest.raises(ValueError, match="length"):
        polarity.pad([[1, 2, 3]], length=2)


# --------------------------------------------------------------------------- model
def test_textcnn_shapes_and_padding():
    model = TextCNN(50, dim=8, maps=4).eval()
    tokens = torch.tensor([[3, 4, 5, 0, 0, 0], [7, 8, 9, 10, 11, 12]])
    assert model(tokens).shape == (2, 2)
    assert torch.equal(model.embedding.weight[0], torch.zeros(8))
    emb = model.embed(tokens)
    assert torch.allclose(model.forward_embedded(emb), model(tokens))
    assert torch.allclose(model.forward_embedded(emb[:, None]), model(tokens))
    with pytest.raises(ValueError, match="padded"):
        model.embed(torch.tensor([[1, 2]]))


# --------------------------------------------------------------------------- token segments and AXAI
def test_token_segmentation_aligns_with_tokens():
    seg = axai_text.token_segments(4, 3)
    assert seg.tolist() == [[0, 0, 0], [1, 1, 1], [2, 2, 2], [3, 3, 3]]
    model = TextCNN(30, dim=6, maps=3).eval()
    torch.manual_seed(0)
    exp = axai_text.axai_embeddings(model, [5, 6, 7], k=2)      # shorter than the widest convolution
    assert exp.delta.shape == (1, 1, 3, 6) and exp.density.shape == (1, 3)
    assert exp.mask.shape == (1, 3, 6) and exp.mask[0].all(1).sum() == 2
    assert torch.equal(exp.mask[0].any(1), exp.mask[0].all(1))       # a token is kept whole or not at all
    assert sorted(exp.top_k[0].tolist()) == sorted(torch.nonzero(exp.mask[0].all(1)).flatten().tolist())
    with pytest.raises(ValueError, match="tokens"):
        axai_text.token_segments(0, 3)


class _PlantedKeyword(nn.Module):
    """Positive iff the keyword is present: score = sum_i softplus(4 e_i . u - 2), where only the
    keyword's embedding lies along u. Every token gets some gradient, the keyword the most."""

    widths = (1,)

    def __init__(self, vocab: int, dim: int, keyword: int, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        u = torch.randn(dim, generator=g)
        u = u / u.norm()
        w = torch.randn(vocab, dim, generator=g)
        w = w - (w @ u)[:, None] * u[None, :]                   # other words: orthogonal to u
        w[keyword] = 1.5 * u + 0.1 * torch.randn(dim, generator=g)
        w[0] = 0
        self.embedding = nn.Embedding.from_pretrained(w, freeze=True, padding_idx=0)
        self.register_buffer("u", u)

    def embed(self, tokens):
        return self.embedding(tokens)

    def forward_embedded(self, emb):
        s = nn.functional.softplus(4 * emb @ self.u - 2).sum(1) - 1.0
        return torch.stack([-s, s], 1)

    def forward(self, tokens):
        return self.forward_embedded(self.embed(tokens))


@pytest.mark.parametrize("position", [0, 3, 6])
def test_axai_on_a_planted_keyword_model_points_at_the_keyword(position):
    keyword = 17
    model = _PlantedKeyword(40, 16, keyword)
    ids = [5, 9, 12, 22, 30, 31, 8]
    ids[position] = keyword
    exp = axai_text.axai_embeddings(model, ids, k=1)
    assert int(exp.target[0]) == 1
    assert exp.top_k[0].tolist() == [position]
    assert int(exp.ranking[0, 0]) == position
    assert float(exp.density[0, position]) > 2 * float(exp.density[0, [i for i in range(7) if i != position]].max())


def test_embedding_attack_is_unclipped_and_within_budget():
    model = TextCNN(30, dim=6, maps=3).eval()
    params = axai_text.embedding_attack_params(model, 4)
    exp = axai_text.axai_embeddings(model, [3, 4, 5, 6], k=1)
    norm = float(exp.delta.flatten().norm())
    assert norm <= params["eps"] * (1 + 1e-5)
    emb = model.embedding(torch.tensor([[3, 4, 5, 6]])).detach()
    assert float((emb + exp.delta[:, 0]).min()) < 0           # embeddings leave [0, 1]: no clipping
    magnitudes = axai_text.embedding_attack_magnitudes(model, [[3, 4, 5, 0, 0], [7, 8, 0, 0, 0]])
    assert [m.size for m in magnitudes] == [18, 12]


def test_c4_summary_for_sentences_of_different_lengths():
    rng = np.random.default_rng(1)
    deltas = [rng.normal(0, 0.1, size=n) for n in (40, 64, 52, 80)]
    s = c4.summarise(deltas, max_pairs=4, generator=0)
    assert s["beta_fixed"] is None and len(s["pairs"]) == 4
    t8 = c4.table8({"text": s})
    assert len(t8) == 2 and t8["paper low"].tolist() == [13.22, 13.46]


def test_batched_magnitudes_equal_single_sentence_attacks():
    torch.manual_seed(0)
    model = TextCNN(30, dim=6, maps=3).eval()
    rows = [[3, 4, 5, 6, 7, 8], [9, 10, 11, 12, 13, 14], [3, 4], [5, 6, 7, 8, 9, 10]]
    batched = axai_text.embedding_attack_magnitudes(model, rows, batch_size=8, steps=3)
    single = [axai_text.axai_embeddings(model, r, steps=3).delta.flatten().numpy() for r in rows]
    for b, s in zip(batched, single):
        np.testing.assert_allclose(b, s, rtol=1e-4, atol=1e-6)
