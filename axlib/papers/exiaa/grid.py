"""EXIAA's alpha x top-k grid through the scale-out runner: image sets a worker can rebuild,
the shard task (one alpha x top-k cell), :func:`run_grid` and :func:`grid_table`.

The paper's tables and the figures are in :mod:`axlib.papers.exiaa.tables`; the page's
experiments (which originals, which attack images, which grids) in
:mod:`axlib.papers.exiaa.experiments`.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import json

import numpy as np
import pandas as pd
import torch

from axlib._util.checks import check_images, check_int, torch_threads
from axlib.companion import scaleout
from axlib.explain.baselines import PIXEL_METHODS, pixel_attribution
from axlib.metrics.change import confidence_change, percentage_change, ssim
from axlib.papers.exiaa.attack import (
    ALPHAS,
    TOP_KS,
    check_alpha,
    check_top_k,
    gaussian_baseline,
    inject,
    probabilities,
    top_k_mask,
)

__all__ = ["image_set", "load_images", "grid_shard", "run_grid", "grid_table"]


# --------------------------------------------------------------------------- the grid runner
def image_set(loader: str, index, **kwargs) -> dict:
    """A data-set spec a worker can rebuild: the images ``loader(**kwargs)[index]``.

    loader: ``"module:function"``, a function returning (N, C, H, W) images in [0, 1], or a
    tuple whose first element they are (``"axlib.data.cifar:cifar10_test"``,
    ``"axlib.data.imagenet:imagenet_samples"``); kwargs: its JSON-serialisable keyword
    arguments; index: positions into its images (repeats allowed).
    Returns ``{"loader": ..., "kwargs": {...}, "index": [...]}``, JSON-serialisable: what
    :func:`run_grid` passes to its shards instead of tensors.
    Raises ValueError for a loader not of the form module:function, an empty index, negative
    positions or kwargs that are not JSON-serialisable.
    """
    if not isinstance(loader, str) or loader.count(":") != 1 or not all(loader.split(":")):
        raise ValueError(f"loader must be a 'module:function' string, got {loader!r}")
    array = np.asarray(index)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"index must hold integer positions, got dtype {array.dtype}")
    index = [int(i) for i in array.reshape(-1)]
    if not index or min(index) < 0:
        raise ValueError(f"index must be a non-empty list of positions >= 0, got {index[:5]}...")
    try:
        json.dumps(kwargs)
    except TypeError as err:
        raise ValueError(f"kwargs must be JSON-serialisable ({err})") from None
    return {"loader": loader, "kwargs": dict(kwargs), "index": index}


def _resolve(path: str):
    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


@functools.lru_cache(maxsize=4)
def _data_set(loader: str, kwargs_json: str) -> torch.Tensor:
    out = _resolve(loader)(**json.loads(kwargs_json))
    return out[0] if isinstance(out, (tuple, list)) else out


def load_images(spec: dict) -> torch.Tensor:
    """The images (len(index), C, H, W) of an :func:`image_set` spec (the loader's output is
    cached per process, so shards of one grid load a data set once per worker).
    Raises ValueError for a malformed spec or positions beyond the data set."""
    if not isinstance(spec, dict) or set(spec) != {"loader", "kwargs", "index"}:
        raise ValueError(f"spec must come from image_set(), got {spec!r:.80}")
    images = _data_set(spec["loader"], json.dumps(spec["kwargs"], sort_keys=True))
    if max(spec["index"]) >= len(images):
        raise ValueError(f"index must hold positions < {len(images)} for {spec['loader']}, "
                         f"got {max(spec['index'])}")
    return images[torch.tensor(spec["index"])]


def _sliced(spec: dict, start: int, stop: int) -> dict:
    return dict(spec, index=spec["index"][start:stop])


@functools.lru_cache(maxsize=4)
def _model(ref: str, device: str):
    """(model in eval mode, digest): a registry name through ``axlib.models.load``, or a
    ``"module:function"`` factory (tests: small untrained models); cached per process."""
    if ":" in ref:
        model = _resolve(ref)().to(device).eval()
        h = hashlib.sha256()
        for name, value in model.state_dict().items():
            h.update(name.encode())
            h.update(value.detach().cpu().contiguous().numpy().tobytes())
        return model, h.hexdigest()[:16]
    from axlib.models import registry

    return registry.load(ref, device=device), registry.card(ref)["sha256"][:16]


def _digest(*tensors) -> str:
    h = hashlib.sha256()
    for t in tensors:
        if t is not None:
            t = torch.as_tensor(t).detach().cpu().contiguous()
            h.update(str((tuple(t.shape), str(t.dtype))).encode())
            h.update(t.numpy().tobytes())
    return h.hexdigest()[:16]


def _explain_kw(explain_kw: dict) -> dict:
    """run_grid's JSON explain_kw -> pixel_attribution's keywords (baselines as tensors)."""
    out = dict(explain_kw)
    if "baselines" in out:
        out["baselines"] = load_images(out["baselines"])
    return out


@functools.lru_cache(maxsize=4)
def _prepared(key: str):
    """p, pred, x, x_bar, z, z_bar of one shard's images, cached per process so the shards of
    one grid compute the explanations of x and x_bar once per worker, not once per cell."""
    spec = json.loads(key)
    model, _ = _model(spec["model"], spec["device"])
    x = load_images(spec["images"]).to(spec["device"])
    x_bar = load_images(spec["attack_images"]).to(spec["device"])
    kw = _explain_kw(spec["explain_kw"])
    p = probabilities(model, x, spec["batch_size"])
    pred = p.argmax(1)
    target_bar = (probabilities(model, x_bar, spec["batch_size"]).argmax(1) if spec["attack_target"] is None
                  else torch.tensor(spec["attack_target"]).long())
    z = pixel_attribution(model, x, pred, method=spec["method"], batch_size=spec["batch_size"], **kw)
    z_bar = pixel_attribution(model, x_bar, target_bar, method=spec["method"], batch_size=spec["batch_size"], **kw)
    return p, pred, x, x_bar, z, z_bar, kw


def _cell_seed(seed: int, alpha: float, top_k: float, image: int) -> int:
    digest = hashlib.sha256(f"{seed}|{alpha!r}|{top_k!r}|{image}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


@scaleout.task("axlib.exiaa.grid_shard")   # the name shards were keyed by before the move: kept valid
def grid_shard(*, model: str, images: dict, attack_images: dict, method: str, alpha: float, top_k: float,
               attack_target, baseline: bool, noise_mean, noise_std, seed: int, explain_kw: dict,
               batch_size: int, device: str, threads: int, first: int, model_digest: str,
               inputs_digest: str) -> pd.DataFrame:
    """One shard of :func:`run_grid`: the (alpha, top-k) cell for images ``first, first + 1, ...``.

    The task :mod:`axlib.companion.scaleout` runs; every argument is JSON-serialisable. model: a
    registry name or a ``"module:function"`` factory; images, attack_images:
    :func:`image_set` specs (the shard's range); explain_kw: pixel_attribution's keywords,
    ``baselines`` as an image_set spec; threads: torch threads during the shard (restored
    afterwards); model_digest / inputs_digest: what the caller saw, checked here so a worker
    with other weights or data fails instead of writing wrong rows.
    Returns the rows described in :func:`run_grid` (without its ``tags`` and ``method``).
    Raises RuntimeError when the worker's model or images differ from the caller's.
    """
    with torch_threads(threads):
        net, digest = _model(model, device)
        if digest != model_digest:
            raise RuntimeError(f"model {model!r} on this worker has digest {digest}, the caller's {model_digest}")
        key = json.dumps(dict(model=model, images=images, attack_images=attack_images, method=method,
                              attack_target=attack_target, explain_kw=explain_kw, batch_size=batch_size,
                              device=device, threads=threads), sort_keys=True)
        p, pred, x, x_bar, z, z_bar, kw = _prepared(key)
        if _digest(x, x_bar, kw.get("baselines"), attack_target) != inputs_digest:
            raise RuntimeError("the images this worker rebuilt differ from the caller's (data set changed?)")
        mask = top_k_mask(z_bar, top_k).to(x.device)
        counts = mask.flatten(1).sum(1).cpu()
        corrupted = {"exiaa": inject(x, x_bar, mask, alpha)}
        if baseline:
            corrupted["baseline"] = torch.cat([
                gaussian_baseline(x[i:i + 1], counts[i:i + 1], alpha, mean=noise_mean, std=noise_std,
                                  generator=torch.Generator().manual_seed(_cell_seed(seed, alpha, top_k, first + i)))
                for i in range(x.shape[0])])
        rows = []
        for kind, x_hat in corrupted.items():
            p_hat = probabilities(net, x_hat, batch_size)
            pred_hat = p_hat.argmax(1)
            z_hat = pixel_attribution(net, x_hat, pred_hat, method=method, batch_size=batch_size, **kw)
            change = percentage_change(z, z_hat)
            sim = ssim(x, x_hat).cpu()
            distance = (x_hat - x).flatten(1).double().norm(dim=1).cpu()
            conf = confidence_change(p, p_hat, pred)
            for i in range(x.shape[0]):
                rows.append({"alpha": alpha, "top_k": top_k, "kind": kind, "image": first + i,
                             "explanation_change": float(change[i]), "ssim": float(sim[i]),
                             "confidence_change": float(conf[i]), "perturbation_l2": float(distance[i]),
                             "flipped": bool(pred_hat[i] != pred[i]), "injected": int(counts[i])})
        return pd.DataFrame(rows)


def run_grid(model: str, images: dict, attack_images: dict, *, method: str, out_dir,
             alphas=ALPHAS, top_ks=TOP_KS, attack_target=None, baseline: bool = True,
             noise_mean=None, noise_std=None, seed: int = 0, explain_kw: dict | None = None,
             batch_size: int = 64, tags: dict | None = None, device: str = "cpu",
             scheduler="serial", n_workers: int = 2, threads: int = 1,
             images_per_shard: int | None = None, progress: bool = False) -> pd.DataFrame:
    """EXIAA (and its Gaussian baseline) for every (alpha, top-k) cell, through :mod:`axlib.companion.scaleout`.

    model: a registry name (``axlib.models.load``) or a ``"module:function"`` factory
    returning an nn.Module (small untrained models in tests). images: :func:`image_set` spec
    of the N originals; attack_images: spec of their N attack images (one per original;
    repeat positions to use several attack images per original). Specs, not tensors: each
    shard's arguments are JSON, and a worker rebuilds the images from them. attack_target:
    N classes explained on x_bar (None: the model's prediction on x_bar). method: one of
    ``axlib.explain.baselines.PIXEL_METHODS``; explain_kw: its keyword arguments
    (``n_steps``; ``baselines`` as an image_set spec). Each explanation targets the image's
    own predicted class, E(x; f(x)), as in the paper's equation 2.

    For every cell the rows hold, per image and kind ("exiaa", and "baseline" when
    ``baseline``): percentage change of the explanation, SSIM(x, x_hat), confidence change
    of the originally predicted class (percentage points), the L2 norm of x_hat - x
    (``perturbation_l2``, pixel units), whether the prediction flipped, the number of
    injected pixel channels, ``tags`` (constant columns) and ``method``.
    noise_mean / noise_std: the baseline's per-channel Gaussian (C numbers; required with
    ``baseline``). Image i's baseline noise in a cell comes from its own generator seeded by
    (seed, alpha, top_k, i).

    Running and resuming: one shard (:func:`grid_shard`) per cell, or per cell and range of
    ``images_per_shard`` images (None: all N in one shard), run by
    :func:`axlib.companion.scaleout.run` into ``out_dir``, one Parquet file per finished shard, keyed
    by every argument of the shard (the model's checkpoint digest and a digest of the
    images included), so a rerun computes only the missing shards and changed inputs never
    reuse old files. scheduler: ``"serial"`` (default: in this process), ``"local"`` (a
    local Dask cluster of ``n_workers`` processes, started and closed by this call; None
    means the same, as in :func:`axlib.companion.scaleout.run`), a scheduler address
    (``"tcp://host:8786"``, a real cluster whose workers can import axlib and read
    the data) or a ``distributed.Client`` (kept open: pass one to share a cluster between
    calls). Serial is the default because a local cluster costs about 7 s per call on a
    2-core CPU (start-up, and each worker importing torch and loading
    the model and data), while a (model, method) grid of the smoke profile takes under a
    second and one of the default profile 3-30 s: two workers would save at most half of
    that. threads: torch threads each shard runs with (set and restored around it); with it
    fixed the table is bit for bit the same whichever scheduler ran it (on CPU; the ViT's
    gradients change in the last bits with the thread count). Workers cache the model, data sets and the explanations of x and x_bar,
    so each is computed once per worker and grid. progress: a tqdm bar over shards.
    Returns a DataFrame with one row per (alpha, top_k, kind, image), in that order.
    Raises ValueError for a bad method, alpha, top_k, spec, threads or mismatched shapes.
    """
    if method not in PIXEL_METHODS:
        raise ValueError(f"method must be one of {PIXEL_METHODS}, got {method!r}")
    if not isinstance(model, str) or not model:
        raise ValueError(f"model must be a registry name or a 'module:function' factory, got {type(model).__name__}")
    alphas = [check_alpha(a) for a in alphas]
    top_ks = [check_top_k(k) for k in top_ks]
    threads = check_int("threads", threads, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    n_workers = check_int("n_workers", n_workers, low=1)
    x = check_images(load_images(images))
    x_bar = check_images(load_images(attack_images), name="x_bar")
    if x_bar.shape != x.shape:
        raise ValueError(f"attack_images must give x's shape {tuple(x.shape)}, got {tuple(x_bar.shape)}")
    n = x.shape[0]
    if attack_target is not None:
        attack_target = [int(t) for t in torch.as_tensor(attack_target).view(-1).tolist()]
        if len(attack_target) != n:
            raise ValueError(f"attack_target must hold {n} classes, got {len(attack_target)}")
    seed = check_int("seed", seed)
    per = n if images_per_shard is None else check_int("images_per_shard", images_per_shard, low=1)
    if baseline and (noise_mean is None or noise_std is None):
        raise ValueError("noise_mean and noise_std are required when baseline=True")
    if baseline:
        noise_mean = [float(v) for v in torch.as_tensor(noise_mean).view(-1)]
        noise_std = [float(v) for v in torch.as_tensor(noise_std).view(-1)]
        if len(noise_mean) != x.shape[1] or len(noise_std) != x.shape[1] or min(noise_std) < 0:
            raise ValueError(f"noise_mean and noise_std must hold {x.shape[1]} numbers each, noise_std >= 0")
    else:
        noise_mean = noise_std = None
    explain_kw = dict(explain_kw or {})
    if "baselines" in explain_kw and not isinstance(explain_kw["baselines"], dict):
        raise ValueError("explain_kw['baselines'] must be an image_set() spec")
    refs = _explain_kw(explain_kw).get("baselines")
    _, model_digest = _model(model, device)

    common = dict(model=model, method=method, baseline=baseline, noise_mean=noise_mean, noise_std=noise_std,
                  seed=seed, explain_kw=explain_kw, batch_size=batch_size, device=device, threads=threads,
                  model_digest=model_digest)
    ranges = [(s, min(s + per, n)) for s in range(0, n, per)]
    digests = {(s, e): _digest(x[s:e], x_bar[s:e], refs, None if attack_target is None else attack_target[s:e])
               for s, e in ranges}
    shards = [scaleout.Shard(f"exiaa__{model}__{method}__a{alpha:g}__k{top_k:g}__items={s}-{e}",
                             dict(common, alpha=alpha, top_k=top_k, first=s, inputs_digest=digests[(s, e)],
                                  images=_sliced(images, s, e), attack_images=_sliced(attack_images, s, e),
                                  attack_target=None if attack_target is None else attack_target[s:e]))
              for s, e in ranges for alpha in alphas for top_k in top_ks]   # range by range: cache hits
    frame = scaleout.run(grid_shard, shards, out_dir, scheduler=scheduler, n_workers=n_workers,
                         progress=progress)
    if len(ranges) > 1:   # shard order is range, cell, kind, image: make it cell, kind, image
        cell = frame.groupby(["alpha", "top_k"], sort=False).ngroup()
        kind = frame["kind"].map({"exiaa": 0, "baseline": 1})
        frame = frame.iloc[np.lexsort((frame["image"], kind, cell))].reset_index(drop=True)
    for name, value in dict(tags or {}).items():
        frame[name] = value
    frame["method"] = method
    return frame


def grid_table(frame: pd.DataFrame, value: str = "explanation_change") -> pd.DataFrame:
    """Mean of ``value`` per (kind, alpha) row and top-k column, as the paper's tables lay it out."""
    if value not in frame.columns:
        raise ValueError(f"value must be a column of frame, got {value!r}")
    return frame.pivot_table(index=["kind", "alpha"], columns="top_k", values=value, aggfunc="mean")
