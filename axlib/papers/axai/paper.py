"""Every number and wording the book quotes from AXAI, with its table, figure or section and the
paper's own words (:class:`~axlib._util.quotes.Quoted`; ``tests/test_paper_values.py`` finds
each text in the paper and checks the value against it). Nothing else in the book types a
number of this paper.
"""
from __future__ import annotations

from axlib._util.quotes import Quoted

# ---------------------------------------------------------------- 01 QuickShift (App. A)
QUICKSHIFT_LIME_KERNEL_SIZE = Quoted(4, "App. A", "LIME uses QuickShift for image segmentation where the default Kernel Size is 4")
"""LIME's QuickShift kernel size (scikit-image ``kernel_size``)."""
QUICKSHIFT_LIME_MAX_DIST = Quoted(200, "App. A", "the Max distance is 200")
"""LIME's QuickShift max distance tau (scikit-image ``max_dist``)."""
QUICKSHIFT_LIME_RATIO = Quoted(0.2, "App. A", "and the threshold $\\tau$ is 0.2")
"""LIME's colour/space weight (scikit-image ``ratio``, the paper's lambda; the appendix calls it tau)."""
QUICKSHIFT_KERNEL_COST = Quoted(
    "increasing the kernel size increases the computation time while decreasing the number of image segments",
    "App. A", "First, increasing the kernel size increases the computation time while decreasing the number of "
              "image segments, making this parameter the major computational bottleneck in image segmentation.")
"""The kernel-size claim of appendix A (no number given)."""
QUICKSHIFT_LOW_RESOLUTION = Quoted(
    "important and unimportant features can easily be merged together", "App. A, Fig. 11",
    "because important and unimportant features can easily be merged together, as demonstrated in Fig. 11")
"""The low-resolution claim of appendix A (Fig. 11)."""
QUICKSHIFT_CIFAR_KERNEL_SIZE = Quoted(1, "App. F", "we lowered the Kernel size parameter to 1")
"""The kernel size the paper uses for CIFAR-10 and CIFAR-100."""
QUICKSHIFT_LAMBDAS = Quoted((0.2, 0.8), "App. A, Fig. 13",
                            "For the first combination, we used 0.2 (Fig. 13b), for the second combination, "
                            "we used 0.8 (Fig. 13c)")
"""The two lambdas of Fig. 13 (b and c), all else fixed."""
QUICKSHIFT_LAMBDA_COUNTS = Quoted((73, 81), "App. A, Fig. 13", "the total number of segments are nearly the same (73 and 81)")
"""Segment counts of the castle image at lambda 0.2 and 0.8 (Fig. 13b, 13c)."""
QUICKSHIFT_LAMBDA_EXPLANATIONS = Quoted(
    "prevents details from merging with irrelevant background information", "App. A, Fig. 13",
    "prevents details from merging with irrelevant background information")
"""What a lower lambda does to the explanation (Fig. 13, judged by eye)."""
QUICKSHIFT_K_SHOWN = Quoted((1, 2), "App. A, Fig. 12", "(b) Explainability length = 1 (c) Explainability length = 2")
"""The explainability lengths of Fig. 12b and 12c."""
QUICKSHIFT_K = Quoted(10, "App. A, Fig. 12", "we picked the top 10 segments as explanations, i.e., explainability length=10")
"""The explainability length of Figs. 12 and 13 (the top 10 segments)."""
QUICKSHIFT_K_COST = Quoted(
    "the choice of a longer explainability length (more segments) does not increase the computational time",
    "App. A, Fig. 12", "unlike LIME and other explainability algorithms, the choice of a longer explainability "
                       "length (more segments) does not increase the computational time of our algorithm")
"""The explainability-length cost claim of appendix A."""
QUICKSHIFT_PGD_STEPS = Quoted(20, "3.3", "both attacked by PGD with 20 iterations")
"""PGD iterations of AXAI's attack (the explanations of Figs. 12 and 13)."""
QUICKSHIFT_TAIL_PERCENT = Quoted(15, "3.3", "within the [0%, 15%] and [85%, 100%] percentiles")
"""AXAI's threshold a: a value counts as strongly attacked in the lower or upper 15% tail."""


