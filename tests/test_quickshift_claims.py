"""AXAI appendix A (notebook 01): the claim rules, each where it passes and where it fails, and
the experiment functions of ``axlib.papers.axai.quickshift`` on small synthetic inputs."""
from __future__ import annotations

import pandas as pd
import pytest
import torch
from torch import nn

from axlib import segment
from axlib.companion.claims import CATALOGUE
from axlib.papers.axai import claims, paper, quickshift


def test_kernel_cost_rule():
    from axlib.companion.rules import Estimate
    rule = claims.KERNEL_COST_RULE
    both = {"kernel spread / other spreads": Estimate(8.0, 6.0, 10.0, 6),
            "kernel-segments rank correlation": Estimate(-1.0, -1.0, -1.0, 6)}
    assert rule.judge(both).verdict == "reproduced"
    assert rule.judge(dict(both, **{"kernel spread / other spreads": Estimate(0.9, 0.8, 0.95, 6)})).verdict == "partly"
    assert rule.judge(dict(both, **{"kernel spread / other spreads": Estimate(8.0, 6.0, 10.0, 4)})).verdict \
        == "inconclusive"                                             # a bootstrap over 4 images cannot reach 95 %


def test_lime_merge_and_lambda_count_rules():
    from axlib.companion.rules import Estimate
    merged = {"median segments at LIME's defaults": Estimate(1.0, 1.0, 2.0, 1000),
              "finest / LIME's median segments": Estimate(13.5, 12.0, 15.0, 1000)}
    assert claims.LIME_MERGE_RULE.judge(merged).verdict == "reproduced"
    many = dict(merged, **{"median segments at LIME's defaults": Estimate(6.0, 5.0, 7.0, 1000)})
    assert claims.LIME_MERGE_RULE.judge(many).verdict == "partly"
    assert claims.LAMBDA_COUNTS_RULE.judge(Estimate(0.12, 0.05, 0.2, 6)).verdict == "reproduced"
    assert claims.LAMBDA_COUNTS_RULE.judge(Estimate(0.8, 0.6, 1.0, 6)).verdict == "not reproduced"
    assert claims.LAMBDA_COUNTS_RULE.judge(Estimate(0.12, 0.05, 0.2, 4)).verdict == "inconclusive"


def _judge(claim_id: str, estimate) -> str:
    return next(c.rule for c in CATALOGUE if c.id == claim_id).judge(estimate).verdict


def test_k_cost_rule_reads_the_share_of_time_that_depends_on_k():
    from axlib.companion.rules import Estimate
    assert _judge("axai.k_cost_independent", Estimate(0.01, -0.02, 0.04, 6)) == "reproduced"
    assert _judge("axai.k_cost_independent", Estimate(0.12, 0.08, 0.15, 6)) == "partly"
    assert _judge("axai.k_cost_independent", Estimate(0.5, 0.4, 0.6, 6)) == "not reproduced"
    assert _judge("axai.k_cost_independent", Estimate(0.01, -0.02, 0.04, 5)) == "inconclusive"   # 5 < 6 pairs
    assert _judge("axai.k_cost_independent", Estimate(0.01, -0.02, 0.04, 1)) == "inconclusive"   # 1 pair of runs


def test_lambda_explanations_rule_is_no_longer_a_reference():
    from axlib.companion.rules import Estimate
    assert _judge("axai.lambda_explanations", Estimate(0.05, 0.03, 0.07, 12)) == "reproduced"
    assert _judge("axai.lambda_explanations", Estimate(-0.05, -0.07, -0.03, 12)) == "not reproduced"
    assert _judge("axai.lambda_explanations", Estimate(0.01, -0.02, 0.03, 3)) == "inconclusive"

def test_catalogue_takes_the_paper_values_from_paper_py():
    values = {c.id: c.paper_value for c in CATALOGUE}
    low, high = paper.QUICKSHIFT_LAMBDA_COUNTS.value
    assert values["axai.quickshift.lambda_counts"] == f"{low} -> {high} (+11%), castle image"
    assert "kernel 4, max distance 200, λ 0.2" in values["axai.quickshift.lime_defaults_merge_cifar"]
    assert values["axai.k_cost_independent"] == paper.QUICKSHIFT_K_COST.value
    assert "73 and 81 segments" in values["axai.lambda_explanations"]
    assert quickshift.LIME == segment.LIME_DEFAULTS


