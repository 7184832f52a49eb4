"""CIFAR-10 loaders: the embedded test subset, the official python tarball, the JPEG copy; and
CIFAR-100 from its official python tarball (AXAI's VGG16 column, the paper profile).

Every loader returns ``(x, y, classes)``: x float32 (N, 3, 32, 32) in [0, 1], y int64 (N,),
classes the class names in label order (CIFAR-100: its 100 fine labels).
"""
from __future__ import annotations

import io
import os
import pickle
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from axlib._util.checks import check_int
from axlib._util.paths import repo_data_dir, shared_data_dir

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
EMBEDDED_SUBSET = "cifar10/cifar10-test-subset.npz"


def to_tensor(images_uint8: np.ndarray) -> torch.Tensor:
    """(N, H, W, 3) uint8 -> (N, 3, H, W) float32 in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images_uint8)).permute(0, 3, 1, 2).float() / 255.0


def cifar10_test(n: int | None = None, *, balanced: bool = True):
    """The embedded, class-balanced CIFAR-10 test subset shipped in ``data/``.

    n: how many images (None: all 2,000); with ``balanced`` the first n/10 of each class,
    interleaved by class. Pixels come from a JPEG re-encoding of CIFAR-10 (see data/README.md).
    Raises ValueError when n is not an integer in [1, 2000].
    """
    from axlib.data.manifest import verified

    archive = np.load(verified(repo_data_dir() / EMBEDDED_SUBSET))
    x, y = archive["x"], archive["y"].astype(np.int64)
    total = len(y)
    if n is None:
        n = total
    n = check_int("n", n, 1, total)
    order = _class_interleaved(y) if balanced else np.arange(total)
    keep = order[:n]
    return to_tensor(x[keep]), torch.from_numpy(y[keep]), CIFAR10_CLASSES


def _class_interleaved(y: np.ndarray) -> np.ndarray:
    """Indices ordering the set as class 0, 1, ..., 9, 0, 1, ... (stable within a class)."""
    per_class = [np.flatnonzero(y == c) for c in range(10)]
    rank = np.empty_like(y)
    for members in per_class:
        rank[members] = np.arange(len(members))
    return np.lexsort((y, rank))


def cifar10(split: str = "test", source: str = "auto"):
    """The full CIFAR-10 split (50,000 train or 10,000 test images).

    source: ``"official"`` the python tarball from the registry (downloaded and verified on
    demand); ``"jpeg-zip"`` a zip of ``<split>/<class>/NNNN.jpg`` found at
    ``$AXLIB_CIFAR10_JPEG_ZIP`` or ``../shared/data/cifar10-jpeg.zip``; ``"auto"`` the official
    tarball when it is already in the cache, else the JPEG zip when present, else a download.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if source not in ("auto", "official", "jpeg-zip"):
        raise ValueError(f"source must be 'auto', 'official' or 'jpeg-zip', got {source!r}")
    from axlib.data import registry

    if source == "auto":
        zip_path = _jpeg_zip_path()
        if registry.is_cached("cifar10") or zip_path is None:
            source = "official"
        else:
            source = "jpeg-zip"
    if source == "official":
        x, y = read_python_tarball(registry.fetch("cifar10"), split)
    else:
        zip_path = _jpeg_zip_path()
        if zip_path is None:
            raise FileNotFoundError(
                "no CIFAR-10 JPEG zip: set AXLIB_CIFAR10_JPEG_ZIP or use source='official'")
        x, y = read_jpeg_zip(zip_path, split)
    return to_tensor(x), torch.from_numpy(y), CIFAR10_CLASSES


def _jpeg_zip_path() -> Path | None:
    env = os.environ.get("AXLIB_CIFAR10_JPEG_ZIP")
    if env:
        return Path(env)
    shared = shared_data_dir()
    if shared is not None and (shared / "cifar10-jpeg.zip").exists():
        return shared / "cifar10-jpeg.zip"
    return None


def read_jpeg_zip(path, split: str):
    """Decode ``<split>/<class>/*.jpg`` from a zip, sorted by class then file name.

    Returns x uint8 (N, 32, 32, 3), y int64 (N,), and keeps the file order deterministic.
    """
    with zipfile.ZipFile(path) as archive:
        names = sorted(n for n in archive.namelist()
                       if n.startswith(f"{split}/") and n.lower().endswith(".jpg"))
        images, labels = [], []
        for name in names:
            class_name = name.split("/")[1]
            labels.append(CIFAR10_CLASSES.index(class_name))
            with Image.open(io.BytesIO(archive.read(name))) as image:
                images.append(np.asarray(image.convert("RGB"), dtype=np.uint8))
    return np.stack(images), np.asarray(labels, dtype=np.int64)


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler for the official CIFAR batches: numpy arrays, lists and dicts only."""

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy", "ndarray"), ("numpy", "dtype")}

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a CIFAR batch")


def _batch_arrays(batch: dict, label_key: bytes) -> tuple[np.ndarray, np.ndarray]:
    """x uint8 (N, 32, 32, 3), y int64 (N,) of one unpickled python batch (rows: R, G, B planes)."""
    return (np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1),
            np.asarray(batch[label_key], dtype=np.int64))


def read_python_tarball(path, split: str):
    """Read the official ``cifar-10-python.tar.gz``: x uint8 (N, 32, 32, 3), y int64 (N,)."""
    members = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
    xs, ys = [], []
    with tarfile.open(path, "r:gz") as archive:
        for member in members:
            handle = archive.extractfile(f"cifar-10-batches-py/{member}")
            x, y = _batch_arrays(_ArrayUnpickler(handle, encoding="bytes").load(), b"labels")
            xs.append(x)
            ys.append(y)
    return np.concatenate(xs), np.concatenate(ys)


def read_cifar100_tarball(path, split: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Read the official ``cifar-100-python.tar.gz`` (members ``cifar-100-python/train``,
    ``test`` and ``meta``, python pickles of arrays, read without unpickling code): x uint8
    (N, 32, 32, 3), y int64 (N,) the fine labels, and the 100 fine label names."""
    with tarfile.open(path, "r:gz") as archive:
        batch = _ArrayUnpickler(archive.extractfile(f"cifar-100-python/{split}"), encoding="bytes").load()
        meta = _ArrayUnpickler(archive.extractfile("cifar-100-python/meta"), encoding="bytes").load()
    x, y = _batch_arrays(batch, b"fine_labels")
    return x, y, tuple(name.decode() for name in meta[b"fine_label_names"])


def cifar100(split: str = "test"):
    """The CIFAR-100 split (50,000 train or 10,000 test images, 100 fine classes) from the
    official python tarball (the registry's ``cifar100``: downloaded on demand, sha256-checked).
    Returns (x, y, classes). Raises ValueError for another split."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    from axlib.data import registry

    x, y, classes = read_cifar100_tarball(registry.fetch("cifar100"), split)
    return to_tensor(x), torch.from_numpy(y), classes