# ---------------------------------------------- 02 attack distributions (3.2, App. C.1-C.3)
# CIFAR-10 = AlexNet, CIFAR-100 = VGG16, ImageNet = ResNet34 in the paper. Shares as fractions.
SKEW_SHARE = {
    "cifar10": Quoted(0.009, "3.2, Fig. 2", "Only 0.9% of CIFAR10"),
    "cifar100": Quoted(0.033, "3.2, Fig. 2", "3.3% of CIFAR100"),
    "imagenet": Quoted(0.019, "3.2, Fig. 2", "1.9% of ImageNet test datasets lie outside of [-0.5, 0.5]range"),
}
QQ_SHAPE = Quoted("the distributions follow a fairly straight line in the middle portion of the curve",
                  "3.2, Fig. 3", "It is seen that the distributions follow a fairly straight line in the "
                  "middle portion of the curve")
_TABLE1 = "p-value 0.70 0.58 0.64 0.55"
PVALUES = {                                                     # Table 1: one p-value per test
    "cifar10": {"t": Quoted(0.70, "3.2, Table 1", _TABLE1), "u": Quoted(0.58, "3.2, Table 1", _TABLE1)},
    "imagenet": {"t": Quoted(0.64, "3.2, Table 1", _TABLE1), "u": Quoted(0.55, "3.2, Table 1", _TABLE1)},
}
ANOVA = {
    "cifar10": Quoted(0.9, "App. C.1", "For CIFAR10, we get the p-value of 0.9"),
    "imagenet": Quoted(0.94, "App. C.1", "for a random subset of ImageNet test dataset we get the p-value of 0.94"),
}


def sci_interval(printed: str) -> tuple[float, float]:
    """The (low, high) floats of an interval as the paper's tables print it: ``"(-1.807e - 02, -1.805e - 02)"``
    (the extracted text puts spaces around the exponent's sign). Raises ValueError for other text."""
    parts = printed.replace(" ", "").strip("()").split(",")
    if len(parts) != 2:
        raise ValueError(f"printed must be an interval '(low, high)', got {printed!r}")
    return float(parts[0]), float(parts[1])


def _row(where: str, label: str, cells: tuple[str, ...], columns: tuple[str, ...]) -> dict:
    """One row of a table of printed intervals: {column: Quoted(printed interval, where, row text)}."""
    text = " ".join((label, *cells))
    return {col: Quoted(cell, where, text) for col, cell in zip(columns, cells)}


# Table 2 (95 % intervals, printed as in the paper; ImageNet's q25 is printed with low > high).
# Values are the printed intervals (text); sci_interval reads them as numbers (QUANTILES).
_T2 = ("cifar10", "cifar100", "imagenet")
QUANTILES_PRINTED = {stat: _row("3.2, Table 2", label, cells, _T2) for stat, label, cells in (
    ("q15", "15th Quantile", ("(-1.807e - 02, -1.805e - 02)", "(-1.419e - 02, -1.414e - 02)",
                              "(-1.785e - 03, -1.777e - 03)")),
    ("q25", "25th Quantile", ("(-1.145e - 02, -1.071e - 02)", "(-8.153e - 03, -8.110e - 03)",
                              "(-1.015e - 03, -1.101e - 03)")),
    ("mean", "Mean", ("(1.775e - 05, 2.295e - 05)", "(-6.850e - 06, -3.624e - 06)", "(-1.090e - 07, -6.000e - 08)")),
    ("median", "Median", ("(2.115e - 06, 1.127e - 05)", "(-2.842e - 06, 4.467e - 06)",
                          "(-2.155e - 07, -9.381e - 08)")),
    ("q75", "75th Quantile", ("(1.071e - 02, 1.073e - 02)", "(8.102e - 03, 8.146e - 03)", "(1.011e - 03, 1.016e - 03)")),
    ("q85", "85th Quantile", ("(1.809e - 02, 1.812e - 02)", "(1.413e - 02, 1.418e - 02)", "(1.777e - 03, 1.785e - 03)")),
)}
QUANTILES = {ds: {stat: sci_interval(row[ds].value) for stat, row in QUANTILES_PRINTED.items()} for ds in _T2}
"""Table 2 as numbers, {dataset: {"q15", "q25", "mean", "median", "q75", "q85": (low, high)}}."""
BETA_PRINTED = {par: _row("3.2, Table 3", par, cells, _T2) for par, cells in (
    ("p", ("(1.124e + 01, 1.132e + 01)", "(2.129e + 01, 2.171e + 01)", "(1.306e + 02, 1.329e + 02)")),
    ("q", ("(1.136e + 01, 1.145e + 01)", "(2.124e + 01, 2.164e + 01)", "(1.303e + 02, 1.326e + 02)")),
)}
BETA = {ds: {par: sci_interval(row[ds].value) for par, row in BETA_PRINTED.items()} for ds in _T2}
"""Table 3 as numbers, {dataset: {"p", "q": (low, high)}} (95 % intervals of the beta shape parameters)."""


