"""ILSVRC2012 training images from a local copy: the data of the recipes that train the robust
study's four models no upstream publishes (``axlib train imagenet-alexnet-robust`` and others,
:mod:`axlib.models.registry`).

ImageNet cannot be downloaded without an account, so ``$AXLIB_IMAGENET`` (the folder of the
validation copy, :mod:`axlib.data.imagenet_val`) holds a copy from image-net.org in either form:

- the official ``ILSVRC2012_img_train.tar`` (about 138 GB: 1,000 tar files ``<wnid>.tar``, one
  per class, of ``<wnid>_<n>.JPEG``; md5 ``1d675b47d978889d74fa0da5fadfb00e``, the one
  torchvision's ImageNet data set records). It is read in place, never extracted (that would
  take another 138 GB): its md5 is checked once and remembered by size, modification time and
  inode, and an index of every JPEG's byte offset and length in the outer file, built once from
  the tar headers, is cached in ``<cache>/imagenet-train/``. The index must hold the official
  1,281,167 images of 1,000 classes.
- an extracted training folder, ``<wnid>/<wnid>_<n>.JPEG`` for the 1,000 classes (torchvision's
  ImageFolder layout), anywhere below it. No checksum covers extracted files; every class
  folder must be an ILSVRC2012 WordNet id.

Labels are positions in :data:`axlib.data.imagenet.IMAGENET_WNIDS` (sorted WordNet ids: the
order of torchvision's and the validation path's labels).

:class:`TrainingImages` is the split as a map-style data set with the standard ImageNet training
augmentation: an Inception-style random-resized crop (area 8-100 % of the image, aspect ratio
3/4 to 4/3, the same draws as torchvision's ``RandomResizedCrop.get_params``) resized to 224 x 224
(bilinear), then a horizontal flip with probability 0.5. The draws of image ``i`` in epoch ``e``
come from a generator seeded with ``(seed, e, i)``, so an epoch is the same whatever the number
of loader workers.
"""
from __future__ import annotations

import functools
import io
import json
import math
import os
import tarfile
from pathlib import Path

import numpy as np
import torch

from axlib._util.paths import cache_dir

__all__ = ["TRAIN_ARCHIVE", "TRAIN_IMAGES", "TrainingImages", "training_images", "status",
           "random_resized_crop_params"]

TRAIN_ARCHIVE = ("ILSVRC2012_img_train.tar", "1d675b47d978889d74fa0da5fadfb00e")
"""The training images' archive and its official md5 (torchvision.datasets.imagenet.ARCHIVE_META)."""
TRAIN_IMAGES = 1_281_167
"""Images in the official training split (732 to 1,300 of each class)."""
TRAIN_CLASSES = 1000
CROP = 224
SCALE = (0.08, 1.0)
RATIO = (3.0 / 4.0, 4.0 / 3.0)


def _state_file() -> Path:
    return cache_dir() / "imagenet-train" / "verified.json"


def _stamp(path: Path) -> dict:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "inode": stat.st_ino}


def _verify_archive(archive: Path) -> None:
    """Check the archive's md5 once; later calls trust the stamp (size, mtime, inode).
    Raises ChecksumError naming the file and both digests."""
    from axlib.data.imagenet_val import _digest
    from axlib.data.registry import ChecksumError

    state = json.loads(_state_file().read_text()) if _state_file().is_file() else {}
    if state.get(archive.name) == _stamp(archive):
        return
    print(f"checking the md5 of {archive} once (about 20 minutes for the official 138 GB)", flush=True)
    found = _digest(archive, "md5")
    if found != TRAIN_ARCHIVE[1]:
        raise ChecksumError(f"{archive} has md5 {found}, the official {archive.name} has {TRAIN_ARCHIVE[1]}: "
                            "the file was not used (a partial download, or another file)")
    state[archive.name] = _stamp(archive)
    _state_file().parent.mkdir(parents=True, exist_ok=True)
    _state_file().write_text(json.dumps(state, indent=1, sort_keys=True) + "\n")


def _label_of_wnid(wnid: str, where: str) -> int:
    from axlib.data.imagenet import _WNID_INDEX

    if wnid not in _WNID_INDEX:
        raise ValueError(f"{where}: {wnid!r} is not one of the 1,000 ILSVRC2012 wnids")
    return _WNID_INDEX[wnid]


