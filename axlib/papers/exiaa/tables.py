"""EXIAA's tables and figures: our grid summarised beside the paper's Tables 1 and B.1-B.3,
the estimates the claims are judged on, Fig. 2-5 and A.1 counterparts, and pictures of one
attack.

Frames: a *grid* is :func:`axlib.papers.exiaa.grid.run_grid`'s per-image output (columns
model, method, kind, alpha, top_k, image, explanation_change, ssim, confidence_change,
perturbation_l2, flipped, ...; the page's grids add ``original``, the attacked image a row
belongs to); a *summary* is :func:`summarise` of one (per-cell means and stds); the paper's
cells are :func:`axlib.papers.exiaa.paper.paper_tables` (a summary's layout).

Estimates (:class:`~axlib.companion.rules.Estimate`, what the rules of
:mod:`axlib.papers.exiaa.claims` judge): the unit is the **original image**. The cells of one
original share its image, its attack image and their explanations, so they are not independent:
each original is first reduced to one number (or one pair) over the cells a claim compares, and
the 95 % interval is a bootstrap over originals (expanded percentile) (:func:`relative_advantage`,
:func:`per_original_mean`, :func:`running_up_estimates`, :func:`trend`, :func:`magnitude_ratio`).
The ``paper_*`` functions compute the same statistics on the paper's cell means.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from axlib.companion.rules import Estimate
from axlib.explain.baselines import pixel_attribution
from axlib.metrics.change import percentage_change, ssim
from axlib.papers.exiaa import paper as _paper
from axlib.papers.exiaa.attack import TOP_KS, gaussian_baseline, inject, probabilities, top_k_mask
from axlib.papers.exiaa.grid import _cell_seed

__all__ = ["MEASURES", "LABELS", "MODEL_LABELS", "N_OF", "summarise", "side_by_side", "side_by_side_tables",
           "originals", "per_original", "per_original_mean", "paired_means", "relative_advantage", "paper_advantage", "trend",
           "paper_trend", "magnitude_ratio", "class_rank_means", "running_up_estimates", "class_rank_tables",
           "attack_rank_groups", "corruption_strength", "imagenet_table", "plot_curves", "plot_figure", "plot_beside_paper", "plot_groups",
           "plot_class_ranks", "plot_attack_ranks", "example", "plot_example"]

MEASURES = ("explanation_change", "ssim", "confidence_change", "perturbation_l2")
LABELS = {"explanation_change": "explanation change (%)", "ssim": "SSIM(x, x_hat)",
          "confidence_change": "confidence change (points)", "perturbation_l2": "||x_hat - x||_2",
          "saliency": "Saliency",
          "integrated_gradients": "Integrated Gradients", "deeplift_shap": "DeepLIFT SHAP"}
MODEL_LABELS = {"resnet18": "ResNet-18", "vit": "ViT", "mobilenetv2": "MobileNetV2"}
"""Our models, by the key the grid's ``model`` column holds (the data set is the grid's: CIFAR-10
in the default profile, ImageNet validation in the paper's; the MobileNetV2 part: ImageNet samples)."""
PAPER_MODEL_LABELS = {"resnet18": "ResNet-18", "vit": "ViT-B16"}
"""The paper's model standing behind each of ours."""
FIGURES = {"explanation_change": "Fig. 2", "ssim": "Fig. 3", "confidence_change": "Fig. 4"}
"""The paper's figure of each measure."""
TABLES = (("B.1", "saliency"), ("B.2", "integrated_gradients"), ("B.3", "deeplift_shap"))
"""The paper's appendix table of each explanation method."""
CELL = ("model", "method", "alpha", "top_k")
"""The columns that name one grid cell."""
ORIGINAL = "original"
"""The column naming the original (attacked) image of a row: the unit of every estimate."""
N_OF = "original images"
"""What an estimate's n counts."""


