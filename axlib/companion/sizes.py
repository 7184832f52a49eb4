"""Every page's sizes, per profile: the one place a page's numbers of images, repeats, grids
and thread counts are set (read through :func:`axlib.profile` with ``page=``).

One entry per notebook (its file stem), each a mapping ``{profile: {size: value}}`` with the
same keys in every profile. ``threads``, when present, is the torch CPU thread count the page
runs with (applied by :func:`axlib.profile`).
"""
from __future__ import annotations

from axlib.papers.robust import paper as _robust_paper  # the paper's numbers only: imports nothing of companion


def _with(base: dict, **changes) -> dict:
    """A copy of ``base`` with ``changes``: a profile that differs from another in a few sizes."""
    unknown = set(changes) - set(base)
    if unknown:
        raise KeyError(f"sizes {sorted(unknown)} are not in the base profile")
    return {**base, **changes}


PAGE_SIZES: dict[str, dict[str, dict]] = {}

# ----------------------------------------------------------------------- 00 models
# n_cifar / n_imagenet_samples: embedded CIFAR-10 test images / ImageNet sample images the accuracies are
# re-measured on (None: all 2,000 / 250); imagenet_batch: images per forward pass; photos, photo_size:
# the skimage photographs MobileNetV2 classifies, as 224-pixel ImageNet crops.
_MODELS_DEFAULT = {"n_cifar": None, "n_imagenet_samples": None, "imagenet_batch": 25,
                   "photos": ("chelsea", "coffee", "rocket", "astronaut"), "photo_size": 224}
PAGE_SIZES["00_models"] = {"smoke": _with(_MODELS_DEFAULT, n_cifar=16, n_imagenet_samples=16),
                           "default": _MODELS_DEFAULT, "paper": _MODELS_DEFAULT}
# ----------------------------------------------------------------------- 01 QuickShift
# names, image_size: skimage photographs and the side of their ImageNet-style crops; kernel_sizes,
# max_dists, ratios: the QuickShift sweeps (the others at LIME's 4, 200, 0.2); repeats: timed runs
# per setting (fastest kept); n_cifar: embedded CIFAR-10 test images (1..2000); match_kernels: kernel
# grid for the λ pairs on the crops; axai_names: photographs AXAI explains (always at 224, MobileNetV2's
# input); axai_match_kernels: kernel grid of their λ pairs at 224; axai_repeats: timed AXAI runs per
# explainability length (8 alternating pairs since December 7, 2026, 5 before: at least 6 for a bootstrap
# interval); threads: one CPU thread, for stable timings.
# The photographs: scikit-image's four colour photographs and 8 of the embedded ImageNet samples, evenly
# spread over the class list (``axlib.data.imagenet.sample_paths(8)``); 12 since December 7, 2026 (4 before),
# so that every bootstrap interval of the page rests on at least 6 images (see axlib.intervals).
_QUICKSHIFT_PHOTOS = ("chelsea", "coffee", "astronaut", "rocket", "n01440764_tench", "n01985128_crayfish",
                      "n02109961_Eskimo_dog", "n02486410_baboon", "n03042490_cliff_dwelling", "n03661043_library",
                      "n04026417_purse", "n04485082_tripod")
_QUICKSHIFT_DEFAULT = {
    "names": _QUICKSHIFT_PHOTOS, "image_size": 224, "kernel_sizes": [1, 2, 3, 4, 5, 6, 8], "repeats": 1,
    "max_dists": [2, 5, 10, 20, 50, 200], "ratios": [0.1, 0.2, 0.5, 0.8, 1.0], "n_cifar": 1000,
    "match_kernels": [2, 2.5, 3, 3.5, 4], "axai_names": _QUICKSHIFT_PHOTOS, "axai_match_kernels": [2, 2.5, 3, 3.5, 4],
    "axai_repeats": 8, "threads": 1}
