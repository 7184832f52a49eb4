"""Where things live: the repository's embedded `data/` folder and the download cache.

- ``repo_data_dir()``: the shipped, embedded defaults, read-only at run time: ``$AXLIB_EMBEDDED``
  when set (a copy anywhere); else the first of ``<repo>/data`` (a checkout or editable install)
  and ``<cache>/embedded/<version>/data`` (the archive ``axlib data fetch embedded`` unpacks
  for a plain ``pip install``) that holds a ``MANIFEST.json``; else ``<repo>/data``, and
  :func:`missing_embedded_message` says where it looked and how to get the data.
- ``cache_dir()``: downloads and converted artefacts, ``$AXLIB_DATA`` or ``~/.cache/axlib``.
- ``shared_data_dir()``: the development copy of public data sets beside the repository
  (``../shared/data``); optional, never required by the product.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _cache_root() -> Path:
    return Path(os.environ.get("AXLIB_DATA", Path.home() / ".cache" / "axlib")).expanduser()


def fetched_data_dir() -> Path:
    """Where ``axlib data fetch embedded`` unpacks the embedded data of this version."""
    from axlib import __version__
    return _cache_root() / "embedded" / __version__ / "data"


def repo_data_dir() -> Path:
    """The embedded data folder (see the module docstring for the order it is looked for in)."""
    override = os.environ.get("AXLIB_EMBEDDED")
    if override:
        return Path(override).expanduser()
    for candidate in (REPO_ROOT / "data", fetched_data_dir()):
        if (candidate / "MANIFEST.json").is_file():
            return candidate
    return REPO_ROOT / "data"


def missing_embedded_message() -> str:
    """Where the embedded data was looked for, and how to get it."""
    override = os.environ.get("AXLIB_EMBEDDED")
    places = ([f"$AXLIB_EMBEDDED = {override}"] if override else
              [f"{REPO_ROOT / 'data'} (beside the package)", f"{fetched_data_dir()} (fetched)"])
    return ("the embedded data (its MANIFEST.json) was not found; looked in " + " and ".join(places)
            + ". Run `axlib data fetch embedded` to download it, or set AXLIB_EMBEDDED to a copy of the "
              "repository's data/ folder")


def cache_dir() -> Path:
    """Download cache: ``$AXLIB_DATA`` if set, else ``~/.cache/axlib``. Created on demand."""
    root = Path(os.environ.get("AXLIB_DATA", Path.home() / ".cache" / "axlib")).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    return root


def shared_data_dir() -> Path | None:
    """``../shared/data`` next to the repository when present (development machines), else None."""
    candidate = REPO_ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None
