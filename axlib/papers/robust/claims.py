"""The claims of How explainable are adversarially-robust CNNs? (Nourelahi et al., 2022) that the book checks: one :class:`~axlib.companion.claims.Claim` each
(id, where, statement, the paper's value, the notebook that records it), and the rules that
give each its verdict.

The paper's numbers come from :mod:`axlib.papers.robust.paper`; a rule is written before the result is
seen, returns a :class:`~axlib.companion.results.Verdict` with its own one-line text, and has
a test where it passes and one where it fails.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from axlib.companion.claims import Claim, claim
from axlib.companion.results import Verdict
from axlib.papers.robust import paper

_ACC = paper.value(paper.TABLE_1_ACCURACY)
_DEFAULTS = paper.value(paper.DEFAULT_SETTINGS)
_RISE_MASK = paper.value(paper.TUNED_ROBUST_RISE_MASK)

CLAIMS: tuple[Claim, ...] = (
    # -------------------------------------------------------------- robust-CNN study (05)
    claim("robust.table1.confidence_ratio", "2.2, Table 1", "robust models are less confident "
       "than vanilla ones (vanilla / robust mean confidence on correct images)",
       f"about {paper.CONFIDENCE_RATIO}x", "05"),
    claim("robust.table1.advprop_accuracy", "2.2, Table 1", "AdvProp models are as accurate as "
       "vanilla ones", f"{_ACC['advprop_pgd5']} and {_ACC['advprop_pgd1']}% vs {_ACC['vanilla']}% (ResNet-50)", "05"),
    claim("robust.tuning.robust_prefers_smaller", "A1, Table A1", "tuned for robust models, MP "
       "needs fewer steps and RISE smaller masks than for vanilla ones",
       f"MP {paper.TUNED_ROBUST_MP_STEPS} vs {_DEFAULTS['mp']['iterations']} steps; "
       f"RISE mask {_RISE_MASK[0]}-{_RISE_MASK[1]} vs {_DEFAULTS['rise']['mask_size']}", "05"),
    claim("robust.gradient_localisation", "3.1, Fig. 2a-b", "robust models score higher than "
       "vanilla ones on Pointing Game and WSL under gradient-based AMs",
       f"significant, Mann-Whitney p < {paper.GRADIENT_LOCALISATION_P}", "05"),
    claim("robust.cam_perturbation_no_difference", "3.1, Fig. 2a-b", "no significant "
       "localisation difference under CAM-based and perturbation-based AMs",
       paper.CAM_PERTURBATION_NO_DIFFERENCE, "05"),
    claim("robust.insertion_favours_vanilla", "3.1, Fig. 2c", "under Insertion vanilla models "
       "score better", f"p < {paper.SCORE_BASED_P}", "05"),
    claim("robust.deletion_favours_robust", "3.1, Fig. 2d", "under Deletion robust models "
       "score better", f"p < {paper.SCORE_BASED_P}", "05"),
    claim("robust.advprop_between", "3.2, Fig. 3", "AdvProp models lie between vanilla and "
       "robust models in localisation", paper.ADVPROP_BETWEEN, "05"),
    claim("robust.best_methods", "3.3, Fig. 4, Table A2", "GradCAM and RISE are among the top-3 "
       "methods under all four metrics; MP is the worst", f"{paper.BEST_METHODS}; {paper.WORST_METHOD}", "05"),
    claim("robust.runtime", "3.3, Table 2", "Gradient and GradCAM take milliseconds per image, "
       "perturbation methods orders of magnitude longer; GradCAM is the best trade-off with WSL",
       f"GradCAM {paper.TABLE_2_MS['gradcam']} ms, Gradient {paper.TABLE_2_MS['gradient']} ms, "
       f"EP {paper.TABLE_2_MS['ep'] / 1000:.0f} s", "05"),
    claim("robust.no_best_cnn", "3.4, Fig. 5", "no CNN is best in accuracy and explainability "
       "at once", paper.IDEAL_REGION, "05"),
    claim("robust.deletion_confidence.network", "3.5, Fig. 6a", "Deletion correlates with mean "
       "confidence across networks (Spearman)", paper.DELETION_CONFIDENCE["network"], "05"),
    claim("robust.deletion_confidence.image", "3.5, Fig. 6a", "Deletion correlates with "
       "confidence across images (Spearman)", paper.DELETION_CONFIDENCE["image"], "05"),
    claim("robust.pg_wsl_correlation", "3.6, Fig. 6b", "Pointing Game and WSL correlate strongly "
       "(Spearman)", paper.PG_WSL_CORRELATION, "05"),
    claim("robust.insertion_deletion_correlation", "3.6, Fig. 6b", "Insertion and Deletion "
       "correlate strongly, i.e. disagree (Spearman)", paper.INSERTION_DELETION_CORRELATION, "05"),
)


# ------------------------------------------------------------------------------ rules (05)
def _all_some_none(hits: int, total: int) -> str:
    """"reproduced" when every one of ``total`` checks holds, "partly" when some do, else
    "not reproduced"."""
    return "reproduced" if hits == total else ("partly" if hits > 0 else "not reproduced")


def _winners(winners, n: int, name: str) -> list[str]:
    winners = list(winners)
    if len(winners) != n or not all(isinstance(w, str) for w in winners):
        raise ValueError(f"{name} must be {n} winners (strings from analysis.compare_algorithms), got {winners!r}")
    return winners


def _number(x, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, (int, float)) and not hasattr(x, "__float__"):
        raise ValueError(f"{name} must be a number, got {x!r}")
    return float(x)


def confidence_ratio(ratio: float) -> Verdict:
    """Table 1: robust models are less confident. ratio: mean over architectures of the vanilla /
    robust mean confidence on correctly classified images."""
    ratio = _number(ratio, "ratio")
    verdict = "reproduced" if ratio >= 1.5 else ("partly" if ratio > 1.05 else "not reproduced")
    return Verdict(verdict, "vanilla / robust confidence ratio >= 1.5: reproduced; > 1.05: partly; "
                   "else not reproduced")


def advprop_accuracy(gap: float) -> Verdict:
    """Table 1: AdvProp models are as accurate as vanilla ones. gap: the largest |AdvProp -
    vanilla| test accuracy over architectures, in points (%)."""
    gap = _number(gap, "gap")
    return Verdict("reproduced" if gap <= 2 else "not reproduced",
                   "largest |AdvProp - vanilla| accuracy <= 2 points: reproduced; else not reproduced")


def robust_prefers_smaller(pairs: Sequence[tuple[float, float]]) -> Verdict:
    """Table A1: tuned for robust models, MP needs fewer steps and RISE smaller masks. pairs:
    (vanilla, robust) tuned values, one per architecture and hyperparameter."""
    pairs = [tuple(p) for p in pairs]
    if not all(len(p) == 2 for p in pairs):
        raise ValueError(f"pairs must be (vanilla, robust) pairs, got {pairs!r}")
    fewer = sum(r < v for v, r in pairs)
    return Verdict(_all_some_none(fewer, len(pairs)),
                   "robust value strictly below the vanilla one in every (architecture, MP steps / RISE mask) "
                   "pair: reproduced; in some: partly; in none: not reproduced")


def gradient_localisation(winners: Sequence[str]) -> Verdict:
    """Fig. 2a-b: under gradient-based AMs robust models localise better. winners: the
    Mann-Whitney winner (``compare_algorithms``) for Pointing Game and WSL, gradient family."""
    hits = sum(w == "robust" for w in _winners(winners, 2, "winners"))
    return Verdict(_all_some_none(hits, 2),
                   "robust the significant winner (two-sided Mann-Whitney p < 0.05) on both Pointing Game and WSL "
                   "under gradient-based AMs: reproduced; on one: partly; on none: not reproduced")


def cam_perturbation_no_difference(winners: Sequence[str]) -> Verdict:
    """Fig. 2a-b: no localisation difference under CAM- and perturbation-based AMs. winners: the
    Mann-Whitney winner for (CAM, perturbation) x (Pointing Game, WSL)."""
    hits = sum(w == "no difference" for w in _winners(winners, 4, "winners"))
    return Verdict(_all_some_none(hits, 4),
                   "no significant difference (two-sided Mann-Whitney p >= 0.05) in all 4 (CAM / perturbation "
                   "family, Pointing Game / WSL) cases: reproduced; in some: partly; in none: not reproduced")


def score_based_winner(winners: Sequence[str], side: str) -> Verdict:
    """Fig. 2c-d: under Insertion vanilla models score better (``side`` "vanilla"), under Deletion
    robust ones (``side`` "robust"). winners: the Mann-Whitney winner per family (gradient, CAM,
    perturbation)."""
    if side not in ("vanilla", "robust"):
        raise ValueError(f"side must be 'vanilla' or 'robust', got {side!r}")
    hits = sum(w == side for w in _winners(winners, 3, "winners"))
    return Verdict(_all_some_none(hits, 3),
                   f"{side} the significant winner (two-sided Mann-Whitney p < 0.05) in all 3 method families: "
                   "reproduced; in some: partly; in none: not reproduced")


def advprop_between(between: Sequence[bool]) -> Verdict:
    """Fig. 3: AdvProp models lie between vanilla and robust ones. between: per (architecture,
    localisation metric), whether the AdvProp mean lies strictly between the other two."""
    between = [bool(b) for b in between]
    return Verdict(_all_some_none(sum(between), len(between)),
                   "AdvProp mean strictly between vanilla and robust in every (architecture, Pointing Game / WSL) "
                   "pair: reproduced; in some: partly; in none: not reproduced")


def best_methods(order: Sequence[str]) -> Verdict:
    """Fig. 4, Table A2: GradCAM and RISE in the top 3, MP last. order: methods by average rank,
    best first (``method_ranking``)."""
    order = list(order)
    if len(order) < 3:
        raise ValueError(f"order must rank at least 3 methods, got {order!r}")
    top3 = set(order[:3])
    hits = int("gradcam" in top3) + int("rise" in top3) + int(order[-1] == "mp")
    return Verdict(_all_some_none(hits, 3),
                   "by average rank over the 4 metrics: GradCAM in the top 3, RISE in the top 3, MP last; all 3 "
                   "hold: reproduced; some: partly; none: not reproduced")


def runtime(ms_per_image: Mapping[str, float]) -> Verdict:
    """Table 2: Gradient and GradCAM are faster than the perturbation methods. ms_per_image:
    method -> median wall time per image (ms); needs gradient, gradcam, rise, lime, mp and ep."""
    need = ("gradient", "gradcam", "rise", "lime", "mp", "ep")
    missing = [m for m in need if m not in ms_per_image]
    if missing:
        raise ValueError(f"ms_per_image must have the methods {need}; missing {missing}")
    order_ok = max(ms_per_image[m] for m in need[:2]) < min(ms_per_image[m] for m in need[2:])
    return Verdict("reproduced" if order_ok else "partly",
                   "median ms per image of Gradient and GradCAM both below every perturbation method's "
                   "(RISE, LIME, MP, EP): reproduced; else partly")


def no_best_cnn(also_best_in: Sequence[str]) -> Verdict:
    """Fig. 5: no CNN is best in accuracy and localisation at once. also_best_in: the
    localisation metrics (Pointing Game, WSL) in which the most accurate model is also best."""
    also_best_in = list(also_best_in)
    return Verdict("reproduced" if not also_best_in else "not reproduced",
                   "the most accurate model is best in neither Pointing Game nor WSL: reproduced; "
                   "else not reproduced")


def strong_correlation(rho: float) -> Verdict:
    """Fig. 6: a strong positive Spearman correlation (Deletion with confidence, Pointing Game with
    WSL, Insertion with Deletion). rho: our Spearman rank correlation."""
    rho = _number(rho, "rho")
    verdict = "reproduced" if rho >= 0.5 else ("partly" if rho > 0.2 else "not reproduced")
    return Verdict(verdict, "Spearman rho >= 0.5: reproduced; > 0.2: partly; else not reproduced")
