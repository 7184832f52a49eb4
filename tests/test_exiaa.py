"""EXIAA: running-up class, attack-image ranking, top-k mask, injection, Gaussian baseline,
the grid through axlib.companion.scaleout (serial and Dask, resumable shards), and the Captum
attributions it uses (DeepLIFT on our ResNet/ViT)."""
from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import torch
from torch import nn

from axlib.explain.baselines import pixel_attribution
from axlib.models.resnet import ResNet18Cifar
from axlib.models.vit import ViTCifar
from axlib.papers.exiaa import attack as exiaa
from axlib.papers.exiaa import grid as exiaa_grid


def images(n=4, seed=0, size=16):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def tiny_cnn():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                         nn.Flatten(), nn.Linear(32, 5)).eval()


# ----------------------------------------------------------------- phase one
def test_running_up_class_is_second_most_probable():
    p = torch.tensor([[0.1, 0.6, 0.3], [0.5, 0.2, 0.3], [0.2, 0.2, 0.6]])
    pred, runner = exiaa.running_up_class(p)
    assert pred.tolist() == [1, 0, 2]
    assert runner.tolist() == [2, 2, 0]          # tie 0.2 / 0.2 goes to the lower index


def test_rank_pool_orders_by_confidence_within_class():
    p = torch.tensor([[0.9, 0.1], [0.4, 0.6], [0.7, 0.3], [0.2, 0.8], [0.95, 0.05]])
    labels = torch.tensor([0, 1, 0, 1, 1])
    idx = exiaa.rank_pool(p, torch.tensor([0, 1]), [1, 2], pool_labels=labels)
    assert idx.tolist() == [[0, 2], [3, 1]]      # class 1: item 4 is labelled 1 but least confident
    idx = exiaa.rank_pool(p, torch.tensor([1]), [1, 3], pool_labels=labels)
    assert idx.tolist() == [[3, 4]]
    assert exiaa.rank_pool(p, torch.tensor([0]), [1])[0, 0] == 4   # no labels: whole pool
    with pytest.raises(ValueError, match="ranks"):
        exiaa.rank_pool(p, torch.tensor([0]), [3], pool_labels=labels)
    with pytest.raises(ValueError, match="ranks"):
        exiaa.rank_pool(p, torch.tensor([0]), [0])


# ----------------------------------------------------------------- phase two
def test_top_k_mask_selects_the_largest_positive_fraction():
    z = torch.tensor([5.0, -1.0, 3.0, 0.0, 4.0, 1.0, -2.0, 2.0]).view(1, 2, 2, 2)  # 5 positives
    for top_k, expected in [(0.2, {0}), (0.4, {0, 4}), (0.5, {0, 4, 2}), (1.0, {0, 4, 2, 7, 5})]:
        mask = exiaa.top_k_mask(z, top_k).view(-1)
        assert set(torch.nonzero(mask).view(-1).tolist()) == expected, top_k
    assert exiaa.top_k_mask(torch.zeros(1, 1, 2, 2), 0.5).sum() == 0


