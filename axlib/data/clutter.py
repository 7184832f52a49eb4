"""A localisation benchmark that can discriminate: CIFAR-10 objects on cluttered canvases.

On the smooth-noise canvases of :func:`axlib.data.boxes.cifar_localisation` the object is the
only structure in the image, so any map that peaks on structure hits the box: the Pointing
Game of gradient maps sits at its ceiling (1.0) and every comparison between models ties. Here
the rest of the canvas competes with the object, built offline from data the package already
has:

- **Background**: a crop of a natural photograph, one of :data:`TEXTURE_SOURCES` (scikit-image's
  own sample photographs, public domain or CC0: coffee cups and wood grain, a rocket launch,
  an astronaut, stained tissue, the Hubble deep field, a retina, brick, grass and gravel; none
  shows a CIFAR-10 class). Each photograph is resized so its shorter side is
  :data:`TEXTURE_SIDE` pixels; a canvas-sized crop at a uniformly random position, flipped
  left-right with probability 1/2, is the background. The photographs' pixels are checked
  against :data:`TEXTURE_SHA256` when loaded, so another scikit-image release cannot change
  the benchmark silently.
- **Distractor**: another CIFAR-10 image, of a *different* class, shrunk to
  ``distractor_size`` (16 x 16 by default, a quarter of the object's area, antialiased
  bilinear) and pasted where it does not overlap the object. It carries edges and colours
  like an object but no box: a map that peaks on it misses. The size tells the object from
  the distractor, so the label is not ambiguous.
- **Object**: the 32 x 32 image of the label at a uniformly random position, as on the
  smooth-noise canvases; its box is where it was pasted (half-open ``(x0, y0, x1, y1)``).

:func:`cluttered_canvases` builds canvases from objects and a pool of distractors;
:func:`cifar_cluttered_localisation` the evaluation set (distractors drawn from the same set's
other images); :func:`training_cluttered_canvases` the training augmentation (distractors from
the same batch), so models are trained on the distribution they are evaluated on.
"""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from axlib._util.checks import check_int, check_labels, check_number
from axlib.data.boxes import LocalisationSet, _check_generator, _check_objects

__all__ = ["TEXTURE_SOURCES", "TEXTURE_SIDE", "TEXTURE_SHA256", "texture_bank", "texture_backgrounds",
           "cluttered_canvases", "cifar_cluttered_localisation", "training_cluttered_canvases"]

TEXTURE_SOURCES = ("coffee", "rocket", "astronaut", "immunohistochemistry", "hubble_deep_field",
                   "retina", "brick", "grass", "gravel")
"""``skimage.data`` photographs the backgrounds are cut from (all shipped in scikit-image's wheel)."""
TEXTURE_SIDE = 192
"""Shorter side, in pixels, each photograph is resized to: a 64-pixel crop shows a third of it."""
TEXTURE_SHA256 = {
    "coffee": "0ce2b51640b9c95f19617f03eabf40c3f0368589cc1ee1190b70966165ac184f",
    "rocket": "3d4435cc745752b7f9724df88c6e18817de3ce7e3d2d71c55f85f7831e68f197",
    "astronaut": "a8c429c18afa7b0fd5673e598d73a21225d94c864a71bbb3885126fdecb41071",
    "immunohistochemistry": "c5b3ef509a92f16d4c29be8cf0300fe75d53e13a3ce650159db932caea8dcc1b",
    "hubble_deep_field": "9a3ea9548188f81e63435188456e74de45a981ebeb791e265abe79a26d3b528b",
    "retina": "3670e389d0dae9f755cc1bb7e4da4c3d2cdf10eba2dc3060836d8d4b8024d860",
    "brick": "664a145c5253f0d66db1a12776785f0ea35a44cc7447ffc933f6d6118dc58643",
    "grass": "b18dae4c68bf850a7a7b28a29d1846c76be890665117b57fd125fe29c4d4ede6",
    "gravel": "3d51ad45f789cd8b98534b7af6bce774e499ead45421135afd757358c7230009",
}
"""sha256 of each photograph's pixel array (uint8, as ``skimage.data.<name>()`` returns it)."""


def _pixels_sha256(pixels: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).hexdigest()


@functools.lru_cache(maxsize=1)
def texture_bank() -> tuple[torch.Tensor, ...]:
    """The background photographs, each (3, TEXTURE_SIDE, W) float32 in [0, 1] (grey ones as
    three equal channels). Cached per process.

    Raises
    ------
    ValueError
        When a photograph's pixels differ from :data:`TEXTURE_SHA256` (another scikit-image
        release), naming it.
    """
    from skimage import data as skdata
    from torchvision.transforms import functional as TF

    bank = []
    for name in TEXTURE_SOURCES:
        pixels = np.asarray(getattr(skdata, name)())
        found = _pixels_sha256(pixels)
        if found != TEXTURE_SHA256[name]:
            raise ValueError(f"skimage.data.{name}() has sha256 {found}, expected {TEXTURE_SHA256[name]}: "
                             "this scikit-image release ships another photograph; install the pinned one")
        if pixels.ndim == 2:
            pixels = np.repeat(pixels[..., None], 3, axis=-1)
        image = torch.from_numpy(np.ascontiguousarray(pixels[..., :3])).permute(2, 0, 1).float() / 255.0
        image = TF.resize(image, TEXTURE_SIDE, antialias=True)
        bank.append(image.clamp(0.0, 1.0).contiguous())
    return tuple(bank)


