"""Every number and wording the book quotes from AXAI, with its table, figure or section and the
paper's own words (:class:`~axlib._util.quotes.Quoted`; ``tests/test_paper_values.py`` finds
each text in the paper and checks the value against it). Nothing else in the book types a
number of this paper.
"""
from __future__ import annotations

from axlib._util.quotes import Quoted  # noqa: F401

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
