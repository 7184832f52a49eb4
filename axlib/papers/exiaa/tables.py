"""EXIAA's tables and figures: our grid summarised beside the paper's Tables 1 and B.1-B.3,
the statistics the claims are scored on (shares of cells, ratios), Fig. 2-5 and A.1
counterparts, and pictures of one attack.

Frames: a *grid* is :func:`axlib.papers.exiaa.grid.run_grid`'s per-image output (columns
model, method, kind, alpha, top_k, image, explanation_change, ssim, confidence_change,
perturbation_l2, ...); a *summary* is :func:`summarise` of one (per-cell means and stds);
the paper's cells are :func:`axlib.papers.exiaa.paper.paper_tables` (a summary's layout).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from axlib.explain.baselines import pixel_attribution
from axlib.metrics.change import percentage_change, ssim
from axlib.papers.exiaa import paper as _paper
from axlib.papers.exiaa.attack import TOP_KS, gaussian_baseline, inject, probabilities, top_k_mask
from axlib.papers.exiaa.grid import _cell_seed

__all__ = ["MEASURES", "LABELS", "MODEL_LABELS", "summarise", "side_by_side", "side_by_side_tables",
           "share_where", "share_small_confidence", "magnitude_ratios", "class_rank_means",
           "running_up_shares", "class_rank_tables", "top_ranks_share", "corruption_strength", "imagenet_table", "plot_curves",
           "plot_figure", "plot_groups", "plot_class_ranks", "plot_attack_ranks", "example", "plot_example"]

MEASURES = ("explanation_change", "ssim", "confidence_change", "perturbation_l2")
LABELS = {"explanation_change": "explanation change (%)", "ssim": "SSIM(x, x_hat)",
          "confidence_change": "confidence change (points)", "perturbation_l2": "||x_hat - x||_2",
          "saliency": "Saliency",
          "integrated_gradients": "Integrated Gradients", "deeplift_shap": "DeepLIFT SHAP"}
MODEL_LABELS = {"resnet18": "ResNet-18 (CIFAR-10)", "vit": "ViT (CIFAR-10)", "mobilenetv2": "MobileNetV2 (ImageNet)"}
"""Our models, by the key the grid's ``model`` column holds."""
PAPER_MODEL_LABELS = {"resnet18": "ResNet-18", "vit": "ViT-B16"}
"""The paper's model standing behind each of ours."""
FIGURES = {"explanation_change": "Fig. 2", "ssim": "Fig. 3", "confidence_change": "Fig. 4"}
"""The paper's figure of each measure."""
TABLES = (("B.1", "saliency"), ("B.2", "integrated_gradients"), ("B.3", "deeplift_shap"))
"""The paper's appendix table of each explanation method."""
CELL = ("model", "method", "alpha", "top_k")
"""The columns that name one grid cell."""


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


def share_where(table: pd.DataFrame, index, column: str, first, second, *,
                value: str = "explanation_change", larger: bool = True) -> tuple[float, int]:
    """Share of cells in which ``first`` beats ``second`` along ``column``.

    table: a :func:`summarise` output (or :func:`paper_tables`); index: the columns that
    identify a cell (e.g. ("model", "method", "alpha", "top_k")); column: the column whose
    values ``first`` and ``second`` are compared (e.g. "kind": "exiaa" vs "baseline").
    larger: True counts first > second, False counts first < second. Cells missing either
    value are skipped. Returns (share in [0, 1], number of cells compared).
    """
    wide = table.pivot_table(index=list(index), columns=column, values=value, aggfunc="mean")
    if first not in wide.columns or second not in wide.columns:
        raise ValueError(f"{column} must hold both {first!r} and {second!r}")
    pair = wide[[first, second]].dropna()
    if pair.empty:
        return float("nan"), 0
    wins = pair[first] > pair[second] if larger else pair[first] < pair[second]
    return float(wins.mean()), int(len(pair))


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