def _archive_index(archive: Path) -> dict[str, np.ndarray]:
    """offsets, sizes (int64 bytes in the outer file) and labels (int64) of every JPEG of the
    official archive, sorted by class then file name; cached per archive stamp."""
    stamp = _stamp(archive)
    cached = cache_dir() / "imagenet-train" / f"index-{stamp['size']}-{stamp['mtime_ns']}-{stamp['inode']}.npz"
    if cached.is_file():
        with np.load(cached) as saved:
            return {k: saved[k] for k in ("offsets", "sizes", "labels")}
    rows = []
    with tarfile.open(archive, "r:") as outer:
        for member in outer:
            if not member.isfile() or not member.name.endswith(".tar"):
                continue
            label = _label_of_wnid(Path(member.name).stem, f"{archive.name}/{member.name}")
            with tarfile.open(fileobj=outer.extractfile(member), mode="r:") as inner:
                rows += [(label, jpeg.name, member.offset_data + jpeg.offset_data, jpeg.size)
                         for jpeg in inner if jpeg.isfile() and jpeg.name.upper().endswith(".JPEG")]
    rows.sort(key=lambda row: (row[0], row[1]))
    index = {"offsets": np.array([r[2] for r in rows], dtype=np.int64),
             "sizes": np.array([r[3] for r in rows], dtype=np.int64),
             "labels": np.array([r[0] for r in rows], dtype=np.int64)}
    classes = len(np.unique(index["labels"]))
    if len(rows) != TRAIN_IMAGES or classes != TRAIN_CLASSES:
        raise ValueError(f"{archive}: {len(rows)} JPEGs of {classes} classes, the official archive has "
                         f"{TRAIN_IMAGES} of {TRAIN_CLASSES}")
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(cached.stem + ".part.npz")
    np.savez(partial, **index)
    os.replace(partial, cached)
    return index


def _find_folder(root: Path) -> Path | None:
    """The folder below ``root`` whose sub-folders are class folders: the parent of the first
    folder named by the first wnid that holds JPEGs (not, say, the training boxes' XML folders)."""
    from axlib.data.imagenet import IMAGENET_WNIDS

    return next((p.parent for p in root.rglob(IMAGENET_WNIDS[0])
                 if p.is_dir() and next(p.glob("*.JPEG"), None) is not None), None)


def random_resized_crop_params(height: int, width: int, generator: torch.Generator, *,
                               scale: tuple[float, float] = SCALE,
                               ratio: tuple[float, float] = RATIO) -> tuple[int, int, int, int]:
    """(top, left, crop height, crop width) of an Inception-style random crop of an image of
    ``height`` x ``width`` pixels: up to 10 draws of an area fraction in ``scale`` and a
    log-uniform aspect ratio in ``ratio`` until the crop fits, else the central crop clamped to
    ``ratio``. The same draws, in the same order, as torchvision's
    ``RandomResizedCrop.get_params`` (which uses the global generator) make from ``generator``.
    Raises ValueError for a side below 1."""
    from axlib._util.checks import check_int

    height, width = check_int("height", height, low=1), check_int("width", width, low=1)
    area = height * width
    log_ratio = torch.log(torch.tensor(ratio))
    for _ in range(10):
        target_area = area * torch.empty(1).uniform_(scale[0], scale[1], generator=generator).item()
        aspect = math.exp(torch.empty(1).uniform_(log_ratio[0].item(), log_ratio[1].item(), generator=generator).item())
        w = int(round(math.sqrt(target_area * aspect)))
        h = int(round(math.sqrt(target_area / aspect)))
        if 0 < w <= width and 0 < h <= height:
            top = int(torch.randint(0, height - h + 1, size=(1,), generator=generator).item())
            left = int(torch.randint(0, width - w + 1, size=(1,), generator=generator).item())
            return top, left, h, w
    in_ratio = width / height
    if in_ratio < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        h, w = height, int(round(height * max(ratio)))
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


