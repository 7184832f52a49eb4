"""The book's figures: one matplotlib/seaborn style and a few helpers that return Figures.

Call :func:`use_style` once per notebook. Every helper returns the ``matplotlib.figure.Figure``
it drew, made outside pyplot's figure manager: a notebook shows it once, as the cell's value
(no ``plt.show``), and ``fig.savefig`` writes it.
Images are (3, H, W) / (B, 3, H, W) tensors in [0, 1], or (H, W, 3) arrays.
"""
from __future__ import annotations

from collections.abc import Sequence

import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure

PALETTE = "colorblind"
BOUNDARY_COLOR = (1.0, 0.85, 0.0)


def use_style(context: str = "notebook") -> None:
    """Apply the book's style: seaborn whitegrid, colour-blind palette, readable sizes.

    In a Jupyter kernel this also registers PNG display for Figures, so that a Figure returned
    by a helper shows as the cell's image (the helpers bypass pyplot's figure manager, so
    nothing is shown twice and no figure stays open).
    """
    import seaborn as sns

    _enable_figure_display()

    sns.set_theme(context=context, style="whitegrid", palette=PALETTE, font_scale=0.9)
    matplotlib.rcParams.update({
        "figure.dpi": 100, "savefig.dpi": 150, "savefig.bbox": "tight",
        "figure.constrained_layout.use": True, "axes.titlesize": "medium",
        "figure.titlesize": "large", "image.interpolation": "nearest",
        "legend.frameon": False,
    })


def _enable_figure_display() -> None:
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import select_figure_formats
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "kernel"):
        select_figure_formats(shell, {"png"})


def to_hwc(image) -> np.ndarray:
    """(3, H, W) tensor or (H, W, 3) / (H, W) array -> (H, W, 3) or (H, W) float array in [0, 1]."""
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu()
        if image.dim() == 3 and image.shape[0] in (1, 3):
            image = image.permute(1, 2, 0)
        image = image.numpy()
    image = np.asarray(image, dtype=np.float64)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    return np.clip(image, 0, 1)