def share_small_confidence(table: pd.DataFrame, *, max_alpha: float, below: float) -> tuple[float, int]:
    """Share of EXIAA cells with alpha <= ``max_alpha`` whose mean confidence change is below
    ``below`` points (Fig. 4's text). table: a summary (or the paper's cells).
    Returns (share in [0, 1], NaN for no cell; number of such cells)."""
    chosen = (table.kind == "exiaa") & (table.alpha <= max_alpha)
    return float((table[chosen]["confidence_change"] < below).mean()), int(chosen.sum())


def magnitude_ratios(ours: pd.DataFrame, paper: pd.DataFrame, *, models, methods) -> list[dict]:
    """Median over the shared (alpha, top-k) cells of our EXIAA explanation change divided by
    the paper's, per model and method (pairs without a shared cell are left out).

    ours, paper: summaries (``kind`` "exiaa" rows are used). Returns dicts with model, method,
    ratio (float) and cells (int)."""
    ours_x, paper_x = ours[ours.kind == "exiaa"], paper[paper.kind == "exiaa"]
    out = []
    for key in models:
        for method in methods:
            a = ours_x[(ours_x.model == key) & (ours_x.method == method)].set_index(["alpha", "top_k"])
            b = paper_x[(paper_x.model == key) & (paper_x.method == method)].set_index(["alpha", "top_k"])
            joined = a[["explanation_change"]].merge(b[["explanation_change"]], left_index=True, right_index=True,
                                                     suffixes=("", "_paper")).dropna()
            if joined.empty:
                continue
            ratio = float((joined["explanation_change"] / joined["explanation_change_paper"]).median())
            out.append({"model": key, "method": method, "ratio": ratio, "cells": len(joined)})
    return out


RUNNING_UP_RANK = 2
"""The running-up class's rank in the model's order of classes (1 is the predicted class)."""


def class_rank_means(fig5: pd.DataFrame) -> pd.DataFrame:
    """Mean explanation change per (method, alpha, top_k) row and class-rank column.

    fig5: the grid of :func:`axlib.papers.exiaa.experiments.class_rank_grid` (column
    ``class_rank``: 2 is the running-up class)."""
    return fig5.groupby(["method", "alpha", "top_k", "class_rank"])["explanation_change"].mean().unstack("class_rank")


def running_up_shares(fig5: pd.DataFrame) -> dict[str, pd.Series]:
    """Per (method, alpha, top-k) cell, whether the running-up class's mean explanation change
    is at least every other class rank's (``"best"``) and at least their mean (``"above_mean"``).
    Returns two boolean Series; their means are the claims' shares."""
    by_rank = class_rank_means(fig5)
    others = [c for c in by_rank.columns if c != RUNNING_UP_RANK]
    return {"best": by_rank[RUNNING_UP_RANK] >= by_rank[others].max(axis=1),
            "above_mean": by_rank[RUNNING_UP_RANK] >= by_rank[others].mean(axis=1)}


def class_rank_tables(fig5: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(mean explanation change (%) per method and class rank, mean perturbation size
    ||x_hat - x||_2 per method and class rank), rounded for display."""
    change = class_rank_means(fig5).groupby("method").mean().round(1)
    size = fig5.groupby(["method", "class_rank"])["perturbation_l2"].mean().unstack("class_rank").round(2)
    return change, size


def top_ranks_share(fig_a1: pd.DataFrame, top_ranks) -> tuple[float, int]:
    """Share of (method, alpha, top-k) cells in which the attack images of confidence ranks
    ``top_ranks`` give a larger mean explanation change than the others (the low ranks).

    fig_a1: the grid of :func:`axlib.papers.exiaa.experiments.attack_rank_grid` (column
    ``attack_rank``). Returns (share, number of cells)."""
    grouped = fig_a1.assign(group=np.where(fig_a1["attack_rank"].isin(list(top_ranks)), "top", "low"))
    means = grouped.groupby(["method", "alpha", "top_k", "group"])["explanation_change"].mean().reset_index()
    return share_where(means, ("method", "alpha", "top_k"), "group", "top", "low")


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
