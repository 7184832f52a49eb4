"""AdvProp: dual batch norms, the training step, and the deployable model."""
import pytest
import torch
from torch import nn

from axlib.models.advprop import DualBatchNorm2d, advprop_training_step, auxiliary, convert_to_dual_bn, strip_auxiliary


def small_net():
    """Batch norm directly on the input first, so its statistics are those of the batch fed."""
    torch.manual_seed(0)
    return nn.Sequential(nn.BatchNorm2d(3, momentum=0.5), nn.Conv2d(3, 4, 3, padding=1),
                         nn.BatchNorm2d(4), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(4, 3))


def batch(seed=1, n=8):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, 8, 8, generator=g), torch.randint(0, 3, (n,), generator=g)


def test_conversion_keeps_the_function():
    net = small_net()
    x, _ = batch()
    net.train()
    net(x)                                   # non-trivial running statistics
    net.eval()
    before = net(x)
    convert_to_dual_bn(net)
    assert sum(isinstance(m, DualBatchNorm2d) for m in net.modules()) == 2
    assert sum(isinstance(m, nn.BatchNorm2d) for m in net.modules()) == 4   # main + aux, twice
    assert torch.equal(net(x), before)
    with auxiliary(net):                     # the auxiliary half starts as the same copy
        assert torch.equal(net(x), before)


def test_step_feeds_clean_to_main_and_adversarial_to_aux():
    net = convert_to_dual_bn(small_net())
    x, y = batch()
    first = net[0]
    step = advprop_training_step(eps=0.5, steps=2, seed=0)
    net.train()
    loss = step(net, x, y)
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    expected_main = 0.5 * x.mean(dim=(0, 2, 3))          # momentum 0.5 from a zero running mean
    assert torch.allclose(first.main.running_mean, expected_main, atol=1e-6)
    assert not torch.allclose(first.aux.running_mean, expected_main, atol=1e-4)
    assert all(not m.use_aux for m in net.modules() if isinstance(m, DualBatchNorm2d))
    assert net.training


def test_step_is_deterministic_under_its_seed():
    losses = []
    for _ in range(2):
        net = convert_to_dual_bn(small_net())
        net.train()
        x, y = batch()
        losses.append(advprop_training_step(eps=0.5, steps=1, seed=3)(net, x, y).item())
    assert losses[0] == losses[1]


def test_strip_auxiliary_loads_into_the_plain_architecture():
    net = convert_to_dual_bn(small_net())
    x, y = batch()
    net.train()
    advprop_training_step(eps=0.5, steps=1)(net, x, y).backward()
    net.eval()
    plain = strip_auxiliary(net)
    assert not any(isinstance(m, DualBatchNorm2d) for m in plain.modules())
    fresh = small_net()
    fresh.load_state_dict(plain.state_dict())            # same keys and shapes as the original
    fresh.eval()
    assert torch.equal(fresh(x), net(x))


def test_xie_attacker_aims_at_other_classes_and_starts_a_fifth_of_batches_clean(monkeypatch):
    """target="random": every example is attacked towards a class other than its label (all
    other classes drawn), targeted; clean_start=0.2: about a fifth of the batches start at the
    clean images; the defaults attack the labels, untargeted, always from a random start."""
    import axlib.attacks

    calls = []
    real = axlib.attacks.pgd

    def spy(model, x, y, **kw):
        calls.append((y.clone(), kw["targeted"], kw["random_start"]))
        return real(model, x, y, **kw)

    monkeypatch.setattr(axlib.attacks, "pgd", spy)
    net = convert_to_dual_bn(small_net())
    net.train()
    x, y = batch(n=16)
    step = advprop_training_step(eps=0.5, steps=1, seed=0, target="random", clean_start=0.2)
    for _ in range(200):
        step(net, x, y)
    targets = torch.stack([c[0] for c in calls])
    assert all(c[1] for c in calls) and bool((targets != y).all()) and bool((targets >= 0).all())
    assert set(targets.flatten().tolist()) == {0, 1, 2}
    clean = sum(not c[2] for c in calls)
    assert 20 <= clean <= 60, clean                      # 200 draws at p = 0.2: 40 expected
    calls.clear()
    advprop_training_step(eps=0.5, steps=1, seed=0)(net, x, y)
    assert torch.equal(calls[0][0], y) and calls[0][1] is False and calls[0][2] is True


@pytest.mark.parametrize("kwargs, name", [(dict(eps=-1.0), "eps"), (dict(eps=0.5, steps=0), "steps"),
                                          (dict(eps=0.5, step=0.0), "step"),
                                          (dict(eps=0.5, target="least-likely"), "target"),
                                          (dict(eps=0.5, clean_start=1.5), "clean_start"),
                                          (dict(eps=0.5, label_smoothing=1.0), "label_smoothing"),
                                          (dict(eps=0.5, seed=-1), "seed")])
def test_bad_parameters_name_themselves(kwargs, name):
    with pytest.raises(ValueError, match=name):
        advprop_training_step(**kwargs)


def test_models_without_batch_norm_are_refused():
    with pytest.raises(ValueError, match="BatchNorm2d"):
        convert_to_dual_bn(nn.Sequential(nn.Conv2d(3, 3, 1)))
    x, y = batch()
    with pytest.raises(ValueError, match="DualBatchNorm2d"):
        advprop_training_step(eps=0.5)(small_net(), x, y)
