"""Our side of each claim notebook 05 records: the statistic the claim's rule reads
(:mod:`axlib.papers.robust.claims`), the value recorded as ours (a number or a short wording)
and the note beside it, from the model cards, the tuned settings and the tables of
:mod:`axlib.papers.robust.analysis`.

Each function returns a :class:`Finding`; the page passes ``finding.statistic`` to the rule
and ``finding.ours``, ``finding.note``, ``finding.unit`` to its recorder.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from axlib.companion.rules import Estimate
from axlib.papers.robust import paper
from axlib.papers.robust.analysis import (
    advprop_position,
    by_algorithm,
    confidence_correlation,
    image_bootstrap,
    method_ranks,
    metric_correlations,
    model_summary,
    runtime_order_rho,
    runtime_table,
    tuned_pairs,
)
from axlib.papers.robust.study import ARCHITECTURES, METRICS, STUDY_MODELS, model_label

__all__ = ["Finding", "confidence_ratio", "advprop_accuracy", "robust_prefers_smaller", "gradient_localisation",
           "cam_perturbation_no_difference", "score_based", "advprop_between", "best_methods", "runtime",
           "no_best_cnn", "deletion_confidence", "metric_correlation"]


@dataclass(frozen=True)
class Finding:
    """One claim's result: statistic (what the rule reads: an
    :class:`~axlib.companion.rules.Estimate` or a mapping of them for a declared rule, else the
    older rule function's input), ours (recorded as our value), note (one sentence recorded
    beside it), unit (of ``ours``; "" when it is a wording)."""

    statistic: Any
    ours: Any
    note: str = ""
    unit: str = ""


def _test_images(card: dict) -> int:
    """The number of test images behind a card's ``test_accuracy`` (from its ``test_set`` text)."""
    found = re.search(r"(\d[\d,]*) images", card.get("test_set", ""))
    if not found:
        raise ValueError(f"card {card.get('name', '?')!r} does not say how many test images it was scored on")
    return int(found.group(1).replace(",", ""))


def _normal(value: float, se: float, n: int, n_of: str, how: str) -> Estimate:
    half = 1.959964 * se
    return Estimate(value, value - half, value + half, n, n_of, how)


def confidence_ratio(cards: dict[str, dict]) -> Finding:
    """Table 1: the mean over architectures of the vanilla / robust mean confidence on correctly
    classified canvases, with a normal (delta-method) 95 % interval from each card's mean, std
    and n; n is the fewest correct canvases of a model. cards: model name -> model card."""
    conf = by_algorithm(cards, lambda c: c["confidence_correct"])
    ratios, variances = [], []
    for v, r in zip(conf["vanilla"], conf["robust"]):
        ratio = v["mean"] / r["mean"]
        ratios.append(ratio)
        variances.append(ratio ** 2 * (v["std"] ** 2 / (v["n"] * v["mean"] ** 2) + r["std"] ** 2 / (r["n"] * r["mean"] ** 2)))
    value, se = float(np.mean(ratios)), float(np.sqrt(np.sum(variances)) / len(ratios))
    n = min(c["n"] for g in ("vanilla", "robust") for c in conf[g])
    epochs = ", ".join(str(cards[m]["recipe"]["epochs"]) for m in STUDY_MODELS if STUDY_MODELS[m][1] == "robust")
    return Finding(_normal(value, se, n, "correct canvases (fewest of a model)", "normal, delta method from the cards"),
                   round(value, 2),
                   "mean over architectures of vanilla / robust confidence on correct images; the paper's "
                   f"robust ImageNet models are trained at eps 3 from scratch, ours fine-tuned at eps 0.5 for {epochs} epochs")


def advprop_accuracy(cards: dict[str, dict]) -> Finding:
    """Table 1: the mean over architectures of AdvProp - vanilla test accuracy, in points, with a
    normal 95 % interval (the two accuracies' binomial variances added: errors treated as
    independent, conservative when the two models err on the same images); the note gives each
    architecture's difference beside the paper's two AdvProp ResNet-50s."""
    acc = by_algorithm(cards, lambda c: c["test_accuracy"])
    n = min(_test_images(cards[m]) for m in STUDY_MODELS)
    diffs = 100 * (acc["advprop"] - acc["vanilla"])
    variance = (acc["advprop"] * (1 - acc["advprop"]) + acc["vanilla"] * (1 - acc["vanilla"])) / n * 100 ** 2
    value, se = float(diffs.mean()), float(np.sqrt(variance.sum()) / len(diffs))
    pub = paper.value(paper.TABLE_1_ACCURACY)
    ours = ", ".join(f"{a} {d:+.1f}" for a, d in zip(ARCHITECTURES, diffs))
    return Finding(_normal(value, se, n, "test canvases", "normal, binomial variances of both accuracies"),
                   round(value, 2),
                   f"the paper's AdvProp ResNet-50s are {pub['advprop_pgd5'] - pub['vanilla']:+.1f} and "
                   f"{pub['advprop_pgd1'] - pub['vanilla']:+.1f} points from the vanilla one; ours per architecture: {ours}",
                   unit="AdvProp - vanilla accuracy, points")


