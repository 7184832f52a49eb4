"""The experiments of the EXIAA page (notebook 06): which originals, pools, models and attack
images each grid uses, the grids themselves (through :func:`axlib.papers.exiaa.grid.run_grid`,
resumable shards under one work folder), the pictures, and the records of every claim (the
estimate from :mod:`axlib.papers.exiaa.tables`, with the original image as its unit; the
verdict from the claim's rule declared in :mod:`axlib.papers.exiaa.claims`).

* :func:`grid_setup`: originals, pool, the models and their probabilities, on CIFAR-10
  (:func:`cifar_setup`, the default) or the ImageNet validation split as the paper
  (:func:`imagenet_val_setup`, a local copy);
* :func:`main_grid` (Fig. 2-4, Tables 1, B.1-B.3), :func:`class_rank_grid` (Fig. 5),
  :func:`attack_rank_grid` (Fig. A.1; the paper runs these two on CIFAR-10);
* :func:`imagenet_setup` and :func:`imagenet_grid` (MobileNetV2 on ImageNet sample images);
* :func:`pictures`: one attack per model;
* ``*_records``: the claims each part records, as keyword dicts for ``Recorder.judge``
  (claim, estimate, note, unit; ``accuracy_records`` and ``imagenet_record``: reference
  numbers, for ``Recorder.record``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from axlib._util.checks import check_int
from axlib.companion import scaleout
from axlib.companion.results import REFERENCE
from axlib.companion.rules import Estimate
from axlib.papers.exiaa import claims as _claims
from axlib.papers.exiaa import tables as _tables
from axlib.papers.exiaa.attack import probabilities, rank_pool, running_up_class
from axlib.papers.exiaa.grid import image_set, load_images, run_grid

__all__ = ["METHODS", "work_dir", "GRID_DATA", "GridSetup", "grid_setup", "cifar_setup", "imagenet_val_setup",
           "deeplift_completeness", "model_cards", "main_grid", "class_rank_grid", "attack_rank_grid",
           "ImagenetSetup", "imagenet_setup", "imagenet_grid", "pictures", "accuracy_records", "grid_records",
           "magnitude_records", "running_up_records", "top_ranks_record", "imagenet_record"]

METHODS = ("saliency", "integrated_gradients", "deeplift_shap")
"""The paper's explanation methods (keys of ``axlib.explain.baselines.PIXEL_METHODS``)."""
CIFAR_LOADER = "axlib.data.cifar:cifar10_test"
IMAGENET_LOADER = "axlib.data.imagenet:imagenet_samples"
IMAGENET_KEY = "mobilenetv2"
"""The ``model`` column of the ImageNet grid."""


def work_dir(path=None) -> Path:
    """The folder grid shards are written to and resumed from: ``path``, or, when None,
    ``exiaa`` in axlib's cache folder (``$AXLIB_DATA`` or ``~/.cache/axlib``)."""
    return scaleout.work_dir("exiaa", path)


# --------------------------------------------------------------------------- the grids' data
GRID_DATA = {"cifar10": "CIFAR-10", "imagenet-val": "ImageNet validation"}
"""The data sets a grid can run on -> how the page names them: the embedded CIFAR-10 test subset
(the default) or the ILSVRC2012 validation split of a local copy (the paper's, section 4)."""
VAL_LOADER = "axlib.data.imagenet_val:validation_images"


@dataclass
class GridSetup:
    """What every grid on one data set shares.

    data: a key of :data:`GRID_DATA`; loader: the :func:`~axlib.papers.exiaa.grid.image_set`
    loader of its images; orig_positions (n,) and pool_positions (P,): positions in the
    loader's images of the originals and of the pool (the attack images' candidates);
    x_orig (n, 3, H, W) the originals, y_orig (n,) and pool_y (P,) labels; classes: the class
    names; noise_mean, noise_std (3,): the pool's per-channel pixel mean and std (the Gaussian
    baseline's); ref_idx: positions in the pool of the DeepLIFT SHAP references; explain:
    pixel_attribution keywords per method (tensors, for pictures); grid_explain: the same as
    run_grid takes them (references as an image_set spec); names: our model key -> registry
    name; models, p_orig (n, K), p_pool (P, K): per model key.
    """

    data: str
    loader: str
    orig_positions: torch.Tensor
    pool_positions: torch.Tensor
    x_orig: torch.Tensor
    y_orig: torch.Tensor
    pool_y: torch.Tensor
    classes: tuple
    noise_mean: torch.Tensor
    noise_std: torch.Tensor
    ref_idx: torch.Tensor
    explain: dict
    grid_explain: dict
    names: dict
    models: dict
    p_orig: dict
    p_pool: dict
    device: str = "cpu"

    @property
    def n(self) -> int:
        """The number of originals."""
        return len(self.orig_positions)

    def originals(self, idx) -> dict:
        """An image_set spec of originals ``idx`` (positions in ``x_orig``)."""
        return image_set(self.loader, self.orig_positions[torch.as_tensor(idx, dtype=torch.long)])

    def pool(self, idx) -> dict:
        """An image_set spec of pool images ``idx`` (positions in the pool)."""
        return image_set(self.loader, self.pool_positions[torch.as_tensor(idx, dtype=torch.long)])