PAGE_SIZES["01_quickshift"] = {
    "smoke": _with(_QUICKSHIFT_DEFAULT, names=("chelsea", "rocket"), image_size=64, kernel_sizes=[1, 2],
                   max_dists=[5, 200], ratios=[0.2, 0.8], n_cifar=16, match_kernels=[1, 2],
                   axai_names=("chelsea",), axai_repeats=1),
    "default": _QUICKSHIFT_DEFAULT,
    "paper": _with(_QUICKSHIFT_DEFAULT, repeats=3, n_cifar=2000, axai_repeats=9),
}
# ----------------------------------------------------------------------- 02 distributions
# cifar_images / imagenet_images: images attacked (the page's n_cifar / n_imagenet; default: all
# 250 embedded ImageNet sample images since December 7, 2026, 100 before, raised within the book's
# budget before the rerun); steps: PGD iterations (20 as in the paper, 5 under smoke, which only proves the cells
# run); max_pairs: image pairs of Table 1 (None: all, or a uniform sample of pairs_cap when there
# are more); batch: images per PGD call; models: the model of each data set (paper: the paper's
# ResNet34 on ImageNet, torchvision's weights, and its VGG16 on CIFAR-100, trained by `axlib train
# cifar100-vgg16`; default: MobileNetV2, shipped, and no CIFAR-100 model); cifar100_images: CIFAR-100
# test images attacked when models names one; imagenet_source: axlib.data.imagenet.IMAGE_SOURCES ("samples":
# the sample images, one per class; paper: "val", random images of the validation split, AXAI's "random
# subset of the ImageNet test data set"; the same size on pages 03, 04 and 04b).
_D02 = {"cifar_images": 1000, "imagenet_images": 250, "imagenet_source": "samples", "cifar100_images": 1000,
        "steps": 20, "max_pairs": None,
        "pairs_cap": 10_000, "batch": {"cifar10": 250, "cifar100": 250, "imagenet": 8},
        "models": {"cifar10": "cifar10-alexnet", "imagenet": "imagenet-mobilenetv2"}}
PAGE_SIZES["02_attack_distributions"] = {
    "smoke": _with(_D02, cifar_images=16, imagenet_images=4, cifar100_images=16, steps=5),
    "default": _D02,
    "paper": _with(_D02, cifar_images=10_000, imagenet_images=1000, imagenet_source="val", cifar100_images=10_000,
                   batch={"cifar10": 250, "cifar100": 250, "imagenet": 64},
                   models={"cifar10": "cifar10-alexnet", "cifar100": "cifar100-vgg16", "imagenet": "imagenet-resnet34"}),
}
# ----------------------------------------------------------------------- 03 quantile selection
# cifar_images / imagenet_images: images attacked (the page's n_cifar / n_imagenet); alphas /
# imagenet_alphas: the grid of the flip-threshold search (percent, 50 = the whole image); pgd_max:
# how many fooled images the two PGD readings re-attack (None: all); table4_bands /
# imagenet_table4_bands: how many of Table 4's bands, widest tails first; eps_ref: the L2 radius
# of the robustness yardstick; threads: torch threads (None: every core; with the allocator
# setting of axlib.companion.environ, PGD-20 on 2 cores at 2 threads takes 0.58-0.80 of its time at
# 1 thread, CIFAR-10 batches of 1-256 and ImageNet batches of 8, Dec 2026; smoke: 1). Default ImageNet: 28
# images, so that about 20 are fooled (the ImageNet rules' minimum n; ~19 s per fooled image).
_GRID = (0.5, 1, 2, 3, 4, 5, 6, 8, 10, 12.5, 15, 17.5, 20, 25, 30, 35, 40, 45, 50)  # reattack.DEFAULT_ALPHAS
_D03 = {"cifar_images": 500, "imagenet_images": 28, "imagenet_source": "samples", "alphas": _GRID,
        "imagenet_alphas": _GRID, "pgd_max": 150,
        "table4_bands": 4, "imagenet_table4_bands": 4, "eps_ref": 0.5, "threads": None,
        "models": {"cifar10": "cifar10-alexnet", "imagenet": "imagenet-mobilenetv2"}}
