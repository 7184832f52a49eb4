"""The claims of How explainable are adversarially-robust CNNs? (Nourelahi et al., 2022) that the book checks: one :class:`~axlib.companion.claims.Claim` each
(id, where, statement, the paper's value, the notebook that records it), and the rules that
give each its verdict.

The paper's numbers come from :mod:`axlib.papers.robust.paper`; a rule is written before the result is
seen, returns a :class:`~axlib.companion.results.Verdict` with its own one-line text, and has
a test where it passes and one where it fails.
"""
from __future__ import annotations

from axlib.companion.claims import Claim, claim
from axlib.companion.results import Verdict  # noqa: F401  (the rules below return it)
from axlib.papers.robust import paper  # noqa: F401

CLAIMS: tuple[Claim, ...] = (
    # -------------------------------------------------------------- robust-CNN study (05)
    claim("robust.table1.confidence_ratio", "2.2, Table 1", "robust models are less confident "
       "than vanilla ones (vanilla / robust mean confidence on correct images)", "about 1.8x", "05"),
    claim("robust.table1.advprop_accuracy", "2.2, Table 1", "AdvProp models are as accurate as "
       "vanilla ones", "77.01 and 77.31% vs 76.15% (ResNet-50)", "05"),
    claim("robust.tuning.robust_prefers_smaller", "A1, Table A1", "tuned for robust models, MP "
       "needs fewer steps and RISE smaller masks than for vanilla ones",
       "MP 10 vs 500 steps; RISE mask 3-4 vs 7", "05"),
    claim("robust.gradient_localisation", "3.1, Fig. 2a-b", "robust models score higher than "
       "vanilla ones on Pointing Game and WSL under gradient-based AMs",
       "significant, Mann-Whitney p < 0.003", "05"),
    claim("robust.cam_perturbation_no_difference", "3.1, Fig. 2a-b", "no significant "
       "localisation difference under CAM-based and perturbation-based AMs",
       "not significant", "05"),
    claim("robust.insertion_favours_vanilla", "3.1, Fig. 2c", "under Insertion vanilla models "
       "score better", "p < 0.002", "05"),
    claim("robust.deletion_favours_robust", "3.1, Fig. 2d", "under Deletion robust models "
       "score better", "p < 0.002", "05"),
    claim("robust.advprop_between", "3.2, Fig. 3", "AdvProp models lie between vanilla and "
       "robust models in localisation", "vanilla < AdvProp < robust", "05"),
    claim("robust.best_methods", "3.3, Fig. 4, Table A2", "GradCAM and RISE are among the top-3 "
       "methods under all four metrics; MP is the worst", "GradCAM, RISE top-3; MP last", "05"),
    claim("robust.runtime", "3.3, Table 2", "Gradient and GradCAM take milliseconds per image, "
       "perturbation methods orders of magnitude longer; GradCAM is the best trade-off with WSL",
       "GradCAM 34 ms, Gradient 26 ms, EP 32 s", "05"),
    claim("robust.no_best_cnn", "3.4, Fig. 5", "no CNN is best in accuracy and explainability "
       "at once", "IDEAL region empty", "05"),
    claim("robust.deletion_confidence.network", "3.5, Fig. 6a", "Deletion correlates with mean "
       "confidence across networks (Spearman)", "0.88", "05"),
    claim("robust.deletion_confidence.image", "3.5, Fig. 6a", "Deletion correlates with "
       "confidence across images (Spearman)", "0.78", "05"),
    claim("robust.pg_wsl_correlation", "3.6, Fig. 6b", "Pointing Game and WSL correlate strongly "
       "(Spearman)", "0.82", "05"),
    claim("robust.insertion_deletion_correlation", "3.6, Fig. 6b", "Insertion and Deletion "
       "correlate strongly, i.e. disagree (Spearman)", "0.86", "05"),
)