def texture_backgrounds(n: int, canvas: int = 64, *, generator: torch.Generator,
                        sources: torch.Tensor | None = None) -> torch.Tensor:
    """n backgrounds (n, 3, canvas, canvas) in [0, 1], crops of :func:`texture_bank`.

    Per background, from ``generator``: the photograph (uniform over the bank, unless
    ``sources`` (n,) gives each one's index), the crop's top and left corner (uniform over the
    positions inside it) and a left-right flip (probability 1/2). Raises ValueError for n < 1,
    a canvas outside [2, TEXTURE_SIDE] or sources that are not n indices into the bank.
    """
    n = check_int("n", n, low=1)
    canvas = check_int("canvas", canvas, low=2, high=TEXTURE_SIDE)
    generator = _check_generator(generator)
    bank = texture_bank()
    out = torch.empty(n, 3, canvas, canvas)
    if sources is None:
        source = torch.randint(0, len(bank), (n,), generator=generator).tolist()
    else:
        source = torch.as_tensor(sources).tolist()
        if len(source) != n or any(not 0 <= int(s) < len(bank) for s in source):
            raise ValueError(f"sources must be {n} photograph indices in [0, {len(bank) - 1}], got {source[:5]}...")
    u = torch.rand(n, 3, generator=generator).tolist()
    for i in range(n):
        photo = bank[source[i]]
        top = int(u[i][0] * (photo.shape[1] - canvas + 1))
        left = int(u[i][1] * (photo.shape[2] - canvas + 1))
        crop = photo[:, top:top + canvas, left:left + canvas]
        out[i] = crop.flip(-1) if u[i][2] < 0.5 else crop
    return out


def _free_corners(boxes: torch.Tensor, size: int, canvas: int, generator: torch.Generator) -> torch.Tensor:
    """Per box (B, 4) ``(x0, y0, x1, y1)``, a uniformly random top-left corner (col, row) of a
    size x size square inside the canvas that does not overlap it: rejection sampling, 16
    candidates a round for every box at once (all draws from ``generator``). Returns (B, 2)."""
    b = boxes.shape[0]
    chosen = torch.full((b, 2), -1, dtype=torch.long)
    for _ in range(64):
        todo = torch.nonzero(chosen[:, 0] < 0).flatten()
        if todo.numel() == 0:
            return chosen
        cand = torch.randint(0, canvas - size + 1, (todo.numel(), 16, 2), generator=generator)
        col, row = cand[..., 0], cand[..., 1]
        x0, y0, x1, y1 = (boxes[todo, k, None] for k in range(4))
        free = (col + size <= x0) | (col >= x1) | (row + size <= y0) | (row >= y1)     # (T, 16)
        found = free.any(dim=1)
        first = free.float().argmax(dim=1)
        chosen[todo[found]] = cand[found, first[found]]
    raise ValueError(f"no room for a {size} x {size} distractor beside some box on a {canvas} x {canvas} canvas")


