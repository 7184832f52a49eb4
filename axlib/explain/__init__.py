"""Explanations: AXAI and every baseline behind one call,
``attribute(method, model, x, target=None, **params)`` (Captum's shape; the methods, their
outputs and keywords are tabled in :mod:`axlib.explain.attribution`).

``axai``: AXAI (Rahnama & Tseng 2021, Algorithm 1), explanations from an adversarial attack,
with its parts (:func:`tail_mask`, :func:`segment_density`, :func:`rank_segments`);
``axai_detection``: AXAI for object detectors, one explanation per detected box (appendix E.2);
``baselines``: LIME, SHAP and Captum's methods; ``methods``: the robust-model study's nine;
``perturbation``: RISE, meaningful and extremal perturbation.
"""
from . import axai as axai_module  # noqa: F401
from . import axai_detection  # noqa: F401
from . import baselines as baselines_module  # noqa: F401
from .attribution import METHODS, OUTPUT, attribute
from .axai import AxaiExplanation, axai, default_attack_params, rank_segments, segment_density, tail_mask
from .baselines import (
    captum_lime,
    gradient_shap,
    integrated_gradients,
    lime_attribution,
    shap_gradient_attribution,
)

__all__ = ["attribute", "METHODS", "OUTPUT", "AxaiExplanation", "axai", "default_attack_params", "rank_segments",
           "segment_density", "tail_mask", "lime_attribution", "shap_gradient_attribution", "captum_lime",
           "gradient_shap", "integrated_gradients"]
