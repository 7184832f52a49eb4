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


# ---------------------------------------------------------------- resumable training (fit)

_TINY_RECIPE = {"epochs": 2, "batch_size": 4, "lr": 0.05, "seed": 0}


def _tiny_fit(work_dir, recipe=None, tag="embedded"):
    """Two epochs of a linear model on 32 random 3x4x4 images; returns (model, log)."""
    from axlib.models.train import fit

    g = torch.Generator().manual_seed(1)
    x, y = torch.rand(32, 3, 4, 4, generator=g), torch.randint(0, 3, (32,), generator=g)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(48, 3))
    return model, fit(model, x, y, recipe or _TINY_RECIPE, work_dir=work_dir, resume_tag=tag)


def test_fit_resumes_only_from_its_own_recipe_and_data(tmp_path, capsys):
    from axlib.models.train import RESUME_FILE, discard_resume

    work = tmp_path / "m.work"
    reference, log = _tiny_fit(None)
    interrupted = dict(_TINY_RECIPE, epochs=1)
    _tiny_fit(work, interrupted)                            # a 1-epoch run leaves its state behind
    assert (work / RESUME_FILE).is_file() and not (work / (RESUME_FILE + ".part")).exists()
    model, resumed_log = _tiny_fit(work)                    # another recipe (2 epochs): not resumed from
    assert "was written for another recipe or data source: starting from epoch 1" in capsys.readouterr().out
    assert [e["epoch"] for e in resumed_log] == [1, 2]
    assert torch.equal(model[1].weight, reference[1].weight)
    capsys.readouterr()
    _, again = _tiny_fit(work)                              # same recipe and data: resumes (nothing left)
    assert [e["loss"] for e in again] == [e["loss"] for e in resumed_log]
    assert '"epoch"' not in capsys.readouterr().out          # no epoch was trained again
    _tiny_fit(work, tag="official")                         # same recipe, other data source: fresh
    assert "another recipe or data source" in capsys.readouterr().out
    discard_resume(work)
    assert not work.exists()


def test_fit_discards_a_truncated_resume_file(tmp_path, capsys):
    from axlib.models.train import RESUME_FILE

    work = tmp_path / "m.work"
    work.mkdir()
    (work / RESUME_FILE).write_bytes(b"PK\x03\x04 truncated")
    reference, _ = _tiny_fit(None)
    model, log = _tiny_fit(work)
    assert "cannot be read" in capsys.readouterr().out and [e["epoch"] for e in log] == [1, 2]
    assert torch.equal(model[1].weight, reference[1].weight)


def test_fit_uses_the_recipes_optimiser():
    sgd, _ = _tiny_fit(None)
    adamw, log = _tiny_fit(None, dict(_TINY_RECIPE, optimizer="adamw", lr=1e-2, weight_decay=0.05))
    assert len(log) == 2 and not torch.equal(sgd[1].weight, adamw[1].weight)
    again, _ = _tiny_fit(None, dict(_TINY_RECIPE, optimizer="adamw", lr=1e-2, weight_decay=0.05))
    assert torch.equal(adamw[1].weight, again[1].weight)                     # seeded: the same weights
    with pytest.raises(ValueError, match=r"recipe\['optimizer'\] must be one of \('sgd', 'adamw'\), got 'adam'"):
        _tiny_fit(None, dict(_TINY_RECIPE, optimizer="adam"))


@pytest.mark.parametrize("epochs", [0, -1, 1.5, "2"])
def test_train_refuses_epochs_below_one_before_loading_data(epochs):
    from axlib.models.registry import train

    with pytest.raises(ValueError, match="epochs"):
        train("cifar10-alexnet", epochs=epochs, out="/nonexistent")


@pytest.mark.parametrize("shape, hint", [((2, 1, 32, 32), "grey image"), ((2, 4, 32, 32), ""), ((3, 32, 32), "")])
def test_models_refuse_inputs_with_another_channel_count(shape, hint):
    model = load("cifar10-alexnet")
    with pytest.raises(ValueError, match=r"x must have shape \(B, 3, H, W\) for this model, got .*" + hint):
        model(torch.rand(shape))
