"""The cluttered localisation benchmark (axlib.data.clutter) on planted objects whose pixels
name their label, so every placement can be checked by reading the canvas back."""
from __future__ import annotations

import pytest
import torch

from axlib.data import clutter


def _objects(labels, size=32):
    """Flat objects whose value encodes their label: 0.1 + 0.08 * label in every pixel."""
    labels = torch.as_tensor(labels)
    return (0.1 + 0.08 * labels.float())[:, None, None, None].expand(-1, 3, size, size).clone(), labels


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_object_sits_in_its_box_and_the_distractor_is_another_class_beside_it():
    x, y = _objects([0, 1, 2, 3, 4, 5, 6, 7])
    pool_x, pool_y = _objects([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    canvases, boxes = clutter.cluttered_canvases(x, y, pool_x, pool_y, generator=_gen())
    assert canvases.shape == (8, 3, 64, 64) and boxes.shape == (8, 4)
    for i in range(8):
        x0, y0, x1, y1 = (int(v) for v in boxes[i])
        assert (x1 - x0, y1 - y0) == (32, 32)
        assert torch.equal(canvases[i, :, y0:y1, x0:x1], x[i])
        outside = canvases[i].clone()
        outside[:, y0:y1, x0:x1] = -1.0
        # the distractor: a 16 x 16 flat square of one pool value, outside the box
        values = {round(float(v), 4) for v in (0.1 + 0.08 * pool_y.float())}
        hits = [v for v in values if int(((outside[0] - v).abs() < 1e-6).sum()) == 256]
        assert len(hits) == 1 and hits[0] != round(0.1 + 0.08 * int(y[i]), 4)


def test_same_generator_state_gives_the_same_canvases_bit_for_bit():
    x, y = _objects([3, 5])
    a = clutter.cluttered_canvases(x, y, x, y, generator=_gen(4))
    b = clutter.cluttered_canvases(x, y, x, y, generator=_gen(4))
    c = clutter.cluttered_canvases(x, y, x, y, generator=_gen(5))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) and not torch.equal(a[0], c[0])


def test_backgrounds_are_crops_of_the_photographs():
    crops = clutter.texture_backgrounds(6, 64, generator=_gen())
    bank = clutter.texture_bank()
    assert all(p.shape[1] == clutter.TEXTURE_SIDE for p in bank)
    g = _gen()                          # the documented draws: photograph, then top, left, flip
    source = torch.randint(0, len(bank), (6,), generator=g).tolist()
    u = torch.rand(6, 3, generator=g).tolist()
    for i in range(6):
        photo = bank[source[i]]
        top, left = int(u[i][0] * (photo.shape[1] - 63)), int(u[i][1] * (photo.shape[2] - 63))
        crop = photo[:, top:top + 64, left:left + 64]
        assert torch.equal(crops[i], crop.flip(-1) if u[i][2] < 0.5 else crop)


def test_evaluation_set_and_training_augmentation():
    x, y = _objects([0, 1, 2, 3, 4, 5])
    data = clutter.cifar_cluttered_localisation(x, y, seed=0)
    assert len(data) == 6 and data.ids[0] == "cifar10-0" and data.x.shape == (6, 3, 64, 64)
    again = clutter.cifar_cluttered_localisation(x, y, seed=0)
    assert torch.equal(data.x, again.x) and torch.equal(data.boxes, again.boxes)
    train = clutter.training_cluttered_canvases(x, _gen(), y)
    assert train.shape == (6, 3, 64, 64)


def test_changed_photograph_is_refused(monkeypatch):
    clutter.texture_bank.cache_clear()
    monkeypatch.setitem(clutter.TEXTURE_SHA256, "coffee", "0" * 64)
    try:
        with pytest.raises(ValueError, match=r"skimage.data.coffee\(\) has sha256 .*expected 0{64}"):
            clutter.texture_bank()
    finally:
        clutter.texture_bank.cache_clear()


@pytest.mark.parametrize("kw, message", [
    (dict(distractor_size=32), r"distractor_size must be an integer in \[1, 31\], got 32"),
    (dict(canvas=40), r"canvas must be an integer in \[48, 192\], got 40"),
])
def test_bad_sizes(kw, message):
    x, y = _objects([0, 1])
    with pytest.raises(ValueError, match=message):
        clutter.cluttered_canvases(x, y, x, y, generator=_gen(), **kw)


def test_a_pool_of_one_label_is_refused():
    x, y = _objects([2, 2])
    with pytest.raises(ValueError, match=r"pool_y has no image of a label other than y\[0\] = 2"):
        clutter.cluttered_canvases(x, y, x, y, generator=_gen())


def test_context_bias_ties_backgrounds_to_classes_and_zero_changes_nothing(monkeypatch):
    x, y = _objects([0, 1, 2, 3, 4, 5, 6, 7])
    plain = clutter.cluttered_canvases(x, y, x, y, generator=_gen(3))
    zero = clutter.cluttered_canvases(x, y, x, y, generator=_gen(3), context_bias=0.0)
    assert torch.equal(plain[0], zero[0])                       # no extra draws at 0
    seen = []
    real = clutter.texture_backgrounds
    monkeypatch.setattr(clutter, "texture_backgrounds",
                        lambda n, canvas, *, generator, sources=None: seen.append(sources) or
                        real(n, canvas, generator=generator, sources=sources))
    clutter.cluttered_canvases(x, y, x, y, generator=_gen(3), context_bias=1.0)
    clutter.cluttered_canvases(x, y, x, y, generator=_gen(3), context_bias=0.0)
    assert seen[0].tolist() == (y % 9).tolist() and seen[1] is None
    half = clutter.cluttered_canvases(x.repeat(8, 1, 1, 1), y.repeat(8), x, y, generator=_gen(4), context_bias=0.5)
    share = (seen[2] == y.repeat(8) % 9).float().mean()
    assert half[0].shape == (64, 3, 64, 64) and 0.4 < share < 0.8     # half biased, the rest uniform (1/9 agree)
    with pytest.raises(ValueError, match=r"context_bias must be a finite number in \[0, 1\], got 1.5"):
        real_canvases = clutter.cluttered_canvases
        real_canvases(x, y, x, y, generator=_gen(), context_bias=1.5)
    with pytest.raises(ValueError, match="sources must be 2 photograph indices"):
        real(2, 64, generator=_gen(), sources=torch.tensor([0, 9]))