PAGE_SIZES["03_quantile_selection"] = {
    "smoke": _with(_D03, cifar_images=16, imagenet_images=1, alphas=(1, 5, 15, 30, 50), imagenet_alphas=(1, 15, 50),
                   pgd_max=16, threads=1),   # all four Table 4 bands: every claim of the page is recorded (axlib book checks)
    "default": _D03,
    "paper": _with(_D03, cifar_images=2000, imagenet_images=200, imagenet_source="val", pgd_max=None,
                   models={"cifar10": "cifar10-alexnet", "imagenet": "imagenet-resnet34"}),
}
# ----------------------------------------------------------------------- 04 benchmarks
# One torch thread: on a 2-core CPU one thread per process is far steadier (see axlib.papers.axai.bench).
# imagenet_images: ImageNet sample images drawn, evenly spread over the classes (which images a
# count draws depends on the count, so 04 (32) and 04b (64) explain different sets); table5: the first ones timed for
# Table 5 (SHAP's background: the 8 after them); table5_batch: AXAI's throughput batch;
# lime_samples / shap_samples: LIME's perturbations and SHAP's samples (Table 5, Fig. 21, App. F);
# grid_cifar: CIFAR-10 images of Fig. 21; kernel_cifar: CIFAR-10 images of appendix F;
# property1_cifar: CIFAR-10 images of section 6's Property 1 (LIME runs three times an image);
# cifar_background_stop: SHAP's CIFAR-10 background is the 20 test images before this index;
# scaling_points: points on each axis of the scaling figure (sides 32-448 px, K 1-50);
# scaling_baselines_up_to: the largest side LIME and SHAP are timed at in it (None: all; at 448 px
# they take minutes each at one thread, and the default book keeps its build time); threads: the
# page's torch threads outside the timings (Table 5 sets its own budgets, the scaling figure one
# thread; None: every core); imagenet_model: the ImageNet classifier (paper: the paper's ResNet34).
# The default times 10 images (5 until December 7, 2026, raised within the book's 60-minute budget
# before the rerun, as the 10 of `axlib bench`; about 2 minutes more).
PAGE_SIZES["04_benchmarks"] = {
    "smoke": dict(threads=1, imagenet_images=2, table5=1, table5_batch=2, lime_samples=20, shap_samples=2,
                  grid_cifar=2, kernel_cifar=2, property1_cifar=2, cifar_background_stop=16, scaling_points=2,
                  scaling_baselines_up_to=None, imagenet_model="imagenet-mobilenetv2", imagenet_source="samples"),
    "default": dict(threads=None, imagenet_images=32, table5=10, table5_batch=8, lime_samples=1000, shap_samples=200,
                    grid_cifar=10, kernel_cifar=10, property1_cifar=20, cifar_background_stop=1000,
                    scaling_points=5, scaling_baselines_up_to=224, imagenet_model="imagenet-mobilenetv2",
                    imagenet_source="samples"),
    "paper": dict(threads=None, imagenet_images=250, table5=16, table5_batch=32, lime_samples=1000,
                  shap_samples=200, grid_cifar=3, kernel_cifar=8, property1_cifar=200, cifar_background_stop=2000,
                  scaling_points=5, scaling_baselines_up_to=None, imagenet_model="imagenet-resnet34",
                  imagenet_source="val"),
}
# 04b (appendices B, D, E.4, E.5): b_cifar / b_imagenet: images of appendix B; e4_cifar /
# e4_imagenet: images of the blur ablation (appendix D reuses the ImageNet ones); e5: images shown
# in Fig. 20; e5_robust: images of the robustness check and the centre-share statistic;
# imagenet_model: the ImageNet classifier (paper: the paper's ResNet34). Default since December 7,
# 2026 (raised within the book's budget before the rerun): all 250 embedded ImageNet sample images
# (64 before) and 1,000 CIFAR-10 images for E.5's check (200 before).
PAGE_SIZES["04b_attack_appendices"] = {
    "smoke": dict(threads=1, imagenet_images=2, b_cifar=4, b_imagenet=1, e4_cifar=16, e4_imagenet=2, e5=4,
                  e5_robust=16, imagenet_model="imagenet-mobilenetv2", imagenet_source="samples"),
    "default": dict(threads=None, imagenet_images=250, b_cifar=200, b_imagenet=16, e4_cifar=1000, e4_imagenet=250,
                    e5=6, e5_robust=1000, imagenet_model="imagenet-mobilenetv2", imagenet_source="samples"),
    "paper": dict(threads=None, imagenet_images=250, b_cifar=2000, b_imagenet=64, e4_cifar=2000, e4_imagenet=250,
                  e5=8, e5_robust=2000, imagenet_model="imagenet-resnet34", imagenet_source="val"),
}
# ----------------------------------------------------------------------- 05 robust study
# n_study_images: study images per model (the paper: 2,000; the default's 48 were 24 until December
# 7, 2026, raised within the book's 60-minute budget before the rerun); n_tune: held-out images of the
# hyperparameter search (the paper: 250); shard_size: images per Dask shard; tune_models: the
# models whose RISE/LIME/MP/EP are tuned; causal_step: pixels per Insertion/Deletion step (None:
# 37 of 64x64, the paper's 112 steps; 410: 10 steps); scheduler: where the shards run ("serial":
# this process, "local": a Dask cluster on this machine, or a scheduler's address); shard_device:
# where each shard computes its maps ("auto": the worker's own GPU when it has one);
# method_settings: method -> keywords of axlib.explain.methods.attribute (paper: appendix A1.1's
# defaults, axlib.papers.robust.paper.DEFAULT_SETTINGS; default and smoke: fewer samples and
# iterations); tuning_grid: method -> the configurations the held-out search tries, each overriding
# that method's settings (paper: A1.1's search spaces, paper.SEARCH_SPACE, RISE's number of masks
# not searched; default and smoke: subsets of them); models, data, n_pool: the study's models and
# image set (axlib.papers.robust.study.STUDY_DATA; n_pool: images drawn from the set, None: all;
# paper: the paper's 12 ImageNet CNNs of its Table 1, eight downloaded, four trained here by their
# recipes (axlib train), on every filtered validation image, halves for the study and the tuning;
# `-p models` and `-p tune_models` name a subset, e.g. the eight with a public checkpoint);
# card_images: the tuning-half images Table 1's accuracy, PGD accuracy and confidence are measured
# on for an ImageNet model (a canvas model's card has them from its training).
_STUDY_MODELS = [f"canvas64-{arch}{algo}" for arch in ("alexnet", "resnet", "googlenet")
                 for algo in ("", "-robust", "-advprop")]
