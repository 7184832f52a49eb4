"""Our side of each claim notebook 05 records: the statistic the claim's rule reads
(:mod:`axlib.papers.robust.claims`), the value recorded as ours (a number or a short wording)
and the note beside it, from the model cards, the tuned settings and the tables of
:mod:`axlib.papers.robust.analysis`.

Each function returns a :class:`Finding`; the page passes ``finding.statistic`` to the rule
and ``finding.ours``, ``finding.note``, ``finding.unit`` to its recorder.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from axlib.papers.robust import paper
from axlib.papers.robust.analysis import by_algorithm, tuned_pairs
from axlib.papers.robust.study import ARCHITECTURES, STUDY_MODELS, model_label

__all__ = ["Finding", "confidence_ratio", "advprop_accuracy", "robust_prefers_smaller", "gradient_localisation",
           "cam_perturbation_no_difference", "score_based", "advprop_between", "best_methods", "runtime",
           "no_best_cnn", "deletion_confidence", "metric_correlation"]


@dataclass(frozen=True)
class Finding:
    """One claim's result: statistic (what the rule reads), ours (recorded as our value), note
    (one sentence recorded beside it), unit (of ``ours``; "" when it is a wording)."""

    statistic: Any
    ours: Any
    note: str = ""
    unit: str = ""


def confidence_ratio(cards: dict[str, dict]) -> Finding:
    """Table 1: mean over architectures of the vanilla / robust mean confidence on correctly
    classified canvases (statistic: the ratio; ours: it rounded to 2 decimals).
    cards: model name -> model card, every study model."""
    conf = by_algorithm(cards, lambda c: c["confidence_correct"]["mean"])
    ratio = float(np.mean(conf["vanilla"] / conf["robust"]))
    epochs = ", ".join(str(cards[m]["recipe"]["epochs"]) for m in STUDY_MODELS if STUDY_MODELS[m][1] == "robust")
    return Finding(ratio, round(ratio, 2),
                   "mean over architectures of vanilla / robust confidence on correct images; the paper's "
                   f"robust ImageNet models are trained at eps 3 from scratch, ours fine-tuned at eps 0.5 for {epochs} epochs")


def advprop_accuracy(cards: dict[str, dict]) -> Finding:
    """Table 1: the largest |AdvProp - vanilla| test accuracy over architectures, in points
    (statistic: the gap; ours: it rounded to 1 decimal); the note gives each architecture's
    difference beside the paper's two AdvProp ResNet-50s."""
    acc = by_algorithm(cards, lambda c: c["test_accuracy"])
    gap = float(np.max(np.abs(acc["advprop"] - acc["vanilla"])) * 100)
    pub = paper.value(paper.TABLE_1_ACCURACY)
    ours = ", ".join(f"{a} {100 * (g - v):+.1f}" for a, g, v in zip(ARCHITECTURES, acc["advprop"], acc["vanilla"]))
    return Finding(gap, round(gap, 1),
                   f"the paper's AdvProp ResNet-50s are {pub['advprop_pgd5'] - pub['vanilla']:.1f} and "
                   f"{pub['advprop_pgd1'] - pub['vanilla']:.1f} points above the vanilla one; ours per architecture: {ours}",
                   unit="largest |AdvProp - vanilla| accuracy, points")


def robust_prefers_smaller(tuned: dict[str, dict], models, n_images: int, grid: dict) -> Finding:
    """Table A1: the (vanilla, robust) pairs of tuned MP iterations and RISE mask size per
    architecture of ``models`` (statistic: the list of pairs). n_images: held-out images per
    model; grid: the tuning grid searched (the profile's ``tuning_grid``)."""
    pairs_table = tuned_pairs(tuned, models)
    pairs = [pair for col in pairs_table.columns for pair in pairs_table[col]]
    fewer, fewer_or_equal = sum(r < v for v, r in pairs), sum(r <= v for v, r in pairs)
    return Finding(pairs, f"{fewer} of {len(pairs)} strictly smaller, {fewer_or_equal} of {len(pairs)} smaller or equal",
                   f"held-out search on {n_images} images per model over {grid['mp']} MP and {grid['rise']} RISE settings")


def _row(comparison: pd.DataFrame, family: str, metric: str) -> pd.Series:
    return comparison[(comparison.family == family) & (comparison.metric == metric)].iloc[0]