def summarise(frame: pd.DataFrame, by=("model", "method", "kind", "alpha", "top_k")) -> pd.DataFrame:
    """Mean and standard deviation of the three measures per group (one row per group)."""
    by = [b for b in by if b in frame.columns]
    values = [m for m in MEASURES if m in frame.columns]
    out = frame.groupby(by)[values].agg(["mean", "std"])
    out.columns = [f"{m}_{s}" if s == "std" else m for m, s in out.columns]
    return out.reset_index()


def side_by_side(ours: pd.DataFrame, paper: pd.DataFrame, *, model: str, method: str,
                 top_ks=TOP_KS) -> pd.DataFrame:
    """A Table B.x block: rows (alpha, kind), columns top-k, cells "ours change conf | paper".

    ours, paper: :func:`summarise` outputs (paper: of :func:`paper_tables`), with the same
    model label. Each cell reads ``"12.3 0.45↓ | 24.9 0.37↓"``: mean explanation change (%)
    and confidence change (points), ours then the paper's ("-" where missing).
    """
    def cell(table, alpha, kind, k):
        row = table[(table["model"] == model) & (table["method"] == method) & (table["kind"] == kind)
                    & np.isclose(table["alpha"], alpha) & np.isclose(table["top_k"], k)]
        if row.empty or not np.isfinite(row["explanation_change"].iloc[0]):
            return "-"
        return f"{row['explanation_change'].iloc[0]:.1f} {row['confidence_change'].iloc[0]:.2f}↓"

    alphas = sorted(set(ours.loc[(ours["model"] == model) & (ours["method"] == method), "alpha"]))
    records = {}
    for alpha in alphas:
        for kind in ("exiaa", "baseline"):
            records[(alpha, kind)] = {k: f"{cell(ours, alpha, kind, k)} | {cell(paper, alpha, kind, k)}"
                                      for k in top_ks}
    table = pd.DataFrame.from_dict(records, orient="index")
    table.index.names = ["alpha", "kind"]
    table.columns.name = "top-k: ours | paper"
    return table


def side_by_side_tables(ours: pd.DataFrame, paper: pd.DataFrame, *, models, top_ks) -> list[tuple[str, pd.DataFrame]]:
    """Every Table B.1-B.3 block (method x model) and the two Table 1 blocks (DeepLIFT SHAP,
    the paper's top-k columns of Table 1 that ``top_ks`` holds), as (title, :func:`side_by_side` table).

    ours: :func:`summarise` of our grid; paper: :func:`~axlib.papers.exiaa.paper.paper_tables`;
    models: our model keys (``"resnet18"``, ``"vit"``); top_ks: the top-k values we ran.
    """
    out = []
    for table, method in TABLES:
        for key in models:
            title = (f"**Table {table} counterpart: {LABELS[method]}, {MODEL_LABELS[key]} "
                     f"(paper: {PAPER_MODEL_LABELS[key]}, ImageNet)**")
            out.append((title, side_by_side(ours, paper, model=key, method=method, top_ks=top_ks)))
    table1_top_ks = [k for k in _paper.TABLE1_TOP_KS.value if k in top_ks]
    for key in models:
        out.append((f"**Table 1 counterpart: DeepLIFT SHAP, {MODEL_LABELS[key]}**",
                    side_by_side(ours, paper, model=key, method="deeplift_shap", top_ks=table1_top_ks)))
    return out


# --------------------------------------------------------------------------- estimates (unit: original image)
def originals(frame: pd.DataFrame) -> pd.Series:
    """The original image of each row of a grid: its ``original`` column, or ``image`` for a grid
    with one attack image per original (what :func:`~axlib.papers.exiaa.grid.run_grid` returns).
    Raises ValueError for a frame with neither (a summary has no originals)."""
    if ORIGINAL in frame.columns:
        return frame[ORIGINAL]
    if "image" in frame.columns:
        return frame["image"]
    raise ValueError("frame must be a grid with an 'original' or 'image' column, not a summary")


