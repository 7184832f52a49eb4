"""Appendix C.4 of AXAI: attack-magnitude statistics of the speech and the text model.

The paper repeats its section 3.2 analysis for LeNet on Speech Commands and Kim's CNN on
Sentence Polarity (appendix C.4): skewness within [-0.5, 0.5] (Fig. 15), pairwise t-test and
Mann-Whitney p-values (Table 6), 95 % intervals of quantiles, mean and median (Table 7), and
beta shape parameters (Table 8). This module puts ours beside the paper's numbers (quoted in
:mod:`axlib.papers.axai.paper`); every statistic itself comes from :mod:`axlib.stats`, every
verdict rule is in :mod:`axlib.papers.axai.claims` (notebook 02's ``skew_share``, ``pairwise``,
``quantiles``, and ``c4_beta``), so nothing here recomputes them.

One *sample* is one input's X' - X: for a spectrogram the 129 x 126 = 16,254 changed bins, for
a sentence its n_tokens x D changed embedding entries (padding excluded), so text samples have
different lengths.

Units: the paper's spectrogram and embedding scales are not stated, so absolute quantiles are
not comparable; the scale-free shape numbers of :func:`axlib.papers.axai.distributions.quantile_shape`
(symmetry q85 / -q15, tail ratio (q85 - q15) / (q75 - q25)) are, and are reported beside them.
"""
from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np
import pandas as pd

from axlib import stats
from axlib._util.checks import check_choice, check_images, check_int
from axlib._util.quotes import unquote
from axlib.papers.axai import distributions as dist
from axlib.papers.axai import estimates, paper

__all__ = ["MODELS", "LABELS", "TESTS", "PAPER_PVALUES", "PAPER_QUANTILES", "PAPER_BETA", "summarise", "table6",
           "table7", "table8", "shape_table", "speech_magnitudes", "attack_magnitudes", "plot_skewness",
           "skew_table", "skew_fields", "pairwise_fields", "quantile_fields", "beta_fields"]

MODELS = ("speech", "text")
LABELS = {"speech": "LeNet, Speech Commands, PGD", "text": "CNN, Sentence Polarity, PGD"}
TESTS = {"t": "ttest", "u": "mannwhitney"}      # Table 6's tests, by the claim id part of each
# The paper's numbers (Tables 6-8) as plain values; quoted once, in axlib.papers.axai.paper.
PAPER_PVALUES = unquote(paper.C4_PVALUES)       # Table 6
PAPER_QUANTILES = unquote(paper.C4_QUANTILES)   # Table 7
PAPER_BETA = unquote(paper.C4_BETA)             # Table 8
STAT_ORDER = dist.STAT_ORDER


def summarise(deltas, *, max_pairs: int | None = None, generator=None) -> dict:
    """All C.4 statistics of one model's attack magnitudes.

    deltas: (n, m) array (equal lengths: spectrograms) or a list of n 1-D arrays (sentences);
    n >= 2. max_pairs: pairs tested (None: all). generator: seed of the pair sample.
    Returns {"skewness" (n,), "share_outside" (share of |g1| > 0.5), "pairs" (pairwise
    DataFrame), "pvalues" (:func:`axlib.papers.axai.distributions.pvalue_summary`), "cis" (quantile_cis),
    "beta" (beta_fit_cis, [min, max] rescaling), "beta_fixed" (beta_fit_cis on the shared
    support of :func:`axlib.papers.axai.distributions.fixed_support`, equal-length samples only, else None)}.
    """
    if isinstance(deltas, np.ndarray) and deltas.ndim == 2:
        samples = deltas.astype(np.float64, copy=False)
        pairs = dist.pairwise_pvalues(samples, max_pairs=max_pairs, generator=generator)
        support = dist.fixed_support(samples)
        beta_fixed = stats.beta_fit_cis(samples, rescale=support)
    else:
        samples = [np.asarray(d, dtype=np.float64).ravel() for d in deltas]
        pairs = stats.pairwise_tests(samples, max_pairs=max_pairs, generator=generator)
        beta_fixed = None
    skew = stats.skewness(samples if isinstance(samples, np.ndarray) else list(samples))
    return {"skewness": np.asarray(skew), "share_outside": stats.share_outside(skew),
            "pairs": pairs, "pvalues": dist.pvalue_summary(pairs), "cis": stats.quantile_cis(samples),
            "beta": stats.beta_fit_cis(samples), "beta_fixed": beta_fixed}


