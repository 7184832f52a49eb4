"""The claims of AXAI (Rahnama and Tseng, 2021) that the book checks: one :class:`~axlib.companion.claims.Claim` each
(id, where, statement, the paper's value, the notebook that records it), and the rules that
give each its verdict.

The paper's numbers come from :mod:`axlib.papers.axai.paper`; a rule is written before the result is
seen: each claim declares its :class:`~axlib.companion.rules.Rule` (statistic, direction,
boundaries and why, minimum n), which judges the page's estimate with its 95 % interval; every
rule has a test where it passes and one where it fails (tests/test_claim_rules.py).
"""
from __future__ import annotations

from axlib.companion.claims import Claim, claim, omitted
from axlib.companion.rules import AllOf, AtLeast, AtMost, NotComparable, Within
from axlib.papers.axai import paper

_LARGEST_SKEW_SHARE = max(q.value for q in paper.SKEW_SHARE.values())
SKEW_SHARE_RULE = AtMost(
    "share of inputs with |skewness| > 0.5", _LARGEST_SKEW_SHARE, 0.10, min_n=100,
    why=f"the paper's own spread: its largest share on any data set ({_LARGEST_SKEW_SHARE:.1%}) still reads as "
        "symmetric; up to 10 % is a small asymmetric minority; fewer than 100 inputs cannot place a share near 3 %")
"""Fig. 2 and Fig. 15 (App. C.4): nearly all attack distributions are symmetric."""

HEAVY_TAILS_RULE = AtLeast(
    "share of images with excess kurtosis > 0 and a central-80 % Q-Q r >= 0.98", 0.9, 0.5, min_n=30,
    why="'the distributions' read as nearly all (90 %), a majority partly; r 0.98 because a Laplace sample gives "
        "0.996, so only clearly bent middles fail")
"""Fig. 3: near-normal in the middle, heavier tails than a normal."""

PAIRWISE_RULE = AtMost(
    "share of input pairs whose test gives p < 0.05", 0.10, 0.5, min_n=30,
    why="with no difference between inputs 5 % of pairs reject by chance; twice that still reads as 'no "
        "difference', a majority rejecting does not; pairs share inputs, so inputs are the unit of the interval")
"""Table 1 and Table 6: pairwise tests find no difference (the paper's one p-value read over pairs)."""

ANOVA_RULE = AtLeast("one-way ANOVA p over all inputs", 0.05, min_n=10,
                     why="the test's own decision at the paper's 5 % level")
"""App. C.1: the means of all images are equal."""

_SHAPE_WHY = ("the paper's intervals are symmetric about 0 and centred: 5 % of the scale (ratio 1 +- 0.05, centre "
              "within 0.05 IQR) is the spread of the paper's own Table 2 ratios")
QUANTILE_RULE = AllOf(
    {"q85 / -q15": Within("mean q85 / -mean q15", 1.0, 0.05, why=_SHAPE_WHY, min_n=30),
     "q75 / -q25": Within("mean q75 / -mean q25", 1.0, 0.05, why=_SHAPE_WHY, min_n=30),
     "mean / IQR": Within("mean of the means / IQR", 0.0, 0.05, why=_SHAPE_WHY, min_n=30),
     "median / IQR": Within("mean of the medians / IQR", 0.0, 0.05, why=_SHAPE_WHY, min_n=30)},
    partly_from=2, why="symmetric and centred together; units differ from the paper's, so only the shape compares")
"""Table 2 and Table 7: symmetric, centred quantile intervals."""


_FEW_IMAGES_WHY = "three images at least, so that one odd image cannot decide"

KERNEL_COST_RULE = AllOf(
    {"kernel spread / other spreads": AtLeast(
        "slowest / fastest median QuickShift time along the kernel sweep over the larger such ratio along max_dist "
        "and λ", 2.0, 1.0, min_n=3, why=f"'the major cost': at least twice what the others move; {_FEW_IMAGES_WHY}"),
     "kernel-segments rank correlation": AtMost(
        "mean over images of Spearman's rho between kernel size and segment count", -0.8, 0.0, min_n=3,
        why=f"'larger kernels give fewer segments': a near-monotone fall (rho <= -0.8), any fall partly; "
            f"{_FEW_IMAGES_WHY}")},
    partly_from=1)
"""App. A: the kernel size is QuickShift's major cost, and larger kernels give fewer segments."""

LIME_MERGE_RULE = AllOf(
    {"median segments at LIME's defaults": AtMost(
        "median QuickShift segments per 32x32 CIFAR-10 image at LIME's kernel 4, max_dist 200, λ 0.2", 3.0, min_n=30,
        why="Fig. 11's merged images show one to three segments; 30 images at least"),
     "finest / LIME's median segments": AtLeast(
        "median segments at the finest kernel over those at LIME's", 3.0, min_n=30,
        why="kernel 1, the paper's CIFAR setting, must give clearly more (3x) segments; 30 images at least")},
    partly_from=1)
"""Fig. 11: LIME's QuickShift defaults merge low-resolution images into few segments."""

_CASTLE_LOW, _CASTLE_HIGH = paper.QUICKSHIFT_LAMBDA_COUNTS.value
LAMBDA_COUNTS_RULE = AtMost(
    "mean over images of |segments at λ 0.8 / segments at λ 0.2 - 1|", 0.25, 0.5, min_n=3,
    why=f"the paper's castle changes by {_CASTLE_HIGH / _CASTLE_LOW - 1:+.0%}: "
        f"'nearly the same' read as within 25 % on average, 50 % partly; {_FEW_IMAGES_WHY}")
"""Fig. 13: changing only λ leaves the segment count nearly the same."""

FLIP_ALPHA_RULE = Within(
    "mean over fooled images of the smallest tail share α (%) whose masked PGD-20 re-attack flips the label "
    "(main reading, fixed before the run: a new masked attack with the same budget)",
    float(paper.FLIP_ALPHA_MEAN.value), 5.0, 10.0, min_n=20,
    why="'near 15 %' read as one step of the paper's α grid (5 points) either side, two steps partly; the other two "
        "readings are sensitivity analyses shown in the note, never the verdict")
