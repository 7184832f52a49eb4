"""Adversarial training steps (axlib.models.adversarial) and the registry's training hook."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from axlib import attacks
from axlib.models import adversarial as A
from axlib.models import registry
from axlib.models.train import fit


def tiny_cnn(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Dropout(0.2), nn.Linear(24, 3))


def batch(n: int = 8, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, 8, 8, generator=g), torch.randint(0, 3, (n,), generator=g)


def test_fast_step_loss_is_loss_on_fgm_with_random_start():
    import copy
    base = tiny_cnn().train()
    x, y = batch()
    model = copy.deepcopy(base)
    torch.manual_seed(0)  # dropout
    loss = A.fast_fgm_training_step(eps=0.3, seed=5)(model, x, y)
    assert model.training  # the attack ran in eval mode, training mode was restored
    assert loss.requires_grad and loss.dim() == 0
    # the same random start and step of length 1.25 eps, by hand, on a fresh copy
    model = copy.deepcopy(base).eval()
    x_adv = attacks.pgd(model, x, y, eps=0.3, step=0.375, steps=1, random_start=True,
                        generator=torch.Generator().manual_seed(5))
    assert float((x_adv - x).flatten(1).norm(dim=1).max()) <= 0.3 + 1e-5
    model.train()
    torch.manual_seed(0)
    expected = nn.functional.cross_entropy(model(x_adv), y)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)


def test_pgd_step_differs_from_clean_and_raises_loss():
    model = tiny_cnn().eval()  # eval: no dropout noise, so losses compare
    x, y = batch(16)
    clean = nn.functional.cross_entropy(model(x), y).item()
    adv = A.pgd_training_step(eps=1.0, steps=5, random_start=False)(model, x, y).item()
    assert adv > clean


def test_clean_weight_mixes_losses():
    model = tiny_cnn().eval()
    x, y = batch()
    adv = A.pgd_training_step(eps=0.5, steps=2, random_start=False)(model, x, y).item()
    clean = nn.functional.cross_entropy(model(x), y).item()
    mixed = A.pgd_training_step(eps=0.5, steps=2, random_start=False, clean_weight=0.25)(model, x, y).item()
    assert mixed == pytest.approx(0.75 * adv + 0.25 * clean, rel=1e-5)
    only_clean = A.pgd_training_step(eps=0.5, steps=2, clean_weight=1.0)(model, x, y).item()
    assert only_clean == pytest.approx(clean, rel=1e-6)


def test_step_does_not_touch_parameter_grads_before_backward():
    model = tiny_cnn().train()
    x, y = batch()
    loss = A.fast_fgm_training_step(eps=0.5)(model, x, y)
    assert all(p.grad is None for p in model.parameters())
    loss.backward()
    assert all(p.grad is not None for p in model.parameters())


def test_fit_with_fast_step_is_deterministic_and_changes_weights():
    x, y = batch(64, seed=1)
    recipe = {"epochs": 2, "batch_size": 8, "lr": 0.05, "seed": 3, "augment": None,
              "adversarial": {"method": "fast-fgm-rs", "eps": 0.5, "norm": "l2"}}
    states = []
    for _ in range(2):
        model = tiny_cnn()
        before = [p.detach().clone() for p in model.parameters()]
        fit(model, x, y, recipe, batch_step=A.batch_step_from_recipe(recipe))
        states.append([p.detach().clone() for p in model.parameters()])
        assert any(not torch.equal(a, b) for a, b in zip(before, states[-1]))
    assert all(torch.equal(a, b) for a, b in zip(*states))


def test_batch_step_from_recipe():
    assert A.batch_step_from_recipe({"epochs": 1}) is None
    assert callable(A.batch_step_from_recipe({"adversarial": {"method": "pgd", "eps": 0.5, "steps": 3}}))
    with pytest.raises(ValueError, match="method"):
        A.batch_step_from_recipe({"adversarial": {"method": "free", "eps": 0.5}})
    with pytest.raises(ValueError, match="alpha"):
        A.batch_step_from_recipe({"adversarial": {"method": "pgd", "eps": 0.5, "alpha": 1.0}})
    with pytest.raises(ValueError, match="adversarial"):
        A.batch_step_from_recipe({"adversarial": {"eps": 0.5}})


@pytest.mark.parametrize("build, kw, name", [
    (A.pgd_training_step, dict(eps=-1.0), "eps"),
    (A.pgd_training_step, dict(eps=0.5, steps=0), "steps"),
    (A.pgd_training_step, dict(eps=0.5, step=0.0), "step"),
    (A.pgd_training_step, dict(eps=0.5, norm="l1"), "norm"),
    (A.pgd_training_step, dict(eps=0.5, clean_weight=1.5), "clean_weight"),
    (A.pgd_training_step, dict(eps=0.5, label_smoothing=1.0), "label_smoothing"),
    (A.pgd_training_step, dict(eps=0.5, seed=-1), "seed"),
    (A.fast_fgm_training_step, dict(eps=0.5, alpha=-0.1), "alpha"),
    (A.fast_fgm_training_step, dict(eps=float("nan")), "eps"),
])
def test_bad_parameters_raise(build, kw, name):
    with pytest.raises(ValueError, match=name):
        build(**kw)


def test_robustness_reports_clean_and_adversarial_accuracy():
    model = tiny_cnn().eval()
    x, y = batch(32)
    y = attacks.predicted_labels(model, x)  # clean accuracy 1 by construction
    r = A.robustness(model, x, y, eps=2.0, steps=5, batch_size=10)
    assert r["clean_accuracy"] == 1.0 and r["n"] == 32
    assert 0.0 <= r["adversarial_accuracy"] < 1.0
    assert r["attack"]["eps"] == 2.0 and r["attack"]["steps"] == 5 and r["attack"]["name"] == "L2 PGD-5"
    assert A.robustness(model, x, y, eps=0.0, steps=1)["adversarial_accuracy"] == 1.0


def test_registry_entry():
    spec = registry.MODELS["cifar10-alexnet-adv"]
    assert spec.recipe["adversarial"]["method"] == "fast-fgm-rs"
    assert spec.recipe["adversarial"]["eps"] == 0.5
    assert spec.recipe["init"] == "cifar10-alexnet"  # fine-tuned from the shipped vanilla model
    assert callable(spec.batch_step(spec.recipe)) and spec.evaluate is not None
    assert registry.MODELS["cifar10-alexnet"].batch_step is None  # vanilla: plain cross-entropy
