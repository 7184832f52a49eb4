"""The shipped models by name: architecture, training recipe, checkpoint, card.

``load(name)`` returns the model in eval mode with its verified plain-tensor weights from
``data/models/<name>.safetensors``; ``train(name)`` reruns its recipe (``axlib train NAME``).
"""
from __future__ import annotations

import json
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from ..paths import repo_data_dir
from .alexnet import AlexNetCifar
from .checkpoints import load_state, read_card, save_state
from .mobilenet import MobileNetV2Folded


@dataclass(frozen=True)
class ModelSpec:
    """build: () -> nn.Module taking [0, 1] pixels; dataset: the data it is trained on;
    recipe: training recipe dict (None for converted, not trained, weights)."""

    build: Callable[[], nn.Module]
    dataset: str
    description: str
    recipe: dict | None = field(default=None)


CIFAR10_RECIPE = {
    "epochs": 30, "batch_size": 128, "optimizer": "sgd", "lr": 0.1, "momentum": 0.9,
    "nesterov": True, "weight_decay": 5e-4, "schedule": "onecycle(pct_start=0.25)",
    "label_smoothing": 0.1, "augment": "random-crop(reflect pad 4)+hflip", "seed": 0,
}

MODELS: dict[str, ModelSpec] = {
    "cifar10-alexnet": ModelSpec(
        build=lambda: AlexNetCifar(num_classes=10), dataset="cifar10",
        description="AlexNet-style CNN for 32x32 CIFAR-10 (AXAI's CIFAR-10 model), 0.8M parameters",
        recipe=CIFAR10_RECIPE),
    "imagenet-mobilenetv2": ModelSpec(
        build=MobileNetV2Folded, dataset="imagenet",
        description="ImageNet MobileNetV2 1.0, float32 dequantised from torchvision's official int8 "
                    "weights (BN folded, ReLU), 3.5M parameters; see its card",
        recipe=None),
}


def register(name: str, spec: ModelSpec) -> None:
    """Add a model to the registry (used by modules that define further models)."""
    MODELS[name] = spec


def checkpoint_path(name: str) -> Path:
    return repo_data_dir() / "models" / f"{name}.safetensors"


def _spec(name: str) -> ModelSpec:
    if name not in MODELS:
        raise ValueError(f"model must be one of {sorted(MODELS)}, got {name!r}")
    return MODELS[name]


def load(name: str, device: str = "cpu") -> nn.Module:
    """The shipped model ``name`` in eval mode on ``device``, weights verified by sha256."""
    model = _spec(name).build()
    model.load_state_dict(load_state(checkpoint_path(name)))
    return model.to(device).eval()


def card(name: str) -> dict:
    """The model card (recipe, accuracies, sha256) of the shipped model ``name``."""
    _spec(name)
    return read_card(checkpoint_path(name))


def train(name: str, *, epochs: int | None = None, out: Path | None = None,
          device: str = "cpu", source: str = "auto") -> dict:
    """Train model ``name`` by its recipe and write checkpoint + card to ``out`` (data/models).

    Progress goes to stdout; interrupted runs resume from ``<out>/<name>.work/resume.pt``.
    Returns the card.
    """
    spec = _spec(name)
    if spec.recipe is None:
        raise ValueError(f"model {name!r} is converted, not trained; see its card for how it was made")
    if spec.dataset != "cifar10":
        raise ValueError(f"training for dataset {spec.dataset!r} is not available yet")
    from ..data.cifar import cifar10, cifar10_test
    from .train import accuracy, fit

    recipe = dict(spec.recipe, **({"epochs": epochs} if epochs else {}))
    out = Path(out) if out else checkpoint_path(name).parent
    if source == "auto":
        from ..data import registry as data_registry
        from ..data.cifar import _jpeg_zip_path
        source = "official" if data_registry.is_cached("cifar10") or _jpeg_zip_path() is None else "jpeg-zip"
    x_train, y_train, _ = cifar10("train", source=source)
    x_test, y_test, _ = cifar10("test", source=source)
    x_sub, y_sub, _ = cifar10_test()
    torch.manual_seed(recipe["seed"])
    model = spec.build().to(device)
    t0 = time.perf_counter()
    log = fit(model, x_train.to(device), y_train.to(device), recipe,
              x_val=x_sub.to(device), y_val=y_sub.to(device), work_dir=out / f"{name}.work")
    wall = time.perf_counter() - t0
    model = model.cpu().eval()
    card = {
        "name": name, "description": spec.description, "architecture": type(model).__name__,
        "parameters": sum(p.numel() for p in model.parameters()),
        "dataset": spec.dataset, "data_source": source, "recipe": recipe,
        "test_accuracy": accuracy(model, x_test, y_test),
        "test_set": f"CIFAR-10 test split, {len(y_test)} images ({source} source)",
        "embedded_subset_accuracy": accuracy(model, x_sub, y_sub),
        "train_wall_seconds": round(wall, 1), "train_device": device,
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "machine": platform.machine(), "log": log,
    }
    save_state(model, out / f"{name}.safetensors", card)
    print(json.dumps({k: card[k] for k in ("name", "test_accuracy", "embedded_subset_accuracy")}))
    return card