"""Fig. 4: the flipping boundary sits near α = 15 %."""

TABLE4_TAILS_RULE = AtLeast(
    "accuracy on fooled images with the middle 70 % attacked minus with the 15 % tails attacked (main reading)",
    0.2, 0.0, min_n=20,
    why="'far more' read as at least 20 points (the paper's gap is 40-80); a positive gap is the direction only")
"""Table 4 at the paper's 15 % band: attacking the tails fools far more than attacking the middle."""


def table4_cells_rule(dataset: str) -> AllOf:
    """Table 4's eight cells of ``dataset``: each of our accuracies (main reading, Clopper-Pearson
    over fooled images) within 0.15 of the paper's; half the cells for "partly"."""
    why = ("0.15 of accuracy is the spread between the paper's neighbouring bands; each cell's interval over fooled "
           "images; 20 fooled images at least")
    parts = {f"{name} {low:g}": Within(f"accuracy with the {what} attacked, band {low:g}-{100 - low:g}",
                                       float(paper.TABLE4[dataset][side][low]), 0.15, why=why, min_n=20)
             for side, name, what in (("inside", "middle", "middle"), ("outside", "tails", "tails"))
             for low in sorted(paper.TABLE4[dataset][side], reverse=True)}
    return AllOf(parts, partly_from=len(parts) // 2, why="Table 4 as printed")


def _table5_rule(method: str) -> AtLeast:
    """Table 5's CPU ratio ``method`` / AXAI: reproduced at the paper's ratio (rounded as quoted),
    partly when AXAI is faster at all."""
    theirs = paper.TABLE5["cpu"][method].value / paper.TABLE5["cpu"]["axai"].value
    return AtLeast(f"{method.upper()} / AXAI, ratio of per-image median seconds on one CPU thread",
                   round(theirs, 1), 1.0, min_n=5,
                   why=f"the paper's {theirs:.1f}x on its CPU; another model and CPU change every method's time, so "
                       "AXAI merely faster is partly; 5 timed images at least")


SEGMENTATION_SHARE_RULE = AtLeast(
    "median share of QuickShift segmentation in AXAI's per-image time", 0.5, 1 / 3, min_n=5,
    why="'the bottleneck' read as more than half of the time; a third (possibly the largest of attack, segmentation "
        "and the rest) partly; 5 timed images at least")
"""App. A / 4.3: segmentation is the bottleneck of AXAI's running time."""

FIG21_RULE = AtLeast(
    "mean pixel IoU of AXAI's top-10 segments and LIME's 5 segments", 0.5, 0.25, min_n=10,
    why="'similar explanations' read as an IoU of 0.5, the usual threshold of matching regions (PASCAL VOC); a "
        "quarter partly; 10 images at least")
"""Fig. 7 / 21: AXAI and LIME give similar explanations (the paper judges by eye)."""

LIME_KERNEL_RULE = AllOf(
    {"segments k4 / k1": AtMost("median segments per 32x32 image at kernel 4 over kernel 1", 0.5, min_n=10,
                                why="'a few very large segments': fewer than half of kernel 1's; 10 images at least"),
     "coverage k4 / k1": AtLeast("share of the image LIME's 5 features cover, kernel 4 over kernel 1", 2.0, min_n=10,
                                 why="very large segments make LIME's 5 features cover at least twice the image")},
    partly_from=1)
"""Appendix F: LIME's kernel 4 fails on low-resolution CIFAR-10 images."""


FGM_PGD_RULE = AtLeast(
    "mean top-10 segment IoU of the FGM and the PGD-20 explanation of an image", 0.9, 0.5, min_n=10,
    why="'the explanations look exactly the same' read as 90 % overlap; half of it partly; 10 images at least")
"""App. B: FGM and PGD give the same top-K segments."""

FINE_SEGMENTS_RULE = AtLeast(
    "mean top-10 IoU of the PGD-10 and PGD-40 explanations on a 50x finer grid", 0.7, 0.4, min_n=10,
    why="'the same up to small differences' read as 70 % overlap, 40 % partly; 10 images at least")
"""App. B, Fig. 14e-f: with 50x more segments PGD-10 and PGD-40 still agree up to small differences."""

BLUR_ORDERING_RULE = AllOf(
    {"top 5 - segments 6-10": AtLeast("accuracy drop after blurring the top 5 minus after blurring segments 6-10 "
                                      "(paired per image)", 0.05, 0.0, min_n=30,
                                      why="'hurts more': at least 5 points more; 30 images at least"),
     "top 5 - random 5": AtLeast("accuracy drop after blurring the top 5 minus after blurring 5 random segments "
                                 "(paired per image)", 0.05, 0.0, min_n=30,
                                 why="the important segments must matter more than any 5 segments")},
    partly_from=1)
"""App. E.4: blurring the top 5 segments hurts accuracy more than blurring segments 6-10."""

BLUR_LEVEL_RULE = Within(
    "top-1 accuracy after blurring the top 5 of K = 10 segments", paper.APP_E4_ACCURACY_AFTER_TOP5.value, 0.10, 0.20,
    min_n=30, why="the paper's 43 % on ImageNet with ResNet34; another model, blur and segment size: +-10 points, "
                  "+-20 partly; 30 images at least")
"""App. E.4: accuracy falls to 43 % (ImageNet)."""

ADV_NEIGHBOUR_RULE = AtLeast(
    "share of flipped images whose adversarial class is among the clean top-5 predictions", 0.5, 0.2, min_n=20,
    why="'a nearby class' read as one of the model's own top 5 for most flipped images; 20 % (40x a random class) "
        "partly; 20 flipped images at least")
"""App. D: the untargeted attack moves the prediction to a nearby class."""

ROBUST_GAIN_RULE = AtLeast(
    "L2 PGD-20 accuracy of the adversarially trained AlexNet minus the regular one's", 0.10, 0.0, min_n=100,
    why="'more robust' read as at least 10 points of PGD-20 accuracy, any gain partly; 100 images at least")
"""App. E.5: the adversarially trained AlexNet is more robust."""

CENTRE_SHARE_RULE = AtLeast(
    "share of the explanation in the central 16x16 of a CIFAR-10 image, robust minus regular model (paired)",
    0.05, 0.0, min_n=30,
    why="'focus more on the object' through a proxy (CIFAR-10 objects sit in the centre): 5 points more, any gain "
        "partly; 30 images at least")
"""App. E.5, Fig. 20: explanations of the robust model focus more on the object."""

DETECTION_INSIDE_RULE = AtLeast(
    "per detection, the share of its explanation's pixels inside its ground-truth box divided by the share of the "
    "image that box covers (1 = chance), mean over detections", 2.0, 1.0, min_n=100,
    why="'clearly focused on areas where buildings are located': twice the box's own share of the image reproduced, "
        "anything above chance partly; 100 detected boxes at least (pre-registered before the detector was trained)")
"""App. E.2, Fig. 19: the explanation of a detection lies on the detected object."""

DETECTION_RANDOM_RULE = AtLeast(
    "per detection, the inside-box share of AXAI's top-K segments minus that of K random segments of the same "
    "segmentation, mean over detections (share in [0, 1])", 0.10, 0.0, min_n=100,
    why="the same claim against a stronger null than the box's area: 10 points above random segments reproduced, "
        "any gain partly; 100 detected boxes at least (pre-registered before the detector was trained)")
"""App. E.2, Fig. 19: AXAI's segments are on the object more than random segments are."""

DETECTION_BACKGROUND_RULE = AtMost(
    "per detection, the share of its explanation's pixels outside every object box (background: roads and empty "
    "space) divided by the background's share of the image (1 = chance), mean over detections", 0.5, 1.0, min_n=100,
    why="'empty spaces and roads are ignored': background gets at most half its share of the image reproduced, less "
        "than its share partly; 100 detected boxes at least (pre-registered before the detector was trained)")
"""App. E.2, Fig. 19: the explanations ignore the background."""

_E4_IMAGENET_ONLY = NotComparable(
    reason="the paper states its numbers for ImageNet (ResNet34) only; CIFAR-10's level depends on another model, "
           "image size and blur, so no CIFAR-10 number of the paper exists to compare with")
_E4_DROP_AMBIGUOUS = NotComparable(
    reason="the paper's '22 % drop' after blurring segments 6-10 does not say whether it is relative or in "
           "accuracy points, nor the accuracy before; the ordering claim tests what it implies")

SEGMENTATION_ROBUSTNESS_RULE = AtLeast(
    "per image, the mean pixel IoU of AXAI's top-5 segments between every two of three QuickShift settings minus "
    "the same for LIME's 5 features (same segmentations, same number of segments), mean over images", 0.1, 0.0,
    min_n=10,
    why="'more robust' without a number: a clear gain read as 0.1 of IoU (a tenth more of the explained region "
        "kept across settings), any gain partly; both explain 5 segments of the same segmentations, so the size of "
        "the explanation cannot decide; 10 images at least")
"""Section 6, Property 1: AXAI is more robust than LIME to changes of the segmentation hyper-parameters."""

APP_D_BLUR_TOP = 3
"""Appendix D blurs "the doors": the 3 most densely attacked segments here (Fig. 16b shows a few)."""

APP_D_BLUR_RULE = AllOf(
    {"label flips": AtLeast(
        f"share of images whose prediction changes after blurring their {APP_D_BLUR_TOP} most attacked segments",
        0.5, 0.2, min_n=20,
        why="the paper's example flips after blurring the attacked segments ('proves that the doors are the major "
            "features'): read as most images, a fifth partly; 20 images at least"),
     "to the attack's class": AtLeast(
        "share of those flipped images whose new class is the class the attack reached", 0.5, 0.2, min_n=10,
        why="'changes from convertible to sports car', the attack's class: most flipped images, a fifth (far above "
            "a random one of the other classes) partly; 10 flipped images at least"),
     f"top {APP_D_BLUR_TOP} - random {APP_D_BLUR_TOP}": AtLeast(
        f"share of images flipped by blurring the top {APP_D_BLUR_TOP} minus by blurring {APP_D_BLUR_TOP} random "
        "segments (paired per image)", 0.1, 0.0, min_n=20,
        why="'the major features': the attacked segments must flip more images than any segments, 10 points more, "
            "any gain partly")},
    why="App. D states the flip and its destination together, for one image")
"""App. D, Fig. 16c: blurring the most attacked segments flips the label to the attack's (nearby) class."""

APP_E1_EXAMPLES_RULE = NotComparable(
    reason="example figures without a stated number (Fig. 17-18); the CIFAR-10 ones (Fig. 18, AlexNet) are drawn on "
           "page 04b with this book's model, beside a descriptive number (the share of the image explained); the "
           "ImageNet ResNet34 ones (Fig. 17) need ImageNet and its weights (issue 18)")
"""App. E.1: example explanations of image classifiers."""


NEIGHBOUR_RULE = AtLeast(
    "share of the word's correctly classified clips that the untargeted attack sends to the paper's neighbour",
    0.5, 0.1, min_n=10,
    why="'turns into its neighbour' read as most clips; a tenth (several times a random one of 30 words) partly; "
        "10 clips at least")
"""4.1, App. E.3: the attack turns "right" into "five" and "three" into "tree"."""

_TIMING_WHY = ("the paper reads one clip; here every correctly classified clip of the word: 5 points of the "
               "explanation more is a difference, any positive difference partly; 10 clips at least")
RIGHT_TIMING_RULE = AllOf(
    {"start - middle": AtLeast("share of the explanation in the word's first third minus its middle third, mean "
                               "over clips", 0.05, 0.0, min_n=10, why=_TIMING_WHY),
     "end - middle": AtLeast("share in the last third minus the middle third, mean over clips", 0.05, 0.0, min_n=10,
                             why=_TIMING_WHY)},
    partly_from=1)
"""4.1, Fig. 5: "right" is explained by the start and the end of the word."""

THREE_TIMING_RULE = AtLeast(
    "share of the explanation in the word's first third minus the larger of the other two, mean over clips", 0.05,
    0.0, min_n=10, why=_TIMING_WHY)
"""4.1, Fig. 5: "three" is explained by its start ("thr")."""

TOP_TOKEN_RULE = AtMost(
    "rank of the paper's word by attack density in the paper's sentence (1 = densest)", 1.0, 3.0, min_n=1,
    why="the claim is about one sentence and its explanation is deterministic: first, or in the top 3 partly")
"""4.2, Fig. 6: "unfunny" / "astonishing" is the main explanation of its sentence."""


def beta_shape_rule(intervals) -> AllOf:
    """Table 3 / Table 8's rule for a data set: one symmetric beta law with the paper's shape
    values (the midpoints of its p and q intervals, ``intervals`` {"p": (low, high), "q": ...}
    or Quoted pairs); "partly" needs p = q and one of the paper's values (p = q alone holds for
    any symmetric distribution)."""
    (p_lo, p_hi), (q_lo, q_hi) = (getattr(intervals[k], "value", intervals[k]) for k in ("p", "q"))
    paper_p, paper_q = (p_lo + p_hi) / 2, (q_lo + q_hi) / 2
    why = (f"the paper's p {paper_p:.4g}, q {paper_q:.4g} (midpoints of its intervals) within 25 %: the shape "
           "depends on the unstated support; p = q within 5 % of their mean")
    return AllOf({"|p - q| / mean": Within("|mean p - mean q| / their mean", 0.0, 0.05, why=why, min_n=30),
                  "p / paper": Within("mean p / the paper's p", 1.0, 0.25, why=why, min_n=30),
                  "q / paper": Within("mean q / the paper's q", 1.0, 0.25, why=why, min_n=30)},
                 partly_from=2, why="a symmetric law alone is not the paper's law")


# --------------------------------------------------- 01 QuickShift (App. A): paper values
def _lime_defaults_merge() -> str:
    lime = (paper.QUICKSHIFT_LIME_KERNEL_SIZE.value, paper.QUICKSHIFT_LIME_MAX_DIST.value,
            paper.QUICKSHIFT_LIME_RATIO.value)
    return (f"Fig. 11: with LIME's defaults (kernel {lime[0]}, max distance {lime[1]}, λ {lime[2]}) "
            f"{paper.QUICKSHIFT_LOW_RESOLUTION.value} on low-resolution images; kernel "
            f"{paper.QUICKSHIFT_CIFAR_KERNEL_SIZE.value} used for CIFAR")


def _lambda_counts() -> str:
    low, high = paper.QUICKSHIFT_LAMBDA_COUNTS.value
    return f"{low} -> {high} ({high / low - 1:+.0%}), castle image"


def _lambda_explanations() -> str:
    low, high = paper.QUICKSHIFT_LAMBDAS.value
    counts = paper.QUICKSHIFT_LAMBDA_COUNTS.value
    return (f"Fig. 13: λ {low} {paper.QUICKSHIFT_LAMBDA_EXPLANATIONS.value}; λ {high} explanations of "
            f"lower quality (castle image, {counts[0]} and {counts[1]} segments; judged by eye)")


# ---------------------------------------- 02 attack distributions (3.2, App. C.1-C.3): paper values
def _p(q) -> str:
    return f"p = {q.value:.2f}"


def _q15_q85(dataset: str) -> str:
    q = paper.QUANTILES[dataset]
    return ", ".join(f"{s} ({q[s][0]:.3e}, {q[s][1]:.3e})" for s in ("q15", "q85"))


def _pq(dataset: str) -> str:
    b = paper.BETA[dataset]
    return ", ".join(f"{s} ({b[s][0]:.4g}, {b[s][1]:.4g})" for s in ("p", "q"))


# ------------------------------------------------ 03 quantile selection (3.3, Table 4): paper values
def _table4_at15(dataset: str) -> str:
    t = paper.TABLE4[dataset]
    return f"middle {t['inside'][paper.FLIP_ALPHA_MEAN.value]:.2f}, tails {t['outside'][paper.FLIP_ALPHA_MEAN.value]:.2f}"


def _table4_cells(dataset: str) -> str:
    t = paper.TABLE4[dataset]
    return "; ".join(" / ".join(f"{v:.2f}" for v in t[side].values()) + f" {name}"
                     for side, name in (("inside", "middle"), ("outside", "tails")))


# ----------------------------------------------------------- 04 benchmarks (Table 5): paper values
def _table5_ratio_text(method: str, device: str, digits: int) -> str:
    """Table 5's ratio of ``method`` to AXAI as the catalogue shows it: "105 s / 6.6 s = 16x"."""
    seconds, axai = paper.TABLE5[device][method].value, paper.TABLE5[device]["axai"].value
    return f"{seconds:g} s / {axai:g} s = {seconds / axai:.{digits}f}x"


# ------------------------------------------- 07 speech and text: the paper's intervals as text
def _c4_interval(q) -> str:
    """A Table 7 / 8 interval of :mod:`axlib.papers.axai.paper` as the paper prints it: "(-4.110e-3,
    -4.049e-3)" for quantiles, "(52.82, 54.51)" for beta parameters."""
    def one(x: float) -> str:
        if abs(x) >= 1:
            return f"{x:g}"
        mantissa, exponent = f"{x:.3e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    low, high = q.value
    return f"({one(low)}, {one(high)})"


CLAIMS: tuple[Claim, ...] = (
    # ------------------------------------------------------------------ AXAI, appendix A (01)
    claim("axai.quickshift.kernel_cost", "App. A", "QuickShift's kernel size is the major "
       "computational cost, and larger kernels give fewer segments",
       f"{paper.QUICKSHIFT_KERNEL_COST.value} (no number given)", "01",
       rule=KERNEL_COST_RULE, n_paper="no images stated"),
    claim("axai.quickshift.lime_defaults_merge_cifar", "App. A, Fig. 11", "LIME's QuickShift "
       "defaults (kernel 4, max distance 200, ratio 0.2) merge low-resolution images into few "
       "segments", _lime_defaults_merge(), "01", rule=LIME_MERGE_RULE, n_paper="example CIFAR-10 images"),
    claim("axai.quickshift.lambda_counts", "App. A, Fig. 13", "changing only the colour/space "
       "trade-off lambda leaves the segment count nearly the same", _lambda_counts(), "01",
       rule=LAMBDA_COUNTS_RULE, n_paper="one castle image"),
    claim("axai.k_cost_independent", "App. A, Fig. 12", "a longer explainability length K does "
       "not increase the computation time", paper.QUICKSHIFT_K_COST, "01", n_paper="timing not reported",
       rule=AtMost("share of AXAI's time that depends on K: median t(K=10) / median t(K=1) - 1", 0.05, 0.20, min_n=5,
                   why="'does not increase' read as at most 5 % more time (one timed CPU run varies by about that); "
                       "up to 20 %: a minor cost; at least 5 alternating pairs of runs")),
    claim("axai.lambda_explanations", "App. A, Fig. 13", "a lower lambda keeps details from "
       "merging with irrelevant background", _lambda_explanations(), "01", n_paper="one castle image, by eye",
       rule=AtLeast("mean over images of the attacked share inside the top-10 explanation, λ 0.2 minus λ 0.8",
                    0.02, 0.0, min_n=10,
                    why="a by-eye claim read through a proxy: details kept apart from the background concentrate "
                        "the attack; 2 points is the smallest gain that counts, any gain is partly; 10 images at "
                        "least")),
    # ------------------------------------------------------------ AXAI, 3.2 and App. C (02)
    claim("axai.skew_share.cifar10", "3.2, Fig. 2", "attack-magnitude distributions are "
       "symmetric: share of CIFAR-10 images with |skewness| > 0.5", f"{paper.SKEW_SHARE['cifar10'].value:.1%}", "02",
       rule=SKEW_SHARE_RULE, n_paper="CIFAR-10 test set (10,000 images)"),
    claim("axai.skew_share.cifar100", "3.2, Fig. 2", "share of CIFAR-100 images (VGG16) with "
       "|skewness| > 0.5", f"{paper.SKEW_SHARE['cifar100'].value:.1%}", "02", rule=SKEW_SHARE_RULE,
       n_paper="CIFAR-100 test set (10,000 images); our VGG16 is trained by `axlib train cifar100-vgg16` (paper profile)"),
    claim("axai.skew_share.imagenet", "3.2, Fig. 2", "share of ImageNet images (ResNet34) with "
       "|skewness| > 0.5", f"{paper.SKEW_SHARE['imagenet'].value:.1%}", "02", rule=SKEW_SHARE_RULE,
       n_paper="ImageNet test images (count not stated)"),
    claim("axai.qq_heavy_tails.cifar10", "3.2, Fig. 3a, App. C.2", "Q-Q plots against the normal "
       "are straight in the middle with heavy tails (CIFAR-10)", paper.QQ_SHAPE, "02",
       rule=HEAVY_TAILS_RULE, n_paper="all test images"),
    claim("axai.qq_heavy_tails.imagenet", "3.2, Fig. 3b, App. C.2", "Q-Q plots against the normal "
       "are straight in the middle with heavy tails (ImageNet)", paper.QQ_SHAPE, "02",
       rule=HEAVY_TAILS_RULE, n_paper="all test images"),
    claim("axai.ttest.cifar10", "3.2, Table 1", "pairwise t-tests find no difference between "
       "the means (CIFAR-10)", _p(paper.PVALUES["cifar10"]["t"]), "02",
       rule=PAIRWISE_RULE, n_paper="one p-value per data set"),
    claim("axai.mannwhitney.cifar10", "3.2, Table 1", "pairwise Mann-Whitney tests find no "
       "difference (CIFAR-10)", _p(paper.PVALUES["cifar10"]["u"]), "02",
       rule=PAIRWISE_RULE, n_paper="one p-value per data set"),
    claim("axai.ttest.imagenet", "3.2, Table 1", "pairwise t-tests find no difference between "
       "the means (ImageNet)", _p(paper.PVALUES["imagenet"]["t"]), "02",
       rule=PAIRWISE_RULE, n_paper="one p-value per data set"),
    claim("axai.mannwhitney.imagenet", "3.2, Table 1", "pairwise Mann-Whitney tests find no "
       "difference (ImageNet)", _p(paper.PVALUES["imagenet"]["u"]), "02",
       rule=PAIRWISE_RULE, n_paper="one p-value per data set"),
    claim("axai.anova.cifar10", "App. C.1", "one-way ANOVA over all images finds no difference "
       "between the means (CIFAR-10)", _p(paper.ANOVA["cifar10"]), "02", rule=ANOVA_RULE, n_paper="all test images"),
    claim("axai.anova.imagenet", "App. C.1", "one-way ANOVA over all images finds no difference "
       "between the means (ImageNet subset)", _p(paper.ANOVA["imagenet"]), "02",
       rule=ANOVA_RULE, n_paper="an ImageNet subset"),
    claim("axai.quantiles.cifar10", "3.2, Table 2", "narrow, origin-symmetric 95% intervals of "
       "the 15/25/75/85th quantiles, mean and median (CIFAR-10, AlexNet)",
       _q15_q85("cifar10"), "02", rule=QUANTILE_RULE, n_paper="all test images"),
    claim("axai.quantiles.cifar100", "3.2, Table 2", "narrow, origin-symmetric 95% intervals of "
       "the quantiles (CIFAR-100, VGG16)", _q15_q85("cifar100"), "02", rule=QUANTILE_RULE,
       n_paper="all test images (paper profile only here)"),
    claim("axai.quantiles.imagenet", "3.2, Table 2", "narrow, origin-symmetric 95% intervals of "
       "the quantiles (ImageNet, ResNet34)", _q15_q85("imagenet"), "02", rule=QUANTILE_RULE, n_paper="all test images"),
    claim("axai.beta.cifar10", "3.2, Table 3, App. C.3", "the distributions follow a beta "
       "distribution with p close to q (CIFAR-10)", _pq("cifar10"), "02",
       rule=beta_shape_rule(paper.BETA['cifar10']), n_paper="all test images"),
    claim("axai.beta.cifar100", "3.2, Table 3, App. C.3", "the distributions follow a beta "
       "distribution with p close to q (CIFAR-100)", _pq("cifar100"), "02",
       rule=beta_shape_rule(paper.BETA['cifar100']), n_paper="all test images (paper profile only here)"),
    claim("axai.beta.imagenet", "3.2, Table 3, App. C.3", "the distributions follow a beta "
       "distribution with p close to q (ImageNet)", _pq("imagenet"), "02",
       rule=beta_shape_rule(paper.BETA['imagenet']), n_paper="all test images"),
    # ------------------------------------------------------------------- AXAI, 3.3 (03)
    claim("axai.flip_alpha_mean.cifar10", "3.3, Fig. 4", "attacking only the outer alpha% tails "
       "flips the prediction; the boundary sits near alpha = 15% (CIFAR-10)", f"{paper.FLIP_ALPHA_MEAN}%", "03",
       rule=FLIP_ALPHA_RULE, n_paper="CIFAR-10 test images (count not stated)"),
    claim("axai.flip_alpha_mean.imagenet", "3.3, Fig. 4", "the flipping boundary sits near "
       "alpha = 15% (ImageNet)", f"{paper.FLIP_ALPHA_MEAN}%", "03",
       rule=FLIP_ALPHA_RULE, n_paper="ImageNet images (count not stated)"),
    claim("axai.table4.tails_vs_middle.cifar10", "3.3, Table 4", "attacking only the 15% tails "
       "fools the model far more than attacking the middle 70% (adversarial accuracy, CIFAR-10)",
       _table4_at15("cifar10"), "03", rule=TABLE4_TAILS_RULE, n_paper="CIFAR-10 test images (count not stated)"),
    claim("axai.table4.tails_vs_middle.imagenet", "3.3, Table 4", "same, ImageNet",
       _table4_at15("imagenet"), "03", rule=TABLE4_TAILS_RULE, n_paper="ImageNet images (count not stated)"),
    claim("axai.table4.cells.cifar10", "3.3, Table 4", "all eight percentile ranges of Table 4 "
       "(CIFAR-10)", _table4_cells("cifar10"), "03",
       rule=table4_cells_rule("cifar10"), n_paper="CIFAR-10 test images (count not stated)"),
    claim("axai.table4.cells.imagenet", "3.3, Table 4", "all eight percentile ranges of Table 4 "
       "(ImageNet)", _table4_cells("imagenet"), "03",
       rule=table4_cells_rule("imagenet"), n_paper="ImageNet images (count not stated)"),
    # ----------------------------------------------------- AXAI, 4.3, App. B, D, E, F (04, 04b)
    # 04 benchmarks and appendices B, D, E, F: Table 5, Fig. 21, App. F and section 6's Property 1
    # on page 04, App. B, D, E.1, E.4 and E.5 on page 04b.
    claim("axai.table5.lime_over_axai", "4.3, Table 5", "AXAI is faster than LIME on one CPU "
       "(ratio LIME / AXAI, seconds per image)", _table5_ratio_text("lime", "cpu", 0), "04",
       rule=_table5_rule("lime"), n_paper="not stated"),
    claim("axai.table5.shap_over_axai", "4.3, Table 5", "AXAI is faster than SHAP Gradient "
       "Explainer on one CPU (ratio SHAP / AXAI)", _table5_ratio_text("shap", "cpu", 1), "04",
       rule=_table5_rule("shap"), n_paper="not stated"),
    omitted("axai.table5.lime_over_axai.gpu", "4.3, Table 5", "ratio LIME / AXAI on one GPU",
       _table5_ratio_text("lime", "gpu", 1), "the book builds on a CPU; needs `axlib bench` on a CUDA GPU (a few "
       "minutes), which the default and CI builds never have"),
    omitted("axai.table5.shap_over_axai.gpu", "4.3, Table 5", "ratio SHAP / AXAI on one GPU",
       _table5_ratio_text("shap", "gpu", 1), "the book builds on a CPU; needs `axlib bench` on a CUDA GPU (a few "
       "minutes), which the default and CI builds never have"),
    claim("axai.table5.segmentation_share", "App. A, 4.3", "QuickShift segmentation is the "
       "bottleneck of AXAI's running time", f"{paper.TABLE5_BOTTLENECK} (no number)", "04",
       rule=SEGMENTATION_SHARE_RULE, n_paper="no number"),
    claim("axai.fig21.iou_axai_lime", "4.3, Fig. 7, App. F, Fig. 21", "AXAI, LIME and SHAP "
       "produce similar explanations", f"{paper.FIG21_SIMILAR} (judged by eye)", "04",
       rule=FIG21_RULE, n_paper="a few example images"),
    claim("axai.appF.lime_kernel4_coverage", "4.3, App. F", "LIME (kernel 4) fails on "
       "low-resolution CIFAR-10 images: a few very large segments",
       f"{paper.APP_F_LARGE_SEGMENTS} (Fig. 7, 21)", "04", rule=LIME_KERNEL_RULE, n_paper="example images"),
    claim("axai.property1.segmentation_robustness", "6, Property 1", "AXAI is more robust to changes "
       "of the segmentation hyper-parameters than LIME", "more robust than LIME (no number)", "04",
       rule=SEGMENTATION_ROBUSTNESS_RULE, n_paper="no experiment (a stated property)"),
    claim("axai.appB.iou_fgm_pgd20.imagenet", "App. B, Fig. 14", "FGM and PGD give the same "
       "top-K segments (ImageNet-size images)", f"\"{paper.APP_B_SAME}\" (one image)", "04b",
       rule=FGM_PGD_RULE, n_paper="one image"),
    claim("axai.appB.iou_fgm_pgd20.cifar10", "App. B", "FGM and PGD give the same top-K "
       "segments (CIFAR-10)", f"\"{paper.APP_B_SAME}\" (stated for ImageNet)", "04b",
       rule=FGM_PGD_RULE, n_paper="stated for ImageNet"),
    claim("axai.appB.iou_pgd10_pgd40.fine_segments", "App. B, Fig. 14e-f", "with 50x more "
       "segments, PGD with 10 and 40 iterations still agree up to small differences",
       paper.APP_B_SMALL_DIFFERENCES, "04b", rule=FINE_SEGMENTS_RULE, n_paper="one image"),
    claim("axai.appE4.accuracy_after_top5.imagenet", "App. E.4", "blurring the top 5 of K = 10 "
       "segments lowers the accuracy (ResNet34, ImageNet)",
       f"accuracy falls to {paper.APP_E4_ACCURACY_AFTER_TOP5.value:.0%}", "04b",
       rule=BLUR_LEVEL_RULE, n_paper="ImageNet test set"),
    claim("axai.appE4.accuracy_after_top5.cifar10", "App. E.4", "same ablation on CIFAR-10",
       f"{paper.APP_E4_ACCURACY_AFTER_TOP5.value:.0%} (stated for ImageNet)", "04b",
       rule=_E4_IMAGENET_ONLY, n_paper="stated for ImageNet"),
    claim("axai.appE4.drop_6to10.imagenet", "App. E.4", "blurring segments 6-10 instead lowers "
       "it less (ImageNet)", f"{paper.APP_E4_DROP_6TO10.value:.0%} drop", "04b",
       rule=_E4_DROP_AMBIGUOUS, n_paper="ImageNet test set"),
    claim("axai.appE4.drop_6to10.cifar10", "App. E.4", "same, CIFAR-10",
       f"{paper.APP_E4_DROP_6TO10.value:.0%} drop (stated for ImageNet)", "04b",
       rule=_E4_IMAGENET_ONLY, n_paper="stated for ImageNet"),
    claim("axai.appE4.ordering.imagenet", "App. E.4", "blurring the top 5 segments hurts accuracy more "
       "than blurring segments 6-10 (ImageNet)",
       f"{paper.APP_E4_ACCURACY_AFTER_TOP5.value:.0%} after top 5 vs a "
       f"{paper.APP_E4_DROP_6TO10.value:.0%} drop after 6-10", "04b",
       rule=BLUR_ORDERING_RULE, n_paper="ImageNet test set"),
    claim("axai.appE4.ordering.cifar10", "App. E.4", "same ordering on CIFAR-10",
       "top 5 hurts more than 6-10 (stated for ImageNet)", "04b",
       rule=BLUR_ORDERING_RULE, n_paper="stated for ImageNet"),
    claim("axai.appD.adv_class_in_top5", "App. D, Fig. 16", "the untargeted attack moves the "
       "prediction to a nearby class", f"nearest class: {paper.APP_D_NEAREST_CLASS}", "04b",
       rule=ADV_NEIGHBOUR_RULE, n_paper="one example image"),
    claim("axai.appE5.robust_pgd20_accuracy", "App. E.5", "the adversarially trained AlexNet "
       "is more robust against adversarial attacks than the regular one",
       "robust model (no number)", "04b", rule=ROBUST_GAIN_RULE, n_paper="not stated"),
    claim("axai.appE5.centre_share", "App. E.5, Fig. 20", "explanations of an adversarially "
       "trained AlexNet focus more on the object than those of a vanilla one",
       f"{paper.APP_E5_SHARPER} (Fig. 20)", "04b", rule=CENTRE_SHARE_RULE, n_paper="example images, by eye"),
    claim("axai.appD.blur_top_segments_flips", "App. D, Fig. 16c", "blurring the most attacked segments "
       "(the doors) flips the label to the nearby class the attack reached",
       f"{paper.APP_D_NEAREST_CLASS} after blurring the doors (one image)", "04b", rule=APP_D_BLUR_RULE,
       n_paper="one example image"),
    claim("axai.appE1.examples", "App. E.1, Fig. 17-18", "example explanations of image classifiers (ResNet34 on "
       "ImageNet, AlexNet on CIFAR-10)", "figures (no number)", "04b", rule=APP_E1_EXAMPLES_RULE,
       n_paper="two ImageNet and two CIFAR-10 example images"),
    # -------------------------------------------------------- AXAI, App. E.2: object detection (08)
    claim("axai.appE2.on_object", "App. E.2, Fig. 19", "a detection's explanation lies on the detected object "
       "(share inside its box, against the box's share of the image)", paper.DETECTION_ON_OBJECTS, "08",
       rule=DETECTION_INSIDE_RULE, n_paper="two SpaceNet images (figure, no number)"),
    claim("axai.appE2.beyond_random", "App. E.2, Fig. 19", "AXAI's segments lie on the detected object more than "
       "as many random segments do", paper.DETECTION_ON_OBJECTS, "08", rule=DETECTION_RANDOM_RULE,
       n_paper="two SpaceNet images (figure, no number)"),
    claim("axai.appE2.ignores_background", "App. E.2, Fig. 19d", "empty space and roads (background outside "
       "every object box) carry little of the explanation", paper.DETECTION_IGNORES_BACKGROUND, "08",
       rule=DETECTION_BACKGROUND_RULE, n_paper="two SpaceNet images (figure, no number)"),
    # ------------------------------------- AXAI experiments no page records yet (issue 15's coverage)
    omitted("axai.fig10.resnet34_examples", "Fig. 10", "additional explanations of a ResNet34 on ImageNet",
       "figures (no number)", "needs ImageNet and pretrained ResNet34 weights (issue 18's paper profile)"),
    omitted("axai.appG.examples", "App. G", "additional explanations (AlexNet, VGG16, LeNet, CNN)",
       "figures (no number)", "the VGG16 / CIFAR-100 model is not available here (issue 18); the others are drawn "
       "on pages 01-07 as examples but not as a set"),
    # -------------------------------------------------------- AXAI, 4.1, 4.2, C.4, E.3 (07)
    claim("speech.right.neighbour", "4.1, App. E.3", "the attack turns \"right\" into its "
       "neighbour class", paper.SPEECH_NEIGHBOURS["right"], "07", paper="axai",
       rule=NEIGHBOUR_RULE, n_paper="one clip"),
    claim("speech.three.neighbour", "4.1, App. E.3", "the attack turns \"three\" into its "
       "neighbour class", paper.SPEECH_NEIGHBOURS["three"], "07", paper="axai",
       rule=NEIGHBOUR_RULE, n_paper="one clip"),
    claim("speech.right.explanation_timing", "App. E.3, Fig. 5", "for \"right\" the explanation "
       "keeps the start and the end of the spoken word, and masks its middle",
       f"{paper.SPEECH_KEPT_INTERVALS['right']} kept", "07", paper="axai", rule=RIGHT_TIMING_RULE, n_paper="one clip"),
    claim("speech.three.explanation_timing", "4.1, Fig. 5", "for \"three\" the explanation keeps "
       "the start of the spoken word (\"thr\")", f"{paper.SPEECH_KEPT_INTERVALS['three']} kept", "07",
       paper="axai", rule=THREE_TIMING_RULE, n_paper="one clip"),
    claim("text.negative.top_token", "4.2, Fig. 6a", "the word \"unfunny\" is the main "
       "explanation of the negative example", paper.TEXT_TOP_TOKENS["negative"], "07", paper="axai",
       rule=TOP_TOKEN_RULE, n_paper="one sentence"),
    claim("text.positive.top_token", "4.2, Fig. 6b", "the word \"astonishing\" is the main "
       "explanation of the positive example", paper.TEXT_TOP_TOKENS["positive"], "07", paper="axai",
       rule=TOP_TOKEN_RULE, n_paper="one sentence"),
    claim("c4.skew_share.speech", "App. C.4, Fig. 15", "skewness within [-0.5, 0.5] for "
       "LeNet on Speech Commands", f"{paper.C4_SKEW} [-0.5, 0.5]", "07", paper="axai", rule=SKEW_SHARE_RULE,
       n_paper="Speech Commands test clips (count not stated)"),
    claim("c4.skew_share.text", "App. C.4, Fig. 15", "skewness within [-0.5, 0.5] for the "
       "CNN on Sentence Polarity", f"{paper.C4_SKEW} [-0.5, 0.5]", "07", paper="axai", rule=SKEW_SHARE_RULE,
       n_paper="Sentence Polarity test sentences (count not stated)"),
    claim("c4.ttest.speech", "App. C.4, Table 6", "t-test, Speech Commands",
       f"p = {paper.C4_PVALUES['speech']['t'].value:.2f}", "07", paper="axai",
       rule=PAIRWISE_RULE, n_paper="test set (count not stated)"),
    claim("c4.mannwhitney.speech", "App. C.4, Table 6", "Mann-Whitney, Speech Commands",
       f"p = {paper.C4_PVALUES['speech']['u'].value:.2f}", "07", paper="axai",
       rule=PAIRWISE_RULE, n_paper="test set (count not stated)"),
    claim("c4.ttest.text", "App. C.4, Table 6", "t-test, Sentence Polarity",
       f"p = {paper.C4_PVALUES['text']['t'].value:.2f}", "07", paper="axai",
       rule=PAIRWISE_RULE, n_paper="test set (count not stated)"),
    claim("c4.mannwhitney.text", "App. C.4, Table 6", "Mann-Whitney, Sentence Polarity",
       f"p = {paper.C4_PVALUES['text']['u'].value:.2f}", "07", paper="axai",
       rule=PAIRWISE_RULE, n_paper="test set (count not stated)"),
    claim("c4.quantiles.speech", "App. C.4, Table 7", "narrow, symmetric quantile intervals, "
       "Speech Commands", "q15 {}, q85 {}".format(*(_c4_interval(paper.C4_QUANTILES["speech"][s])
                                                  for s in ("q15", "q85"))), "07", paper="axai",
       rule=QUANTILE_RULE, n_paper="test set (count not stated)"),
    claim("c4.quantiles.text", "App. C.4, Table 7", "narrow, symmetric quantile intervals, "
       "Sentence Polarity", "q15 {}, q85 {}".format(*(_c4_interval(paper.C4_QUANTILES["text"][s])
                                                    for s in ("q15", "q85"))), "07", paper="axai",
       rule=QUANTILE_RULE, n_paper="test set (count not stated)"),
    claim("c4.beta.speech", "App. C.4, Table 8", "beta fit, Speech Commands",
       "p {}, q {}".format(*(_c4_interval(paper.C4_BETA["speech"][s]) for s in "pq")), "07", paper="axai",
       rule=beta_shape_rule(paper.C4_BETA['speech']), n_paper="test set (count not stated)"),
    claim("c4.beta.text", "App. C.4, Table 8", "beta fit, Sentence Polarity",
       "p {}, q {}".format(*(_c4_interval(paper.C4_BETA["text"][s]) for s in "pq")), "07", paper="axai",
       rule=beta_shape_rule(paper.C4_BETA['text']), n_paper="test set (count not stated)"),
)


# ------------------------------------------- the benchmark's targets (04, axlib.papers.axai.bench)
def table5_paper_ratio(method: str, device: str = "cpu") -> float:
    """Table 5's ratio of ``method`` ("lime" or "shap") to AXAI on ``device`` ("cpu" or "gpu"):
    seconds per image over AXAI's (105 / 6.6 = 15.9 for LIME on the CPU)."""
    if device not in paper.TABLE5:
        raise ValueError(f"device must be one of {tuple(paper.TABLE5)}, got {device!r}")
    if method not in ("lime", "shap"):
        raise ValueError(f"method must be 'lime' or 'shap', got {method!r}")
    return paper.TABLE5[device][method].value / paper.TABLE5[device]["axai"].value


TABLE5_TARGETS = {"lime/axai": (">=", float(round(table5_paper_ratio("lime")))),
                  "shap/axai": (">=", round(table5_paper_ratio("shap"), 1)),
                  "axai segmentation share": ("<=", 0.30), "axai rest share": ("<=", 0.10)}
"""The benchmark's targets: the paper's CPU ratios rounded as the paper's readers quote them
(105 / 6.6 = 16, 35 / 6.6 = 5.3), AXAI's segmentation at most 30 % and its time beyond attack
and segmentation at most 10 % of its time (``axlib.papers.axai.bench.targets`` checks them)."""