def per_original(frame: pd.DataFrame, value: str, columns=()) -> pd.DataFrame:
    """The mean of ``value`` per original image (rows) and ``columns`` (a column each; none: one
    column named ``value``), over every other column of the grid (cells, attack images)."""
    if value not in frame.columns:
        raise ValueError(f"value must be a column of frame, got {value!r}")
    f = frame.assign(**{ORIGINAL: originals(frame)})
    if not columns:
        return f.groupby(ORIGINAL)[[value]].mean()
    return f.pivot_table(index=ORIGINAL, columns=list(columns), values=value, aggfunc="mean")


def per_original_mean(frame: pd.DataFrame, value: str) -> Estimate:
    """The mean over original images of each original's mean ``value``, with a bootstrap
    interval over originals. Raises ValueError for an empty frame."""
    if frame.empty:
        raise ValueError("frame has no rows to estimate from")
    return Estimate.mean(per_original(frame, value)[value].to_numpy(dtype=float), n_of=N_OF)


def _ratio(a, b) -> float:
    """mean(a) / mean(b) - 1 (NaN when mean(b) is 0: the bootstrap drops that resample)."""
    denominator = float(np.mean(b))
    return float(np.mean(a) / denominator - 1) if denominator != 0 else float("nan")


def paired_means(frame: pd.DataFrame, column: str, first, second, *, value: str = "explanation_change",
                 cells=CELL) -> pd.DataFrame:
    """Per original image, the mean ``value`` of ``first`` and of ``second`` (values of
    ``column``, e.g. kind "exiaa" / "baseline") over the cells (``cells`` less ``column``) in
    which both have rows. Returns one row per original with columns ``first`` and ``second``.
    Raises ValueError when ``column`` lacks either value or no cell has both."""
    f = frame.assign(**{ORIGINAL: originals(frame)})
    index = [ORIGINAL, *(c for c in cells if c != column and c in f.columns)]
    wide = f.pivot_table(index=index, columns=column, values=value, aggfunc="mean")
    if first not in wide.columns or second not in wide.columns:
        raise ValueError(f"{column} must hold both {first!r} and {second!r}")
    pair = wide[[first, second]].dropna()
    if pair.empty:
        raise ValueError(f"no cell has both {first!r} and {second!r}")
    return pair.groupby(level=ORIGINAL).mean()


def relative_advantage(frame: pd.DataFrame, column: str, first, second, *, value: str = "explanation_change",
                       cells=CELL) -> Estimate:
    """How much larger ``first``'s mean ``value`` is than ``second``'s: mean(first) / mean(second)
    - 1 over the cells both have and over original images (:func:`paired_means`), with a
    bootstrap interval over originals (the two means of an original resampled
    together). 0: equal; +0.1: ``first`` 10 % larger; negative: smaller."""
    per = paired_means(frame, column, first, second, value=value, cells=cells)
    if float(per[second].mean()) == 0:
        raise ValueError(f"the mean {value} of {second!r} is 0: no relative advantage")
    return Estimate.bootstrap(_ratio, per[first].to_numpy(dtype=float), per[second].to_numpy(dtype=float), n_of=N_OF)


def paper_advantage(table: pd.DataFrame, column: str, first, second, *, value: str = "explanation_change",
                    cells=CELL) -> tuple[float, int]:
    """:func:`relative_advantage`'s statistic on cell means (the paper's tables, or a summary):
    (mean(first) / mean(second) - 1 over the cells that have both, number of such cells)."""
    index = [c for c in cells if c != column and c in table.columns]
    wide = table.pivot_table(index=index, columns=column, values=value, aggfunc="mean")
    if first not in wide.columns or second not in wide.columns:
        raise ValueError(f"{column} must hold both {first!r} and {second!r}")
    pair = wide[[first, second]].dropna()
    return (_ratio(pair[first], pair[second]) if len(pair) else float("nan")), len(pair)


