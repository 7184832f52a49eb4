"""The robust-model study's analyses (Nourelahi et al. 2022, sections 3.1-3.6) on a study table.

A study table has one row per (model, method, image), as :func:`axlib.papers.robust.study.study_shard`
returns: columns model, method, image, confidence, pointing_game, wsl, insertion, deletion,
ms_per_image. Every function here reads such a table and returns a small DataFrame (or a
Figure); none recomputes attributions. Higher is better for every metric but Deletion.

- :func:`compare_algorithms`: vanilla vs robust per method family, Mann-Whitney U (Fig. 2).
- :func:`advprop_position`: vanilla / AdvProp / robust per architecture (Fig. 3).
- :func:`method_ranking`: methods ranked per metric over the vanilla and robust models (Fig. 4, Table A2).
- :func:`runtime_table`: median wall time per image and WSL per method (Table 2).
- :func:`model_summary`: per model means with accuracy and MACs (Fig. 5).
- :func:`confidence_correlation`, :func:`metric_correlations`: Spearman rank correlations (Fig. 6).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.stats as _st
from matplotlib.figure import Figure

from axlib.explain.methods import FAMILIES
from axlib.papers.robust.study import METRICS, STUDY_MODELS, model_label

__all__ = ["LOWER_IS_BETTER", "PAPER_TABLE_A2", "PAPER_TABLE_2_MS", "PAPER_METRIC_CORRELATIONS",
           "with_model_columns", "compare_algorithms", "advprop_position", "method_ranking",
           "runtime_table", "model_summary", "confidence_correlation", "metric_correlations",
           "plot_comparison", "plot_advprop", "plot_ranking", "plot_accuracy_vs", "plot_confidence"]

LOWER_IS_BETTER = {"deletion"}
METRIC_NAMES = {"pointing_game": "Pointing Game", "wsl": "WSL", "insertion": "Insertion",
                "deletion": "Deletion (lower is better)"}

PAPER_TABLE_A2 = pd.DataFrame(
    [("ep", 89.70, 59.06, 0.59, 0.08, 2.75), ("ig", 82.24, 44.97, 0.53, 0.06, 4.5),
     ("shap", 81.91, 42.61, 0.53, 0.05, 4.75), ("lime", 78.01, 45.47, 0.56, 0.07, 4.75),
     ("gradient", 78.36, 47.03, 0.50, 0.08, 6.0), ("mp", 70.14, 31.58, 0.56, 0.08, 6.5),
     ("gradcam", np.nan, 62.29, np.nan, np.nan, np.nan), ("rise", np.nan, 56.72, np.nan, np.nan, np.nan)],
    columns=["method", "pointing_game", "wsl", "insertion", "deletion", "average_rank"]).set_index("method")
"""Table A2 (ImageNet-CL, mean over the 10 vanilla and robust CNNs; Pointing Game and WSL in %).
The GradCAM and RISE rows are cut off in our copy of the paper's text: only their WSL is known,
from Table 2. The paper's average ranks put GradCAM and RISE in the top 3 (section 3.3)."""

PAPER_TABLE_2_MS = {"cam": 108, "gradcam": 34, "ep": 32063, "rise": 8485, "gradient": 26,
                    "lime": 7234, "ig": 196, "shap": 1137, "mp": 7530}
"""Table 2: median runtime per 224x224 image in milliseconds, on the paper's GPUs."""

PAPER_METRIC_CORRELATIONS = pd.DataFrame(
    [[1, 0.82, 0.18, -0.10], [0.82, 1, 0.08, -0.09], [0.18, 0.08, 1, 0.86], [-0.10, -0.09, 0.86, 1]],
    index=list(METRICS), columns=list(METRICS))
"""Fig. 6b: Spearman rank correlation between the four metrics on ImageNet-CL."""


