"""How AXAI's, LIME's and SHAP's cost grows with the image size and with K (page 04).

:func:`scaling` times one image, resized to each side length of ``sizes`` (bilinear, with
antialiasing), with the three methods at the settings of Table 5 (AXAI's QuickShift and LIME's
both 4 / 200 / 0.2; LIME's ``lime_samples`` perturbations, SHAP's ``shap_samples``), and the
same image at ``k_size`` pixels with AXAI's K and LIME's number of features set to each value of
``ks`` (SHAP has no K: its map covers every pixel, so it is timed once at ``k_size``). Each
point is one call (AXAI's after an untimed warm-up call at that size, as in Table 5), every
method at the same torch thread budget; the model must accept every size (MobileNetV2 pools globally).
``baselines_up_to`` stops LIME and SHAP at a side length (the default book: 224 px; at 448 px
they take minutes each at one thread, AXAI seconds), so a profile can keep the book's build
time; their lines then end there.
:func:`plot_scaling` draws seconds per image against pixels and against K, log scales.
"""
from __future__ import annotations

import time

import torch
import torch.nn.functional as F

from axlib._util.checks import check_images, check_int, torch_threads

__all__ = ["SIZES", "KS", "scaling", "scaling_table", "plot_scaling"]

SIZES = (32, 64, 128, 224, 448)
"""Side lengths (pixels) of the size axis."""
KS = (1, 5, 10, 20, 50)
"""Values of AXAI's K (segments kept) and LIME's features on the K axis."""


def _resized(x: torch.Tensor, side: int) -> torch.Tensor:
    if x.shape[-1] == side and x.shape[-2] == side:
        return x
    return F.interpolate(x, size=(side, side), mode="bilinear", antialias=True, align_corners=False).clamp(0, 1)


def scaling(model, image: torch.Tensor, background: torch.Tensor, *, sizes=SIZES, ks=KS, points: int | None = None,
            k_size: int = 64, lime_samples: int = 1000, shap_samples: int = 200, threads: int = 1, seed: int = 0,
            baselines_up_to: int | None = None, progress=None) -> list[dict]:
    """Seconds per image of AXAI, LIME and SHAP against image size and against K.

    Parameters
    ----------
    model : torch.nn.Module
        (B, 3, H, W) in [0, 1] -> logits, for every H = W in ``sizes`` and ``k_size``.
    image : torch.Tensor, shape (1, 3, H, W)
        The image timed, in [0, 1]; resized to each size.
    background : torch.Tensor, shape (N, 3, H, W)
        SHAP's reference images, resized alike.
    sizes : sequence of int
        Side lengths >= 16 of the size axis (K = 10 there, LIME with 5 features as in Table 5).
    ks : sequence of int
        Values >= 1 of the K axis, at ``k_size`` pixels.
    points : int, optional
        Keep only the first ``points`` (>= 1) of ``sizes`` and of ``ks`` (a quick run); None: all.
    k_size : int, default 64
        Side length of the K axis's image.
    lime_samples, shap_samples : int
        LIME's perturbations and SHAP's samples (Table 5: 1,000 and 200).
    threads : int, default 1
        torch CPU threads for every call (restored after).
    seed : int, default 0
        LIME's seed.
    baselines_up_to : int, optional
        LIME and SHAP are timed on the size axis only at sides up to this (>= 16 pixels); None:
        at every side. AXAI is timed at every side.
    progress : callable, optional
        Told what is being timed.

    Returns
    -------
    list of dict
        One row per call: {"axis": "size" | "k", "side" (pixels), "pixels", "k", "method",
        "seconds"}.
    """
    from axlib.papers.axai.bench import method_calls
    from axlib.papers.axai.benchmark import LIME_FEATURES, table5_settings

    image = check_images(image, name="image")
    if image.shape[0] != 1:
        raise ValueError(f"image must be one image (1, 3, H, W), got {tuple(image.shape)}")
    background = check_images(background, name="background")
    if points is not None:
        points = check_int("points", points, low=1)
        sizes, ks = tuple(sizes)[:points], tuple(ks)[:points]
    sizes = [check_int("sizes", s, low=16) for s in sizes]
    ks = [check_int("ks", k, low=1) for k in ks]
    k_size = check_int("k_size", k_size, low=16)
    if baselines_up_to is not None:
        baselines_up_to = check_int("baselines_up_to", baselines_up_to, low=16)
    say = progress or (lambda message: None)
    device = image.device
    rows = []

    def timed(axis, side, k, lime_features):
        settings = table5_settings(lime_samples, shap_samples, seed)
        settings["axai"]["k"], settings["lime"]["num_features"] = k, lime_features
        x, bg = _resized(image, side), _resized(background, side)
        calls = method_calls(model, settings, device, bg)
        if axis == "size":
            baselines = baselines_up_to is None or side <= baselines_up_to
            methods = ("axai", "lime", "shap") if baselines else ("axai",)
        else:
            methods = ("axai", "lime", "shap") if k == ks[0] else ("axai", "lime")
        for method in methods:
            call = calls[method]()
            if method == "axai":          # one-off costs weigh in a 1 s call, hardly in LIME's or SHAP's
                call(x)
            say(f"{method}: {axis} axis, {side} px, K {k}")
            start = time.perf_counter()
            call(x)
            rows.append({"axis": axis, "side": side, "pixels": side * side, "k": k, "method": method,
                         "seconds": time.perf_counter() - start})

    with torch_threads(threads):
        for side in sizes:
            timed("size", side, 10, LIME_FEATURES)
        for k in ks:
            timed("k", k_size, k, k)
    return rows


