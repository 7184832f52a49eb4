"""The robust-model study's grid (Nourelahi et al. 2022): models x attribution methods x images.

Every cell of the study is one attribution map scored by the four metrics. This module says
which models, which method settings per profile, which images, and runs the grid through
:mod:`axlib.companion.scaleout` (Dask, resumable Parquet shards). The analyses of the resulting table
(Mann-Whitney tests, rankings, correlations, figures) are in :mod:`axlib.papers.robust.analysis`.

- **Models**: the 9 canvas models, 3 architectures x 3 training algorithms
  (:data:`STUDY_MODELS`; cards in ``data/models/canvas64-*.json``); under the paper profile
  the paper's twelve ImageNet CNNs (:data:`IMAGENET_STUDY_MODELS`).
- **Images**: the CIFAR-10 localisation benchmark (:func:`benchmark`: the embedded 2,000-image
  test subset placed on 64x64 canvases, seed 0), or under the paper profile the paper's
  filtered ILSVRC2012 validation images (one box of at most half the image, drawn at random,
  decoded per shard). Its first half gives the study's images, its
  second half the held-out images of the hyperparameter search (the paper tunes on images
  outside ImageNet-CL). Within each half only images that *every* study model classifies
  correctly are used (:func:`cl_indices`): stricter than the paper's per-architecture CL
  sets, so every comparison is on the same images. Maps explain the true label.
- **Methods**: the 9 of :mod:`axlib.explain.methods`; CAM only where the architecture has
  global average pooling before its classifier (not AlexNet, as in the paper).
- **Settings**: method -> keywords, passed in (the page's ``method_settings`` and ``tuning_grid``
  sizes in :mod:`axlib.companion.sizes`: the paper's A1.1 defaults, :data:`PAPER_SETTINGS`, in
  ``paper``, fewer samples and iterations in ``default`` and ``smoke``, stated beside the
  paper's in notebook 05).
- **Shard task**: :func:`study_shard` (model name, method, image indices, settings) -> one row
  per image: the Pointing Game, insertion, deletion, WSL's IoU at each of the WSOL
  framework's 255 thresholds, WSL at the fixed threshold 0.2, the model's confidence in the
  label, and the method's wall time per image in the shard.
- **WSL** is MaxBoxAcc as the framework the paper cites defines it (:mod:`axlib.metrics.wsol`):
  :func:`run_study` picks, for each (model, method, configuration), the one threshold that
  maximises the share of correct boxes over its images, and reports each image's correctness
  (``wsl``) and IoU (``wsl_iou``) there, so that the mean of ``wsl`` over a model and method is
  its MaxBoxAcc. CAM's fixed-threshold rule stays beside it as ``wsl_fixed`` / ``wsl_fixed_iou``
  (threshold 0.2, :func:`axlib.metrics.localisation.wsl`).
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from axlib._util.checks import check_bool, check_device, check_int, torch_threads
from axlib.companion import scaleout
from axlib.models import registry as _registry
from axlib.models.registry import CANVAS_ALGORITHMS as ALGORITHMS
from axlib.models.registry import CANVAS_ARCHITECTURES
from axlib.models.registry import canvas_model_name as model_name
from axlib.papers.robust import paper

__all__ = ["ARCHITECTURES", "ALGORITHMS", "STUDY_MODELS", "IMAGENET_STUDY_MODELS", "MODEL_ROLES", "STUDY_DATA",
           "model_name", "PAPER_SETTINGS", "model_label", "applicable_methods", "benchmark", "class_names",
           "cl_indices", "subset_text", "IMAGENET_PGD", "model_cards", "weights_sha256", "model_macs", "study_shard", "study_shards",
           "run_study", "with_max_box_accuracy", "tuning_shards", "best_settings", "example_maps", "METRICS"]

ARCHITECTURES = tuple(CANVAS_ARCHITECTURES)
PAPER_NAMES = {"alexnet": "AlexNet", "resnet": "ResNet", "googlenet": "GoogLeNet", "resnet50": "ResNet-50",
               "densenet161": "DenseNet-161", "mobilenetv2": "MobileNet-v2"}
METRICS = ("pointing_game", "wsl", "insertion", "deletion")


STUDY_MODELS: dict[str, tuple[str, str]] = {
    model_name(a, g): (a, g) for a in ARCHITECTURES for g in ALGORITHMS}
"""The canvas models (default profile): name -> (architecture, algorithm), architectures outer,
algorithms inner."""

IMAGENET_STUDY_MODELS: dict[str, tuple[str, str]] = {
    "imagenet-alexnet": ("alexnet", "vanilla"), "imagenet-alexnet-robust": ("alexnet", "robust"),
    "imagenet-googlenet": ("googlenet", "vanilla"), "imagenet-googlenet-robust": ("googlenet", "robust"),
    "imagenet-resnet50": ("resnet50", "vanilla"), "imagenet-resnet50-robust": ("resnet50", "robust"),
    "imagenet-resnet50-advprop-pgd1": ("resnet50", "advprop"),
    "imagenet-resnet50-advprop-pgd5": ("resnet50", "advprop-pgd5"),
    "imagenet-densenet161": ("densenet161", "vanilla"), "imagenet-densenet161-robust": ("densenet161", "robust"),
    "imagenet-mobilenetv2-tv": ("mobilenetv2", "vanilla"), "imagenet-mobilenetv2-robust": ("mobilenetv2", "robust")}
"""The paper's 12 ImageNet CNNs (its Table 1): name -> (architecture, algorithm). Its PGD-1
AdvProp ResNet-50 plays the "advprop" role (as :data:`analysis.PAPER_A4_NAMES` maps ours); the
PGD-5 one is kept apart. Eight are downloaded (:mod:`axlib.models.pretrained`); four have no
public checkpoint (robust AlexNet and GoogLeNet, both AdvProp ResNet-50s) and are trained by
their recipes (:mod:`axlib.models.registry`, ``axlib train NAME``)."""

MODEL_ROLES: dict[str, tuple[str, str]] = STUDY_MODELS | IMAGENET_STUDY_MODELS
"""Every model the study knows: name -> (architecture, algorithm)."""


def _role(name: str) -> tuple[str, str]:
    if name not in MODEL_ROLES:
        raise ValueError(f"name must be one of {tuple(MODEL_ROLES)}, got {name!r}")
    return MODEL_ROLES[name]


def model_label(name: str) -> str:
    """The paper's way of naming a model: "ResNet", "ResNet-R" (robust), "ResNet-AdvProp"."""
    arch, algo = _role(name)
    return PAPER_NAMES[arch] + {"vanilla": "", "robust": "-R", "advprop": "-AdvProp",
                                "advprop-pgd5": "-AdvProp (PGD-5)"}[algo]