# ----------------------------------------------------------- 03 quantile selection (3.3, Table 4)
FLIP_ALPHA_MEAN = Quoted(15, "3.3, Fig. 4", "The probability density distribution of α 's are given in "
                         "Fig. 4b and Fig. 4c with an estimated mean of $\\alpha = 15$")
"""The mean tail percentage alpha at which the re-attack flips the prediction (Fig. 4b, c)."""
# Table 4, adversarial accuracy (CIFAR-10 AlexNet, ImageNet ResNet34): one Quoted per printed row,
# keyed by the band's low percentile; "middle": only [low, 100 - low] attacked, "tails": only
# [0, low] and [100 - low, 100] attacked.
TABLE4_PRINTED = {
    "middle": {
        15: Quoted((0.78, 0.88), "3.3, Table 4", "15% - 85% 0.78 0.88"),
        10: Quoted((0.26, 0.79), "3.3, Table 4", "10% - 90% 0.26 0.79"),
        5: Quoted((0.50, 0.63), "3.3, Table 4", "5% - 95% 0.50 0.63"),
        1: Quoted((0.07, 0.12), "3.3, Table 4", "1% - 99% 0.07 0.12"),
    },
    "tails": {
        15: Quoted((0.16, 0.07), "3.3, Table 4", "0% - 15%&85% - 100% 0.16 0.07"),
        10: Quoted((0.26, 0.13), "3.3, Table 4", "0% - 10% & 90% - 100% 0.26 0.13"),
        5: Quoted((0.45, 0.25), "3.3, Table 4", "0% - 5% & 95% - 100% 0.45 0.25"),
        1: Quoted((0.92, 0.80), "3.3, Table 4", "0% - 1%&99% - 100% 0.92 0.80"),
    },
}
TABLE4 = {ds: {side: {low: q.value[col] for low, q in rows.items()}
               for side, rows in (("inside", TABLE4_PRINTED["middle"]), ("outside", TABLE4_PRINTED["tails"]))}
          for col, ds in enumerate(("cifar10", "imagenet"))}
"""Table 4 as numbers, {dataset: {"inside" (middle attacked), "outside" (tails attacked): {low: accuracy}}}."""


# --------------------------------------- 04 benchmarks and appendices B, D, E.4, E.5, F
# Table 5: seconds per explanation, ResNet34 on ImageNet (CPU: Intel Core i5-7360U, GPU: Tesla V100).
TABLE5 = {
    "cpu": {"lime": Quoted(105.0, "4.3, Table 5", "LIME 105s 5.8s"),
            "shap": Quoted(35.0, "4.3, Table 5", "SHAP (Gradient Explainer) 35s 3.8s"),
            "axai": Quoted(6.6, "4.3, Table 5", "AXAI (PGD with 20 iters) 6.6s 1.7s")},
    "gpu": {"lime": Quoted(5.8, "4.3, Table 5", "LIME 105s 5.8s"),
            "shap": Quoted(3.8, "4.3, Table 5", "SHAP (Gradient Explainer) 35s 3.8s"),
            "axai": Quoted(1.7, "4.3, Table 5", "AXAI (PGD with 20 iters) 6.6s 1.7s")},
}
"""Table 5, seconds per image: {"cpu" | "gpu": {"lime" | "shap" | "axai": Quoted}}."""
TABLE5_BOTTLENECK = Quoted(
    "the main computational bottleneck", "4.3, App. A",
    "the segmentation step which mainly uses the CPU is the main computational bottleneck for the algorithms")
"""Segmentation as AXAI's bottleneck (no number given)."""
FIG21_SIMILAR = Quoted("similar explanations", "4.3, Fig. 7, App. F, Fig. 21",
                       "The algorithms produce similar explanations")