def scaling_table(rows: list[dict]):
    """The figure's numbers: seconds per image, one row per point of each axis (axis, side, k),
    one column per method (NaN where a method was not timed: SHAP on the K axis after its one
    call, LIME and SHAP beyond ``baselines_up_to``). Returns a pandas DataFrame."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["axis", "side", "pixels", "k", "method", "seconds"])
    table = frame.pivot_table(index=["axis", "side", "k"], columns="method", values="seconds", sort=False)
    return table.reindex(columns=[m for m in ("axai", "lime", "shap") if m in table.columns])


def plot_scaling(rows: list[dict]):
    """Seconds per image against pixels (left) and against K (right), one line per method, log
    scales; SHAP on the K panel is its one call (it has no K), drawn flat. Returns the Figure."""
    import numpy as np
    from matplotlib.figure import Figure

    colours = {"axai": "#4c72b0", "lime": "#dd8452", "shap": "#55a868"}
    fig = Figure(figsize=(9, 3.4), layout="constrained")
    by_size, by_k = fig.subplots(1, 2)
    for method, colour in colours.items():
        size = [r for r in rows if r["axis"] == "size" and r["method"] == method]
        if size:
            by_size.plot([r["pixels"] for r in size], [r["seconds"] for r in size], "o-", color=colour,
                         label=method.upper())
        k_rows = [r for r in rows if r["axis"] == "k" and r["method"] == method]
        if len(k_rows) == 1:                                       # SHAP: no K
            ks = sorted({r["k"] for r in rows if r["axis"] == "k"})
            by_k.plot(ks, np.full(len(ks), k_rows[0]["seconds"]), "--", color=colour, label="SHAP (no K)")
        elif k_rows:
            by_k.plot([r["k"] for r in k_rows], [r["seconds"] for r in k_rows], "o-", color=colour,
                      label=method.upper())
    k_side = next((r["side"] for r in rows if r["axis"] == "k"), None)
    sides = [r["side"] for r in rows if r["axis"] == "size"]
    by_size.set(xscale="log", yscale="log", xlabel=f"pixels per image (side {min(sides)} to {max(sides)})",
                ylabel="seconds per image", title="cost against image size (K = 10)")
    by_k.set(xscale="log", yscale="log", xlabel="K (AXAI's segments, LIME's features)",
             ylabel="seconds per image", title=f"cost against K ({k_side}x{k_side} pixels)")
    for ax in (by_size, by_k):
        ax.legend(fontsize=8)
    return fig
