"""ILSVRC2012 validation images and their bounding boxes, from a local copy (the paper profile).

ImageNet cannot be downloaded without an account, so ``$AXLIB_IMAGENET`` names a folder holding
a copy obtained from image-net.org, in either form:

- the official archives: ``ILSVRC2012_img_val.tar`` (50,000 JPEGs; its md5
  ``29b22e2961454d5413ddabcf34fc5622`` is the one torchvision's ImageNet data set records) and
  ``ILSVRC2012_bbox_val_v3.tgz`` (50,000 PASCAL VOC XML files under ``val/``; no checksum is
  published, so its sha256 is pinned in the cache on the first extraction whose contents check
  out, and another file is refused later). Each archive is verified, then extracted once into
  ``<cache>/imagenet-val/`` through a temporary folder renamed into place when complete, so a
  half-extracted copy is never used.
- already extracted: any folders below it holding ``ILSVRC2012_val_00000001.JPEG`` ... and
  ``ILSVRC2012_val_00000001.xml`` ... (used where they are, not copied).

:func:`imagenet_val_dirs` returns ``(images_dir, boxes_dir)`` for
:func:`axlib.data.boxes.imagenet_localisation` / :func:`axlib.data.boxes.imagenet_cl`, which
apply the robust study's filter (one box, at most 50 % of the image) and its ImageNet-CL subset.
:func:`validation_images` is the whole split as a sequence loaded on demand (position i is
``ILSVRC2012_val_{i+1:08d}``, its label read from its box file): what EXIAA's ImageNet grid
draws its originals and attack images from, a few files at a time.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import tarfile
from pathlib import Path

import numpy as np
import torch

from axlib._util.paths import cache_dir

__all__ = ["ENV", "IMAGES_ARCHIVE", "BOXES_ARCHIVE", "VALIDATION_IMAGES", "imagenet_val_dirs", "status",
           "ValidationImages", "validation_images", "random_images"]

ENV = "AXLIB_IMAGENET"
IMAGES_ARCHIVE = ("ILSVRC2012_img_val.tar", "29b22e2961454d5413ddabcf34fc5622")
"""The validation images' archive and its official md5 (torchvision.datasets.imagenet.ARCHIVE_META)."""
BOXES_ARCHIVE = ("ILSVRC2012_bbox_val_v3.tgz", None)
"""The validation boxes' archive; no published checksum (pinned on first verified extraction)."""
VALIDATION_IMAGES = 50_000
_FIRST_IMAGE, _FIRST_BOX = "ILSVRC2012_val_00000001.JPEG", "ILSVRC2012_val_00000001.xml"


def _root(root=None) -> Path:
    from axlib.data.registry import DataUnavailableError

    value = root if root is not None else os.environ.get(ENV)
    if not value:
        raise DataUnavailableError(
            f"ImageNet validation: ${ENV} is not set. Download {IMAGES_ARCHIVE[0]} and {BOXES_ARCHIVE[0]} from "
            f"https://image-net.org (an account is needed), put them in one folder and set {ENV} to it")
    path = Path(value).expanduser()
    if not path.is_dir():
        raise DataUnavailableError(f"ImageNet validation: {ENV}={path} is not a folder")
    return path


def _digest(path: Path, algorithm: str) -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _state_file() -> Path:
    return cache_dir() / "imagenet-val" / "verified.json"


def _state() -> dict:
    return json.loads(_state_file().read_text()) if _state_file().is_file() else {}


def _save_state(state: dict) -> None:
    _state_file().parent.mkdir(parents=True, exist_ok=True)
    _state_file().write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")


def _extract(archive: Path, expected_md5: str | None, target: Path, first: str, count: int) -> Path:
    """Verify ``archive`` and extract it once to ``target``; return the folder holding ``first``.

    md5 against ``expected_md5`` when given; else the sha256 pinned for this archive name on a
    previous extraction (none yet: pinned now, once the contents are checked). The contents
    must hold ``count`` files like ``first`` (regular files only: links and absolute or ``..``
    paths are refused). Raises ChecksumError or ValueError, leaving nothing extracted.
    """
    from axlib.data.registry import ChecksumError

    state = _state()
    done = state.get(archive.name)
    stat = archive.stat()
    if done and done.get("size") == stat.st_size and (target / done["folder"]).is_dir():
        return target / done["folder"]
    if expected_md5 is not None:
        found = _digest(archive, "md5")
        if found != expected_md5:
            raise ChecksumError(f"{archive} has md5 {found}, the official {archive.name} has {expected_md5}: "
                                "the file was not used (a partial download, or another file)")
    digest = _digest(archive, "sha256")
    pinned = (state.get("pins") or {}).get(archive.name)
    if pinned is not None and pinned != digest:
        raise ChecksumError(f"{archive} has sha256 {digest}, but {pinned} was pinned in {_state_file()} when "
                            f"{archive.name} was first extracted here: the file was not used")
    partial = target.with_name(target.name + ".part")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    suffix = Path(first).suffix
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.name.endswith(suffix)]
        unsafe = [m.name for m in members if not m.isfile() or m.name.startswith("/") or ".." in Path(m.name).parts]
        if unsafe:
            raise ValueError(f"{archive}: refusing unsafe members {unsafe[:3]}")
        if len(members) != count:
            raise ValueError(f"{archive}: {len(members)} {suffix} files, the official archive has {count}")
        tar.extractall(partial, members=members, filter="data")
    folder = next((p.parent for p in partial.rglob(first)), None)
    if folder is None:
        shutil.rmtree(partial)
        raise ValueError(f"{archive}: no {first} inside")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(partial, target)
    state = _state()
    state[archive.name] = {"size": stat.st_size, "folder": folder.relative_to(partial).as_posix()}
    if expected_md5 is None:
        state.setdefault("pins", {})[archive.name] = digest
    _save_state(state)
    return target / state[archive.name]["folder"]