def test_top_k_mask_counts_per_image():
    z = torch.randn(3, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    mask = exiaa.top_k_mask(z, 0.3)
    positives = (z > 0).flatten(1).sum(1)
    assert mask.flatten(1).sum(1).tolist() == [math.ceil(0.3 * int(p)) for p in positives]
    assert bool((z[mask] > 0).all())
    for zi, mi in zip(z, mask):                  # every chosen value beats every unchosen one
        assert bool(zi[mi].min() >= zi[~mi].max())


# ----------------------------------------------------------------- phase three
def test_injection_touches_exactly_the_selected_channels():
    x, x_bar = images(2, 0), images(2, 1)
    mask = torch.rand(x.shape, generator=torch.Generator().manual_seed(2)) < 0.1
    x_hat = exiaa.inject(x, x_bar, mask, 0.15)
    changed = x_hat != x
    assert bool((changed == mask).all())       # x != x_bar almost surely on every value
    expected = (0.85 * x + 0.15 * x_bar)[mask]
    assert torch.allclose(x_hat[mask], expected)
    assert torch.equal(x_hat[~mask], x[~mask])


def test_alpha_zero_leaves_the_image_unchanged():
    x, x_bar = images(2, 0), images(2, 1)
    mask = torch.ones_like(x, dtype=torch.bool)
    assert torch.equal(exiaa.inject(x, x_bar, mask, 0.0), x)
    gen = torch.Generator().manual_seed(0)
    out = exiaa.gaussian_baseline(x, [x[0].numel()] * 2, 0.0, mean=[0.5] * 3, std=[0.25] * 3, generator=gen)
    assert torch.equal(out, x)


@pytest.mark.parametrize("alpha", [-0.01, 1.0, 1.5, float("nan"), True, "0.1"])
def test_bad_alpha_raises(alpha):
    x = images(1)
    with pytest.raises(ValueError, match="alpha"):
        exiaa.inject(x, x, torch.ones_like(x, dtype=torch.bool), alpha)
    with pytest.raises(ValueError, match="alpha"):
        exiaa.gaussian_baseline(x, [1], alpha, mean=[0.5] * 3, std=[0.2] * 3, generator=torch.Generator())


@pytest.mark.parametrize("top_k", [0.0, -0.5, 1.01, float("inf"), None])
def test_bad_top_k_raises(top_k):
    with pytest.raises(ValueError, match="top_k"):
        exiaa.top_k_mask(torch.randn(1, 3, 4, 4), top_k)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_top_k_mask_refuses_non_finite_attributions(bad):
    z = torch.randn(2, 3, 4, 4)
    z[1, 0, 0, 0] = bad
    with pytest.raises(ValueError, match=r"z_bar holds 1 NaN or infinite"):
        exiaa.top_k_mask(z, 0.5)


@pytest.mark.parametrize("mean, std", [([float("nan"), 0.5, 0.5], [0.2] * 3), ([0.5] * 3, [0.2, float("nan"), 0.2]),
                                       ([0.5] * 3, [0.2, 0.2, float("inf")]), ([0.5] * 3, [0.2, -0.1, 0.2]),
                                       ([0.5] * 2, [0.2] * 2)])
def test_baseline_refuses_bad_pool_statistics(mean, std):
    with pytest.raises(ValueError, match=r"mean and std must hold 3 finite numbers each, std >= 0; got mean"):
        exiaa.gaussian_baseline(images(2), [1, 2], 0.5, mean=mean, std=std, generator=torch.Generator())


def test_baseline_touches_the_requested_number_of_channels_and_is_seeded():
    x = images(3, 0)
    counts = [0, 10, 100]
    out1 = exiaa.gaussian_baseline(x, counts, 0.5, mean=[0.5] * 3, std=[0.25] * 3,
                                   generator=torch.Generator().manual_seed(7))
    out2 = exiaa.gaussian_baseline(x, counts, 0.5, mean=[0.5] * 3, std=[0.25] * 3,
                                   generator=torch.Generator().manual_seed(7))
    out3 = exiaa.gaussian_baseline(x, counts, 0.5, mean=[0.5] * 3, std=[0.25] * 3,
                                   generator=torch.Generator().manual_seed(8))
    assert torch.equal(out1, out2) and not torch.equal(out1, out3)
    assert (out1 != x).flatten(1).sum(1).tolist() == counts
    assert float(out1.min()) >= 0 and float(out1.max()) <= 1


# ----------------------------------------------------------------- runner
DATA = f"{__name__}:random_images"       # Dask workers import this module by the same name
TINY_CNN = f"{__name__}:tiny_cnn"


def random_images(n=6, seed=0, size=16):
    """An image_set loader for the grid tests: n random images, deterministic in seed."""
    return images(n, seed, size)


def tiny_vit():
    torch.manual_seed(0)
    return ViTCifar(dim=16, depth=1, heads=2, mlp_dim=32).eval()


def _run(out_dir, model=TINY_CNN, n=3, size=16, **kw):
    x = exiaa_grid.image_set(DATA, range(n), n=2 * n, size=size)
    x_bar = exiaa_grid.image_set(DATA, range(n, 2 * n), n=2 * n, size=size)
    kw = dict(dict(method="saliency", alphas=(0.03, 0.15), top_ks=(0.05, 0.5), noise_mean=[0.5] * 3,
                   noise_std=[0.25] * 3, seed=3), **kw)
    return exiaa_grid.run_grid(model, x, x_bar, out_dir=out_dir, **kw)


def test_image_set_rebuilds_the_indexed_images():
    spec = exiaa_grid.image_set(DATA, torch.tensor([[4], [0], [4]]), n=6)
    assert json.loads(json.dumps(spec)) == spec
    assert torch.equal(exiaa_grid.load_images(spec), random_images(6)[[4, 0, 4]])
    with pytest.raises(ValueError, match="loader"):
        exiaa_grid.image_set("axlib.data.cifar.cifar10_test", [0])
    with pytest.raises(ValueError, match="index"):
        exiaa_grid.image_set(DATA, [])
    with pytest.raises(ValueError, match="index"):
        exiaa_grid.image_set(DATA, [0.5, 1.0])
    with pytest.raises(ValueError, match="index"):
        exiaa_grid.load_images(exiaa_grid.image_set(DATA, [6], n=6))


def test_grid_is_deterministic_and_has_every_cell(tmp_path):
    a = _run(tmp_path / "a")
    exiaa_grid._prepared.cache_clear()
    b = _run(tmp_path / "b")
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 2 * 2 * 2 * 3
    assert a[["alpha", "top_k", "kind"]].drop_duplicates().values.tolist() == [
        [al, k, kind] for al in (0.03, 0.15) for k in (0.05, 0.5) for kind in ("exiaa", "baseline")]
    assert set(a["method"]) == {"saliency"}
    assert bool((a["ssim"] <= 1).all()) and bool((a["explanation_change"] >= 0).all())
    assert a["explanation_change"].mean() > 0
    ours = a[a.kind == "exiaa"].groupby("alpha")["ssim"].mean()
    assert ours[0.03] > ours[0.15]               # a stronger blend moves the image more
    assert len(list((tmp_path / "a").glob("*.parquet"))) == 4          # one shard per cell
    split = _run(tmp_path / "c", images_per_shard=2)                    # cells x image ranges
    assert len(list((tmp_path / "c").glob("*.parquet"))) == 8
    assert split[["alpha", "top_k", "kind", "image"]].equals(a[["alpha", "top_k", "kind", "image"]])
    pd.testing.assert_frame_equal(split, a, check_exact=False, rtol=1e-5, atol=1e-4)   # batches of 2, not 3


def test_grid_through_dask_equals_the_serial_run(tmp_path):
    """Two Dask worker processes (one thread each) against this process with two torch
    threads: the shard's pinned thread count makes the ViT's IG rows equal bit for bit."""
    kw = dict(model=f"{__name__}:tiny_vit", n=2, size=32, method="integrated_gradients",
              explain_kw={"n_steps": 2}, images_per_shard=1)
    dask = _run(tmp_path / "dask", scheduler="local", n_workers=2, **kw)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        serial = _run(tmp_path / "serial", **kw)
    finally:
        torch.set_num_threads(before)
    pd.testing.assert_frame_equal(dask, serial)
    assert len(dask) == 2 * 2 * 2 * 2 and len(list((tmp_path / "dask").glob("*.parquet"))) == 8


def test_interrupted_grid_resumes_with_only_the_missing_shards(tmp_path, monkeypatch):
    full = _run(tmp_path / "full", n=2)
    original_inject, injected = exiaa.inject, []

    def failing_inject(*args, **kw):              # the third cell dies
        injected.append(1)
        if len(injected) == 3:
            raise RuntimeError("boom")
        return original_inject(*args, **kw)

    monkeypatch.setattr(exiaa_grid, "inject", failing_inject)   # what the grid calls
    with pytest.raises(RuntimeError, match="a0.15__k0.05") as info:
        _run(tmp_path / "out", n=2)
    assert "boom" in str(info.value.__cause__)
    done = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").glob("*.parquet")}
    assert len(done) == 2 and not list((tmp_path / "out").glob(".*.tmp"))
    monkeypatch.setattr(exiaa_grid, "inject", original_inject)
    calls = []
    original_attr = exiaa_grid.pixel_attribution

    def counting(*args, **kw):
        calls.append(args[1].shape[0])
        return original_attr(*args, **kw)

    monkeypatch.setattr(exiaa_grid, "pixel_attribution", counting)
    exiaa_grid._prepared.cache_clear()
    resumed = _run(tmp_path / "out", n=2)
    pd.testing.assert_frame_equal(resumed, full)
    assert len(calls) == 2 + 2 * 2               # x and x_bar once, then 2 missing cells x 2 kinds
    assert {p: p.stat().st_mtime_ns for p in done} == done              # finished shards untouched
    assert len(list((tmp_path / "out").glob("*.parquet"))) == 4


def test_shard_refuses_other_images_than_the_callers(tmp_path, monkeypatch):
    shards = []
    monkeypatch.setattr(exiaa_grid.scaleout, "run", lambda fn, s, *a, **k: shards.extend(s) or pd.DataFrame(
        {"alpha": [], "top_k": [], "kind": [], "image": []}))
    _run(tmp_path, n=1, alphas=(0.1,), top_ks=(0.1,))
    params = dict(shards[0].params)
    assert json.loads(json.dumps(params)) == params
    exiaa_grid.grid_shard(**params)
    with pytest.raises(RuntimeError, match="images"):
        exiaa_grid.grid_shard(**dict(params, inputs_digest="0" * 16))
    with pytest.raises(RuntimeError, match="digest"):
        exiaa_grid.grid_shard(**dict(params, model_digest="0" * 16))


def test_grid_rejects_bad_grid_values(tmp_path):
    with pytest.raises(ValueError, match="alpha"):
        _run(tmp_path, alphas=(1.2,))
    with pytest.raises(ValueError, match="top_k"):
        _run(tmp_path, top_ks=(0,))
    with pytest.raises(ValueError, match="method"):
        _run(tmp_path, method="lime")
    with pytest.raises(ValueError, match="model"):
        _run(tmp_path, model=tiny_cnn())
    with pytest.raises(ValueError, match="threads"):
        _run(tmp_path, threads=0)
    with pytest.raises(ValueError, match="images_per_shard"):
        _run(tmp_path, images_per_shard=0)
    with pytest.raises(ValueError, match="attack_target"):
        _run(tmp_path, attack_target=[0, 1])
    with pytest.raises(ValueError, match="baselines"):
        _run(tmp_path, method="deeplift_shap", explain_kw={"baselines": images(2)})
    with pytest.raises(ValueError, match="noise_mean"):
        _run(tmp_path, noise_mean=None)
    with pytest.raises(ValueError, match="noise_mean"):
        _run(tmp_path, noise_mean=[0.5, 0.5])
    with pytest.raises(ValueError, match="seed"):
        _run(tmp_path, seed=0.5)
    assert not list(tmp_path.glob("*.parquet"))


# ----------------------------------------------------------------- attributions
def test_deeplift_shap_is_complete_on_the_resnet():
    """Summation-to-delta holds only if every ReLU gets DeepLIFT's rule: one module per use."""
    torch.manual_seed(0)
    model = ResNet18Cifar(width=4).eval()
    x, refs = images(2, 0, 32), images(3, 5, 32)
    attr = pixel_attribution(model, x, 1, method="deeplift_shap", baselines=refs)
    with torch.no_grad():
        delta = model(x)[:, 1] - model(refs)[:, 1].mean()
    assert torch.allclose(attr.flatten(1).sum(1), delta, atol=1e-4, rtol=1e-3)


def test_reused_relu_breaks_captum_deeplift():
    class Reused(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3)
            self.relu = nn.ReLU()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            h = self.relu(self.relu(self.conv(x)) - 0.1)
            return self.fc(h.mean((2, 3)))

    with pytest.raises(RuntimeError, match="more than once"):
        pixel_attribution(Reused().eval(), images(1), 0, method="deeplift_shap")


def test_vit_attributions_run_and_gelu_rule_is_restored():
    from captum.attr._core import deep_lift

    torch.manual_seed(0)
    model = ViTCifar(dim=16, depth=1, heads=2, mlp_dim=32).eval()
    x = images(2, 0, 32)
    for method in ("saliency", "integrated_gradients", "deeplift_shap"):
        a = pixel_attribution(model, x, 0, method=method, n_steps=4)
        assert a.shape == x.shape and bool(torch.isfinite(a).all())
    assert nn.GELU not in deep_lift.SUPPORTED_NON_LINEAR
    assert bool((pixel_attribution(model, x, 0, method="saliency") >= 0).all())


# ----------------------------------------------------------------- tables, figures and the page's experiments
def test_paper_tables_are_read_from_the_csv():
    from axlib.papers.exiaa.paper import paper_tables

    table = paper_tables()
    assert len(table) == 600 and set(table["model"]) == {"resnet18", "vit"}
    assert int(table["explanation_change"].isna().sum()) == 24
    cell = table[(table.model == "vit") & (table.method == "deeplift_shap") & (table.kind == "exiaa")
                 & (table.alpha == 0.03) & (table.top_k == 0.1)]
    assert float(cell["explanation_change"].iloc[0]) == 71.9     # Table 1 agrees with B.3


def test_side_by_side_tables_cover_b1_b3_and_table1():
    from axlib.papers.exiaa import tables
    from axlib.papers.exiaa.paper import paper_tables

    theirs = paper_tables()
    blocks = tables.side_by_side_tables(theirs, theirs, models=["resnet18", "vit"], top_ks=(0.05, 0.15, 0.2))
    assert len(blocks) == 3 * 2 + 2
    assert "Table B.1" in blocks[0][0] and "ViT-B16" in blocks[1][0] and "Table 1" in blocks[-1][0]
    assert list(blocks[0][1].columns) == [0.05, 0.15, 0.2]
    assert list(blocks[-1][1].columns) == [0.05, 0.2]             # Table 1 has no top-k 0.15 column


def test_tables_b_as_curves_ours_solid_the_papers_dotted():
    from axlib.papers.exiaa import tables
    from axlib.papers.exiaa.paper import paper_tables

    theirs = tables.summarise(paper_tables())
    ours = theirs[theirs["top_k"] <= 0.2].assign(explanation_change=lambda t: t["explanation_change"] / 2)
    fig = tables.plot_beside_paper(ours, theirs, models=["resnet18", "vit"])
    axes = fig.get_axes()
    assert len(axes) == 6 and "Table B.1" in axes[0].get_title() and "Table B.3" in axes[2].get_title()
    solid = [ln for ln in axes[0].get_lines() if ln.get_linestyle() == "-"]
    dotted = [ln for ln in axes[0].get_lines() if ln.get_linestyle() == ":"]
    assert len(solid) == len(dotted) == 5                  # one per alpha, ours and the paper's
    assert max(solid[0].get_xdata()) == 0.2 and max(dotted[0].get_xdata()) == 0.8


def test_page_grids_name_the_original_of_each_row(monkeypatch):
    """_method_grids tags each row with its original (image // attack images per original), the
    unit of the claims' estimates, and the rank column with the attack image's rank."""
    from types import SimpleNamespace

    from axlib.papers.exiaa import experiments

    def fake_run_grid(model, images, attack_images, **kw):
        n = len(images["index"])
        return pd.DataFrame({"alpha": 0.1, "top_k": 0.1, "kind": "exiaa", "image": range(n),
                             "explanation_change": 1.0, "method": kw["method"]})

    monkeypatch.setattr(experiments, "run_grid", fake_run_grid)
    setup = SimpleNamespace(names={"resnet18": "x"}, n=4, noise_mean=None, noise_std=None, device="cpu",
                            grid_explain=dict.fromkeys(experiments.METHODS, {}), data="cifar10",
                            originals=lambda idx: {"index": list(idx)}, pool=lambda idx: {"index": list(idx)})
    frames = experiments._method_grids(setup, "resnet18", torch.zeros(3, 2, dtype=torch.long), None, out_dir="w",
                                       alphas=(0.1,), top_ks=(0.1,), seed=0, scheduler="serial",
                                       rank_column="attack_rank", ranks=(1, 96))
    assert len(frames) == len(experiments.METHODS)
    assert frames[0]["original"].tolist() == [0, 0, 1, 1, 2, 2]
    assert frames[0]["attack_rank"].tolist() == [1, 96] * 3
    assert set(frames[0]["data"]) == {"cifar10"}


def test_figures_of_the_page(tmp_path):
    from axlib.papers.exiaa import tables

    summary = tables.summarise(pd.DataFrame(
        [dict(model="resnet18", method="saliency", kind=kind, alpha=a, top_k=k, image=i,
              explanation_change=a * 100 + k + i, ssim=0.9, confidence_change=1.0, perturbation_l2=1.0)
         for kind in ("exiaa", "baseline") for a in (0.03, 0.15) for k in (0.1, 0.5) for i in range(2)]))
    fig = tables.plot_figure(summary, "ssim", models=["resnet18"], methods=["saliency"])
    assert "Fig. 3" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="value"):
        tables.plot_figure(summary, "perturbation_l2", models=["resnet18"], methods=["saliency"])
    ranks = pd.DataFrame([dict(method="saliency", alpha=0.15, top_k=k, attack_rank=r, class_rank=r + 1,
                               explanation_change=float(r)) for k in (0.1, 0.5) for r in (1, 2, 96)])
    assert tables.plot_attack_ranks(ranks, top_ranks=(1, 2), low_ranks=(96,), methods=["saliency"]).axes
    assert tables.plot_class_ranks(ranks, methods=["saliency"]).axes


