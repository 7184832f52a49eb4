"""Every number and wording the book quotes from Nourelahi et al. (2022), with its table, figure or section and the
paper's own words (:class:`~axlib._util.quotes.Quoted`; ``tests/test_paper_values.py`` finds
each text in the paper and checks the value against it). Nothing else in the book types a
number of this paper.

Accuracies are in % as the paper prints them; runtimes in ms. :func:`value` unwraps a
:class:`Quoted` (also inside dicts, lists and tuples) into the plain numbers the code uses.
"""
from __future__ import annotations

from axlib._util.quotes import Quoted, unquote

value = unquote
"""The plain value of a :class:`Quoted`, also inside dicts, lists and tuples
(:func:`axlib._util.quotes.unquote`)."""


def printed_ms(printed: str) -> int:
    """A runtime of Table 2 as the extracted text prints it, in ms: ``"32,063"`` -> 32063; the
    extraction also prints the thousands separator as a point (``"8.485"`` -> 8485: the column
    holds whole milliseconds). Raises ValueError for other text."""
    digits = printed.replace(",", "").replace(".", "")
    if not digits.isdigit():
        raise ValueError(f"printed must be a runtime such as '32,063' or '8.485', got {printed!r}")
    return int(digits)


# ---------------------------------------------------------------------- 05 robust study
# Table 1 and section 2.2: the robust models' confidence, the AdvProp models' accuracy.
CONFIDENCE_RATIO = Quoted(1.8, "2.2, Table 1", "The robust models tend to have ∼1.8× lower confidence scores")
TABLE_1_ACCURACY = {                       # ImageNet top-1 accuracy (%) of the ResNet-50s
    "vanilla": Quoted(76.15, "Table 1", "ResNet-50 [24] vanilla 0.89 ± 0.16 76.15 0.35"),
    "advprop_pgd5": Quoted(77.01, "Table 1", "ResNet-50 [24] AdvProp $[56]$ 0.90 ± 0.15 77.01 73.55"),
    "advprop_pgd1": Quoted(77.31, "Table 1", "ResNet-50 [24] AdvProp $[56]$ 0.91 ± 0.14 77.31 69.02"),
}

# Appendix A1.1: the methods' default hyperparameters (keywords of axlib.explain.methods.attribute).
_A11_MP = "The defaults for MP [\\[21\\]](#page-11-20) are $\\beta = 3$, learning rate $\\gamma = 0.1$, 500 iterations"
_A11_EP = "default hyperparameters are areas = $[0.025, 0.05, 0.1, 0.2]$, 800 iterations"
_A11_RISE = "$N_{massks} = 8000$ and mask size = 7"
_A11_LIME = "$N_{samples} = 1000$, $N_{superpixels} = 50.$"
DEFAULT_SETTINGS = {
    "gradient": {}, "gradcam": {}, "cam": {},
    "ig": {"n_steps": Quoted(50, "A1.1", "For IG, Captum [\\[29\\]](#page-11-18) suggests $N_{steps} = 50$")},
    "shap": {"n_samples": Quoted(200, "A1.1", "the default is $N_{samples} = 200$")},
    "rise": {"n_masks": Quoted(8000, "A1.1", _A11_RISE), "mask_size": Quoted(7, "A1.1", _A11_RISE)},
    "lime": {"num_samples": Quoted(1000, "A1.1", _A11_LIME), "n_segments": Quoted(50, "A1.1", _A11_LIME)},
    "mp": {"iterations": Quoted(500, "A1.1", _A11_MP)},
    "ep": {"iterations": Quoted(800, "A1.1", _A11_EP), "areas": Quoted([0.025, 0.05, 0.1, 0.2], "A1.1", _A11_EP)},
}
"""Appendix A1.1: the paper's default hyperparameters of each method, before its per-model tuning."""

