"""Run profiles: one switch that changes sizes, never code paths.

``smoke``   seconds per notebook, for tests and CI: proves every cell runs.
``default`` the published book: embedded data only, CPU, minutes per notebook.
``paper``   the papers' own scale: downloads with checksums, GPU advised.
"""
from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch

PROFILE_NAMES = ("smoke", "default", "paper")


@dataclass(frozen=True)
class Profile:
    """Sizes and switches shared by the notebooks.

    name: profile name; n_images: images per experiment (CIFAR-10 scale);
    n_imagenet: ImageNet-sized images per experiment; seed: global seed;
    device: "cpu" or "cuda".
    """

    name: str
    n_images: int
    n_imagenet: int
    seed: int = 0
    device: str = "cpu"


_PROFILES = {
    "smoke": Profile("smoke", n_images=16, n_imagenet=4),
    "default": Profile("default", n_images=1000, n_imagenet=200),
    "paper": Profile("paper", n_images=10000, n_imagenet=1000,
                     device="cuda" if torch.cuda.is_available() else "cpu"),
}


def profile(name: str = "default", **overrides) -> Profile:
    """Return the profile ``name`` with keyword overrides; ``None`` overrides are ignored.

    Raises ValueError for an unknown profile or an unknown override name.
    """
    if name not in _PROFILES:
        raise ValueError(f"profile must be one of {PROFILE_NAMES}, got {name!r}")
    known = {f.name for f in fields(Profile)}
    unknown = set(overrides) - known
    if unknown:
        raise ValueError(f"unknown profile setting(s) {sorted(unknown)}; accepted: {sorted(known)}")
    chosen = {k: v for k, v in overrides.items() if v is not None}
    cfg = replace(_PROFILES[name], **chosen)
    torch.manual_seed(cfg.seed)
    return cfg