# ------------------------------------------------------------------------------ experiments
def _images(n=2, size=24, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 3, size, size, generator=g) * 0.2
    x[:, 0, : size // 2] += 0.7          # a red top half: at least two colour regions
    return x.clamp(0, 1)


def test_sweeps_and_the_kernel_cost_record():
    x, names = _images(), ["a", "b"]
    by_kernel = quickshift.sweep(x, names, "kernel_size", [1, 2])
    by_dist = quickshift.sweep(x, names, "max_dist", [5, 200])
    by_ratio = quickshift.sweep(x, names, "ratio", [0.2, 0.8])
    assert set(by_dist.ratio) == {quickshift.LAMBDA_LOW, quickshift.LAMBDA_HIGH}
    assert set(by_kernel.max_dist) == {quickshift.LIME["max_dist"]} and len(by_ratio) == 4
    spread = quickshift.time_spread({"kernel_size": by_kernel, "max_dist": by_dist, "ratio": by_ratio})
    assert list(spread.index) == ["kernel_size", "max_dist", "ratio"] and (spread >= 1).all()
    counts = quickshift.segments_by_kernel(by_kernel)
    assert list(counts.index) == [1, 2] and list(counts.columns) == names
    record = quickshift.kernel_cost_record(spread, counts, {"kernel_size": by_kernel, "max_dist": by_dist,
                                                            "ratio": by_ratio}, image_size=24, n_images=2)
    dominance = record["estimate"]["kernel spread / other spreads"]
    assert dominance.n == 2 and dominance.low <= dominance.value <= dominance.high
    assert record["estimate"]["kernel-segments rank correlation"].value <= 0      # kernel 2 never adds segments here
    assert record["ours"].startswith("time x") and "from kernel 1 to 2" in record["ours"]
    assert record["note"].startswith("24-pixel crops of 2 photographs")
    with pytest.raises(ValueError, match="param"):
        quickshift.sweep(x, names, "sigma", [1])


def test_never_more_segments():
    assert quickshift.never_more_segments(pd.DataFrame({"a": [9, 5, 5]}, index=[1, 2, 3]))
    assert not quickshift.never_more_segments(pd.DataFrame({"a": [9, 5, 6]}, index=[1, 2, 3]))


def test_cifar_summary_and_record():
    by_cifar = pd.DataFrame({"kernel_size": [4, 4, 2, 2, 1, 1], "segments": [1, 3, 4, 6, 12, 15],
                             "seconds": [0.004] * 6, "image": ["cat", "dog"] * 3})
    summary = quickshift.cifar_summary(by_cifar)
    assert summary.loc[4, "median_segments"] == 2 and summary.loc[4, "single_segment"] == 0.5
    assert summary.loc[4, "at_most_3"] == 1 and summary.loc[4, "ms_per_image"] == pytest.approx(4)
    record = quickshift.cifar_merge_record(summary, by_cifar)
    assert record["estimate"]["median segments at LIME's defaults"].value == 2
    assert record["estimate"]["finest / LIME's median segments"].value == pytest.approx(13.5 / 2)
    assert record["ours"] == ("median segment count 2 at 4/200/0.2 (50% of images a single segment) "
                              "vs 13.5 at kernel 1")


def test_lambda_pairs_table_and_record():
    x, names = _images(), ["a", "b"]
    pairs = quickshift.lambda_pairs(x, names, [1, 2])
    assert [p["image"] for p in pairs] == names and pairs[0]["labels_08"].shape == (24, 24)
    table = quickshift.lambda_table(x, pairs)
    assert (table.change == table.segments_08 / table.segments_02 - 1).all()
    shown = quickshift.with_paper_row(table)
    assert shown.iloc[-1]["segments_02"] == 73 and shown.iloc[-1]["segments_08"] == 81
    record = quickshift.lambda_counts_record(table)
    assert record["ours"].startswith(f"a {table.segments_02[0]}->{table.segments_08[0]}")
    assert record["note"].endswith("the paper's by +11%")
    assert record["estimate"].value == pytest.approx(table.change.abs().mean())


def test_row_figures_draw_the_first_photographs_and_say_so(monkeypatch):
    monkeypatch.setattr(quickshift, "N_SHOWN", 1)
    x, names = _images(), ["a", "b"]
    pairs = quickshift.lambda_pairs(x, names, [1, 2])
    fig = quickshift.plot_lambda_segments(x, pairs, quickshift.lambda_table(x, pairs))
    assert len([ax for ax in fig.axes if ax.get_visible()]) == 3            # one row: image, λ 0.2, λ 0.8
    assert fig._suptitle.get_text().endswith("(the first 1 of 2 photographs)")
    monkeypatch.setattr(quickshift, "N_SHOWN", 2)
    fig = quickshift.plot_lambda_segments(x, pairs, quickshift.lambda_table(x, pairs))
    assert "photographs)" not in fig._suptitle.get_text() and len(fig.axes) >= 6


class _TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.head = nn.Linear(4, 5)

    def forward(self, x):
        return self.head(self.conv(x).relu().mean((2, 3)))


def test_explanations_timing_and_lambda_comparison():
    model, x, names = _TinyNet().eval(), _images(), ("a", "b")
    labels = segment.quickshift(x, kernel_size=1, max_dist=200, ratio=0.2)
    timing, runs = quickshift.time_explainability_length(model, x[:1], labels[0], repeats=2)
    assert list(timing.columns) == ["K = 1", "K = 10"] and len(timing) == 2
    assert quickshift.is_prefix(runs)
    record = quickshift.k_cost_record(timing, "a")
    assert record["unit"] == "t(K=10) / t(K=1) - 1" and "2 alternating run(s)" in record["note"]
    expected = timing["K = 10"].median() / timing["K = 1"].median() - 1
    assert record["estimate"].value == pytest.approx(expected) and record["estimate"].n == 2
    explained = quickshift.explain_photographs(model, x, labels, first=runs[10])
    assert explained[0] is runs[10] and len(explained) == 2
    pairs = quickshift.lambda_pairs(x, names, [1, 2])
    frame, masks = quickshift.compare_lambda_explanations(model, x, names, explained, pairs)
    assert list(frame.image) == list(names) and len(masks) == 2
    assert ((frame.iou >= 0) & (frame.iou <= 1)).all()
    record = quickshift.lambda_explanations_record(frame)
    assert record["ours"].endswith("(λ 0.2 vs 0.8, K = 10)")
    assert record["estimate"].value == pytest.approx((frame.density_02 - frame.density_08).mean())
    with pytest.raises(ValueError, match="repeats"):
        quickshift.time_explainability_length(model, x[:1], labels[0], repeats=0)


def test_page_sizes_have_the_same_keys_in_every_profile():
    from axlib.companion.sizes import PAGE_SIZES

    for page in ("00_models", "01_quickshift"):
        keys = {name: set(sizes) for name, sizes in PAGE_SIZES[page].items()}
        assert set(keys) == {"smoke", "default", "paper"} and len({frozenset(k) for k in keys.values()}) == 1
    assert PAGE_SIZES["01_quickshift"]["smoke"]["threads"] == 1
