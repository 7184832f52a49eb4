"""Tests of the converted ImageNet MobileNetV2 and the ImageNet sample-image loader (offline)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import axlib.data.imagenet as imagenet
from axlib.data.imagenet import (
    IMAGENET_CLASSES,
    IMAGENET_WNIDS,
    IMAGENET_WORDS,
    imagenet_samples,
    label_of,
    load_images,
    preprocess,
    sample_paths,
)
from axlib.models import registry
from axlib.models.checkpoints import load_state, sha256_of
from axlib.models.mobilenet import MobileNetV2Folded, int8_model_path

torch.set_num_threads(1)
NAME = "imagenet-mobilenetv2"


@pytest.fixture(scope="module")
def model():
    return registry.load(NAME)


@pytest.fixture(scope="module")
def card():
    return registry.card(NAME)


@pytest.fixture(scope="module")
def embedded():
    return imagenet_samples()


# ------------------------------------------------------------------ model and checkpoint

def test_model_loads_verified_and_maps_pixels_to_logits(model, card):
    assert sha256_of(registry.checkpoint_path(NAME)) == card["sha256"]
    assert isinstance(model, MobileNetV2Folded) and not model.training
    x = torch.rand(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits = model(x)
    assert logits.shape == (2, 1000) and logits.dtype == torch.float32
    assert torch.isfinite(logits).all()
    assert not any(isinstance(m, (torch.nn.BatchNorm2d, torch.nn.ReLU6)) for m in model.modules())


def test_card_records_conversion_and_measurements(card):
    for key in ("top1_sample_images_1000", "top1_embedded_250", "int8_top1_agreement"):
        assert 0.0 <= card[key] <= 1.0
    assert 0.75 <= card["top1_sample_images_1000"] <= 0.92
    assert card["int8_top1_agreement"] >= 0.9
    assert set(card["skimage_predictions"]) == {"chelsea", "coffee", "rocket", "astronaut"}
    assert all(len(v) == 5 for v in card["skimage_predictions"].values())
    assert card["recipe"] is None and len(card["source"]["sha256"]) == 64
    assert "BSD" in card["licence"]
    assert registry.MODELS[NAME].recipe is None


def test_converted_model_is_not_trainable_by_recipe():
    with pytest.raises(ValueError, match="converted"):
        registry.train(NAME)


def test_corrupted_checkpoint_raises(tmp_path, monkeypatch):
    src = registry.checkpoint_path(NAME)
    copy = tmp_path / src.name
    shutil.copyfile(src, copy)
    shutil.copyfile(src.with_suffix(".json"), copy.with_suffix(".json"))
    data = bytearray(copy.read_bytes())
    data[-100] ^= 0xFF  # a byte inside the last tensor
    copy.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupted"):
        load_state(copy)
    monkeypatch.setattr(registry, "checkpoint_path", lambda name: copy)
    with pytest.raises(ValueError, match="corrupted"):
        registry.load(NAME)


def test_checkpoint_holds_only_plain_float_tensors():
    from safetensors import safe_open

    with safe_open(str(registry.checkpoint_path(NAME)), framework="pt") as handle:
        keys = list(handle.keys())
        assert all(handle.get_tensor(k).dtype == torch.float32 for k in keys)
    assert set(keys) == set(MobileNetV2Folded().state_dict())


# ------------------------------------------------------------------ classes and preprocessing

def test_class_lists_are_in_standard_imagenet_order():
    assert len(IMAGENET_WNIDS) == len(IMAGENET_WORDS) == len(IMAGENET_CLASSES) == 1000
    assert list(IMAGENET_WNIDS) == sorted(set(IMAGENET_WNIDS))
    known = {0: ("n01440764", "tench"), 281: ("n02123045", "tabby"), 404: ("n02690373", "airliner"),
             386: ("n02504458", "African elephant"), 950: ("n07747607", "orange"),
             999: ("n15075141", "toilet tissue")}
    for index, (wnid, name) in known.items():
        assert IMAGENET_WNIDS[index] == wnid and IMAGENET_CLASSES[index] == name
    assert label_of("n02123045_tabby.JPEG") == 281
    with pytest.raises(ValueError):
        label_of("n99999999_nothing.JPEG")


@pytest.mark.parametrize("size", [(500, 375), (375, 500), (100, 80), (224, 224)])
def test_preprocess_shape_and_range(size):
    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
    x = preprocess(image)
    assert x.shape == (3, 224, 224) and x.dtype == torch.float32
    assert 0.0 <= x.min() and x.max() <= 1.0


def test_preprocess_accepts_arrays_and_grey_and_keeps_constant_images():
    grey = preprocess(np.full((300, 400), 128, dtype=np.uint8))
    assert grey.shape == (3, 224, 224) and torch.allclose(grey, torch.full_like(grey, 128 / 255))
    assert preprocess(Image.new("L", (256, 300), 0)).max() == 0.0
    with pytest.raises(ValueError, match="uint8"):
        preprocess(np.zeros((300, 400, 3), dtype=np.float32))
    with pytest.raises(ValueError, match="crop"):
        preprocess(Image.new("RGB", (300, 300)), resize=200, crop=224)


# ------------------------------------------------------------------ embedded samples

def test_embedded_loader_returns_250_labelled_images(embedded):
    x, y, classes = embedded
    assert x.shape == (250, 3, 224, 224) and x.dtype == torch.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert y.dtype == torch.int64 and y.shape == (250,)
    assert ((0 <= y) & (y < 1000)).all() and len(set(y.tolist())) == 250
    assert classes == IMAGENET_CLASSES
    assert (y.diff() > 0).all()  # class-ordered, one image per class


def test_embedded_file_names_match_class_names():
    paths = sample_paths()
    assert [p.name for p in paths] == sorted(p.name for p in paths)
    for path in paths:
        name = path.stem.split("_", 1)[1].replace("_", " ").lower()
        synonyms = [s.strip().lower().replace("'", "") for s in IMAGENET_WORDS[label_of(path)].split(",")]
        assert name.replace("'", "") in synonyms, path.name


def test_n_is_validated_and_spreads_over_classes():
    for bad in (0, 251, -1, 2.5, True):
        with pytest.raises(ValueError, match=r"n must be .*\[1, 250\]"):
            sample_paths(bad)
    with pytest.raises(ValueError, match="source"):
        sample_paths(3, source="imagenet")
    five = sample_paths(5)
    labels = [label_of(p) for p in five]
    assert labels[0] == 0 and labels == sorted(labels) and labels[-1] > 700
    x, y, _ = imagenet_samples(2)
    assert x.shape == (2, 3, 224, 224) and y.tolist() == [label_of(p) for p in sample_paths(2)]


def test_embedded_files_are_byte_copies_of_the_registered_collection():
    table = Path(imagenet.__file__).with_name("imagenet_samples_sha256.json")
    if not table.exists():
        pytest.skip("the registry's ImageNet sample hashes are not present")
    files = json.loads(table.read_text())["files"]
    for path in sample_paths():
        assert sha256_of(path) == files[path.name], path.name


def test_recorded_predictions_on_embedded_images(model, card, embedded):
    recorded = card["embedded_predictions"]
    assert len(recorded) == 16
    x, y, _ = embedded
    names = [p.name for p in sample_paths()]
    with torch.no_grad():
        prob = model(x[:16]).softmax(1)
    for i, name in enumerate(names[:16]):
        assert recorded[name]["label"] == int(y[i])
        assert int(prob[i].argmax()) == recorded[name]["top1"], name
        assert abs(float(prob[i].max()) - recorded[name]["top1_probability"]) < 2e-3


# ------------------------------------------------------------------ the full set and the int8 source

def test_full_source_falls_back_to_shared_copy_when_offline(monkeypatch):
    from axlib.data import registry as data_registry

    def offline(name, **kwargs):
        raise OSError(f"{name}: offline")

    monkeypatch.setattr(data_registry, "fetch", offline)
    monkeypatch.setattr(imagenet, "shared_data_dir", lambda: None)
    with pytest.raises(OSError, match="offline"):
        sample_paths(3, source="full")
    from axlib._util.paths import shared_data_dir

    if shared_data_dir() is None or not (shared_data_dir() / "imagenet-samples").is_dir():
        pytest.skip("../shared/data/imagenet-samples is absent")
    monkeypatch.setattr(imagenet, "shared_data_dir", shared_data_dir)
    paths = sample_paths(4, source="full")
    assert [label_of(p) for p in paths] == [0, 250, 500, 750]
    with pytest.raises(ValueError, match=r"\[1, 1000\]"):
        sample_paths(1001, source="full")


def test_conversion_reproduces_checkpoint_and_agrees_with_int8(model):
    path = int8_model_path()
    if path is None:
        pytest.skip("../shared/data/mobilenet-v2-int8 is absent")
    from axlib.models.mobilenet import convert_int8_torchscript, int8_forward, load_int8_torchscript

    converted, layers = convert_int8_torchscript(path)
    assert len(layers) == 53
    shipped = model.state_dict()
    for key, value in converted.state_dict().items():
        assert torch.equal(value, shipped[key]), key
    x, _ = load_images(sample_paths(8))
    with torch.no_grad():
        float_pred = model(x).argmax(1)
    int8_pred = int8_forward(load_int8_torchscript(path), x).argmax(1)
    assert (float_pred == int8_pred).float().mean() >= 0.75