def _series_rho(frame: pd.DataFrame, along: str, keys: list, value: str) -> pd.Series:
    """The Spearman rho of ``along`` with ``value`` within each group of ``keys`` (NaN where
    either is constant in the group)."""
    groups = frame.groupby(keys, sort=False)
    ranks = pd.DataFrame({"x": groups[along].rank(), "y": groups[value].rank()})
    ranks = ranks.assign(xy=ranks.x * ranks.y, xx=ranks.x ** 2, yy=ranks.y ** 2, **{k: frame[k] for k in keys})
    m = ranks.groupby(keys, sort=False)[["x", "y", "xy", "xx", "yy"]].mean()
    var = (m.xx - m.x ** 2) * (m.yy - m.y ** 2)
    rho = (m.xy - m.x * m.y) / np.sqrt(var.where(var > 1e-12))
    return rho.clip(-1, 1)


def _trend_keys(frame: pd.DataFrame, along: str) -> list:
    if along not in ("alpha", "top_k"):
        raise ValueError(f"along must be 'alpha' or 'top_k', got {along!r}")
    return [c for c in ("model", "method", "alpha", "top_k") if c != along and c in frame.columns]


def trend(frame: pd.DataFrame, along: str, *, value: str = "explanation_change") -> Estimate:
    """Does EXIAA's ``value`` grow with ``along`` ("alpha" or "top_k")? The Spearman rho of
    ``along`` with ``value`` within each series of an attacked image (one model, method, attack
    image and value of the other parameter; EXIAA rows only), the mean of those rhos per original
    image, and their mean over originals with a bootstrap interval. Series in which
    ``value`` does not vary give no rho. Raises ValueError when no series gives one."""
    f = frame[frame["kind"] == "exiaa"] if "kind" in frame.columns else frame
    f = f.assign(**{ORIGINAL: originals(f)})
    keys = [ORIGINAL, *(["image"] if "image" in f.columns else []), *_trend_keys(f, along)]
    per = _series_rho(f, along, keys, value).groupby(level=ORIGINAL).mean().dropna()
    if per.empty:
        raise ValueError(f"no series of an attacked image varies in {along} and {value}")
    return Estimate.mean(per.to_numpy(dtype=float), n_of=N_OF)


def paper_trend(table: pd.DataFrame, along: str, *, value: str = "explanation_change") -> tuple[float, int]:
    """:func:`trend`'s rho on cell means (the paper's tables): (mean rho over the series of
    EXIAA cells, number of series that give one)."""
    f = table[table["kind"] == "exiaa"].dropna(subset=[value])
    rho = _series_rho(f, along, _trend_keys(f, along), value).dropna()
    return float(rho.mean()) if len(rho) else float("nan"), len(rho)


def magnitude_ratio(grid: pd.DataFrame, paper: pd.DataFrame, *, model: str, method: str) -> tuple[Estimate, int] | None:
    """The size of our EXIAA explanation change against the paper's for one model and method:
    the median over the (alpha, top-k) cells both have of our mean over original images divided
    by the paper's cell, with a bootstrap interval over originals.

    grid: our grid; paper: :func:`~axlib.papers.exiaa.paper.paper_tables`. Returns (estimate,
    number of shared cells), or None when no cell is shared."""
    ours = grid[(grid["kind"] == "exiaa") & (grid["model"] == model) & (grid["method"] == method)]
    theirs = paper[(paper["kind"] == "exiaa") & (paper["model"] == model) & (paper["method"] == method)]
    theirs = theirs.set_index(["alpha", "top_k"])["explanation_change"].dropna()
    if ours.empty or theirs.empty:
        return None
    wide = per_original(ours, "explanation_change", ("alpha", "top_k"))
    shared = [cell for cell in wide.columns if cell in theirs.index]
    if not shared:
        return None
    values = wide[shared].dropna().to_numpy(dtype=float)
    reference = theirs.loc[shared].to_numpy(dtype=float)
    estimate = Estimate.bootstrap(lambda x: float(np.median(x.mean(0) / reference)), values, n_of=N_OF)
    return estimate, len(shared)

RUNNING_UP_RANK = 2
"""The running-up class's rank in the model's order of classes (1 is the predicted class)."""