# --------------------------------------------------------------------------- settings
PAPER_SETTINGS = paper.value(paper.DEFAULT_SETTINGS)
"""The paper's default hyperparameters (appendix A1.1, :data:`axlib.papers.robust.paper.DEFAULT_SETTINGS`),
before its per-model tuning: method -> keywords of :func:`axlib.explain.methods.attribute`.
A profile's settings and tuning grid are the page's sizes ``method_settings`` and ``tuning_grid``
(:mod:`axlib.companion.sizes`, page 05), passed to :func:`tuning_shards` and :func:`best_settings`."""


def applicable_methods(name: str) -> tuple[str, ...]:
    """The methods run on model ``name``: all 9, less CAM for AlexNet (no global average pooling
    before its classifier) and MobileNet-v2, as in the paper ("for MobileNet and AlexNet CNNs, we
    only run 8 methods as CAM is not applicable to these GAP-less architectures"; torchvision's
    MobileNet-v2 pools globally before a dropout and its linear layer, so CAM would run on it,
    but the grid is kept the paper's)."""
    from axlib.explain.methods import METHODS
    return tuple(m for m in METHODS if not (m == "cam" and _role(name)[0] in ("alexnet", "mobilenetv2")))


# --------------------------------------------------------------------------- images
STUDY_DATA = {"canvas64": 64, "imagenet-val": 224}
"""The study's image sets -> their side in pixels: the CIFAR-10 canvases (default) and the
paper's filtered ILSVRC2012 validation images (paper profile, a local copy)."""


