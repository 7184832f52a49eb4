"""Images with object boxes, for the localisation metrics of the robust-model study.

Nourelahi et al. (2022, section 2.1) score attribution maps against ImageNet bounding boxes.
Two sources here, both returning a :class:`LocalisationSet` (images, labels, boxes):

1. **CIFAR-10 on a canvas** (default profile, offline). CIFAR-10 has no boxes, so each 32x32
   image is pasted at a seeded, uniformly random position on a larger square canvas
   (default 64x64); its box is where it was pasted. The rest of the canvas is a background
   that carries no label information: by default ``"smooth-noise"``, a low-frequency random
   colour field (a ``canvas // 8`` grid of independent uniform RGB values, bilinearly
   upsampled), drawn from the seeded generator independently of the image and its label.
   Why this background: it is label-free by construction (its law is the same for every
   class); unlike a flat grey it is not trivially separable from the object by "pixel !=
   constant", so a map must point at the object, not at "anything non-grey"; unlike
   per-pixel white noise it has the low-frequency statistics of natural backgrounds and does
   not put high-frequency energy everywhere (which gradient maps would pick up). ``"gray"``
   (constant 0.5) and ``"uniform-noise"`` (i.i.d. uniform pixels) are available for
   comparison. A 32x32 object covers 25% of a 64x64 canvas, inside the paper's "box at most
   50% of the image" filter. The study's models are trained on the same placement
   distribution: :func:`training_canvases` (a flip, then :func:`place_on_canvas` with a
   training generator) is their augmentation.
2. **ILSVRC2012 validation** (paper profile): JPEGs plus the official bounding-box XML files
   (PASCAL VOC format) from folders the user gives, filtered as the paper does (exactly one
   box, box area at most 50% of the image area), preprocessed like every axlib ImageNet
   model (shorter side 256, centre crop 224; boxes mapped through the same resize and crop),
   and the "-CL" subset (images that every given model, e.g. the vanilla and the robust
   model of one architecture, classifies correctly): :func:`correct_subset` on a built set,
   :func:`imagenet_cl` streaming through the filtered validation images.

Box convention, everywhere: ``(x0, y0, x1, y1)`` in pixel coordinates of the image as the
model sees it, x along the width, y along the height, half-open: the box covers pixels
``x0 <= col < x1`` and ``y0 <= row < y1`` (a 32x32 object pasted at column 5 has
x0 = 5, x1 = 37). Boxes are float32 tensors (N, 4); canvas boxes hold integers. For
non-integer boxes (ImageNet after resizing) a pixel is inside when its centre
``(col + 0.5, row + 0.5)`` is (:func:`box_masks`).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from axlib._util.checks import check_images, check_int, check_number, model_device

__all__ = ["BACKGROUNDS", "LocalisationSet", "BoxAnnotation", "background", "place_on_canvas",
           "training_canvases", "cifar_localisation", "box_masks", "check_boxes", "read_box_xml", "paper_filter", "map_box",
           "imagenet_localisation", "ImagenetBoxes", "imagenet_cl", "correctly_classified", "correct_subset"]

BACKGROUNDS = ("smooth-noise", "gray", "uniform-noise")


@dataclass(frozen=True)
class LocalisationSet:
    """x: (N, 3, H, W) float32 in [0, 1]; y: (N,) int64 labels; boxes: (N, 4) float32
    ``(x0, y0, x1, y1)`` half-open pixel boxes; ids: N strings naming each image's source."""

    x: torch.Tensor
    y: torch.Tensor
    boxes: torch.Tensor
    ids: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def subset(self, index) -> LocalisationSet:
        """The images at ``index`` (a slice, a LongTensor / list of indices, or a bool mask)."""
        if isinstance(index, slice):
            ids = self.ids[index]
        else:
            idx = torch.as_tensor(index)
            if idx.dtype == torch.bool:
                idx = torch.nonzero(idx, as_tuple=False).flatten()
            index = idx.long()
            ids = tuple(self.ids[i] for i in index.tolist())
        return LocalisationSet(self.x[index], self.y[index], self.boxes[index], ids)