def _other_label_picks(y: torch.Tensor, pool_y: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Per label of y, the index of a uniformly random pool image of another label. Returns (B,)."""
    for i, label in enumerate(y.tolist()):
        if not bool((pool_y != label).any()):
            raise ValueError(f"pool_y has no image of a label other than y[{i}] = {label}")
    picks = torch.randint(0, pool_y.numel(), (y.numel(),), generator=generator)
    while True:
        same = torch.nonzero(pool_y[picks] == y).flatten()
        if same.numel() == 0:
            return picks
        picks[same] = torch.randint(0, pool_y.numel(), (same.numel(),), generator=generator)


def cluttered_canvases(x: torch.Tensor, y: torch.Tensor, pool_x: torch.Tensor, pool_y: torch.Tensor, *,
                       canvas: int = 64, distractor_size: int = 16, context_bias: float = 0.0,
                       generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Paste each object on a texture crop beside a smaller distractor of another class.

    Parameters
    ----------
    x : torch.Tensor, shape (B, 3, S, S)
        The objects, pixels in [0, 1] (CIFAR-10: S = 32).
    y : torch.Tensor, shape (B,), int64
        Their labels.
    pool_x : torch.Tensor, shape (P, 3, S', S')
        Images the distractors are drawn from, pixels in [0, 1].
    pool_y : torch.Tensor, shape (P,), int64
        Their labels; every object needs at least one pool image of another label.
    canvas : int, default 64
        Side of the square canvas, in [S + distractor_size, TEXTURE_SIDE].
    distractor_size : int, default 16
        Side the distractor is shrunk to, in [1, S - 1] (smaller than the object, so the
        label is not ambiguous).
    context_bias : float, default 0.0
        Probability, in [0, 1], that an object's background is cut from the photograph of its
        class (photograph ``label % 9``) rather than a uniformly chosen one: a spurious
        context, as ImageNet's backgrounds correlate with its classes. 0 draws nothing extra,
        so the canvases are those of earlier versions, bit for bit.
    generator : torch.Generator
        Every random draw (objects' corners, backgrounds, distractors, their corners), in that
        order per batch: the same state gives the same canvases, bit for bit.

    Returns
    -------
    tuple of torch.Tensor
        Canvases (B, 3, canvas, canvas) in [0, 1] and the objects' boxes (B, 4) float32,
        half-open ``(x0, y0, x0 + S, y0 + S)``.

    Raises
    ------
    ValueError
        For objects that are not square RGB in [0, 1], labels not one per image, sizes out of
        range, or an object whose label is the only one in the pool.
    """
    x = _check_objects(x)
    pool_x = _check_objects(pool_x)
    b, _, s, _ = x.shape
    y = check_labels(y, x, "y").cpu()
    pool_y = check_labels(pool_y, pool_x, "pool_y").cpu()
    distractor_size = check_int("distractor_size", distractor_size, low=1, high=s - 1)
    canvas = check_int("canvas", canvas, low=s + distractor_size, high=TEXTURE_SIDE)
    generator = _check_generator(generator)
    context_bias = check_number("context_bias", context_bias, 0, 1)
    x0 = torch.randint(0, canvas - s + 1, (b,), generator=generator)
    y0 = torch.randint(0, canvas - s + 1, (b,), generator=generator)
    sources = None
    if context_bias > 0:
        n_photos = len(TEXTURE_SOURCES)
        biased = torch.rand(b, generator=generator) < context_bias
        sources = torch.where(biased, y % n_photos, torch.randint(0, n_photos, (b,), generator=generator))
    out = texture_backgrounds(b, canvas, generator=generator, sources=sources).to(x.dtype)
    boxes = torch.stack([x0, y0, x0 + s, y0 + s], dim=1)
    picks = _other_label_picks(y, pool_y, generator)
    small = F.interpolate(pool_x[picks], size=(distractor_size, distractor_size), mode="bilinear",
                          antialias=True, align_corners=False).clamp(0.0, 1.0)
    corners = _free_corners(boxes, distractor_size, canvas, generator).tolist()
    for i, (col, row) in enumerate(corners):
        out[i, :, row:row + distractor_size, col:col + distractor_size] = small[i]
        out[i, :, y0[i]:y0[i] + s, x0[i]:x0[i] + s] = x[i]
    return out, boxes.float()


def cifar_cluttered_localisation(x: torch.Tensor, y: torch.Tensor, *, canvas: int = 64, distractor_size: int = 16,
                                 seed: int = 0, ids: Sequence[str] | None = None) -> LocalisationSet:
    """The cluttered CIFAR-10 localisation benchmark: every image of x as the object of one
    canvas, its distractor drawn from the other images of x (:func:`cluttered_canvases`,
    generator seeded by ``seed``).

    x: (N, 3, 32, 32) in [0, 1]; y: (N,) labels; ids: names of the source images (default
    ``"cifar10-<i>"``). Like the smooth-noise set it is one draw: shard a built set
    (``subset``) rather than building shards separately.
    """
    generator = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    images, boxes = cluttered_canvases(x, y, x, y, canvas=canvas, distractor_size=distractor_size,
                                       generator=generator)
    ids = tuple(ids) if ids is not None else tuple(f"cifar10-{i}" for i in range(len(y)))
    if len(ids) != len(y):
        raise ValueError(f"ids must name every image ({len(y)}), got {len(ids)}")
    return LocalisationSet(images, torch.as_tensor(y).long(), boxes, ids)


def training_cluttered_canvases(x: torch.Tensor, generator: torch.Generator, labels: torch.Tensor, *,
                                canvas: int = 64, distractor_size: int = 16) -> torch.Tensor:
    """The training augmentation of the models evaluated on the cluttered benchmark.

    x: (B, 3, S, S) objects in [0, 1]; labels: (B,). Each object is flipped left-right with
    probability 1/2, then pasted by :func:`cluttered_canvases` with the (flipped) batch itself
    as the distractor pool. Returns (B, 3, canvas, canvas) in [0, 1]; all randomness from
    ``generator``.
    """
    generator = _check_generator(generator)
    x = _check_objects(x)
    flip = torch.rand(x.shape[0], generator=generator) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    return cluttered_canvases(x, labels, x, labels, canvas=canvas, distractor_size=distractor_size,
                              generator=generator)[0]