def gradient_localisation(comparison: pd.DataFrame, n_images: int) -> Finding:
    """Fig. 2a-b, gradient family: the winners on Pointing Game and WSL (statistic) of
    ``comparison`` (:func:`analysis.compare_algorithms`, by family)."""
    rows = [_row(comparison, "gradient", m) for m in ("pointing_game", "wsl")]
    return Finding([r.winner for r in rows], "; ".join(f"{r.metric}: {r.winner} (p={r.p:.2g})" for r in rows),
                   f"{n_images} images x 3 architectures x 3 gradient methods per side")


def cam_perturbation_no_difference(comparison: pd.DataFrame) -> Finding:
    """Fig. 2a-b, CAM and perturbation families: the winners on Pointing Game and WSL (statistic)."""
    rows = [_row(comparison, f, m) for f in ("cam", "perturbation") for m in ("pointing_game", "wsl")]
    return Finding([r.winner for r in rows],
                   "; ".join(f"{r.family} {r.metric}: {r.winner} (p={r.p:.2g})" for r in rows),
                   "few images make 'no difference' easier to find: read it with the p-values")


def score_based(comparison: pd.DataFrame, metric: str) -> Finding:
    """Fig. 2c-d: the winners on ``metric`` ("insertion" or "deletion") per family (statistic)."""
    if metric not in ("insertion", "deletion"):
        raise ValueError(f"metric must be 'insertion' or 'deletion', got {metric!r}")
    rows = [_row(comparison, f, metric) for f in ("gradient", "cam", "perturbation")]
    return Finding([r.winner for r in rows], "; ".join(f"{r.family}: {r.winner} (p={r.p:.2g})" for r in rows))


def advprop_between(position: pd.DataFrame) -> Finding:
    """Fig. 3: per (architecture, localisation metric), whether AdvProp lies between vanilla and
    robust (statistic), from :func:`analysis.advprop_position`."""
    loc = position[position.metric.isin(["pointing_game", "wsl"])]
    return Finding(list(loc.between), f"{int(loc.between.sum())} of {len(loc)} (architecture, localisation metric) pairs")


def best_methods(ranking: pd.DataFrame) -> Finding:
    """Fig. 4: the methods by average rank, best first (statistic), from :func:`analysis.method_ranking`."""
    order = list(ranking.index)
    return Finding(order, f"top-3 by average rank: {', '.join(order[:3])}; last: {order[-1]}")


def runtime(times: pd.DataFrame, profile: str) -> Finding:
    """Table 2: method -> median ms per image (statistic), from :func:`analysis.runtime_table`."""
    ms = times["ms_per_image"]
    fastest = ms.idxmin()
    return Finding(ms.to_dict(),
                   f"fastest {fastest} ({ms[fastest]:.0f} ms); GradCAM {ms['gradcam']:.0f} ms, EP {ms['ep']:.0f} ms",
                   f"CPU, 1 thread per worker, {profile} profile's sample counts; reproduced means Gradient and "
                   "GradCAM are faster than every perturbation method")


def no_best_cnn(summary: pd.DataFrame) -> Finding:
    """Fig. 5: the localisation metrics (Pointing Game, WSL) in which the most accurate model is
    also the best (statistic), from :func:`analysis.model_summary`."""
    best_acc = summary["accuracy"].idxmax()
    ideal = [metric for metric in ("pointing_game", "wsl") if summary[metric].idxmax() == best_acc]
    return Finding(ideal, f"most accurate: {model_label(best_acc)}; also best in: {', '.join(ideal) or 'neither PG nor WSL'}")


def deletion_confidence(correlation: dict, level: str) -> Finding:
    """Fig. 6a: Spearman rho of Deletion with confidence at ``level`` ("network" or "image")
    (statistic; ours rounded to 2 decimals), from :func:`analysis.confidence_correlation`."""
    if level not in ("network", "image"):
        raise ValueError(f"level must be 'network' or 'image', got {level!r}")
    rho = correlation[level]
    return Finding(rho, round(rho, 2),
                   f"n = {correlation[level + '_n']}; reproduced: a strong positive correlation (>= 0.5)")


def metric_correlation(rho: pd.DataFrame, a: str, b: str) -> Finding:
    """Fig. 6b: the Spearman rho of metrics ``a`` and ``b`` (statistic; ours rounded to 2
    decimals), from :func:`analysis.metric_correlations`."""
    value = float(rho.loc[a, b])
    return Finding(value, round(value, 2),
                   "WSL as the IoU of the map's box; reproduced: a strong positive correlation (>= 0.5)")