@functools.lru_cache(maxsize=2)
def benchmark(seed: int = 0, data: str = "canvas64", n: int | None = None):
    """The study's image set.

    ``"canvas64"``: the CIFAR-10 localisation benchmark, the embedded 2,000-image test subset
    on 64x64 smooth-noise canvases (:func:`axlib.data.boxes.cifar_localisation`, ``seed``; a
    :class:`~axlib.data.boxes.LocalisationSet`, x (2000, 3, 64, 64) in [0, 1]; n must be None).
    ``"imagenet-val"``: the paper's ILSVRC2012 validation images with one box of at most half
    the image (:class:`~axlib.data.boxes.ImagenetBoxes` over ``$AXLIB_IMAGENET``'s copy, ``n``
    of them drawn with ``seed``, decoded on demand by ``subset``).
    Cached per process (shards of one worker share it): do not modify it in place.
    Raises ValueError for another data set or n given for the canvases.
    """
    if data not in STUDY_DATA:
        raise ValueError(f"data must be one of {tuple(STUDY_DATA)}, got {data!r}")
    if data == "imagenet-val":
        from axlib.data.boxes import ImagenetBoxes
        from axlib.data.imagenet_val import imagenet_val_dirs
        return ImagenetBoxes(*imagenet_val_dirs(), n=n, seed=seed)
    if n is not None:
        raise ValueError(f"n must be None for the canvases (all 2,000 embedded images), got {n!r}")
    from axlib.data.boxes import cifar_localisation
    from axlib.data.cifar import cifar10_test
    x, y, _ = cifar10_test()
    return cifar_localisation(x, y, seed=seed, ids=[f"cifar10-test-subset-{i}" for i in range(len(y))])


def class_names(data: str) -> tuple[str, ...]:
    """The class names by label of the image set ``data`` (CIFAR-10's ten, or ImageNet's 1,000 short names)."""
    if data not in STUDY_DATA:
        raise ValueError(f"data must be one of {tuple(STUDY_DATA)}, got {data!r}")
    if data == "canvas64":
        from axlib.data.cifar import CIFAR10_CLASSES
        return CIFAR10_CLASSES
    from axlib.data.imagenet import IMAGENET_CLASSES
    return IMAGENET_CLASSES


def cl_indices(models: Sequence, data, part: str, n: int | None = None, *, chunk: int = 256,
               correct_only: bool = True) -> list[int]:
    """Indices into ``data`` of the images every model of ``models`` classifies correctly.

    part: "study" (the first half of the set) or "tuning" (the second half: held out from the
    study). n: the first n such images (None: all). The images are classified ``chunk`` at a
    time (a set decoded on demand is never loaded whole). correct_only False: every image of
    the half, classified or not (the paper's "ImageNet" runs beside "ImageNet-CL": Figs. A5, A6,
    A8, A14). Raises ValueError for a bad part, or if fewer than n images qualify.
    """
    from axlib.data.boxes import correctly_classified
    half = len(data) // 2
    if part not in ("study", "tuning"):
        raise ValueError(f"part must be 'study' or 'tuning', got {part!r}")
    check_bool("correct_only", correct_only)
    span = range(0, half) if part == "study" else range(half, len(data))
    chunk = check_int("chunk", chunk, low=1)
    if correct_only:
        idx = []
        for start in range(span.start, span.stop, chunk):
            part_set = data.subset(slice(start, min(start + chunk, span.stop)))
            ok = correctly_classified(list(models), part_set.x, part_set.y)
            idx += [start + int(i) for i in torch.nonzero(ok).flatten()]
    else:
        idx = list(span)
    if n is not None:
        n = check_int("n", n, low=1)
        if len(idx) < n:
            raise ValueError(f"n = {n} but only {len(idx)} images of the {part} half are classified "
                             f"correctly by all {len(models)} models")
        idx = idx[:n]
    return idx


def subset_text(data, ok_study, ok_tune, idx_study, idx_tune, n_models: int, correct_only: bool) -> str:
    """One sentence on the images the page uses: how many of each half qualify (every model
    right, or all when ``correct_only`` is False) and how many are used."""
    half = len(data) // 2
    which = f"are classified correctly by all {n_models} models" if correct_only else "qualify (no correctness filter)"
    return (f"{len(ok_study)} of {half} study-half images and {len(ok_tune)} of {len(data) - half} tuning-half "
            f"images {which}; we use {len(idx_study)} and {len(idx_tune)}.")