SEARCH_SPACE = {
    "rise": {"mask_size": Quoted((3, 4, 5, 6, 7, 8, 9), "A1.1",
                                 "the different values for the mask size: {3, 4, 5, 6, 7, 8, 9}")},
    "lime": {"n_segments": Quoted((10, 20, 30, 40, 50, 60), "A1.1",
                                  "the numbers of superpixels: {10, 20, 30, 40, 50, 60 }")},
    "mp": {"iterations": Quoted((5, 10, 25, 50, 100, 200, 300, 400, 500), "A1.1",
                                "the following numbers of steps: { 5, 10, 25, 50, 100, 200, 300, 400, 500 }")},
    "ep": {"areas": Quoted(([0.05, 0.1], [0.02, 0.08, 0.16], [0.05, 0.15, 0.3], [0.025, 0.05, 0.1, 0.2],
                            [0.012, 0.025, 0.05, 0.1, 0.2], [0.012, 0.025, 0.05, 0.1, 0.2, 0.4],
                            [0.015, 0.03, 0.05, 0.1, 0.25, 0.5], [0.01, 0.04, 0.05, 0.1, 0.2, 0.4]), "A1.1",
                           "$\\{ [0.05, 0.1], [0.02, 0.08, 0.16], [0.05, 0.15,$ 0.3], [0.025, 0.05, 0.1, 0.2], "
                           "[0.012, 0.025, 0.05, 0.1, 0.2], [0.012, 0.025, 0.05, 0.1, 0.2, 0.4],[0.015, 0.03, "
                           "0.05, 0.1, 0.25, 0.5], [0.01, 0.04, 0.05, 0.1, 0.2, 0.4] }")},
}
"""Appendix A1.1: the grid searched per method (RISE's number of masks is searched too in the
paper; not here). Each value is a tuple of the settings tried for that keyword."""

_A1_ROBUST = ("GoogLeNet-R [0.025, 0.05, 0.1, 0.2] 10 3,8000 40 ResNet [0.025, 0.05, 0.1, 0.2] 500 7,8000 50 "
              "ResNet-R [0.025, 0.05, 0.1, 0.2] 10 4,7000 20")
TUNED_ROBUST_MP_STEPS = Quoted(10, "Table A1", _A1_ROBUST)
"""Table A1: MP's best number of steps for the robust (-R) models (vanilla: the default 500)."""
TUNED_ROBUST_RISE_MASK = Quoted((3, 4), "Table A1", _A1_ROBUST)
"""Table A1: RISE's best mask sizes for the robust models (vanilla: the default 7)."""

# Section 3.1, Fig. 2: vanilla vs robust.
GRADIENT_LOCALISATION_P = Quoted(0.003, "3.1, Fig. 2a-b", "robust CNNs significantly outperform vanilla "
                                 "models (Mann Whitney U-test; p -value < 0.003)")
CAM_PERTURBATION_NO_DIFFERENCE = Quoted("no significant differences", "3.1, Fig. 2a-b",
                                        "For PG and WSL, we find *no significant differences* between vanilla and robust AMs")
SCORE_BASED_P = Quoted(0.002, "3.1, Fig. 2c-d", "For all methods, we find a significant difference between the AMs "
                       "of robust and those of vanilla models (Mann Whitney U-test; p -value < 0.002)")

# Section 3.2, Fig. 3: AdvProp.
ADVPROP_BETWEEN = Quoted("in between vanilla and robust models", "3.2, Fig. 3",
                         "AdvProp models are consistently performing in between vanilla and robust models")

# Section 3.3, Fig. 4, Table A2, Table 2: the methods.
BEST_METHODS = Quoted("GradCAM and RISE are among the top-3", "3.3, Fig. 4",
                      "show that GradCAM and RISE are among the top-3 for Pointing Game (a), WSL (b), Insertion (c), "
                      "and Deletion (d)")
