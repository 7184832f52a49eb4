"""The localisation benchmark: CIFAR objects on canvases, ILSVRC XML boxes, the -CL subset."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from axlib.data import boxes as L


def objects(n=6, s=32, seed=0):
    return torch.rand(n, 3, s, s, generator=torch.Generator().manual_seed(seed))


# --------------------------------------------------------------------------- canvas
def test_objects_are_pasted_exactly_inside_their_boxes():
    x = objects()
    images, boxes = L.place_on_canvas(x, canvas=64, generator=torch.Generator().manual_seed(3))
    assert images.shape == (6, 3, 64, 64) and boxes.shape == (6, 4)
    assert images.min() >= 0 and images.max() <= 1
    for i in range(6):
        x0, y0, x1, y1 = (int(v) for v in boxes[i])
        assert (x1 - x0, y1 - y0) == (32, 32) and 0 <= x0 <= 32 and 0 <= y0 <= 32
        assert torch.equal(images[i, :, y0:y1, x0:x1], x[i])


def test_box_masks_cover_exactly_the_pasted_pixels():
    x = torch.ones(4, 3, 8, 8)
    images, boxes = L.place_on_canvas(x, canvas=20, background_kind="gray",
                                      generator=torch.Generator().manual_seed(0))
    masks = L.box_masks(boxes, 20, 20)
    assert torch.equal(masks, images[:, 0] == 1.0)
    assert masks.sum().item() == 4 * 64


def test_box_masks_half_open_and_fractional():
    m = L.box_masks(torch.tensor([[1.0, 2.0, 3.0, 4.0]]), 5, 5)[0]
    expected = torch.zeros(5, 5, dtype=torch.bool)
    expected[2:4, 1:3] = True
    assert torch.equal(m, expected)
    # centre rule: box [0.6, 2.4] holds the pixel centres 1.5 only (col 1)
    m = L.box_masks(torch.tensor([[0.6, 0.0, 2.4, 1.0]]), 1, 4)[0, 0]
    assert m.tolist() == [False, True, False, False]


def test_same_seed_same_canvas_and_positions_cover_the_range():
    x = objects(200, s=4)
    a = L.place_on_canvas(x, canvas=8, generator=torch.Generator().manual_seed(1))
    b = L.place_on_canvas(x, canvas=8, generator=torch.Generator().manual_seed(1))
    c = L.place_on_canvas(x, canvas=8, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])
    assert set(a[1][:, 0].long().tolist()) == {0, 1, 2, 3, 4}
    assert set(a[1][:, 1].long().tolist()) == {0, 1, 2, 3, 4}


def test_background_is_independent_of_the_image():
    """The background pixels depend on the generator only, never on the object or its label."""
    g = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    a_img, a_box = L.place_on_canvas(torch.zeros(3, 3, 32, 32), generator=g())
    b_img, b_box = L.place_on_canvas(torch.ones(3, 3, 32, 32), generator=g())
    assert torch.equal(a_box, b_box)
    outside = ~L.box_masks(a_box, 64, 64)[:, None].expand(-1, 3, -1, -1)
    assert torch.equal(a_img[outside], b_img[outside])


def test_smooth_background_is_smooth_and_in_range():
    bg = L.background(8, 64, "smooth-noise", generator=torch.Generator().manual_seed(0))
    noise = L.background(8, 64, "uniform-noise", generator=torch.Generator().manual_seed(0))
    assert bg.min() >= 0 and bg.max() <= 1 and bg.std() > 0.05
    tv = lambda z: (z[..., 1:] - z[..., :-1]).abs().mean()  # noqa: E731
    assert tv(bg) < 0.2 * tv(noise)
    assert torch.equal(L.background(2, 16, "gray", generator=torch.Generator()), torch.full((2, 3, 16, 16), 0.5))


def test_cifar_localisation_set_and_subset():
    x, y = objects(10), torch.arange(10)
    data = L.cifar_localisation(x, y, seed=4)
    again = L.cifar_localisation(x, y, seed=4)
    assert torch.equal(data.x, again.x) and torch.equal(data.boxes, again.boxes)
    assert len(data) == 10 and data.ids[3] == "cifar10-3"
    sub = data.subset(torch.tensor([2, 5]))
    assert sub.ids == ("cifar10-2", "cifar10-5") and torch.equal(sub.x, data.x[[2, 5]])
    assert torch.equal(data.subset(slice(0, 2)).y, y[:2])


@pytest.mark.parametrize("kw, match", [
    (dict(canvas=16), "canvas"),
    (dict(background_kind="pink"), "background_kind"),
])
def test_canvas_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        L.place_on_canvas(objects(1), generator=torch.Generator(), **kw)


def test_canvas_rejects_pixels_outside_unit_range():
    with pytest.raises(ValueError, match="x must lie"):
        L.place_on_canvas(objects(1) * 2, generator=torch.Generator())
    with pytest.raises(ValueError, match="generator"):
        L.place_on_canvas(objects(1), generator=0)


# --------------------------------------------------------------------------- ILSVRC XML
def write_xml(path, filename, width, height, objects):
    parts = [f"<annotation><folder>val</folder><filename>{filename}</filename>",
             f"<size><width>{width}</width><height>{height}</height><depth>3</depth></size>"]
    for wnid, (x0, y0, x1, y1) in objects:
        parts.append(f"<object><name>{wnid}</name><pose>Unspecified</pose><truncated>0</truncated>"
                     f"<difficult>0</difficult><bndbox><xmin>{x0}</xmin><ymin>{y0}</ymin>"
                     f"<xmax>{x1}</xmax><ymax>{y1}</ymax></bndbox></object>")
    parts.append("</annotation>")
    path.write_text("".join(parts))


@pytest.fixture
def ilsvrc(tmp_path):
    """A tiny ILSVRC-like layout: 4 images, XMLs in another folder, class subfolders."""
    from axlib.data.imagenet import IMAGENET_WNIDS

    w0, w1 = IMAGENET_WNIDS[1], IMAGENET_WNIDS[7]
    images, boxes = tmp_path / "val", tmp_path / "boxes"
    (images / w0).mkdir(parents=True)
    boxes.mkdir()
    specs = {
        "ILSVRC2012_val_00000001": (300, 200, [(w0, (30, 40, 130, 140))]),             # kept: 1/6 of area
        "ILSVRC2012_val_00000002": (300, 200, [(w0, (0, 0, 300, 200))]),                # box is the image
        "ILSVRC2012_val_00000003": (300, 200, [(w0, (10, 10, 50, 50)), (w0, (60, 60, 90, 90))]),  # 2 boxes
        "ILSVRC2012_val_00000004": (200, 400, [(w1, (50, 100, 150, 300))]),             # kept: 1/4
    }
    rng = np.random.default_rng(0)
    for stem, (w, h, objs) in specs.items():
        write_xml(boxes / f"{stem}.xml", stem, w, h, objs)
        Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save(images / w0 / f"{stem}.JPEG")
    return images, boxes


def test_read_box_xml(ilsvrc):
    _, boxes = ilsvrc
    ann = L.read_box_xml(boxes / "ILSVRC2012_val_00000003.xml")
    assert ann.filename == "ILSVRC2012_val_00000003" and (ann.width, ann.height) == (300, 200)
    assert len(ann.objects) == 2 and ann.objects[1][1] == (60.0, 60.0, 90.0, 90.0)
    assert ann.box_fraction == pytest.approx(1600 / 60000)


def test_paper_filter_keeps_one_box_at_most_half(ilsvrc):
    _, boxes = ilsvrc
    anns = [L.read_box_xml(p) for p in sorted(boxes.glob("*.xml"))]
    kept = [a.filename[-1] for a in L.paper_filter(anns)]
    assert kept == ["1", "4"]
    assert [a.filename[-1] for a in L.paper_filter(anns, max_box_fraction=1.0)] == ["1", "2", "4"]
    with pytest.raises(ValueError, match="max_box_fraction"):
        L.paper_filter(anns, max_box_fraction=0)


def test_map_box_follows_resize_and_centre_crop():
    # 300x200 -> shorter side 256: 384x256, crop 224 at left 80, top 16; scale 1.28
    assert L.map_box((30, 40, 130, 140), 300, 200) == pytest.approx((0.0, 35.2, 86.4, 163.2))
    # a box right of the crop window is empty after cropping
    x0, _, x1, _ = L.map_box((290, 10, 300, 20), 300, 200)
    assert x0 == x1 == 224


def test_map_box_matches_preprocess_on_a_painted_box():
    """Paint the box white on a black image, preprocess it, compare with map_box."""
    from axlib.data.imagenet import preprocess

    w, h, box = 200, 400, (50, 100, 150, 300)
    img = np.zeros((h, w, 3), dtype=np.uint8)
    img[box[1]:box[3], box[0]:box[2]] = 255
    seen = preprocess(img)[0] > 0.5
    mapped = torch.tensor([L.map_box(box, w, h)])
    assert (L.box_masks(mapped, 224, 224)[0] == seen).float().mean() > 0.99


def test_imagenet_localisation_reads_filters_and_maps(ilsvrc):
    from axlib.data.imagenet import IMAGENET_WNIDS

    images, boxes = ilsvrc
    data = L.imagenet_localisation(images, boxes, n=None)
    assert data.ids == ("ILSVRC2012_val_00000001", "ILSVRC2012_val_00000004")
    assert data.x.shape == (2, 3, 224, 224) and data.y.tolist() == [1, 7]
    assert IMAGENET_WNIDS[7] == L.read_box_xml(boxes / "ILSVRC2012_val_00000004.xml").objects[0][0]
    assert data.boxes[0].tolist() == pytest.approx([0.0, 35.2, 86.4, 163.2], abs=1e-4)
    one = L.imagenet_localisation(images, boxes, n=1, seed=0)
    assert len(one) == 1 and one.ids[0] in data.ids
    assert L.imagenet_localisation(images, boxes, n=1, seed=0).ids == one.ids
    with pytest.raises(ValueError, match="n must be"):
        L.imagenet_localisation(images, boxes, n=3)


def test_imagenet_boxes_decode_only_the_images_a_subset_names(ilsvrc, monkeypatch):
    """The robust study's ImageNet set: labels, boxes and ids from the box files alone; a subset
    decodes its own images, the same pixels the whole set has."""
    from axlib.data import imagenet

    images, boxes = ilsvrc
    whole = L.imagenet_localisation(images, boxes, n=None)
    decoded = []
    preprocess = imagenet.preprocess
    monkeypatch.setattr(imagenet, "preprocess", lambda image, **kw: decoded.append(image.size) or preprocess(image, **kw))
    lazy = L.ImagenetBoxes(images, boxes)
    assert len(lazy) == 2 and lazy.y.tolist() == [1, 7] and lazy.ids == whole.ids and not decoded
    one = lazy.subset([1])
    assert one.ids == ("ILSVRC2012_val_00000004",) and len(decoded) == 1
    assert torch.equal(one.x[0], whole.x[1]) and torch.equal(one.boxes, whole.boxes[1:])
    assert lazy.subset(slice(0, 1)).ids == whole.ids[:1]


def test_imagenet_localisation_errors(ilsvrc, tmp_path):
    images, boxes = ilsvrc
    with pytest.raises(FileNotFoundError, match="images_dir"):
        L.imagenet_localisation(tmp_path / "nope", boxes)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="no .xml"):
        L.imagenet_localisation(images, empty)
    bad = tmp_path / "bad.xml"
    write_xml(bad, "x", 100, 100, [("n01440764", (10, 10, 120, 50))])
    with pytest.raises(ValueError, match="outside"):
        L.read_box_xml(bad)
    bad.write_text("<annotation><filename>x</filename></annotation>")
    with pytest.raises(ValueError, match="size"):
        L.read_box_xml(bad)


# --------------------------------------------------------------------------- -CL subset
class FixedPredictions(nn.Module):
    """Predicts the labels it was given, image i -> preds[i] (x carries the index in pixel 0)."""

    def __init__(self, preds):
        super().__init__()
        self.preds = torch.as_tensor(preds)

    def forward(self, x):
        idx = (x[:, 0, 0, 0] * 100).round().long()
        return nn.functional.one_hot(self.preds[idx], 10).float()


def test_correct_subset_needs_every_model_right():
    n = 8
    x = torch.zeros(n, 3, 4, 4)
    x[:, 0, 0, 0] = torch.arange(n) / 100
    y = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7])
    vanilla = FixedPredictions([0, 1, 9, 3, 4, 9, 6, 7])
    robust = FixedPredictions([0, 9, 2, 3, 4, 5, 9, 7])
    assert L.correctly_classified([vanilla, robust], x, y).tolist() == \
        [True, False, False, True, True, False, False, True]
    data = L.LocalisationSet(x, y, torch.zeros(n, 4), tuple(str(i) for i in range(n)))
    assert L.correct_subset(data, [vanilla, robust]).ids == ("0", "3", "4", "7")
    assert L.correct_subset(data, [vanilla, robust], n=2).ids == ("0", "3")
    with pytest.raises(ValueError, match="only 4"):
        L.correct_subset(data, [vanilla, robust], n=5)
    with pytest.raises(ValueError, match="models"):
        L.correctly_classified([], x, y)


class Always(nn.Module):
    """Predicts one class for every image."""

    def __init__(self, label):
        super().__init__()
        self.label = label

    def forward(self, x):
        return nn.functional.one_hot(torch.full((x.shape[0],), self.label), 1000).float()


def test_imagenet_cl_streams_until_n_correct(ilsvrc):
    images, boxes = ilsvrc
    # the two kept images have labels 1 and 7; only label 1 is predicted by both models
    cl = L.imagenet_cl(images, boxes, [Always(1), Always(1)], n=1, chunk=1)
    assert cl.ids == ("ILSVRC2012_val_00000001",) and cl.y.tolist() == [1]
    assert cl.boxes[0].tolist() == pytest.approx([0.0, 35.2, 86.4, 163.2], abs=1e-4)
    with pytest.raises(ValueError, match="only 1"):
        L.imagenet_cl(images, boxes, [Always(1)], n=2)
    with pytest.raises(ValueError, match="only 0"):
        L.imagenet_cl(images, boxes, [Always(1), Always(7)], n=1)
