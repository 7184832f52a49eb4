"""COCO 2017 validation images with their object boxes (AXAI App. E.2's paper path, page 08).

The paper explains a YOLOv3 building detector on SpaceNet overhead imagery. SpaceNet is
distributed from an AWS S3 bucket (``s3://spacenet-dataset``, CC BY-SA 4.0) fetched with AWS's
own tools, not from a URL with a checksum, and the paper's trained detector is not public, so
the paper profile measures the same claim on the standard public detection benchmark with a
public detector (torchvision's COCO Faster R-CNN): the page names the change.

Files (the official ones, from ``images.cocodataset.org``):

- ``val2017.zip``: 5,000 JPEGs under ``val2017/``;
- ``annotations_trainval2017.zip``: ``annotations/instances_val2017.json`` (COCO's format:
  ``images`` with ``id``, ``file_name``, ``height``, ``width``; ``annotations`` with
  ``image_id``, ``category_id``, ``bbox`` = ``[x, y, width, height]`` in pixels, ``iscrowd``;
  ``categories`` with ``id`` and ``name``).

COCO publishes no checksum. The SHA-1 digests the GluonCV project records for these two archives
(its COCO preparation script and documentation table) are checked before an archive is used;
a verified archive gets a stamp (size, modification time, inode, digest) so it is not hashed
again until it changes. The archives are read in place (members on demand), never extracted.

Where they are looked for: ``$AXLIB_COCO`` (a folder holding the two zips), else
``<cache>/coco/`` (``$AXLIB_DATA`` or ``~/.cache/axlib``), where ``download=True`` puts them
(resumable, verified before use; about 1 GB).

Labels are COCO category ids (1-90, 80 used), the label space of torchvision's COCO
detectors, whose 91 category names (``"N/A"`` for unused ids) :func:`coco_val` returns.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from axlib._util.checks import check_int
from axlib._util.paths import cache_dir

__all__ = ["ENV", "ARCHIVES", "DetectionImages", "coco_val", "archive_paths", "verify_archive", "folder", "status"]

ENV = "AXLIB_COCO"
ARCHIVES = {
    "images": ("val2017.zip", "http://images.cocodataset.org/zips/val2017.zip",
               "4950dc9d00dbe1c933ee0170f5797584351d2a41", 778),
    "annotations": ("annotations_trainval2017.zip",
                    "http://images.cocodataset.org/annotations/annotations_trainval2017.zip",
                    "8551ee4bb5860311e79dace7e79cb91e432e78b3", 241),
}
"""{kind: (file name, official URL, SHA-1 as GluonCV records it, size in MB as GluonCV's table gives it)}."""
_ANNOTATIONS_MEMBER = "annotations/instances_val2017.json"
_IMAGES_FOLDER = "val2017/"
LABEL_SPACE = 91
"""torchvision's COCO label space: index = COCO category id, 0 is the background."""


@dataclass(frozen=True)
class DetectionImages:
    """Images with their objects: the interface of :class:`axlib.data.scenes.Scenes` for
    images of different sizes.

    x: N tensors (3, H_i, W_i) float32 in [0, 1]; boxes: N tensors (M_i, 4) float32
    ``(x0, y0, x1, y1)`` in pixels; labels: N tensors (M_i,) int64 (COCO category ids);
    ids: the COCO image ids; class_names: 91 names, index = label.
    """

    x: tuple[torch.Tensor, ...]
    boxes: tuple[torch.Tensor, ...]
    labels: tuple[torch.Tensor, ...]
    ids: tuple[int, ...]
    class_names: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.x)

    def targets(self) -> list[dict[str, torch.Tensor]]:
        """torchvision's target format: one {"boxes", "labels"} dict per image."""
        return [{"boxes": b, "labels": lab} for b, lab in zip(self.boxes, self.labels)]


def folder() -> Path:
    """Where the two archives are looked for: ``$AXLIB_COCO``, else ``<cache>/coco``."""
    value = os.environ.get(ENV)
    return Path(value).expanduser() if value else cache_dir() / "coco"


def status() -> str:
    """"present" when both archives are in :func:`folder` (not verified here), else "missing"."""
    return "present" if all((folder() / name).is_file() for name, *_ in ARCHIVES.values()) else "missing"


def _stat_key(path: Path) -> list:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def verify_archive(path: Path, sha1: str) -> None:
    """Check ``path``'s SHA-1 against ``sha1`` (once per change of the file: a stamp
    ``.<name>.sha1.json`` beside it records the verified size, mtime and inode). Raises
    ChecksumError naming the file, both digests and what to do; the file is left in place."""
    from axlib.data.registry import ChecksumError

    stamp = path.with_name(f".{path.name}.sha1.json")
    if stamp.is_file():
        try:
            recorded = json.loads(stamp.read_text())
            if recorded == {"sha1": sha1, "stat": _stat_key(path)}:
                return
        except (OSError, ValueError):
            pass
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    if h.hexdigest() != sha1:
        raise ChecksumError(f"COCO: {path} has SHA-1 {h.hexdigest()}, the official {path.name} has {sha1} (as "
                            "GluonCV records it); the file was not used. Delete it and download it again.")
    try:
        stamp.write_text(json.dumps({"sha1": sha1, "stat": _stat_key(path)}) + "\n")
    except OSError:             # a read-only copy: verified again next time
        pass


def archive_paths(*, download: bool = False, progress: bool = True) -> dict[str, Path]:
    """The two verified archives, ``{"images": path, "annotations": path}``.

    Raises DataUnavailableError naming the files, their URLs and where to put them when one is
    missing and ``download`` is False; ChecksumError when one fails its SHA-1.
    """
    from axlib.data.registry import DataUnavailableError, _download

    where = folder()
    found = {}
    for kind, (name, url, sha1, size) in ARCHIVES.items():
        path = where / name
        if not path.is_file():
            if not download:
                raise DataUnavailableError(
                    f"COCO val2017: {path} is missing. Download {url} (about {size} MB) into {where}, or set "
                    f"${ENV} to a folder holding {ARCHIVES['images'][0]} and {ARCHIVES['annotations'][0]}, or call "
                    "with download=True")
            _download(url, path, sha256=None, dataset=f"coco-{kind}", expected_size=None, progress=progress,
                      label=name, stamp=False)
        verify_archive(path, sha1)
        found[kind] = path
    return found


def _read_annotations(path: Path) -> dict:
    with zipfile.ZipFile(path) as z:
        try:
            return json.loads(z.read(_ANNOTATIONS_MEMBER))
        except KeyError:
            raise ValueError(f"{path} has no {_ANNOTATIONS_MEMBER}: not COCO's annotations_trainval2017.zip") from None


def coco_val(n: int, *, seed: int = 0, download: bool = False, progress: bool = True) -> DetectionImages:
    """``n`` COCO val2017 images with their boxes, drawn at random (``seed``) among the images
    that have at least one object and no crowd annotation (a crowd region has no box per
    object, so its pixels could be neither object nor background).

    Raises ValueError for n < 1 or more than the eligible images; the errors of
    :func:`archive_paths`.
    """
    n = check_int("n", n, low=1)
    paths = archive_paths(download=download, progress=progress)
    data = _read_annotations(paths["annotations"])
    objects: dict[int, list] = {}
    crowded = set()
    for a in data["annotations"]:
        if a.get("iscrowd", 0):
            crowded.add(a["image_id"])
        else:
            objects.setdefault(a["image_id"], []).append(a)
    eligible = sorted(i for i in objects if i not in crowded)
    if n > len(eligible):
        raise ValueError(f"n must be at most {len(eligible)} (COCO val2017 images with objects and no crowd), got {n}")
    chosen = [eligible[j] for j in np.random.default_rng(seed).permutation(len(eligible))[:n]]
    files = {im["id"]: im["file_name"] for im in data["images"]}
    names = ["N/A"] * LABEL_SPACE
    names[0] = "__background__"
    for c in data["categories"]:
        names[c["id"]] = c["name"]
    from PIL import Image

    xs, boxes, labels = [], [], []
    with zipfile.ZipFile(paths["images"]) as z:
        for image_id in chosen:
            raw = z.read(_IMAGES_FOLDER + files[image_id])
            rgb = np.asarray(Image.open(io.BytesIO(raw)).convert("RGB"), dtype=np.float32) / 255.0
            xs.append(torch.from_numpy(rgb).permute(2, 0, 1).contiguous())
            xywh = torch.tensor([a["bbox"] for a in objects[image_id]], dtype=torch.float32)
            boxes.append(torch.cat([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], dim=1))
            labels.append(torch.tensor([a["category_id"] for a in objects[image_id]], dtype=torch.int64))
    return DetectionImages(tuple(xs), tuple(boxes), tuple(labels), tuple(chosen), tuple(names))