WORST_METHOD = Quoted("MP is the worst AM method on average", "3.3", "MP is the worst AM method on average")
TABLE_A2 = {      # ImageNet-CL, 10 vanilla and robust CNNs: PG (%), WSL (%), Insertion, Deletion, average rank
    "ep": Quoted((89.70, 59.06, 0.59, 0.08, 2.75), "Table A2",
                 "EP 89.70 ± 2.07 (2nd) 59.06 ± 2.53 (2nd) 0.59 ± 0.19 (1st) 0.08 ± 0.04 (6th) 2.75"),
    "ig": Quoted((82.24, 44.97, 0.53, 0.06, 4.5), "Table A2",
                 "IG 82.24 ± 4.84 (4th) 44.97 ± 4.23 (6th) 0.53 ± 0.12 (6th) 0.06 ± 0.03 (2nd) 4.5"),
    "shap": Quoted((81.91, 42.61, 0.53, 0.05, 4.75), "Table A2",
                   "SHAP 81.91 ± 4.81 (5th) 42.61 ± 6.63 (7th) 0.53 ± 0.12 (6th) 0.05 ± 0.03 (1st) 4.75"),
    "lime": Quoted((78.01, 45.47, 0.56, 0.07, 4.75), "Table A2",
                   "LIME 78.01 \\pm 4.36 (7th) 45.47 \\pm 2.91 (5th) 0.56 \\pm 0.19 (4th) 0.07 \\pm 0.03 (3rd) 4.75"),
    "gradient": Quoted((78.36, 47.03, 0.50, 0.08, 6), "Table A2",
                       "Gradient 78.36 ± 7.81 (6th) 47.03 ± 6.88 (4th) 0.50 ± 0.11 (8th) 0.08 ± 0.04 (6th) 6"),
    "mp": Quoted((70.14, 31.58, 0.56, 0.08, 6.5), "Table A2",
                 "MP 70.14 ± 3.51 (8th) 31.58 ± 3.12 (8th) 0.56 ± 0.14 (4th) 0.08 ± 0.03 (6th) 6.5"),
}
"""Table A2 rows (the GradCAM and RISE rows are cut off in the paper's extracted text; their
WSL is in Table 2: :data:`TABLE_2_WSL`)."""
TABLE_A2_COLUMNS = ("pointing_game", "wsl", "insertion", "deletion", "average_rank")

_T2 = {"cam": "CAM 67.63 ± 1.67  0 O(1) n/a 108", "gradcam": "GradCAM $62.29 + 14.17$   O(1) n/a 34",
       "ep": "EP 59.06 ± 2.53", "rise": "RISE 56.72 ± 7.03 N (# samples)  O(n) $N = 8,000$ 8.485",
       "gradient": "Gradient $47.03 + 6.88$   O(1) n/a 26",
       "lime": "LIME 45.47 ± 2.91 N (# samples)  O(n) $N = 1,000$ 7.234",
       "ig": "IG 44.97 ± 4.23 N (# samples) N (# samples) O(n) $N = 50$ 196",
       "shap": "SHAP 42.61 ± 6.63 N (# samples) N (# samples) O(n) $N = 200$ 1.137",
       "mp": "MP 31.58 ± 3.12 i (# iterations) i (# iterations) O(n) $N = 500$ 7.530"}
TABLE_2_WSL = {
    "cam": Quoted(67.63, "Table 2", _T2["cam"]), "gradcam": Quoted(62.29, "Table 2", _T2["gradcam"]),
    "ep": Quoted(59.06, "Table 2", _T2["ep"]), "rise": Quoted(56.72, "Table 2", _T2["rise"]),
    "gradient": Quoted(47.03, "Table 2", _T2["gradient"]), "lime": Quoted(45.47, "Table 2", _T2["lime"]),
    "ig": Quoted(44.97, "Table 2", _T2["ig"]), "shap": Quoted(42.61, "Table 2", _T2["shap"]),
    "mp": Quoted(31.58, "Table 2", _T2["mp"]),
}
"""Table 2: mean WSL (%) over the 10 vanilla and robust CNNs."""
TABLE_2_RUNTIME_MS = {
    "cam": Quoted(108, "Table 2", _T2["cam"]), "gradcam": Quoted(34, "Table 2", _T2["gradcam"]),
    "ep": Quoted("32,063", "Table 2", "$N = 800$, $a = 4$ 32,063"), "rise": Quoted("8.485", "Table 2", _T2["rise"]),
    "gradient": Quoted(26, "Table 2", _T2["gradient"]), "lime": Quoted("7.234", "Table 2", _T2["lime"]),
    "ig": Quoted(196, "Table 2", _T2["ig"]), "shap": Quoted("1.137", "Table 2", _T2["shap"]),
    "mp": Quoted("7.530", "Table 2", _T2["mp"]),
}
"""Table 2: median runtime per 224x224 image in ms on the paper's GPUs (values above 1,000 as
the extracted text prints them: :func:`printed_ms` reads them)."""
TABLE_2_MS = {m: printed_ms(str(q.value)) for m, q in TABLE_2_RUNTIME_MS.items()}
""":data:`TABLE_2_RUNTIME_MS` as plain ints (ms)."""

