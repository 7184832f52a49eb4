"""The ILSVRC2012 training path (axlib.data.imagenet_train) on small fakes in the official
layouts: the nested archive (a tar of per-class tars) read in place and an extracted folder;
torchvision's random-resized-crop draws; epochs independent of the loader's workers; and the
streaming batch source of axlib.models.train."""
from __future__ import annotations

import io
import tarfile

import numpy as np
import pytest
import torch

from axlib.data import imagenet_train as T
from axlib.data.imagenet import IMAGENET_WNIDS

CLASSES = (0, 7, 999)          # three of the 1,000 classes, by label


def _jpeg(rng: np.random.Generator, height: int, width: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _images(per_class: int = 3) -> dict[str, dict[str, bytes]]:
    """wnid -> {file name: JPEG bytes} for CLASSES, images of varied sizes."""
    rng = np.random.default_rng(0)
    return {IMAGENET_WNIDS[c]: {f"{IMAGENET_WNIDS[c]}_{k + 1}.JPEG": _jpeg(rng, 40 + 7 * k, 56 - 5 * k)
                                for k in range(per_class)} for c in CLASSES}


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def fake_train_archive(root, monkeypatch, per_class: int = 3) -> dict[str, dict[str, bytes]]:
    """``root/ILSVRC2012_img_train.tar`` in the official layout: one ``<wnid>.tar`` per class of
    ``<wnid>_<n>.JPEG`` files; the module's md5 and image count set to the fake's."""
    from axlib.data.imagenet_val import _digest

    images = _images(per_class)
    root.mkdir(parents=True, exist_ok=True)
    archive = root / T.TRAIN_ARCHIVE[0]
    with tarfile.open(archive, "w") as outer:
        for wnid, files in images.items():
            inner = io.BytesIO()
            with tarfile.open(fileobj=inner, mode="w") as tar:
                for name, data in files.items():
                    _add(tar, name, data)
            _add(outer, f"{wnid}.tar", inner.getvalue())
    monkeypatch.setenv("AXLIB_IMAGENET", str(root))
    monkeypatch.setattr(T, "TRAIN_ARCHIVE", (T.TRAIN_ARCHIVE[0], _digest(archive, "md5")))
    monkeypatch.setattr(T, "TRAIN_IMAGES", per_class * len(CLASSES))
    monkeypatch.setattr(T, "TRAIN_CLASSES", len(CLASSES))
    T.training_images.cache_clear()
    return images


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AXLIB_DATA", str(tmp_path / "cache"))
    yield
    T.training_images.cache_clear()


def _decoded(data: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.height, image.width


def test_archive_is_read_in_place_with_labels_of_the_wnids(tmp_path, monkeypatch, cache):
    images = fake_train_archive(tmp_path / "imagenet", monkeypatch)
    split = T.training_images()
    assert len(split) == 9 and split.labels.tolist() == [0, 0, 0, 7, 7, 7, 999, 999, 999]
    expected = [data for wnid in sorted(images) for _, data in sorted(images[wnid].items())]
    assert [split._bytes(i) for i in range(len(split))] == expected      # byte ranges of the outer file
    assert not any((tmp_path / "cache").rglob("*.JPEG"))                  # nothing extracted
    x, label = split[4]
    assert x.dtype == torch.uint8 and x.shape == (3, 224, 224) and label == 7
    assert list((tmp_path / "cache" / "imagenet-train").glob("index-*.npz"))   # the index is cached


def test_archive_failing_its_md5_or_count_is_refused(tmp_path, monkeypatch, cache):
    from axlib.data.registry import ChecksumError

    fake_train_archive(tmp_path / "imagenet", monkeypatch)
    monkeypatch.setattr(T, "TRAIN_IMAGES", 10)
    with pytest.raises(ValueError, match="9 JPEGs of 3 classes, the official archive has 10"):
        T.training_images()
    monkeypatch.setattr(T, "TRAIN_ARCHIVE", (T.TRAIN_ARCHIVE[0], "0" * 32))
    (tmp_path / "cache" / "imagenet-train" / "verified.json").unlink()
    with pytest.raises(ChecksumError, match="the file was not used"):
        T.training_images()


def test_extracted_folder_and_a_foreign_class_folder(tmp_path, monkeypatch, cache):
    images = _images()
    for wnid, files in images.items():
        (tmp_path / "imagenet" / "train" / wnid).mkdir(parents=True)
        for name, data in files.items():
            (tmp_path / "imagenet" / "train" / wnid / name).write_bytes(data)
    monkeypatch.setenv("AXLIB_IMAGENET", str(tmp_path / "imagenet"))
    assert T.status() == "present"
    split = T.training_images()
    assert split.labels.tolist() == [0, 0, 0, 7, 7, 7, 999, 999, 999]
    assert split._bytes(3) == images[IMAGENET_WNIDS[7]][f"{IMAGENET_WNIDS[7]}_1.JPEG"]
    (tmp_path / "imagenet" / "train" / "n99999999").mkdir()
    T.training_images.cache_clear()
    with pytest.raises(ValueError, match="'n99999999' is not one of the 1,000 ILSVRC2012 wnids"):
        T.training_images()


def test_missing_copy_says_what_to_do(tmp_path, monkeypatch, cache):
    (tmp_path / "empty" / "bbox" / IMAGENET_WNIDS[0]).mkdir(parents=True)       # the training boxes' layout:
    (tmp_path / "empty" / "bbox" / IMAGENET_WNIDS[0] / f"{IMAGENET_WNIDS[0]}_1.xml").write_text("<annotation/>")
    monkeypatch.setenv("AXLIB_IMAGENET", str(tmp_path / "empty"))              # class folders without JPEGs
    assert T.status() == "missing"
    with pytest.raises(FileNotFoundError, match="ILSVRC2012_img_train.tar from https://image-net.org"):
        T.training_images()


@pytest.mark.parametrize("size", [(40, 56), (500, 375), (30, 400), (400, 30)])
def test_crop_draws_equal_torchvision_get_params(size):
    from PIL import Image
    from torchvision.transforms import RandomResizedCrop

    image = Image.new("RGB", (size[1], size[0]))
    for seed in range(50):
        torch.manual_seed(seed)
        expected = RandomResizedCrop.get_params(image, scale=[0.08, 1.0], ratio=[3 / 4, 4 / 3])
        found = T.random_resized_crop_params(size[0], size[1], torch.Generator().manual_seed(seed))
        assert found == tuple(expected)
    with pytest.raises(ValueError, match="height must be"):
        T.random_resized_crop_params(0, size[1], torch.Generator())


def test_draws_depend_on_seed_epoch_and_index_only(tmp_path, monkeypatch, cache):
    fake_train_archive(tmp_path / "imagenet", monkeypatch)
    split = T.training_images()
    first = torch.stack([split[i][0] for i in range(len(split))])
    assert torch.equal(first, torch.stack([split[i][0] for i in reversed(range(len(split)))]).flip(0))
    split.set_epoch(1)
    assert not torch.equal(first, torch.stack([split[i][0] for i in range(len(split))]))   # a new epoch, new crops
    with pytest.raises(IndexError, match=r"i must be in \[0, 8\]"):
        split[9]


def test_loader_batches_are_the_same_with_and_without_workers(tmp_path, monkeypatch, cache):
    from axlib.models.train import LoaderBatches

    fake_train_archive(tmp_path / "imagenet", monkeypatch)
    split = T.training_images()
    runs = []
    for workers in (0, 2):
        batches = LoaderBatches(split, 4, workers=workers)
        assert batches.steps_per_epoch == 2
        generator = torch.Generator().manual_seed(0)
        runs.append([(xb, yb) for e in range(2) for xb, yb in batches.epoch(e, generator)])
    assert len(runs[0]) == 4
    for (xa, ya), (xb, yb) in zip(*runs):
        assert xa.dtype == torch.float32 and 0 <= xa.min() and xa.max() <= 1 and xa.shape == (4, 3, 224, 224)
        assert torch.equal(xa, xb) and torch.equal(ya, yb)


def test_step_schedule_divides_the_rate_at_each_milestone():
    from axlib.models.train import _scheduler

    model = torch.nn.Linear(2, 2)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = _scheduler(opt, {"lr": 0.1, "epochs": 4, "lr_milestones": [1, 3], "lr_gamma": 0.1}, steps_per_epoch=2)
    rates = []
    for _ in range(8):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert np.allclose(rates, [0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.001, 0.001])
    with pytest.raises(ValueError, match=r"recipe\['lr_milestones'\] must be increasing epochs >= 1"):
        _scheduler(opt, {"lr": 0.1, "epochs": 4, "lr_milestones": [3, 1]}, steps_per_epoch=2)


def _small_resnet() -> torch.nn.Module:
    """The form of registry._imagenet_classifier's models, with ResNet-18 for speed."""
    import torchvision

    from axlib.models.pretrained import imagenet_classifier

    return imagenet_classifier(torchvision.models.resnet18(weights=None))


@pytest.mark.parametrize("name", ["imagenet-alexnet-robust", "imagenet-resnet50-advprop-pgd1"])
def test_recipe_trains_on_the_local_copies_and_writes_a_card(name, tmp_path, monkeypatch, cache):
    """One epoch of each kind of recipe (L2 PGD training; AdvProp, its ResNet-50 swapped for a
    ResNet-18) on the fake training archive, validated on a fake validation copy; the card
    records the recipe as run, the top-1 on the whole validation split and the footnote-2 PGD;
    the checkpoint loads, verified by its card, into the plain architecture."""
    import dataclasses
    import json

    from test_paper_path_on_fakes import fake_imagenet_val

    from axlib.models import registry
    from axlib.models.checkpoints import load_state

    fake_train_archive(tmp_path / "imagenet", monkeypatch, per_class=2)
    fake_imagenet_val(tmp_path / "imagenet", monkeypatch, labels=[0, 7, 999, 7])
    from axlib.data import imagenet_val
    imagenet_val.validation_images.cache_clear()
    spec = registry.MODELS[name]
    if "resnet50" in name:
        monkeypatch.setitem(registry.MODELS, name, dataclasses.replace(spec, build=_small_resnet))
    try:
        card = registry.train(name, epochs=1, batch_size=3, out=tmp_path / "out")
    finally:
        imagenet_val.validation_images.cache_clear()
    assert card["recipe"] == dict(spec.recipe, epochs=1, batch_size=3)
    assert card["data_source"] == "ILSVRC2012 train (local copy)" and len(card["log"]) == 1
    assert card["test_set"].startswith("ILSVRC2012 validation split, 4 images") and 0 <= card["test_accuracy"] <= 1
    attack = card["robustness"]["attack"]
    assert (attack["eps"], attack["steps"], attack["step"], card["robustness"]["n"]) == (3.0, 7, 0.5, 4)
    state = load_state(tmp_path / "out" / f"{name}.safetensors")
    assert set(state) == set(registry.MODELS[name].build().state_dict())     # AdvProp's auxiliary norms stripped
    assert json.loads((tmp_path / "out" / f"{name}.json").read_text())["sha256"] == card["sha256"]
    assert not (tmp_path / "out" / f"{name}.work").exists()


def test_batch_size_is_only_for_the_imagenet_recipes():
    from axlib.models import registry

    with pytest.raises(ValueError, match="batch_size is for the ImageNet recipes"):
        registry.train("cifar10-alexnet", batch_size=8)
    with pytest.raises(ValueError, match="batch_size must be"):
        registry.train("imagenet-alexnet-robust", batch_size=0)
