"""Re-attacking only part of an image: AXAI section 3.3 (Fig. 4) and Table 4.

AXAI explains a prediction by the features its adversary changes most. Section 3.3 tests that
those features carry the attack: it re-attacks the clean image while letting the attack touch
only the features in the tails of the first attack's magnitude distribution X_diff.

The procedure, and what the paper does not say
----------------------------------------------
1. **Full attack.** ``x_adv = pgd(model, x, y)``: untargeted L2 PGD, 20 steps, no random
   start, budget ``eps`` and step ``step`` (:func:`axlib.explain.default_attack_params`:
   eps = 2/255 * sqrt(C*H*W), step = 2.5 * eps / steps), clipped to [0, 1] after every step.
   ``X_diff = x_adv - x``. The label attacked is the true label ``y``.
2. **Fooled set.** The paper re-attacks "the successfully attacked inputs". We take the
   images the model classifies correctly *and* the full attack moves off ``y``; on this set
   the true label and the model's clean prediction coincide, so it does not matter which of
   the two the paper attacked (its public code attacks the prediction).
3. **Tails mask.** For a percentage a, the features (pixel-channel values) whose X_diff lies in
   the outer tails ``[0, a%]`` and ``[(100-a)%, 100%]`` of *that image's* X_diff distribution
   (percentiles over all channels and pixels, numpy's linear interpolation), excluding
   changes of exactly 0: :func:`axlib.explain.tail_mask`. a = 50 means *every* feature
   (the full attack itself), so a fooled image flips at a = 50 at the latest. The middle band
   ``[a%, (100-a)%]`` is the complement of the tails.
4. **Re-attack.** From the *clean* image, the same PGD (same ``eps``, ``step``, ``steps``,
   norm, label, no random start) with ``mask=``: the mask multiplies the gradient before
   every step's normalisation, so every step changes only masked features, the whole L2
   budget ``eps`` may be spent on them, and features outside the mask stay exactly clean.
   "Flipped" means the prediction on the final re-attacked image differs from ``y``.
5. **Threshold search** (Fig. 4a): a increases over a grid, as in the paper ("starts from
   a = 0 ... gradually increase"), and each image keeps the first a at which it flips.

Three readings of "re-attack" (``method``)
------------------------------------------
``"pgd"`` (default) is step 4: a new masked PGD, the literal reading of "re-attack". It may
concentrate the whole budget on few features, so it is a *stronger* attack per feature than
the first one.

``"scaled"``: the same masked PGD with budget and step multiplied by sqrt(share), share the
nominal fraction of features the mask holds (2a/100 for the a% tails, 1 - 2a/100 for the
middle band): the re-attack keeps the first attack's root-mean-square change *per feature*.
(Normalising the gradient over the whole image and masking the step afterwards does *not*
weaken the attack much: the tails hold most of the gradient's energy.)

``"restrict"`` runs no new attack: the image is ``x + mask * X_diff``, the first attack's own
changes kept on the masked features only (what "attacking only the features in a
percentile band" also means if the attack is not rerun). It costs forward passes only.

The paper states none of: the budget of the re-attack (kept, or scaled to the masked share of
the image), whether the mask is applied at every step or once at the end, whether the
percentiles come from the first attack or are recomputed, the grid of a, or which images
"adversarial test accuracy" in Table 4 is measured on. Our choices are listed above;
:func:`band_accuracy` explains the last one.

Cost: one masked PGD per image per grid value until it flips, batched over all images still
unflipped at that a (a Python loop over the grid and over batches, never over images).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from axlib import attacks as _attacks
from axlib.explain import tail_mask

__all__ = ["DEFAULT_ALPHAS", "PAPER_BANDS", "METHODS", "full_attack", "band_masks", "band_attack",
           "alpha_mask", "flip_threshold", "band_accuracy", "alpha_bins", "mean_alpha_bounds"]

#: How a band is attacked: a new masked PGD (full budget, or budget scaled to the band's share
#: of the features), or the first attack's X_diff restricted to it.
METHODS = ("pgd", "scaled", "restrict")

#: The default grid of a (percent): half-point steps at the bottom, where most thresholds of a
#: full-budget re-attack lie, 2.5 points around the paper's mean of 15, 5 points above 20.
DEFAULT_ALPHAS = (0.5, 1, 2, 3, 4, 5, 6, 8, 10, 12.5, 15, 17.5, 20, 25, 30, 35, 40, 45, 50)

#: Table 4's bands as (low, high) percentiles: the middle band [low, high] is attacked in the
#: left column, the tails [0, low] and [high, 100] in the right column.
PAPER_BANDS = ((15, 85), (10, 90), (5, 95), (1, 99))


# --------------------------------------------------------------------------- validation
def _check_batch_size(batch_size) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    return batch_size


def _check_alphas(alphas) -> tuple[float, ...]:
    if isinstance(alphas, (str, bytes)):
        raise ValueError(f"alphas must be a sequence of percentages in (0, 50], got {alphas!r}")
    try:
        values = tuple(float(a) for a in alphas)
    except (TypeError, ValueError):
        raise ValueError(f"alphas must be a sequence of percentages in (0, 50], got {alphas!r}") from None
    if not values:
        raise ValueError("alphas must hold at least one percentage in (0, 50], got an empty sequence")
    if any(isinstance(a, bool) for a in alphas) or not all(math.isfinite(a) and 0 < a <= 50 for a in values):
        raise ValueError(f"alphas must be percentages in (0, 50], got {list(alphas)!r}")
    if any(b <= a for a, b in zip(values, values[1:])):
        raise ValueError(f"alphas must be strictly increasing, got {list(alphas)!r}")
    return values


def _check_band(band) -> tuple[float, float]:
    try:
        lo, hi = (float(b) for b in band)
    except (TypeError, ValueError):
        raise ValueError(f"bands must be (low, high) percentile pairs, got {band!r}") from None
    if not (0 < lo < 50 and math.isclose(lo + hi, 100.0)):
        raise ValueError("bands must be symmetric (low, high) percentile pairs with 0 < low < 50 and "
                         f"high = 100 - low (the tails rule of AXAI section 3.3), got {band!r}")
    return lo, 100.0 - lo


def _check_bands(bands) -> tuple[tuple[float, float], ...]:
    if isinstance(bands, (str, bytes)) or not isinstance(bands, Sequence) or len(bands) == 0:
        raise ValueError(f"bands must be a non-empty sequence of (low, high) pairs, got {bands!r}")
    return tuple(_check_band(b) for b in bands)


def _check_method(method) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    return method


def _check_attack_params(eps, step, steps, norm):
    return (_attacks._check_nonneg("eps", eps), _attacks._check_positive("step", step),
            _attacks._check_steps(steps), _attacks._check_norm(norm))


def _check_delta(delta, x: torch.Tensor) -> torch.Tensor:
    if not isinstance(delta, torch.Tensor) or delta.shape != x.shape:
        shape = tuple(delta.shape) if isinstance(delta, torch.Tensor) else type(delta).__name__
        raise ValueError(f"delta must be the full attack's x_adv - x, shaped like x {tuple(x.shape)}, "
                         f"got {shape}")
    return delta.to(x.device)


# --------------------------------------------------------------------------- building blocks
def _predict(model, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    return _attacks.predicted_labels(model, x, batch_size=batch_size)


def full_attack(model, x: torch.Tensor, y: torch.Tensor, *, eps: float, step: float, steps: int = 20,
                norm: str = "l2", batch_size: int = 128):
    """The first attack of section 3.3 on every image, in batches.

    x: (N, C, H, W) in [0, 1]; y: (N,) true labels. PGD as in :func:`axlib.attacks.pgd` (no
    random start). Returns ``(delta, fooled)``: delta (N, C, H, W) = x_adv - x (X_diff) and
    fooled (N,) bool, True where the model classifies x correctly and x_adv wrongly.
    """
    eps, step, steps, norm = _check_attack_params(eps, step, steps, norm)
    batch_size = _check_batch_size(batch_size)
    x = _attacks.check_images(x)
    y = _attacks._check_labels(y, x)
    deltas, fooled = [], []
    for i in range(0, x.shape[0], batch_size):
        xb, yb = x[i:i + batch_size], y[i:i + batch_size]
        xa = _attacks.pgd(model, xb, yb, eps=eps, step=step, steps=steps, norm=norm)
        deltas.append(xa - xb)
        fooled.append((_predict(model, xb, batch_size) == yb) & (_predict(model, xa, batch_size) != yb))
    return torch.cat(deltas), torch.cat(fooled)


def _first_attack(model, x, y, delta, fooled, *, eps, step, steps, norm, batch_size):
    """The given (delta, fooled) of :func:`full_attack`, validated, or computed when both are None."""
    if (delta is None) != (fooled is None):
        raise ValueError("delta and fooled must be passed together (both from full_attack) or both None")
    if delta is None:
        delta, fooled = full_attack(model, x, y, eps=eps, step=step, steps=steps, norm=norm,
                                    batch_size=batch_size)
    delta = _check_delta(delta, x)
    if not isinstance(fooled, torch.Tensor) or fooled.shape != (x.shape[0],) or fooled.dtype != torch.bool:
        raise ValueError(f"fooled must be a bool tensor of shape ({x.shape[0]},)")
    return delta, fooled.to(x.device)


def band_masks(delta: torch.Tensor, band) -> tuple[torch.Tensor, torch.Tensor]:
    """Masks of the middle band and of the tails of each image's X_diff distribution.

    delta: (N, C, H, W) X_diff; band: (low, high) percentiles with high = 100 - low.
    Returns ``(inside, outside)``, bool (N, C, H, W): outside = the tails [0, low%] and
    [high%, 100%] (:func:`axlib.explain.tail_mask` with a = low, zeros excluded), inside = its
    complement, the middle band. Every feature is in exactly one of them.
    """
    lo, _ = _check_band(band)
    if not isinstance(delta, torch.Tensor) or delta.dim() != 4:
        raise ValueError("delta must be a tensor of shape (N, C, H, W)")
    outside = tail_mask(delta, lo)
    return ~outside, outside


def alpha_mask(delta: torch.Tensor, alpha: float) -> torch.Tensor:
    """The features re-attacked at tail percentage ``alpha`` in (0, 50]: bool (N, C, H, W).

    alpha < 50: :func:`axlib.explain.tail_mask` of delta (N, C, H, W); alpha = 50: every
    feature (the full attack itself).
    """
    _check_alphas([alpha])
    if not isinstance(delta, torch.Tensor) or delta.dim() != 4:
        raise ValueError("delta must be a tensor of shape (N, C, H, W)")
    if alpha >= 50:
        return torch.ones_like(delta, dtype=torch.bool)
    return tail_mask(delta, alpha)


def _masked_attack(model, x, y, mask, delta, *, method, share, eps, step, steps, norm, batch_size):
    """x (N, C, H, W) attacked on the mask features only: a new masked PGD from the clean x
    (``"pgd"``; ``"scaled"``: eps and step times sqrt(share)), or x + mask * delta
    (``"restrict"``). Returns x_adv."""
    if method == "restrict":
        return x + delta * mask.to(x.dtype)
    if method == "scaled":
        factor = math.sqrt(min(max(share, 0.0), 1.0))
        if factor == 0:
            return x.clone()
        eps, step = eps * factor, step * factor
    return _masked_pgd(model, x, y, mask, eps=eps, step=step, steps=steps, norm=norm, batch_size=batch_size)


def _masked_pgd(model, x, y, mask, *, eps, step, steps, norm, batch_size):
    """PGD from the clean x (N, C, H, W) changing only mask features; returns x_adv, in batches."""
    out = []
    for i in range(0, x.shape[0], batch_size):
        out.append(_attacks.pgd(model, x[i:i + batch_size], y[i:i + batch_size], eps=eps, step=step,
                                steps=steps, norm=norm, mask=mask[i:i + batch_size].to(x.dtype)))
    return torch.cat(out) if out else x.clone()


def band_attack(model, x: torch.Tensor, y: torch.Tensor, delta: torch.Tensor, band, *,
                where: str = "inside", method: str = "pgd", eps: float, step: float, steps: int = 20,
                norm: str = "l2", batch_size: int = 128) -> torch.Tensor:
    """Re-attack the clean x changing only the middle band (``where="inside"``) or the tails
    (``"outside"``) of each image's X_diff ``delta`` (see :func:`band_masks`).

    method "pgd": the same PGD as the full attack (eps, step, steps, norm, label y, no random
    start), the mask applied at every step; "scaled": the same with eps and step times
    sqrt(share), share = 2 low / 100 (tails) or 1 - 2 low / 100 (middle); "restrict":
    x + mask * delta, no new attack.
    Returns x_adv (N, C, H, W); features outside the mask equal x exactly.
    """
    method = _check_method(method)
    eps, step, steps, norm = _check_attack_params(eps, step, steps, norm)
    batch_size = _check_batch_size(batch_size)
    if where not in ("inside", "outside"):
        raise ValueError(f"where must be 'inside' or 'outside', got {where!r}")
    x = _attacks.check_images(x)
    y = _attacks._check_labels(y, x)
    delta = _check_delta(delta, x)
    inside, outside = band_masks(delta, band)
    mask = inside if where == "inside" else outside
    lo, _ = _check_band(band)
    share = 1 - 2 * lo / 100 if where == "inside" else 2 * lo / 100
    return _masked_attack(model, x, y, mask, delta, method=method, share=share, eps=eps, step=step,
                          steps=steps, norm=norm, batch_size=batch_size)


# --------------------------------------------------------------------------- section 3.3
def flip_threshold(model, x: torch.Tensor, y: torch.Tensor, *, alphas=DEFAULT_ALPHAS, eps: float,
                   step: float, steps: int = 20, norm: str = "l2", method: str = "pgd",
                   delta: torch.Tensor | None = None, fooled: torch.Tensor | None = None,
                   batch_size: int = 128) -> torch.Tensor:
    """Smallest tail percentage a at which re-attacking only the tails flips the label (Fig. 4).

    x: (N, C, H, W) clean images in [0, 1]; y: (N,) true labels.
    alphas: strictly increasing percentages in (0, 50]; 50 = every feature (the full attack).
    eps, step, steps, norm: the PGD of both the full attack and the re-attacks.
    delta, fooled: the full attack's X_diff and fooled flags from :func:`full_attack`
    (computed here when None; pass both to reuse them).
    method: "pgd" (a new masked PGD from the clean image), "scaled" (the same with eps and step
    times sqrt(2a/100), the nominal share of the tails) or "restrict" (x + mask * X_diff).
    batch_size: images per PGD call.

    For every fooled image (correct on x, wrong after the full attack), the clean image is
    re-attacked with the same PGD restricted to the features in the outer a% tails of its own
    X_diff distribution (:func:`axlib.explain.tail_mask`; the mask applied at every step), for
    a over ``alphas`` in order; at each a all images not yet flipped are attacked together.
    Pass a subset of the fooled flags as ``fooled`` to search only those images.

    Returns FloatTensor (N,) on the CPU: the first a whose re-attack changes the prediction
    away from y; NaN for images that are not (flagged) fooled, and for fooled images that flip
    at no a of the grid (possible only when the grid stops below 50). Deterministic (no random
    start).
    Raises ValueError naming the parameter for bad alphas, eps, step, steps, norm,
    batch_size, x, y, delta or fooled.
    """
    alphas = _check_alphas(alphas)
    method = _check_method(method)
    eps, step, steps, norm = _check_attack_params(eps, step, steps, norm)
    batch_size = _check_batch_size(batch_size)
    x = _attacks.check_images(x)
    y = _attacks._check_labels(y, x)
    delta, fooled = _first_attack(model, x, y, delta, fooled, eps=eps, step=step, steps=steps, norm=norm,
                                  batch_size=batch_size)

    threshold = torch.full((x.shape[0],), float("nan"))
    todo = torch.nonzero(fooled).flatten()
    for alpha in alphas:
        if todo.numel() == 0:
            break
        xs, ys, ds = x[todo], y[todo], delta[todo]
        x_adv = _masked_attack(model, xs, ys, alpha_mask(ds, alpha), ds, method=method,
                               share=min(2 * alpha / 100, 1.0), eps=eps, step=step, steps=steps,
                               norm=norm, batch_size=batch_size)
        flipped = _predict(model, x_adv, batch_size) != ys
        threshold[todo[flipped].cpu()] = alpha
        todo = todo[~flipped]
    return threshold


def alpha_bins(alphas) -> np.ndarray:
    """Histogram edges for thresholds on the grid ``alphas``: bin i is (alphas[i-1], alphas[i]],
    the first bin (0, alphas[0]]. A threshold a = alphas[i] says the true threshold lies in bin i."""
    alphas = _check_alphas(alphas)
    return np.array((0.0,) + alphas)


# --------------------------------------------------------------------------- Table 4
def band_accuracy(model, x: torch.Tensor, y: torch.Tensor, *, bands=PAPER_BANDS, eps: float,
                  step: float, steps: int = 20, norm: str = "l2", method: str = "pgd",
                  delta: torch.Tensor | None = None, fooled: torch.Tensor | None = None,
                  population: str = "fooled", batch_size: int = 128):
    """Table 4: accuracy when only the middle band, or only the tails, of X_diff are attacked.

    x: (N, C, H, W) clean images in [0, 1]; y: (N,) true labels.
    bands: (low, high) percentile pairs with high = 100 - low (Table 4: (15, 85), (10, 90),
    (5, 95), (1, 99)). eps, step, steps, norm: the PGD of the full attack and re-attacks.
    method: "pgd" (a new masked PGD-``steps`` per band and side), "scaled" (the same with eps and
    step times sqrt of the side's nominal share, 2 low / 100 or 1 - 2 low / 100) or "restrict"
    (x + mask * X_diff).
    delta, fooled: from :func:`full_attack` (computed when None); pass a subset of the fooled
    flags to score only those images.
    population: ``"fooled"`` (default): accuracy over the images the full attack fools (correct
    before, wrong after), i.e. the share the masked attack fails to flip; 1.0 = the band does
    not matter, 0.0 = the band alone carries the attack. ``"all"``: accuracy over all N images
    against y (misclassified images count as errors; every image is attacked).

    Why "fooled" by default: the paper's Table 4 gives 0.80 for ResNet34 / ImageNet with the 1%
    tails attacked, above ResNet34's clean top-1 accuracy (73.3%), so it cannot be accuracy over
    the whole test set; it reads as accuracy on the successfully attacked inputs of section 3.3.

    Returns a pandas DataFrame, one row per band: ``band`` ("15-85"), ``low``, ``high``,
    ``inside`` (accuracy, middle band attacked), ``outside`` (accuracy, tails attacked),
    ``inside_share`` / ``outside_share`` (mean fraction of features in each mask), ``n``
    (images scored).
    Raises ValueError naming the parameter for bad bands, population, eps, step, steps, norm,
    batch_size, x, y, delta or fooled.
    """
    import pandas as pd

    bands = _check_bands(bands)
    method = _check_method(method)
    if population not in ("fooled", "all"):
        raise ValueError(f"population must be 'fooled' or 'all', got {population!r}")
    eps, step, steps, norm = _check_attack_params(eps, step, steps, norm)
    batch_size = _check_batch_size(batch_size)
    x = _attacks.check_images(x)
    y = _attacks._check_labels(y, x)
    delta, fooled = _first_attack(model, x, y, delta, fooled, eps=eps, step=step, steps=steps, norm=norm,
                                  batch_size=batch_size)
    keep = fooled if population == "fooled" else torch.ones_like(fooled)
    xs, ys, ds = x[keep], y[keep], delta[keep]
    n = int(xs.shape[0])

    rows = []
    for lo, hi in bands:
        row = dict(band=f"{lo:g}-{hi:g}", low=lo, high=hi, n=n)
        if n == 0:
            row.update(inside=float("nan"), outside=float("nan"), inside_share=float("nan"),
                       outside_share=float("nan"))
            rows.append(row)
            continue
        inside, outside = band_masks(ds, (lo, hi))
        for name, mask, share in (("inside", inside, 1 - 2 * lo / 100), ("outside", outside, 2 * lo / 100)):
            x_adv = _masked_attack(model, xs, ys, mask, ds, method=method, share=share, eps=eps,
                                   step=step, steps=steps, norm=norm, batch_size=batch_size)
            row[name] = float((_predict(model, x_adv, batch_size) == ys).float().mean())
            row[f"{name}_share"] = float(mask.flatten(1).double().mean(1).mean())
        rows.append(row)
    return pd.DataFrame(rows, columns=["band", "low", "high", "inside", "outside", "inside_share",
                                       "outside_share", "n"])


def mean_alpha_bounds(alphas, accuracy) -> tuple[float, float]:
    """Bounds on the mean flip threshold implied by tails accuracies (Table 4, right column).

    alphas: increasing tail percentages in (0, 50) (e.g. 1, 5, 10, 15); accuracy: the share of
    the fooled images *not* flipped when only those tails are attacked. If flipping is monotone
    in a (a larger tail never un-flips an image) and the accuracies are measured on the same
    images as the thresholds, then ``1 - accuracy[i]`` is the share with threshold <= a_i, and
    every image flips at a = 50 at the latest. Returns (lowest, highest) possible mean a.
    Raises ValueError if the lengths differ, alphas are not increasing in (0, 50), or the
    accuracies are not non-increasing values in [0, 1].
    """
    a = _check_alphas(alphas)
    acc = [float(v) for v in accuracy]
    if len(acc) != len(a):
        raise ValueError(f"accuracy must have one value per alpha ({len(a)}), got {len(acc)}")
    if not all(0 <= v <= 1 for v in acc) or any(b > c + 1e-12 for c, b in zip(acc, acc[1:])):
        raise ValueError(f"accuracy must be non-increasing values in [0, 1], got {acc!r}")
    shares = [1 - v for v in acc] + [1.0]              # P(threshold <= a_i), then <= 50
    edges = (0.0,) + a + (50.0,)
    low = high = 0.0
    prev = 0.0
    for i, share in enumerate(shares):
        mass = share - prev
        low += mass * edges[i]
        high += mass * edges[i + 1]
        prev = share
    return low, high
