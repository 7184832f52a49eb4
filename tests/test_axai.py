"""Tests of AXAI (axlib.explain): planted-region recovery, determinism, k-independence, validation."""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from axlib._util.checks import torch_threads
from axlib.explain import AxaiExplanation, axai, default_attack_params, rank_segments, tail_mask
from axlib.explain.axai import attribute, segment_density

torch.set_num_threads(1)

H = W = 32
PATCH = (slice(8, 16), slice(16, 24))  # block (row 1, col 2) of a 4x4 grid of 8x8 blocks
PATCH_SEGMENT = 1 * 4 + 2


class PlantedModel(nn.Module):
    """Logits depend strongly on one 8x8 patch and (scale ``leak``) weakly on the rest."""

    def __init__(self, leak: float = 0.0, classes: int = 5, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.patch = nn.Sequential(nn.Flatten(), nn.Linear(3 * 64, 16), nn.Tanh(), nn.Linear(16, classes))
        self.rest = nn.Linear(3 * H * W, classes)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
        self.leak = leak

    def forward(self, x):
        out = self.patch(x[:, :, PATCH[0], PATCH[1]])
        if self.leak:
            rest = x.clone()
            rest[:, :, PATCH[0], PATCH[1]] = 0
            out = out + self.leak * self.rest(rest.flatten(1))
        return out


def grid_segments(b=2, block=8):
    rows = torch.arange(H) // block
    cols = torch.arange(W) // block
    seg = rows[:, None] * (W // block) + cols[None, :]
    return seg.expand(b, H, W).clone()


def images(b=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, 3, H, W, generator=g) * 0.8 + 0.1


@pytest.mark.parametrize("leak", [0.0, 0.02])
@pytest.mark.parametrize("channel_rule", ["any", "sum"])
@pytest.mark.parametrize("attack", ["pgd", "fgm"])
def test_planted_region_is_top1(leak, channel_rule, attack):
    model = PlantedModel(leak=leak)
    x, seg = images(3), grid_segments(3)
    exp = axai(model, x, seg, k=3, channel_rule=channel_rule, attack=attack)
    assert isinstance(exp, AxaiExplanation)
    assert torch.all(exp.top_k[:, 0] == PATCH_SEGMENT)
    # the explanation mask of the top-1 segment is exactly the patch
    exp1 = axai(model, x, seg, k=1, channel_rule=channel_rule, attack=attack)
    expected = torch.zeros(3, H, W, dtype=torch.bool)
    expected[:, PATCH[0], PATCH[1]] = True
    assert torch.equal(exp1.mask, expected)
    if leak == 0.0:  # nothing outside the patch is changed, so nothing there is attacked
        assert not exp.attacked[:, ~expected[0]].any()
        assert exp.delta[:, :, ~expected[0]].abs().max() == 0


@pytest.mark.parametrize("attack, steps", [("pgd", 20), ("pgd", 3), ("fgm", 1)])
def test_no_forward_pass_beyond_the_attacks_and_the_adversarial_label(attack, steps):
    """The prediction attacked comes from the attack's first forward pass: AXAI runs the model
    once per attack step plus once on X' (its adversarial label), and explains what a
    separate prediction gives."""
    model, x, calls = PlantedModel(), images(), []
    model.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    exp = axai(model, x, grid_segments(), attack=attack, steps=steps, k=3)
    assert len(calls) == steps + 1
    with torch.no_grad():
        assert torch.equal(exp.target, model(x).argmax(1))


def test_density_divides_by_segment_size():
    """A big background segment collects more attacked pixels than the patch, yet ranks lower."""
    model = PlantedModel(leak=0.05)
    x, seg = images(2), grid_segments(2)
    seg = torch.where(seg % 4 < 2, torch.zeros_like(seg), seg)  # columns 0-15: one 512-pixel segment
    exp = axai(model, x, seg, k=2)
    attacked_big = exp.attacked[:, :, :16].sum(dim=(1, 2))
    attacked_patch = exp.attacked[:, PATCH[0], PATCH[1]].sum(dim=(1, 2))
    assert torch.all(attacked_big > attacked_patch)
    assert torch.all(exp.top_k[:, 0] == PATCH_SEGMENT)
    assert torch.all(exp.sizes[:, 0] == 512) and torch.all(exp.sizes[:, 1] == 0)
    assert torch.all(exp.ranking[:, -7:] == -1) and torch.all(exp.ranking[:, :9] >= 0)  # 7 ids absent


def test_outputs_shapes_and_types():
    model = PlantedModel(leak=0.02)
    x, seg = images(2), grid_segments(2)
    exp = axai(model, x, seg, k=4)
    assert exp.ranking.shape == (2, 16) and exp.ranking.dtype == torch.long
    assert exp.density.shape == (2, 16) and exp.density.dtype == torch.float32
    assert exp.top_k.shape == (2, 4) and exp.mask.shape == (2, H, W) and exp.mask.dtype == torch.bool
    assert exp.attacked.shape == (2, H, W) and exp.attacked.dtype == torch.bool
    assert exp.delta.shape == x.shape and exp.target.shape == (2,) and exp.adv_label.shape == (2,)
    assert torch.equal(exp.target, model(x).argmax(1))  # target=None attacks the prediction
    assert torch.all((exp.density >= 0) & (exp.density <= 1))
    # density is sorted along the ranking
    sorted_density = exp.density.gather(1, exp.ranking)
    assert torch.all(sorted_density[:, :-1] >= sorted_density[:, 1:])
    # default budget: L2 ball of radius 2/255 * sqrt(3*32*32)
    eps = default_attack_params(x.shape)["eps"]
    assert math.isclose(eps, 2 / 255 * math.sqrt(3 * 32 * 32))
    assert torch.all(exp.delta.flatten(1).norm(dim=1) <= eps * (1 + 1e-5))
    assert exp.delta.abs().sum() > 0 and (x + exp.delta).min() >= 0 and (x + exp.delta).max() <= 1


def test_same_seed_bit_identical():
    model = PlantedModel(leak=0.05)
    x, seg = images(2), grid_segments(2)
    kw = dict(k=5, random_start=True, eps=1.0, step=0.1)
    e1 = axai(model, x, seg, generator=torch.Generator().manual_seed(11), **kw)
    e2 = axai(model, x, seg, generator=torch.Generator().manual_seed(11), **kw)
    e3 = axai(model, x, seg, generator=torch.Generator().manual_seed(12), **kw)
    for f in ("ranking", "density", "top_k", "mask", "attacked", "delta", "target", "adv_label"):
        assert torch.equal(getattr(e1, f), getattr(e2, f)), f
    assert not torch.equal(e1.delta, e3.delta)


def test_k_only_selects():
    """Cost and result do not depend on k: k=1's answer is a prefix of k=5's."""
    model = PlantedModel(leak=0.05)
    x, seg = images(2), grid_segments(2)
    e1, e5 = axai(model, x, seg, k=1), axai(model, x, seg, k=5)
    assert torch.equal(e1.ranking, e5.ranking) and torch.equal(e1.density, e5.density)
    assert torch.equal(e1.top_k, e5.top_k[:, :1]) and torch.equal(e5.top_k, e5.ranking[:, :5])
    assert torch.all(e5.mask[e1.mask])  # top-1 pixels are inside the top-5 explanation


def test_ranking_ties_and_padding():
    density = torch.tensor([[0.5, 0.9, 0.5, 0.0, 0.9], [0.2, 0.2, 0.0, 0.0, 0.0]], dtype=torch.float64)
    sizes = torch.tensor([[4, 4, 4, 4, 4], [3, 3, 0, 0, 0]])
    ranking = rank_segments(density, sizes)
    assert ranking.tolist() == [[1, 4, 0, 2, 3], [0, 1, -1, -1, -1]]


def test_fewer_segments_than_k_pads():
    model = PlantedModel(leak=0.05)
    x = images(2)
    seg = grid_segments(2, block=16)  # 4 segments
    seg[1] = (seg[1] > 0).long()  # image 1: only 2 segments (ids 0, 1)
    exp = axai(model, x, seg, k=6)
    assert exp.top_k.shape == (2, 6)
    assert sorted(exp.top_k[0, :4].tolist()) == [0, 1, 2, 3] and exp.top_k[0, 4:].tolist() == [-1, -1]
    assert sorted(exp.top_k[1, :2].tolist()) == [0, 1] and exp.top_k[1, 2:].tolist() == [-1] * 4
    assert exp.mask.all()  # every segment is selected
    assert exp.density[1, 2:].eq(0).all() and exp.sizes[1, 2:].eq(0).all()


def test_density_counts():
    counts = torch.tensor([[[1, 0], [1, 1]]])
    seg = torch.tensor([[[0, 0], [1, 2]]])
    density, sizes, hits = segment_density(counts, seg)
    assert density.tolist() == [[0.5, 1.0, 1.0]] and sizes.tolist() == [[2, 1, 1]]


def test_tail_mask_fraction():
    g = torch.Generator().manual_seed(0)
    delta = torch.randn(4, 3, 32, 32, generator=g)
    for a in (5.0, 15.0, 30.0):
        frac = tail_mask(delta, a).float().mean().item()
        assert abs(frac - 2 * a / 100) < 0.005
        per = tail_mask(delta, a, per_channel=True).float().mean(dim=(2, 3))
        assert torch.all((per - 2 * a / 100).abs() < 0.01)
    # thresholds are numpy's linear-interpolation percentiles of each image
    from axlib.explain.axai import _row_quantile
    rows = delta.reshape(4, -1)
    assert torch.allclose(_row_quantile(rows, 0.15), torch.quantile(rows, 0.15, dim=1))
    # zeros never count as attacked, even when they fill the tails
    sparse = torch.zeros(1, 1, 10, 10)
    sparse[0, 0, 0, :3] = torch.tensor([-1.0, 2.0, 3.0])
    m = tail_mask(sparse, 15.0)
    assert m.sum() == 3 and m[0, 0, 0, :3].all()


def test_attribute_map():
    model = PlantedModel(leak=0.05)
    x, seg = images(2), grid_segments(2)
    amap = attribute(model, x, segments=seg, k=2)
    exp = axai(model, x, seg, k=2)
    assert amap.shape == (2, H, W) and amap.dtype == torch.float32
    assert torch.all(amap[~exp.mask] == 0)
    assert torch.equal(amap[exp.mask], exp.density.gather(1, seg.flatten(1)).view(2, H, W)[exp.mask])
    full = attribute(model, x, segments=seg, k=None)
    assert torch.equal(full, exp.density.gather(1, seg.flatten(1)).view(2, H, W))
    # one (H, W) label map is shared by the batch
    assert torch.equal(attribute(model, x, segments=seg[0], k=2), amap)


@pytest.mark.parametrize("kw,param", [
    (dict(k=0), "k"),
    (dict(k=2.0), "k"),
    (dict(a=0.0), "a"),
    (dict(a=50.0), "a"),
    (dict(a=-3), "a"),
    (dict(eps=-0.1), "eps"),
    (dict(eps=0.0), "eps"),
    (dict(step=0.0), "step"),
    (dict(steps=0), "steps"),
    (dict(norm="l1"), "norm"),
    (dict(channel_rule="max"), "channel_rule"),
    (dict(attack="cw"), "attack"),
])
def test_bad_parameters_raise(kw, param):
    model, x, seg = PlantedModel(), images(1), grid_segments(1)
    with pytest.raises(ValueError, match=rf"^{param} must"):
        axai(model, x, seg, **kw)


def test_bad_inputs_raise():
    model, x, seg = PlantedModel(), images(2), grid_segments(2)
    with pytest.raises(ValueError, match=r"x must lie in \[0, 1\]"):
        axai(model, x * 2, seg)
    with pytest.raises(ValueError, match=r"x must lie in \[0, 1\]"):
        axai(model, x - 0.5, seg)
    with pytest.raises(ValueError, match="x must have shape"):
        axai(model, x[0], seg)
    with pytest.raises(ValueError, match="segments must have shape"):
        axai(model, x, seg[:1])
    with pytest.raises(ValueError, match="segments must have shape"):
        axai(model, x, seg[:, :16])
    with pytest.raises(ValueError, match="segments must hold integer"):
        axai(model, x, seg.float())
    with pytest.raises(ValueError, match="segments must hold integer"):
        axai(model, x, seg - 1)
    with pytest.raises(ValueError, match="target must be"):
        axai(model, x, seg, target=torch.tensor([0, 1, 2]))


def test_default_attack_params():
    cifar = default_attack_params((3, 32, 32))
    imagenet = default_attack_params((8, 3, 224, 224))
    assert math.isclose(cifar["eps"], 0.4345, rel_tol=1e-3) and math.isclose(cifar["step"], 2.5 * cifar["eps"] / 20)
    assert math.isclose(imagenet["eps"], 3.0428, rel_tol=1e-3)
    assert math.isclose(default_attack_params((3, 32, 32), norm="linf")["eps"], 2 / 255)


def test_sum_rule_counts_pixels_whose_summed_tail_changes_are_not_zero():
    """channel_rule="sum" is the reference code's: per-channel tails, the kept changes summed
    over channels, a pixel attacked when the sum is not 0; density in [0, 1]."""
    g = torch.Generator().manual_seed(0)
    x = torch.full((1, 3, H, W), 0.5)
    delta = torch.randint(-8, 9, (1, 3, H, W), generator=g) / 1024          # exact in float32
    delta[0, :, 0, 0] = torch.tensor([64, -64, 0]) / 1024     # two tail changes that cancel exactly
    seg = grid_segments(1)
    exp = axai(PlantedModel(), x, seg, k=2, channel_rule="sum", attack=lambda m, xx, y: xx + delta)
    kept = tail_mask(delta, 15.0, per_channel=True)
    expected = (delta * kept).sum(dim=1) != 0
    assert kept[0, :2, 0, 0].all() and torch.equal(exp.attacked, expected) and not exp.attacked[0, 0, 0]
    counts = torch.bincount(seg.flatten(), weights=expected.flatten().double())
    assert torch.allclose(exp.density[0].double(), counts / torch.bincount(seg.flatten()))
    assert float(exp.density.max()) <= 1


@pytest.mark.parametrize("name, binds", [("cifar10-alexnet", True), ("imagenet-mobilenetv2", False)])
def test_projection_binds_on_cifar_and_not_on_imagenet_at_the_default_budget(name, binds):
    """The module docstring's measured statement (choice 2), on the shipped models."""
    from axlib.attacks import pgd
    from axlib.models import load
    from axlib.models.registry import checkpoint_path

    if not checkpoint_path(name).exists():
        pytest.skip(f"{name} is not shipped in this checkout")
    if name.startswith("cifar"):
        from axlib.data.cifar import cifar10_test
        x = cifar10_test()[0][:16]
    else:
        from axlib.data.imagenet import imagenet_samples
        x = imagenet_samples(4)[0]
    net = load(name)
    params = default_attack_params(x.shape)
    with torch.no_grad():
        y = net(x).argmax(1)
    norms = (pgd(net, x, y, steps=20, norm="l2", **params) - x).flatten(1).norm(dim=1)
    on_ball = (norms >= 0.999 * params["eps"]).float().mean().item()
    assert on_ball >= 0.75 if binds else on_ball == 0.0


def test_a_segmentation_given_as_a_callable_runs_beside_the_attack_and_changes_nothing():
    """QuickShift passed as a callable runs on a worker thread while the attack runs (the
    attack below waits for it: run one after the other, they could not meet) and gives, bit for
    bit, the explanation its labels give as a tensor."""
    import functools
    import threading

    from axlib.attacks import pgd
    from axlib.data.cifar import cifar10_test
    from axlib.models import load
    from axlib.models.registry import checkpoint_path
    from axlib.segment import quickshift

    if not checkpoint_path("cifar10-alexnet").exists():
        pytest.skip("cifar10-alexnet is not shipped in this checkout")
    net, x = load("cifar10-alexnet"), cifar10_test()[0][:4]
    segmentation = functools.partial(quickshift, kernel_size=2, max_dist=6, ratio=0.5)
    params = default_attack_params(x.shape)
    done, seen = threading.Event(), {}

    def segment_and_signal(images):
        seen["thread"] = threading.current_thread().name
        labels = segmentation(images)
        done.set()
        return labels

    def attack_that_waits(model, images, y):
        seen["met"] = done.wait(timeout=30)     # only true if the segmentation ran meanwhile
        return pgd(model, images, y, steps=20, **params)

    beside = axai(net, x, segment_and_signal, attack=attack_that_waits, k=5, overlap=True)
    assert seen["met"] and seen["thread"].startswith("axai-segmentation")
    given = axai(net, x, segmentation(x), k=5)
    for field in ("ranking", "density", "sizes", "top_k", "mask", "attacked", "delta", "target", "adv_label",
                  "segments"):
        assert torch.equal(getattr(beside, field), getattr(given, field)), field
    first = axai(net, x, segment_and_signal, k=5, overlap=False)
    assert seen["thread"] == threading.main_thread().name
    assert torch.equal(first.mask, given.mask) and torch.equal(first.delta, given.delta)
    with pytest.raises(ValueError, match=r"segments must have shape \(B, H, W\)"):
        axai(net, x, lambda images: torch.zeros(3, 3, dtype=torch.long), k=5)


def test_overlap_is_chosen_where_it_was_measured_to_pay(monkeypatch):
    """Beside the attack whenever a second core exists, at any thread count and batch; first on
    one core; as asked when asked."""
    from axlib.explain import axai_module as module

    small, large = torch.zeros(1, 3, 32, 32), torch.zeros(8, 3, 224, 224)
    monkeypatch.setattr(module, "cpu_cores", lambda: 2)
    for threads in (1, 2):
        with torch_threads(threads):
            assert module._overlaps(small, None) and module._overlaps(large, None)
    monkeypatch.setattr(module, "cpu_cores", lambda: 1)
    with torch_threads(1):
        assert not module._overlaps(small, None) and not module._overlaps(large, None)
        assert module._overlaps(small, True) and not module._overlaps(large, False)
    with pytest.raises(ValueError, match="overlap must be True, False or None, got 'yes'"):
        axai(nn.Linear(1, 1), small, torch.zeros(224, 224, dtype=torch.long), overlap="yes")