def robust_prefers_smaller(tuned: dict[str, dict], models, n_images: int, grid: dict) -> Finding:
    """Table A1 (statistic: the share of (architecture, MP iterations / RISE mask size) pairs in
    which the robust model's tuned value is strictly below the vanilla one's, Clopper-Pearson
    over the pairs), from :func:`analysis.tuned_pairs` of ``models``. n_images: held-out images
    per model; grid: the tuning grid searched (the profile's ``tuning_grid``)."""
    pairs_table = tuned_pairs(tuned, models)
    pairs = [pair for col in pairs_table.columns for pair in pairs_table[col]]
    fewer, fewer_or_equal = sum(r < v for v, r in pairs), sum(r <= v for v, r in pairs)
    return Finding(Estimate.proportion(fewer, len(pairs), "(architecture, hyperparameter) pairs"),
                   f"{fewer} of {len(pairs)} strictly smaller, {fewer_or_equal} of {len(pairs)} smaller or equal",
                   f"held-out search on {n_images} images per model over {grid['mp']} MP and {grid['rise']} RISE settings")


def _row(comparison: pd.DataFrame, family: str, metric: str) -> pd.Series:
    return comparison[(comparison.family == family) & (comparison.metric == metric)].iloc[0]


def _difference(row: pd.Series, sign: int = 1) -> Estimate:
    """One :func:`analysis.compare_algorithms` row's difference as an estimate (``sign`` -1: a - b);
    n is the images whose maps do not all tie."""
    low, high = sorted((sign * row.low, sign * row.high))
    return Estimate(sign * row.difference, low, high, int(row.n_informative), "images where the maps differ",
                    f"bootstrap over images, {row.level:.2%} simultaneous (Bonferroni over Fig. 2's comparisons)")


def _p_text(row: pd.Series) -> str:
    return f"{row.winner} (Wilcoxon p={row.p:.2g}, Holm {row.p_holm:.2g})"


def gradient_localisation(comparison: pd.DataFrame, n_images: int) -> Finding:
    """Fig. 2a-b, gradient family (statistic: {metric: robust - vanilla, mean over images} for
    Pointing Game and WSL), from :func:`analysis.compare_algorithms`."""
    rows = {m: _row(comparison, "gradient", m) for m in ("pointing_game", "wsl")}
    return Finding({m: _difference(r) for m, r in rows.items()},
                   "; ".join(f"{m}: {r.difference:+.3f}, {_p_text(r)}" for m, r in rows.items()),
                   f"{n_images} images, each the mean over 3 architectures x 3 gradient methods")


def cam_perturbation_no_difference(comparison: pd.DataFrame) -> Finding:
    """Fig. 2a-b, CAM and perturbation families (statistic: {"<family> <metric>": robust -
    vanilla} for Pointing Game and WSL)."""
    rows = {f"{f} {m}": _row(comparison, f, m) for f in ("cam", "perturbation") for m in ("pointing_game", "wsl")}
    return Finding({k: _difference(r) for k, r in rows.items()},
                   "; ".join(f"{k}: {r.difference:+.3f}, {_p_text(r)}" for k, r in rows.items()),
                   "n counts the images whose maps do not all tie: a metric at its ceiling cannot show 'no difference'")


def score_based(comparison: pd.DataFrame, metric: str) -> Finding:
    """Fig. 2c-d (statistic: {family: vanilla - robust ``metric``} per family): positive favours
    vanilla under Insertion and robust under Deletion (lower is better)."""
    if metric not in ("insertion", "deletion"):
        raise ValueError(f"metric must be 'insertion' or 'deletion', got {metric!r}")
    rows = {f: _row(comparison, f, metric) for f in ("gradient", "cam", "perturbation")}
    return Finding({f: _difference(r, -1) for f, r in rows.items()},
                   "; ".join(f"{f}: {_p_text(r)}" for f, r in rows.items()))


def advprop_between(table: pd.DataFrame) -> Finding:
    """Fig. 3 (statistic: the share of (architecture, Pointing Game / WSL) pairs in which the
    AdvProp mean lies strictly between vanilla and robust, bootstrap over images), from
    :func:`analysis.advprop_position`."""
    def share(t: pd.DataFrame) -> float:
        position = advprop_position(t)
        return float(position[position.metric.isin(["pointing_game", "wsl"])].between.mean())

    value, low, high, n = image_bootstrap(table, share)
    loc = advprop_position(table)
    loc = loc[loc.metric.isin(["pointing_game", "wsl"])]
    return Finding(Estimate(value, low, high, n, "images", "bootstrap over images"),
                   f"{int(loc.between.sum())} of {len(loc)} (architecture, localisation metric) pairs")