def class_rank_means(fig5: pd.DataFrame) -> pd.DataFrame:
    """Mean explanation change per (method, alpha, top_k) row and class-rank column.

    fig5: the grid of :func:`axlib.papers.exiaa.experiments.class_rank_grid` (column
    ``class_rank``: 2 is the running-up class)."""
    return fig5.groupby(["method", "alpha", "top_k", "class_rank"])["explanation_change"].mean().unstack("class_rank")


def _worst_method_against_best_other(x) -> float:
    means = x.mean(0)                                                       # (methods, ranks)
    return float(np.min(means[:, 0] / means[:, 1:].max(1) - 1))


def running_up_estimates(fig5: pd.DataFrame) -> dict[str, Estimate]:
    """Fig. 5's two readings, per original image the mean explanation change per method and class
    rank over the (alpha, top-k) cells, with bootstrap intervals over originals:

    * ``"best"``: the smallest over methods of the running-up class's mean / the largest other
      rank's mean - 1 ("as good as or better than ... any other class", in every method);
    * ``"above_mean"``: the running-up class's mean / the mean of the other ranks - 1 (means over
      methods too; Fig. 5 draws the mean of the others).

    Raises ValueError when the grid lacks the running-up rank or any other rank."""
    wide = per_original(fig5, "explanation_change", ("method", "class_rank")).dropna()
    methods = list(dict.fromkeys(wide.columns.get_level_values("method")))
    ranks = sorted(set(wide.columns.get_level_values("class_rank")))
    others = [r for r in ranks if r != RUNNING_UP_RANK]
    if RUNNING_UP_RANK not in ranks or not others or wide.empty:
        raise ValueError(f"fig5 must hold class rank {RUNNING_UP_RANK} and another rank for some original")
    x = np.stack([wide[[(m, r) for r in (RUNNING_UP_RANK, *others)]].to_numpy(dtype=float) for m in methods], axis=1)
    return {"best": Estimate.bootstrap(_worst_method_against_best_other, x, n_of=N_OF),
            "above_mean": Estimate.bootstrap(_ratio, x[:, :, 0].mean(1), x[:, :, 1:].mean((1, 2)), n_of=N_OF)}

