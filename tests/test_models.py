"""Shipped CIFAR-10 model: loads from plain tensors, verified, and keeps its recorded accuracy."""
import shutil

import pytest
import torch

from axlib.data.cifar import cifar10_test
from axlib.models import card, load
from axlib.models.checkpoints import load_state
from axlib.models.registry import checkpoint_path
from axlib.models.train import accuracy, augment_crop_flip


def test_alexnet_shapes_and_range():
    model = load("cifar10-alexnet")
    x, _, _ = cifar10_test(4)
    assert model(x).shape == (4, 10)
    assert not model.training


def test_alexnet_accuracy_matches_card():
    """The card's embedded-subset accuracy is what the shipped weights give (tolerance 0.1 pt)."""
    info = card("cifar10-alexnet")
    x, y, _ = cifar10_test()
    measured = accuracy(load("cifar10-alexnet"), x, y)
    assert measured == pytest.approx(info["embedded_subset_accuracy"], abs=1e-3)
    assert info["test_accuracy"] >= 0.78, "issue target: at least 78% on the CIFAR-10 test set"


def test_corrupted_checkpoint_is_refused(tmp_path):
    src = checkpoint_path("cifar10-alexnet")
    copy = tmp_path / src.name
    shutil.copy(src, copy)
    shutil.copy(src.with_suffix(".json"), copy.with_suffix(".json"))
    data = bytearray(copy.read_bytes())
    data[-10] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupted"):
        load_state(copy)


def test_unknown_model_names_the_choices():
    with pytest.raises(ValueError, match="cifar10-alexnet"):
        load("resnet-9000")


def test_augmentation_is_seeded_and_shape_preserving():
    x = torch.rand(8, 3, 32, 32)
    a = augment_crop_flip(x, torch.Generator().manual_seed(1))
    b = augment_crop_flip(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and torch.equal(a, b)
    assert not torch.equal(a, x)


def test_resnet_stem_stride_is_checked():
    from axlib.models.resnet import ResNet18Cifar
    assert ResNet18Cifar(width=4, stem_stride=2)(torch.rand(1, 3, 64, 64)).shape == (1, 10)
    with pytest.raises(ValueError, match="stem_stride"):
        ResNet18Cifar(width=4, stem_stride=3)
