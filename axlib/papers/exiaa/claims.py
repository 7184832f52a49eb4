"""The claims of EXIAA that the book checks: one :class:`~axlib.companion.claims.Claim` each
(id, where, statement, the paper's value, the notebook that records it), and the rules that
give each its verdict.

The paper's numbers come from :mod:`axlib.papers.exiaa.paper`; a rule is written before the result is
seen, returns a :class:`~axlib.companion.results.Verdict` with its own one-line text, and has
a test where it passes and one where it fails.
"""
from __future__ import annotations

from axlib.companion.claims import Claim, claim
from axlib.companion.results import Verdict  # noqa: F401  (the rules below return it)
from axlib.papers.exiaa import paper  # noqa: F401

CLAIMS: tuple[Claim, ...] = (
    # ------------------------------------------------------------------------ EXIAA (06)
    claim("exiaa.above_baseline", "4, Fig. 2, Table 1, B.1-B.3", "at equal alpha the attack "
       "changes explanations more than Gaussian noise", "significantly above the baseline",
       "06"),
    claim("exiaa.above_baseline.resnet18", "4, Fig. 2, Table 1", "same, ResNet-18 alone",
       "above the baseline", "06"),
    claim("exiaa.above_baseline.vit", "4, Fig. 2, Table 1", "same, ViT alone",
       "above the baseline", "06"),
    claim("exiaa.vit_more_vulnerable", "4, Fig. 2, Table 1", "the ViT's explanations change "
       "more than the ResNet-18's at equal method, alpha and top-k",
       "e.g. DeepLIFT SHAP, alpha 0.03, top-k 0.1: 71.9% vs 37.6%", "06"),
    claim("exiaa.vit_smaller_confidence_drop", "4, Fig. 4, Table 1", "the ViT's prediction "
       "confidence drops less than the ResNet-18's", "lower prediction drop for the ViT",
       "06"),
    claim("exiaa.confidence_below_5", "4, Fig. 4", "the prediction confidence changes by less "
       "than 5 points on average; only high alpha exceeds 10", "< 5% (> 10% only at high "
       "alpha)", "06"),
    claim("exiaa.baseline_more_similar", "4, Fig. 3", "corrupted images stay structurally "
       "similar to the originals (SSIM), the Gaussian baseline slightly more so",
       "baseline SSIM higher, both high", "06"),
    claim("exiaa.running_up_best", "4, Fig. 5", "an attack image from the running-up class "
       "changes explanations at least as much as one from any other class",
       "always as good or better", "06"),
    claim("exiaa.running_up_above_mean", "4, Fig. 5", "the running-up class does at least as "
       "well as the mean of the other classes (a weaker reading of Fig. 5)",
       "as good or better", "06"),
    claim("exiaa.top5_beat_low_ranks", "App. A, Fig. A.1", "the most confident running-up "
       "images attack better than those ranked 95-100", "top images better", "06"),
    *(claim(f"exiaa.magnitude.{model}.{method}", "Tables 1, B.1-B.3", f"size of the explanation "
         f"change, {label}, {method_label} (median ratio ours / paper over the shared cells)",
         "the tables' percentages", "06")
      for model, label in (("resnet18", "ResNet-18"), ("vit", "ViT"))
      for method, method_label in (("saliency", "saliency"),
                                   ("integrated_gradients", "integrated gradients"),
                                   ("deeplift_shap", "DeepLIFT SHAP"))),
)