class TrainingImages(torch.utils.data.Dataset):
    """The training split, decoded and augmented on demand (see the module docstring).

    Built by :func:`training_images`. ``images[i]`` is (image (3, 224, 224) uint8, label int):
    uint8 so loader workers pass a quarter of the bytes; :class:`axlib.models.train.LoaderBatches`
    makes floats in [0, 1]. ``labels``: (N,) int64. :meth:`set_epoch` chooses the epoch whose
    draws ``images[i]`` makes.
    """

    def __init__(self, labels, *, files=None, archive: Path | None = None, offsets=None, sizes=None,
                 seed: int = 0) -> None:
        self.labels = torch.as_tensor(labels, dtype=torch.int64)
        self.files, self.archive, self.offsets, self.sizes = files, archive, offsets, sizes
        self.seed, self.epoch = seed, 0
        self._open = None                                      # (process id, archive file) once read

    def __getstate__(self) -> dict:                            # loader workers open their own file
        return dict(self.__dict__, _open=None)

    def __len__(self) -> int:
        return len(self.labels)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def _bytes(self, i: int) -> bytes:
        if self.files is not None:
            return Path(self.files[i]).read_bytes()
        if self._open is None or self._open[0] != os.getpid():
            self._open = (os.getpid(), open(self.archive, "rb"))  # noqa: SIM115 - kept open for the process
        handle = self._open[1]
        handle.seek(int(self.offsets[i]))
        return handle.read(int(self.sizes[i]))

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        from PIL import Image

        if not 0 <= i < len(self):
            raise IndexError(f"i must be in [0, {len(self) - 1}], got {i}")
        seed = int(np.random.SeedSequence([self.seed, self.epoch, int(i)]).generate_state(1)[0])
        generator = torch.Generator().manual_seed(seed)
        with Image.open(io.BytesIO(self._bytes(i))) as image:
            image = image.convert("RGB")
            top, left, h, w = random_resized_crop_params(image.height, image.width, generator)
            crop = image.resize((CROP, CROP), Image.Resampling.BILINEAR, box=(left, top, left + w, top + h))
        x = torch.from_numpy(np.array(crop, dtype=np.uint8)).permute(2, 0, 1)
        if torch.rand(1, generator=generator).item() < 0.5:
            x = x.flip(-1)
        return x.contiguous(), int(self.labels[i])


@functools.lru_cache(maxsize=2)
def training_images(root: str | None = None, seed: int = 0) -> TrainingImages:
    """The local training copy (see the module docstring) as a :class:`TrainingImages`.

    root: the folder (None: ``$AXLIB_IMAGENET``); seed: integer >= 0 of the augmentation draws.
    Raises DataUnavailableError (a FileNotFoundError) saying what is missing and how to get it,
    ChecksumError for an archive that fails its md5, ValueError for an archive or folder that is
    not the ILSVRC2012 training split.
    """
    from axlib._util.checks import check_int
    from axlib.data.imagenet_val import ENV, _root
    from axlib.data.registry import DataUnavailableError

    seed = check_int("seed", seed, low=0)
    root = _root(root)
    archive = root / TRAIN_ARCHIVE[0]
    if archive.is_file():
        _verify_archive(archive)
        index = _archive_index(archive)
        return TrainingImages(index["labels"], archive=archive, offsets=index["offsets"], sizes=index["sizes"],
                              seed=seed)
    folder = _find_folder(root)
    if folder is None:
        raise DataUnavailableError(
            f"ImageNet training: neither {TRAIN_ARCHIVE[0]} nor a folder of class folders (n01440764/ ...) under "
            f"{ENV}={root}. Download {TRAIN_ARCHIVE[0]} from https://image-net.org (an account is needed) into it")
    files, labels = [], []
    for class_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        label = _label_of_wnid(class_dir.name, str(class_dir))
        jpegs = sorted(p for p in class_dir.iterdir() if p.suffix.upper() == ".JPEG")
        files += jpegs
        labels += [label] * len(jpegs)
    return TrainingImages(labels, files=tuple(files), seed=seed)


def status(root=None) -> str:
    """"present" when :func:`training_images` would find the archive or a class folder (not
    verified here), else "missing"."""
    from axlib.data.imagenet_val import _root

    try:
        root = _root(root)
    except FileNotFoundError:
        return "missing"
    return "present" if (root / TRAIN_ARCHIVE[0]).is_file() or _find_folder(root) is not None else "missing"