def _find(root: Path, first: str) -> Path | None:
    return next((p.parent for p in root.rglob(first)), None)


def imagenet_val_dirs(root=None) -> tuple[Path, Path]:
    """``(images_dir, boxes_dir)`` of the local ILSVRC2012 validation copy (see the module docstring).

    root: the folder (None: ``$AXLIB_IMAGENET``). Raises DataUnavailableError (a
    FileNotFoundError) naming what is missing and how to get it; ChecksumError for an archive
    that fails verification.
    """
    from axlib.data.registry import DataUnavailableError

    root = _root(root)
    found = []
    for (name, md5), first in ((IMAGES_ARCHIVE, _FIRST_IMAGE), (BOXES_ARCHIVE, _FIRST_BOX)):
        archive = root / name
        if archive.is_file():
            kind = "images" if first == _FIRST_IMAGE else "boxes"
            found.append(_extract(archive, md5, cache_dir() / "imagenet-val" / kind, first, VALIDATION_IMAGES))
            continue
        folder = _find(root, first)
        if folder is None:
            raise DataUnavailableError(f"ImageNet validation: neither {name} nor a folder holding {first} "
                                       f"under {ENV}={root}")
        found.append(folder)
    return found[0], found[1]


def status(root=None) -> str:
    """"present" when :func:`imagenet_val_dirs` would find both parts (archives not verified
    here), else "missing"."""
    try:
        root = _root(root)
    except FileNotFoundError:
        return "missing"
    parts = [(root / name).is_file() or _find(root, first) is not None
             for (name, _), first in ((IMAGES_ARCHIVE, _FIRST_IMAGE), (BOXES_ARCHIVE, _FIRST_BOX))]
    return "present" if all(parts) else "missing"


class ValidationImages:
    """The validation split as a sequence loaded on demand, in file-name order.

    files: the N JPEG paths (position i: ``ILSVRC2012_val_{i+1:08d}.JPEG`` in the full split);
    labels: (N,) int64, the index in :data:`axlib.data.imagenet.IMAGENET_WNIDS` of the WordNet id
    of each image's box file (every object of a validation image is of its one class).
    ``images[index]`` (a position list or LongTensor) decodes and preprocesses only those files:
    (len(index), 3, 224, 224) float32 in [0, 1] (:func:`axlib.data.imagenet.preprocess`), so an
    :func:`axlib.papers.exiaa.grid.image_set` over it loads a shard's images, not the split.
    """

    def __init__(self, files, labels) -> None:
        self.files = tuple(files)
        self.labels = torch.as_tensor(labels, dtype=torch.int64)
        if self.labels.shape != (len(self.files),):
            raise ValueError(f"labels must have shape ({len(self.files)},), got {tuple(self.labels.shape)}")

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index) -> torch.Tensor:
        from PIL import Image

        from axlib.data.imagenet import preprocess

        positions = np.asarray(torch.as_tensor(index).reshape(-1), dtype=np.int64)
        if positions.size and (positions.min() < 0 or positions.max() >= len(self)):
            raise IndexError(f"index must hold positions in [0, {len(self) - 1}], got {positions.min()}..{positions.max()}")
        images = []
        for i in positions:
            with Image.open(self.files[i]) as image:
                images.append(preprocess(image))
        return torch.stack(images) if images else torch.empty(0, 3, 224, 224)


@functools.lru_cache(maxsize=2)
def validation_images(root: str | None = None) -> ValidationImages:
    """Every validation image of the local copy (:func:`imagenet_val_dirs`), loaded on demand,
    with its label from its box file. Cached per process (a worker reads the 50,000 box files
    once, about 10 s). Raises FileNotFoundError when an image has no box file, ValueError for
    a box file whose WordNet id is not an ILSVRC2012 class."""
    from axlib.data.boxes import read_box_xml
    from axlib.data.imagenet import IMAGENET_WNIDS

    images_dir, boxes_dir = imagenet_val_dirs(root)
    files = sorted((p for p in images_dir.rglob("ILSVRC2012_val_*") if p.suffix.upper() == ".JPEG"),
                   key=lambda p: p.name)
    xml = {p.stem: p for p in boxes_dir.rglob("ILSVRC2012_val_*.xml")}
    index = {w: i for i, w in enumerate(IMAGENET_WNIDS)}
    labels = []
    for path in files:
        if path.stem not in xml:
            raise FileNotFoundError(f"{path.name} has no box file {path.stem}.xml under {boxes_dir}: its label is unknown")
        objects = read_box_xml(xml[path.stem]).objects
        if not objects:
            raise ValueError(f"{xml[path.stem]}: no <object>, so no label")
        wnid = objects[0][0]
        if wnid not in index:
            raise ValueError(f"{xml[path.stem]}: {wnid!r} is not one of the 1,000 ILSVRC2012 wnids")
        labels.append(index[wnid])
    return ValidationImages(files, labels)


def random_images(n: int, seed: int = 0, root: str | None = None):
    """``n`` random images of the validation split (:func:`validation_images`), drawn without
    replacement with ``numpy.random.default_rng(seed)`` and kept in file-name order.
    Returns (x (n, 3, 224, 224) in [0, 1], y (n,) labels from the box files, the 1,000 class
    names). Raises ValueError when n is not in [1, the split's size]."""
    from axlib._util.checks import check_int
    from axlib.data.imagenet import IMAGENET_CLASSES

    split = validation_images(root)
    n = check_int("n", n, low=1, high=len(split))
    positions = np.sort(np.random.default_rng(check_int("seed", seed, low=0)).choice(len(split), n, replace=False))
    return split[positions], split.labels[positions], IMAGENET_CLASSES
