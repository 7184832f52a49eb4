"""The claims catalogue: every claim of the three papers that the book checks, and the
dashboard rows that put the recorded results beside them.

Claim id convention (matching is by exact id, nothing fuzzy)
------------------------------------------------------------
A claim id is the ``claim=`` string a notebook passes to :func:`axlib.results.record`:
dot-separated words of letters, digits and underscores (lower case, except appendix tags such
as ``appB`` or ``appE4`` as notebook 04 writes them), ``<paper>.<topic>[.<subtopic>][.<case>]``
where

- ``<paper>`` is ``axai`` (AXAI main text and appendix), ``robust`` (Nourelahi et al., the
  robust-CNN study) or ``exiaa`` (EXIAA);
- ``<topic>`` names the experiment (``skew_share``, ``ttest``, ``table4``, ``bench``...);
- ``<case>`` is the data set or model the number is for (``cifar10``, ``imagenet``,
  ``speech``, ``text``, ``resnet18``, ``vit``...), last, so that one experiment on two data
  sets gives two ids that differ only in their last part.

Exception, as notebook 07 records them: AXAI's speech and text claims start with ``speech.``,
``text.`` or ``c4.`` (appendix C.4); their catalogue entries name the paper explicitly.

Records that are not a paper's claim (model accuracies, attack success rates) use another
first part (``models.``) or the verdict ``"reference"``; they are listed on the dashboard
under "Other recorded numbers", so nothing a notebook records is lost. A catalogue claim that
no results file records is shown as *not yet run*. When a notebook's id and the catalogue's
differ, fix one of them: the dashboard then shows a "not yet run" row and an "other" row for
the same number, which is the signal to reconcile.

The catalogue holds the papers' statements and numbers only (quoted from the papers in
``../shared/seeds``); our numbers come from the results files, never from here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

PAPERS = {
    "axai": "AXAI (Rahnama & Tseng, CVPR-W 2021, with appendix)",
    "robust": "How explainable are adversarially-robust CNNs? (Nourelahi et al., 2022)",
    "exiaa": "EXIAA: Explainable Injections for Adversarial Attack (2025)",
}


@dataclass(frozen=True)
class Claim:
    """One claim of a paper.

    id: exact claim id (see the module docstring); paper: a key of ``PAPERS``; where: the
    section, table or figure; statement: the claim in one sentence; paper_value: the paper's
    number or wording, as text; notebook: the notebook expected to record it (file stem
    prefix, e.g. ``"02"``).
    """

    id: str
    paper: str
    where: str
    statement: str
    paper_value: str
    notebook: str


def _c(id, where, statement, paper_value, notebook, paper=None):
    return Claim(id, paper or id.split(".", 1)[0], where, statement, paper_value, notebook)


CATALOGUE: tuple[Claim, ...] = (
    # ------------------------------------------------------------------ AXAI, appendix A (01)
    _c("axai.quickshift.kernel_cost", "App. A", "QuickShift's kernel size is the major "
       "computational cost, and larger kernels give fewer segments",
       "qualitative", "01"),
    _c("axai.quickshift.lime_defaults_merge_cifar", "App. A, Fig. 11", "LIME's QuickShift "
       "defaults (kernel 4, max distance 200, ratio 0.2) merge low-resolution images into few "
       "segments", "qualitative (Fig. 11)", "01"),
    _c("axai.quickshift.lambda_counts", "App. A, Fig. 13", "changing only the colour/space "
       "trade-off lambda leaves the segment count nearly the same", "73 -> 81 segments (castle)",
       "01"),
    _c("axai.k_cost_independent", "App. A, Fig. 12", "a longer explainability length K does "
       "not increase the computation time", "t(K=10) / t(K=1) = 1", "01"),
    _c("axai.lambda_explanations", "App. A, Fig. 13", "a lower lambda keeps details from "
       "merging with irrelevant background", "qualitative (Fig. 13)", "01"),
    # ------------------------------------------------------------ AXAI, 3.2 and App. C (02)
    _c("axai.skew_share.cifar10", "3.2, Fig. 2", "attack-magnitude distributions are "
       "symmetric: share of CIFAR-10 images with |skewness| > 0.5", "0.9%", "02"),
    _c("axai.skew_share.cifar100", "3.2, Fig. 2", "share of CIFAR-100 images (VGG16) with "
       "|skewness| > 0.5", "3.3%", "02"),
    _c("axai.skew_share.imagenet", "3.2, Fig. 2", "share of ImageNet images (ResNet34) with "
       "|skewness| > 0.5", "1.9%", "02"),
    _c("axai.qq_heavy_tails.cifar10", "3.2, Fig. 3a, App. C.2", "Q-Q plots against the normal "
       "are straight in the middle with heavy tails (CIFAR-10)", "qualitative (Fig. 3a)", "02"),
    _c("axai.qq_heavy_tails.imagenet", "3.2, Fig. 3b, App. C.2", "Q-Q plots against the normal "
       "are straight in the middle with heavy tails (ImageNet)", "qualitative (Fig. 3b)", "02"),
    _c("axai.ttest.cifar10", "3.2, Table 1", "pairwise t-tests find no difference between "
       "the means (CIFAR-10)", "p = 0.70", "02"),
    _c("axai.mannwhitney.cifar10", "3.2, Table 1", "pairwise Mann-Whitney tests find no "
       "difference (CIFAR-10)", "p = 0.58", "02"),
    _c("axai.ttest.imagenet", "3.2, Table 1", "pairwise t-tests find no difference between "
       "the means (ImageNet)", "p = 0.64", "02"),
    _c("axai.mannwhitney.imagenet", "3.2, Table 1", "pairwise Mann-Whitney tests find no "
       "difference (ImageNet)", "p = 0.55", "02"),
    _c("axai.anova.cifar10", "App. C.1", "one-way ANOVA over all images finds no difference "
       "between the means (CIFAR-10)", "p = 0.9", "02"),
    _c("axai.anova.imagenet", "App. C.1", "one-way ANOVA over all images finds no difference "
       "between the means (ImageNet subset)", "p = 0.94", "02"),
    _c("axai.quantiles.cifar10", "3.2, Table 2", "narrow, origin-symmetric 95% intervals of "
       "the 15/25/75/85th quantiles, mean and median (CIFAR-10, AlexNet)",
       "q15 (-1.807e-2, -1.805e-2), q85 (1.809e-2, 1.812e-2)", "02"),
    _c("axai.quantiles.imagenet", "3.2, Table 2", "narrow, origin-symmetric 95% intervals of "
       "the quantiles (ImageNet, ResNet34)", "q15 (-1.785e-3, -1.777e-3), q85 (1.777e-3, "
       "1.785e-3)", "02"),
    _c("axai.beta.cifar10", "3.2, Table 3, App. C.3", "the distributions follow a beta "
       "distribution with p close to q (CIFAR-10)", "p (11.24, 11.32), q (11.36, 11.45)", "02"),
    _c("axai.beta.imagenet", "3.2, Table 3, App. C.3", "the distributions follow a beta "
       "distribution with p close to q (ImageNet)", "p (130.6, 132.9), q (130.3, 132.6)", "02"),
    # ------------------------------------------------------------------- AXAI, 3.3 (03)
    _c("axai.flip_alpha_mean.cifar10", "3.3, Fig. 4", "attacking only the outer alpha% tails "
       "flips the prediction; the boundary sits near alpha = 15% (CIFAR-10)", "15%", "03"),
    _c("axai.flip_alpha_mean.imagenet", "3.3, Fig. 4", "the flipping boundary sits near "
       "alpha = 15% (ImageNet)", "15%", "03"),
    _c("axai.table4.tails_vs_middle.cifar10", "3.3, Table 4", "attacking only the 15% tails "
       "fools the model far more than attacking the middle 70% (adversarial accuracy, CIFAR-10)",
       "middle 0.78, tails 0.16", "03"),
    _c("axai.table4.tails_vs_middle.imagenet", "3.3, Table 4", "same, ImageNet",
       "middle 0.88, tails 0.07", "03"),
    _c("axai.table4.cells.cifar10", "3.3, Table 4", "all eight percentile ranges of Table 4 "
       "(CIFAR-10)", "0.78 / 0.26 / 0.50 / 0.07 middle; 0.16 / 0.26 / 0.45 / 0.92 tails", "03"),
    _c("axai.table4.cells.imagenet", "3.3, Table 4", "all eight percentile ranges of Table 4 "
       "(ImageNet)", "0.88 / 0.79 / 0.63 / 0.12 middle; 0.07 / 0.13 / 0.25 / 0.80 tails", "03"),
    # ----------------------------------------------------- AXAI, 4.3, App. B, D, E, F (04)
    _c("axai.table5.lime_over_axai", "4.3, Table 5", "AXAI is faster than LIME on one CPU "
       "(ratio LIME / AXAI, seconds per image)", "105 s / 6.6 s = 16x", "04"),
    _c("axai.table5.shap_over_axai", "4.3, Table 5", "AXAI is faster than SHAP Gradient "
       "Explainer on one CPU (ratio SHAP / AXAI)", "35 s / 6.6 s = 5.3x", "04"),
    _c("axai.table5.lime_over_axai.gpu", "4.3, Table 5", "ratio LIME / AXAI on one GPU",
       "5.8 s / 1.7 s = 3.4x", "04"),
    _c("axai.table5.shap_over_axai.gpu", "4.3, Table 5", "ratio SHAP / AXAI on one GPU",
       "3.8 s / 1.7 s = 2.2x", "04"),
    _c("axai.table5.segmentation_share", "App. A, 4.3", "QuickShift segmentation is the "
       "bottleneck of AXAI's running time", "the major bottleneck (no number)", "04"),
    _c("axai.fig21.iou_axai_lime", "4.3, Fig. 7, App. F, Fig. 21", "AXAI, LIME and SHAP "
       "produce similar explanations", "similar (judged by eye)", "04"),
    _c("axai.appF.lime_kernel4_coverage", "4.3, App. F", "LIME (kernel 4) fails on "
       "low-resolution CIFAR-10 images: a few very large segments", "qualitative (Fig. 7, 21)",
       "04"),
    _c("axai.appB.iou_fgm_pgd20.imagenet", "App. B, Fig. 14", "FGM and PGD give the same "
       "top-K segments (ImageNet-size images)", "\"exactly the same\" (one image)", "04"),
    _c("axai.appB.iou_fgm_pgd20.cifar10", "App. B", "FGM and PGD give the same top-K "
       "segments (CIFAR-10)", "the same (stated for ImageNet)", "04"),
    _c("axai.appB.iou_pgd10_pgd40.fine_segments", "App. B, Fig. 14e-f", "with 50x more "
       "segments, PGD with 10 and 40 iterations still agree up to small differences",
       "small differences", "04"),
    _c("axai.appE4.accuracy_after_top5.imagenet", "App. E.4", "blurring the top 5 of K = 10 "
       "segments lowers the accuracy (ResNet34, ImageNet)", "accuracy falls to 43%", "04"),
    _c("axai.appE4.accuracy_after_top5.cifar10", "App. E.4", "same ablation on CIFAR-10",
       "43% (stated for ImageNet)", "04"),
    _c("axai.appE4.drop_6to10.imagenet", "App. E.4", "blurring segments 6-10 instead lowers "
       "it less (ImageNet)", "22% drop", "04"),
    _c("axai.appE4.drop_6to10.cifar10", "App. E.4", "same, CIFAR-10",
       "22% drop (stated for ImageNet)", "04"),
    _c("axai.appE4.ordering.imagenet", "App. E.4", "blurring the top 5 segments hurts accuracy more "
       "than blurring segments 6-10 (ImageNet)", "43% after top 5 vs a 22% drop after 6-10", "04"),
    _c("axai.appE4.ordering.cifar10", "App. E.4", "same ordering on CIFAR-10",
       "top 5 hurts more than 6-10 (stated for ImageNet)", "04"),
    _c("axai.appD.adv_class_in_top5", "App. D, Fig. 16", "the untargeted attack moves the "
       "prediction to a nearby class", "nearest class (convertible -> sports car)", "04"),
    _c("axai.appE5.centre_share", "App. E.5, Fig. 20", "explanations of an adversarially "
       "trained AlexNet focus more on the object than those of a vanilla one",
       "qualitative (Fig. 20)", "04"),
    # -------------------------------------------------------- AXAI, 4.1, 4.2, C.4, E.3 (07)
    _c("speech.right.neighbour", "4.1, App. E.3", "the attack turns \"right\" into its "
       "neighbour class", "\"five\"", "07", paper="axai"),
    _c("speech.three.neighbour", "4.1, App. E.3", "the attack turns \"three\" into its "
       "neighbour class", "\"tree\"", "07", paper="axai"),
    _c("speech.right.explanation_timing", "App. E.3, Fig. 5", "for \"right\" the explanation "
       "keeps the time intervals where the word is spoken", "0.4-0.6 s and 1.0-1.2 s kept", "07",
       paper="axai"),
    _c("speech.three.explanation_timing", "4.1, Fig. 5", "for \"three\" the explanation keeps "
       "the time intervals where the word is spoken", "qualitative (Fig. 5)", "07", paper="axai"),
    _c("text.negative.top_token", "4.2, Fig. 6a", "the word \"unfunny\" is the main "
       "explanation of the negative example", "\"unfunny\"", "07", paper="axai"),
    _c("text.positive.top_token", "4.2, Fig. 6b", "the word \"astonishing\" is the main "
       "explanation of the positive example", "\"astonishing\"", "07", paper="axai"),
    _c("text.cnn_rand.accuracy", "4.2 (model of [16])", "the sentence model is Kim's "
       "CNN-rand, trained on Sentence Polarity", "76.1% (Kim 2014)", "07", paper="axai"),
    _c("c4.skew_share.speech", "App. C.4, Fig. 15", "skewness within [-0.5, 0.5] for "
       "LeNet on Speech Commands", "all within", "07", paper="axai"),
    _c("c4.skew_share.text", "App. C.4, Fig. 15", "skewness within [-0.5, 0.5] for the "
       "CNN on Sentence Polarity", "all within", "07", paper="axai"),
    _c("c4.ttest.speech", "App. C.4, Table 6", "t-test, Speech Commands", "p = 0.30", "07",
       paper="axai"),
    _c("c4.mannwhitney.speech", "App. C.4, Table 6", "Mann-Whitney, Speech Commands",
       "p = 0.25", "07", paper="axai"),
    _c("c4.ttest.text", "App. C.4, Table 6", "t-test, Sentence Polarity", "p = 0.47", "07",
       paper="axai"),
    _c("c4.mannwhitney.text", "App. C.4, Table 6", "Mann-Whitney, Sentence Polarity",
       "p = 0.42", "07", paper="axai"),
    _c("c4.quantiles.speech", "App. C.4, Table 7", "narrow, symmetric quantile intervals, "
       "Speech Commands", "q15 (-4.110e-3, -4.049e-3), q85 (4.153e-3, 4.220e-3)", "07",
       paper="axai"),
    _c("c4.quantiles.text", "App. C.4, Table 7", "narrow, symmetric quantile intervals, "
       "Sentence Polarity", "q15 (-2.753e-1, -2.673e-1), q85 (2.599e-1, 2.677e-1)", "07",
       paper="axai"),
    _c("c4.beta.speech", "App. C.4, Table 8", "beta fit, Speech Commands",
       "p (52.82, 54.51), q (51.44, 53.09)", "07", paper="axai"),
    _c("c4.beta.text", "App. C.4, Table 8", "beta fit, Sentence Polarity",
       "p (13.22, 13.68), q (13.46, 13.93)", "07", paper="axai"),
    # -------------------------------------------------------------- robust-CNN study (05)
    _c("robust.table1.confidence_ratio", "2.2, Table 1", "robust models are less confident "
       "than vanilla ones (vanilla / robust mean confidence on correct images)", "about 1.8x", "05"),
    _c("robust.table1.advprop_accuracy", "2.2, Table 1", "AdvProp models are as accurate as "
       "vanilla ones", "77.01 and 77.31% vs 76.15% (ResNet-50)", "05"),
    _c("robust.tuning.robust_prefers_smaller", "A1, Table A1", "tuned for robust models, MP "
       "needs fewer steps and RISE smaller masks than for vanilla ones",
       "MP 10 vs 500 steps; RISE mask 3-4 vs 7", "05"),
    _c("robust.gradient_localisation", "3.1, Fig. 2a-b", "robust models score higher than "
       "vanilla ones on Pointing Game and WSL under gradient-based AMs",
       "significant, Mann-Whitney p < 0.003", "05"),
    _c("robust.cam_perturbation_no_difference", "3.1, Fig. 2a-b", "no significant "
       "localisation difference under CAM-based and perturbation-based AMs",
       "not significant", "05"),
    _c("robust.insertion_favours_vanilla", "3.1, Fig. 2c", "under Insertion vanilla models "
       "score better", "p < 0.002", "05"),
    _c("robust.deletion_favours_robust", "3.1, Fig. 2d", "under Deletion robust models "
       "score better", "p < 0.002", "05"),
    _c("robust.advprop_between", "3.2, Fig. 3", "AdvProp models lie between vanilla and "
       "robust models in localisation", "vanilla < AdvProp < robust", "05"),
    _c("robust.best_methods", "3.3, Fig. 4, Table A2", "GradCAM and RISE are among the top-3 "
       "methods under all four metrics; MP is the worst", "GradCAM, RISE top-3; MP last", "05"),
    _c("robust.runtime", "3.3, Table 2", "Gradient and GradCAM take milliseconds per image, "
       "perturbation methods orders of magnitude longer; GradCAM is the best trade-off with WSL",
       "GradCAM 34 ms, Gradient 26 ms, EP 32 s", "05"),
    _c("robust.no_best_cnn", "3.4, Fig. 5", "no CNN is best in accuracy and explainability "
       "at once", "IDEAL region empty", "05"),
    _c("robust.deletion_confidence.network", "3.5, Fig. 6a", "Deletion correlates with mean "
       "confidence across networks (Spearman)", "0.88", "05"),
    _c("robust.deletion_confidence.image", "3.5, Fig. 6a", "Deletion correlates with "
       "confidence across images (Spearman)", "0.78", "05"),
    _c("robust.pg_wsl_correlation", "3.6, Fig. 6b", "Pointing Game and WSL correlate strongly "
       "(Spearman)", "0.82", "05"),
    _c("robust.insertion_deletion_correlation", "3.6, Fig. 6b", "Insertion and Deletion "
       "correlate strongly, i.e. disagree (Spearman)", "0.86", "05"),
    # ------------------------------------------------------------------------ EXIAA (06)
    _c("exiaa.above_baseline", "4, Fig. 2, Table 1, B.1-B.3", "at equal alpha the attack "
       "changes explanations more than Gaussian noise", "significantly above the baseline",
       "06"),
    _c("exiaa.above_baseline.resnet18", "4, Fig. 2, Table 1", "same, ResNet-18 alone",
       "above the baseline", "06"),
    _c("exiaa.above_baseline.vit", "4, Fig. 2, Table 1", "same, ViT alone",
       "above the baseline", "06"),
    _c("exiaa.vit_more_vulnerable", "4, Fig. 2, Table 1", "the ViT's explanations change "
       "more than the ResNet-18's at equal method, alpha and top-k",
       "e.g. DeepLIFT SHAP, alpha 0.03, top-k 0.1: 71.9% vs 37.6%", "06"),
    _c("exiaa.vit_smaller_confidence_drop", "4, Fig. 4, Table 1", "the ViT's prediction "
       "confidence drops less than the ResNet-18's", "lower prediction drop for the ViT",
       "06"),
    _c("exiaa.confidence_below_5", "4, Fig. 4", "the prediction confidence changes by less "
       "than 5 points on average; only high alpha exceeds 10", "< 5% (> 10% only at high "
       "alpha)", "06"),
    _c("exiaa.baseline_more_similar", "4, Fig. 3", "corrupted images stay structurally "
       "similar to the originals (SSIM), the Gaussian baseline slightly more so",
       "baseline SSIM higher, both high", "06"),
    _c("exiaa.running_up_best", "4, Fig. 5", "an attack image from the running-up class "
       "changes explanations at least as much as one from any other class",
       "always as good or better", "06"),
    _c("exiaa.running_up_above_mean", "4, Fig. 5", "the running-up class does at least as "
       "well as the mean of the other classes (a weaker reading of Fig. 5)",
       "as good or better", "06"),
    _c("exiaa.top5_beat_low_ranks", "App. A, Fig. A.1", "the most confident running-up "
       "images attack better than those ranked 95-100", "top images better", "06"),
    *(_c(f"exiaa.magnitude.{model}.{method}", "Tables 1, B.1-B.3", f"size of the explanation "
         f"change, {label}, {method_label} (median ratio ours / paper over the shared cells)",
         "the tables' percentages", "06")
      for model, label in (("resnet18", "ResNet-18"), ("vit", "ViT"))
      for method, method_label in (("saliency", "saliency"),
                                   ("integrated_gradients", "integrated gradients"),
                                   ("deeplift_shap", "DeepLIFT SHAP"))),
)


# --------------------------------------------------------------------------- dashboard

@dataclass
class Row:
    """One dashboard row: a catalogue claim with its record (or none), or a record that the
    catalogue does not list (``claim`` is None)."""

    id: str
    claim: Claim | None
    record: dict | None
    notebook: str = ""

    @property
    def verdict(self) -> str:
        return self.record.get("verdict", "?") if self.record else "not yet run"


def load_records(results_files) -> dict[str, tuple[str, dict]]:
    """``{claim id: (notebook stem, record)}`` from ``*.results.json`` files.

    Raises ValueError when two files record the same id (the dashboard could not say which
    one is meant)."""
    records: dict[str, tuple[str, dict]] = {}
    for path in sorted(Path(p) for p in results_files):
        data = json.loads(path.read_text())
        stem = data.get("notebook") or path.name.removesuffix(".results.json")
        for claim_id, record in data.get("claims", {}).items():
            if claim_id in records and records[claim_id][0] != stem:
                raise ValueError(f"claim {claim_id!r} is recorded by both "
                                 f"{records[claim_id][0]} and {stem}")
            records[claim_id] = (stem, record)
    return records


def dashboard_rows(records: dict[str, tuple[str, dict]],
                   catalogue=CATALOGUE) -> tuple[dict[str, list[Row]], list[Row]]:
    """Match records to the catalogue by exact id.

    Returns ``({paper key: [Row, ...] in catalogue order}, [Row, ...] of records the
    catalogue does not list, in notebook then id order)``. Every record appears exactly once.
    """
    ids = [c.id for c in catalogue]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate claim ids in the catalogue: {sorted(duplicates)}")
    by_paper: dict[str, list[Row]] = {key: [] for key in PAPERS}
    for claim in catalogue:
        stem, record = records.get(claim.id, ("", None))
        by_paper.setdefault(claim.paper, []).append(Row(claim.id, claim, record, stem))
    known = set(ids)
    others = [Row(claim_id, None, record, stem)
              for claim_id, (stem, record) in sorted(records.items(), key=lambda kv: (kv[1][0], kv[0]))
              if claim_id not in known]
    return by_paper, others