# Section 3.4, Fig. 5: accuracy vs explainability.
IDEAL_REGION = Quoted("the IDEAL region is empty", "3.4, Fig. 5",
                      "no CNN performs the best in both image classification and localization (Fig. [5a;](#page-6-3) "
                      "the IDEAL region is empty)")

# Sections 3.5-3.6, Fig. 6: Spearman rank correlations.
DELETION_CONFIDENCE = {
    "network": Quoted(0.88, "3.5, Fig. 6a", "a strong Spearman-rank correlation of 0.88 between CNN mean "
                      "confidence score and mean Deletion score"),
    "image": Quoted(0.78, "3.5, Fig. 6a", "a strong Spearman-rank correlation of 0.78 between an image's "
                    "confidence score and Deletion score"),
}
PG_WSL_CORRELATION = Quoted(0.82, "3.6, Fig. 6b", "Pointing Game and WSL strongly and positively correlate "
                            "(Spearman-rank correlation of 0.82)")
INSERTION_DELETION_CORRELATION = Quoted(0.86, "3.6, Fig. 6b", "Insertion and Deletion strongly disagree over all "
                                        "12 CNNs tested (Table. [6b;](#page-7-1) 0.86)")
METRIC_CORRELATIONS = {     # Fig. 6b, upper triangle, ImageNet-CL (rows as the extracted text prints them)
    "pointing_game": Quoted((1, 0.82, 0.18, -0.10), "Fig. 6b", "PG 1 0.82 0.18 -0.10"),
    "wsl": Quoted((1, 0.08, -0.09), "Fig. 6b", "WSL - 1 0.08 -0.09"),
    "insertion": Quoted((1, 0.86), "Fig. 6b", "Insertion - - 1 0.86"),
    "deletion": Quoted((1,), "Fig. 6b", "Deletion - - - 1"),
}
"""Fig. 6b: each metric's row of the Spearman correlation matrix from its diagonal on (PG,
WSL, Insertion, Deletion)."""

# Section 3.3: Gradient against the costlier methods (Fig. 4b, Table 2).
GRADIENT_OUTPERFORMS = Quoted("outperforms the more complicated methods LIME, IG, SHAP, and MP", "3.3, Fig. 4b, Table 2",
                              "the simple Gradient method outperforms the more complicated methods LIME, IG, SHAP, and "
                              "MP in terms of both WSL (Fig. [4b\\)](#page-5-2) and runtime")
GRADIENT_RIVALS = ("lime", "ig", "shap", "mp")
"""The four methods section 3.3 says Gradient outperforms (WSL and runtime: :data:`TABLE_2_WSL`,
:data:`TABLE_2_MS`)."""

# Appendix A2.1, Fig. A1, Table A5: the architectures (the table's numbers are cut off in our copy of the text).
BEST_ARCHITECTURE = Quoted("ResNet-50 is the best architecture", "A2.1, Fig. A1, Table A5",
                           "shows that ResNet-50 is the best architecture considering the average rankings of "
                           "architectures summarized in Table")
ARCHITECTURE_ORDER = Quoted("GoogLeNet and DenseNet-161 are two competitive architectures after ResNet-50", "A2.1",
                            "GoogLeNet and DenseNet-161 are two competitive architectures after ResNet-50 while "
                            "MobileNet-v2 and AlextNet are the worst architectures overall")
"""A2.1's order of the five architectures: ResNet-50; GoogLeNet and DenseNet-161; MobileNet-v2 and AlexNet last."""