def class_rank_tables(fig5: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(mean explanation change (%) per method and class rank, mean perturbation size
    ||x_hat - x||_2 per method and class rank), rounded for display."""
    change = class_rank_means(fig5).groupby("method").mean().round(1)
    size = fig5.groupby(["method", "class_rank"])["perturbation_l2"].mean().unstack("class_rank").round(2)
    return change, size


def attack_rank_groups(fig_a1: pd.DataFrame, top_ranks) -> pd.DataFrame:
    """Fig. A.1's grid with a ``group`` column: "top" for the attack images of confidence ranks
    ``top_ranks``, "low" for the others (what :func:`relative_advantage` compares)."""
    return fig_a1.assign(group=np.where(fig_a1["attack_rank"].isin(list(top_ranks)), "top", "low"))

def corruption_strength(grid: pd.DataFrame) -> pd.DataFrame:
    """Mean explanation change, SSIM, ||x_hat - x||_2 and confidence change per model and kind."""
    values = ["explanation_change", "ssim", "perturbation_l2", "confidence_change"]
    return grid.groupby(["model", "kind"])[values].mean().round(3)


def imagenet_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Explanation change, SSIM and confidence change per (method, kind, alpha) row and top-k column."""
    return summary.pivot_table(index=["method", "kind", "alpha"], columns="top_k",
                               values=["explanation_change", "ssim", "confidence_change"]).round(3)


def plot_curves(summary: pd.DataFrame, value: str, *, models, methods, model_labels=None,
                axes=None):
    """EXIAA Fig. 2-4: mean +- std of ``value`` against top-k, one line per alpha (solid),
    the baseline at the same alpha dashed in the same colour; rows models, columns methods.

    summary: :func:`summarise` output with columns model, method, kind, alpha, top_k.
    Returns the matplotlib Figure.
    """
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    model_labels = model_labels or {}
    if axes is None:
        fig = Figure(figsize=(4.2 * len(methods), 3.2 * len(models)))
        axes = fig.subplots(len(models), len(methods), squeeze=False, sharey="row")
    else:
        fig = axes[0][0].figure
    alphas = sorted(set(summary["alpha"]))
    colours = colormaps["viridis"](np.linspace(0, 0.9, len(alphas)))
    for r, model in enumerate(models):
        for c, method in enumerate(methods):
            ax = axes[r][c]
            for colour, alpha in zip(colours, alphas):
                for kind, style in (("exiaa", "-"), ("baseline", "--")):
                    rows = summary[(summary["model"] == model) & (summary["method"] == method)
                                   & (summary["kind"] == kind) & np.isclose(summary["alpha"], alpha)]
                    if rows.empty:
                        continue
                    rows = rows.sort_values("top_k")
                    ax.plot(rows["top_k"], rows[value], style, color=colour, marker="o", ms=3,
                            label=f"alpha {alpha:g}" if kind == "exiaa" else None)
                    std = rows.get(f"{value}_std")
                    if std is not None and kind == "exiaa":
                        ax.fill_between(rows["top_k"], rows[value] - std, rows[value] + std,
                                        color=colour, alpha=0.12, lw=0)
            ax.set_title(f"{model_labels.get(model, model)}, {LABELS.get(method, method)}", fontsize=10)
            ax.set_xlabel("top-k")
            if c == 0:
                ax.set_ylabel(LABELS.get(value, value))
    axes[0][-1].legend(fontsize=8, title="solid: EXIAA\ndashed: baseline", title_fontsize=8)
    return fig


def plot_figure(summary: pd.DataFrame, value: str, *, models, methods):
    """:func:`plot_curves` titled as the counterpart of the paper's figure of ``value``
    (Fig. 2 explanation change, Fig. 3 SSIM, Fig. 4 confidence change). Returns the Figure."""
    if value not in FIGURES:
        raise ValueError(f"value must be one of {sorted(FIGURES)}, got {value!r}")
    fig = plot_curves(summary, value, models=models, methods=methods, model_labels=MODEL_LABELS)
    fig.suptitle(f"{FIGURES[value]} counterpart: {LABELS[value]} against top-k, one colour per alpha "
                 "(solid EXIAA, mean +- std; dashed Gaussian baseline)", fontsize=10, y=1.02)
    return fig


def plot_beside_paper(ours: pd.DataFrame, paper: pd.DataFrame, *, models, methods=("saliency",
                      "integrated_gradients", "deeplift_shap"), value: str = "explanation_change"):
    """Tables B.1-B.3 as curves: EXIAA's mean ``value`` against top-k, ours solid, the paper's
    dotted, one colour per alpha; rows models (ours: the grid's data set; the paper: ImageNet), columns the
    methods (B.1 saliency, B.2 IG, B.3 DeepLIFT SHAP).

    ours, paper: :func:`summarise` outputs (the paper's from
    :func:`~axlib.papers.exiaa.paper.paper_tables`), model keys as ours. Returns the Figure.
    """
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.2 * len(methods), 3.2 * len(models)), layout="constrained")
    axes = fig.subplots(len(models), len(methods), squeeze=False)
    alphas = sorted(set(ours["alpha"]) | set(paper["alpha"]))
    colours = dict(zip(alphas, colormaps["viridis"](np.linspace(0, 0.9, len(alphas)))))
    for r, model in enumerate(models):
        for c, method in enumerate(methods):
            ax = axes[r][c]
            for table, style, who in ((ours, "-", "ours"), (paper, ":", "paper")):
                rows = table[(table["model"] == model) & (table["method"] == method) & (table["kind"] == "exiaa")]
                for alpha, part in rows.groupby("alpha"):
                    part = part.sort_values("top_k")
                    ax.plot(part["top_k"], part[value], style, color=colours[alpha], marker="o", ms=3,
                            label=f"alpha {alpha:g}" if who == "ours" else None)
            table_name = dict((m, t) for t, m in TABLES).get(method, "")
            ax.set_title(f"Table {table_name}: {LABELS.get(method, method)}\n{MODEL_LABELS.get(model, model)} "
                         f"(paper: {PAPER_MODEL_LABELS.get(model, model)})", fontsize=9)
            ax.set_xlabel("top-k")
            if c == 0:
                ax.set_ylabel(LABELS.get(value, value))
    axes[0][-1].legend(fontsize=8, title="solid: ours\ndotted: paper", title_fontsize=8)
    return fig