def _explain(ig_steps: int, refs: torch.Tensor, refs_spec: dict) -> tuple[dict, dict]:
    """The methods' keywords as tensors (for pictures) and as run_grid takes them (specs)."""
    explain = {"saliency": {}, "integrated_gradients": {"n_steps": ig_steps}, "deeplift_shap": {"baselines": refs}}
    return explain, dict(explain, deeplift_shap={"baselines": refs_spec})


def cifar_setup(models: dict, *, n_originals: int, ig_steps: int, dls_baselines: int, seed: int = 0,
                device: str = "cpu") -> GridSetup:
    """Originals, pool and models of the CIFAR-10 grids.

    models: our key -> registry name (``{"resnet18": "cifar10-resnet18", "vit": "cifar10-vit"}``);
    n_originals: the first images of the embedded CIFAR-10 test subset to attack (the rest is
    the pool); ig_steps: Integrated Gradients path points; dls_baselines: DeepLIFT SHAP
    reference images, drawn from the pool with a generator seeded by ``seed``.
    Raises ValueError for counts < 1 or more originals than the data set leaves a pool for.
    """
    from axlib import models as _models
    from axlib.data.cifar import cifar10_test

    n = check_int("n_originals", n_originals, low=1)
    check_int("ig_steps", ig_steps, low=1)
    check_int("dls_baselines", dls_baselines, low=1)
    x_all, y_all, classes = cifar10_test()
    if n >= len(x_all):
        raise ValueError(f"n_originals must be below {len(x_all)} (the pool needs images), got {n}")
    x_orig, y_orig = x_all[:n], y_all[:n]
    pool_x, pool_y = x_all[n:], y_all[n:]
    ref_idx = torch.randperm(len(pool_x), generator=torch.Generator().manual_seed(seed))[:dls_baselines]
    explain, grid_explain = _explain(ig_steps, pool_x[ref_idx], image_set(CIFAR_LOADER, n + ref_idx))
    nets, p_orig, p_pool = {}, {}, {}
    for key, name in models.items():
        nets[key] = _models.load(name, device=device)
        p_orig[key] = probabilities(nets[key], x_orig.to(device))
        p_pool[key] = probabilities(nets[key], pool_x.to(device))
    return GridSetup("cifar10", CIFAR_LOADER, torch.arange(n), torch.arange(n, len(x_all)), x_orig, y_orig, pool_y,
                     tuple(classes), pool_x.mean((0, 2, 3)), pool_x.std((0, 2, 3)), ref_idx, explain, grid_explain,
                     dict(models), nets, p_orig, p_pool, device)


