"""Every attribution method of the book behind one call, in Captum's shape::

    attribute(method, model, x, target=None, **params) -> FloatTensor

x: (B, C, H, W) pixels in [0, 1]; the model returns logits and normalises inside; target: None
(the model's prediction), an int, or (B,) labels. The model runs in eval mode and its mode is
restored; the output is on the CPU and finite.

===================== ======= ============ ============================================================
method                output  paper        keywords (defaults: the function's)
===================== ======= ============ ============================================================
axai                  B,H,W   AXAI         segments (B, H, W) labels (required), k (10; None: every
                                           segment's density), a, attack, eps, step, steps, norm,
                                           channel_rule (:func:`axlib.explain.axai.attribute`)
gradient              B,H,W   robust       (:func:`axlib.explain.methods.gradient`)
ig                    B,H,W   robust       n_steps, baselines (:mod:`axlib.explain.methods`)
shap                  B,H,W   robust       n_samples, background, stdevs, seed
gradcam               B,H,W   robust       layer
cam                   B,H,W   robust       layer
rise                  B,H,W   robust       n_masks, mask_size, p, batch_size, seed
lime                  B,H,W   robust       n_segments, compactness, sigma, num_samples, seed
                                           (the ``lime`` package on probabilities, SLIC superpixels)
mp                    B,H,W   robust       iterations, ... (meaningful perturbation)
ep                    B,H,W   robust       areas, iterations, ... (extremal perturbation)
lime_package          B,H,W   AXAI Table 5 num_samples, num_features, kernel_size, max_dist, ratio,
                                           positive_only, hide_color, batch_size, random_state
                                           (the ``lime`` package on probabilities)
shap_gradient         B,H,W   AXAI Table 5 background (required), nsamples, batch_size,
                                           local_smoothing, reduce, seed (``shap.GradientExplainer``)
saliency              B,C,H,W EXIAA        batch_size (|d f / d x| per pixel channel, unreduced)
integrated_gradients  B,C,H,W EXIAA        n_steps, batch_size
deeplift_shap         B,C,H,W EXIAA        baselines (N >= 2 references), batch_size
===================== ======= ============ ============================================================

EXIAA's three methods return one value per pixel *channel* (B, C, H, W), as its top-k
injection selects pixel channels; every other method returns one map per image (B, H, W).
An unknown keyword raises TypeError from the method's function; an unknown method a ValueError.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

import torch

from axlib.explain import axai as _axai
from axlib.explain import baselines as _baselines
from axlib.explain import methods as _methods

__all__ = ["METHODS", "OUTPUT", "attribute"]


def _study(name: str) -> Callable:
    return functools.partial(_methods.attribute, name)


METHODS: dict[str, Callable] = {
    "axai": _axai.attribute,
    **{name: _study(name) for name in _methods.METHODS},
    "lime_package": _baselines.lime_attribution,
    "shap_gradient": _baselines.shap_gradient_attribution,
    **{name: functools.partial(_baselines.pixel_attribution, method=name) for name in _baselines.PIXEL_METHODS},
}
OUTPUT = {name: ("B,C,H,W" if name in _baselines.PIXEL_METHODS else "B,H,W") for name in METHODS}


def attribute(method: str, model, x: torch.Tensor, target=None, **params) -> torch.Tensor:
    """Attributions of ``method`` (a key of :data:`METHODS`, see the module's table) for x.

    x: (B, C, H, W) in [0, 1]. Returns FloatTensor (B, H, W), or (B, C, H, W) for EXIAA's
    pixel-channel methods (:data:`OUTPUT` says which). Raises ValueError for an unknown method.
    """
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {tuple(METHODS)}, got {method!r}")
    return METHODS[method](model, x, target, **params)