def plot_groups(summary: pd.DataFrame, value: str, *, group: str, solid, dotted, methods,
                labels=("solid", "dotted"), axes=None):
    """Fig. 5 and A.1: ``value`` against top-k per method, the rows of ``summary`` whose
    ``group`` is in ``solid`` (mean +- std over them, solid line) against those in ``dotted``
    (dotted line); one line per alpha. summary: per-image frame (not summarised).
    Returns the matplotlib Figure.
    """
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    if axes is None:
        fig = Figure(figsize=(4.2 * len(methods), 3.2))
        axes = fig.subplots(1, len(methods), squeeze=False)[0]
    else:
        fig = axes[0].figure
    alphas = sorted(set(summary["alpha"]))
    colours = colormaps["viridis"](np.linspace(0, 0.9, len(alphas)))
    for ax, method in zip(axes, methods):
        for colour, alpha in zip(colours, alphas):
            for members, style, label in ((solid, "-", labels[0]), (dotted, ":", labels[1])):
                rows = summary[(summary["method"] == method) & np.isclose(summary["alpha"], alpha)
                               & summary[group].isin(list(members))]
                if rows.empty:
                    continue
                stats = rows.groupby("top_k")[value].agg(["mean", "std"]).reset_index()
                ax.plot(stats["top_k"], stats["mean"], style, color=colour, marker="o", ms=3,
                        label=f"{label}, alpha {alpha:g}")
                if style == "-":
                    ax.fill_between(stats["top_k"], stats["mean"] - stats["std"].fillna(0),
                                    stats["mean"] + stats["std"].fillna(0), color=colour, alpha=0.12, lw=0)
        ax.set_title(LABELS.get(method, method), fontsize=10)
        ax.set_xlabel("top-k")
    axes[0].set_ylabel(LABELS.get(value, value))
    axes[-1].legend(fontsize=7)
    return fig


def plot_class_ranks(fig5: pd.DataFrame, *, methods):
    """Fig. 5 counterpart: explanation change with the running-up class's attack image (solid,
    mean +- std) against the other class ranks (dotted). Returns the Figure."""
    others = sorted(r for r in set(fig5["class_rank"]) if r != RUNNING_UP_RANK)
    return plot_groups(fig5, "explanation_change", group="class_rank", solid=[RUNNING_UP_RANK], dotted=others,
                       methods=methods, labels=("running-up class", "other classes"))


def plot_attack_ranks(fig_a1: pd.DataFrame, *, top_ranks, low_ranks, methods):
    """Fig. A.1 counterpart: explanation change with the most confident attack images
    ``top_ranks`` (solid) against ``low_ranks`` (dotted). Returns the Figure."""
    low = f"ranks {min(low_ranks)}-{max(low_ranks)}" if len(low_ranks) > 1 else f"rank {min(low_ranks)}"
    return plot_groups(fig_a1, "explanation_change", group="attack_rank", solid=top_ranks, dotted=low_ranks,
                       methods=methods, labels=(f"top {len(top_ranks)}", low))