"""AXAI, LIME and SHAP point at the same parts of the image (judged by eye)."""
APP_F_LARGE_SEGMENTS = Quoted("a few very large segments", "App. F",
                              "this leads to a few very large segments in the image")
"""LIME's default QuickShift kernel on 32x32 images."""
APP_B_SAME = Quoted("exactly the same", "App. B, Fig. 14b-d", "They both look exactly the same")
"""FGM and PGD explanations of one ImageNet image (Fig. 14b-d)."""
APP_B_FINE_SEGMENTS = Quoted("50 times more segments", "App. B, Fig. 14e-f",
                             "using 50 times more segments than the previous case")
"""How much finer the segments of Fig. 14e-f are (a wording: its leading number is the factor)."""
APP_B_SMALL_DIFFERENCES = Quoted("small differences", "App. B, Fig. 14e-f",
                                 "we do see small differences between an explanation produced with a PGM "
                                 "attack with 10 iterations and one based on a PGM attack with 40 iterations")
"""PGD-10 vs PGD-40 with the finer segments."""
DETECTION_ON_OBJECTS = Quoted(
    "clearly focused on areas where buildings are located", "App. E.2, Fig. 19",
    "The produced explanation are clearly focused on areas where buildings are located and ignore empty spaces "
    "in the images")
"""Where the explanations of a YOLOv3 building detector lie (two SpaceNet images, judged by eye)."""
DETECTION_IGNORES_BACKGROUND = Quoted(
    "the roads are ignored", "App. E.2, Fig. 19d",
    "the roads are ignored and only buildings and their contours affect the predictions made by the object detector")
"""The same figure: background (roads, empty space) carries no explanation."""
APP_E4_ACCURACY_AFTER_TOP5 = Quoted(0.43, "App. E.4", "the prediction accuracy of the DNN decreases to %43 "
                                                      "after blurring the top 5 explanation/segments")
"""Top-1 accuracy of ResNet34 on the ImageNet test set after blurring AXAI's top 5 of K = 10 segments."""
APP_E4_DROP_6TO10 = Quoted(0.22, "App. E.4", "This results in a %22 drop in total accuracy")
"""The accuracy drop after blurring segments 6-10 instead (relative or in points: not said)."""
APP_D_NEAREST_CLASS = Quoted(
    "the predicted label changes from \u201cconvertible\u201d to \u201csports car\u201d", "App. D, Fig. 16",
    "the predicted label changes from \u201cconvertible\u201d to \u201csports car\u201d")
"""Appendix D's example of the attack reaching a neighbouring class."""
APP_E5_SHARPER = Quoted("sharper, clearer and more robust", "App. E.5, Fig. 20",
                        "explanations produced for the robust DNN are sharper, clearer and more robust")
"""Explanations of an adversarially trained AlexNet against a regularly trained one."""


# ------------------------------------------------ 07 speech and text (4.1, 4.2, App. C.4, E.3)
# Section 4.1 (speech, Fig. 5): the neighbour class the attack moves each word to, and the time
# intervals the explanation keeps (the paper's axis, not the clip's 0-1 s: compared by position
# within the word, a wording here).
SPEECH_NEIGHBOURS = {
    "right": Quoted("five", "4.1, Fig. 5", '"Five" is the neighboring class of "Right"'),
    "three": Quoted("tree", "4.1, Fig. 5", 'and its neighbor "Tree" differ'),
}
SPEECH_KEPT_INTERVALS = {
    "right": Quoted("[0.4s, 0.6s] and [1.0s, 1.2s]", "4.1, Fig. 5",
                    "([0.4s, 0.6s] and [1.0s, 1.2s] intervals)"),
    "three": Quoted("[1.4s, 1.7s]", "4.1, Fig. 5", 'the importance of "Thr" ([1.4s, 1.7s] interval)'),
}
# Section 4.2 (text, Fig. 6): the main explanation of each of the two example sentences.
TEXT_TOP_TOKENS = {
    "negative": Quoted("unfunny", "4.2, Fig. 6a",
                       'the word "unfunny" is strongly highlighted as the main explanation'),
    "positive": Quoted("astonishing", "4.2, Fig. 6b", 'the word "astonishing" has the most significant influence'),
}
# Appendix C.4: LeNet on Speech Commands ("speech") and Kim's CNN on Sentence Polarity ("text").
C4_SKEW = Quoted("all distributions falls within", "App. C.4, Fig. 15",
                 "the skewness of all distributions falls within the  $[-0.5, 0.5]$  range")
