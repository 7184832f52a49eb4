"""Training recipes for the small-image classifiers shipped in ``data/models``.

A recipe is a plain dict (recorded verbatim in the model card), e.g.::

    {"epochs": 24, "batch_size": 128, "optimizer": "sgd", "lr": 0.1, "momentum": 0.9,
     "nesterov": True, "weight_decay": 5e-4, "schedule": "onecycle", "label_smoothing": 0.1,
     "augment": "random-crop(pad 4)+hflip", "seed": 0}

:func:`fit` trains on (N, 3, H, W) tensors in [0, 1] with a progress bar, writes a resumable
checkpoint every epoch and returns the per-epoch log. The resume file is tied to the run: it
stores a hash of the recipe and the caller's ``resume_tag`` (the data source), is written
atomically, and a file of another recipe or an unreadable one is discarded with a message,
never resumed from; :func:`discard_resume` removes it once the trained model is saved.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.std import tqdm


def augment_crop_flip(x: torch.Tensor, generator: torch.Generator, labels: torch.Tensor | None = None, *,
                      pad: int = 4) -> torch.Tensor:
    """Random crop after reflect-padding by ``pad`` and random horizontal flip.

    x: (B, C, H, W) in [0, 1] -> same shape; labels: unused (the augmentation protocol of
    :func:`fit`). Uses ``generator`` only, so it is seeded.
    """
    b, _, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    dy = torch.randint(0, 2 * pad + 1, (b,), generator=generator)
    dx = torch.randint(0, 2 * pad + 1, (b,), generator=generator)
    rows = (dy.view(b, 1) + torch.arange(h).view(1, h))            # (B, H)
    cols = (dx.view(b, 1) + torch.arange(w).view(1, w))            # (B, W)
    batch_index = torch.arange(b).view(b, 1, 1)
    out = padded.permute(0, 2, 3, 1)[batch_index, rows.view(b, h, 1), cols.view(b, 1, w)]
    out = out.permute(0, 3, 1, 2)
    flip = torch.rand(b, generator=generator) < 0.5
    out[flip] = out[flip].flip(-1)
    return out.contiguous()


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 500) -> float:
    """Top-1 accuracy in [0, 1] of ``model`` (put in eval mode) on (N, C, H, W) images."""
    model.eval()
    correct = 0
    for start in range(0, len(x), batch_size):
        logits = model(x[start:start + batch_size])
        correct += (logits.argmax(1) == y[start:start + batch_size]).sum().item()
    return correct / len(x)


class TensorBatches:
    """The batches of an epoch over (N, C, H, W) tensors in memory: a random order drawn from
    the training generator, then ``augment(xb, generator, yb)`` per batch when given; the last
    ``N % batch_size`` images of each order are left out (one step per full batch)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int, augment=None):
        self.x, self.y, self.batch_size, self.augment = x, y, batch_size, augment
        self.steps_per_epoch = len(x) // batch_size

    def epoch(self, epoch: int, generator: torch.Generator):
        """Yields (xb, yb) for each of ``steps_per_epoch`` steps of epoch ``epoch`` (0-based)."""
        order = torch.randperm(len(self.x), generator=generator)
        for i in range(self.steps_per_epoch):
            idx = order[i * self.batch_size:(i + 1) * self.batch_size]
            xb = self.x[idx] if self.augment is None else self.augment(self.x[idx], generator, self.y[idx])
            yield xb, self.y[idx]


class LoaderBatches:
    """The batches of an epoch streamed from a map-style data set too large for memory.

    dataset: ``dataset[i] -> (image (C, H, W) uint8, label)`` with ``set_epoch(epoch)``, which
    makes its random augmentation a function of (epoch, i) only (see
    :class:`axlib.data.imagenet_train.TrainingImages`), so an epoch is the same whatever
    ``workers``; the order is a permutation drawn from the training generator, as
    :class:`TensorBatches`. Batches come back as float32 in [0, 1] on ``device``.
    """

    def __init__(self, dataset, batch_size: int, *, workers: int = 0, device: str = "cpu"):
        self.dataset, self.batch_size, self.workers, self.device = dataset, batch_size, workers, device
        self.steps_per_epoch = len(dataset) // batch_size

    def epoch(self, epoch: int, generator: torch.Generator):
        from torch.utils.data import DataLoader

        order = torch.randperm(len(self.dataset), generator=generator).tolist()
        self.dataset.set_epoch(epoch)
        loader = DataLoader(self.dataset, batch_size=self.batch_size, sampler=order, drop_last=True,
                            num_workers=self.workers, pin_memory=self.device.startswith("cuda"))
        for xb, yb in loader:
            yield (xb.to(self.device, non_blocking=True).float().div_(255.0),
                   yb.to(self.device, non_blocking=True))