def best_methods(table: pd.DataFrame) -> Finding:
    """Fig. 4, Table A2 (statistic: three estimates, bootstrap over images): GradCAM's and RISE's
    worst rank over the four metrics, and MP's position by average rank (1 = best), from
    :func:`analysis.method_ranks`."""
    ranks = method_ranks(table)
    metric_ranks = [f"{m}_rank" for m in METRICS]
    parts = {"gradcam worst rank": lambda r: r.loc["gradcam", metric_ranks].max(),
             "rise worst rank": lambda r: r.loc["rise", metric_ranks].max(),
             "mp position": lambda r: r.loc["mp", "position"]}
    estimates = {}
    for name, pick in parts.items():
        value, low, high, n = image_bootstrap(table, lambda t, pick=pick: pick(method_ranks(t)))
        estimates[name] = Estimate(value, low, high, n, "images", "bootstrap over images")
    order = list(ranks.sort_values("position").index)
    return Finding(estimates, f"top-3 by average rank: {', '.join(order[:3])}; last: {order[-1]}",
                   f"{len(ranks)} methods ranked (CAM excluded, as it does not run on every architecture)")


def runtime(table: pd.DataFrame, profile: str) -> Finding:
    """Table 2 (statistic: the Spearman rho of our median ms per image per method with Table 2's,
    bootstrap over images), from :func:`analysis.runtime_order_rho`."""
    value, low, high, n = image_bootstrap(table, runtime_order_rho)
    ms = runtime_table(table)["ms_per_image"]
    fastest = ms.idxmin()
    return Finding(Estimate(value, low, high, n, "images", "bootstrap over images"), round(value, 2),
                   f"fastest {fastest} ({ms[fastest]:.0f} ms); GradCAM {ms['gradcam']:.0f} ms, EP {ms['ep']:.0f} ms; "
                   f"CPU, 1 thread per worker, {profile} profile's sample counts",
                   unit="Spearman rho with Table 2's runtimes")


def no_best_cnn(table: pd.DataFrame, cards: dict[str, dict], macs: dict[str, float]) -> Finding:
    """Fig. 5 (statistic: in how many localisation metrics, Pointing Game and WSL, the most
    accurate model is also the best, bootstrap over images), from :func:`analysis.model_summary`."""
    def also_best(t: pd.DataFrame) -> float:
        summary = model_summary(t, cards, macs)
        best_acc = summary["accuracy"].idxmax()
        return float(sum(summary[m].idxmax() == best_acc for m in ("pointing_game", "wsl")))

    value, low, high, n = image_bootstrap(table, also_best)
    summary = model_summary(table, cards, macs)
    best_acc = summary["accuracy"].idxmax()
    ideal = [m for m in ("pointing_game", "wsl") if summary[m].idxmax() == best_acc]
    return Finding(Estimate(value, low, high, n, "images", "bootstrap over images"),
                   f"most accurate: {model_label(best_acc)}; also best in: {', '.join(ideal) or 'neither PG nor WSL'}")


def deletion_confidence(table: pd.DataFrame, level: str) -> Finding:
    """Fig. 6a: Spearman rho of Deletion with confidence at ``level`` ("network": over the
    vanilla and robust models' means, n models; "image": over every map), with a 95 % interval
    from a bootstrap over images (:func:`analysis.confidence_correlation`)."""
    if level not in ("network", "image"):
        raise ValueError(f"level must be 'network' or 'image', got {level!r}")
    value, low, high, n_images = image_bootstrap(table, lambda t: confidence_correlation(t, "deletion")[level])
    n_models = confidence_correlation(table, "deletion")["network_n"]
    n, n_of = (n_models, "models") if level == "network" else (n_images, "images")
    return Finding(Estimate(value, low, high, n, n_of, "bootstrap over images"), round(value, 2),
                   f"{n_models} models, {n_images} images; the paper: 10 CNNs (network level), ImageNet-CL images")


def metric_correlation(table: pd.DataFrame, a: str, b: str) -> Finding:
    """Fig. 6b: the Spearman rho of metrics ``a`` and ``b`` over every map, with a 95 % interval
    from a bootstrap over images (:func:`analysis.metric_correlations`)."""
    value, low, high, n = image_bootstrap(table, lambda t: metric_correlations(t).loc[a, b])
    return Finding(Estimate(value, low, high, n, "images", "bootstrap over images"), round(value, 2),
                   "WSL as the IoU of the map's box")