def imagenet_val_setup(models: dict, *, n_originals: int, n_classes: int, ig_steps: int, dls_baselines: int,
                       seed: int = 0, device: str = "cpu", batch_size: int = 32) -> GridSetup:
    """The paper's ImageNet setting (section 4) on the validation split of a local copy
    (:func:`axlib.data.imagenet_val.validation_images`, ``$AXLIB_IMAGENET``).

    A random subset of ``n_classes`` classes is drawn (``numpy.random.default_rng(seed)``,
    among the classes the copy holds: all 1,000 in the official split; the paper: 500), and one
    random validation image of each of its first ``n_originals`` classes is an original. The
    pool is every other validation image of a class that is the running-up class of some
    original for some model (50 a class in the official split), so that each attack image is
    the pool image of its running-up class with the highest probability, as the paper picks
    them ("the 3 images from the running-up class with the highest classification score").
    The pool's probabilities and per-channel pixel statistics are computed ``batch_size``
    images at a time, so the pool is never in memory whole. ig_steps, dls_baselines: as
    :func:`cifar_setup` (the references drawn from the pool).
    Raises ValueError for counts out of range; DataUnavailableError without a local copy.
    """
    from axlib import models as _models
    from axlib.data.imagenet import IMAGENET_CLASSES
    from axlib.data.imagenet_val import validation_images

    split = validation_images()
    labels = split.labels.numpy()
    present = np.unique(labels)
    n = check_int("n_originals", n_originals, low=1)
    n_classes = check_int("n_classes", n_classes, low=n, high=len(present))
    check_int("ig_steps", ig_steps, low=1)
    check_int("dls_baselines", dls_baselines, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(present)[:n_classes]
    orig = torch.tensor([int(rng.choice(np.flatnonzero(labels == c))) for c in chosen[:n]])
    x_orig, y_orig = split[orig], split.labels[orig]
    nets, p_orig = {}, {}
    for key, name in models.items():
        nets[key] = _models.load(name, device=device)
        p_orig[key] = probabilities(nets[key], x_orig.to(device), batch_size=batch_size)
    runners = torch.cat([running_up_class(p)[1] for p in p_orig.values()]).unique().numpy()
    in_pool = np.isin(labels, runners)
    in_pool[orig.numpy()] = False
    pool = torch.from_numpy(np.flatnonzero(in_pool))
    if not len(pool):
        raise ValueError("the running-up classes have no validation image besides the originals")
    p_pool = {key: [] for key in nets}
    total, squares = torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
    for start in range(0, len(pool), batch_size):
        x = split[pool[start:start + batch_size]]
        total += x.double().sum((0, 2, 3))
        squares += x.double().square().sum((0, 2, 3))
        for key, net in nets.items():
            p_pool[key].append(probabilities(net, x.to(device), batch_size=batch_size))
    count = len(pool) * x_orig.shape[2] * x_orig.shape[3]
    mean = total / count
    std = ((squares - count * mean.square()) / max(count - 1, 1)).clamp_min(0).sqrt()
    ref_idx = torch.randperm(len(pool), generator=torch.Generator().manual_seed(seed))[:dls_baselines]
    explain, grid_explain = _explain(ig_steps, split[pool[ref_idx]], image_set(VAL_LOADER, pool[ref_idx]))
    return GridSetup("imagenet-val", VAL_LOADER, orig, pool, x_orig, y_orig, split.labels[pool], IMAGENET_CLASSES,
                     mean.float(), std.float(), ref_idx, explain, grid_explain, dict(models), nets, p_orig,
                     {key: torch.cat(parts) for key, parts in p_pool.items()}, device)


def grid_setup(models: dict, data: str, *, n_originals: int, ig_steps: int, dls_baselines: int,
               n_classes: int | None = None, seed: int = 0, device: str = "cpu") -> GridSetup:
    """:func:`cifar_setup` (``data="cifar10"``) or :func:`imagenet_val_setup` (``"imagenet-val"``,
    which needs ``n_classes``). Raises ValueError for another data set, or n_classes given for
    CIFAR-10 (it has no class subset)."""
    if data not in GRID_DATA:
        raise ValueError(f"data must be one of {tuple(GRID_DATA)}, got {data!r}")
    common = dict(n_originals=n_originals, ig_steps=ig_steps, dls_baselines=dls_baselines, seed=seed, device=device)
    if data == "cifar10":
        if n_classes is not None:
            raise ValueError(f"n_classes must be None for CIFAR-10 (its originals are the first images), got {n_classes!r}")
        return cifar_setup(models, **common)
    if n_classes is None:
        raise ValueError("n_classes must be given for imagenet-val (the paper: 500)")
    return imagenet_val_setup(models, n_classes=n_classes, **common)


def deeplift_completeness(setup: GridSetup) -> pd.DataFrame:
    """How far each model's DeepLIFT SHAP maps of the originals are from complete.

    Completeness: a map sums to the explained logit's change from the references, averaged
    over them (:func:`axlib.explain.baselines.completeness_error`; the page's references and
    the originals' predicted classes). One row per model: the median and the largest relative
    error over the originals and their number. CNNs are complete to float precision; the
    ViT is not (DeepLIFT has no rule for attention's products or LayerNorm).
    """
    from axlib.explain.baselines import completeness_error, pixel_attribution

    rows = []
    refs = setup.explain["deeplift_shap"]["baselines"]
    for key, net in setup.models.items():
        target = setup.p_orig[key].argmax(1)
        x = setup.x_orig.to(setup.device)
        attr = pixel_attribution(net, x, target, method="deeplift_shap", baselines=refs)
        error = completeness_error(net, x, attr, target, baselines=refs)
        rows.append({"model": setup.names[key], "median relative error": float(error.median()),
                     "largest relative error": float(error.max()), "originals": len(error)})
    return pd.DataFrame(rows).set_index("model")


def _card(name: str) -> tuple[dict, str]:
    """The card of model ``name`` and the set its test accuracy was measured on."""
    from axlib import models as _models

    card = _models.card(name)
    return card, card.get("accuracy_source", "the CIFAR-10 test split (JPEG copy), measured here")


def model_cards(setup: GridSetup) -> pd.DataFrame:
    """One row per model: registry name, parameters, epochs, test accuracy and where it comes
    from, training minutes (from its card; a pretrained model's upstream trained it: None) and
    its accuracy on the originals."""
    rows = []
    for key, name in setup.names.items():
        card, measured_on = _card(name)
        wall = card["train_wall_seconds"]
        rows.append({"model": name, "parameters": card["parameters"], "epochs": (card["recipe"] or {}).get("epochs"),
                     "test accuracy": card["test_accuracy"], "accuracy from": measured_on,
                     "train minutes": None if wall is None else round(wall / 60),
                     "accuracy on the originals": float((setup.p_orig[key].argmax(1) == setup.y_orig).float().mean())})
    return pd.DataFrame(rows)


def accuracy_records(setup: GridSetup) -> list[dict]:
    """``exiaa.model_accuracy.<key>``: each model's test accuracy (a reference number)."""
    out = []
    for key, name in setup.names.items():
        card, measured_on = _card(name)
        out.append(dict(claim=f"exiaa.model_accuracy.{key}", ours=card["test_accuracy"], verdict=REFERENCE,
                        unit=f"top-1 on {measured_on}",
                        note=f"{name}: {card['description']}; the paper reports no accuracy for its models"))
    return out


IMAGE_RANGES = 2
"""Image ranges per cell of the CIFAR-10 grids (:func:`_method_grids`): fig. 5's grid on the
default profile (10 originals x 9 classes, 10 cells, 4 methods) took 110 s serial, 87 s on two
local workers with one range (each worker explaining all 90 originals and attack images once
per method) and 60 s with two, on a 2-core CPU (Dec 2026)."""


def _method_grids(setup: GridSetup, model: str, attack_idx: torch.Tensor, attack_target, *, out_dir, alphas,
                  top_ks, seed: int, scheduler, baseline: bool = False, rank_column: str | None = None, ranks=(),
                  timings: dict | None = None) -> list[pd.DataFrame]:
    """:func:`~axlib.papers.exiaa.grid.run_grid` on model ``model`` (our key) for every method.

    attack_idx (m, r): pool positions of the r attack images of each of the first m originals;
    attack_target (m * r,): the class explained on each attack image; baseline: also the
    Gaussian baseline. rank_column: a column holding ``ranks[j]`` for the j-th attack image of
    an original (None: no column). timings: updated with {(model, method): seconds}.
    Returns one grid per method, in :data:`METHODS` order, with an ``original`` column (the
    original image each row attacks: the unit of the claims' estimates).
    Each grid's images are split into :data:`IMAGE_RANGES` shards per cell, whatever the
    scheduler (so the table is the same under every one): two workers then share a grid without
    both explaining every original and attack image (a worker caches those per range).
    """
    m, r = attack_idx.shape
    per_shard = -(-m * r // IMAGE_RANGES)
    frames = []
    with scaleout.session(scheduler) as shared:                # one local cluster for every method
        for method in METHODS:
            start = time.perf_counter()
            frames.append(run_grid(setup.names[model], setup.originals(np.repeat(np.arange(m), r)),
                                   setup.pool(attack_idx.reshape(-1)), method=method,
                                   out_dir=Path(out_dir), alphas=alphas, top_ks=top_ks, attack_target=attack_target,
                                   baseline=baseline, noise_mean=setup.noise_mean, noise_std=setup.noise_std,
                                   seed=seed, explain_kw=setup.grid_explain[method], tags={"model": model},
                                   device=setup.device, scheduler=shared, images_per_shard=per_shard))
            if timings is not None:
                timings[(model, method)] = round(time.perf_counter() - start, 1)
    for f in frames:
        f[_tables.ORIGINAL] = f["image"] // r                       # the unit of every estimate
        f["data"] = setup.data
        if rank_column is not None:
            f[rank_column] = [ranks[i % r] for i in f["image"]]
    return frames


def main_grid(setup: GridSetup, *, out_dir, alphas, top_ks, attack_ranks: int = 1, seed: int = 0,
              scheduler="serial") -> tuple[pd.DataFrame, dict]:
    """Fig. 2-4 and Tables B.1-B.3: every model, method, alpha and top-k, EXIAA and baseline.

    Each original is attacked with the running-up class's pool images of confidence ranks
    1..``attack_ranks`` (the paper: 3). out_dir: the shards' folder; scheduler: as
    :func:`~axlib.papers.exiaa.grid.run_grid`'s.
    Returns (the grid, one row per model, method, alpha, top_k, kind and image;
    {(model, method): seconds}).
    """
    ranks = range(1, check_int("attack_ranks", attack_ranks, low=1) + 1)
    frames, timings = [], {}
    with scaleout.session(scheduler) as shared:
        for key in setup.names:
            _, runner = running_up_class(setup.p_orig[key])
            idx = rank_pool(setup.p_pool[key], runner, ranks, pool_labels=setup.pool_y)      # (n, ranks)
            frames += _method_grids(setup, key, idx, runner.repeat_interleave(len(ranks)), out_dir=out_dir,
                                    alphas=alphas, top_ks=top_ks, seed=seed, scheduler=shared, baseline=True,
                                    timings=timings)
    return pd.concat(frames, ignore_index=True), timings


def class_rank_grid(setup: GridSetup, *, out_dir, n_side: int, alphas, top_ks, seed: int = 0,
                    scheduler="serial", model: str = "resnet18") -> pd.DataFrame:
    """Fig. 5: for each of the first ``n_side`` originals, every class in the order of the
    model's probabilities (rank 2 is the running-up class, ranks 3..K the others) supplies its
    most confident pool image as attack image; EXIAA only, every method.
    Returns the grid with a ``class_rank`` column."""
    m = check_int("n_side", n_side, low=1)
    p = setup.p_orig[model][:m]
    order = torch.sort(p, dim=1, descending=True, stable=True).indices                    # (m, K)
    class_ranks = list(range(2, p.shape[1] + 1))
    attack_idx = torch.stack([rank_pool(setup.p_pool[model], order[:, r - 1], [1], pool_labels=setup.pool_y)[:, 0]
                              for r in class_ranks], dim=1)                                 # (m, K - 1)
    return pd.concat(_method_grids(setup, model, attack_idx, order[:, 1:].reshape(-1), out_dir=out_dir, alphas=alphas,
                                   top_ks=top_ks, seed=seed, scheduler=scheduler, rank_column="class_rank",
                                   ranks=class_ranks), ignore_index=True)


def attack_rank_grid(setup: GridSetup, *, out_dir, n_side: int, alphas, top_ks, top_ranks, low_ranks,
                     seed: int = 0, scheduler="serial", model: str = "resnet18") -> pd.DataFrame:
    """Fig. A.1: the first ``n_side`` originals attacked with the running-up class's pool
    images of confidence ranks ``top_ranks`` and ``low_ranks``; EXIAA only, every method.
    Returns the grid with an ``attack_rank`` column."""
    m = check_int("n_side", n_side, low=1)
    _, runner = running_up_class(setup.p_orig[model][:m])
    rank_list = list(top_ranks) + list(low_ranks)
    idx = rank_pool(setup.p_pool[model], runner, rank_list, pool_labels=setup.pool_y)      # (m, ranks)
    return pd.concat(_method_grids(setup, model, idx, runner.repeat_interleave(len(rank_list)), out_dir=out_dir,
                                   alphas=alphas, top_ks=top_ks, seed=seed, scheduler=scheduler,
                                   rank_column="attack_rank", ranks=rank_list), ignore_index=True)


# --------------------------------------------------------------------------- ImageNet
@dataclass
class ImagenetSetup:
    """The ImageNet part: ``data`` (imagenet_samples keywords), the shuffled positions
    ``perm`` (originals ``perm[:k]``, pool ``perm[k:]``), x_orig (k, 3, 224, 224), x_bar (k, ...)
    the attack images (positions ``bar``), runner (k,) their running-up classes, the pool's
    per-channel noise_mean/noise_std, explain (tensors) and grid_explain (specs) per method,
    the model, its registry name and the class names."""

    data: dict
    perm: torch.Tensor
    k: int
    x_orig: torch.Tensor
    x_bar: torch.Tensor
    bar: torch.Tensor
    runner: torch.Tensor
    pool_size: int
    noise_mean: torch.Tensor
    noise_std: torch.Tensor
    explain: dict
    grid_explain: dict
    model: torch.nn.Module
    name: str
    classes: tuple
    device: str = "cpu"

    def images(self, positions) -> dict:
        """An image_set spec of positions in ``imagenet_samples(**data)``'s output."""
        return image_set(IMAGENET_LOADER, positions, **self.data)


def imagenet_setup(model: str, *, pool: int, source: str, n_originals: int, ig_steps: int, dls_baselines: int,
                   seed: int = 0, device: str = "cpu") -> ImagenetSetup:
    """ImageNet sample images: ``pool`` images of ``source`` ("embedded" | "full") shuffled
    with ``seed``; the first ``n_originals`` are attacked, each with the pool image of the
    highest probability of its running-up class whatever its label (the pool has about one
    image per class). model: a registry name (``"imagenet-mobilenetv2"``)."""
    from axlib import models as _models
    from axlib.data.imagenet import imagenet_samples

    k = check_int("n_originals", n_originals, low=1)
    data = dict(n=check_int("pool", pool, low=2), source=source)
    xi, _, classes = imagenet_samples(**data)
    if k >= len(xi):
        raise ValueError(f"n_originals must be below the pool size {len(xi)}, got {k}")
    perm = torch.randperm(len(xi), generator=torch.Generator().manual_seed(seed))
    x_orig, x_pool = xi[perm[:k]], xi[perm[k:]]
    net = _models.load(model, device=device)
    p_orig = probabilities(net, x_orig.to(device), batch_size=16)
    p_pool = probabilities(net, x_pool.to(device), batch_size=16)
    _, runner = running_up_class(p_orig)
    bar = perm[k:][rank_pool(p_pool, runner, [1])[:, 0]]                                  # positions in xi
    explain = {"saliency": {}, "integrated_gradients": {"n_steps": ig_steps},
               "deeplift_shap": {"baselines": x_pool[:dls_baselines]}}
    grid_explain = dict(explain, deeplift_shap={
        "baselines": image_set(IMAGENET_LOADER, perm[k:k + dls_baselines], **data)})
    return ImagenetSetup(data, perm, k, x_orig, xi[bar], bar, runner, len(x_pool), x_pool.mean((0, 2, 3)),
                         x_pool.std((0, 2, 3)), explain, grid_explain, net, model, tuple(classes), device)


def imagenet_grid(setup: ImagenetSetup, *, out_dir, alphas, top_ks, seed: int = 0,
                  scheduler="serial") -> pd.DataFrame:
    """EXIAA and the baseline on the ImageNet originals, every method; returns the grid (one row
    per method, alpha, top_k, kind and original; summarise it with
    :func:`~axlib.papers.exiaa.tables.summarise`)."""
    with scaleout.session(scheduler) as shared:
        frames = [run_grid(setup.name, setup.images(setup.perm[:setup.k]), setup.images(setup.bar), method=method,
                           out_dir=Path(out_dir), alphas=alphas, top_ks=top_ks, attack_target=setup.runner,
                           noise_mean=setup.noise_mean, noise_std=setup.noise_std, seed=seed,
                           explain_kw=setup.grid_explain[method], batch_size=4, tags={"model": IMAGENET_KEY},
                           device=setup.device, scheduler=shared)
                  for method in METHODS]
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- pictures
def pictures(cifar: GridSetup, imagenet: ImagenetSetup | None = None, *, method: str, alpha: float,
             top_k: float, seed: int = 0) -> list:
    """One attack per model (the first original, its rank-1 attack image) as
    :func:`~axlib.papers.exiaa.tables.plot_example` figures: each CIFAR model, then the
    ImageNet model when given. Returns a list of matplotlib Figures."""
    figures = []
    for key, model in cifar.models.items():
        _, runner = running_up_class(cifar.p_orig[key][:1])
        bar = load_images(cifar.pool(rank_pool(cifar.p_pool[key], runner, [1], pool_labels=cifar.pool_y)[:, 0]))
        parts = _tables.example(model, cifar.x_orig[:1].to(cifar.device), bar.to(cifar.device), method=method,
                                alpha=alpha, top_k=top_k, attack_target=int(runner), noise_mean=cifar.noise_mean,
                                noise_std=cifar.noise_std, seed=seed, explain_kw=cifar.explain[method])
        figures.append(_tables.plot_example(parts, class_names=cifar.classes,
                                            title=f"{_tables.MODEL_LABELS[key]} ({GRID_DATA[cifar.data]})"))
    if imagenet is not None:
        parts = _tables.example(imagenet.model, imagenet.x_orig[:1].to(imagenet.device),
                                imagenet.x_bar[:1].to(imagenet.device), method=method, alpha=alpha, top_k=top_k,
                                attack_target=int(imagenet.runner[0]), noise_mean=imagenet.noise_mean,
                                noise_std=imagenet.noise_std, seed=seed, explain_kw=imagenet.explain[method])
        figures.append(_tables.plot_example(parts, class_names=[c.split(",")[0] for c in imagenet.classes],
                                            title=f"{_tables.MODEL_LABELS[IMAGENET_KEY]} (ImageNet samples)"))
    return figures


# --------------------------------------------------------------------------- claim records
_ADVANTAGE = "relative advantage, mean A / mean B - 1"


def _judged(claim: str, estimate, note: str, unit: str = "", **extra) -> dict:
    return dict(claim=claim, estimate=estimate, note=note, unit=unit, **extra)


def _data_label(grid: pd.DataFrame) -> str:
    """The data set of a grid's rows (the ``data`` column; grids without it are CIFAR-10's)."""
    data = sorted(set(grid["data"])) if "data" in grid.columns else ["cifar10"]
    return " and ".join(GRID_DATA[d] for d in data)


def _originals_text(grid: pd.DataFrame) -> str:
    n = int(_tables.originals(grid).nunique())
    per = int(grid["image"].nunique() // max(n, 1)) if "image" in grid.columns else 1
    return f"{n} {_data_label(grid)} originals x {per} attack image{'s' if per > 1 else ''}"


def grid_records(grid: pd.DataFrame, paper: pd.DataFrame, *, models) -> list[dict]:
    """The main grid's claims as keyword dicts for ``Recorder.judge`` (claim, estimate, note,
    unit): EXIAA against the baseline (every model, then each), the ViT against the ResNet-18
    (explanation change, confidence change), the confidence change at low alpha, SSIM, the
    predicted class kept, and the trends in alpha and top-k. Every estimate has the original
    image as its unit (:mod:`axlib.papers.exiaa.tables`); the notes give the paper's value of the
    same statistic computed on its Tables B.1-B.3 where it has one.

    grid: :func:`main_grid`'s grid; paper: :func:`~axlib.papers.exiaa.paper.paper_tables`;
    models: our model keys.
    """
    where = _originals_text(grid)
    exiaa = grid[grid["kind"] == "exiaa"]
    paper_x = paper[paper["kind"] == "exiaa"]
    out = []
    for claim, keys in (("exiaa.above_baseline", list(models)), *((f"exiaa.above_baseline.{k}", [k]) for k in models)):
        ours, theirs = grid[grid["model"].isin(keys)], paper[paper["model"].isin(keys)]
        p_value, p_cells = _tables.paper_advantage(theirs, "kind", "exiaa", "baseline")
        out.append(_judged(claim, _tables.relative_advantage(ours, "kind", "exiaa", "baseline"),
                           f"A = EXIAA, B = the baseline at the same alpha and top-k; {', '.join(keys)}, every method; "
                           f"per original image, the mean explanation change over its cells; {where}; the paper's "
                           f"Tables B.1-B.3 give {p_value:+.2f} over {p_cells} cells (ImageNet)", _ADVANTAGE))
    for claim, value, what in (("exiaa.vit_more_vulnerable", "explanation_change", "explanation change"),
                               ("exiaa.vit_smaller_confidence_drop", "confidence_change", "confidence change")):
        p_value, p_cells = _tables.paper_advantage(paper_x, "model", "vit", "resnet18", value=value)
        out.append(_judged(claim, _tables.relative_advantage(exiaa, "model", "vit", "resnet18", value=value),
                           f"A = the ViT, B = the ResNet-18, EXIAA's mean {what} per original image over the shared "
                           f"(method, alpha, top-k) cells (both models attack the same originals, each with its own "
                           f"attack image); {where}; the paper's tables give {p_value:+.2f} over {p_cells} cells",
                           _ADVANTAGE))
    low = exiaa[exiaa["alpha"] <= _claims.LOW_ALPHA_MAX]
    p_low = paper_x[paper_x["alpha"] <= _claims.LOW_ALPHA_MAX]["confidence_change"].dropna()
    out.append(_judged("exiaa.confidence_below_5", _tables.per_original_mean(low, "confidence_change"),
                       f"EXIAA's confidence change of the originally predicted class over the "
                       f"{len(low.groupby(list(_tables.CELL)))} cells with alpha <= {_claims.LOW_ALPHA_MAX}, mean per "
                       f"original image; {where}; the paper's {len(p_low)} such cells average {p_low.mean():.2f} "
                       "points", "points of probability"))
    ssim_gap = _tables.paired_means(grid, "kind", "baseline", "exiaa", value="ssim")
    out.append(_judged("exiaa.baseline_more_similar", {
        "baseline - EXIAA SSIM": Estimate.mean((ssim_gap["baseline"] - ssim_gap["exiaa"]).to_numpy(), n_of=_tables.N_OF),
        "EXIAA SSIM": _tables.per_original_mean(exiaa, "ssim")},
        f"SSIM(x, x_hat) per original image over every cell; {where}; the paper gives no SSIM number in its text"))
    kept = exiaa.assign(kept=(~exiaa["flipped"].astype(bool)).astype(float))
    out.append(_judged("exiaa.same_prediction", _tables.per_original_mean(kept, "kept"),
                       f"{len(kept)} corrupted images, {len(kept) // max(int(_tables.originals(kept).nunique()), 1)} per "
                       f"original (every model, method, alpha and top-k), which are not independent: the share per "
                       f"original image, its mean over originals; {where}; the paper reports no rate",
                       "share of corrupted images"))
    for claim, along in (("exiaa.alpha_trend", "alpha"), ("exiaa.topk_trend", "top_k")):
        p_rho, p_series = _tables.paper_trend(paper, along)
        out.append(_judged(claim, _tables.trend(grid, along),
                           f"{grid[along].nunique()} values of {along} per series; {where}; the paper's tables give a "
                           f"mean rho of {p_rho:.2f} over {p_series} series of cell means", "Spearman rho"))
    return out


def magnitude_records(grid: pd.DataFrame, paper: pd.DataFrame, *, models) -> list[dict]:
    """``exiaa.magnitude.<model>.<method>``: the median over the shared (alpha, top-k) cells of our
    mean EXIAA explanation change over original images / the paper's cell, with a bootstrap
    interval over originals (:func:`~axlib.papers.exiaa.tables.magnitude_ratio`); their rule
    says why they cannot be compared. Keyword dicts for ``Recorder.judge``."""
    out = []
    for model in models:
        for method in METHODS:
            found = _tables.magnitude_ratio(grid, paper, model=model, method=method)
            if found is None:
                continue
            estimate, cells = found
            out.append(_judged(f"exiaa.magnitude.{model}.{method}", estimate,
                               f"{cells} shared cells, {_originals_text(grid[grid['model'] == model])}; our "
                               f"{_tables.MODEL_LABELS[model]} on {_data_label(grid)} vs the paper's "
                               f"{_tables.PAPER_MODEL_LABELS[model]} on ImageNet at 224x224", "median ratio of EXIAA explanation change, ours / paper",
                               ours=round(estimate.value, 3)))
    return out


def running_up_records(fig5: pd.DataFrame, *, alphas) -> list[dict]:
    """``exiaa.running_up_best`` and ``exiaa.running_up_above_mean`` from the Fig. 5 grid
    (:func:`~axlib.papers.exiaa.tables.running_up_estimates`), keyword dicts for ``Recorder.judge``."""
    estimates = _tables.running_up_estimates(fig5)
    n = int(_tables.originals(fig5).nunique())
    ranks = sorted(set(fig5["class_rank"]))
    common = (f"per original image, the mean explanation change over the (alpha, top-k) cells for each method and "
              f"class rank {ranks[0]}-{ranks[-1]}; ResNet-18 on {_data_label(fig5)}, {n} originals, alpha {tuple(alphas)}")
    return [_judged("exiaa.running_up_best", estimates["best"],
                    f"A = the running-up class, B = the other rank with the largest mean, in the method where A fares "
                    f"worst; {common}", "relative advantage, worst method"),
            _judged("exiaa.running_up_above_mean", estimates["above_mean"],
                    f"A = the running-up class, B = the mean of the other ranks, over every method; {common}",
                    _ADVANTAGE)]


def top_ranks_record(fig_a1: pd.DataFrame, *, top_ranks) -> dict:
    """``exiaa.top5_beat_low_ranks`` from the Fig. A.1 grid, a keyword dict for ``Recorder.judge``."""
    groups = _tables.attack_rank_groups(fig_a1, top_ranks)
    low = sorted(set(fig_a1["attack_rank"]) - set(top_ranks))
    return _judged("exiaa.top5_beat_low_ranks",
                   _tables.relative_advantage(groups, "group", "top", "low", cells=("method", "alpha", "top_k")),
                   f"A = attack images of confidence ranks {tuple(top_ranks)}, B = ranks {tuple(low)} of the "
                   f"running-up class; per original image, the mean explanation change over the (method, alpha, "
                   f"top-k) cells; ResNet-18 on {_data_label(fig_a1)}, {int(_tables.originals(fig_a1).nunique())} originals",
                   _ADVANTAGE)


def imagenet_record(grid: pd.DataFrame, setup: ImagenetSetup) -> dict:
    """``exiaa.above_baseline.imagenet_mobilenetv2``: EXIAA's relative advantage over the
    baseline on the ImageNet grid, a reference number (the paper has no MobileNetV2), as keyword
    dicts for ``Recorder.record``; its interval over originals is in the note."""
    estimate = _tables.relative_advantage(grid, "kind", "exiaa", "baseline")
    return dict(claim=f"exiaa.above_baseline.imagenet_{IMAGENET_KEY}", ours=round(estimate.value, 3), verdict=REFERENCE,
                unit=_ADVANTAGE,
                note=(f"{estimate.text()} ({estimate.interval}); MobileNetV2 on {setup.k} ImageNet sample images, pool "
                      f"of {setup.pool_size}; the paper has no MobileNetV2 (its ResNet-18/ViT-B16 are in "
                      "exiaa.above_baseline)"))
