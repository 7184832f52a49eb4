"""Where things live: the repository's embedded `data/` folder and the download cache.

- ``repo_data_dir()``: the shipped, embedded defaults (``<repo>/data``, or ``$AXLIB_EMBEDDED``
  when set: a copy elsewhere, e.g. beside a non-editable install), read-only at run time.
- ``cache_dir()``: downloads and converted artefacts, ``$AXLIB_DATA`` or ``~/.cache/axlib``.
- ``shared_data_dir()``: the development copy of public data sets beside the repository
  (``../shared/data``); optional, never required by the product.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def repo_data_dir() -> Path:
    """The embedded data folder: ``$AXLIB_EMBEDDED`` if set, else the repository's ``data/``."""
    override = os.environ.get("AXLIB_EMBEDDED")
    return Path(override).expanduser() if override else REPO_ROOT / "data"


def cache_dir() -> Path:
    """Download cache: ``$AXLIB_DATA`` if set, else ``~/.cache/axlib``. Created on demand."""
    root = Path(os.environ.get("AXLIB_DATA", Path.home() / ".cache" / "axlib")).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root


def shared_data_dir() -> Path | None:
    """``../shared/data`` next to the repository when present (development machines), else None."""
    candidate = REPO_ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None