# --------------------------------------------------------------------------- validation
def _check_generator(generator) -> torch.Generator:
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    return generator


def _check_objects(x) -> torch.Tensor:

    x = check_images(x)
    if x.shape[1] != 3 or x.shape[2] != x.shape[3]:
        raise ValueError(f"x must be square RGB images (B, 3, S, S), got {tuple(x.shape)}")
    return x


# --------------------------------------------------------------------------- canvas
def background(n: int, canvas: int = 64, kind: str = "smooth-noise", *,
               generator: torch.Generator) -> torch.Tensor:
    """n label-free backgrounds (n, 3, canvas, canvas) in [0, 1].

    kind: ``"smooth-noise"`` (a ``max(2, canvas // 8)`` square grid of i.i.d. uniform [0, 1]
    RGB values, bilinearly upsampled with ``align_corners=False``: every pixel is a convex
    combination of grid values, so it stays in [0, 1]; a clamp removes float rounding only), ``"gray"`` (0.5
    everywhere; draws nothing from the generator) or ``"uniform-noise"`` (i.i.d. uniform
    pixels). Raises ValueError for an unknown kind, n < 1 or canvas < 2.
    """
    n = check_int("n", n, low=1)
    canvas = check_int("canvas", canvas, low=2)
    generator = _check_generator(generator)
    if kind == "gray":
        return torch.full((n, 3, canvas, canvas), 0.5)
    if kind == "uniform-noise":
        return torch.rand(n, 3, canvas, canvas, generator=generator)
    if kind == "smooth-noise":
        g = max(2, canvas // 8)
        grid = torch.rand(n, 3, g, g, generator=generator)
        smooth = F.interpolate(grid, size=(canvas, canvas), mode="bilinear", align_corners=False)
        return smooth.clamp_(0.0, 1.0)  # convex weights: the clamp removes float rounding only
    raise ValueError(f"background must be one of {BACKGROUNDS}, got {kind!r}")


def place_on_canvas(x: torch.Tensor, *, canvas: int = 64, background_kind: str = "smooth-noise",
                    generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Paste each image of x at a uniformly random position on a label-free canvas.

    x: (B, 3, S, S) in [0, 1] (CIFAR-10: S = 32); canvas: side of the square canvas >= S.
    The top-left corner (x0, y0) of each image is drawn uniformly from {0, ..., canvas - S}
    (columns first, then rows, then the backgrounds, all from ``generator``: the same
    generator state gives the same canvases, bit for bit).
    Returns (images (B, 3, canvas, canvas) in [0, 1], boxes (B, 4) float32
    ``(x0, y0, x0 + S, y0 + S)``). Used both to build evaluation sets and, with a training
    generator, as the training-time augmentation so models see the same distribution.
    Raises ValueError if x is not square RGB in [0, 1], canvas < S, or background_kind is unknown.
    """
    x = _check_objects(x)
    b, _, s, _ = x.shape
    canvas = check_int("canvas", canvas, low=s)
    generator = _check_generator(generator)
    if background_kind not in BACKGROUNDS:
        raise ValueError(f"background_kind must be one of {BACKGROUNDS}, got {background_kind!r}")
    x0 = torch.randint(0, canvas - s + 1, (b,), generator=generator)
    y0 = torch.randint(0, canvas - s + 1, (b,), generator=generator)
    out = background(b, canvas, background_kind, generator=generator).to(x.dtype)
    # one advanced-indexing write: rows y0+i, columns x0+j of image k get x[k, :, i, j]
    ar = torch.arange(s)
    rows = (y0[:, None] + ar[None, :])[:, None, :, None].expand(b, 3, s, s)
    cols = (x0[:, None] + ar[None, :])[:, None, None, :].expand(b, 3, s, s)
    batch = torch.arange(b)[:, None, None, None].expand(b, 3, s, s)
    chan = torch.arange(3)[None, :, None, None].expand(b, 3, s, s)
    out[batch, chan, rows, cols] = x.detach().to(out.device)
    boxes = torch.stack([x0, y0, x0 + s, y0 + s], dim=1).float()
    return out, boxes


def training_canvases(x: torch.Tensor, generator: torch.Generator, labels: torch.Tensor | None = None, *,
                      canvas: int = 64, background_kind: str = "smooth-noise") -> torch.Tensor:
    """The training-time augmentation of the study's models: the benchmark's placement distribution.

    x: (B, 3, S, S) objects in [0, 1]. Each object is flipped left-right with probability 1/2,
    then pasted by :func:`place_on_canvas` (same canvas and background as the benchmark).
    labels: unused (the augmentation protocol of :func:`axlib.models.train.fit`).
    Returns (B, 3, canvas, canvas) in [0, 1]; all randomness from ``generator``.
    """
    generator = _check_generator(generator)
    x = _check_objects(x)
    flip = torch.rand(x.shape[0], generator=generator) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    return place_on_canvas(x, canvas=canvas, background_kind=background_kind, generator=generator)[0]


def cifar_localisation(x: torch.Tensor, y: torch.Tensor, *, canvas: int = 64,
                       background_kind: str = "smooth-noise", seed: int = 0,
                       ids: Sequence[str] | None = None) -> LocalisationSet:
    """The CIFAR-10 localisation benchmark: x placed on canvases with a generator seeded by seed.

    x: (N, 3, 32, 32) in [0, 1] from :mod:`axlib.data.cifar`; y: (N,) labels.
    The set is one draw: a prefix of it is not the set built from a prefix of x, so shard a
    built set (``subset``) rather than building shards separately.
    ids: names of the source images (default ``"cifar10-<i>"``).
    Returns a :class:`LocalisationSet`. Raises ValueError for a bad seed or mismatched y / ids.
    """
    seed = check_int("seed", seed, low=0)
    x = _check_objects(x)
    if not isinstance(y, torch.Tensor) or y.shape != (x.shape[0],) or y.is_floating_point():
        raise ValueError(f"y must be an integer tensor of shape ({x.shape[0]},)")
    if ids is None:
        ids = tuple(f"cifar10-{i}" for i in range(x.shape[0]))
    ids = tuple(str(i) for i in ids)
    if len(ids) != x.shape[0]:
        raise ValueError(f"ids must name the {x.shape[0]} images, got {len(ids)}")
    images, boxes = place_on_canvas(x, canvas=canvas, background_kind=background_kind,
                                    generator=torch.Generator().manual_seed(seed))
    return LocalisationSet(images, y.long().clone(), boxes, ids)


def box_masks(boxes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(B, H, W) bool: True on the pixels whose centre lies in the box.

    boxes: (B, 4) ``(x0, y0, x1, y1)``; pixel (row, col) is inside when
    ``x0 <= col + 0.5 <= x1`` and ``y0 <= row + 0.5 <= y1`` (for integer boxes: exactly the
    half-open range ``x0 <= col < x1``).
    Raises ValueError if boxes is not (B, 4) with x0 <= x1 and y0 <= y1.
    """
    boxes = check_boxes(boxes)
    height = check_int("height", height, low=1)
    width = check_int("width", width, low=1)
    cols = torch.arange(width, dtype=torch.float32) + 0.5
    rows = torch.arange(height, dtype=torch.float32) + 0.5
    b = boxes.float()
    in_x = (cols[None, :] >= b[:, 0:1]) & (cols[None, :] <= b[:, 2:3])  # (B, W)
    in_y = (rows[None, :] >= b[:, 1:2]) & (rows[None, :] <= b[:, 3:4])  # (B, H)
    return in_y[:, :, None] & in_x[:, None, :]


def check_boxes(boxes) -> torch.Tensor:
    """Validate boxes: a finite (B, 4) tensor ``(x0, y0, x1, y1)`` with x0 <= x1, y0 <= y1."""
    if not isinstance(boxes, torch.Tensor) or boxes.dim() != 2 or boxes.shape[1] != 4:
        shape = tuple(boxes.shape) if isinstance(boxes, torch.Tensor) else type(boxes).__name__
        raise ValueError(f"boxes must be a tensor of shape (B, 4) (x0, y0, x1, y1), got {shape}")
    if not bool(torch.isfinite(boxes.float()).all()):
        raise ValueError("boxes must be finite")
    if bool((boxes[:, 2] < boxes[:, 0]).any() | (boxes[:, 3] < boxes[:, 1]).any()):
        raise ValueError("boxes must satisfy x0 <= x1 and y0 <= y1")
    return boxes


# --------------------------------------------------------------------------- ILSVRC2012 XML
@dataclass(frozen=True)
class BoxAnnotation:
    """One ILSVRC bounding-box XML file: the image's file stem, its size in pixels, and one
    (wnid, (xmin, ymin, xmax, ymax)) per ``<object>``, coordinates as written in the file."""

    filename: str
    width: int
    height: int
    objects: tuple[tuple[str, tuple[float, float, float, float]], ...]

    @property
    def box_fraction(self) -> float:
        """Area of the largest box divided by the image area."""
        areas = [(b[2] - b[0]) * (b[3] - b[1]) for _, b in self.objects]
        return max(areas) / float(self.width * self.height) if areas else 0.0


def read_box_xml(path) -> BoxAnnotation:
    """Parse one ILSVRC2012 bounding-box XML (PASCAL VOC layout).

    Reads ``<filename>``, ``<size><width>/<height>`` and every ``<object>`` with ``<name>``
    (a WordNet id) and ``<bndbox><xmin>/<ymin>/<xmax>/<ymax>``. Coordinates are kept as
    written and later read as continuous pixel-edge coordinates (the common WSOL
    convention; the +-1 pixel of VOC's inclusive corners is below the resampling of the
    preprocessing). Raises ValueError naming the file when a field is missing, not a
    number, or the box is empty / outside the image.
    """
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as err:
        raise ValueError(f"{path}: not a well-formed XML file ({err})") from None

    def text(node, tag):
        child = node.find(tag)
        if child is None or child.text is None or not child.text.strip():
            raise ValueError(f"{path}: missing <{tag}>")
        return child.text.strip()

    def number(node, tag):
        value = text(node, tag)
        try:
            return float(value)
        except ValueError:
            raise ValueError(f"{path}: <{tag}> is not a number: {value!r}") from None

    size = root.find("size")
    if size is None:
        raise ValueError(f"{path}: missing <size>")
    width, height = int(number(size, "width")), int(number(size, "height"))
    if width < 1 or height < 1:
        raise ValueError(f"{path}: image size must be positive, got {width}x{height}")
    filename = Path(text(root, "filename")).stem
    objects = []
    for obj in root.findall("object"):
        box = obj.find("bndbox")
        if box is None:
            raise ValueError(f"{path}: <object> without <bndbox>")
        x0, y0, x1, y1 = (number(box, t) for t in ("xmin", "ymin", "xmax", "ymax"))
        if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
            raise ValueError(f"{path}: box {(x0, y0, x1, y1)} is empty or outside the "
                             f"{width}x{height} image")
        objects.append((text(obj, "name"), (x0, y0, x1, y1)))
    return BoxAnnotation(filename, width, height, tuple(objects))


def paper_filter(annotations: Iterable[BoxAnnotation], max_box_fraction: float = 0.5) -> list[BoxAnnotation]:
    """Keep the annotations the paper keeps (section 2.1): exactly one box, and that box
    covering at most ``max_box_fraction`` (0.5) of the original image's area.

    Raises ValueError if max_box_fraction is not in (0, 1].
    """
    max_box_fraction = check_number("max_box_fraction", max_box_fraction, 0, 1, low_open=True)
    return [a for a in annotations if len(a.objects) == 1 and a.box_fraction <= max_box_fraction]


def map_box(box, width: int, height: int, *, resize: int = 256, crop: int = 224) -> tuple[float, float, float, float]:
    """Map a box on a (width x height) image through :func:`axlib.data.imagenet.preprocess`.

    The preprocessing resizes the shorter side to ``resize`` (the longer side to
    ``int(resize * long / short)``, torchvision's rule) and crops the central ``crop`` square
    (offsets ``round((new - crop) / 2)``). The box is scaled per axis, shifted by the crop
    offset and intersected with the crop window ``[0, crop]``: the part of the object the
    model sees. Returns ``(x0, y0, x1, y1)``; an empty result has x0 == x1 or y0 == y1.
    """
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = resize, int(resize * long / short)
    new_w, new_h = (new_short, new_long) if width <= height else (new_long, new_short)
    sx, sy = new_w / width, new_h / height
    left = int(round((new_w - crop) / 2.0))
    top = int(round((new_h - crop) / 2.0))
    x0, y0, x1, y1 = (float(v) for v in box)
    x0, x1 = x0 * sx - left, x1 * sx - left
    y0, y1 = y0 * sy - top, y1 * sy - top
    x0, x1 = min(max(x0, 0.0), crop), min(max(x1, 0.0), crop)
    y0, y1 = min(max(y0, 0.0), crop), min(max(y1, 0.0), crop)
    return x0, y0, x1, y1


def _image_index(images_dir: Path) -> dict[str, Path]:
    files = [p for p in images_dir.rglob("*") if p.suffix.lower() in (".jpeg", ".jpg", ".png")]
    return {p.stem: p for p in sorted(files)}


def _check_folders(images_dir, boxes_dir) -> tuple[Path, Path]:
    images_dir, boxes_dir = Path(images_dir), Path(boxes_dir)
    for name, folder in (("images_dir", images_dir), ("boxes_dir", boxes_dir)):
        if not folder.is_dir():
            raise FileNotFoundError(f"{name} {folder} is not a folder: give the local copy of the "
                                    "ILSVRC2012 validation images and their bounding-box XML files")
    return images_dir, boxes_dir


def _filtered(boxes_dir: Path, max_box_fraction: float) -> list[BoxAnnotation]:
    """The paper-filtered annotations under boxes_dir, sorted by file name."""
    xml_files = sorted(boxes_dir.rglob("*.xml"))
    if not xml_files:
        raise FileNotFoundError(f"no .xml files in {boxes_dir}")
    return sorted(paper_filter((read_box_xml(p) for p in xml_files), max_box_fraction),
                  key=lambda a: a.filename)


def _concat(parts: Sequence[LocalisationSet], crop: int) -> LocalisationSet:
    parts = [p for p in parts if len(p)]
    if not parts:
        return LocalisationSet(torch.empty(0, 3, crop, crop), torch.empty(0, dtype=torch.int64),
                               torch.empty(0, 4), ())
    return LocalisationSet(torch.cat([p.x for p in parts]), torch.cat([p.y for p in parts]),
                           torch.cat([p.boxes for p in parts]), sum((p.ids for p in parts), ()))


def imagenet_localisation(images_dir, boxes_dir, *, n: int | None = 2000, seed: int = 0,
                          max_box_fraction: float = 0.5, resize: int = 256,
                          crop: int = 224) -> LocalisationSet:
    """The paper's ILSVRC2012 localisation set (its subset (a): random filtered images), loaded.

    images_dir: folder holding the validation JPEGs (``ILSVRC2012_val_XXXXXXXX.JPEG``, at any
    depth); boxes_dir: folder of the bounding-box XML files (one per image, same stem).
    The XMLs are filtered with :func:`paper_filter` and to boxes that stay visible in the centre
    crop; of the survivors (sorted by file name) ``n`` are drawn at random without replacement
    with ``numpy.random.default_rng(seed)`` (None: all; mind the memory, 0.6 MB an image),
    returned in file-name order; the label is the box's WordNet id's index in
    :data:`axlib.data.imagenet.IMAGENET_WNIDS`. Returns a :class:`LocalisationSet` with x (N, 3,
    crop, crop) and boxes mapped with :func:`map_box` (:class:`ImagenetBoxes`, decoded whole).
    Raises FileNotFoundError when a folder is missing or holds no XML / an XML's image is
    absent; ValueError for bad n / seed or an unknown wnid.
    """
    data = ImagenetBoxes(images_dir, boxes_dir, n=n, seed=seed, max_box_fraction=max_box_fraction, resize=resize,
                         crop=crop)
    return data.subset(slice(None))


class ImagenetBoxes:
    """The paper's filtered ILSVRC2012 validation images as a set loaded on demand.

    The box files are filtered as the paper filters them (:func:`paper_filter`: one box, at most
    ``max_box_fraction`` of the image) and to boxes that stay visible in the centre crop; ``n``
    of the survivors are drawn with ``numpy.random.default_rng(seed)``
    (None: all) and kept in file-name order. ``y`` (N,), ``boxes`` (N, 4) and ``ids`` come from
    the box files alone; :meth:`subset` decodes only the images asked for, so a shard of the
    robust study loads its own images, not the set (0.6 MB an image at 224 px).
    Raises FileNotFoundError when a folder is missing, holds no XML, or an image is absent;
    ValueError for bad n / seed (n above the survivors) or an unknown wnid.
    """

    def __init__(self, images_dir, boxes_dir, *, n: int | None = None, seed: int = 0,
                 max_box_fraction: float = 0.5, resize: int = 256, crop: int = 224) -> None:
        from axlib.data.imagenet import IMAGENET_WNIDS

        self.images_dir, boxes_dir = _check_folders(images_dir, boxes_dir)
        seed = check_int("seed", seed, low=0)
        self.resize, self.crop = resize, crop
        index = {w: i for i, w in enumerate(IMAGENET_WNIDS)}
        kept = []
        for ann in _filtered(boxes_dir, max_box_fraction):
            wnid, box = ann.objects[0]
            if wnid not in index:
                raise ValueError(f"{ann.filename}: {wnid!r} is not one of the 1,000 ILSVRC2012 wnids")
            mapped = map_box(box, ann.width, ann.height, resize=resize, crop=crop)
            if mapped[2] > mapped[0] and mapped[3] > mapped[1]:
                kept.append((ann, index[wnid], mapped))
        if n is not None:
            n = check_int("n", n, low=1, high=len(kept))
            kept = [kept[i] for i in np.sort(np.random.default_rng(seed).choice(len(kept), size=n, replace=False))]
        self.annotations = tuple(a for a, _, _ in kept)
        self.y = torch.tensor([label for _, label, _ in kept], dtype=torch.int64)
        self.boxes = torch.tensor([box for _, _, box in kept], dtype=torch.float32).reshape(-1, 4)
        self.ids = tuple(a.filename for a in self.annotations)
        self._files = None

    def __len__(self) -> int:
        return len(self.annotations)

    def subset(self, index) -> LocalisationSet:
        """The images at ``index`` (positions, a LongTensor or a slice), decoded and preprocessed."""
        from PIL import Image

        from axlib.data.imagenet import preprocess

        positions = range(len(self))[index] if isinstance(index, slice) else torch.as_tensor(index).reshape(-1).tolist()
        if self._files is None:
            self._files = _image_index(self.images_dir)
        xs = []
        for i in positions:
            ann = self.annotations[i]
            if ann.filename not in self._files:
                raise FileNotFoundError(f"image {ann.filename}.JPEG not found under {self.images_dir}")
            with Image.open(self._files[ann.filename]) as image:
                if image.size != (ann.width, ann.height):
                    raise ValueError(f"{ann.filename}: image is {image.size[0]}x{image.size[1]}, "
                                     f"its XML says {ann.width}x{ann.height}")
                xs.append(preprocess(image, resize=self.resize, crop=self.crop))
        idx = torch.tensor(list(positions), dtype=torch.long)
        x = torch.stack(xs) if xs else torch.empty(0, 3, self.crop, self.crop)
        return LocalisationSet(x, self.y[idx], self.boxes[idx], tuple(self.ids[i] for i in idx.tolist()))


def imagenet_cl(images_dir, boxes_dir, models: Sequence, *, n: int = 2000, seed: int = 0,
                max_box_fraction: float = 0.5, chunk: int = 256, resize: int = 256, crop: int = 224,
                batch_size: int = 64) -> LocalisationSet:
    """The paper's ImageNet-CL subset (its subset (b)) without loading the whole filtered set.

    The filtered images (as in :func:`imagenet_localisation`) are visited in the order of a
    permutation drawn with ``numpy.random.default_rng(seed)``, ``chunk`` at a time; each
    chunk is loaded and classified by every model in ``models`` (e.g. the vanilla and the
    robust model of one architecture), and the images all of them classify correctly are
    kept, until n are found (a random sample of the correct ones). Returned in visiting order.
    Raises ValueError if fewer than n images qualify, or for bad n / seed / chunk.
    """
    data = ImagenetBoxes(images_dir, boxes_dir, n=None, seed=seed, max_box_fraction=max_box_fraction,
                         resize=resize, crop=crop)
    n = check_int("n", n, low=1)
    chunk = check_int("chunk", chunk, low=1)
    order = np.random.default_rng(seed).permutation(len(data))
    found, total = [], 0
    for start in range(0, len(order), chunk):
        part = data.subset(order[start:start + chunk])
        good = part.subset(correctly_classified(models, part.x, part.y, batch_size=batch_size))
        found.append(good.subset(slice(0, n - total)))
        total += len(found[-1])
        if total >= n:
            return _concat(found, crop)
    raise ValueError(f"n = {n} but only {total} of the {len(data)} filtered images are classified "
                     "correctly by every model")


# --------------------------------------------------------------------------- the "-CL" subset
@torch.no_grad()
def correctly_classified(models: Sequence, x: torch.Tensor, y: torch.Tensor, *,
                         batch_size: int = 128) -> torch.Tensor:
    """(N,) bool: True where every model in ``models`` predicts y (top-1), in eval mode.

    x: (N, C, H, W) in [0, 1]; y: (N,) labels. Raises ValueError for an empty model list,
    batch_size < 1 or mismatched shapes.
    """
    from axlib.attacks import predicted_labels

    models = list(models)
    if not models:
        raise ValueError("models must name at least one model")
    batch_size = check_int("batch_size", batch_size, low=1)
    if not isinstance(y, torch.Tensor) or y.shape != (x.shape[0],):
        raise ValueError(f"y must be a tensor of shape ({x.shape[0]},)")
    ok = torch.ones(x.shape[0], dtype=torch.bool)
    for model in models:
        pred = predicted_labels(model, x.to(model_device(model, x.device)), batch_size=batch_size).cpu()
        ok &= pred == y.cpu()
    return ok


def correct_subset(data: LocalisationSet, models: Sequence, n: int | None = None, *,
                   batch_size: int = 128) -> LocalisationSet:
    """The paper's "-CL" subset: the images that all ``models`` (e.g. the vanilla and the
    robust model of one architecture) classify correctly, in the set's order, the first n
    of them (None: all). When the set's order is random (as :func:`imagenet_localisation`'s
    draw is), the first n correct images are a random sample of the correct ones.
    Raises ValueError if n < 1 or fewer than n images qualify.
    """
    ok = correctly_classified(models, data.x, data.y, batch_size=batch_size)
    idx = torch.nonzero(ok, as_tuple=False).flatten()
    if n is not None:
        n = check_int("n", n, low=1)
        if idx.numel() < n:
            raise ValueError(f"n = {n} but only {idx.numel()} of {len(data)} images are "
                             "classified correctly by every model")
        idx = idx[:n]
    return data.subset(idx)