_PAPER_STUDY_MODELS = ["imagenet-alexnet", "imagenet-alexnet-robust", "imagenet-googlenet",
                       "imagenet-googlenet-robust", "imagenet-resnet50", "imagenet-resnet50-robust",
                       "imagenet-resnet50-advprop-pgd1", "imagenet-resnet50-advprop-pgd5", "imagenet-densenet161",
                       "imagenet-densenet161-robust", "imagenet-mobilenetv2-tv", "imagenet-mobilenetv2-robust"]
_A11_DEFAULTS = _robust_paper.value(_robust_paper.DEFAULT_SETTINGS)


def _study_settings(**reduced) -> dict:
    """Appendix A1.1's default settings of every method, with ``reduced`` ones for some methods."""
    return {method: dict(reduced.get(method, kw)) for method, kw in _A11_DEFAULTS.items()}


def _tuning_grid(space: dict) -> dict:
    """{method: [{keyword: value}, ...]} from a search space {method: {keyword: values}}."""
    return {method: [{key: v} for v in values] for method, kws in space.items() for key, values in kws.items()}


_ROBUST_DEFAULT = {
    "n_study_images": 48, "n_tune": 4, "shard_size": 8, "tune_models": _STUDY_MODELS, "causal_step": None,
    "scheduler": "local", "shard_device": "cpu", "models": _STUDY_MODELS, "data": "canvas64", "n_pool": None,
    "card_images": 1000,
    "method_settings": _study_settings(
        ig={"n_steps": 50}, shap={"n_samples": 50}, rise={"n_masks": 500, "mask_size": 7},
        lime={"num_samples": 200, "n_segments": 50}, mp={"iterations": 50},
        ep={"iterations": 50, "areas": [0.025, 0.05, 0.1, 0.2]}),
    "tuning_grid": _tuning_grid({"rise": {"mask_size": (3, 5, 7)}, "lime": {"n_segments": (20, 40, 50)},
                                 "mp": {"iterations": (10, 50)},
                                 "ep": {"areas": ([0.05, 0.1], [0.025, 0.05, 0.1, 0.2])}})}
