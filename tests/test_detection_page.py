"""Page 08's layer (axlib.papers.axai.detection) end to end on planted detectors, and its paper
path on fakes the tests make in the upstreams' exact formats: COCO's val2017.zip and
annotations_trainval2017.zip, a torchvision detection checkpoint."""
from __future__ import annotations

import hashlib
import io
import json
import types
import zipfile

import numpy as np
import pytest
import torch
from torch import nn

from axlib.data import coco
from axlib.data.boxes import box_masks
from axlib.data.registry import ChecksumError, DataUnavailableError
from axlib.papers.axai import detection

SEGMENTATION = {"kernel_size": 3, "max_dist": 6, "ratio": 0.5}


class PlantedDetector(nn.Module):
    """Detects exactly the objects of the scene an image is nearest to (the attack moves an
    image by a few hundredths, never to another scene), each with its true box and label.
    Its score reads one region only: the object's own box (``on="object"``) or a background
    corner of the scene that no box touches (``on="background"``)."""

    def __init__(self, scenes, on: str):
        super().__init__()
        self.scenes, self.on = scenes, on

    def _region(self, i, box):
        if self.on == "object":
            x0, y0, x1, y1 = [int(v) for v in box]
            return y0, y1, x0, x1
        free = box_masks(self.scenes.boxes[i], 128, 128).any(0)
        for r in range(0, 128 - 16, 8):              # the first 16 x 16 window clear of every box
            for c in range(0, 128 - 16, 8):
                if not free[r:r + 16, c:c + 16].any():
                    return r, r + 16, c, c + 16
        raise AssertionError("no free window")

    def forward(self, images):
        out = []
        for image in images:
            i = int(((self.scenes.x - image.detach()) ** 2).flatten(1).sum(1).argmin())
            scores = torch.stack([torch.sigmoid(10 * image[:, r0:r1, c0:c1].mean() - 2)
                                  for r0, r1, c0, c1 in (self._region(i, b) for b in self.scenes.boxes[i])])
            out.append({"boxes": self.scenes.boxes[i].clone(), "scores": scores, "labels": self.scenes.labels[i]})
        return out


@pytest.fixture(scope="module")
def scenes():
    return detection.page_scenes(60, seed=3)


def _judged(result):
    from axlib.companion.claims import CATALOGUE

    rules = {c.id: c.rule for c in CATALOGUE}
    return {claim: rules[claim].judge(fields["estimate"]).verdict
            for claim, fields in detection.claim_fields(result, detector="planted", k=5).items()}


def test_a_detector_that_reads_its_objects_is_judged_reproduced(scenes):
    result = detection.explain_scenes(PlantedDetector(scenes, "object"), scenes, segmentation=SEGMENTATION, k=5,
                                      a=15, steps=3, random_draws=2, progress=False)
    c = result["counts"]
    assert c["matched"] == c["detections"] == c["objects"] >= 100 and c["scenes_without_detection"] == 0
    table = result["table"]
    assert (table["inside_share"] > 0.5).mean() > 0.9 and table["enrichment"].mean() > 5
    assert _judged(result) == dict.fromkeys(detection.CLAIMS.values(), "reproduced")
    summary = detection.detection_summary(result)
    assert summary.loc["explanation inside the detection's box", "AXAI"] == pytest.approx(table["inside_share"].mean())


def test_a_detector_that_reads_the_background_is_judged_not_reproduced(scenes):
    result = detection.explain_scenes(PlantedDetector(scenes, "background"), scenes, segmentation=SEGMENTATION, k=5,
                                      a=15, steps=3, random_draws=2, progress=False)
    assert result["counts"]["matched"] >= 100
    assert _judged(result) == dict.fromkeys(detection.CLAIMS.values(), "not reproduced")


def test_explanations_are_deterministic_and_too_few_detections_are_inconclusive(scenes):
    few = detection.page_scenes(4, seed=3)
    run = [detection.explain_scenes(PlantedDetector(few, "object"), few, segmentation=SEGMENTATION, k=5, a=15, steps=3,
                                    random_draws=2, progress=False) for _ in range(2)]
    assert run[0]["table"].equals(run[1]["table"])
    assert all(torch.equal(a.mask, b.mask) for sa, sb in zip(run[0]["explained"], run[1]["explained"])
               for a, b in zip(sa, sb))
    assert set(_judged(run[0]).values()) == {"inconclusive"}          # fewer than 100 detections


