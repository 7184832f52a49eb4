"""Tests of axlib.attacks: budgets, bounds, strength, masks, seeding, validation.

Run as a script (``python tests/test_attacks.py``) to time our Linf PGD against Captum's.
"""
from __future__ import annotations

import functools
import warnings

import pytest
import torch
from torch import nn

from axlib.attacks import adversarial_accuracy, fgm, pgd, predicted_labels

torch.set_num_threads(1)


def _data(n=384, seed=0):
    """Two classes of 3x8x8 images: +pattern vs -pattern around grey, values touching 0 and 1."""
    pattern = torch.randn(1, 3, 8, 8, generator=torch.Generator().manual_seed(1234)).sign()
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    s = (2 * y - 1).float().view(-1, 1, 1, 1)
    x = 0.5 + 0.12 * s * pattern + 0.25 * torch.randn(n, 3, 8, 8, generator=g)
    return x.clamp(0, 1), y


@pytest.fixture(scope="module")
def toy():
    """A tiny MLP trained in well under 2 s on separable synthetic data."""
    torch.manual_seed(0)
    x, y = _data()
    model = nn.Sequential(nn.Flatten(), nn.Linear(192, 32), nn.ReLU(), nn.Linear(32, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(150):
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    opt.zero_grad(set_to_none=True)
    model.eval()
    xt, yt = _data(256, seed=1)
    return model, xt, yt


def _l2(d):
    return d.flatten(1).norm(dim=1)


def _linf(d):
    return d.flatten(1).abs().amax(dim=1)


def test_toy_model_is_trained(toy):
    model, x, y = toy
    assert (predicted_labels(model, x) == y).float().mean() > 0.9


@pytest.mark.parametrize("norm,eps,step", [("l2", 0.5, 0.1), ("linf", 0.03, 0.01)])
@pytest.mark.parametrize("random_start", [False, True])
def test_pgd_stays_in_ball_and_bounds(toy, norm, eps, step, random_start):
    model, x, y = toy
    x_adv = pgd(model, x, y, eps=eps, step=step, steps=15, norm=norm, random_start=random_start,
                generator=torch.Generator().manual_seed(3))
    d = x_adv - x
    size = _l2(d) if norm == "l2" else _linf(d)
    assert size.max() <= eps * (1 + 1e-5) + 1e-7
    assert x_adv.min() >= 0 and x_adv.max() <= 1
    assert size.max() > 0.5 * eps  # it actually moved
    assert x_adv.shape == x.shape and not x_adv.requires_grad and x_adv.grad_fn is None


@pytest.mark.parametrize("norm,eps", [("l2", 0.7), ("linf", 0.05)])
def test_fgm_stays_in_ball_and_bounds(toy, norm, eps):
    model, x, y = toy
    d = fgm(model, x, y, eps=eps, norm=norm) - x
    size = _l2(d) if norm == "l2" else _linf(d)
    assert size.max() <= eps * (1 + 1e-5) + 1e-7
    assert (x + d).min() >= 0 and (x + d).max() <= 1


def test_l2_projection_is_per_sample(toy):
    model, x, y = toy
    # one image with a huge step budget: every sample must end on or inside its own ball
    x_adv = pgd(model, x[:8], y[:8], eps=0.3, step=1.0, steps=3, norm="l2")
    n = _l2(x_adv - x[:8])
    assert torch.all(n <= 0.3 * (1 + 1e-5))
    assert torch.all(n > 0.2)  # each sample reaches (about) its own sphere, none shrunk by others


def test_pgd_at_least_as_strong_as_fgm(toy):
    model, x, y = toy
    clean = adversarial_accuracy(model, x, y, lambda m, xb, yb: xb)
    acc_fgm = adversarial_accuracy(model, x, y, functools.partial(fgm, eps=1.5, norm="l2"))
    acc_pgd = adversarial_accuracy(model, x, y, functools.partial(pgd, eps=1.5, step=0.1875, steps=20,
                                                                  norm="l2"), batch_size=100)
    assert acc_pgd <= acc_fgm < clean
    acc_pgd_inf = adversarial_accuracy(model, x, y, functools.partial(pgd, eps=0.12, step=0.03, steps=10,
                                                                      norm="linf"))
    acc_fgm_inf = adversarial_accuracy(model, x, y, functools.partial(fgm, eps=0.12, norm="linf"))
    assert acc_pgd_inf <= acc_fgm_inf < clean


def test_fgm_equals_one_step_pgd(toy):
    model, x, y = toy
    for norm, eps in (("l2", 0.6), ("linf", 0.03)):
        assert torch.allclose(fgm(model, x, y, eps=eps, norm=norm),
                              pgd(model, x, y, eps=eps, step=eps, steps=1, norm=norm), atol=1e-7)


@pytest.mark.parametrize("norm", ["l2", "linf"])
def test_mask_restricts_changes(toy, norm):
    model, x, y = toy
    g = torch.Generator().manual_seed(0)
    mask = (torch.rand(x.shape, generator=g) < 0.3).float()
    eps = 0.5 if norm == "l2" else 0.05
    x_adv = pgd(model, x, y, eps=eps, step=eps / 4, steps=8, norm=norm, mask=mask,
                random_start=True, generator=g)
    d = x_adv - x
    assert torch.all(d[mask == 0] == 0)
    assert d[mask == 1].abs().sum() > 0
    d1 = fgm(model, x, y, eps=eps, norm=norm, mask=mask.bool()) - x
    assert torch.all(d1[mask == 0] == 0)


def test_random_start_reproducible(toy):
    model, x, y = toy
    kw = dict(eps=0.5, step=0.05, steps=5, norm="l2", random_start=True)
    a = pgd(model, x, y, generator=torch.Generator().manual_seed(7), **kw)
    b = pgd(model, x, y, generator=torch.Generator().manual_seed(7), **kw)
    c = pgd(model, x, y, generator=torch.Generator().manual_seed(8), **kw)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_model_and_parameters_untouched(toy):
    model, x, y = toy
    model.train()
    before = [p.detach().clone() for p in model.parameters()]
    pgd(model, x, y, eps=0.5, step=0.1, steps=3)
    assert model.training  # mode restored
    model.eval()
    for p, b in zip(model.parameters(), before):
        assert torch.equal(p, b) and p.grad is None


def test_attack_runs_model_in_eval_mode(toy):
    model, x, y = toy
    dropped = nn.Sequential(nn.Dropout(0.5), *model).train()
    a = pgd(dropped, x[:16], y[:16], eps=0.5, step=0.1, steps=3)
    assert dropped.training
    assert torch.equal(a, pgd(model, x[:16], y[:16], eps=0.5, step=0.1, steps=3))  # dropout was off
    assert torch.equal(predicted_labels(dropped, x), predicted_labels(model, x))


def test_predicted_labels_attack(toy):
    model, x, _ = toy
    yp = predicted_labels(model, x)
    assert yp.shape == (x.shape[0],) and yp.dtype == torch.long
    x_adv = pgd(model, x, yp, eps=2.5, step=0.25, steps=20)
    assert (predicted_labels(model, x_adv) != yp).float().mean() > 0.5


class _Counting(nn.Module):
    """Wraps a model and counts its forward passes."""

    def __init__(self, model):
        super().__init__()
        self.model, self.calls = model, 0

    def forward(self, x):
        self.calls += 1
        return self.model(x)


@pytest.mark.parametrize("random_start", [False, True])
def test_attacking_the_prediction_reads_it_from_the_first_forward(toy, random_start):
    """y=None attacks the prediction on x: the same examples, bit for bit, as passing
    predicted_labels(x), returned with those labels, and without a forward of its own unless a
    random start moves the first forward off x."""
    model, x, _ = toy
    counted = _Counting(model)
    yp = predicted_labels(model, x)
    kw = dict(eps=0.5, step=0.1, steps=4, random_start=random_start)
    expected = pgd(model, x, yp, generator=torch.Generator().manual_seed(3), **kw)
    x_adv, labels = pgd(counted, x, None, generator=torch.Generator().manual_seed(3), return_labels=True, **kw)
    assert torch.equal(x_adv, expected) and torch.equal(labels, yp)
    assert counted.calls == 4 + random_start
    counted.calls = 0
    x_fgm, labels = fgm(counted, x, None, eps=0.5, return_labels=True)
    assert torch.equal(x_fgm, fgm(model, x, yp, eps=0.5)) and torch.equal(labels, yp)
    assert counted.calls == 1
    given = torch.zeros_like(yp)
    assert torch.equal(pgd(model, x, given, return_labels=True, **kw)[1], given)
    with pytest.raises(ValueError, match="return_labels must be True or False, got 1"):
        pgd(model, x, None, return_labels=1, **kw)
    with pytest.raises(ValueError, match="return_labels must be True or False, got 'no'"):
        fgm(model, x, None, eps=0.5, return_labels="no")


def test_predicted_labels_builds_no_graph(toy):
    model, x, _ = toy
    assert not predicted_labels(model, x).requires_grad
    model.zero_grad(set_to_none=True)
    out = []
    handle = model[-1].register_forward_hook(lambda m, i, o: out.append(o))
    predicted_labels(model, x[:4])
    handle.remove()
    assert out[0].grad_fn is None


def test_targeted_pgd_steps_towards_its_labels():
    """Planted on a linear 3-class model: aimed at a class, targeted PGD raises that class's
    probability on every image; aimed at the label itself it makes the model surer of the
    label, where untargeted PGD makes it less sure."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 8 * 8, 3))
    x = torch.rand(16, 3, 8, 8, generator=torch.Generator().manual_seed(5)) * 0.5 + 0.25
    y = predicted_labels(model, x)
    kw = dict(eps=0.1, step=0.02, steps=10, norm="l2")

    def prob(images, labels):
        return model(images).softmax(1).gather(1, labels[:, None])[:, 0]

    other = (y + 1) % 3
    with torch.no_grad():
        assert bool((prob(pgd(model, x, other, targeted=True, **kw), other) > prob(x, other)).all())
        assert bool((prob(pgd(model, x, y, targeted=True, **kw), y) > prob(x, y)).all())
        assert bool((prob(pgd(model, x, y, **kw), y) < prob(x, y)).all())
    with pytest.raises(ValueError, match="targeted must be True or False, got 'yes'"):
        pgd(model, x, y, targeted="yes", **kw)


@pytest.mark.parametrize("kw,param", [
    (dict(eps=-0.1), "eps"),
    (dict(step=0.0), "step"),
    (dict(step=-1.0), "step"),
    (dict(steps=0), "steps"),
    (dict(steps=2.5), "steps"),
    (dict(norm="l1"), "norm"),
])
def test_bad_parameters_raise(toy, kw, param):
    model, x, y = toy
    args = dict(eps=0.1, step=0.01, steps=2, norm="l2")
    args.update(kw)
    with pytest.raises(ValueError, match=param):
        pgd(model, x[:4], y[:4], **args)


def test_bad_inputs_raise(toy):
    model, x, y = toy
    kw = dict(eps=0.1, step=0.01, steps=1)
    with pytest.raises(ValueError, match=r"x must lie in \[0, 1\]"):
        pgd(model, x[:4] * 3, y[:4], **kw)
    with pytest.raises(ValueError, match="x must have shape"):
        pgd(model, x[:4].flatten(1), y[:4], **kw)
    with pytest.raises(ValueError, match="x must be a floating"):
        pgd(model, (x[:4] > 0.5).long(), y[:4], **kw)
    with pytest.raises(ValueError, match="y must be"):
        pgd(model, x[:4], y[:3], **kw)
    with pytest.raises(ValueError, match="mask"):
        pgd(model, x[:4], y[:4], mask=torch.ones(4, 3, 8), **kw)
    with pytest.raises(ValueError, match="eps"):
        fgm(model, x[:4], y[:4], eps=float("nan"))
    with pytest.raises(ValueError, match="norm"):
        fgm(model, x[:4], y[:4], eps=0.1, norm="L3")


def test_matches_captum_linf_pgd(toy):
    """Cross-check: Captum's Linf PGD (zero_thresh 0) gives exactly our adversarial examples."""
    captum_robust = pytest.importorskip("captum.robust")
    model, x, y = toy
    cap = captum_robust.PGD(model, loss_func=lambda out, t: nn.functional.cross_entropy(out, t, reduction="none"),
                            lower_bound=0.0, upper_bound=1.0)
    cap.fgsm.zero_thresh = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Captum: "did not already require gradients"
        theirs = cap.perturb(x[:32], radius=0.03, step_size=0.01, step_num=5, target=y[:32], norm="Linf")
    ours = pgd(model, x[:32], y[:32], eps=0.03, step=0.01, steps=5, norm="linf")
    assert torch.allclose(ours, theirs, atol=1e-6)


def _bench_captum(repeats: int = 5) -> dict:  # pragma: no cover - timing script
    import statistics
    import time

    from captum.robust import PGD

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(32 * 8 * 8, 10)).eval()
    x, y = torch.rand(64, 3, 32, 32), torch.randint(0, 10, (64,))
    cap = PGD(model, loss_func=lambda o, t: nn.functional.cross_entropy(o, t, reduction="none"),
              lower_bound=0.0, upper_bound=1.0)
    runs = {"axlib": lambda: pgd(model, x, y, eps=8 / 255, step=2 / 255, steps=20, norm="linf"),
            "captum": lambda: cap.perturb(x, radius=8 / 255, step_size=2 / 255, step_num=20,
                                          target=y, norm="Linf")}
    times = {k: [] for k in runs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in runs.values():
            f()
        for _ in range(repeats):
            for k, f in runs.items():
                t = time.perf_counter()
                f()
                times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


if __name__ == "__main__":  # pragma: no cover
    print({k: f"{v:.3f} s" for k, v in _bench_captum().items()})
