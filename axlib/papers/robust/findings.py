"""Our side of each claim notebook 05 records: the statistic the claim's rule reads
(:mod:`axlib.papers.robust.claims`), the value recorded as ours (a number or a short wording)
and the note beside it, from the model cards, the tuned settings and the tables of
:mod:`axlib.papers.robust.analysis`.

Each function returns a :class:`Finding`; the page records it with
``rec.judge(claim, finding.statistic, finding.note, ours=finding.ours, unit=finding.unit)``,
and the claim's declared rule reads ``finding.statistic``.
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
    PAPER_A4_NAMES,
    a4_agreement,
    advprop_position,
    by_algorithm,
    confidence_correlation,
    gradient_speedup,
    gradient_vs_rivals,
    gradient_wsl_lead,
    image_bootstrap,
    image_bootstraps,
    method_ranks,
    metric_correlations,
    model_summary,
    runtime_order_rho,
    runtime_table,
    tuned_pairs,
)
from axlib.papers.robust.analysis import architecture_ranking as _architecture_table
from axlib.papers.robust.study import METRICS, MODEL_ROLES, PAPER_NAMES, model_label

__all__ = ["Finding", "confidence_ratio", "advprop_accuracy", "robust_prefers_smaller", "gradient_localisation",
           "cam_perturbation_no_difference", "score_based", "advprop_between", "best_methods", "architecture_ranking",
           "runtime", "gradient_vs_perturbation", "no_best_cnn", "cnn_ranking", "fig_a2", "deletion_confidence",
           "metric_correlation"]


@dataclass(frozen=True)
class Finding:
    """One claim's result: statistic (what the declared rule reads: an
    :class:`~axlib.companion.rules.Estimate`, or a mapping of them for an ``AllOf`` rule), ours
    (recorded as our value), note (one sentence recorded beside it), unit (of ``ours``; "" when
    it is a wording)."""

    statistic: Estimate | dict[str, Estimate]
    ours: Any
    note: str = ""
    unit: str = ""

    def judge(self, rec, claim: str) -> dict:
        """``rec.judge(claim, statistic, note, ours=ours, unit=unit)``: the verdict of ``claim``'s
        declared rule on this finding, recorded by ``rec`` (a results recorder)."""
        return rec.judge(claim, self.statistic, self.note, ours=self.ours, unit=self.unit)


def _test_images(card: dict) -> int:
    """The number of test images behind a card's ``test_accuracy`` (from its ``test_set`` text)."""
    found = re.search(r"(\d[\d,]*) images", card.get("test_set", ""))
    if not found:
        raise ValueError(f"card {card.get('name', '?')!r} does not say how many test images it was scored on")
    return int(found.group(1).replace(",", ""))


def _normal(value: float, se: float, n: int, n_of: str, how: str) -> Estimate:
    half = 1.959964 * se
    return Estimate(value, value - half, value + half, n, n_of, how)


def _none_paired(what: str, n_of: str, note: str, unit: str = "") -> Finding:
    """A finding with no pair to estimate from (its rule's minimum n makes it inconclusive)."""
    return Finding(Estimate.nothing(n_of, f"no {what}"), "no pair", note, unit)


def confidence_ratio(cards: dict[str, dict]) -> Finding:
    """Table 1: the mean over architectures of the vanilla / robust mean confidence on correctly
    classified images, with a normal (delta-method) 95 % interval from each card's mean, std
    and n; n is the fewest correct images of a model. cards: model name -> card
    (:func:`axlib.papers.robust.study.model_cards`); architectures without both models are left out."""
    conf = by_algorithm(cards, lambda c: c["confidence_correct"])
    archs = [a for a in conf.get("vanilla", {}) if a in conf.get("robust", {})]
    if not archs:
        return _none_paired("architecture with a vanilla and a robust model", "correct images (fewest of a model)",
                            "no architecture has both a vanilla and a robust model in this profile")
    ratios, variances = [], []
    for arch in archs:
        v, r = conf["vanilla"][arch], conf["robust"][arch]
        ratio = v["mean"] / r["mean"]
        ratios.append(ratio)
        variances.append(ratio ** 2 * (v["std"] ** 2 / (v["n"] * v["mean"] ** 2) + r["std"] ** 2 / (r["n"] * r["mean"] ** 2)))
    value, se = float(np.mean(ratios)), float(np.sqrt(np.sum(variances)) / len(ratios))
    n = min(conf[g][a]["n"] for g in ("vanilla", "robust") for a in archs)
    recipes = by_algorithm(cards, lambda c: c["recipe"])["robust"]
    how = ("the paper's robust ImageNet models (Salman et al.'s L2 eps-3 checkpoints here)"
           if any(recipes[a] is None for a in archs) else
           "the paper's robust ImageNet models are trained at eps 3 from scratch, ours fine-tuned at eps 0.5 for "
           + ", ".join(str(recipes[a]["epochs"]) for a in archs) + " epochs")
    return Finding(_normal(value, se, n, "correct images (fewest of a model)", "normal, delta method from the cards"),
                   round(value, 2), f"mean over {len(archs)} architectures ({', '.join(archs)}) of vanilla / robust "
                   f"confidence on correct images; {how}")


