"""ImageNet sample images: one photograph per class, class names, and the standard preprocessing.

Labels follow the standard ImageNet-1k index order: the index of an image's WordNet id in the
sorted list of the 1,000 ids (``data/imagenet/wnids.txt``), which is the order of the class
names in ``data/imagenet/words.txt`` and of every torchvision ImageNet classifier's outputs.

Two sources, both returning ``(x, y, classes)`` with x float32 (N, 3, 224, 224) in [0, 1],
y int64 (N,), classes the 1,000 short class names:

- ``"embedded"``: 250 of the images, shipped in ``data/imagenet/samples`` (every 4th file in
  sorted order, so spread over the whole class list);
- ``"full"``: all 1,000, from the data registry (``imagenet-samples``), downloaded on request.

The images come from the public collection EliSchwartz/imagenet-sample-images (one image per
class, taken from ImageNet); ImageNet's terms of access apply: non-commercial research use.
It is an evaluation set with one image per class, not the ImageNet validation split.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torchvision.transforms.functional as TF
from PIL import Image

from axlib._util.checks import check_int
from axlib._util.paths import repo_data_dir, shared_data_dir

EMBEDDED_DIR = "imagenet/samples"
RESIZE = 256
CROP = 224
SOURCES = ("embedded", "full")


def _read_lines(name: str) -> tuple[str, ...]:
    from axlib.data.manifest import verified

    text = verified(repo_data_dir() / "imagenet" / name).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


#: The 1,000 WordNet ids in sorted order: label i is IMAGENET_WNIDS[i].
IMAGENET_WNIDS: tuple[str, ...] = _read_lines("wnids.txt")
#: Full synonym lists per class (``"tench, Tinca tinca"``), in label order (words.txt).
IMAGENET_WORDS: tuple[str, ...] = _read_lines("words.txt")
#: Short class names (first synonym, ``"tench"``), in label order. Not unique: "crane" and
#: "maillot" each name two classes.
IMAGENET_CLASSES: tuple[str, ...] = tuple(words.split(",")[0].strip() for words in IMAGENET_WORDS)
_WNID_INDEX = {wnid: i for i, wnid in enumerate(IMAGENET_WNIDS)}


def label_of(path) -> int:
    """Class index of a sample file named ``<wnid>_<name>.JPEG``. Raises ValueError if unknown."""
    wnid = Path(path).name.split("_", 1)[0]
    if wnid not in _WNID_INDEX:
        raise ValueError(f"{Path(path).name!r} does not start with one of the 1,000 ImageNet wnids")
    return _WNID_INDEX[wnid]


def preprocess(image, *, resize: int = RESIZE, crop: int = CROP) -> torch.Tensor:
    """Standard ImageNet evaluation preprocessing, without normalisation (the model does it).

    image: a PIL image (any mode; converted to RGB) or an (H, W, 3) / (H, W) uint8 array
    such as ``skimage.data.chelsea()``. Resizes the shorter side to ``resize`` (bilinear,
    antialiased), then crops the central ``crop`` x ``crop`` square.
    Returns a float32 tensor (3, crop, crop) in [0, 1].
    Raises ValueError if crop > resize or the array is not uint8 HxW or HxWx3.
    """
    if crop > resize:
        raise ValueError(f"crop must not exceed resize, got crop={crop}, resize={resize}")
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
            raise ValueError(f"image array must be uint8 (H, W) or (H, W, 3|4), got {image.dtype} {image.shape}")
        image = Image.fromarray(image)
    pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
    x = torch.from_numpy(pixels.copy()).permute(2, 0, 1).float().div_(255.0)
    x = TF.resize(x, resize, interpolation=TF.InterpolationMode.BILINEAR, antialias=True)
    return TF.center_crop(x, [crop, crop]).clamp_(0.0, 1.0).contiguous()


def load_images(paths) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode and preprocess sample files: x (N, 3, 224, 224) in [0, 1], y (N,) int64 labels."""
    paths = list(paths)
    if not paths:
        return torch.empty(0, 3, CROP, CROP), torch.empty(0, dtype=torch.int64)
    images = []
    for path in paths:
        with Image.open(path) as image:
            images.append(preprocess(image))
    return torch.stack(images), torch.tensor([label_of(p) for p in paths], dtype=torch.int64)


def _files_in(folder: Path) -> list[Path]:
    return sorted((p for p in folder.rglob("*") if p.suffix.lower() in (".jpeg", ".jpg")
                   and p.name.split("_", 1)[0] in _WNID_INDEX), key=lambda p: p.name)


def _full_dir() -> Path:
    """The folder of all 1,000 sample images: the registry's copy, else ../shared/data (dev)."""
    from axlib.data import registry

    try:
        return Path(registry.fetch("imagenet-samples"))
    except OSError:
        shared = shared_data_dir()
        if shared is not None and (shared / "imagenet-samples").is_dir():
            return shared / "imagenet-samples"
        raise


def sample_paths(n: int | None = None, source: str = "embedded") -> list[Path]:
    """Paths of the sample images, class-ordered and evenly spread over the classes.

    n: how many (None: all, 250 embedded or 1,000 full); a smaller n takes files
    ``floor(i * N / n)`` for i < n of the N sorted files, so it still spans the class list.
    Raises ValueError for an unknown source or n outside [1, N].
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    folder = repo_data_dir() / EMBEDDED_DIR if source == "embedded" else _full_dir()
    files = _files_in(folder)
    total = len(files)
    if total == 0:
        raise FileNotFoundError(f"no ImageNet sample images in {folder}")
    if n is None:
        n = total
    n = check_int("n", n, 1, total)
    return [files[(i * total) // n] for i in range(n)]


def imagenet_samples(n: int | None = None, source: str = "embedded"):
    """ImageNet sample images, one per class, preprocessed for a 224x224 classifier.

    n: how many images (None: all; see :func:`sample_paths` for which);
    source: ``"embedded"`` (250 shipped images, offline) or ``"full"`` (all 1,000, fetched
    through the data registry on first use).
    Returns x float32 (n, 3, 224, 224) in [0, 1], y int64 (n,) in [0, 1000), and
    IMAGENET_CLASSES (the 1,000 names in label order).
    Raises ValueError when n or source is invalid.
    """
    paths = sample_paths(n, source)
    if source == "embedded":
        from axlib.data.manifest import verified

        paths = [verified(p) for p in paths]
    x, y = load_images(paths)
    return x, y, IMAGENET_CLASSES


IMAGE_SOURCES = ("samples", "val")
"""Where a page's ImageNet images come from: the sample images (one per class) or the validation split."""


def imagenet_images(n: int, source: str = "samples"):
    """``n`` labelled ImageNet images for a 224-pixel classifier, from ``source``.

    ``"samples"``: the sample images, one per class (:func:`imagenet_samples`: the 250 embedded
    when n <= 250, else the 1,000 downloaded; spread over the classes); ``"val"``: n random
    images of the ILSVRC2012 validation split of a local copy
    (:func:`axlib.data.imagenet_val.random_images`: the paper profile's, as AXAI's "random
    subset of the ImageNet test data set" is read here).
    Returns (x (n, 3, 224, 224) in [0, 1], y (n,), the 1,000 class names).
    Raises ValueError for another source or a bad n.
    """
    if source not in IMAGE_SOURCES:
        raise ValueError(f"source must be one of {IMAGE_SOURCES}, got {source!r}")
    if source == "val":
        from axlib.data.imagenet_val import random_images
        return random_images(n)
    n = check_int("n", n, low=1)
    return imagenet_samples(n, source="embedded" if n <= len(sample_paths(None, "embedded")) else "full")