_TABLE6 = "p-value 0.30 0.25 0.47 0.42"
C4_PVALUES = {                                                 # Table 6: t-test "t", Mann-Whitney "u"
    "speech": {"t": Quoted(0.30, "App. C.4, Table 6", _TABLE6), "u": Quoted(0.25, "App. C.4, Table 6", _TABLE6)},
    "text": {"t": Quoted(0.47, "App. C.4, Table 6", _TABLE6), "u": Quoted(0.42, "App. C.4, Table 6", _TABLE6)},
}
_TABLE7 = {
    "q15": "15th Quantile $(-4.110e-3, -4.049e-3)$ $(-2.753e-1, -2.673e-1)$",
    "q25": "25th Quantile $(-1.150e-3, -1.109e-3)$ $(-1.472e-1, -1.414e-1)$",
    "mean": "Mean $(1.749e-5, 2.245e-5)$ $(-4.165e-3, -2.492e-3)$",
    "median": "Median $(-4.181e-09, 1.356e-09)$ $(-2.142e-3, -6.219e-4)$",
    "q75": "75th Quantile $(1.145e-3, 1.204e-3)$ $(1.365e-1, 1.421e-1)$",
    "q85": "85th Quantile $(4.153e-3, 4.220e-3)$ $(2.599e-1, 2.677e-1)$",
}
C4_QUANTILES = {                                               # Table 7: 95 % intervals (low, high)
    "speech": {"q15": Quoted((-4.110e-3, -4.049e-3), "App. C.4, Table 7", _TABLE7["q15"]),
               "q25": Quoted((-1.150e-3, -1.109e-3), "App. C.4, Table 7", _TABLE7["q25"]),
               "mean": Quoted((1.749e-5, 2.245e-5), "App. C.4, Table 7", _TABLE7["mean"]),
               "median": Quoted((-4.181e-09, 1.356e-09), "App. C.4, Table 7", _TABLE7["median"]),
               "q75": Quoted((1.145e-3, 1.204e-3), "App. C.4, Table 7", _TABLE7["q75"]),
               "q85": Quoted((4.153e-3, 4.220e-3), "App. C.4, Table 7", _TABLE7["q85"])},
    "text": {"q15": Quoted((-2.753e-1, -2.673e-1), "App. C.4, Table 7", _TABLE7["q15"]),
             "q25": Quoted((-1.472e-1, -1.414e-1), "App. C.4, Table 7", _TABLE7["q25"]),
             "mean": Quoted((-4.165e-3, -2.492e-3), "App. C.4, Table 7", _TABLE7["mean"]),
             "median": Quoted((-2.142e-3, -6.219e-4), "App. C.4, Table 7", _TABLE7["median"]),
             "q75": Quoted((1.365e-1, 1.421e-1), "App. C.4, Table 7", _TABLE7["q75"]),
             "q85": Quoted((2.599e-1, 2.677e-1), "App. C.4, Table 7", _TABLE7["q85"])},
}
_TABLE8 = {"p": "$p$ $(5.282e+1, 5.451e+1)$ $(1.322e+1, 1.368e+1)$",
           "q": "$q$ $(5.144e+1, 5.309e+1)$ $(1.346e+1, 1.393e+1)$"}
C4_BETA = {                                                    # Table 8: 95 % intervals (low, high)
    "speech": {"p": Quoted((52.82, 54.51), "App. C.4, Table 8", _TABLE8["p"]),
               "q": Quoted((51.44, 53.09), "App. C.4, Table 8", _TABLE8["q"])},
    "text": {"p": Quoted((13.22, 13.68), "App. C.4, Table 8", _TABLE8["p"]),
             "q": Quoted((13.46, 13.93), "App. C.4, Table 8", _TABLE8["q"])},
}
# External reference value, NOT a number of the AXAI paper (so not a Quoted of its text): the
# accuracy Kim (2014, Table 2) reports for CNN-rand on MR (Sentence Polarity, ten-fold
# cross-validation), the model AXAI's section 4.2 takes from its reference [16].
KIM_CNN_RAND = 0.761
