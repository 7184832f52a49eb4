"""Explanations behind one call shape: ``attribute(model, x, target, *, segments) -> (B, H, W)``.

``axai``: AXAI (Rahnama & Tseng 2021, Algorithm 1), explanations from an adversarial attack.
Baselines (LIME, SHAP, ...) join here with the same ``attribute`` signature.
"""
from . import axai as axai_module  # noqa: F401
from .axai import (  # noqa: F401
    AxaiExplanation,
    attribute,
    axai,
    default_attack_params,
    rank_segments,
    segment_density,
    tail_mask,
)

__all__ = ["AxaiExplanation", "axai", "attribute", "default_attack_params", "rank_segments",
           "segment_density", "tail_mask"]
from . import baselines as baselines_module  # noqa: F401,E402
from .baselines import (  # noqa: F401,E402
    captum_lime,
    gradient_shap,
    integrated_gradients,
    lime_attribution,
    shap_gradient_attribution,
)

__all__ += ["lime_attribution", "shap_gradient_attribution", "captum_lime", "gradient_shap",
            "integrated_gradients"]