def show_images(images, titles: Sequence[str] | None = None, *, ncols: int | None = None,
                size: float = 2.4, suptitle: str | None = None):
    """A grid of images. images: (B, 3, H, W) tensor or a sequence of images; returns the Figure."""
    images = list(images)
    fig, axes = _grid(len(images), ncols, size)
    for i, (ax, image) in enumerate(zip(axes, images)):
        ax.imshow(to_hwc(image), interpolation="nearest" if _is_small(image) else "antialiased")
        if titles is not None:
            ax.set_title(titles[i])
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def show_segments(images, labels, titles: Sequence[str] | None = None, *, ncols: int | None = None,
                  size: float = 2.4, suptitle: str | None = None, upscale: int | None = None,
                  color=BOUNDARY_COLOR):
    """Images with their segment boundaries drawn (``skimage.segmentation.mark_boundaries``).

    images: (3, H, W) or (B, 3, H, W); labels: (H, W) or (B, H, W) integers. Small images are
    enlarged by ``upscale`` (default: enough for about 256 pixels, nearest neighbour, labels
    likewise) so that a boundary is thin next to a pixel. Returns the Figure.
    """
    from skimage.segmentation import mark_boundaries

    images = torch.as_tensor(images) if not isinstance(images, (list, tuple)) else images
    labels = torch.as_tensor(labels) if not isinstance(labels, (list, tuple)) else labels
    if isinstance(images, torch.Tensor) and images.dim() == 3:
        images, labels = [images], [labels]
    images, labels = list(images), list(labels)
    if len(images) != len(labels):
        raise ValueError(f"labels: expected {len(images)} label maps, got {len(labels)}")
    fig, axes = _grid(len(images), ncols, size)
    for i, (ax, image, label) in enumerate(zip(axes, images, labels)):
        pixels = to_hwc(image)
        label = np.asarray(torch.as_tensor(label).cpu())
        factor = upscale or max(1, 256 // max(pixels.shape[:2]))
        if factor > 1:
            pixels = pixels.repeat(factor, axis=0).repeat(factor, axis=1)
            label = label.repeat(factor, axis=0).repeat(factor, axis=1)
        ax.imshow(mark_boundaries(pixels, label, color=color, mode="inner"))
        if titles is not None:
            ax.set_title(titles[i])
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def show_explanations(images, masks, titles: Sequence[str] | None = None, *, labels=None,
                      ncols: int | None = None, size: float = 2.4, suptitle: str | None = None,
                      dim: float = 0.3, color=BOUNDARY_COLOR):
    """Segment explanations: each image with the pixels outside its boolean mask dimmed.

    images: (3, H, W) or (B, 3, H, W) in [0, 1], or a sequence of images; masks: (H, W) or
    (B, H, W) booleans (True = part of the explanation), or a sequence whose entries may be
    None to show an image undimmed (e.g. the original beside its explanations).
    labels: optional segment label maps ((B, H, W) or a sequence, entries may be None) whose
    boundaries are drawn faintly in white, so the selected segments can be told apart.
    dim: brightness kept outside the mask (0 = black). The outline of each mask is drawn in
    ``color``. Returns the Figure.
    """
    from skimage.segmentation import find_boundaries

    def as_list(value, n=None):
        if value is None:
            return [None] * n
        if isinstance(value, (list, tuple)):
            return list(value)
        value = torch.as_tensor(value)
        return [value] if value.dim() == (3 if n is None else 2) else list(value)

    images = as_list(images)
    masks = as_list(masks, 0)
    if len(masks) != len(images):
        raise ValueError(f"masks: expected {len(images)} masks, got {len(masks)}")
    labels = as_list(labels, len(images)) if labels is not None else [None] * len(images)
    if len(labels) != len(images):
        raise ValueError(f"labels: expected {len(images)} label maps, got {len(labels)}")
    fig, axes = _grid(len(images), ncols, size)
    for i, (ax, image, mask, label) in enumerate(zip(axes, images, masks, labels)):
        pixels = to_hwc(image).copy()
        if pixels.ndim == 2:
            pixels = np.repeat(pixels[..., None], 3, axis=-1)
        if label is not None:
            edges = find_boundaries(np.asarray(torch.as_tensor(label).cpu()), mode="inner")
            pixels[edges] = 0.6 * pixels[edges] + 0.4
        if mask is not None:
            mask = np.asarray(torch.as_tensor(mask).cpu(), dtype=bool)
            if mask.shape != pixels.shape[:2]:
                raise ValueError(f"masks: expected shape {pixels.shape[:2]}, got {mask.shape}")
            pixels[~mask] *= dim
            pixels[find_boundaries(mask, mode="inner")] = color
        ax.imshow(pixels, interpolation="nearest" if _is_small(image) else "antialiased")
        if titles is not None:
            ax.set_title(titles[i])
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def show_attributions(image, panels: Sequence, titles: Sequence[str], *, labels=None, size: float = 2.6,
                      suptitle: str | None = None, dim: float = 0.3, cmap: str = "inferno"):
    """One image beside its explanations, one panel each: None shows the image, a boolean
    (H, W) mask dims what lies outside it (with the segment boundaries of ``labels`` (H, W)
    when given), a float (H, W) map is drawn over a grey copy of the image, its positive
    part scaled to its 99th percentile. image: (3, H, W) in [0, 1]. Returns the Figure."""
    from skimage.segmentation import find_boundaries

    if len(titles) != len(panels):
        raise ValueError(f"titles: expected {len(panels)} titles, got {len(titles)}")
    pixels = to_hwc(image)
    grey = np.repeat(pixels.mean(-1, keepdims=True), 3, axis=-1)
    fig, axes = _grid(len(panels), len(panels), size)
    for ax, panel, title in zip(axes, panels, titles):
        shown = pixels.copy()
        if panel is not None and torch.as_tensor(panel).dtype == torch.bool:
            mask = np.asarray(torch.as_tensor(panel).cpu())
            if labels is not None:
                edges = find_boundaries(np.asarray(torch.as_tensor(labels).cpu()), mode="inner")
                shown[edges] = 0.6 * shown[edges] + 0.4
            shown[~mask] *= dim
            shown[find_boundaries(mask, mode="inner")] = BOUNDARY_COLOR
        elif panel is not None:
            values = np.clip(np.asarray(torch.as_tensor(panel, dtype=torch.float32).cpu()), 0, None)
            top = np.percentile(values, 99) or values.max() or 1.0
            heat = matplotlib.colormaps[cmap](np.clip(values / top, 0, 1))[..., :3]
            shown = 0.45 * grey + 0.55 * heat
        ax.imshow(shown, interpolation="nearest" if _is_small(image) else "antialiased")
        ax.set_title(title, fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def line_plot(data, x: str, y: str | Sequence[str], *, hue: str | None = None,
              style: str | None = None, logx: bool = False, logy: bool | Sequence[bool] = False,
              xlabel: str | None = None, ylabel: str | Sequence[str] | None = None,
              title: str | None = None, size: tuple[float, float] = (4.2, 3.2), zero: bool = True):
    """Lines of one or more y columns of a DataFrame against x, one panel per y; returns the Figure.

    hue / style: columns told apart by colour / dash (a numeric hue is treated as categories);
    logx, logy: log axes (logy per panel if a list); zero: start linear y axes at 0, so that a
    flat curve looks flat.
    """
    import seaborn as sns

    data, hue_order = _categorical(data, hue)
    ys = [y] if isinstance(y, str) else list(y)
    logys = [logy] * len(ys) if isinstance(logy, bool) else list(logy)
    ylabels = [ylabel] * len(ys) if (ylabel is None or isinstance(ylabel, str)) else list(ylabel)
    fig = Figure(figsize=(size[0] * len(ys), size[1]))
    axes = fig.subplots(1, len(ys), squeeze=False)
    for i, (ax, column) in enumerate(zip(axes[0], ys)):
        sns.lineplot(data=data, x=x, y=column, hue=hue, hue_order=hue_order, style=style, marker="o",
                     ax=ax, legend=(i == len(ys) - 1) and (hue is not None or style is not None))
        if logx:
            ax.set_xscale("log")
            _plain_ticks(ax.xaxis)
        if logys[i]:
            ax.set_yscale("log")
            _plain_ticks(ax.yaxis)
        elif zero and data[column].min() >= 0:
            ax.set_ylim(bottom=0)
        ax.set_xlabel(xlabel or x)
        ax.set_ylabel(ylabels[i] or column)
    if ax.get_legend() is not None:
        sns.move_legend(ax, "upper left", bbox_to_anchor=(1.02, 1))
    if title:
        fig.suptitle(title)
    return fig


def hist_plot(data, x: str, *, hue: str | None = None, discrete: bool = True, logx: bool = False,
              xlabel: str | None = None, title: str | None = None, size: tuple[float, float] = (6, 3.2)):
    """Histogram of a DataFrame column (counts per integer value by default); returns the Figure."""
    import seaborn as sns

    data, hue_order = _categorical(data, hue)
    fig = Figure(figsize=size)
    ax = fig.subplots()
    sns.histplot(data=data, x=x, hue=hue, hue_order=hue_order, discrete=discrete, multiple="dodge" if hue else "layer",
                 shrink=0.8, ax=ax, log_scale=(logx, False))
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel("images")
    if title:
        ax.set_title(title)
    return fig


def _categorical(data, column):
    """A numeric hue column as ordered category labels (distinct colours, not a colour ramp)."""
    import pandas as pd

    if column is None or not pd.api.types.is_numeric_dtype(data[column]):
        return data, None
    order = sorted(data[column].unique())
    data = data.assign(**{column: data[column].map(lambda v: f"{v:g}")})
    return data, [f"{v:g}" for v in order]


def _plain_ticks(axis) -> None:
    """Log-scale ticks written as plain numbers (200, 0.5) instead of powers of ten."""
    from matplotlib.ticker import FuncFormatter

    def minor(value, _):
        low, high = sorted(axis.get_view_interval())
        if value <= 0:
            return ""
        mantissa = round(value / 10 ** np.floor(np.log10(value)))
        narrow = low > 0 and high / low < 10           # under a decade: label every minor tick
        return f"{value:g}" if narrow or mantissa in (2, 5) else ""

    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(FuncFormatter(minor))


def _grid(n: int, ncols: int | None, size: float):
    ncols = ncols or min(n, 6)
    nrows = max(1, -(-n // ncols))
    fig = Figure(figsize=(size * ncols, size * nrows + 0.3))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    flat = axes.ravel()
    for ax in flat:
        ax.set_axis_off()
    return fig, list(flat[:n])


def _is_small(image) -> bool:
    shape = image.shape[-2:] if isinstance(image, torch.Tensor) else np.shape(image)[:2]
    return max(shape) < 128