def table6(summaries: Mapping[str, dict]) -> pd.DataFrame:
    """Table 6 beside ours: rows (model, test); columns paper, pairs, mean, median, rejected."""
    rows = []
    for model, s in summaries.items():
        check_choice("model", model, MODELS, case_sensitive=True)
        for test, name in (("t", "t-test"), ("u", "Mann-Whitney U")):
            r = s["pvalues"].loc[test]
            rows.append({"model": LABELS[model], "test": name, "paper": PAPER_PVALUES[model][test],
                         "pairs": int(r["pairs"]), "mean": r["mean"], "median": r["median"],
                         "rejected": r["rejected"]})
    return pd.DataFrame(rows).set_index(["model", "test"])


def table7(summaries: Mapping[str, dict]) -> pd.DataFrame:
    """Table 7 beside ours: rows = statistic, columns (model, ours/paper, low/high)."""
    for model in summaries:
        check_choice("model", model, MODELS, case_sensitive=True)
    return dist.cis_beside_paper({LABELS[m]: (s["cis"], PAPER_QUANTILES[m]) for m, s in summaries.items()})


def shape_table(summaries: Mapping[str, dict]) -> pd.DataFrame:
    """Scale-free shape of Table 7, ours (estimates) beside the paper's (interval midpoints).

    Rows (model, source); columns sym85, sym75, tail, centre of
    :func:`axlib.papers.axai.distributions.quantile_shape`.
    """
    rows = []
    for model, s in summaries.items():
        check_choice("model", model, MODELS, case_sensitive=True)
        ours = dist.quantile_shape(s["cis"]["estimate"].to_dict())
        paper = dist.quantile_shape({k: float(np.mean(v)) for k, v in PAPER_QUANTILES[model].items()})
        rows.append({"model": LABELS[model], "source": "ours", **ours})
        rows.append({"model": LABELS[model], "source": "paper", **paper})
    return pd.DataFrame(rows).set_index(["model", "source"])


def table8(summaries: Mapping[str, dict]) -> pd.DataFrame:
    """Table 8 beside ours: rows (model, rescaling, parameter); ours estimate/low/high, paper low/high."""
    rows = []
    for model, s in summaries.items():
        check_choice("model", model, MODELS, case_sensitive=True)
        for rescaling, fit in (("[min, max] per input", s["beta"]), ("shared support", s["beta_fixed"])):
            if fit is None:
                continue
            for par in ("p", "q"):
                lo, hi = PAPER_BETA[model][par]
                rows.append({"model": LABELS[model], "rescaling": rescaling, "parameter": par,
                             "estimate": fit.loc[par, "estimate"], "low": fit.loc[par, "low"],
                             "high": fit.loc[par, "high"], "paper low": lo, "paper high": hi})
    return pd.DataFrame(rows).set_index(["model", "rescaling", "parameter"])


def speech_magnitudes(model, specs, *, batch_size: int = 64, steps: int = 20, target=None, clip: bool = True,
                      progress: bool = False) -> np.ndarray:
    """X' - X of spectrograms (N, 1, F, T) in [0, 1] under AXAI's default L2 PGD
    (eps = 2/255 sqrt(F T), step 2.5 eps / steps, no random start) against ``target``
    (None: the model's prediction).

    clip: True clips to [0, 1] after every step (:func:`axlib.papers.axai.distributions.attack_magnitudes`,
    the book's attack); False attacks without clipping (``bounds=None``, as the AXAI reference
    code does), to see what the clipping changes. Returns (N, F*T) float64.
    """
    from axlib import attacks
    from axlib.explain.axai import default_attack_params

    params = default_attack_params(specs.shape, steps=steps)
    if clip:
        d = dist.attack_magnitudes(model, specs, batch_size=batch_size, steps=steps, target=target,
                                   progress=progress, desc="PGD speech", **params)
        return d.numpy().astype(np.float64)
    x = check_images(specs)
    y = attacks.predicted_labels(model, x, batch_size=batch_size) if target is None else target
    out = []
    for i in range(0, len(x), batch_size):
        xb = x[i:i + batch_size]
        x_adv = attacks.pgd(model, xb, y[i:i + batch_size], steps=steps, bounds=None, **params)
        out.append((x_adv - xb).flatten(1).cpu().double().numpy())
    return np.concatenate(out)


