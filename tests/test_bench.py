"""The AXAI-vs-LIME-vs-SHAP timing harness (AXAI Table 5). No timed assertions."""
from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from axlib.companion.cli import main
from axlib.papers.axai import bench as B

SETTINGS = {"segment": {"kernel_size": 1, "max_dist": 200, "ratio": 0.2},
            "axai": {"k": 3, "steps": 3},
            "lime": {"num_samples": 10, "num_features": 2, "kernel_size": 1, "batch_size": 10},
            "shap": {"nsamples": 2}}


def tiny_cnn() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                         nn.Flatten(), nn.Linear(16, 3)).eval()


def images(n: int = 2) -> torch.Tensor:
    return torch.rand(n, 3, 16, 16, generator=torch.Generator().manual_seed(0))


@pytest.fixture(scope="module")
def result():
    return B.bench(tiny_cnn(), images(), repeats=2, warmup=1, batch_sizes=(1, 3),
                   settings=SETTINGS, n_background=1)


def test_keys_and_positive_times(result):
    for key in ("device", "device_name", "torch", "threads", "image_size", "batch_sizes",
                "settings", "results", "ratios", "repeats", "warmup", "n_images"):
        assert key in result
    assert result["image_size"] == [3, 16, 16] and result["batch_sizes"] == [1, 3]
    assert set(result["results"]) == {"axai", "lime", "shap"}
    for method, entry in result["results"].items():
        s = entry["batch1"]
        assert s["n"] == 2 * 2 == len(entry["seconds"])  # repeats x images
        assert 0 < s["min"] <= s["q25"] <= s["median"] <= s["q75"] <= s["max"]
        assert all(t > 0 for t in entry["seconds"])
    for key in ("attack", "segmentation", "rest"):
        assert result["results"]["axai"]["parts"][key] >= 0
    assert result["results"]["axai"]["parts"]["attack"] > 0
    assert result["results"]["axai"]["throughput"]["3"]["images_per_s"] > 0
    assert result["results"]["shap"]["throughput"]["3"]["images_per_s"] > 0
    assert result["results"]["lime"]["throughput"] == {}  # LIME explains one image at a time
    json.dumps(result)


def test_ratios_are_ratios_of_medians(result):
    r = result["results"]
    for method in ("lime", "shap"):
        assert result["ratios"][f"{method}/axai"] == pytest.approx(
            r[method]["batch1"]["median"] / r["axai"]["batch1"]["median"])


def test_format_table(result):
    table = B.format_table(result)
    for word in ("AXAI", "LIME", "SHAP", "ratio", result["device_name"]):
        assert word in table


def test_summarize():
    s = B.summarize([3.0, 1.0, 2.0, 4.0])
    assert s["median"] == 2.5 and s["min"] == 1.0 and s["max"] == 4.0 and s["n"] == 4
    assert B.summarize([2.0])["q25"] == 2.0
    with pytest.raises(ValueError):
        B.summarize([])


@pytest.mark.parametrize("kw, name", [
    (dict(methods=("axai", "gradcam")), "methods"),
    (dict(methods=()), "methods"),
    (dict(repeats=0), "repeats"),
    (dict(warmup=-1), "warmup"),
    (dict(batch_sizes=(1, 0)), "batch_sizes"),
    (dict(batch_sizes=()), "batch_sizes"),
    (dict(throughput_methods=("gradcam",)), "throughput_methods"),
    (dict(threads=0), "threads"),
])
def test_bad_parameters_raise(kw, name):
    with pytest.raises(ValueError, match=name):
        B.bench(tiny_cnn(), images(), **kw)


def test_bad_images_raise():
    with pytest.raises(ValueError, match="x"):
        B.bench(tiny_cnn(), images() * 3)


def test_profiles():
    assert set(B.PROFILES) == {"smoke", "default", "paper"}
    assert B.profile_settings("default")["lime"]["num_samples"] == 1000
    assert B.profile_settings("default")["shap"]["nsamples"] == 200
    assert B.profile_settings("default")["segment"] == {"kernel_size": 4, "max_dist": 200, "ratio": 0.2}
    assert B.profile_settings("smoke", repeats=5)["repeats"] == 5
    assert B.profile_settings("smoke", repeats=None)["repeats"] == 1
    assert B.profile_settings("paper")["device"] == "cpu" and B.profile_settings("paper")["gpu_also"]
    with pytest.raises(ValueError, match="profile"):
        B.profile_settings("huge")