def with_model_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The table with architecture, algorithm, label (the paper's model name) and family columns."""
    out = table.copy()
    unknown = set(out["model"]) - set(STUDY_MODELS)
    if unknown:
        raise ValueError(f"table has models outside the study: {sorted(unknown)}")
    out["architecture"] = out["model"].map(lambda m: STUDY_MODELS[m][0])
    out["algorithm"] = out["model"].map(lambda m: STUDY_MODELS[m][1])
    out["label"] = out["model"].map(model_label)
    out["family"] = out["method"].map(FAMILIES)
    return out


def _better(metric: str, a: float, b: float) -> bool:
    """Whether score b is better than score a under ``metric``."""
    return b < a if metric in LOWER_IS_BETTER else b > a


def compare_algorithms(table: pd.DataFrame, a: str = "vanilla", b: str = "robust", *,
                       by: str = "family", alpha: float = 0.05) -> pd.DataFrame:
    """Scores of algorithm ``a`` vs ``b`` per ``by`` group ("family" or "method") and metric.

    All architectures and images pooled, as the paper's Fig. 2. Returns one row per (group,
    metric): mean_a, mean_b, n_a, n_b, p (two-sided Mann-Whitney U), and winner: b or a when
    p < alpha (by the better mean under the metric), else "no difference".
    """
    t = with_model_columns(table)
    rows = []
    for group, part in t.groupby(by, sort=False):
        for metric in METRICS:
            xa = part.loc[part["algorithm"] == a, metric].to_numpy(float)
            xb = part.loc[part["algorithm"] == b, metric].to_numpy(float)
            if len(xa) == 0 or len(xb) == 0:
                continue
            same = np.all(np.concatenate([xa, xb]) == xa[0])
            p = 1.0 if same else float(_st.mannwhitneyu(xa, xb, alternative="two-sided").pvalue)
            winner = "no difference" if p >= alpha else (b if _better(metric, xa.mean(), xb.mean()) else a)
            rows.append({by: group, "metric": metric, f"mean_{a}": xa.mean(), f"mean_{b}": xb.mean(),
                         f"n_{a}": len(xa), f"n_{b}": len(xb), "p": p, "winner": winner})
    return pd.DataFrame(rows)


def advprop_position(table: pd.DataFrame) -> pd.DataFrame:
    """Mean score (over methods and images) of the vanilla, AdvProp and robust model of each
    architecture, per metric, and whether AdvProp lies strictly between the other two."""
    t = with_model_columns(table)
    mean = t.groupby(["architecture", "algorithm"])[list(METRICS)].mean()
    rows = []
    for arch in t["architecture"].unique():
        for metric in METRICS:
            v, ap, r = (mean.loc[(arch, g), metric] if (arch, g) in mean.index else np.nan
                        for g in ("vanilla", "advprop", "robust"))
            rows.append({"architecture": arch, "metric": metric, "vanilla": v, "advprop": ap, "robust": r,
                         "between": bool(min(v, r) < ap < max(v, r))})
    return pd.DataFrame(rows)


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


def runtime_table(table: pd.DataFrame) -> pd.DataFrame:
    """Per method: median wall time per image in ms (over shards and models), the mean WSL (%)
    over the vanilla and robust models with its std over models, and the paper's runtime."""
    t = with_model_columns(table)
    ms = t.groupby("method")["ms_per_image"].median()
    vr = t[t["algorithm"].isin(("vanilla", "robust"))]
    wsl = vr.groupby(["method", "model"])["wsl"].mean().mul(100).groupby("method")
    out = pd.DataFrame({"wsl": wsl.mean(), "wsl_std": wsl.std(ddof=0), "ms_per_image": ms})
    out["paper_ms_per_image"] = pd.Series(PAPER_TABLE_2_MS)
    return out.sort_values("wsl", ascending=False)


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
    for metric in ("pointing_game", "wsl", "insertion"):
        front = []
        for m in out.index:
            dominated = ((out["accuracy"] >= out.loc[m, "accuracy"]) & (out[metric] >= out.loc[m, metric])
                         & ((out["accuracy"] > out.loc[m, "accuracy"]) | (out[metric] > out.loc[m, metric])))
            front.append(not dominated.any())
        out[f"pareto_{metric}"] = front
    return out


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


# --------------------------------------------------------------------------- figures
def _figure(n: int, width: float = 3.2, height: float = 2.8):
    fig = Figure(figsize=(width * n, height))
    return fig, fig.subplots(1, n, squeeze=False)[0]


def plot_comparison(table: pd.DataFrame, a: str = "vanilla", b: str = "robust") -> Figure:
    """Fig. 2: mean score of ``a`` and ``b`` models per method family, one panel per metric."""
    import seaborn as sns
    t = with_model_columns(table)
    t = t[t["algorithm"].isin((a, b))]
    fig, axes = _figure(4)
    for ax, metric in zip(axes, METRICS):
        sns.barplot(data=t, x="family", y=metric, hue="algorithm", hue_order=[a, b], ax=ax,
                    errorbar=("ci", 95), seed=0)
        ax.set_title(METRIC_NAMES[metric])
        ax.set_xlabel("")
        ax.set_ylabel("")
        if ax is not axes[-1] and ax.get_legend() is not None:
            ax.get_legend().remove()
    return fig


def plot_advprop(table: pd.DataFrame) -> Figure:
    """Fig. 3: vanilla, AdvProp and robust models of each architecture, one panel per metric."""
    import seaborn as sns
    t = with_model_columns(table)
    fig, axes = _figure(4)
    for ax, metric in zip(axes, METRICS):
        sns.barplot(data=t, x="architecture", y=metric, hue="algorithm",
                    hue_order=["vanilla", "advprop", "robust"], ax=ax, errorbar=("ci", 95), seed=0)
        ax.set_title(METRIC_NAMES[metric])
        ax.set_xlabel("")
        ax.set_ylabel("")
        if ax is not axes[-1] and ax.get_legend() is not None:
            ax.get_legend().remove()
    return fig


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
        ax.set_xlabel("test accuracy on canvases (%)")
        ax.set_ylabel(METRIC_NAMES[metric])
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