# --------------------------------------------------------------------------- the shard task
def weights_sha256(model: str) -> str:
    """sha256 of the checkpoint of ``model`` (shipped, or a pretrained one on this machine,
    verified): part of every shard's params, so that results of retrained weights are never
    mistaken for finished shards."""
    from axlib.models import pretrained
    from axlib.models.registry import card, checkpoint_path

    if model in pretrained.SOURCES:
        digest = card(model)["sha256"]
        if digest is None:
            raise FileNotFoundError(f"no checkpoint for model {model!r} on this machine; "
                                    "`axlib doctor --profile paper` says how to get it")
        return digest
    path = checkpoint_path(model)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint for model {model!r} at {path}; train it with `axlib train {model}`")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def model_macs(model: str, size: int = 64) -> int:
    """Multiply-accumulate operations of one forward pass of ``model`` on a (1, 3, size, size)
    image (torch.utils.flop_counter: FLOPs / 2), as the paper's Fig. 5 reports MACs; ``size``:
    the study set's side (:data:`STUDY_DATA`)."""
    from torch.utils.flop_counter import FlopCounterMode

    from axlib.models import load
    net = load(model)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        net(torch.zeros(1, 3, size, size))
    return int(counter.get_total_flops() // 2)


IMAGENET_PGD = _registry.IMAGENET_PGD
"""Table 1's L2 PGD on ImageNet (the paper's footnote 2: eps 3, 7 steps of 0.5), as the cards of
the ImageNet models trained here by their recipes measure it."""


def model_cards(models: Sequence[str], data, *, n: int = 1000, batch_size: int = 32) -> dict[str, dict]:
    """Table 1's fields of every model: name -> card.

    A shipped (canvas) model's card is the one written when it was trained (clean and L2 PGD-7
    accuracy, confidence on correct canvases, recipe, training time). An ImageNet model's fields
    are measured here, the same way for all, on the first ``n`` images of ``data``'s tuning half
    (the second half, never in the study's images): top-1 accuracy, L2 PGD accuracy at
    :data:`IMAGENET_PGD` on the true labels, and the softmax confidence of the true class on
    the correctly classified images (mean, std, n), with its parameter count; the rest is its
    card: for a pretrained model ``recipe`` and ``train_wall_seconds`` None (its upstream
    trained it; the upstream's own top-1 kept as ``reported_top1``), for one trained here by its
    recipe the training card. Raises ValueError when the tuning half has fewer than n images.
    """
    from axlib.models import card, load, pretrained, registry
    from axlib.models.adversarial import robustness

    n = check_int("n", n, low=1)
    cards, x, y = {}, None, None
    for model in models:
        if model not in pretrained.SOURCES and registry._spec(model).dataset != "imagenet-train":
            cards[model] = card(model)
            continue
        if x is None:
            half = len(data) // 2
            if len(data) - half < n:
                raise ValueError(f"n = {n} but the tuning half holds {len(data) - half} images")
            measured = data.subset(slice(half, half + n))
            x, y = measured.x, measured.y
        net = load(model)
        with torch.no_grad():
            prob = torch.cat([net(x[i:i + batch_size]).softmax(1) for i in range(0, len(x), batch_size)])
        correct = prob.argmax(1) == y
        confidence = prob[correct].gather(1, y[correct, None])[:, 0]
        source_card = card(model)
        cards[model] = dict(source_card, test_accuracy=float(correct.float().mean()),
                            test_set=f"the first {n} images of the study set's tuning half",
                            reported_top1=source_card["test_accuracy"] if model in pretrained.SOURCES else None,
                            robustness=robustness(net, x, y, norm="l2", batch_size=batch_size, **IMAGENET_PGD),
                            confidence_correct={"mean": float(confidence.mean()), "std": float(confidence.std()),
                                                "n": int(correct.sum())})
    return cards


@scaleout.task("robust.study_shard.wsol")   # ".wsol": rows carry the framework's IoUs since stop 25
def study_shard(model: str, method: str, indices: Sequence[int], settings: dict,
                seed: int = 0, config: str = "", weights: str | None = None,
                step: int | None = None, threads: int = 1, device: str = "cpu",
                data: str = "canvas64", n_pool: int | None = None) -> pd.DataFrame:
    """Explain and score the benchmark images ``indices`` for one model and one method.

    model: a registry name (:data:`MODEL_ROLES`, or any model for the set's image size);
    method: one of :data:`axlib.explain.methods.METHODS`; settings: its keyword arguments;
    data, seed, n_pool: the image set, ``benchmark(seed, data, n_pool)``; config: a label for
    the settings (the tuning grid's column); weights:
    the checkpoint's sha256 the shard was planned for (None: not checked); a different
    checkpoint raises ValueError instead of mixing two models' results; threads: torch threads
    while the shard runs (restored afterwards): 1, so that worker processes sharing the cores
    do not oversubscribe them; device: where the attribution maps are computed (the scores are
    always computed on the CPU), "cpu", "cuda[:N]", or "auto" (the worker's own GPU when it sees
    one, else its CPU: on a cluster of GPU workers, each started with ``CUDA_VISIBLE_DEVICES``
    naming its GPU, every shard uses its worker's GPU). Only the CPU path is tested (no GPU).
    Returns one row per image: model, method, config, image (id), index, label,
    confidence (softmax probability of the label on the clean image), pointing_game,
    wsl_ious (255 floats: the IoU of the WSOL framework's box at each of its thresholds,
    :func:`axlib.metrics.wsol.wsol_ious`), wsl_fixed (IoU > 0.5 at the fixed threshold 0.2),
    wsl_fixed_iou, insertion, deletion (AUCs from a zero baseline; ``step`` pixels per step,
    None: ``ceil(H W / 112)``, the paper's 112 steps) and ms_per_image (the method's wall time
    in this shard / images, the only column that is not deterministic). :func:`run_study` turns
    wsl_ious into MaxBoxAcc's ``wsl`` and ``wsl_iou``.
    """
    from axlib.explain.methods import attribute
    from axlib.metrics.localisation import localisation_scores
    from axlib.metrics.wsol import wsol_ious
    from axlib.models import load

    if weights is not None and weights != weights_sha256(model):
        raise ValueError(f"the checkpoint of {model!r} changed since the shard was planned "
                         f"(expected sha256 {weights[:12]}...): plan the shards again")
    threads = check_int("threads", threads, low=1)
    device = shard_device(device)
    with torch_threads(threads):
        net = load(model, device=device)
        data = benchmark(seed, data, n_pool).subset(list(indices))
        x, y = data.x.to(device), data.y.to(device)
        with torch.no_grad():
            confidence = net(x).softmax(1).gather(1, y[:, None])[:, 0].cpu()
        t0 = time.perf_counter()
        maps = attribute(method, net, x, y, **settings).cpu()      # the attribution on the device
        seconds = time.perf_counter() - t0
        net = net.cpu()                                            # the scores on the CPU, as always
        scores = localisation_scores(net, data.x, maps, data.y, data.boxes, step=step)
        ious = wsol_ious(maps, data.boxes)
    return pd.DataFrame({
        "model": model, "method": method, "config": config, "image": list(data.ids),
        "index": list(indices), "label": data.y.numpy(), "confidence": confidence.double().numpy(),
        "pointing_game": scores["pointing_game"].numpy().astype(float), "wsl_ious": list(ious),
        "wsl_fixed": scores["wsl"].numpy().astype(float), "wsl_fixed_iou": scores["wsl_iou"].numpy(),
        "insertion": scores["insertion"].numpy(), "deletion": scores["deletion"].numpy(),
        "ms_per_image": 1000.0 * seconds / len(indices),
    })


def _device_param(device: str) -> dict:
    """The shard parameter for ``device``; a bad name is refused when planning, not on a worker
    (the planning machine need not have the workers' GPUs)."""
    if not (isinstance(device, str) and re.fullmatch(r"cpu|auto|cuda(:\d+)?", device)):
        raise ValueError(f"device must be 'cpu', 'auto', 'cuda' or 'cuda:N', got {device!r}")
    return {} if device == "cpu" else {"device": device}


def shard_device(device: str) -> torch.device:
    """The device a shard computes on: ``"auto"`` is CUDA when this process (the worker) sees a
    GPU, else the CPU; anything else as :func:`axlib._util.checks.check_device` accepts."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return check_device(device)


def _data_param(data: str, n_pool: int | None) -> dict:
    """The shard parameters naming the image set; none for the canvases (so canvas shards
    computed before other sets existed stay valid). A bad name is refused when planning."""
    if data not in STUDY_DATA:
        raise ValueError(f"data must be one of {tuple(STUDY_DATA)}, got {data!r}")
    if data == "canvas64":
        if n_pool is not None:
            raise ValueError(f"n_pool must be None for the canvases, got {n_pool!r}")
        return {}
    return {"data": data, "n_pool": None if n_pool is None else check_int("n_pool", n_pool, low=2)}


def _chunks(indices: Sequence[int], size: int) -> list[list[int]]:
    size = check_int("shard_size", size, low=1)
    indices = [int(i) for i in indices]
    if not indices:
        raise ValueError("indices must name at least one image")
    return [indices[i:i + size] for i in range(0, len(indices), size)]


def study_shards(models: Sequence[str], indices: Sequence[int], settings: dict[str, dict], *,
                 methods: Sequence[str] | None = None, shard_size: int = 8,
                 seed: int = 0, step: int | None = None, device: str = "cpu",
                 data: str = "canvas64", n_pool: int | None = None) -> list[scaleout.Shard]:
    """The study's grid as shards: models x methods (None: each model's
    :func:`applicable_methods`) x image chunks of ``shard_size``. settings: method -> keywords
    (e.g. a profile's ``method_settings``, or per-model tuned ones as ``{model: {method: ...}}``);
    seed, step, device, data, n_pool: as :func:`study_shard` (a shard's device and image set
    enter its key unless they are the CPU and the canvases, so shards computed before those
    existed stay valid)."""
    where = _device_param(device) | _data_param(data, n_pool)
    shards = []
    for model in models:
        sha = weights_sha256(model)
        for method in methods or applicable_methods(model):
            kw = (settings[model] if model in settings else settings).get(method, {})
            for chunk in _chunks(indices, shard_size):
                shards.append(scaleout.Shard(
                    f"{model}__{method}__{chunk[0]}-{chunk[-1]}",
                    {"model": model, "method": method, "indices": chunk, "settings": kw, "seed": seed,
                     "weights": sha, "step": step} | where))
    return shards


def run_study(shards: Sequence[scaleout.Shard], out_dir, **run_kw) -> pd.DataFrame:
    """Run shards of :func:`study_shard` through :func:`axlib.companion.scaleout.run` (keywords such as
    ``scheduler``, ``n_workers``, ``progress`` go there; finished shards are reused) and score
    WSL as MaxBoxAcc (:func:`with_max_box_accuracy`)."""
    return with_max_box_accuracy(scaleout.run(study_shard, shards, Path(out_dir), **run_kw))


def with_max_box_accuracy(table: pd.DataFrame) -> pd.DataFrame:
    """The study table with WSL as the framework's MaxBoxAcc, per (model, method, config).

    For each group the threshold is the one that maximises the share of correct boxes over
    the group's images (:func:`axlib.metrics.wsol.max_box_accuracy`: chosen on the images it
    scores, as in the framework). Adds ``wsl`` (1.0 where the image's box is correct there,
    else 0.0: the group's mean is its MaxBoxAcc), ``wsl_iou`` (the IoU there) and
    ``wsl_threshold`` (the framework's ``tau``); drops the per-threshold ``wsl_ious``. Returns
    a new table in the same row order.
    """
    from axlib.metrics.wsol import max_box_accuracy

    out = table.drop(columns="wsl_ious")
    for column in ("wsl", "wsl_iou", "wsl_threshold"):
        out[column] = float("nan")
    for _, rows in table.groupby(["model", "method", "config"], sort=False):
        best = max_box_accuracy(np.stack(rows["wsl_ious"].to_numpy()))
        out.loc[rows.index, "wsl"] = best["correct"].astype(float)
        out.loc[rows.index, "wsl_iou"] = best["iou"]
        out.loc[rows.index, "wsl_threshold"] = best["threshold"]
    return out


# --------------------------------------------------------------------------- hyperparameter search
def tuning_shards(models: Sequence[str], indices: Sequence[int], settings: dict[str, dict],
                  grid: dict[str, list[dict]], *, shard_size: int = 8, seed: int = 0,
                  step: int | None = None, device: str = "cpu", data: str = "canvas64",
                  n_pool: int | None = None) -> list[scaleout.Shard]:
    """Appendix A1's grid search as shards: models x tuned methods x configurations x image
    chunks, on held-out ``indices``.

    settings: method -> keywords (a profile's ``method_settings``); grid: method -> the
    configurations tried (a profile's ``tuning_grid``), each a dict of keywords that overrides
    that method's settings; seed, step, device, data, n_pool: as :func:`study_shards`. Raises
    ValueError for a method of ``grid`` that ``settings`` lacks.
    """
    missing = sorted(set(grid) - set(settings))
    if missing:
        raise ValueError(f"grid tunes methods {missing} that settings has no keywords for")
    where = _device_param(device) | _data_param(data, n_pool)
    shards = []
    for model in models:
        sha = weights_sha256(model)
        for method, configs in grid.items():
            for override in configs:
                kw = dict(settings[method], **override)
                label = json.dumps(override, sort_keys=True)
                for chunk in _chunks(indices, shard_size):
                    shards.append(scaleout.Shard(
                        f"tune__{model}__{method}__{label}__{chunk[0]}",
                        {"model": model, "method": method, "indices": chunk, "settings": kw,
                         "seed": seed, "config": label, "weights": sha, "step": step} | where))
    return shards


def best_settings(tuning: pd.DataFrame, settings: dict[str, dict],
                  models: Sequence[str] = ()) -> tuple[dict[str, dict], pd.DataFrame]:
    """The best configuration per (model, method) of a tuning table (:func:`tuning_shards`).

    Criterion (the paper says only "best performance"): the largest
    ``pointing_game + wsl + insertion - deletion``, averaged over the held-out images; ties go
    to the first configuration of the grid. settings: method -> keywords the search started
    from (a profile's ``method_settings``, as given to :func:`tuning_shards`). Returns
    ({model: {method: settings}} for every method, the tuned ones replaced; also for each of
    ``models`` not in the table, with ``settings`` untouched; and a table model x method with
    the chosen configuration and its score). ``settings`` itself is not modified.
    """
    mean = tuning.groupby(["model", "method", "config"], sort=False)[list(METRICS)].mean()
    mean["score"] = mean["pointing_game"] + mean["wsl"] + mean["insertion"] - mean["deletion"]
    chosen = mean.reset_index().sort_values("score", ascending=False, kind="stable") \
        .groupby(["model", "method"], sort=False).head(1).set_index(["model", "method"])
    tuned = {m: {k: dict(kw) for k, kw in settings.items()} for m in models}
    for model in tuning["model"].unique():
        tuned[model] = {m: dict(kw) for m, kw in settings.items()}
        for method in tuning.loc[tuning["model"] == model, "method"].unique():
            tuned[model][method].update(json.loads(chosen.loc[(model, method), "config"]))
    return tuned, chosen[["config", "score"]].sort_index()


# --------------------------------------------------------------------------- Fig. 1
def example_maps(data, settings: dict[str, dict], models: Sequence[str] | None = None) -> tuple[torch.Tensor, list[str]]:
    """Every applicable method's map of the first image of ``data`` for each of ``models``
    (None: the vanilla, AdvProp and robust ResNet (ResNet-50 on ImageNet) among ``settings``'
    models, as the paper's Fig. 1).

    data: a :class:`~axlib.data.boxes.LocalisationSet`; settings: {model: {method: keywords}}
    (:func:`best_settings`). Returns (maps (M, H, W), one title per map: "<model label>\\n<method>").
    """
    from axlib.explain.methods import attribute
    from axlib.models import load

    if len(data) < 1:
        raise ValueError("data must hold at least one image")
    one = data.subset([0])
    if models is None:
        roles = [(a, g) for a in ("resnet", "resnet50") for g in ("vanilla", "advprop", "robust")]
        models = [m for role in roles for m in settings if MODEL_ROLES.get(m) == role]
    maps, titles = [], []
    for m in models:
        net = load(m)
        for method in applicable_methods(m):
            maps.append(attribute(method, net, one.x, one.y, **settings[m][method])[0])
            titles.append(f"{model_label(m)}\n{method}")
    return torch.stack(maps), titles