def example(model, x: torch.Tensor, x_bar: torch.Tensor, *, method: str, alpha: float, top_k: float,
            attack_target: int | None = None, noise_mean=None, noise_std=None, seed: int = 0,
            explain_kw: dict | None = None) -> dict:
    """Every intermediate of one attack, for pictures: x (1, C, H, W) and its attack image x_bar.

    Returns a dict of (C, H, W) or (H, W) CPU tensors: ``x``, ``x_bar``, ``injection``
    (x_bar where the mask is set, 0 elsewhere), ``x_hat``, ``x_noise`` (the Gaussian baseline,
    when noise_mean/noise_std are given), ``z``, ``z_hat``, ``z_noise``, ``z_bar`` (explanations
    summed over |channels|), and ``pred``, ``pred_hat`` and the percentage change (floats/ints).
    """
    explain_kw = dict(explain_kw or {})
    p = probabilities(model, x)
    pred = p.argmax(1)
    target_bar = probabilities(model, x_bar).argmax(1) if attack_target is None else torch.tensor([attack_target])
    z = pixel_attribution(model, x, pred, method=method, **explain_kw)
    z_bar = pixel_attribution(model, x_bar, target_bar, method=method, **explain_kw)
    mask = top_k_mask(z_bar, top_k).to(x.device)
    x_hat = inject(x, x_bar, mask, alpha)
    pred_hat = probabilities(model, x_hat).argmax(1)
    z_hat = pixel_attribution(model, x_hat, pred_hat, method=method, **explain_kw)
    out = {"x": x[0].cpu(), "x_bar": x_bar[0].cpu(), "injection": torch.where(mask, x_bar, 0)[0].cpu(),
           "x_hat": x_hat[0].cpu(), "z": z[0].abs().sum(0), "z_bar": z_bar[0].abs().sum(0),
           "z_hat": z_hat[0].abs().sum(0), "pred": int(pred), "pred_hat": int(pred_hat),
           "change": float(percentage_change(z, z_hat)[0]), "ssim": float(ssim(x.cpu(), x_hat.cpu())[0])}
    if noise_mean is not None:
        gen = torch.Generator().manual_seed(_cell_seed(seed, alpha, top_k, 0))
        x_noise = gaussian_baseline(x, mask.flatten(1).sum(1).cpu(), alpha, mean=noise_mean, std=noise_std,
                                    generator=gen)
        pred_noise = probabilities(model, x_noise).argmax(1)
        z_noise = pixel_attribution(model, x_noise, pred_noise, method=method, **explain_kw)
        out.update(x_noise=x_noise[0].cpu(), z_noise=z_noise[0].abs().sum(0),
                   change_noise=float(percentage_change(z, z_noise)[0]))
    return out


def plot_example(parts: dict, *, class_names=None, title: str = ""):
    """Pictures of one attack (from :func:`example`): original, attack image, injection,
    corrupted image, baseline image, and the explanations of original, corrupted and baseline.
    Returns the matplotlib Figure.
    """
    from matplotlib.figure import Figure

    def name(i):
        return class_names[i] if class_names is not None else str(i)

    panels = [("original: " + name(parts["pred"]), parts["x"]), ("attack image", parts["x_bar"]),
              ("injection (top-k of attack image)", parts["injection"]),
              (f"corrupted: {name(parts['pred_hat'])}, SSIM {parts['ssim']:.3f}", parts["x_hat"])]
    maps = [("explanation of original", parts["z"]),
            (f"explanation of corrupted ({parts['change']:.0f}% change)", parts["z_hat"])]
    if "x_noise" in parts:
        panels.append(("Gaussian baseline", parts["x_noise"]))
        maps.append((f"explanation of baseline ({parts['change_noise']:.0f}% change)", parts["z_noise"]))
    n = max(len(panels), len(maps))
    fig = Figure(figsize=(2.6 * n, 5.4))
    axes = fig.subplots(2, n, squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, (label, image) in zip(axes[0], panels):
        ax.imshow(image.permute(1, 2, 0).clamp(0, 1).numpy(), interpolation="nearest")
        ax.set_title(label, fontsize=8)
    vmax = float(max(m.max() for _, m in maps)) or 1.0
    for ax, (label, amap) in zip(axes[1], maps):
        ax.imshow(amap.numpy(), cmap="magma", vmin=0, vmax=vmax, interpolation="nearest")
        ax.set_title(label, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