def test_batches_of_detections_and_the_score_floor(scenes):
    few = detection.page_scenes(4, seed=3)
    kw = dict(segmentation=SEGMENTATION, k=5, a=15, steps=2, random_draws=1, progress=False)
    one = detection.explain_scenes(PlantedDetector(few, "object"), few, per_batch=1, **kw)
    all_at_once = detection.explain_scenes(PlantedDetector(few, "object"), few, per_batch=16, **kw)
    assert one["table"].equals(all_at_once["table"]) and one["counts"] == all_at_once["counts"]
    floor = detection.explain_scenes(PlantedDetector(few, "object"), few, min_score=0.999, **kw)
    assert floor["counts"]["detections"] == 0 and floor["counts"]["scenes_without_detection"] == 4
    with pytest.raises(ValueError, match="per_batch must be an integer >= 1, got 0"):
        detection.explain_scenes(PlantedDetector(few, "object"), few, per_batch=0, **kw)
    with pytest.raises(ValueError, match="min_score"):
        detection.explain_scenes(PlantedDetector(few, "object"), few, min_score=1.5, **kw)
    with pytest.raises(ValueError, match="random_draws must be an integer >= 1, got 0"):
        detection.explain_scenes(PlantedDetector(few, "object"), few, **dict(kw, random_draws=0))


def test_a_detector_that_finds_nothing_gives_n_zero_not_an_error(scenes):
    class Blind(nn.Module):
        def forward(self, images):
            return [{"boxes": torch.zeros(0, 4), "scores": torch.zeros(0), "labels": torch.zeros(0, dtype=torch.int64)}
                    for _ in images]
    few = detection.page_scenes(2, seed=0)
    result = detection.explain_scenes(Blind(), few, segmentation=SEGMENTATION, k=5, a=15, steps=2, random_draws=1,
                                      progress=False)
    assert result["counts"]["scenes_without_detection"] == 2 and result["table"].empty
    fields = detection.claim_fields(result, detector="blind", k=5)
    assert all(f["estimate"].n == 0 for f in fields.values()) and set(_judged(result).values()) == {"inconclusive"}
    with pytest.raises(ValueError, match="no scene has a detection"):
        detection.plot_fig19(few, result, n=2, class_names=detection.class_names(few))


def test_figure_has_one_panel_per_detection(scenes):
    few = detection.page_scenes(3, seed=3)
    result = detection.explain_scenes(PlantedDetector(few, "object"), few, segmentation=SEGMENTATION, k=5, a=15,
                                      steps=2, random_draws=1, progress=False)
    fig = detection.plot_fig19(few, result, n=3, class_names=detection.class_names(few))
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == 3 + result["counts"]["detections"]


def test_bad_data_name_is_refused():
    with pytest.raises(ValueError, match=r"data must be one of .*'scenes'.*'coco-val2017'.*got 'voc'"):
        detection.detection_data("voc", 3)