def fit(model: nn.Module, x: torch.Tensor, y: torch.Tensor, recipe: dict, *,
        x_val: torch.Tensor | None = None, y_val: torch.Tensor | None = None,
        work_dir: Path | None = None, batch_step=None, augment=None, resume_tag: str = "") -> list[dict]:
    """Train ``model`` in place following ``recipe``; returns one log dict per epoch.

    x: (N, C, H, W) in [0, 1]; y: (N,) int64. ``batch_step(model, xb, yb) -> loss`` replaces
    the plain cross-entropy step (adversarial recipes use it). ``augment(xb, generator, yb) -> xb``
    replaces the default augmentation (:func:`augment_crop_flip` when ``recipe["augment"]`` is
    set, none otherwise); it may change the image size (the study's canvases do). With ``work_dir`` the state
    after each epoch is written to ``work_dir/resume.pt`` and an interrupted run with the same
    recipe and ``resume_tag`` resumes from it (see the module's docstring).
    ``recipe["memory_format"] == "channels_last"`` trains in NHWC layout (20 to 30% faster for the
    study's canvas networks on one CPU thread); the model is returned in the default layout.
    """
    augment = augment or (augment_crop_flip if recipe.get("augment") else None)
    validate = None if x_val is None else (lambda m: accuracy(m, x_val, y_val))
    return fit_batches(model, TensorBatches(x, y, recipe["batch_size"], augment), recipe, validate=validate,
                       work_dir=work_dir, batch_step=batch_step, resume_tag=resume_tag)


def fit_batches(model: nn.Module, batches, recipe: dict, *, validate=None, work_dir: Path | None = None,
                batch_step=None, resume_tag: str = "") -> list[dict]:
    """:func:`fit` over any batch source: ``batches.steps_per_epoch`` and
    ``batches.epoch(epoch, generator)`` yielding (xb, yb) (:class:`TensorBatches`,
    :class:`LoaderBatches`); ``validate(model) -> accuracy`` after each epoch (None: no
    validation). The learning-rate schedule is :func:`_scheduler`'s."""
    gen = torch.Generator().manual_seed(recipe.get("seed", 0))
    torch.manual_seed(recipe.get("seed", 0))
    epochs, steps_per_epoch = recipe["epochs"], batches.steps_per_epoch
    if steps_per_epoch < 1:
        raise ValueError(f"recipe['batch_size'] must not exceed the number of training images "
                         f"(no full batch), got {recipe['batch_size']}")
    opt = _optimizer(model, recipe)
    sched = _scheduler(opt, recipe, steps_per_epoch)
    log, start_epoch = [], 0
    state_file = Path(work_dir) / RESUME_FILE if work_dir else None
    key = _resume_key(recipe, resume_tag)
    state = _read_resume(state_file, key) if state_file is not None else None
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        gen.set_state(state["gen"])
        log, start_epoch = json.loads(state["log"]), state["epoch"]
    smoothing = recipe.get("label_smoothing", 0.0)
    channels_last = _memory_format(recipe) == torch.channels_last
    if channels_last:
        model.to(memory_format=torch.channels_last)
    step_fn = batch_step or (lambda m, xb, yb: F.cross_entropy(m(xb), yb, label_smoothing=smoothing))
    for epoch in range(start_epoch, epochs):
        model.train()
        t0 = time.perf_counter()
        total_loss = 0.0
        bar = tqdm(batches.epoch(epoch, gen), total=steps_per_epoch, desc=f"epoch {epoch + 1}/{epochs}", leave=False)
        for i, (xb, yb) in enumerate(bar):
            if channels_last:
                xb = xb.contiguous(memory_format=torch.channels_last)
            loss = step_fn(model, xb, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item()
            bar.set_postfix(loss=f"{total_loss / (i + 1):.3f}")
        entry = {"epoch": epoch + 1, "loss": total_loss / steps_per_epoch,
                 "seconds": time.perf_counter() - t0}
        if validate is not None:
            entry["val_accuracy"] = validate(model)
        log.append(entry)
        print(json.dumps(entry), flush=True)
        if state_file is not None:
            state_file.parent.mkdir(parents=True, exist_ok=True)
            partial = state_file.with_name(state_file.name + ".part")
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                        "gen": gen.get_state(), "log": json.dumps(log), "epoch": epoch + 1, "key": key}, partial)
            os.replace(partial, state_file)
    model.to(memory_format=torch.contiguous_format)
    return log