def attack_magnitudes(speech_model, text_model, clips: dict, sentences: dict, *, n_clips: int | None = None,
                      n_sentences: int | None = None, steps: int = 20, device: str = "cpu") -> tuple[dict, dict]:
    """The C.4 samples of both models: X' - X of the first held-out clips and sentences.

    clips: :func:`axlib.papers.axai.speech.load_clips`; sentences:
    :func:`axlib.data.polarity.polarity_dataset`; n_clips / n_sentences: how many held-out
    inputs (None: all). Returns (deltas, seconds): deltas {"speech": (n, F*T) clipped attack
    (:func:`speech_magnitudes`), "speech_unclipped": (n, F*T) the same without [0, 1] clipping,
    "text": list of n_tokens_i * D arrays (:func:`axlib.papers.axai.text.embedding_attack_magnitudes`)};
    seconds {"speech": both speech attacks, "text"}: wall time.
    """
    from axlib.papers.axai.text import embedding_attack_magnitudes

    for name, n in (("n_clips", n_clips), ("n_sentences", n_sentences)):
        if n is not None:
            check_int(name, n, low=2)
    specs = clips["specs"][clips["held"]][: n_clips if n_clips is not None else len(clips["held"])]
    t0 = time.perf_counter()
    speech = speech_magnitudes(speech_model, specs.to(device), steps=steps)
    unclipped = speech_magnitudes(speech_model, specs.to(device), steps=steps, clip=False)
    t_speech = time.perf_counter() - t0
    test = sentences["split"]["test"]
    t0 = time.perf_counter()
    text = embedding_attack_magnitudes(text_model, sentences["tokens"][test[: n_sentences if n_sentences is not None
                                                                              else len(test)]], steps=steps)
    seconds = {"speech": t_speech, "text": time.perf_counter() - t0}
    return {"speech": speech, "speech_unclipped": unclipped, "text": text}, seconds


def plot_skewness(summaries: Mapping[str, dict], *, title: str | None = None):
    """Fig. 15: the Fisher-Pearson skewness of each model's inputs, with the [-0.5, 0.5] band
    (:func:`axlib.papers.axai.distributions.plot_skewness`). Returns a Figure."""
    for model in summaries:
        check_choice("model", model, MODELS, case_sensitive=True)
    return dist.plot_skewness({LABELS[m]: s["skewness"] for m, s in summaries.items()}, title=title)


def skew_table(summaries: Mapping[str, dict], speech_unclipped) -> pd.DataFrame:
    """Median skewness and share of inputs outside [-0.5, 0.5]: the clipped speech attack, the
    unclipped one (``speech_unclipped``, (n, F*T)) and the text attack (never clipped)."""
    g_free = stats.skewness(speech_unclipped)
    return pd.DataFrame({
        "speech, clipped to [0, 1]": {"median g1": np.median(summaries["speech"]["skewness"]),
                                      "share outside [-0.5, 0.5]": summaries["speech"]["share_outside"]},
        "speech, no clipping": {"median g1": np.median(g_free), "share outside [-0.5, 0.5]": stats.share_outside(g_free)},
        "text (never clipped)": {"median g1": np.median(summaries["text"]["skewness"]),
                                 "share outside [-0.5, 0.5]": summaries["text"]["share_outside"]}}).T