def test_threads_recorded_and_restored():
    before = torch.get_num_threads()
    r = B.bench(tiny_cnn(), images(1), methods=("axai",), repeats=1, warmup=0, batch_sizes=(1,),
                settings=SETTINGS, threads=1)
    assert r["threads"] == 1 and torch.get_num_threads() == before
    assert r["ratios"] == {}


def test_throughput_methods_subset():
    r = B.bench(tiny_cnn(), images(1), methods=("axai", "shap"), repeats=1, warmup=0,
                batch_sizes=(1, 2), settings=SETTINGS, throughput_methods=("axai",))
    assert "2" in r["results"]["axai"]["throughput"] and r["results"]["shap"]["throughput"] == {}
    assert r["ratios"] == {"shap/axai": pytest.approx(r["results"]["shap"]["batch1"]["median"]
                                                      / r["results"]["axai"]["batch1"]["median"])}


def test_cli_smoke(tmp_path, capsys):
    out = tmp_path / "smoke.json"
    assert main(["bench", "--profile", "smoke", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["profile"] == "smoke" and data["model"] == "cifar10-alexnet"
    (run,) = data["runs"]
    assert run["image_size"] == [3, 32, 32] and run["threads"] == 1
    assert set(run["ratios"]) == {"lime/axai", "shap/axai"}
    assert "LIME" in capsys.readouterr().out


def test_targets_and_table(result):
    t = result["targets"]
    assert set(t) == {"lime/axai", "shap/axai", "axai segmentation share", "axai rest share"}
    assert t["lime/axai"]["value"] == pytest.approx(result["ratios"]["lime/axai"])
    assert t["lime/axai"]["met"] == (result["ratios"]["lime/axai"] >= 16)
    shares = result["results"]["axai"]["shares"]
    assert 0 <= shares["segmentation"] <= 1 and 0 <= shares["rest"] <= 1
    assert 0 < shares["attack"] <= 1
    # medians of per-call shares: their sum is 1 for each call, near 1 for the medians
    assert 0.5 < shares["attack"] + shares["segmentation"] - shares["overlap"] + shares["rest"] < 1.5
    assert 0 <= shares["overlap"] <= min(shares["attack"], shares["segmentation"]) + 1e-9
    rows = B.table(result)
    assert [r["method"] for r in rows] == [B.NAMES[m] for m in result["results"]]
    assert rows[0]["paper s"] == 6.6 and rows[1]["paper ratio"] == pytest.approx(105 / 6.6)
    assert "3" in result["results"]["axai"]["throughput"]
    assert set(result["results"]["axai"]["throughput"]["3"]["parts"]) == {"attack", "segmentation", "overlap", "rest"}
    synthetic = {"ratios": {"lime/axai": 20.0, "shap/axai": 5.0},
                 "results": {"axai": {"shares": {"segmentation": 0.31, "rest": 0.05}}}}
    assert {k: v["met"] for k, v in B.targets(synthetic).items()} == {
        "lime/axai": True, "shap/axai": False, "axai segmentation share": False, "axai rest share": True}


def test_keep_maps_and_per_method_warmup():
    r = B.bench(tiny_cnn(), images(2), methods=("axai", "lime"), repeats=1, warmup={"axai": 1},
                batch_sizes=(1,), settings=SETTINGS, keep_maps=True)
    assert r["warmup"] == {"axai": 1, "lime": 0}
    assert r["maps"]["axai"].shape == (2, 16, 16) == r["maps"]["lime"].shape
    assert r["maps"]["axai_segments"].shape == (2, 16, 16)
    assert (r["maps"]["axai"] >= 0).all() and (r["maps"]["axai"] > 0).any()
    with pytest.raises(ValueError, match="warmup"):
        B.bench(tiny_cnn(), images(1), methods=("axai",), warmup={"gradcam": 1}, settings=SETTINGS)
    with pytest.raises(ValueError, match="warmup"):
        B.bench(tiny_cnn(), images(1), methods=("axai",), warmup={"axai": -1}, settings=SETTINGS)


def test_paper_numbers_and_targets_come_from_the_paper_package():
    from axlib.papers.axai import claims, paper
    assert B.PAPER_TABLE5["cpu"]["lime"] == paper.TABLE5["cpu"]["lime"].value
    assert B.TARGETS is claims.TABLE5_TARGETS


def test_axai_map_is_the_attribution_of_axai():
    """The timed AXAI call returns the entry point's AXAI map (no copy of it)."""
    from axlib.explain import attribute
    from axlib.segment import quickshift
    x = images(1)
    r = B.bench(tiny_cnn(), x, methods=("axai",), repeats=1, warmup=0, batch_sizes=(1,),
                settings=SETTINGS, keep_maps=True)
    seg = quickshift(x, **SETTINGS["segment"])
    expected = attribute("axai", tiny_cnn(), x, segments=seg, k=3, steps=3)
    assert torch.allclose(r["maps"]["axai"], expected)


def test_methods_are_interleaved_image_by_image():
    said = []
    B.bench(tiny_cnn(), images(2), methods=("axai", "lime"), repeats=1, warmup=0, batch_sizes=(1,),
            settings=SETTINGS, progress=said.append)
    timed = [m for m in said if "repeat" in m]
    assert timed == ["axai: repeat 1/1, image 1/2", "lime: repeat 1/1, image 1/2",
                     "axai: repeat 1/1, image 2/2", "lime: repeat 1/1, image 2/2"]


def test_bench_threads_zero_means_every_core_and_bad_threads_are_refused():
    import os

    from axlib.papers.axai.bench import profile_settings

    assert profile_settings("smoke", threads=0)["threads"] == (os.cpu_count() or 1,)
    assert profile_settings("smoke", threads=2)["threads"] == (2,)
    assert profile_settings("smoke")["threads"] == (1,)
    assert profile_settings("default")["threads"] == tuple(dict.fromkeys((1, os.cpu_count() or 1)))
    assert profile_settings("smoke", threads=(1, 1, 0))["threads"] == tuple(dict.fromkeys((1, os.cpu_count() or 1)))
    for bad in (-1, 1.5, "two"):
        with pytest.raises(ValueError, match="threads must be"):
            profile_settings("smoke", threads=bad)


def test_parts_account_for_overlap_from_clock_readings():
    """Attack 0-3 s, segmentation 1-2 s, total 4 s: overlap 1 s, rest 1 s; apart: no overlap."""
    assert B._parts((0.0, 3.0), (1.0, 2.0), 4.0) == {"attack": 3.0, "segmentation": 1.0, "overlap": 1.0, "rest": 1.0}
    assert B._parts((0.0, 1.0), (1.5, 2.0), 2.5) == {"attack": 1.0, "segmentation": 0.5, "overlap": 0.0, "rest": 1.0}


def test_run_profile_times_every_method_at_each_thread_budget(monkeypatch):
    """One run per budget, in turn, each with its threads and the load average before and after;
    the text gives the ratios of every budget side by side."""
    monkeypatch.setitem(B.PROFILES["smoke"], "threads", (1, 2))
    result = B.run_profile("smoke")
    assert [run["threads"] for run in result["runs"]] == [1, 2]
    for run in result["runs"]:
        assert set(run["results"]) == {"axai", "lime", "shap"} and set(run["ratios"]) == {"lime/axai", "shap/axai"}
        assert len(run["load_average_1_5_15"]["before"]) == 3 and len(run["load_average_1_5_15"]["after"]) == 3
    text = B.format_runs(result)
    assert text.count("load average (1, 5, 15 min)") == 2
    assert "ratios at equal thread budgets: 1 thread(s): lime/axai" in text and "; 2 thread(s): lime/axai" in text


@pytest.mark.parametrize("cores, threads, overlap", [(4, 1, False), (4, 2, False), (2, 2, None), (1, 1, None)])
def test_axai_overlaps_only_when_the_thread_budget_is_the_whole_machine(monkeypatch, cores, threads, overlap):
    """AXAI's segmentation thread is a core: below the machine's cores (a budget that leaves a
    core free) the bench turns the overlap off, at the whole machine it leaves axai's own rule."""
    import axlib.explain
    from axlib._util.checks import torch_threads

    seen = []
    real = axlib.explain.attribute
    monkeypatch.setattr(B, "cpu_cores", lambda: cores)
    monkeypatch.setattr(axlib.explain, "attribute", lambda *a, **kw: seen.append(kw.get("overlap", "unset"))
                        or real(*a, **kw))
    with torch_threads(threads):
        B.method_calls(tiny_cnn(), SETTINGS, "cpu", images(1))["axai"]()(images(1))
    assert seen == [overlap]
