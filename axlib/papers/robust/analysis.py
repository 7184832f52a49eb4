"""The robust-model study's analyses (Nourelahi et al. 2022, sections 3.1-3.6) on a study table.

A study table has one row per (model, method, image), as :func:`axlib.papers.robust.study.study_shard`
returns: columns model, method, image, confidence, pointing_game, wsl, insertion, deletion,
ms_per_image. Every function here reads such a table and returns a small DataFrame (or a
Figure); none recomputes attributions. Higher is better for every metric but Deletion.

- :func:`compare_algorithms`: vanilla vs robust per method family, images as the unit: paired
  differences, Wilcoxon signed-rank with Holm's correction, simultaneous intervals (Fig. 2).
- :func:`advprop_position`: vanilla / AdvProp / robust per architecture (Fig. 3).
- :func:`method_ranking`: methods ranked per metric over the vanilla and robust models (Fig. 4, Table A2).
- :func:`architecture_ranking`: architectures ranked per metric over their vanilla and robust models (Fig. A1, Table A5).
- :func:`runtime_table`: median wall time per image and WSL per method (Table 2).
- :func:`gradient_vs_rivals`: Gradient beside LIME, IG, SHAP and MP in WSL and runtime (section 3.3).
- :func:`model_summary`: per model means with accuracy and MACs (Fig. 5, Fig. A2).
- :func:`cnn_ranking`, :func:`cnn_ranking_beside_paper`, :func:`a4_agreement`: the models ranked per
  column as Table A4, beside the paper's ranks where a model has a counterpart.
- :func:`confidence_correlation`, :func:`metric_correlations`: Spearman rank correlations (Fig. 6).
- :func:`model_table`, :func:`tuned_pairs`, :func:`cell_counts`, :func:`per_model_scores`,
  :func:`ranking_beside_paper`, :func:`correlations_beside_paper`: the tables notebook 05 shows
  (Table 1 of our models from their cards, Table A1's comparison from the tuned settings).
- ``plot_*``: the figures (Figs. 1-6, A2 and the benchmark's canvases).

The paper's numbers shown beside ours come from :mod:`axlib.papers.robust.paper`.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.stats as _st
from matplotlib.figure import Figure

from axlib.explain.methods import FAMILIES
from axlib.intervals import bootstrap_ci, bootstrap_tail, holm
from axlib.papers.robust import paper
from axlib.papers.robust.study import METRICS, MODEL_ROLES, model_label

__all__ = ["LOWER_IS_BETTER", "PAPER_TABLE_A2", "PAPER_METRIC_CORRELATIONS", "PAPER_ARCHITECTURE_ORDER",
           "PAPER_TABLE_A4", "PAPER_A4_NAMES",
           "with_model_columns", "paired_differences", "compare_algorithms", "advprop_position", "method_ranking",
           "architecture_ranking", "runtime_table", "plot_runtime", "gradient_vs_rivals", "model_summary", "cnn_ranking",
           "cnn_ranking_beside_paper", "a4_agreement", "confidence_correlation", "metric_correlations",
           "image_bootstrap", "image_bootstraps", "method_ranks", "runtime_order_rho", "gradient_wsl_lead", "gradient_speedup",
           "model_table", "by_algorithm", "tuned_pairs", "labelled", "cell_counts", "per_model_scores", "localisation_by_family", "at_ceiling",
           "ceiling_text", "ranking_beside_paper", "correlations_beside_paper",
           "plot_comparison", "plot_advprop", "plot_ranking", "plot_accuracy_vs", "plot_accuracy_vs_pg_deletion",
           "plot_confidence",
           "plot_benchmark", "plot_maps"]

LOWER_IS_BETTER = {"deletion"}
METRIC_NAMES = {"pointing_game": "Pointing Game", "wsl": "WSL", "insertion": "Insertion",
                "deletion": "Deletion (lower is better)"}

PAPER_TABLE_A2 = pd.DataFrame(
    [(m, *paper.value(q)) for m, q in paper.TABLE_A2.items()]
    + [(m, np.nan, paper.value(paper.TABLE_2_WSL[m]), np.nan, np.nan, np.nan) for m in ("gradcam", "rise")],
    columns=["method", *paper.TABLE_A2_COLUMNS]).set_index("method")
"""Table A2 (ImageNet-CL, mean over the 10 vanilla and robust CNNs; Pointing Game and WSL in %),
from :data:`axlib.papers.robust.paper.TABLE_A2`. The GradCAM and RISE rows are cut off in our
copy of the paper's text: only their WSL is known, from Table 2. The paper's average ranks put
GradCAM and RISE in the top 3 (section 3.3)."""


def _symmetric(rows: dict) -> pd.DataFrame:
    """The full symmetric matrix of an upper triangle given as each row from its diagonal on."""
    names = list(rows)
    out = pd.DataFrame(np.nan, index=names, columns=names)
    for i, name in enumerate(names):
        for j, rho in enumerate(paper.value(rows[name]), start=i):
            out.iloc[i, j] = out.iloc[j, i] = rho
    return out


PAPER_METRIC_CORRELATIONS = _symmetric(paper.METRIC_CORRELATIONS).loc[list(METRICS), list(METRICS)]
"""Fig. 6b: Spearman rank correlation between the four metrics on ImageNet-CL
(:data:`axlib.papers.robust.paper.METRIC_CORRELATIONS`)."""


PAPER_ARCHITECTURE_ORDER = ("resnet", "googlenet", "alexnet")
"""The paper's order of our three architectures (A2.1, :data:`axlib.papers.robust.paper.ARCHITECTURE_ORDER`):
ResNet-50 first, GoogLeNet next, AlexNet among the two worst of its five."""

PAPER_TABLE_A4 = pd.DataFrame([paper.value(q) for q in paper.TABLE_A4.values()], index=list(paper.TABLE_A4),
                              columns=list(paper.TABLE_A4_COLUMNS))
"""Table A4 (ImageNet-CL, each CNN's mean over 8 methods): Pointing Game (%), WSL (%), Insertion,
Deletion, top-1 accuracy (%) and MACs (G) of the paper's 12 CNNs, from
:data:`axlib.papers.robust.paper.TABLE_A4`."""

_A4_ARCHITECTURES = {"alexnet": "AlexNet", "googlenet": "GoogleNet", "resnet": "ResNet", "resnet50": "ResNet",
                     "densenet161": "DenseNet", "mobilenetv2": "MobileNet"}
_A4_ADVPROP = {"advprop": "PGD-1", "advprop-pgd5": "PGD-5"}


def _a4_row(architecture: str, algorithm: str) -> str | None:
    """The Table A4 row of a model with this role, None where the paper has no such model."""
    if algorithm in _A4_ADVPROP:
        return _A4_ADVPROP[algorithm] if architecture in ("resnet", "resnet50") else None
    return _A4_ARCHITECTURES[architecture] + ("-R" if algorithm == "robust" else "")


PAPER_A4_NAMES = {m: row for m, role in MODEL_ROLES.items() if (row := _a4_row(*role)) is not None}
"""Our study models that have a Table A4 counterpart -> its row: the vanilla and robust AlexNet,
GoogLeNet and ResNet, and the ResNet-AdvProp (PGD-1, as the paper's PGD-1 ResNet-50). Our AlexNet-
and GoogLeNet-AdvProp have none (the paper trains AdvProp ResNet-50s only). Each of the paper
profile's ImageNet CNNs is its own row."""

_A4_LOWER_IS_BETTER = {"deletion", "macs"}


_MODEL_COLUMNS = {"architecture", "algorithm", "label", "family"}


def with_model_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The table with architecture, algorithm, label (the paper's model name) and family columns
    (a copy; a table that has all four already is copied as it is, so that statistics called
    a thousand times in a bootstrap do not derive them each time)."""
    out = table.copy()
    if _MODEL_COLUMNS.issubset(out.columns):
        return out
    unknown = set(out["model"]) - set(MODEL_ROLES)
    if unknown:
        raise ValueError(f"table has models outside the study: {sorted(unknown)}")
    out["architecture"] = out["model"].map(lambda m: MODEL_ROLES[m][0])
    out["algorithm"] = out["model"].map(lambda m: MODEL_ROLES[m][1])
    out["label"] = out["model"].map(model_label)
    out["family"] = out["method"].map(FAMILIES)
    return out


def _better(metric: str, a: float, b: float) -> bool:
    """Whether score b is better than score a under ``metric``."""
    return b < a if metric in LOWER_IS_BETTER else b > a


def paired_differences(table: pd.DataFrame, group: str, metric: str, a: str = "vanilla", b: str = "robust", *,
                       by: str = "family") -> tuple[pd.Series, int]:
    """Per image, the mean over (architecture, method) pairs of ``b``'s score minus ``a``'s.

    Images are the unit: the maps of one image (its architectures and methods) are averaged
    into one difference, pairing the ``a`` and ``b`` model of the same architecture on the same
    method and image.

    Parameters
    ----------
    table : pandas.DataFrame
        A study table.
    group : str
        The method family (or method, with ``by="method"``).
    metric : str
        A column of :data:`METRICS`.
    a, b : str, default "vanilla", "robust"
        The two training algorithms.
    by : {"family", "method"}
        What ``group`` names.

    Returns
    -------
    tuple
        (pandas.Series of differences indexed by image, the number of images whose compared maps
        do not all score the same: an image where every map ties, e.g. at a metric's ceiling,
        carries no information about a difference).
    """
    t = with_model_columns(table)
    part = t[(t[by] == group) & t["algorithm"].isin((a, b))]
    wide = part.pivot_table(index=["architecture", "method", "image"], columns="algorithm", values=metric,
                            aggfunc="mean").dropna()
    if a not in wide or b not in wide:
        return pd.Series(dtype=float), 0
    differences = (wide[b] - wide[a]).groupby(level="image").mean()
    informative = int((part.groupby("image")[metric].nunique() > 1).sum())
    return differences, informative


def _resamples(n: int, level: float, per_tail: int = 25) -> int:
    """Bootstrap resamples (2,000 at least) so that at least ``per_tail`` of them lie beyond each
    end of an interval at ``level`` over n units: a Bonferroni level puts the ends so far out
    that 2,000 resamples would leave only a few beyond each, and the ends would be noise."""
    tail = bootstrap_tail(n, level)
    return 2000 if tail == 0 else max(2000, math.ceil(per_tail / tail))


def compare_algorithms(table: pd.DataFrame, a: str = "vanilla", b: str = "robust", *,
                       by: str = "family", alpha: float = 0.05, seed: int = 0) -> pd.DataFrame:
    """Algorithm ``a`` vs ``b`` per ``by`` group ("family" or "method") and metric, images as the unit.

    The paper's Fig. 2 pools every map of every architecture into a Mann-Whitney U test; maps
    of one image are not independent, so here each image gives one paired difference
    (:func:`paired_differences`), tested with the two-sided Wilcoxon signed-rank test, and the
    family of all rows is corrected by Holm's method (:func:`axlib.intervals.holm`). Each
    difference carries a bootstrap interval over images (expanded percentile) at the Bonferroni level
    1 - alpha / rows, simultaneous over the family (the rules read it).

    Returns
    -------
    pandas.DataFrame
        One row per (group, metric): mean_a, mean_b, difference (b - a, mean over images), low,
        high, level, n_images, n_informative, p (Wilcoxon), p_holm, and winner: ``b`` or ``a``
        when p_holm < alpha (by the better score under the metric), else "no difference".
    """
    t = with_model_columns(table)
    rows, diffs = [], []
    for group, part in t.groupby(by, sort=False):
        for metric in METRICS:
            d, informative = paired_differences(part, group, metric, a, b, by=by)
            if d.empty:
                continue
            nonzero = d.to_numpy()[d.to_numpy() != 0]
            p = 1.0 if nonzero.size == 0 else float(_st.wilcoxon(d.to_numpy(), zero_method="wilcox").pvalue)
            rows.append({by: group, "metric": metric,
                         f"mean_{a}": part.loc[part["algorithm"] == a, metric].mean(),
                         f"mean_{b}": part.loc[part["algorithm"] == b, metric].mean(),
                         "difference": float(d.mean()), "n_images": len(d), "n_informative": informative, "p": p})
            diffs.append(d.to_numpy())
    if not rows:
        return pd.DataFrame(rows)
    out = pd.DataFrame(rows)
    level = 1 - alpha / len(out)
    bounds = [bootstrap_ci(np.mean, d, level=level, seed=seed, n_boot=_resamples(len(d), level))[1:] for d in diffs]
    out["low"], out["high"] = [lo for lo, _ in bounds], [hi for _, hi in bounds]
    out["level"] = level
    out["p_holm"] = holm(out["p"].to_numpy())
    better_b = [(row.difference < 0) if row.metric in LOWER_IS_BETTER else (row.difference > 0)
                for row in out.itertuples()]
    out["winner"] = [("no difference" if row.p_holm >= alpha else (b if better else a))
                     for row, better in zip(out.itertuples(), better_b)]
    return out


def advprop_position(table: pd.DataFrame) -> pd.DataFrame:
    """Mean score (over methods and images) of the vanilla, AdvProp and robust model of each
    architecture that has all three, per metric, and whether AdvProp lies strictly between the
    other two (no rows when no architecture has all three)."""
    t = with_model_columns(table)
    mean = t.groupby(["architecture", "algorithm"])[list(METRICS)].mean()
    rows = []
    for arch in t["architecture"].unique():
        if not all((arch, g) in mean.index for g in ("vanilla", "advprop", "robust")):
            continue
        for metric in METRICS:
            v, ap, r = (mean.loc[(arch, g), metric] for g in ("vanilla", "advprop", "robust"))
            rows.append({"architecture": arch, "metric": metric, "vanilla": v, "advprop": ap, "robust": r,
                         "between": bool(min(v, r) < ap < max(v, r))})
    return pd.DataFrame(rows, columns=["architecture", "metric", "vanilla", "advprop", "robust", "between"])


def method_ranking(table: pd.DataFrame, *, algorithms=("vanilla", "robust"), exclude=("cam",)) -> pd.DataFrame:
    """Methods ranked per metric as the paper's Table A2: the mean score of each method on each
    model (vanilla and robust models; CAM excluded as it does not run on every architecture),
    then mean and std over the models, rank 1 = best (Deletion: lowest), and the average rank
    over the four metrics. Pointing Game and WSL in % like the paper."""
    t = with_model_columns(table)
    t = t[t["algorithm"].isin(algorithms) & ~t["method"].isin(exclude)]
    per_model = t.groupby(["method", "model"])[list(METRICS)].mean()
    per_model[["pointing_game", "wsl"]] *= 100
    mean = per_model.groupby("method").mean()
    std = per_model.groupby("method").std(ddof=0)
    out = pd.DataFrame(index=mean.index)
    for metric in METRICS:
        out[metric] = mean[metric]
        out[f"{metric}_std"] = std[metric]
        out[f"{metric}_rank"] = mean[metric].rank(ascending=metric in LOWER_IS_BETTER, method="min").astype(int)
    out["average_rank"] = out[[f"{m}_rank" for m in METRICS]].mean(axis=1)
    return out.sort_values("average_rank", kind="stable")


def architecture_ranking(table: pd.DataFrame, *, algorithms=("vanilla", "robust"), exclude=("cam",)) -> pd.DataFrame:
    """Architectures ranked per metric as the paper's Fig. A1 and Table A5.

    Per architecture that has a model of every one of ``algorithms`` (an architecture with its
    vanilla model alone, as the paper profile's AlexNet, would be compared on other terms) and
    metric, the mean over the maps of its ``algorithms`` models (the paper: vanilla and robust,
    AdvProp left out for a fair comparison) and of every method but
    ``exclude`` (CAM: it does not run on AlexNet), Pointing Game and WSL in %; rank 1 = best
    (Deletion: lowest; ties share the best rank, as Table A2); the average rank over the four
    metrics, and the position by average rank (1 = best; a tie shares the mean position).

    Parameters
    ----------
    table : pandas.DataFrame
        A study table.
    algorithms, exclude : sequence of str
        Training algorithms kept; methods left out.

    Returns
    -------
    pandas.DataFrame
        One row per architecture, by position: each metric and ``<metric>_rank``,
        ``average_rank``, ``position`` and ``paper position`` (the architecture's place among
        ours in the paper's order, :data:`PAPER_ARCHITECTURE_ORDER`).
    """
    t = with_model_columns(table)
    t = t[t["algorithm"].isin(algorithms) & ~t["method"].isin(exclude)]
    complete = t.groupby("architecture")["algorithm"].nunique() == len(set(algorithms))
    t = t[t["architecture"].isin(complete[complete].index)]        # architectures with every algorithm
    mean = t.groupby("architecture")[list(METRICS)].mean()
    mean[["pointing_game", "wsl"]] *= 100
    out = pd.DataFrame(index=mean.index)
    for metric in METRICS:
        out[metric] = mean[metric]
        out[f"{metric}_rank"] = mean[metric].rank(ascending=metric in LOWER_IS_BETTER, method="min")
    out["average_rank"] = out[[f"{m}_rank" for m in METRICS]].mean(axis=1)
    out["position"] = out["average_rank"].rank(method="average")
    order = [a for a in PAPER_ARCHITECTURE_ORDER if a in out.index]
    out["paper position"] = [order.index(a) + 1 if a in order else np.nan for a in out.index]
    return out.sort_values("position", kind="stable")


def runtime_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per method: median wall time per image in ms (over shards and models), the mean WSL (%)
    over the vanilla and robust models with its std over models, and the paper's runtime."""
    t = with_model_columns(table)
    ms = t.groupby("method")["ms_per_image"].median()
    vr = t[t["algorithm"].isin(("vanilla", "robust"))]
    wsl = vr.groupby(["method", "model"])["wsl"].mean().mul(100).groupby("method")
    out = pd.DataFrame({"wsl": wsl.mean(), "wsl_std": wsl.std(ddof=0), "ms_per_image": ms})
    out["paper_ms_per_image"] = pd.Series(paper.TABLE_2_MS)
    return out.sort_values("wsl", ascending=False)


def plot_runtime(runtime: pd.DataFrame) -> Figure:
    """Table 2 as a picture: milliseconds per image of each method on a log scale, ours (bars:
    the study set's images on this machine) beside the paper's (diamonds: 224 x 224 on its GPUs), the
    methods in the paper's order. Only the order compares: models, inputs and hardware differ.

    runtime: :func:`runtime_table`. Returns the Figure."""
    t = runtime.dropna(subset=["ms_per_image"]).sort_values("paper_ms_per_image", na_position="last")
    fig = Figure(figsize=(6.4, 0.45 * len(t) + 1.6), layout="constrained")
    ax = fig.subplots()
    rows = np.arange(len(t))
    ax.barh(rows, t["ms_per_image"], color="#4c72b0", label="ours: median ms per image of the study set, this machine")
    known = t["paper_ms_per_image"].notna().to_numpy()
    ax.scatter(t["paper_ms_per_image"][known], rows[known], marker="D", color="#c44e52", zorder=3,
               label="paper: ms per 224x224 image, its GPUs (Table 2)")
    ax.set_yticks(rows, list(t.index))
    ax.set_xscale("log")
    low = np.nanmin(np.concatenate([t["ms_per_image"].to_numpy(), t["paper_ms_per_image"].to_numpy()]))
    ax.set_xlim(left=low / 3)                        # bars on a log axis start at its left edge
    ax.set_xlabel("milliseconds per image (log scale)")
    ax.set_title("Robust-CNN study Table 2: runtime per method")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), frameon=False)
    return fig


def gradient_vs_rivals(table: pd.DataFrame) -> pd.DataFrame:
    """Section 3.3: Gradient beside the four methods the paper says it outperforms in WSL and
    runtime (LIME, IG, SHAP, MP: :data:`axlib.papers.robust.paper.GRADIENT_RIVALS`), over the
    vanilla and robust models as the paper's 10 CNNs.

    Returns
    -------
    pandas.DataFrame
        Rows gradient, lime, ig, shap, mp: ``wsl`` (%, the mean over models of each model's mean),
        ``ms_per_image`` (median over the maps), and Table 2's ``paper_wsl`` and ``paper_ms_per_image``.

    Raises
    ------
    ValueError
        If the table lacks one of the five methods on its vanilla and robust models.
    """
    methods = ["gradient", *paper.GRADIENT_RIVALS]
    t = with_model_columns(table)
    t = t[t["algorithm"].isin(("vanilla", "robust")) & t["method"].isin(methods)]
    missing = sorted(set(methods) - set(t["method"]))
    if missing:
        raise ValueError(f"table has no maps of {missing} on vanilla or robust models")
    wsl = t.groupby(["method", "model"])["wsl"].mean().mul(100).groupby("method").mean()
    out = pd.DataFrame({"wsl": wsl, "ms_per_image": t.groupby("method")["ms_per_image"].median()}).loc[methods]
    out["paper_wsl"] = pd.Series(paper.value(paper.TABLE_2_WSL))
    out["paper_ms_per_image"] = pd.Series(paper.TABLE_2_MS)
    return out


def model_summary(table: pd.DataFrame, cards: dict[str, dict], macs: dict[str, float]) -> pd.DataFrame:
    """Per model: mean of each metric over its methods (CAM excluded, as Fig. 5) and images,
    mean confidence, test accuracy (from ``cards``: name -> model card) and MACs
    (``macs``: name -> multiply-accumulates per image). Also whether the model is on the
    Pareto front of accuracy and each localisation metric."""
    t = with_model_columns(table)
    t = t[t["method"] != "cam"]
    out = t.groupby("model")[list(METRICS) + ["confidence"]].mean()
    out["label"] = [model_label(m) for m in out.index]
    out["accuracy"] = [cards[m]["test_accuracy"] for m in out.index]
    out["macs"] = [macs[m] for m in out.index]
    acc = out["accuracy"].to_numpy(dtype=float)
    for metric in ("pointing_game", "wsl", "insertion"):
        score = out[metric].to_numpy(dtype=float)
        # dominated[j, m]: model j is at least as good as m in both and better in one
        dominated = ((acc[:, None] >= acc[None]) & (score[:, None] >= score[None])
                     & ((acc[:, None] > acc[None]) | (score[:, None] > score[None])))
        out[f"pareto_{metric}"] = ~dominated.any(axis=0)
    return out


def cnn_ranking(summary: pd.DataFrame) -> pd.DataFrame:
    """Our models ranked per column as the paper's Table A4.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`model_summary` (per model: the four metrics' means over 8 methods and the images,
        accuracy, MACs).

    Returns
    -------
    pandas.DataFrame
        One row per model (the paper's way of naming it): the columns of
        :data:`axlib.papers.robust.paper.TABLE_A4_COLUMNS` (Pointing Game, WSL and accuracy in %,
        MACs in millions per 64x64 image) each with ``<column>_rank`` (1 = best: highest, but
        lowest Deletion and fewest MACs; ties share the best rank, as Table A4).
    """
    values = summary[list(paper.TABLE_A4_COLUMNS)].astype(float)
    values[["pointing_game", "wsl", "accuracy"]] *= 100
    values["macs"] /= 1e6
    out = pd.DataFrame(index=[model_label(m) for m in values.index])
    for col in paper.TABLE_A4_COLUMNS:
        out[col] = values[col].to_numpy()
        out[f"{col}_rank"] = values[col].rank(ascending=col in _A4_LOWER_IS_BETTER, method="min").astype(int).to_numpy()
    return out


def _a4_pairs(summary: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Our values and the paper's (Table A4) for the models of ``summary`` with a counterpart,
    both indexed by our model's label."""
    columns = [c for c in paper.TABLE_A4_COLUMNS if c in summary]
    ours = summary.loc[[m for m in summary.index if m in PAPER_A4_NAMES], columns].astype(float)
    theirs = PAPER_TABLE_A4.loc[[PAPER_A4_NAMES[m] for m in ours.index], columns]
    ours.index = theirs.index = [model_label(m) for m in ours.index]
    return ours, theirs


def cnn_ranking_beside_paper(summary: pd.DataFrame) -> pd.DataFrame:
    """Each column's rank among our models with a Table A4 counterpart (:data:`PAPER_A4_NAMES`),
    ours beside the paper's values ranked among the same CNNs (1 = best, as :func:`cnn_ranking`).

    summary: :func:`model_summary`. Returns one row per such model (our names; ResNet-AdvProp
    stands for the paper's PGD-1) and columns (Table A4 column, "ours" | "paper")."""
    ours, theirs = _a4_pairs(summary)
    ranks = {}
    for col in paper.TABLE_A4_COLUMNS:
        for who, frame in (("ours", ours), ("paper", theirs)):
            ranks[(col, who)] = frame[col].rank(ascending=col in _A4_LOWER_IS_BETTER, method="min").astype(int)
    return pd.DataFrame(ranks)


def a4_agreement(summary: pd.DataFrame) -> pd.Series:
    """Spearman rho between our values and Table A4's over the models with a counterpart, per
    column of :data:`axlib.papers.robust.paper.TABLE_A4_COLUMNS` that ``summary`` has (NaN where
    either side ties every model, e.g. a metric at its ceiling). summary: :func:`model_summary`,
    or any frame indexed by model name with some of those columns."""
    ours, theirs = _a4_pairs(summary)
    return pd.Series({col: float(_st.spearmanr(ours[col], theirs[col]).statistic)
                      if ours[col].nunique() > 1 and theirs[col].nunique() > 1 else np.nan
                      for col in ours.columns})


def confidence_correlation(table: pd.DataFrame, metric: str = "deletion") -> dict:
    """Spearman correlation of ``metric`` with the model's confidence in the label (section 3.5).

    network: between each model's mean confidence and its mean score (vanilla and robust
    models, the paper's 10 CNNs; here 6); image: between confidence and score over every
    (model, method, image) row of those models. Returns {"network": rho, "network_n",
    "network_p", "image": rho, "image_n", "image_p"}.
    """
    t = with_model_columns(table)
    t = t[t["algorithm"].isin(("vanilla", "robust"))]
    per_model = t.groupby("model")[["confidence", metric]].mean()
    net = _st.spearmanr(per_model["confidence"], per_model[metric])
    img = _st.spearmanr(t["confidence"], t[metric])
    return {"network": float(net.statistic), "network_n": len(per_model), "network_p": float(net.pvalue),
            "image": float(img.statistic), "image_n": len(t), "image_p": float(img.pvalue)}


def metric_correlations(table: pd.DataFrame) -> pd.DataFrame:
    """4 x 4 Spearman rank correlations between the metrics over all rows (Fig. 6b); WSL as the
    IoU when the table has it (the binary WSL ties most pairs), else the 0/1 score."""
    cols = ["pointing_game", "wsl_iou" if "wsl_iou" in table else "wsl", "insertion", "deletion"]
    rho = table[cols].corr(method="spearman")
    rho.index = rho.columns = list(METRICS)
    return rho


# --------------------------------------------------------------------------- intervals over images
def image_bootstrap(table: pd.DataFrame, statistic, *, seed: int = 0, n_boot: int = 1000) -> tuple[float, float, float, int]:
    """``statistic(table)`` with a bootstrap 95 % interval over the table's images.

    Images are the unit: every row of an image (all its models and methods) is resampled
    together, so maps of one image never count as independent.

    Parameters
    ----------
    table : pandas.DataFrame
        A study table (one row per model, method, image).
    statistic : callable
        ``statistic(sub_table) -> float``.
    seed : int, default 0
        Seed of the resampling.
    n_boot : int, default 1000
        Bootstrap resamples.

    Returns
    -------
    tuple
        (estimate, low, high, n_images).
    """
    return image_bootstraps(table, statistic, {"value": float}, seed=seed, n_boot=n_boot)["value"]


def image_bootstraps(table: pd.DataFrame, prepare, picks: dict, *, seed: int = 0,
                     n_boot: int = 1000) -> dict[str, tuple[float, float, float, int]]:
    """Several statistics of one intermediate, each with :func:`image_bootstrap`'s interval:
    ``prepare(sub_table)`` runs once per resample of images (the resamples are the same for
    every pick: same seed), and each ``picks[name](prepared) -> float`` reads its statistic from it.

    Returns {name: (estimate, low, high, n_images)}.
    """
    table = with_model_columns(table)                           # derived once, not per resample
    codes, images = pd.factorize(table["image"], sort=True)
    rows = [np.flatnonzero(codes == i) for i in range(len(images))]
    prepared: dict[bytes, object] = {}

    def on_images(picked: np.ndarray):
        key = picked.tobytes()
        if key not in prepared:
            prepared[key] = prepare(table.iloc[np.concatenate([rows[int(i)] for i in picked])])
        return prepared[key]

    units = np.arange(len(images))
    return {name: (*bootstrap_ci(lambda picked, pick=pick: float(pick(on_images(picked))), units,
                                 n_boot=n_boot, seed=seed), len(images))
            for name, pick in picks.items()}


def method_ranks(table: pd.DataFrame) -> pd.DataFrame:
    """Each method's rank per metric and its position by average rank (1 = best), from
    :func:`method_ranking`: columns ``<metric>_rank`` and ``position``."""
    ranking = method_ranking(table)
    out = ranking[[f"{m}_rank" for m in METRICS]].copy()
    out["position"] = np.arange(1, len(ranking) + 1)
    return out


def runtime_order_rho(table: pd.DataFrame) -> float:
    """Spearman rho between our median ms per image per method and Table 2's runtime, over the
    methods both have (the paper's ordering of the methods by cost)."""
    ms = with_model_columns(table).groupby("method")["ms_per_image"].median()
    theirs = pd.Series(paper.TABLE_2_MS).reindex(ms.index).dropna()
    return float(_st.spearmanr(ms[theirs.index], theirs).statistic)


def gradient_wsl_lead(side: pd.DataFrame) -> float:
    """Gradient's WSL minus the best WSL of LIME, IG, SHAP and MP, in points of %; side:
    :func:`gradient_vs_rivals` of a table."""
    return float(side.loc["gradient", "wsl"] - side.loc[list(paper.GRADIENT_RIVALS), "wsl"].max())


def gradient_speedup(side: pd.DataFrame) -> float:
    """The median ms per image of the fastest of LIME, IG, SHAP and MP over Gradient's (above 1
    when Gradient is faster); side: :func:`gradient_vs_rivals` of a table."""
    ms = side["ms_per_image"]
    return float(ms[list(paper.GRADIENT_RIVALS)].min() / ms["gradient"])


# --------------------------------------------------------------------------- models and tables of the page
def model_table(cards: dict[str, dict], macs: dict[str, float]) -> pd.DataFrame:
    """Table 1 of the page's models: one row per model of ``cards`` (name -> card, from
    :func:`axlib.papers.robust.study.model_cards`; the paper's name), with its parameters,
    MMACs (``macs``: name -> multiply-accumulates per image of the study set), test accuracy
    (%), the upstream's reported top-1 (%) beside it for a pretrained model (the paper's Table 1
    equals torchvision's to 0.1 point), L2 PGD-7 accuracy (%), mean ± std confidence on
    correctly classified images (text),
    training ("vanilla", the adversarial method, or "pretrained" for a model its upstream
    trained), epochs and training minutes (None for a pretrained model)."""
    missing = [m for m in cards if m not in macs]
    if not cards or missing:
        raise ValueError(f"cards must name a model and macs cover every model of cards; missing {missing}")
    rows = []
    for m, card in cards.items():
        conf, recipe, wall = card["confidence_correct"], card["recipe"], card["train_wall_seconds"]
        rows.append({
            "model": model_label(m), "parameters": card["parameters"], "MMACs": macs[m] / 1e6,
            "test accuracy (%)": 100 * card["test_accuracy"],
            **({"upstream top-1 (%)": 100 * card["reported_top1"]} if card.get("reported_top1") is not None else {}),
            "L2 PGD-7 accuracy (%)": 100 * card["robustness"]["adversarial_accuracy"],
            "confidence (correct)": f'{conf["mean"]:.2f} ± {conf["std"]:.2f}',
            "training": "pretrained" if recipe is None else recipe.get("adversarial", {}).get("method", "vanilla"),
            "epochs": None if recipe is None else recipe["epochs"],
            "train minutes": None if wall is None else round(wall / 60, 1)})
    return pd.DataFrame(rows).set_index("model")


def by_algorithm(cards: dict[str, dict], key) -> dict[str, dict[str, object]]:
    """algorithm -> {architecture: ``key(card)``} over the models of ``cards`` (name -> card), in
    their order: the vanilla, robust and AdvProp model of an architecture are then paired by
    architecture, whichever of them a profile has."""
    out: dict[str, dict[str, object]] = {}
    for m, card in cards.items():
        arch, algorithm = MODEL_ROLES[m]
        out.setdefault(algorithm, {})[arch] = key(card)
    return out


def _pairs(models, a: str, b: str) -> list[tuple[str, str, str]]:
    """(architecture, model a, model b) for each architecture of ``models`` with both algorithms."""
    roles = {MODEL_ROLES[m]: m for m in models}
    return [(arch, roles[(arch, a)], roles[(arch, b)]) for arch in dict.fromkeys(MODEL_ROLES[m][0] for m in models)
            if (arch, a) in roles and (arch, b) in roles]


def tuned_pairs(tuned: dict[str, dict], models) -> pd.DataFrame:
    """Per architecture of ``models`` with a vanilla and a robust model: the tuned MP iterations
    and RISE mask size of both, as (vanilla, robust) pairs (Table A1's comparison).
    tuned: {model: {method: settings}} (:func:`axlib.papers.robust.study.best_settings`)."""
    rows = [{"architecture": arch,
             "MP iterations (vanilla, robust)": (tuned[v]["mp"]["iterations"], tuned[r]["mp"]["iterations"]),
             "RISE mask size (vanilla, robust)": (tuned[v]["rise"]["mask_size"], tuned[r]["rise"]["mask_size"])}
            for arch, v, r in sorted(_pairs(models, "vanilla", "robust"))]
    return pd.DataFrame(rows, columns=["architecture", "MP iterations (vanilla, robust)",
                                       "RISE mask size (vanilla, robust)"]).set_index("architecture")


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its index of model names replaced by the paper's model names."""
    out = frame.copy()
    out.index = [model_label(m) for m in out.index]
    return out


def cell_counts(table: pd.DataFrame) -> pd.DataFrame:
    """Maps scored per model (rows, the paper's names) and method (columns); 0 where none."""
    return labelled(table.groupby(["model", "method"]).size().unstack("method")).fillna(0).astype(int)


def per_model_scores(table: pd.DataFrame) -> pd.DataFrame:
    """Mean of each metric per model (rows: the paper's names, in table order) and method."""
    return with_model_columns(table).pivot_table(index=["label"], columns="method", values=list(METRICS),
                                                 aggfunc="mean", sort=False)


def localisation_by_family(table: pd.DataFrame) -> pd.DataFrame:
    """Pointing Game and both WSL rules per method family and training algorithm, in %.

    Rows: (family, algorithm); columns: ``pointing_game``, ``wsl`` (MaxBoxAcc, the WSOL
    framework's rule the paper cites: each model and method at its own best threshold),
    ``wsl_fixed`` (CAM's rule: threshold 0.2 of the map's range), each the mean over the
    family's (model, method, image) maps, and ``maps``, their number.
    """
    t = with_model_columns(table)
    grouped = t.groupby(["family", "algorithm"], sort=False)
    out = grouped[["pointing_game", "wsl", "wsl_fixed"]].mean().mul(100)
    out["maps"] = grouped.size()
    order = [(f, a) for f in ("gradient", "cam", "perturbation") for a in ("vanilla", "advprop", "robust")]
    return out.reindex([i for i in order if i in out.index])


def at_ceiling(table: pd.DataFrame, metric: str = "pointing_game", level: float = 0.99) -> dict:
    """How many methods have a mean ``metric`` >= ``level`` over all maps: {"at_ceiling",
    "methods", "mean" (over every map)}."""
    mean = table.groupby("method")[metric].mean()
    return {"at_ceiling": int((mean >= level).sum()), "methods": len(mean), "mean": float(table[metric].mean())}


def ceiling_text(ceiling: dict) -> str:
    """The page's reading of Pointing Game's :func:`at_ceiling` (Markdown): Pointing Game cannot
    separate the models for the methods at the ceiling (all of them when most are)."""
    at, methods = ceiling["at_ceiling"], ceiling["methods"]
    text = (f"Pointing Game is at its ceiling on this benchmark for {at} of {methods} methods "
            f"(mean over all maps {ceiling['mean']:.3f})")
    if not at:
        return text + "."
    which = "" if 2 * at > methods else "for those methods "
    return (text + f": a 32x32 object on a smooth background is easy to point at, so {which}Pointing Game cannot "
            "separate the models here; WSL, which needs the map's extent, can.")


def ranking_beside_paper(ranking: pd.DataFrame) -> pd.DataFrame:
    """Our ranking (:func:`method_ranking`: each metric and its rank, the average rank) beside the
    paper's average rank and WSL (%) of Table A2 / Table 2."""
    cols = [c for m in METRICS for c in (m, f"{m}_rank")] + ["average_rank"]
    side = ranking[cols].copy()
    side["paper average rank"] = PAPER_TABLE_A2["average_rank"]
    side["paper WSL (%)"] = PAPER_TABLE_A2["wsl"]
    return side


def correlations_beside_paper(rho: pd.DataFrame) -> pd.DataFrame:
    """Our metric correlations (:func:`metric_correlations`, rounded to 2 decimals) beside Fig. 6b's."""
    return pd.concat({"ours": rho.round(2), "paper (ImageNet-CL)": PAPER_METRIC_CORRELATIONS}, axis=1)


# --------------------------------------------------------------------------- figures
def _figure(n: int, width: float = 3.2, height: float = 2.8):
    fig = Figure(figsize=(width * n, height))
    return fig, fig.subplots(1, n, squeeze=False)[0]


def _bar_panels(t: pd.DataFrame, x: str, hue_order: list[str]) -> Figure:
    """One seaborn bar panel per metric: ``x`` groups, bars by algorithm (95 % CI, seed 0), the
    legend on the last panel only."""
    import seaborn as sns
    fig, axes = _figure(4)
    for ax, metric in zip(axes, METRICS):
        sns.barplot(data=t, x=x, y=metric, hue="algorithm", hue_order=hue_order, ax=ax,
                    errorbar=("ci", 95), seed=0)
        ax.set_title(METRIC_NAMES[metric])
        ax.set_xlabel("")
        ax.set_ylabel("")
        if ax is not axes[-1] and ax.get_legend() is not None:
            ax.get_legend().remove()
    return fig


def plot_comparison(table: pd.DataFrame, a: str = "vanilla", b: str = "robust") -> Figure:
    """Fig. 2: mean score of ``a`` and ``b`` models per method family, one panel per metric."""
    t = with_model_columns(table)
    return _bar_panels(t[t["algorithm"].isin((a, b))], "family", [a, b])


def plot_advprop(table: pd.DataFrame) -> Figure:
    """Fig. 3: vanilla, AdvProp and robust models of each architecture, one panel per metric."""
    return _bar_panels(with_model_columns(table), "architecture", ["vanilla", "advprop", "robust"])


def plot_ranking(ranking: pd.DataFrame) -> Figure:
    """Fig. 4: each method's mean over models (error bar: std over models), one panel per metric."""
    fig, axes = _figure(4, width=3.4)
    for ax, metric in zip(axes, METRICS):
        order = ranking.sort_values(metric, ascending=metric in LOWER_IS_BETTER)
        ax.barh(order.index, order[metric], xerr=order[f"{metric}_std"], color="tab:blue", alpha=0.8)
        ax.invert_yaxis()
        ax.set_title(METRIC_NAMES[metric])
    return fig


def plot_accuracy_vs(summary: pd.DataFrame, metrics=("wsl", "insertion")) -> Figure:
    """Fig. 5: test accuracy against mean explainability per model, marker size ~ MACs."""
    fig, axes = _figure(len(metrics), width=4.2, height=3.4)
    size = 40 + 160 * summary["macs"] / summary["macs"].max()
    for ax, metric in zip(axes, metrics):
        ax.scatter(summary["accuracy"] * 100, summary[metric], s=size, alpha=0.7)
        for _, row in summary.iterrows():
            ax.annotate(row["label"], (row["accuracy"] * 100, row[metric]), fontsize=7,
                        xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel("test accuracy (%)")
        ax.set_ylabel(METRIC_NAMES[metric])
    return fig


def plot_accuracy_vs_pg_deletion(summary: pd.DataFrame) -> Figure:
    """Fig. A2: test accuracy against mean Pointing Game and Deletion per model, marker size ~
    MACs (:func:`plot_accuracy_vs`); Deletion's axis is inverted so that better is up in both
    panels and the ideal corner is the top right, as in Fig. 5."""
    fig = plot_accuracy_vs(summary, ("pointing_game", "deletion"))
    ax = fig.axes[1]
    ax.invert_yaxis()
    ax.set_ylabel("Deletion (axis inverted)")
    ax.set_title("lower Deletion is better: up", fontsize=9)
    return fig


def plot_confidence(table: pd.DataFrame) -> Figure:
    """Fig. 6a (VI): per model, mean confidence against mean Insertion and Deletion."""
    t = with_model_columns(table)
    per_model = t.groupby("label")[["confidence", "insertion", "deletion"]].mean()
    fig, axes = _figure(2, width=4.0, height=3.2)
    for ax, metric in zip(axes, ("insertion", "deletion")):
        ax.scatter(per_model["confidence"], per_model[metric])
        for label, row in per_model.iterrows():
            ax.annotate(label, (row["confidence"], row[metric]), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")
        ax.set_xlabel("mean confidence in the label")
        ax.set_ylabel(METRIC_NAMES[metric])
    return fig


def plot_benchmark(data, classes, ncols: int = 6) -> Figure:
    """The study's images with the object's box kept bright and the rest dimmed, titled with
    the class. data: a :class:`~axlib.data.boxes.LocalisationSet` (x (B, 3, H, W) in [0, 1]);
    classes: the class names by label (:func:`axlib.papers.robust.study.class_names`)."""
    from axlib import plots
    from axlib.data.boxes import box_masks

    height, width = data.x.shape[-2:]
    shaded = data.x * (0.55 + 0.45 * box_masks(data.boxes, height, width)[:, None])
    return plots.show_images(shaded, [classes[int(c)] for c in data.y], ncols=ncols)


def plot_maps(maps, titles, ncols: int = 9, size: float = 1.4) -> Figure:
    """Attribution maps (B, H, W), each scaled to [0, 1] on its own, in grey, titled."""
    from axlib import plots

    flat = maps.flatten(1)
    low, high = flat.min(1)[0][:, None, None], flat.max(1)[0][:, None, None]
    scaled = (maps - low) / (high - low + 1e-12)
    return plots.show_images(scaled[:, None].expand(-1, 3, -1, -1), titles, ncols=ncols, size=size)
