"""The 9 attribution methods of the robust-model study behind one call (Nourelahi et al. 2022, 2.3).

``attribute(method, model, x, target=None, **params) -> FloatTensor (B, H, W)``

========== ============== =================================================================
method     family         implementation (defaults: the paper's section 2.3 / appendix A1)
========== ============== =================================================================
gradient   gradient       Captum ``Saliency``: |d logit_target / d x|, summed over channels
ig         gradient       Captum ``IntegratedGradients`` from a black image, 50 steps
                          (:func:`axlib.explain.baselines.integrated_gradients`)
shap       gradient       Captum ``GradientShap``, 200 samples, references ``background``
                          (None: a black image) (:func:`axlib.explain.baselines.gradient_shap`)
gradcam    CAM            Captum ``LayerGradCam`` on ``layer`` (ReLU of the gradient-weighted
                          channel sum), upsampled bilinearly to H x W
cam        CAM            Zhou et al.'s CAM, written here: the final linear layer's weights of
                          the target on the channels that global average pooling feeds it;
                          only for architectures with GAP right before the classifier
                          (checked numerically; ValueError otherwise)
rise       perturbation   :func:`axlib.explain.perturbation.rise`: 8,000 masks, 7 x 7, p 0.5
lime       perturbation   the ``lime`` package on softmax probabilities
                          (:func:`axlib.explain.baselines.lime_attribution`) over SLIC
                          superpixels (50 segments, compactness 10, sigma 3: the paper's LIME
                          settings), 1,000 samples, superpixels switched off to 0 (black),
                          every superpixel's weight painted on its pixels
mp         perturbation   :func:`axlib.explain.perturbation.meaningful_perturbation`, 500 iterations
ep         perturbation   :func:`axlib.explain.perturbation.extremal_perturbation`, areas
                          (0.025, 0.05, 0.1, 0.2), 800 iterations
========== ============== =================================================================

Every keyword in ``params`` goes to the method's function (e.g. ``n_masks``, ``mask_size``
for RISE; ``n_segments``, ``num_samples`` for LIME; ``iterations`` for MP; ``areas`` for EP;
``layer`` for GradCAM / CAM). An unknown keyword raises TypeError from that function.
``layer``: the feature-map module for GradCAM and CAM; None: the model's ``cam_layer``
attribute if it has one, else the last module (in execution order) that returns a 4-D
feature map with more than one spatial position (:func:`feature_layer`).

Conventions as in :mod:`axlib.explain.baselines`: x (B, C, H, W) in [0, 1], the model returns
logits and normalises inside; target None (the model's prediction), an int or (B,) labels;
the model runs in eval mode and its mode is restored; output on CPU, finite.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from axlib._util.checks import check_images, check_int, eval_mode, model_device
from axlib.explain import baselines as _baselines
from axlib.explain import perturbation as _perturbation

__all__ = ["METHODS", "FAMILIES", "attribute", "feature_layer", "has_gap_classifier",
           "gradient", "gradcam", "cam", "slic_lime"]

METHODS = ("gradient", "ig", "shap", "gradcam", "cam", "rise", "lime", "mp", "ep")
FAMILIES = {"gradient": "gradient", "ig": "gradient", "shap": "gradient",
            "gradcam": "cam", "cam": "cam",
            "rise": "perturbation", "lime": "perturbation", "mp": "perturbation", "ep": "perturbation"}


# --------------------------------------------------------------------------- helpers
def _targets(model, x, target) -> torch.Tensor:
    return _baselines._targets(model, x, target)


def _trace(model, x: torch.Tensor):
    """Run model(x) once, recording (module, input, output) of every module in hook order."""
    records = []

    def hook(module, inputs, output):
        records.append((module, inputs, output))

    handles = [m.register_forward_hook(hook) for m in model.modules() if m is not model]
    try:
        with torch.no_grad(), eval_mode(model):
            out = model(x)
    finally:
        for h in handles:
            h.remove()
    return out, records


def _is_map(t) -> bool:
    return isinstance(t, torch.Tensor) and t.dim() == 4 and t.shape[2] * t.shape[3] > 1


def feature_layer(model: nn.Module, x: torch.Tensor) -> nn.Module:
    """The module GradCAM / CAM read by default.

    ``model.cam_layer`` if set, else the last module, in execution order, whose output is a
    4-D map (B, C, h, w) with h * w > 1.

    Parameters
    ----------
    model : torch.nn.Module
        The model.
    x : torch.Tensor, shape (B, C, H, W)
        An example batch (one forward pass is run).

    Returns
    -------
    torch.nn.Module
        The feature-map module.

    Raises
    ------
    ValueError
        If no module returns such a feature map.
    """
    layer = getattr(model, "cam_layer", None)
    if isinstance(layer, nn.Module):
        return layer
    _, records = _trace(model, x[:1])
    maps = [m for m, _, out in records if _is_map(out)]
    if not maps:
        raise ValueError("the model has no module returning a (B, C, h, w) feature map with h * w > 1; "
                         "pass layer= explicitly")
    return maps[-1]


def has_gap_classifier(model: nn.Module, x: torch.Tensor, *, layer: nn.Module | None = None):
    """Whether the model ends in global average pooling followed by one linear layer.

    Checked numerically on x: the last ``nn.Linear`` to run must produce the model's output,
    and its input must equal the spatial mean of the feature map of ``layer``.

    Parameters
    ----------
    model : torch.nn.Module
        The model.
    x : torch.Tensor, shape (B, C, H, W)
        The batch the check runs on.
    layer : torch.nn.Module, optional
        The feature-map module; None: :func:`feature_layer`.

    Returns
    -------
    tuple
        ``(True, linear, layer)`` with the classifier ``nn.Linear`` and the feature-map
        module, or ``(False, reason, None)`` with a reason string.
    """
    out, records = _trace(model, x)
    linears = [(m, inp, o) for m, inp, o in records if isinstance(m, nn.Linear)]
    if not linears:
        return False, "it has no nn.Linear classifier", None
    linear, inp, lin_out = linears[-1]
    if lin_out.shape != out.shape or not torch.allclose(lin_out, out, atol=1e-5, rtol=1e-4):
        return False, "its last nn.Linear is not the final layer", None
    layer = feature_layer(model, x) if layer is None else layer
    feats = [o for m, _, o in records if m is layer and _is_map(o)]
    if not feats:
        return False, "the chosen layer returns no (B, C, h, w) feature map", None
    pooled = feats[-1].mean(dim=(2, 3))
    z = inp[0]
    if z.shape != pooled.shape or not torch.allclose(z, pooled, atol=1e-5, rtol=1e-4):
        return False, ("the classifier's input is not the global average of the last feature map "
                       f"(classifier input {tuple(z.shape)}, pooled map {tuple(pooled.shape)})"), None
    return True, linear, layer


# --------------------------------------------------------------------------- methods written here
def gradient(model, x: torch.Tensor, target=None, *, reduce: str = "abs_sum") -> torch.Tensor:
    """Gradient (Simonyan et al. 2013) with Captum's ``Saliency``.

    The |gradient| of the target logit with respect to the pixels; channels reduced by
    ``reduce``.

    Parameters
    ----------
    model : callable
        Returns logits (B, classes) from (B, C, H, W) pixels in [0, 1]; run in eval mode (its
        mode is restored).
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    target : None, int or torch.Tensor, shape (B,), optional
        The class explained; None: the model's prediction.
    reduce : {"abs_sum", "sum"}, default "abs_sum"
        Channel reduction: sum of |attribution| (default) or signed sum.

    Returns
    -------
    torch.Tensor, shape (B, H, W), float32
        The attribution map, on CPU, finite.

    Raises
    ------
    ValueError
        For an unknown reduce, x not (B, C, H, W) in [0, 1], or a bad target.
    """
    from captum.attr import Saliency

    reduce = _baselines._check_reduce(reduce)
    x = check_images(x)
    y = _targets(model, x, target)
    device = model_device(model, x.device)
    with eval_mode(model), torch.enable_grad():
        xd = x.detach().to(device).requires_grad_(True)
        attr = Saliency(model).attribute(xd, target=y.to(device), abs=True)
    return _baselines._reduce(attr, reduce)


def gradcam(model, x: torch.Tensor, target=None, *, layer: nn.Module | None = None,
            relu: bool = True) -> torch.Tensor:
    """GradCAM (Selvaraju et al. 2017) with Captum's ``LayerGradCam`` on ``layer``.

    ReLU(sum_k mean(d logit / d A_k) A_k), upsampled to H x W bilinearly
    (``align_corners=False``).

    Parameters
    ----------
    model : callable
        Returns logits (B, classes) from (B, C, H, W) pixels in [0, 1]; run in eval mode (its
        mode is restored).
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    target : None, int or torch.Tensor, shape (B,), optional
        The class explained; None: the model's prediction.
    layer : torch.nn.Module, optional
        The feature-map module A; None: :func:`feature_layer`.
    relu : bool, default True
        Apply the ReLU; ``relu=False`` keeps the sign.

    Returns
    -------
    torch.Tensor, shape (B, H, W), float32
        The attribution map, on CPU, finite.

    Raises
    ------
    ValueError
        If layer is not an ``nn.Module``, no default layer is found, or x / target are bad.
    """
    from captum.attr import LayerGradCam

    x = check_images(x)
    y = _targets(model, x, target)
    device = model_device(model, x.device)
    xd = x.detach().to(device)
    layer = feature_layer(model, xd) if layer is None else layer
    if not isinstance(layer, nn.Module):
        raise ValueError(f"layer must be an nn.Module of the model, got {type(layer).__name__}")
    with eval_mode(model), torch.enable_grad():
        attr = LayerGradCam(model, layer).attribute(xd, target=y.to(device), relu_attributions=relu)
    attr = F.interpolate(attr.detach().float(), size=x.shape[-2:], mode="bilinear", align_corners=False)
    return torch.nan_to_num(attr[:, 0].cpu())


@torch.no_grad()
def cam(model, x: torch.Tensor, target=None, *, layer: nn.Module | None = None) -> torch.Tensor:
    """CAM (Zhou et al. 2016): ``sum_k w_{target, k} A_k``.

    A is the feature map global average pooling feeds to the final linear layer (weights w),
    upsampled bilinearly to H x W. Signed, as the paper defines it (the bias is a constant
    and left out).

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits (B, classes) from (B, C, H, W) pixels in [0, 1]; run in eval mode (its
        mode is restored).
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    target : None, int or torch.Tensor, shape (B,), optional
        The class explained; None: the model's prediction.
    layer : torch.nn.Module, optional
        The feature-map module A; None: :func:`feature_layer`.

    Returns
    -------
    torch.Tensor, shape (B, H, W), float32
        The attribution map, on CPU, finite.

    Raises
    ------
    ValueError
        When the architecture has no GAP right before its classifier (e.g. AlexNet-style
        models with fully connected layers on a flattened map): use "gradcam".
    """
    x = check_images(x)
    y = _targets(model, x, target)
    device = model_device(model, x.device)
    xd = x.detach().to(device)
    ok, linear, layer = has_gap_classifier(model, xd, layer=layer)
    if not ok:
        raise ValueError(f"method 'cam' needs global average pooling right before the classifier, "
                         f"but for this model {linear}; use 'gradcam' instead")
    _, records = _trace(model, xd)
    feats = [o for m, _, o in records if m is layer and _is_map(o)][-1]  # (B, K, h, w)
    weights = linear.weight.detach()[y.to(device)]  # (B, K)
    maps = torch.einsum("bk,bkhw->bhw", weights.float(), feats.float())
    maps = F.interpolate(maps[:, None], size=x.shape[-2:], mode="bilinear", align_corners=False)
    return torch.nan_to_num(maps[:, 0].cpu())


def slic_lime(model, x: torch.Tensor, target=None, *, n_segments: int = 50, compactness: float = 10.0,
              sigma: float = 3.0, num_samples: int = 1000, num_features: int | None = None,
              baseline: float = 0.0, batch_size: int = 50, seed: int = 0) -> torch.Tensor:
    """LIME over SLIC superpixels, with the ``lime`` package on probabilities, as the paper.

    The paper's segmenter (compactness 10, sigma 3, 50 superpixels), then
    :func:`axlib.explain.baselines.lime_attribution` (``lime.lime_image.LimeImageExplainer``,
    the implementation the paper links: its tutorial's classifier returns softmax
    probabilities): ``num_samples`` random on/off patterns, "off" superpixels set to
    ``baseline`` (0: the paper's "zeroing out"), LIME's weighted ridge surrogate; each pixel
    gets its superpixel's weight.

    Parameters
    ----------
    model : callable
        Returns logits (B, classes) from (B, C, H, W) pixels in [0, 1]; run in eval mode (its
        mode is restored).
    x : torch.Tensor, shape (B, 3, H, W), floating
        RGB pixels in [0, 1].
    target : None, int or torch.Tensor, shape (B,), optional
        The class explained; None: the model's prediction.
    n_segments : int, default 50
        SLIC's number of superpixels, >= 1.
    compactness : float, default 10.0
        SLIC's compactness.
    sigma : float, default 3.0
        SLIC's pre-smoothing width.
    num_samples : int, default 1000
        Random on/off patterns.
    num_features : int, optional
        Superpixels of largest |weight| kept; None: all superpixels.
    baseline : float, default 0.0
        Value of the "off" superpixels' pixels (LIME's ``hide_color``).
    batch_size : int, default 50
        Patterns per forward pass.
    seed : int, default 0
        LIME's ``random_state``, >= 0.

    Returns
    -------
    torch.Tensor, shape (B, H, W), float32
        The attribution map, on CPU, finite.

    Raises
    ------
    ValueError
        For n_segments not an integer >= 1, or whatever
        :func:`axlib.explain.baselines.lime_attribution` rejects.
    """
    from skimage.segmentation import slic

    n_segments = check_int("n_segments", n_segments, low=1)
    x = check_images(x)
    segs = []
    for image in x.detach().cpu():
        hwc = image.permute(1, 2, 0).double().numpy()
        labels = slic(hwc, n_segments=n_segments, compactness=float(compactness), sigma=float(sigma),
                      start_label=0, channel_axis=-1)
        segs.append(torch.from_numpy(labels).long())
    return _baselines.lime_attribution(model, x, target, segments=torch.stack(segs), num_samples=num_samples,
                                       num_features=num_features, hide_color=float(baseline),
                                       batch_size=batch_size, random_state=seed)


# --------------------------------------------------------------------------- the one call
def _ig(model, x, target=None, *, n_steps: int = 50, **kw):
    return _baselines.integrated_gradients(model, x, target, n_steps=n_steps, **kw)


def _shap(model, x, target=None, *, n_samples: int = 200, background: torch.Tensor | None = None, **kw):
    return _baselines.gradient_shap(model, x, target, n_samples=n_samples, baselines=background, **kw)


_DISPATCH = {
    "gradient": gradient,
    "ig": _ig,
    "shap": _shap,
    "gradcam": gradcam,
    "cam": cam,
    "rise": _perturbation.rise,
    "lime": slic_lime,
    "mp": _perturbation.meaningful_perturbation,
    "ep": _perturbation.extremal_perturbation,
}


def attribute(method: str, model, x: torch.Tensor, target=None, **params) -> torch.Tensor:
    """Attribution maps (B, H, W) of ``method`` (one of :data:`METHODS`) for x (B, C, H, W).

    Parameters
    ----------
    method : str
        One of :data:`METHODS`; see the module docstring for each one's function and defaults.
    model : callable
        Returns logits (B, classes) from (B, C, H, W) pixels in [0, 1]; run in eval mode (its
        mode is restored).
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    target : None, int or torch.Tensor, shape (B,), optional
        The class explained; None: the model's prediction.
    **params
        Keywords of the method's function.

    Returns
    -------
    torch.Tensor, shape (B, H, W)
        The attribution maps.

    Raises
    ------
    ValueError
        For an unknown method, for ``return_masks`` (call
        :func:`axlib.explain.perturbation.extremal_perturbation` for the masks), and whatever
        the method raises for bad input.
    TypeError
        For a keyword the method's function does not take.
    """
    if method not in _DISPATCH:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if params.get("return_masks"):
        raise ValueError("return_masks is not available through attribute(), which returns maps "
                         "(B, H, W); call axlib.explain.perturbation.extremal_perturbation")
    return _DISPATCH[method](model, x, target, **params)