PAGE_SIZES["05_robust_study"] = {
    "smoke": _with(_ROBUST_DEFAULT, n_study_images=2, n_tune=1, shard_size=2, causal_step=410, scheduler="serial",
                   tune_models=[m for m in _STUDY_MODELS if m.startswith("canvas64-resnet")],
                   method_settings=_study_settings(
                       ig={"n_steps": 8}, shap={"n_samples": 8}, rise={"n_masks": 64, "mask_size": 7},
                       lime={"num_samples": 30, "n_segments": 50}, mp={"iterations": 5},
                       ep={"iterations": 5, "areas": [0.05, 0.2]}),
                   tuning_grid=_tuning_grid({"rise": {"mask_size": (3, 7)}, "lime": {"n_segments": (20, 50)},
                                             "mp": {"iterations": (5,)}, "ep": {"areas": ([0.05, 0.2],)}})),
    "default": _ROBUST_DEFAULT,
    "paper": _with(_ROBUST_DEFAULT, n_study_images=2000, n_tune=250, shard_size=25, shard_device="auto",
                   models=_PAPER_STUDY_MODELS, tune_models=_PAPER_STUDY_MODELS, data="imagenet-val",
                   method_settings=_study_settings(),
                   tuning_grid=_tuning_grid(_robust_paper.value(_robust_paper.SEARCH_SPACE))),
}
# ----------------------------------------------------------------------- 06 EXIAA
# Grids of the paper's alpha and top-k (axlib.papers.exiaa.paper.ALPHAS / TOP_KS) under default
# and paper; n_originals / n_imagenet_originals are the page's n_images / n_imagenet parameters
# (Profile has fields of those names); scheduler: "serial" | "local" | "tcp://host:8786" (local: two
# workers, one cluster per figure; smoke: serial, as a cluster's start-up outweighs its seconds of work).
# models / grid_data / n_classes: the main grid's models (our key -> registry name), its data set
# (axlib.papers.exiaa.experiments.GRID_DATA) and, on ImageNet, the random class subset its originals
# come from (paper: the paper's ResNet-18 and ViT-B/16 on the validation split, 500 classes);
# side_models: the model of Fig. 5 and A.1, which the paper runs on CIFAR-10; imagenet_model: the
# model of the ImageNet-samples part. The default's 36 originals (20 for Fig. 5 and A.1) were 12
# (10) until December 7, 2026: raised within the book's 60-minute budget, before the rerun, so
# that the claims' bootstrap intervals narrow (about 4 minutes more).
_EXIAA_ALPHAS = (0.03, 0.06, 0.09, 0.12, 0.15)
_EXIAA_TOP_KS = (0.01, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8)
_EXIAA_DEFAULT = dict(
    models={"resnet18": "cifar10-resnet18", "vit": "cifar10-vit"}, grid_data="cifar10", n_classes=None,
    side_models={"resnet18": "cifar10-resnet18"}, imagenet_model="imagenet-mobilenetv2",
    n_originals=36, n_side=20, n_imagenet_originals=2, attack_ranks=1, ig_steps=16, dls_baselines=4,
    alphas=_EXIAA_ALPHAS, top_ks=_EXIAA_TOP_KS, side_alphas=(0.09,), side_top_ks=_EXIAA_TOP_KS,
    top_ranks=(1, 2, 3, 4, 5), low_ranks=(96, 97, 98, 99, 100),
    imagenet_alphas=(0.06, 0.15), imagenet_top_ks=(0.05, 0.5), imagenet_pool=250, imagenet_source="embedded",
    example_method="deeplift_shap", example_alpha=0.15, example_top_k=0.2, scheduler="local")