def test_work_dir_and_setup_checks(tmp_path, monkeypatch):
    from axlib.papers.exiaa import experiments

    assert experiments.work_dir(tmp_path / "w") == tmp_path / "w"
    monkeypatch.setenv("AXLIB_DATA", str(tmp_path / "cache"))
    assert experiments.work_dir() == tmp_path / "cache" / "exiaa"
    with pytest.raises(ValueError, match="n_originals"):
        experiments.cifar_setup({}, n_originals=0, ig_steps=4, dls_baselines=2)
    with pytest.raises(ValueError, match="dls_baselines"):
        experiments.cifar_setup({}, n_originals=2, ig_steps=4, dls_baselines=0)
    sizes = dict(n_originals=2, ig_steps=4, dls_baselines=2)
    with pytest.raises(ValueError, match="data must be one of .'cifar10', 'imagenet-val'., got 'cifar100'"):
        experiments.grid_setup({}, "cifar100", **sizes)
    with pytest.raises(ValueError, match="n_classes must be None for CIFAR-10"):
        experiments.grid_setup({}, "cifar10", n_classes=500, **sizes)
    with pytest.raises(ValueError, match="n_classes must be given for imagenet-val"):
        experiments.grid_setup({}, "imagenet-val", **sizes)


def test_deeplift_completeness_table_on_the_shipped_models():
    from axlib.papers.exiaa import experiments

    setup = experiments.cifar_setup({"resnet18": "cifar10-resnet18", "vit": "cifar10-vit"}, n_originals=2,
                                    ig_steps=4, dls_baselines=3)
    table = experiments.deeplift_completeness(setup)
    assert list(table.index) == ["cifar10-resnet18", "cifar10-vit"] and table["originals"].eq(2).all()
    assert table.loc["cifar10-resnet18", "largest relative error"] < 1e-4          # complete: a CNN
    assert table.loc["cifar10-vit", "median relative error"] > 1e-3                # attention: not