def advprop_accuracy(cards: dict[str, dict]) -> Finding:
    """Table 1: the mean over architectures of AdvProp - vanilla test accuracy, in points, with a
    normal 95 % interval (the two accuracies' binomial variances added: errors treated as
    independent, conservative when the two models err on the same images); the note gives each
    architecture's difference beside the paper's two AdvProp ResNet-50s. Architectures without
    both models are left out."""
    acc = by_algorithm(cards, lambda c: c["test_accuracy"])
    archs = [a for a in acc.get("vanilla", {}) if a in acc.get("advprop", {})]
    pub = paper.value(paper.TABLE_1_ACCURACY)
    paper_note = (f"the paper's AdvProp ResNet-50s are {pub['advprop_pgd5'] - pub['vanilla']:+.1f} and "
                  f"{pub['advprop_pgd1'] - pub['vanilla']:+.1f} points from the vanilla one")
    unit = "AdvProp - vanilla accuracy, points"
    if not archs:
        return _none_paired("architecture with a vanilla and an AdvProp model", "test images",
                            f"no AdvProp model in this profile (none has a public ImageNet checkpoint); {paper_note}",
                            unit)
    n = min(_test_images(cards[m]) for m in cards if MODEL_ROLES[m][0] in archs
            and MODEL_ROLES[m][1] in ("vanilla", "advprop"))
    vanilla, advprop = np.array([acc["vanilla"][a] for a in archs]), np.array([acc["advprop"][a] for a in archs])
    diffs = 100 * (advprop - vanilla)
    variance = (advprop * (1 - advprop) + vanilla * (1 - vanilla)) / n * 100 ** 2
    value, se = float(diffs.mean()), float(np.sqrt(variance.sum()) / len(diffs))
    ours = ", ".join(f"{a} {d:+.1f}" for a, d in zip(archs, diffs))
    return Finding(_normal(value, se, n, "test images", "normal, binomial variances of both accuracies"),
                   round(value, 2), f"{paper_note}; ours per architecture: {ours}", unit=unit)


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
                   f"{n_images} images, each the mean over the architectures with a vanilla and a robust model "
                   "(3 on the canvases) x 3 gradient methods")


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

    loc = advprop_position(table)
    loc = loc[loc.metric.isin(["pointing_game", "wsl"])]
    if loc.empty:
        return Finding(Estimate.nothing("images", "no architecture with a vanilla, an AdvProp and a robust model"),
                       "no architecture with all three models in this profile")
    value, low, high, n = image_bootstrap(table, share)
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
    estimates = {name: Estimate(*interval, "images", "bootstrap over images")
                 for name, interval in image_bootstraps(table, method_ranks, parts).items()}
    order = list(ranks.sort_values("position").index)
    return Finding(estimates, f"top-3 by average rank: {', '.join(order[:3])}; last: {order[-1]}",
                   f"{len(ranks)} methods ranked (CAM excluded, as it does not run on every architecture)")


def architecture_ranking(table: pd.DataFrame, *, n_boot: int = 1000) -> Finding:
    """Fig. A1, Table A5 (statistic: our ResNet's position among the architectures by average
    rank over the four metrics, 1 = best, bootstrap over images, ``n_boot`` resamples), from
    :func:`analysis.architecture_ranking` (vanilla and robust models, CAM excluded)."""
    resnet = "resnet50" if "imagenet-resnet50" in set(table["model"]) else "resnet"
    value, low, high, n = image_bootstrap(table, lambda t: _architecture_table(t).loc[resnet, "position"],
                                          n_boot=n_boot)
    ranking = _architecture_table(table)
    order = ", ".join(f"{PAPER_NAMES[a]} ({r:.2f})" for a, r in ranking["average_rank"].items())
    theirs = ("the paper's: ResNet-50 first, GoogLeNet and DenseNet-161 next" if resnet == "resnet50" else
              "the paper's order of these three: ResNet-50, GoogLeNet, AlexNet (DenseNet-161 and MobileNet-v2 "
              "not trained here)")
    return Finding(Estimate(value, low, high, n, "images", "bootstrap over images"), value,
                   f"by average rank over the 4 metrics: {order}; {theirs}",
                   unit=f"ResNet's position among our {len(ranking)} architectures")


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