RESUME_FILE = "resume.pt"


def _resume_key(recipe: dict, tag: str) -> str:
    """sha256 of the recipe (as JSON, keys sorted) and the caller's tag."""
    text = json.dumps({"recipe": recipe, "tag": tag}, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def _read_resume(path: Path, key: str) -> dict | None:
    """The state in ``path`` when it exists, is readable and was written for ``key``; otherwise
    None, and a file that exists is removed with a message saying why."""
    if not path.exists():
        return None
    try:
        state = torch.load(path, weights_only=True)
        found = state.get("key")
    except Exception as error:  # noqa: BLE001 - a truncated or foreign file: start fresh
        reason = f"cannot be read ({type(error).__name__})"
    else:
        if found == key:
            return state
        reason = "was written for another recipe or data source"
    print(f"{path} {reason}: starting from epoch 1", flush=True)
    path.unlink()
    return None


def discard_resume(work_dir: Path) -> None:
    """Remove ``work_dir``'s resume file (and the folder when it is then empty): the run it
    belonged to finished and its model is saved."""
    work_dir = Path(work_dir)
    (work_dir / RESUME_FILE).unlink(missing_ok=True)
    if work_dir.is_dir() and not any(work_dir.iterdir()):
        work_dir.rmdir()


def _optimizer(model: nn.Module, recipe: dict) -> torch.optim.Optimizer:
    """The optimiser ``recipe["optimizer"]`` names: "sgd" (default; momentum, Nesterov) or
    "adamw" (decoupled weight decay; the usual choice for vision transformers trained from
    scratch), with the recipe's learning rate and weight decay."""
    name = recipe.get("optimizer", "sgd")
    decay = recipe.get("weight_decay", 5e-4)
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=recipe["lr"], momentum=recipe.get("momentum", 0.9),
                               nesterov=recipe.get("nesterov", True), weight_decay=decay)
    if name == "adamw":
        return torch.optim.AdamW(model.parameters(), lr=recipe["lr"], weight_decay=decay)
    raise ValueError(f"recipe['optimizer'] must be one of ('sgd', 'adamw'), got {name!r}")


def _scheduler(opt: torch.optim.Optimizer, recipe: dict, steps_per_epoch: int):
    """The learning-rate schedule, stepped once per batch: with ``recipe["lr_milestones"]`` (epochs)
    the step schedule of the ImageNet recipes (``recipe["lr"]`` times ``recipe["lr_gamma"]``
    (default 0.1) for each milestone reached); otherwise one cycle peaking at ``recipe["lr"]``
    a quarter of the way through (every other recipe)."""
    milestones = recipe.get("lr_milestones")
    if milestones is None:
        return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=recipe["lr"], epochs=recipe["epochs"],
                                                   steps_per_epoch=steps_per_epoch, pct_start=0.25)
    if list(milestones) != sorted(milestones) or any(not isinstance(m, int) or m < 1 for m in milestones):
        raise ValueError(f"recipe['lr_milestones'] must be increasing epochs >= 1, got {milestones!r}")
    gamma = recipe.get("lr_gamma", 0.1)

    def factor(step: int) -> float:
        return gamma ** sum(step // steps_per_epoch >= m for m in milestones)

    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


def _memory_format(recipe: dict) -> torch.memory_format:
    """The layout ``recipe["memory_format"]`` names: "contiguous" (default) or "channels_last"."""
    formats = {"contiguous": torch.contiguous_format, "channels_last": torch.channels_last}
    name = recipe.get("memory_format", "contiguous")
    if name not in formats:
        raise ValueError(f"recipe['memory_format'] must be one of {tuple(formats)}, got {name!r}")
    return formats[name]
