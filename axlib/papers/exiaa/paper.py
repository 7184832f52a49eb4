"""Every number and wording the book quotes from EXIAA, with its table, figure or section and the
paper's own words (:class:`~axlib._util.quotes.Quoted`; ``tests/test_paper_values.py`` finds
each text in the paper and checks the value against it). Nothing else in the book types a
number of this paper.

Two sources:

* the **text**: the :class:`Quoted` values below (the grid of section 4, the wordings of the
  claims, the Table 1 cells the book cites);
* the **Tables B.1-B.3** (600 cells, DeepLIFT SHAP's Table 1 is a subset of B.3): read from
  ``data/exiaa/paper_tables_b1_b3.csv`` by :func:`paper_tables`, the one source of those
  cells (parsed from the paper's text extraction; 24 cells lost there are NaN, see
  ``data/README.md``). The shares the book compares ours with ("the paper's share of cells in
  which EXIAA beats the baseline") are *computed* from these cells, not quoted: the paper
  states no such share.
"""
from __future__ import annotations

from axlib._util.quotes import Quoted

# --------------------------------------------------------------------------- the grid (section 4)
ALPHAS = Quoted((0.03, 0.06, 0.09, 0.12, 0.15), "4, Datasets and models",
                r"$\alpha \in [0.03, 0.06, 0.09, 0.12, 0.15]$")
TOP_KS = Quoted((0.01, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8), "4, Datasets and models",
                "top- $k \\in [0.01, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8]$")
ATTACK_IMAGES_PER_ORIGINAL = Quoted(3, "4, Datasets and models",
                                    "we select the 3 images from the running-up class with the highest "
                                    "classification score")
TABLE1_TOP_KS = Quoted((0.01, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8), "Table 1 (its top-k columns)",
                       "$\\alpha \\ \\backslash \\text{top-}k$ 0.01 0.05 0.1 0.2 0.4 0.6 0.8")

# --------------------------------------------------------------------------- the claims' wordings
ABOVE_BASELINE = Quoted("significantly outperforms the baseline", "4, Fig. 2",
                        "We see that for equal values of α our method significantly outperforms the baseline")
VIT_MORE_VULNERABLE = Quoted("more vulnerable to our attack", "4, Table 1",
                             "the ViT-B16 is more vulnerable to our attack, with a higher explainability "
                             "percentage change and a lower prediction drop")
VIT_LOWER_DROP = Quoted("a lower prediction drop", "4, Table 1",
                        "with a higher explainability percentage change and a lower prediction drop")
CONFIDENCE_SMALL = Quoted(5, "4, Fig. 4", "otherwise on average smaller than 5%")
CONFIDENCE_HIGH_ALPHA = Quoted(10, "4, Fig. 4", "only high values of α reach a change greater than 10%")
BASELINE_MORE_SIMILAR = Quoted("deviates slightly more when compared to the baseline", "4, Fig. 3",
                               "Our method, as expected, deviates slightly more when compared to the "
                               "baseline, but still achieves good performance")
RUNNING_UP_BEST = Quoted("always as good as or better than picking an attack image from any other class",
                         "4, Fig. 5", "is always as good as or better than picking an attack image from "
                                      "any other class")
TOP_IMAGES = Quoted("the top 5 images", "App. A, Fig. A.1",
                    "choosing the top 5 images in a class to perform the attack (full line) vs picking "
                    "the images ranked 95-th to 100-th")

# --------------------------------------------------------------------------- Table 1 cells the book cites
# DeepLIFT SHAP, EXIAA's explanation change (%) and confidence drop (points).
TABLE1_DLS_A003_K01_WHERE = "Table 1, DeepLIFT SHAP, alpha 0.03, top-k 0.1"
TABLE1_DLS_A003_K01 = {
    "vit": Quoted(71.9, "Table 1, DeepLIFT SHAP, ViT-B16, alpha 0.03, top-k 0.1",
                  "ViT-B16 0.03 25.9 0.34↓ 11.0 0.06↓ 54.2 0.77 ↓ 23.2 0.13↓ 71.9 1.08↓"),
    "resnet18": Quoted(37.6, "Table 1, DeepLIFT SHAP, ResNet-18, alpha 0.03, top-k 0.1",
                       "ResNet-18 0.03 11.5 0.33 ↓ 15.1 0.14↓ 27.2 0.74 ↓ 29.1 0.29↓ 37.6 1.06↓"),
}
TABLE1_DLS_A015_K08 = {
    "vit": Quoted((188.8, 12.97), "Table 1, DeepLIFT SHAP, ViT-B16, alpha 0.15, top-k 0.8",
                  "185.1 11.86↓ 118.8 2.44↓ 188.8 12.97↓"),
    "resnet18": Quoted((110.6, 16.76), "Table 1, DeepLIFT SHAP, ResNet-18, alpha 0.15, top-k 0.8",
                       "108.8 15.29↓ 94.4 6.27↓ 110.6 16.76↓"),
}

# --------------------------------------------------------------------------- Tables B.1-B.3
TABLES_B1_B3_CSV = "exiaa/paper_tables_b1_b3.csv"
"""The paper's Tables B.1-B.3 (under ``data/``): the source of every table cell the book shows."""


def paper_tables():
    """EXIAA's Tables B.1-B.3 (ImageNet; ResNet-18 and ViT-B16) as a long table, read from
    :data:`TABLES_B1_B3_CSV`.

    Returns a DataFrame (600 rows) with columns method, model ("resnet18" | "vit"), alpha,
    top_k, kind ("exiaa" | "baseline"), explanation_change (%), confidence_change (points).
    24 of the 600 values were lost in the text extraction of the paper and are NaN (see
    data/README.md).
    """
    import pandas as pd

    from axlib._util.paths import repo_data_dir
    from axlib.data.manifest import verified

    frame = pd.read_csv(verified(repo_data_dir() / TABLES_B1_B3_CSV))
    frame["model"] = frame["model"].replace({"vit_b16": "vit"})
    return frame
