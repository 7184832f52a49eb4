"""Baseline explainers behind AXAI's call shape: ``f(model, x, target=None, **kw) -> (B, H, W)``.

AXAI's benchmark (Rahnama & Tseng 2021, section 4.3, Table 5, appendix F) compares against
LIME and SHAP's Gradient Explainer. Both are wrapped here around the original packages, plus
three Captum comparisons:

- :func:`lime_attribution`: ``lime.lime_image.LimeImageExplainer`` with its own QuickShift
  segmentation (``kernel_size=4, max_dist=200, ratio=0.2``; pass ``kernel_size=1`` for 32x32
  images, as appendix F does), N = 1,000 perturbed samples, the top 5 features shown.
- :func:`shap_gradient_attribution`: ``shap.GradientExplainer`` (expected gradients) with 200
  samples; the map is the sum over channels of |SHAP value| (a per-pixel magnitude, the
  usual way to show a 3-channel SHAP map as one image).
- :func:`captum_lime`, :func:`gradient_shap`, :func:`integrated_gradients`: Captum's
  ``Lime`` (over the same QuickShift segments), ``GradientShap`` and ``IntegratedGradients``.

Conventions shared by all of them:

- x: (B, C, H, W) floats in [0, 1] (axlib models normalise inside); the model returns logits
  (B, classes) and is put in eval mode.
- target: None (the model's prediction, as AXAI does), an int, or (B,) labels.
- Returns FloatTensor (B, H, W) on CPU, finite. Pixel methods reduce the channel axis with
  ``reduce="abs_sum"`` (sum of |attribution| over channels, default) or ``"sum"`` (signed).
- Randomness is seeded (``random_state`` / ``seed``) and private: the global numpy and torch
  generators are restored afterwards, so a call is deterministic on CPU and leaves no trace.
- Bad parameters raise ValueError naming the parameter.
"""
from __future__ import annotations

import contextlib

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from axlib import attacks as _attacks
from axlib._util.checks import (
    check_classes,
    check_images,
    check_int,
    check_labels,
    check_number,
    eval_mode,
    model_device,
)
from axlib._util.layout import InComputeLayout, compute_layout

REDUCTIONS = ("abs_sum", "sum")

__all__ = ["lime_attribution", "shap_gradient_attribution", "captum_lime", "gradient_shap",
           "integrated_gradients", "REDUCTIONS"]


# --------------------------------------------------------------------------- validation
def _check_reduce(reduce: str) -> str:
    if reduce not in REDUCTIONS:
        raise ValueError(f"reduce must be one of {REDUCTIONS}, got {reduce!r}")
    return reduce


def _check_quickshift(kernel_size, max_dist, ratio) -> None:
    check_number("kernel_size", kernel_size, low=1)
    check_number("max_dist", max_dist, low=0, low_open=True)
    check_number("ratio", ratio, 0, 1)


def _targets(model, x: torch.Tensor, target) -> torch.Tensor:
    """(B,) long labels on CPU: the model's predictions when target is None."""
    if target is None:
        return _attacks.predicted_labels(model, x.to(model_device(model, x.device))).cpu()
    return check_classes(model, x, check_labels(target, x, name="target"), name="target").cpu()


def _reduce(attr: torch.Tensor, reduce: str) -> torch.Tensor:
    attr = attr.detach().float().cpu()
    out = attr.abs().sum(1) if reduce == "abs_sum" else attr.sum(1)
    return torch.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)


@contextlib.contextmanager
def _private_rng(seed: int):
    """Seed numpy's and torch's global generators for the block, then restore them."""
    np_state = np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        np.random.seed(seed)
        try:
            yield
        finally:
            np.random.set_state(np_state)


class _Selected(nn.Module):
    """model restricted to one output column: x -> model(x)[:, [label]] (B, 1)."""

    def __init__(self, model, label: int):
        super().__init__()
        self.model = model
        self.label = int(label)

    def forward(self, x):
        return self.model(compute_layout(x))[:, self.label:self.label + 1]


