"""The manifest of the embedded files in ``data/``: sha256, size, origin, licence, description.

``data/MANIFEST.json`` lists every file under ``data/`` (recursively), except the manifest
itself and anything inside a folder whose name ends in ``.work`` (scratch space of running
jobs, not shipped)::

    {"files": {"cifar10/cifar10-test-subset.npz": {"sha256": "...", "bytes": 5696938,
               "origin": "...", "licence": "...", "description": "..."}}}

Keys are paths relative to ``data/`` with ``/`` separators; the file is written with sorted
keys and ``indent=1``.

- ``verify()`` lists the problems (missing file, size or hash mismatch, file not in the
  manifest, entry without origin or licence); an empty list means ``data/`` is as recorded.
- ``add(relpath, origin=..., licence=..., description=...)`` hashes a file and writes its entry;
  scripts that add files to ``data/`` call it. Writes are atomic (temporary file + rename) and
  serialised by an exclusive lock, so concurrent callers do not lose each other's entries.
- ``entries()`` returns the recorded entries.
- ``verified(path)`` is what loaders call before reading an embedded file: it checks the file
  against its entry (size and sha256) the first time a process reads it, remembers the result
  by path, size, mtime and inode, and checks again when any of those change. A file that is
  not in the manifest, or differs from it, raises ValueError naming it.

Every function takes ``data_dir`` (default: the repository's ``data/``) so that tests can work
on a copy.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path

from axlib._util.paths import repo_data_dir

__all__ = ["MANIFEST_NAME", "REQUIRED_TEXT_FIELDS", "manifest_path", "entries", "verify", "add",
           "embedded_files", "verified"]

MANIFEST_NAME = "MANIFEST.json"
REQUIRED_TEXT_FIELDS = ("origin", "licence")
_CHUNK = 1 << 20


def _data_dir(data_dir) -> Path:
    return Path(data_dir) if data_dir is not None else repo_data_dir()


def manifest_path(data_dir=None) -> Path:
    """Path of ``MANIFEST.json`` in ``data_dir`` (default: the repository's ``data/``)."""
    return _data_dir(data_dir) / MANIFEST_NAME


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _load(data_dir) -> dict:
    path = manifest_path(data_dir)
    if not path.exists():
        return {"files": {}}
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        raise ValueError(f"{path}: expected an object with a 'files' object")
    return manifest


def entries(data_dir=None) -> dict[str, dict]:
    """The manifest's entries: relative path -> {sha256, bytes, origin, licence, description}."""
    return _load(data_dir)["files"]


def _excluded(relative: Path) -> bool:
    """The manifest itself, and anything inside a ``*.work`` folder."""
    if relative.as_posix() == MANIFEST_NAME:
        return True
    return any(part.endswith(".work") for part in relative.parts[:-1])


def embedded_files(data_dir=None) -> list[str]:
    """Every file under ``data_dir`` that the manifest must list, as sorted relative paths."""
    root = _data_dir(data_dir)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.endswith(".work"))
        for filename in filenames:
            relative = (Path(dirpath) / filename).relative_to(root)
            if not _excluded(relative):
                found.append(relative.as_posix())
    return sorted(found)