def skew_fields(summary: dict) -> dict:
    """``estimate`` (share with its Clopper-Pearson interval), ``note`` and ``unit`` of the record
    ``c4.skew_share.<model>`` (:meth:`~axlib.companion.results.Recorder.judge`'s keywords)."""
    skew = summary["skewness"]
    return {"estimate": estimates.share(np.abs(skew) > 0.5, "inputs"), "unit": "share of inputs with |g1| > 0.5",
            "note": (f"{len(skew)} held-out inputs, median |g1| {np.median(np.abs(skew)):.3f}; the paper says all "
                     "lie within [-0.5, 0.5] (read as a share of 0)")}


def pairwise_fields(summary: dict, test: str, n_inputs: int) -> dict:
    """:meth:`~axlib.companion.results.Recorder.judge` keywords of ``c4.<ttest|mannwhitney>.<model>``:
    the share of tested pairs with p < 0.05, bootstrap over the ``n_inputs`` inputs; test: "t"
    or "u" (a key of :data:`TESTS`)."""
    if test not in TESTS:
        raise ValueError(f"test must be one of {tuple(TESTS)}, got {test!r}")
    row = summary["pvalues"].loc[test]
    return {"estimate": estimates.pairs_rejected(summary["pairs"], f"{test}_p", n_inputs, n_of="inputs"),
            "unit": "share of pairs with p < 0.05",
            "note": f"{int(row['pairs']):,} pairs of {n_inputs} inputs; mean p {row['mean']:.2f} (the paper's single "
                    f"p-value), median p {row['median']:.2f}"}


def quantile_fields(summary: dict, shape: pd.DataFrame, model: str, samples) -> dict:
    """:meth:`~axlib.companion.results.Recorder.judge` keywords of ``c4.quantiles.<model>``: the
    scale-free shape of :func:`axlib.papers.axai.estimates.quantile_shape` over the inputs
    ``samples`` (the model's attack magnitudes), ``ours`` and a note with the paper's shape;
    shape: :func:`shape_table`."""
    check_choice("model", model, MODELS, case_sensitive=True)
    ours, theirs = shape.loc[(LABELS[model], "ours")], shape.loc[(LABELS[model], "paper")]
    cis = summary["cis"]
    return {"estimate": estimates.quantile_shape(estimates.per_input_quantiles(samples), "inputs"),
            "ours": f"sym85 {ours['sym85']:.2f}, tail {ours['tail']:.2f}", "unit": "scale-free shape of Table 7",
            "note": (f"q15 {cis.loc['q15', 'estimate']:.3g}, q85 {cis.loc['q85', 'estimate']:.3g} in our units "
                     f"(paper {np.mean(PAPER_QUANTILES[model]['q15']):.3g}, {np.mean(PAPER_QUANTILES[model]['q85']):.3g}, "
                     f"units unstated); the paper's shape: sym85 {theirs['sym85']:.2f}, tail {theirs['tail']:.2f}")}


def beta_fields(fit: pd.DataFrame, model: str, samples) -> dict:
    """:meth:`~axlib.companion.results.Recorder.judge` keywords of ``c4.beta.<model>``: Table 8's
    claim in the numbers of :func:`axlib.papers.axai.estimates.beta_shape` over the inputs
    ``samples`` ([min, max] rescaling); fit: :func:`summarise`'s ``beta``."""
    check_choice("model", model, MODELS, case_sensitive=True)
    paper_p, paper_q = (float(np.mean(unquote(paper.C4_BETA[model][k]))) for k in ("p", "q"))
    return {"estimate": estimates.beta_shape(estimates.per_input_beta(samples), paper_p, paper_q, "inputs"),
            "ours": f"p {fit.loc['p', 'estimate']:.1f}, q {fit.loc['q', 'estimate']:.1f}",
            "unit": "beta shape parameters ([min, max] rescaling)",
            "note": ("per-input method-of-moments fits, 95 % interval of the mean "
                     f"p ({fit.loc['p', 'low']:.1f}, {fit.loc['p', 'high']:.1f}); the support the paper used is not stated")}