# --------------------------------------------------------------------------- LIME (lime package)
def lime_attribution(model, x: torch.Tensor, target=None, *, num_samples: int = 1000,
                     num_features: int | None = 5, kernel_size: float = 4, max_dist: float = 200,
                     ratio: float = 0.2, segments: torch.Tensor | None = None,
                     positive_only: bool = False, hide_color=None,
                     batch_size: int = 50, random_state: int = 0,
                     timings: dict | None = None) -> torch.Tensor:
    """LIME (Ribeiro et al. 2016) with the ``lime`` package, one image at a time.

    Each image is segmented by LIME's own ``SegmentationAlgorithm("quickshift", kernel_size,
    max_dist, ratio)`` (or takes its labels from ``segments``), ``num_samples`` perturbations
    (segments switched off, filled with ``hide_color``) are classified in batches of
    ``batch_size`` (softmax probabilities), and a weighted ridge model is fitted on all segments
    (LIME's ``explain_instance`` defaults). The map keeps the ``num_features`` segments of
    largest |weight|, each pixel carrying its segment's weight; every other pixel is 0.

    Parameters
    ----------
    model : callable
        Returns logits (B, classes) from (B, C, H, W) pixels in [0, 1]; put in eval mode (its
        mode is restored).
    x : torch.Tensor, shape (B, 3, H, W), floating
        RGB pixels in [0, 1].
    target : None, int or torch.Tensor, shape (B,), optional
        The class explained; None: the model's prediction.
    num_samples : int, default 1000
        Perturbations per image, >= 1.
    num_features : int or None, default 5
        Segments shown, >= 1; None: every segment.
    kernel_size : float, default 4
        QuickShift kernel width in pixels, >= 1 (LIME's default 4; appendix F uses
        kernel_size=1 for CIFAR).
    max_dist : float, default 200
        QuickShift cut-off, > 0 (LIME's default).
    ratio : float, default 0.2
        QuickShift colour-space weight, in [0, 1] (LIME's default).
    segments : torch.Tensor, shape (B, H, W), integer, optional
        Segment labels (0, 1, ...) per image to use instead of QuickShift (e.g. the robust
        study's SLIC superpixels); the QuickShift parameters are then unused.
    positive_only : bool, default False
        Keep the largest positive weights only, as ``get_image_and_mask(positive_only=True)``
        shows.
    hide_color : float, optional
        Fill of switched-off segments; None = the segment's mean colour, LIME's default.
    batch_size : int, default 50
        Perturbations per forward pass, >= 1.
    random_state : int, default 0
        Seeds the perturbations and the segmentation, >= 0 (deterministic on CPU; numpy's
        global state is restored).
    timings : dict, optional
        ``timings["segmentation"]`` accumulates the seconds spent in QuickShift.

    Returns
    -------
    torch.Tensor, shape (B, H, W), float32
        The attribution map, on CPU.

    Raises
    ------
    ValueError
        For num_samples < 1, num_features < 1, batch_size < 1, random_state < 0, a bad
        kernel_size (< 1), max_dist (<= 0), ratio (outside [0, 1]) or x not (B, 3, H, W) in
        [0, 1].
    """
    import time

    from lime.lime_image import LimeImageExplainer
    from lime.wrappers.scikit_image import SegmentationAlgorithm

    num_samples = check_int("num_samples", num_samples, low=1)
    if num_features is not None:
        num_features = check_int("num_features", num_features, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    random_state = check_int("random_state", random_state, low=0)
    _check_quickshift(kernel_size, max_dist, ratio)
    x = check_images(x)
    if x.shape[1] != 3:
        raise ValueError(f"x must have 3 colour channels for LIME's QuickShift, got shape {tuple(x.shape)}")
    if segments is not None:
        from axlib.explain.axai import _check_segments
        segments = _check_segments(segments, x.detach().cpu())
    y = _targets(model, x, target)
    device = model_device(model, x.device)

    segmenter = SegmentationAlgorithm("quickshift", kernel_size=float(kernel_size),
                                      max_dist=float(max_dist), ratio=float(ratio),
                                      random_seed=random_state)
    given = iter(segments.numpy()) if segments is not None else None

    def segmentation_fn(image):
        if given is not None:
            return next(given)
        start = time.perf_counter()
        out = segmenter(image)
        if timings is not None:
            timings["segmentation"] = timings.get("segmentation", 0.0) + time.perf_counter() - start
        return out

    @torch.no_grad()
    @torch.no_grad()
    def classifier_fn(images: np.ndarray) -> np.ndarray:   # NHWC arrays: a channels-last batch
        batch = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
        batch = batch.to(device=device, dtype=torch.float32)
        return torch.softmax(model(batch), dim=1).double().cpu().numpy()

    import lime.lime_image as _lime_image

    quiet_tqdm = _lime_image.tqdm
    _lime_image.tqdm = lambda iterable, *args, **kwargs: iterable  # no progress bar per image
    maps = []
    try:
        with eval_mode(model):
            for image, label in zip(x.detach().cpu(), y.tolist()):
                hwc = image.permute(1, 2, 0).double().numpy()
                np_state = np.random.get_state()
                try:
                    explainer = LimeImageExplainer(random_state=random_state)
                    explanation = explainer.explain_instance(
                        hwc, classifier_fn, labels=(label,), top_labels=None, hide_color=hide_color,
                        num_samples=num_samples, batch_size=batch_size,
                        segmentation_fn=segmentation_fn, random_seed=random_state)
                finally:
                    np.random.set_state(np_state)
                weights = explanation.local_exp[label]  # (segment, weight), by |weight| descending
                if positive_only:
                    weights = [(s, w) for s, w in weights if w > 0]
                chosen = weights[:num_features]
                segments = torch.from_numpy(np.asarray(explanation.segments)).long()
                table = torch.zeros(int(segments.max()) + 1, dtype=torch.float32)
                for seg, w in chosen:
                    table[int(seg)] = float(w)
                maps.append(table[segments])
    finally:
        _lime_image.tqdm = quiet_tqdm
    return torch.stack(maps)


# --------------------------------------------------------------------------- SHAP GradientExplainer
def shap_gradient_attribution(model, x: torch.Tensor, target=None, *, background: torch.Tensor,
                              nsamples: int = 200, batch_size: int = 50,
                              local_smoothing: float = 0.0, reduce: str = "abs_sum",
                              seed: int = 0) -> torch.Tensor:
    """SHAP's Gradient Explainer (expected gradients; Lundberg & Lee 2017, Erion et al.).

    The SHAP values of the target logit, (B, C, H, W), are reduced over channels.

    Parameters
    ----------
    model : callable
        Returns logits (B, classes) from (B, C, H, W) pixels in [0, 1]; put in eval mode (its
        mode is restored).
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    target : None, int or torch.Tensor, shape (B,), optional
        The class explained; None: the model's prediction.
    background : torch.Tensor, shape (N, C, H, W), floating
        Reference images in [0, 1] the integration paths start from, N >= 1.
    nsamples : int, default 200
        Points sampled per image, >= 1 (AXAI's benchmark: 200).
    batch_size : int, default 50
        Samples evaluated at a time, >= 1.
    local_smoothing : float, default 0.0
        Std of Gaussian noise added to x, in pixel units, >= 0 (shap's option, 0 = off).
    reduce : {"abs_sum", "sum"}, default "abs_sum"
        ``"abs_sum"`` sums |value| over channels (a magnitude map, as the paper's appendix F
        figures show pixels of interest); ``"sum"`` keeps the sign.
    seed : int, default 0
        shap's ``rseed``, >= 0 (deterministic on CPU; numpy's global state is restored).

    Returns
    -------
    torch.Tensor, shape (B, H, W), float32
        The attribution map, on CPU, finite.

    Raises
    ------
    ValueError
        For nsamples < 1, batch_size < 1, local_smoothing < 0, an unknown reduce, seed < 0,
        or x / background not images in [0, 1] of the same (C, H, W).
    """
    import shap

    nsamples = check_int("nsamples", nsamples, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    local_smoothing = check_number("local_smoothing", local_smoothing, low=0)
    reduce = _check_reduce(reduce)
    seed = check_int("seed", seed, low=0)
    x = check_images(x)
    background = check_images(background, name="background")
    if background.shape[1:] != x.shape[1:]:
        raise ValueError(f"background must have shape (N, {', '.join(map(str, x.shape[1:]))}), "
                         f"got {tuple(background.shape)}")
    y = _targets(model, x, target)
    device = model_device(model, x.device)
    background = background.detach().to(device)
    values = []
    with eval_mode(model):
        with _private_rng(seed):
            for image, label in zip(x.detach().to(device), y.tolist()):
                explainer = shap.GradientExplainer(_Selected(model, label), background,
                                                   batch_size=batch_size,
                                                   local_smoothing=local_smoothing)
                sv = explainer.shap_values(image[None], nsamples=nsamples, rseed=seed)
                sv = np.asarray(sv[0] if isinstance(sv, list) else sv)
                if sv.ndim == x.dim() + 1:  # trailing output axis (one output)
                    sv = sv[..., 0]
                values.append(torch.from_numpy(sv.reshape(1, *x.shape[1:])))
    return _reduce(torch.cat(values), reduce)


# --------------------------------------------------------------------------- Captum
def captum_lime(model, x: torch.Tensor, target=None, *, segments: torch.Tensor | None = None,
                num_samples: int = 1000, num_features: int | None = 5, kernel_size: float = 4,
                max_dist: float = 200, ratio: float = 0.2, baseline: float = 0.0,
                perturbations_per_eval: int = 50, surrogate: str = "ridge", alpha: float = 1.0,
                seed: int = 0) -> torch.Tensor:
    """Captum's ``Lime`` over superpixels: one weight per segment, painted on its pixels.

    ``num_samples`` perturbations (segments replaced by ``baseline``), evaluated
    ``perturbations_per_eval`` at a time, weighted by Captum's exponential cosine similarity
    kernel, fit a linear surrogate.

    Parameters
    ----------
    model : callable
        Returns logits (B, classes) from (B, C, H, W) pixels in [0, 1]; put in eval mode (its
        mode is restored).
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    target : None, int or torch.Tensor, shape (B,), optional
        The class explained; None: the model's prediction.
    segments : torch.Tensor, shape (B, H, W) or (H, W), integer, optional
        Labels >= 0 (e.g. the ones AXAI uses); None: computed with
        :func:`axlib.segment.quickshift` (kernel_size, max_dist, ratio; LIME's defaults).
    num_samples : int, default 1000
        Perturbations per image, >= 1.
    num_features : int or None, default 5
        Keep the segments of the largest |weight|, >= 1 (None: all).
    kernel_size, max_dist, ratio : float, default 4, 200, 0.2
        QuickShift parameters (pixels, >= 1; > 0; in [0, 1]) for ``segments=None``.
    baseline : float, default 0.0
        Value of replaced segments (0: black).
    perturbations_per_eval : int, default 50
        Perturbations per forward pass, >= 1.
    surrogate : {"ridge", "lasso"}, default "ridge"
        ``"ridge"`` (with ``alpha=1.0``: the lime package's model) or ``"lasso"`` (Captum's
        own default with ``alpha=0.01``; it zeroes every weight when the target logit barely
        moves).
    alpha : float, default 1.0
        Regularisation of the surrogate, > 0.
    seed : int, default 0
        Seeds torch's generator for the perturbations, >= 0 (the global generators are
        restored).

    Returns
    -------
    torch.Tensor, shape (B, H, W), float32
        The attribution map, on CPU, finite.

    Raises
    ------
    ValueError
        For num_samples < 1, num_features < 1, perturbations_per_eval < 1, an unknown
        surrogate, alpha <= 0, a baseline that is not a number, seed < 0, bad QuickShift
        parameters, or segments not (B, H, W) integers >= 0.
    """
    from captum._utils.models.linear_model import SkLearnLasso, SkLearnRidge
    from captum.attr import Lime

    from axlib.explain.axai import _check_segments
    from axlib.segment import quickshift

    num_samples = check_int("num_samples", num_samples, low=1)
    if num_features is not None:
        num_features = check_int("num_features", num_features, low=1)
    perturbations_per_eval = check_int("perturbations_per_eval", perturbations_per_eval, low=1)
    if surrogate not in ("ridge", "lasso"):
        raise ValueError(f"surrogate must be 'ridge' or 'lasso', got {surrogate!r}")
    alpha = check_number("alpha", alpha, low=0, low_open=True)
    baseline = check_number("baseline", baseline)
    seed = check_int("seed", seed, low=0)
    _check_quickshift(kernel_size, max_dist, ratio)
    x = check_images(x)
    if segments is None:
        segments = quickshift(x.detach().cpu(), kernel_size=kernel_size, max_dist=max_dist, ratio=ratio)
    segments = _check_segments(segments, x.detach().cpu())
    y = _targets(model, x, target)
    device = model_device(model, x.device)

    maps = []
    with eval_mode(model), _private_rng(seed):
        fitted = SkLearnRidge(alpha=alpha) if surrogate == "ridge" else SkLearnLasso(alpha=alpha)
        lime = Lime(model, interpretable_model=fitted)
        for i in range(x.shape[0]):
            xi = x[i:i + 1].detach().to(device)
            mask = segments[i][None, None].to(device)  # (1, 1, H, W), broadcast over channels
            attr = lime.attribute(xi, target=int(y[i]), feature_mask=mask, n_samples=num_samples,
                                  perturbations_per_eval=perturbations_per_eval,
                                  baselines=float(baseline), show_progress=False)
            amap = attr[0, 0].detach().float().cpu()  # the same weight on every channel
            if num_features is not None:
                seg = segments[i]
                weights = torch.zeros(int(seg.max()) + 1).scatter_reduce(
                    0, seg.reshape(-1), amap.reshape(-1), reduce="amax", include_self=False)
                order = torch.sort(weights.abs(), descending=True, stable=True).indices
                keep = torch.zeros_like(weights, dtype=torch.bool)
                keep[order[:num_features]] = True
                amap = torch.where(keep[seg], amap, torch.zeros_like(amap))
            maps.append(torch.nan_to_num(amap))
    return torch.stack(maps)


def gradient_shap(model, x: torch.Tensor, target=None, *, baselines: torch.Tensor | None = None,
                  n_samples: int = 200, stdevs: float = 0.0, reduce: str = "abs_sum",
                  seed: int = 0) -> torch.Tensor:
    """Captum's ``GradientShap`` (expected gradients with Gaussian smoothing).

    Parameters
    ----------
    model : callable
        Returns logits (B, classes) from (B, C, H, W) pixels in [0, 1]; put in eval mode (its
        mode is restored).
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    target : None, int or torch.Tensor, shape (B,), optional
        The class explained; None: the model's prediction.
    baselines : torch.Tensor, shape (N, C, H, W), optional
        Reference images (finite); None: one black image.
    n_samples : int, default 200
        Random points per image, >= 1 (200, as SHAP in the benchmark).
    stdevs : float, default 0.0
        Std of the Gaussian noise on the inputs, in pixel units, >= 0.
    reduce : {"abs_sum", "sum"}, default "abs_sum"
        Channel reduction: sum of |attribution| over channels, or the signed sum.
    seed : int, default 0
        Seeds torch's generator, >= 0 (restored afterwards).

    Returns
    -------
    torch.Tensor, shape (B, H, W), float32
        The attribution map, on CPU, finite.

    Raises
    ------
    ValueError
        For n_samples < 1, stdevs < 0, an unknown reduce, seed < 0, or bad baselines.
    """
    from captum.attr import GradientShap

    n_samples = check_int("n_samples", n_samples, low=1)
    stdevs = check_number("stdevs", stdevs, low=0)
    reduce = _check_reduce(reduce)
    seed = check_int("seed", seed, low=0)
    x = check_images(x)
    device = model_device(model, x.device)
    if baselines is None:
        baselines = torch.zeros(1, *x.shape[1:])
    baselines = check_images(baselines, bounds=None, name="baselines")
    if baselines.shape[1:] != x.shape[1:]:
        raise ValueError(f"baselines must have shape (N, {', '.join(map(str, x.shape[1:]))}), "
                         f"got {tuple(baselines.shape)}")
    y = _targets(model, x, target)
    with eval_mode(model), _private_rng(seed):
        attr = GradientShap(InComputeLayout(model)).attribute(x.detach().to(device), baselines=baselines.to(device),
                                             target=y.to(device), n_samples=n_samples, stdevs=stdevs)
    return _reduce(attr, reduce)


def integrated_gradients(model, x: torch.Tensor, target=None, *, baseline: float | torch.Tensor = 0.0,
                         n_steps: int = 50, method: str = "gausslegendre",
                         internal_batch_size: int | None = None,
                         reduce: str = "abs_sum") -> torch.Tensor:
    """Captum's ``IntegratedGradients`` (Sundararajan et al. 2017), deterministic.

    Parameters
    ----------
    model : callable
        Returns logits (B, classes) from (B, C, H, W) pixels in [0, 1]; put in eval mode (its
        mode is restored).
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    target : None, int or torch.Tensor, shape (B,), optional
        The class explained; None: the model's prediction.
    baseline : float or torch.Tensor, shape (1 or B, C, H, W), default 0.0
        A number (a constant image; default black) or a tensor.
    n_steps : int, default 50
        Points on the path, >= 1 (Captum's default 50).
    method : str, default "gausslegendre"
        Captum's quadrature rule: "riemann_right", "riemann_left", "riemann_middle",
        "riemann_trapezoid" or "gausslegendre".
    internal_batch_size : int, optional
        Path points per forward pass, >= 1 (None: all at once).
    reduce : {"abs_sum", "sum"}, default "abs_sum"
        Channel reduction: sum of |attribution| over channels, or the signed sum.

    Returns
    -------
    torch.Tensor, shape (B, H, W), float32
        The attribution map, on CPU, finite.

    Raises
    ------
    ValueError
        For n_steps < 1, internal_batch_size < 1, an unknown reduce or method, or a baseline
        that is neither a number nor a tensor of that shape.
    """
    from captum.attr import IntegratedGradients

    n_steps = check_int("n_steps", n_steps, low=1)
    if internal_batch_size is not None:
        internal_batch_size = check_int("internal_batch_size", internal_batch_size, low=1)
    methods = ("riemann_right", "riemann_left", "riemann_middle", "riemann_trapezoid", "gausslegendre")
    if method not in methods:
        raise ValueError(f"method must be one of {methods}, got {method!r}")
    reduce = _check_reduce(reduce)
    x = check_images(x)
    device = model_device(model, x.device)
    if isinstance(baseline, torch.Tensor):
        if baseline.dim() != 4 or baseline.shape[1:] != x.shape[1:] or baseline.shape[0] not in (1, x.shape[0]):
            raise ValueError(f"baseline must be a number or a tensor of shape (1 or B, C, H, W), "
                             f"got {tuple(baseline.shape)}")
        baseline = baseline.to(device)
    elif isinstance(baseline, bool) or not isinstance(baseline, (int, float)):
        raise ValueError(f"baseline must be a number or a tensor, got {baseline!r}")
    else:
        baseline = float(baseline)
    y = _targets(model, x, target)
    with eval_mode(model):
        attr = IntegratedGradients(InComputeLayout(model)).attribute(x.detach().to(device), baselines=baseline,
                                                    target=y.to(device), n_steps=n_steps,
                                                    method=method,
                                                    internal_batch_size=internal_batch_size)
    return _reduce(attr, reduce)


# --------------------------------------------------------------------------- per-channel maps (EXIAA)
PIXEL_METHODS = ("saliency", "integrated_gradients", "deeplift_shap")


@contextlib.contextmanager
def _gelu_rescale_rule():
    """Let Captum's DeepLift apply its rescale rule to ``nn.GELU`` for the duration of the block.

    Captum 0.9 has DeepLift rules only for the module types in ``SUPPORTED_NON_LINEAR`` (ReLU,
    ELU, LeakyReLU, Sigmoid, Tanh, Softplus, max-pooling, Softmax); any other module gets the
    plain gradient. GELU is elementwise, so the rescale rule (multiplier = delta out / delta in,
    the gradient where delta in is ~0) that Captum uses for ReLU and Sigmoid is exactly as valid
    for it. The table is restored afterwards, so no other caller sees the change.
    """
    from captum.attr._core import deep_lift

    table = deep_lift.SUPPORTED_NON_LINEAR
    had = nn.GELU in table
    previous = table.get(nn.GELU)
    table[nn.GELU] = deep_lift.nonlinear
    try:
        yield
    finally:
        if had:
            table[nn.GELU] = previous
        else:
            del table[nn.GELU]


def _max_pool_multipliers(module: nn.MaxPool2d, inputs: torch.Tensor, outputs: torch.Tensor,
                          grad_input: torch.Tensor, grad_output: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    """DeepLIFT's multipliers through a 2-D max-pool, summing exactly to the output change.

    ``inputs`` / ``outputs`` stack the examples over their references along the batch (Captum's
    layout: first half inputs, second half references); ``grad_output`` holds the multipliers of
    the pool's outputs. Per window, the output change ``y - y_ref`` splits at the cross maximum
    ``c = max(y, y_ref)`` into ``c - y_ref``, credited to the input's maximal position, and
    ``y - c``, credited to the reference's maximal position (the rule of DeepLIFT as Captum
    and shap implement it). Credits are *summed* where windows overlap (a position maximal in
    several windows gets all their credit; ``max_unpool2d`` keeps one), and the multiplier is
    credit / input change; where the input change is below ``eps`` (its credit is then zero)
    it is the example's own gradient. Returns the multipliers, shaped as ``inputs``.
    """
    with torch.no_grad():
        y, y_ref = outputs.chunk(2)
        cross = torch.maximum(y, y_ref)
        credit = grad_output * torch.cat([cross - y_ref, y - cross])          # (2B, C, h, w)
        _, where = F.max_pool2d(inputs, module.kernel_size, module.stride, module.padding,
                                module.dilation, module.ceil_mode, return_indices=True)
        b2, c, h, w = inputs.shape
        summed = torch.zeros(b2, c, h * w, dtype=credit.dtype, device=credit.device)
        summed.scatter_add_(2, where.flatten(2), credit.flatten(2))
        at_input, at_reference = summed.view(b2, c, h, w).chunk(2)
        credit_in = torch.cat(2 * [at_input + at_reference])
        x, x_ref = inputs.chunk(2)
        delta_in = torch.cat(2 * [x - x_ref])
        small = delta_in.abs() < eps
        return torch.where(small, grad_input, credit_in / torch.where(small, torch.ones_like(delta_in), delta_in))


@contextlib.contextmanager
def _complete_max_pool_rule(model: nn.Module):
    """Make Captum's DeepLift complete through ``nn.MaxPool2d`` for the duration of the block.

    Captum 0.9's max-pool rule loses attribution three ways, measured on axlib's models as 4 to
    16 % of the output change on the AlexNets and about 99 % on the canvas GoogLeNet: its
    backward hooks on a pool whose input tensor is also a ReLU's output (hooked too) disturb
    each other; ``max_unpool2d`` keeps one of the credits of overlapping windows (GoogLeNet's
    3 x 3 stride-1 pool branch); its small-change fallback takes the first example's gradient
    for the whole batch (Captum issue #1276). Here each pool gets its input as a fresh tensor
    (a forward pre-hook registered before Captum's), and :func:`_max_pool_multipliers` replaces
    the rule in Captum's table; both are undone afterwards.
    """
    from captum.attr._core import deep_lift

    pools = [m for m in model.modules() if type(m) is nn.MaxPool2d]
    handles = [m.register_forward_pre_hook(lambda _, args: tuple(a.clone() for a in args)) for m in pools]
    table = deep_lift.SUPPORTED_NON_LINEAR
    previous = table[nn.MaxPool2d]
    table[nn.MaxPool2d] = _max_pool_multipliers
    try:
        yield
    finally:
        table[nn.MaxPool2d] = previous
        for handle in handles:
            handle.remove()


def pixel_attribution(model, x: torch.Tensor, target=None, *, method: str,
                      n_steps: int = 50, baselines: torch.Tensor | None = None,
                      batch_size: int = 64) -> torch.Tensor:
    """Per pixel-channel attributions (B, C, H, W), unreduced, from Captum (EXIAA's three methods).

    Computed ``batch_size`` images at a time (IG's path points and DeepLiftShap's baselines
    multiply the batch Captum evaluates). Deterministic on CPU (no sampling).

    Parameters
    ----------
    model : callable
        Returns logits (B, classes) from (B, C, H, W) pixels in [0, 1]; put in eval mode (its
        mode is restored).
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    target : None, int or torch.Tensor, shape (B,), optional
        The class explained; None: the model's prediction.
    method : {"saliency", "integrated_gradients", "deeplift_shap"}
        ``"saliency"``: Captum ``Saliency`` with ``abs=True``: |d f_target / d x| (Simonyan et
        al. 2013), non-negative; ``"integrated_gradients"``: Captum ``IntegratedGradients``
        from a black image, ``n_steps`` Gauss-Legendre points (Captum's default 50), signed;
        ``"deeplift_shap"``: Captum ``DeepLiftShap``: DeepLIFT's rescale rule against each of
        the ``baselines`` reference images, averaged (Lundberg & Lee 2017), signed.
    n_steps : int, default 50
        Integrated-gradients path points, >= 1.
    baselines : torch.Tensor, shape (N, C, H, W), optional
        DeepLiftShap reference images, N >= 2; None: a black and a white image.
    batch_size : int, default 64
        Images per Captum call, >= 1.

    Returns
    -------
    torch.Tensor, shape (B, C, H, W), float32
        The attributions, on CPU, finite.

    Raises
    ------
    ValueError
        For an unknown method, n_steps < 1, batch_size < 1, x not in [0, 1], or baselines not
        (N >= 2, C, H, W).
    RuntimeError
        From Captum, for ``"deeplift_shap"`` on a model that calls one nonlinear module twice
        in a forward pass (see Notes).

    Notes
    -----
    DeepLIFT and reused modules: Captum records each nonlinear module's input and output in
    forward hooks, so a module called twice in one forward pass (torchvision's BasicBlock
    reuses ``self.relu``) keeps only the second call and Captum raises a RuntimeError. axlib's
    own models (``cifar10-resnet18``, ``cifar10-vit``, ``imagenet-mobilenetv2``) use one module
    per use. For a torchvision ResNet, replace every block's ``relu`` by two fresh ``nn.ReLU``
    modules before calling this.

    DeepLIFT and max-pooling: Captum's own rule is replaced for the call by one that sums
    exactly to the output change (:func:`_complete_max_pool_rule`); with it every shipped CNN
    is complete to float precision (:func:`completeness_error`), without it the AlexNets miss
    4 to 16 % of the change and the canvas GoogLeNet about 99 %.

    DeepLIFT and the ViT: GELU gets the rescale rule through a temporary entry in Captum's rule
    table (it is elementwise, so the rule holds); LayerNorm and the attention products q k^T,
    A v (multiplicative interactions, for which DeepLIFT has no rule) get Captum's fallback,
    the plain gradient. DeepLIFT SHAP on a ViT is therefore a hybrid of DeepLIFT (linear
    layers, GELU) and gradient x delta (attention, LayerNorm); it still satisfies neither
    completeness nor the SHAP averaging exactly.
    """
    from captum.attr import DeepLiftShap, IntegratedGradients, Saliency

    if method not in PIXEL_METHODS:
        raise ValueError(f"method must be one of {PIXEL_METHODS}, got {method!r}")
    n_steps = check_int("n_steps", n_steps, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    x = check_images(x)
    device = model_device(model, x.device)
    if method == "deeplift_shap":
        if baselines is None:
            baselines = torch.stack([torch.zeros(x.shape[1:]), torch.ones(x.shape[1:])])
        baselines = check_images(baselines, bounds=None, name="baselines")
        if baselines.shape[0] < 2 or baselines.shape[1:] != x.shape[1:]:
            raise ValueError(f"baselines must have shape (N >= 2, {', '.join(map(str, x.shape[1:]))}), "
                             f"got {tuple(baselines.shape)}")
        baselines = baselines.to(device)
    y = _targets(model, x, target)
    out = []
    with eval_mode(model), _gelu_rescale_rule(), _complete_max_pool_rule(model), torch.enable_grad(), _quiet_captum():
        for start in range(0, x.shape[0], batch_size):
            xb = x[start:start + batch_size].detach().to(device)
            yb = y[start:start + batch_size].to(device)
            if method == "saliency":
                attr = Saliency(model).attribute(xb, target=yb, abs=True)
            elif method == "integrated_gradients":
                attr = IntegratedGradients(model).attribute(xb, baselines=0.0, target=yb, n_steps=n_steps,
                                                            method="gausslegendre")
            else:
                attr = DeepLiftShap(model).attribute(xb, baselines=baselines, target=yb)
            out.append(torch.nan_to_num(attr.detach().float().cpu(), nan=0.0, posinf=0.0, neginf=0.0))
    return torch.cat(out)


def completeness_error(model, x: torch.Tensor, attributions: torch.Tensor, target=None, *,
                       baselines: torch.Tensor | None = None) -> torch.Tensor:
    """How far DeepLIFT-SHAP attributions are from summing to the change they explain.

    Completeness (DeepLIFT's summation-to-delta, averaged over the references as DeepLIFT-SHAP
    averages): ``sum(attributions[i]) = f_t(x_i) - mean_b f_t(b)``, with ``f_t`` the target's
    logit.

    Parameters
    ----------
    model : callable
        Returns logits (B, classes) from (B, C, H, W) pixels in [0, 1].
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    attributions : torch.Tensor, shape (B, C, H, W)
        From :func:`pixel_attribution` (``method="deeplift_shap"``).
    target : None, int or torch.Tensor, shape (B,), optional
        The class explained; None: the model's prediction.
    baselines : torch.Tensor, shape (N, C, H, W), optional
        The references the attributions were computed against; None: a black and a white image.

    Returns
    -------
    torch.Tensor, shape (B,), float64
        ``|sum - change| / |change|`` per image (0: complete).

    Raises
    ------
    ValueError
        For attributions not shaped as x.
    """
    x = check_images(x)
    if not isinstance(attributions, torch.Tensor) or attributions.shape != x.shape:
        shape = tuple(attributions.shape) if isinstance(attributions, torch.Tensor) else type(attributions).__name__
        raise ValueError(f"attributions must have the shape of x {tuple(x.shape)}, got {shape}")
    if baselines is None:
        baselines = torch.stack([torch.zeros(x.shape[1:]), torch.ones(x.shape[1:])])
    y = _targets(model, x, target)
    device = model_device(model, x.device)
    with eval_mode(model), torch.no_grad():
        f_x = model(x.to(device)).double().gather(1, y.to(device)[:, None])[:, 0]
        f_b = model(baselines.to(device)).double()[:, y.to(device)].mean(0)
    change = (f_x - f_b).cpu()
    return (attributions.double().sum((1, 2, 3)) - change).abs() / change.abs()


@contextlib.contextmanager
def _quiet_captum():
    """Silence Captum's per-call notices (DeepLift hooks, inputs set to require gradients)."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Setting forward, backward hooks")
        warnings.filterwarnings("ignore", message="Input Tensor .* did not already require gradients")
        yield


__all__ += ["pixel_attribution", "PIXEL_METHODS", "completeness_error"]