PAGE_SIZES["06_exiaa"] = {
    "smoke": _with(_EXIAA_DEFAULT, n_originals=2, n_side=1, n_imagenet_originals=1, ig_steps=4, dls_baselines=2,
                   alphas=(0.03, 0.15), top_ks=(0.05, 0.5), side_alphas=(0.15,), side_top_ks=(0.05, 0.5),
                   top_ranks=(1,), low_ranks=(96,), imagenet_alphas=(0.15,), imagenet_top_ks=(0.1,),
                   imagenet_pool=16, scheduler="serial"),
    "default": _EXIAA_DEFAULT,
    "paper": _with(_EXIAA_DEFAULT, n_originals=100, n_side=50, n_imagenet_originals=50, attack_ranks=3,
                   ig_steps=50, dls_baselines=10, side_alphas=_EXIAA_ALPHAS, imagenet_alphas=_EXIAA_ALPHAS,
                   models={"resnet18": "imagenet-resnet18", "vit": "imagenet-vit-b16"}, grid_data="imagenet-val",
                   n_classes=500, imagenet_model="imagenet-resnet18",
                   imagenet_top_ks=_EXIAA_TOP_KS, imagenet_pool=1000, imagenet_source="full"),
}
# ----------------------------------------------------------------------- 07 speech and text
# speech_data: "embedded" (the 300 shipped v0.01 clips, speaker split) or "v002-testing" (the
# full v0.02 testing list, 2.4 GB download); speech_model / text_model: model registry names;
# text_source: Sentence Polarity "embedded" or "download"; n_clips / n_sentences: held-out inputs
# attacked for appendix C.4 (None: all); max_pairs: pairs tested for Table 6; steps: PGD
# iterations (20 as in the paper); grid_cells: (frequency bands, time slots) of the spectrogram
# grid; k_speech / k_text: segments (cells / tokens) kept; n_more_words: clips of Fig. 8;
# n_more_sentences: held-out sentences per label of Fig. 9.
_SPEECH_TEXT = {"speech_data": "embedded", "speech_model": "speech-lenet", "text_source": "embedded",
                "text_model": "rt-polarity-textcnn", "n_clips": None, "n_sentences": None, "max_pairs": 2000,
                "steps": 20, "grid_cells": (8, 10), "k_speech": 10, "k_text": 3, "n_more_words": 4,
                "n_more_sentences": 2}
PAGE_SIZES["07_speech_text"] = {
    "smoke": _with(_SPEECH_TEXT, n_clips=8, n_sentences=16, steps=5, n_more_words=2, n_more_sentences=1),
    "default": _SPEECH_TEXT,
    "paper": _with(_SPEECH_TEXT, speech_data="v002-testing", speech_model="speech-lenet-v002",
                   text_source="download"),
}
# ----------------------------------------------------------------------- 08 object detection
# detector: registry name (the scenes detector trained here; paper: a torchvision COCO detector);
# data: "scenes" (held-out CIFAR-10 objects on photograph crops, axlib.data.scenes) or "coco-val2017";
# n_scenes: scenes (images) whose detections are explained; k, a, steps: AXAI's top segments, tail
# share (%) and PGD iterations; segmentation: QuickShift's parameters (about 100 segments on a
# 128x128 scene, so a 24-40 pixel object spans several; ImageNet's LIME defaults on COCO);
# random_draws: random K-segment draws per detection (the null); n_figure: scenes in Fig. 19's
# counterpart; n_map_scenes: held-out scenes the detector's mAP@0.5 is re-measured on; download: fetch
# (and verify) the paper profile's COCO archives and detector weights when absent; min_score: the
# detections explained (the scenes detector keeps 0.3 and up itself; torchvision's from 0.05);
# per_batch: detections attacked together (image copies in one batch). Fixed
# before the detector was trained (k = 10 as AXAI's E.4; the paper states none for E.2).
_DETECTION_DEFAULT = {"detector": "scenes-centernet", "data": "scenes", "n_scenes": 100, "k": 10, "a": 15.0,
                      "steps": 20, "segmentation": {"kernel_size": 3, "max_dist": 6, "ratio": 0.5},
                      "random_draws": 20, "n_figure": 4, "n_map_scenes": 500, "download": False, "min_score": 0.3,
                      "per_batch": 16}
PAGE_SIZES["08_detection"] = {
    "smoke": _with(_DETECTION_DEFAULT, n_scenes=3, steps=3, random_draws=2, n_figure=2, n_map_scenes=16),
    "default": _DETECTION_DEFAULT,
    "paper": _with(_DETECTION_DEFAULT, detector="coco-fasterrcnn-resnet50-fpn-v2", data="coco-val2017",
                   n_scenes=500, segmentation={"kernel_size": 4, "max_dist": 200, "ratio": 0.2}, n_figure=6,
                   n_map_scenes=500, download=True, min_score=0.5, per_batch=4),
}
