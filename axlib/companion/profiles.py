"""Run profiles: one switch that changes sizes and names, never code paths.

``smoke``   seconds per notebook, for tests and CI: proves every cell runs.
``default`` the published book: embedded data only, CPU, minutes per notebook.
``paper``   the papers' own scale: downloads with checksums, GPU advised.

Every page's sizes live here, in :data:`axlib.companion.sizes.PAGE_SIZES` (one table per page
and profile), and nowhere else. A page asks for its own with ``axlib.profile(profile,
page="01", **parameters)``: its sizes become attributes of the returned profile
(``cfg.kernel_sizes``), a parameter that is not None replaces the profile's value (the one way
a page's parameters override its sizes), the page's torch thread count is applied and torch is
seeded, here and only here.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType

import torch

from axlib._util.checks import check_device, check_int, check_number
from axlib.companion.sizes import PAGE_SIZES

PROFILE_NAMES = ("smoke", "default", "paper")
PROFILE_HELP = {
    "smoke": "seconds per notebook, tiny sizes: proves every cell runs (tests, CI)",
    "default": "the published book: embedded data only, CPU, about 24 min cold on 2 cores",
    "paper": "the papers' own scale: downloads with checksums, GPU advised",
}
"""One line per profile, for the command line's help."""


@dataclass(frozen=True)
class Profile:
    """Sizes and switches of one run of one page.

    name: profile name; n_images: images per experiment (CIFAR-10 scale); n_imagenet:
    ImageNet-sized images per experiment; seed: the seed torch is seeded with; device: "cpu"
    or "cuda"; threads: torch CPU threads (None: torch's default, the machine's cores);
    page: the page whose sizes these are ("" for none); sizes: that page's sizes, read-only,
    also readable as attributes (``cfg.sizes["repeats"] == cfg.repeats``).
    """

    name: str
    n_images: int
    n_imagenet: int
    seed: int = 0
    device: str = "cpu"
    threads: int | None = None
    page: str = ""
    sizes: Mapping = field(default_factory=dict)

    def __getattr__(self, key):
        sizes = self.__dict__.get("sizes", {})
        if key in sizes:
            return sizes[key]
        raise AttributeError(f"profile {self.__dict__.get('name')!r} of page "
                             f"{self.__dict__.get('page')!r} has no setting {key!r}; "
                             f"sizes: {sorted(sizes)}")


_PROFILES = {
    "smoke": Profile("smoke", n_images=16, n_imagenet=4),
    "default": Profile("default", n_images=1000, n_imagenet=200),
    "paper": Profile("paper", n_images=10000, n_imagenet=1000,
                     device="cuda" if torch.cuda.is_available() else "cpu"),
}


def page_key(page: str) -> str:
    """The key of ``page`` in :data:`PAGE_SIZES`: an exact key, or the one it is the prefix
    of (``"01"`` -> ``"01_quickshift"``). Raises ValueError naming the pages otherwise."""
    if page in PAGE_SIZES:
        return page
    matches = [key for key in PAGE_SIZES if key.startswith(f"{page}_")]
    if not isinstance(page, str) or len(matches) != 1:
        raise ValueError(f"page must be one of {sorted(PAGE_SIZES)} (or its number), got {page!r}")
    return matches[0]


def _check_size(page: str, key: str, value):
    """A parameter given for a size must be of the kind the page's profiles use for it: a
    count (an integer >= 1), a positive number, a name (str), a sequence or a mapping. Raises
    ValueError naming the page, the size, the value and the profiles' values."""
    used = [PAGE_SIZES[page][p][key] for p in PROFILE_NAMES if PAGE_SIZES[page][p][key] is not None]

    def all_of(*types) -> bool:
        return bool(used) and all(isinstance(v, types) and not isinstance(v, bool) for v in used)
    try:
        if all_of(int):
            check_int(key, value, low=1)
        elif all_of(int, float):
            check_number(key, value, low=0, low_open=True)
        elif all_of(str) and not isinstance(value, str):
            raise ValueError(f"{key} must be a name (str), got {value!r}")
        elif all_of(tuple, list) and not (isinstance(value, (tuple, list)) and len(value) > 0):
            raise ValueError(f"{key} must be a non-empty list, got {value!r}")
        elif all_of(dict) and not isinstance(value, dict):
            raise ValueError(f"{key} must be a mapping, got {value!r}")
    except ValueError as err:
        shown = ", ".join(f"{p} {PAGE_SIZES[page][p][key]!r}" for p in PROFILE_NAMES)
        raise ValueError(f"{err} (a size of page {page}; the profiles use {shown})") from None


def resolve(name: str = "default", page: str | None = None, **overrides) -> Profile:
    """What :func:`profile` returns, validated the same way, without seeding torch or setting
    its thread count (``axlib run`` checks a page's ``-p`` values with it before running)."""
    if not isinstance(name, str) or name not in _PROFILES:
        raise ValueError(f"profile must be one of {PROFILE_NAMES}, got {name!r}")
    sizes: dict = {}
    key = ""
    if page is not None:
        key = page_key(page)
        sizes = copy.deepcopy(dict(PAGE_SIZES[key][name]))   # a page mutating a list cannot change PAGE_SIZES
    known = {f.name for f in fields(Profile)} - {"name", "page", "sizes"}
    unknown = set(overrides) - known - set(sizes)
    if unknown:
        raise ValueError(f"unknown profile setting(s) {sorted(unknown)}; accepted: "
                         f"{sorted(known | set(sizes))}")
    chosen = {k: v for k, v in overrides.items() if v is not None}
    fixed = {k: v for k, v in chosen.items() if k in known}
    for size, value in chosen.items():
        if size not in known:
            _check_size(key, size, value)
            sizes[size] = value
    if "threads" not in fixed and "threads" in sizes:
        fixed["threads"] = sizes.pop("threads")
    cfg = replace(_PROFILES[name], page=key, sizes=MappingProxyType(sizes), **fixed)
    check_device(cfg.device)
    check_int("seed", cfg.seed, low=0)
    check_int("n_images", cfg.n_images, low=1)
    check_int("n_imagenet", cfg.n_imagenet, low=1)
    if cfg.threads is not None:
        check_int("threads", cfg.threads, low=1)
    return cfg


def profile(name: str = "default", page: str | None = None, **overrides) -> Profile:
    """The profile ``name`` for ``page``, with keyword overrides; ``None`` overrides are ignored.

    overrides: a field of :class:`Profile` (``seed``, ``device``, ``threads``, ``n_images``, ...)
    or a size of the page. Seeds torch with ``seed`` and, when ``threads`` is set, sets
    torch's CPU thread count. Raises ValueError for an unknown profile, page or override name,
    a size given a value of another kind than its profiles' (a count that is not an integer
    >= 1, ...), a seed that is not an integer >= 0, n_images, n_imagenet or threads that is
    not an integer >= 1, and a device this machine does not have.
    """
    cfg = resolve(name, page, **overrides)
    if cfg.threads is not None:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    return cfg