def gradient_vs_perturbation(table: pd.DataFrame, profile: str, *, n_boot: int = 1000) -> Finding:
    """Section 3.3 (statistic: {"wsl": Gradient's WSL minus the best of LIME, IG, SHAP and MP, in
    points of %; "runtime": the fastest of those four's median ms per image over Gradient's},
    each bootstrapped over images, ``n_boot`` resamples), from :func:`analysis.gradient_vs_rivals`
    (vanilla and robust models). profile: the profile's name, for the note (sample counts set the
    runtimes)."""
    parts = {"wsl": gradient_wsl_lead, "runtime": gradient_speedup}
    estimates = {name: Estimate(*interval, "images", "bootstrap over images")
                 for name, interval in image_bootstraps(table, gradient_vs_rivals, parts, n_boot=n_boot).items()}
    side = gradient_vs_rivals(table)
    rivals = side.drop(index="gradient")
    best, fastest = rivals["wsl"].idxmax(), rivals["ms_per_image"].idxmin()
    return Finding(estimates,
                   f"WSL {estimates['wsl'].value:+.1f} points over the best of the four ({best}); the fastest of "
                   f"them ({fastest}) takes {estimates['runtime'].value:.1f}x Gradient's time",
                   f"Gradient {side.loc['gradient', 'ms_per_image']:.0f} ms, {fastest} "
                   f"{side.loc[fastest, 'ms_per_image']:.0f} ms per image on CPU (1 thread per worker) at the {profile} "
                   "profile's sample counts; the paper's on one GPU at its defaults")


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


def cnn_ranking(table: pd.DataFrame, cards: dict[str, dict], macs: dict[str, float], *,
                n_boot: int = 1000) -> Finding:
    """Table A4, described (its rule is not comparable; statistic: the mean over the four metrics
    of the Spearman rho between our models' means and Table A4's, over our models with a
    counterpart, bootstrap over images, ``n_boot`` resamples; metrics tied across our models
    left out), from :func:`analysis.a4_agreement`. cards: model name -> model card; macs: name ->
    MACs per image (the note's accuracy and MACs columns)."""
    def mean_rho(t: pd.DataFrame) -> float:
        means = t[t["method"] != "cam"].groupby("model")[list(METRICS)].mean()   # model_summary's metric columns
        rho = a4_agreement(means)
        return float(rho.mean()) if rho.notna().any() else np.nan

    value, low, high, _ = image_bootstrap(table, mean_rho, n_boot=n_boot)
    if not np.isfinite(value):
        raise ValueError("every metric ties across the models: no rank correlation with Table A4 is defined")
    rho = a4_agreement(model_summary(table, cards, macs))
    matched = sum(m in PAPER_A4_NAMES for m in table["model"].unique())
    return Finding(Estimate(value, low, high, matched, "models", "bootstrap over images"), round(value, 2),
                   "Spearman rho with Table A4 over the matched models: "
                   + ", ".join(f"{c} {r:+.2f}" if np.isfinite(r) else f"{c} tied" for c, r in rho.items())
                   + f" ({table['image'].nunique()} images; the paper's ranks are among 12 ImageNet CNNs)",
                   unit="mean Spearman rho of the 4 metrics with Table A4")


def fig_a2(summary: pd.DataFrame) -> Finding:
    """Fig. A2, described (its rule is not comparable; no statistic): which model is the most
    accurate and which are best under Pointing Game and Deletion. summary:
    :func:`analysis.model_summary`."""
    def best(column: str, lowest: bool = False) -> str:
        top = summary[column].min() if lowest else summary[column].max()
        return ", ".join(model_label(m) for m in summary.index[np.isclose(summary[column], top)])

    return Finding(None, f"most accurate: {best('accuracy')}; best Pointing Game: {best('pointing_game')}; "
                         f"best Deletion: {best('deletion', lowest=True)}",
                   "each model's mean over 8 methods (CAM excluded) and the study's images, as Fig. 5")


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