def _stamp(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


_MANIFESTS: dict[Path, tuple] = {}      # manifest path -> (stamp, entries)
_VERIFIED: dict[Path, tuple] = {}       # resolved file -> (stamp, sha256 it was verified against)


def verified(path, data_dir=None) -> Path:
    """``path``, a file under ``data_dir`` (default: the embedded ``data/``), once it matches
    its manifest entry; checked on the first read in this process and whenever its size,
    mtime or inode change.

    Raises FileNotFoundError when the file or the manifest is missing; ValueError naming the
    file when it is outside ``data_dir``, not in the manifest, or its size or sha256 differs
    from the manifest's.
    """
    if data_dir is None and not manifest_path().is_file():
        from axlib._util.paths import missing_embedded_message
        raise FileNotFoundError(missing_embedded_message())
    root = _data_dir(data_dir).resolve()
    path = Path(path)
    resolved = path.resolve()
    try:
        relative = resolved.relative_to(root).as_posix()
    except ValueError:
        raise ValueError(f"{path} is not inside the embedded data folder {root}") from None
    if not resolved.is_file():
        raise FileNotFoundError(f"embedded file {relative} not found in {root}")
    target = manifest_path(root)
    if not target.is_file():
        raise FileNotFoundError(f"{target} is missing: the embedded data cannot be verified")
    manifest_stamp = _stamp(target)
    if _MANIFESTS.get(target, (None,))[0] != manifest_stamp:
        _MANIFESTS[target] = (manifest_stamp, entries(root))
    entry = _MANIFESTS[target][1].get(relative)
    if not isinstance(entry, dict) or not entry.get("sha256"):
        raise ValueError(f"embedded file {relative} is not in {target}; only files it lists are read")
    stamp = _stamp(resolved)
    if _VERIFIED.get(resolved) == (stamp, entry["sha256"]):
        return path
    actual = _sha256(resolved) if stamp[0] == entry.get("bytes") else None
    if actual != entry["sha256"]:
        found = f"sha256 {actual}" if actual else f"{stamp[0]} bytes"
        expected = entry["sha256"] if actual else f"{entry.get('bytes')} bytes"
        raise ValueError(f"embedded file {relative} differs from {target.name}: {found}, expected {expected}; "
                         f"restore it (git checkout -- data/{relative}) and run `axlib data verify`")
    _VERIFIED[resolved] = (stamp, actual)
    return path


def verify(data_dir=None) -> list[str]:
    """Check ``data_dir`` against its manifest; return one line per problem ([] when clean)."""
    root = _data_dir(data_dir)
    try:
        recorded = entries(root)
    except (OSError, ValueError) as error:
        return [f"{manifest_path(root)}: unreadable manifest: {error}"]
    if not manifest_path(root).exists():
        return [f"{manifest_path(root)}: manifest missing"]
    problems = []
    for relpath in sorted(recorded):
        entry = recorded[relpath]
        if not isinstance(entry, dict):
            problems.append(f"{relpath}: manifest entry is not an object")
            continue
        for key in REQUIRED_TEXT_FIELDS:
            if not str(entry.get(key) or "").strip():
                problems.append(f"{relpath}: manifest entry lacks {key!r}")
        path = root / relpath
        if not path.resolve().is_relative_to(root.resolve()) or Path(relpath).is_absolute():
            problems.append(f"{relpath}: points outside {root}")
            continue
        if _excluded(Path(relpath)):
            problems.append(f"{relpath}: listed but excluded from the manifest (a *.work folder)")
        elif not path.is_file():
            problems.append(f"{relpath}: listed in the manifest but missing")
            continue
        size = path.stat().st_size
        if entry.get("bytes") != size:
            problems.append(f"{relpath}: size {size} bytes, manifest says {entry.get('bytes')}")
        actual = _sha256(path)
        if entry.get("sha256") != actual:
            problems.append(f"{relpath}: sha256 {actual}, manifest says {entry.get('sha256')}")
    for relpath in embedded_files(root):
        if relpath not in recorded:
            problems.append(f"{relpath}: file not in the manifest "
                            f"(add it with axlib.data.manifest.add)")
    return problems


@contextlib.contextmanager
def _locked(path: Path):
    """Exclusive inter-process lock for read-modify-write of ``path`` (a lock file in the
    temporary folder, through ``filelock``: POSIX and Windows alike)."""
    from filelock import FileLock

    key = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    with FileLock(Path(tempfile.gettempdir()) / f"axlib-manifest-{key}.lock"):
        yield


def _write(manifest: dict, path: Path) -> None:
    text = json.dumps(manifest, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    handle, tmp_name = tempfile.mkstemp(prefix=".MANIFEST.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    finally:
        Path(tmp_name).unlink(missing_ok=True)


def add(relpath, *, origin: str, licence: str, description: str, data_dir=None) -> dict:
    """Hash a file under ``data/`` and write (or replace) its manifest entry.

    relpath: path relative to ``data/`` (``"models/x.safetensors"``) or an absolute path inside
    it. origin, licence, description: non-empty text (where the bytes come from, under which
    terms, what they are). Returns the entry written.
    Raises ValueError for a path outside ``data/``, the manifest itself, a ``*.work`` path or
    an empty field; FileNotFoundError when the file does not exist.
    """
    root = _data_dir(data_dir).resolve()
    path = Path(relpath)
    path = (path if path.is_absolute() else root / path).resolve()
    try:
        relative = path.relative_to(root)
    except ValueError:
        raise ValueError(f"{relpath}: not inside {root}") from None
    if _excluded(relative):
        raise ValueError(f"{relative.as_posix()}: the manifest and *.work folders are not listed")
    for key, value in (("origin", origin), ("licence", licence), ("description", description)):
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{key} must be non-empty text, got {value!r}")
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path}")
    entry = {"sha256": _sha256(path), "bytes": path.stat().st_size,
             "origin": origin.strip(), "licence": licence.strip(), "description": description.strip()}
    target = manifest_path(root)
    with _locked(target):
        manifest = _load(root)
        manifest["files"][relative.as_posix()] = entry
        _write(manifest, target)
    return entry
