"""The embedded data as one verified archive, for installs without the repository's ``data/``.

A plain ``pip install`` puts the package in site-packages without ``data/`` (106 MB of CIFAR-10
and ImageNet samples, speech clips, sentences and model weights). ``axlib data fetch embedded``
downloads ``axlib-data-<version>.tar.gz`` from the release of this version in the repository
named by the package's metadata (``[project.urls] Repository`` in ``pyproject.toml``, the one
place holding it), checks its sha256 against :data:`RECORD_FILE`, unpacks it through a
temporary folder and checks every file against the unpacked ``MANIFEST.json``
(:func:`axlib.data.manifest.verify`) before it is moved to
:func:`axlib._util.paths.fetched_data_dir`, where :func:`axlib._util.paths.repo_data_dir` finds
it. Nothing half-unpacked or unverified is ever used.

:func:`build` writes that archive from a ``data/`` folder, deterministically (sorted members,
zero timestamps and owners, gzip without a name or time), so the same files give the same bytes;
``scripts/make_data_archive.py`` calls it at release time and records the digest.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
from pathlib import Path

from axlib._util.paths import fetched_data_dir

__all__ = ["RECORD_FILE", "archive_name", "record", "repository_url", "build", "fetch_embedded"]

RECORD_FILE = Path(__file__).with_name("embedded_archive.json")
"""{"version": ..., "sha256": ... or null (not released yet), "bytes": ...} of this version's archive."""


def archive_name(version: str) -> str:
    return f"axlib-data-{version}.tar.gz"


def record() -> dict:
    """The recorded digest and size of this version's archive (sha256 None: not released)."""
    return json.loads(RECORD_FILE.read_text())


def repository_url() -> str:
    """The repository URL of the installed package's metadata (pyproject's [project.urls])."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = metadata("axlib").get_all("Project-URL") or []
    except PackageNotFoundError:
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "repository":
            return url.strip()
    from axlib._util.paths import REPO_ROOT
    pyproject = REPO_ROOT / "pyproject.toml"          # a checkout installed before the URL was added
    if pyproject.is_file():
        import tomllib
        url = tomllib.loads(pyproject.read_text()).get("project", {}).get("urls", {}).get("Repository")
        if url:
            return url
    raise LookupError("the installed axlib has no Repository URL in its metadata (pyproject's [project.urls])")


def build(data_dir, out_file) -> dict:
    """Write ``data_dir``'s files (as the manifest lists them) to a deterministic tar.gz.

    Returns {"sha256", "bytes", "files"}. Raises ValueError when ``data_dir`` does not match its
    manifest (nothing unverified is archived).
    """
    from axlib.data import manifest

    data_dir, out_file = Path(data_dir), Path(out_file)
    problems = manifest.verify(data_dir)
    if problems:
        raise ValueError(f"{data_dir} does not match its manifest: {problems[:3]}")
    names = [manifest.MANIFEST_NAME, *manifest.embedded_files(data_dir)]
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in names:
            info = tar.gettarinfo(str(data_dir / name), arcname=f"data/{name}")
            info.mtime, info.uid, info.gid, info.uname, info.gname, info.mode = 0, 0, 0, "", "", 0o644
            with open(data_dir / name, "rb") as handle:
                tar.addfile(info, handle)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    with open(out_file, "wb") as handle, gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) as gz:
        gz.write(raw.getvalue())
    digest = hashlib.sha256(out_file.read_bytes()).hexdigest()
    return {"sha256": digest, "bytes": out_file.stat().st_size, "files": len(names)}


def fetch_embedded(*, url: str | None = None, progress: bool = True) -> Path:
    """Download, verify and unpack this version's embedded data; returns the data folder.

    url: the archive's address (None: the release of this version in the repository of the
    package's metadata). Raises DataUnavailableError when this version has no released archive
    or it cannot be downloaded; ChecksumError when the download or an unpacked file differs
    from its record.
    """
    from axlib import __version__
    from axlib.data import manifest
    from axlib.data.registry import ChecksumError, DataUnavailableError, _download

    target = fetched_data_dir()
    if (target / manifest.MANIFEST_NAME).is_file() and not manifest.verify(target):
        return target
    recorded = record()
    if recorded.get("sha256") is None or recorded.get("version") != __version__:
        raise DataUnavailableError(
            f"no embedded-data archive is recorded for axlib {__version__} (it is not released yet): set "
            "AXLIB_EMBEDDED to a copy of the repository's data/ folder, or install from a clone of the repository")
    url = url or f"{repository_url()}/releases/download/v{__version__}/{archive_name(__version__)}"
    download = target.parent / archive_name(__version__)
    _download(url, download, sha256=recorded["sha256"], dataset="embedded", expected_size=recorded.get("bytes"),
              progress=progress, label="embedded data")
    partial = target.parent / "unpacking.part"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    with tarfile.open(download) as tar:
        tar.extractall(partial, filter="data")
    problems = manifest.verify(partial / "data")
    if problems:
        shutil.rmtree(partial)
        raise ChecksumError(f"the embedded-data archive unpacked to files that differ from its manifest: {problems[:3]}")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(partial / "data", target)
    shutil.rmtree(partial)
    download.unlink()
    return target