# Table A4: the 12 CNNs on ImageNet-CL (the paper ranks them; the text never cites the table).
TABLE_A4 = {
    "AlexNet": Quoted((77.96, 43.81, 0.582, 0.074, 56.55, 0.72), "Table A4",
                      "AlexNet 77.96 (11th) 43.81(11th) 0.582(7th) 0.074(7th) 56.55 (8th) 0.72 (3rd)"),
    "AlexNet-R": Quoted((77.47, 41.78, 0.333, 0.03, 39.83, 0.72), "Table A4",
                        "AlexNet-R 77.47 (12th) 41.78(12th) 0.333(12th) 0.03(1st) 39.83 (12th) 0.72 (3rd)"),
    "GoogleNet": Quoted((84.59, 50.9, 0.632, 0.073, 69.78, 1.51), "Table A4",
                        "GoogleNet 84.59 (3rd) 50.9(4th) $\\overline{0.632}$ (5th) 0.073(6th) 69.78 (6th) 1.51 (5th)"),
    "GoogleNet-R": Quoted((84.32, 52.59, 0.428, 0.051, 50.94, 1.51), "Table A4",
                          "GoogleNet-R 84.32 (4th) 52.59(2nd) 0.428(10th) 0.051 (3rd) 50.94 (10th) 1.51(5th)"),
    "DenseNet": Quoted((80.43, 45.67, 0.78, 0.135, 77.14, 7.82), "Table A4",
                       "DenseNet 80.43(8th) 45.67(10th) 0.78(2nd) 0.135(12th) 77.14 (2nd) 7.82(11th)"),
    "DenseNet-R": Quoted((84.79, 52.06, 0.579, 0.054, 66.12, 7.82), "Table A4",
                         "DenseNet-R 84.79 (1st) 52.06 (3rd) 0.579(8th) 0.054(4th) 66.12(7th) 7.82(11th)"),
    "MobileNet": Quoted((83.42, 50.31, 0.611, 0.086, 71.88, 0.32), "Table A4",
                        "MobileNet 83.42 (6th) 50.31(6th) 0.611(6th) 0.086(8th) 71.88(5th) 0.32 (1st)"),
    "MobileNet-R": Quoted((83.61, 50.65, 0.338, 0.034, 50.4, 0.32), "Table A4",
                          "MobileNet-R 83.61 (5th) 50.65(5th) 0.338(11th) 0.034 (2nd) 50.4 (11th) 0.32(1st)"),
    "ResNet": Quoted((80.13, 46.11, 0.727, 0.108, 76.15, 4.12), "Table A4",
                     "ResNet 80.13 (9th) 46.11(9th) $\\overline{0.727}$ (4th) 0.108 (9th) 76.15(4th) 4.12(9th)"),
    "ResNet-R": Quoted((84.63, 53.27, 0.496, 0.057, 56.25, 4.12), "Table A4",
                       "ResNet-R 84.63 (2nd) 53.27 (1st) 0.496(9th) 0.057(5th) 56.25 (9th) 4.12(9th)"),
    "PGD-5": Quoted((78.54, 48.07, 0.796, 0.121, 77.01, 4.1), "Table A4",
                    "PGD-5 78.54 (10th) 48.07(8th) 0.796(1st) 0.121(11th) 77.01 (3rd) 4.1(7th)"),
    "PGD-1": Quoted((83.34, 50.11, 0.778, 0.112, 77.31, 4.1), "Table A4",
                    "PGD-1 83.34 (7th) 50.11(7th) 0.778(3rd) 0.112(10th) 77.31(f) 4.1(7th)"),
}
"""Table A4 rows (ImageNet-CL; the CNN's mean over 8 methods): Pointing Game (%), WSL (%), Insertion,
Deletion, top-1 accuracy (%), GMACs, as :data:`TABLE_A4_COLUMNS`. PGD-1 and PGD-5 are the AdvProp
ResNet-50s."""
TABLE_A4_COLUMNS = ("pointing_game", "wsl", "insertion", "deletion", "accuracy", "macs")

# Appendix A2.2, Fig. A2: accuracy vs Pointing Game and Deletion (a figure; its caption states no finding).
FIG_A2 = Quoted("average performance of all CNNs across eight attribution methods for Pointing Game and Deletion",
                "A2.2, Fig. A2", "Shows the average performance of all CNNs across eight attribution methods for "
                "Pointing Game and Deletion along with top-1 accuracy and MACs")