# ------------------------------------------------------------------------------- COCO val2017
def _jpeg(seed, size=(40, 48)) -> bytes:
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, (*size, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def _fake_coco(folder, monkeypatch):
    """val2017.zip and annotations_trainval2017.zip as COCO ships them: 4 images, one of them
    with a crowd annotation, one without objects; ARCHIVES patched to the fakes' SHA-1."""
    folder.mkdir(parents=True, exist_ok=True)
    images = [{"id": i, "file_name": f"{i:012d}.jpg", "height": 40, "width": 48, "license": 1} for i in (139, 285, 632, 724)]
    annotations = [
        {"id": 1, "image_id": 139, "category_id": 1, "bbox": [2.5, 3.0, 10.0, 20.0], "area": 200.0, "iscrowd": 0},
        {"id": 2, "image_id": 139, "category_id": 62, "bbox": [20.0, 5.0, 8.0, 8.0], "area": 64.0, "iscrowd": 0},
        {"id": 3, "image_id": 285, "category_id": 23, "bbox": [0.0, 0.0, 30.0, 30.0], "area": 900.0, "iscrowd": 0},
        {"id": 4, "image_id": 632, "category_id": 1, "bbox": [1.0, 1.0, 5.0, 5.0], "area": 25.0, "iscrowd": 1,
         "segmentation": {"counts": [0, 25], "size": [40, 48]}},
        {"id": 5, "image_id": 632, "category_id": 1, "bbox": [10.0, 10.0, 5.0, 5.0], "area": 25.0, "iscrowd": 0},
    ]
    categories = [{"id": 1, "name": "person", "supercategory": "person"},
                  {"id": 23, "name": "bear", "supercategory": "animal"},
                  {"id": 62, "name": "chair", "supercategory": "furniture"}]
    with zipfile.ZipFile(folder / "val2017.zip", "w") as z:
        for im in images:
            z.writestr(f"val2017/{im['file_name']}", _jpeg(im["id"]))
    with zipfile.ZipFile(folder / "annotations_trainval2017.zip", "w") as z:
        z.writestr("annotations/instances_val2017.json",
                   json.dumps({"info": {}, "licenses": [], "images": images, "annotations": annotations,
                               "categories": categories}))
        z.writestr("annotations/captions_val2017.json", "{}")
    archives = {kind: (name, url, hashlib.sha1((folder / name).read_bytes()).hexdigest(), size)
                for kind, (name, url, _, size) in coco.ARCHIVES.items()}
    monkeypatch.setattr(coco, "ARCHIVES", archives)
    monkeypatch.setenv(coco.ENV, str(folder))
    return folder


def test_coco_images_and_boxes_in_the_upstream_format(tmp_path, monkeypatch):
    _fake_coco(tmp_path / "coco", monkeypatch)
    data = coco.coco_val(2, seed=0)
    assert sorted(data.ids) == [139, 285]                 # 632 has a crowd region, 724 no object
    i = data.ids.index(139)
    assert data.x[i].shape == (3, 40, 48) and data.x[i].dtype == torch.float32 and 0 <= data.x[i].min() <= data.x[i].max() <= 1
    assert torch.equal(data.boxes[i], torch.tensor([[2.5, 3.0, 12.5, 23.0], [20.0, 5.0, 28.0, 13.0]]))
    assert data.labels[i].tolist() == [1, 62]
    assert len(data.class_names) == 91 and data.class_names[62] == "chair" and data.class_names[2] == "N/A"
    assert data.targets()[i]["labels"].tolist() == [1, 62]
    assert detection.class_names(data)[23] == "bear"
    same = detection.detection_data("coco-val2017", 2, seed=0)
    assert same.ids == data.ids and all(torch.equal(a, b) for a, b in zip(same.x, data.x))
    with pytest.raises(ValueError, match=r"n must be at most 2 \(COCO val2017 images with objects and no crowd\), got 3"):
        coco.coco_val(3)


def test_coco_archive_with_another_digest_is_refused_and_a_verified_one_not_rehashed(tmp_path, monkeypatch):
    folder = _fake_coco(tmp_path / "coco", monkeypatch)
    coco.archive_paths()
    stamp = folder / ".val2017.zip.sha1.json"
    assert stamp.is_file()
    calls = []
    real_sha1 = hashlib.sha1
    monkeypatch.setattr(coco.hashlib, "sha1", lambda *a: calls.append(1) or real_sha1(*a))
    coco.archive_paths()
    assert calls == []                                    # stamps match: nothing hashed again
    with zipfile.ZipFile(folder / "val2017.zip", "a") as z:
        z.writestr("val2017/extra.jpg", b"not the official file")
    with pytest.raises(ChecksumError, match=r"val2017.zip has SHA-1 [0-9a-f]{40}, the official val2017.zip has"):
        coco.archive_paths()


def test_missing_coco_names_the_url_and_the_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(coco.ENV, str(tmp_path / "empty"))
    with pytest.raises(DataUnavailableError, match=r"val2017.zip is missing. Download "
                       r"http://images.cocodataset.org/zips/val2017.zip \(about 778 MB\)"):
        coco.coco_val(1)


# ------------------------------------------------------------------------ torchvision detector
def test_pretrained_detector_loads_unwrapped_with_its_weights(tmp_path, monkeypatch):
    """A torchvision detection checkpoint (file name carrying its sha256 prefix) loads as the
    detector itself, which takes a list of [0, 1] images: no ImageNet normaliser in front."""
    import torchvision

    from axlib.models import pretrained as P

    monkeypatch.setenv("AXLIB_DATA", str(tmp_path))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    torch.manual_seed(0)
    reference = torchvision.models.detection.ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None,
                                                                            num_classes=91)
    folder = tmp_path / "pretrained"
    folder.mkdir()
    torch.save(reference.state_dict(), folder / "tmp.pth")
    prefix = hashlib.sha256((folder / "tmp.pth").read_bytes()).hexdigest()[:8]
    (folder / "tmp.pth").rename(folder / f"ssdlite-{prefix}.pth")
    source = P.PretrainedSource("fake-detector", "torchvision", "detection.ssdlite320_mobilenet_v3_large", "test",
                                "-", "-", weights="x", task="detection")
    fake = types.SimpleNamespace(url=f"https://download.invalid/models/ssdlite-{prefix}.pth",
                                 meta={"_metrics": {"COCO-val2017": {"box_map": 21.3}}, "_file_size": 13.4})
    monkeypatch.setattr(P, "_weights", lambda s: fake)
    monkeypatch.setitem(P.SOURCES, "fake-detector", source)
    model = detection.load_detector("fake-detector")
    assert isinstance(model, torchvision.models.detection.ssd.SSD) and not model.training
    assert source.reported_box_map == 21.3 and source.reported_top1 is None
    reference.eval()
    image = torch.rand(3, 64, 80, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ours, theirs = model([image])[0], reference([image])[0]
    assert torch.equal(ours["boxes"], theirs["boxes"]) and torch.equal(ours["scores"], theirs["scores"])
