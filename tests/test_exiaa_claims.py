"""EXIAA's claim rules (axlib.papers.exiaa.claims): each passes and fails where it should; the
catalogue takes its paper values from paper.py; the claim records of the page's experiments
carry the rules' verdicts."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from axlib.companion.results import Verdict
from axlib.companion.sizes import PAGE_SIZES
from axlib.papers.exiaa import claims, experiments, paper, tables


# ----------------------------------------------------------------- cell_share
@pytest.mark.parametrize("share, expected", [(1.0, "reproduced"), (0.8, "reproduced"), (0.79, "partly"),
                                             (0.5, "partly"), (0.49, "not reproduced"), (0.0, "not reproduced")])
def test_cell_share_bands(share, expected):
    verdict = claims.cell_share(share)
    assert isinstance(verdict, Verdict) and verdict.verdict == expected
    assert "0.8" in verdict.rule and "0.5" in verdict.rule


def test_cell_share_passes_and_fails():
    assert claims.cell_share(0.9, "share of cells with EXIAA > baseline").verdict == "reproduced"
    assert claims.cell_share(0.1, "share of cells with EXIAA > baseline").verdict == "not reproduced"
    assert claims.cell_share(float("nan")).verdict == "not reproduced"          # no cells compared
    assert claims.cell_share(0.9, "my statistic").rule.startswith("my statistic")


@pytest.mark.parametrize("share", [1.5, -0.1, "0.9", True, None])
def test_cell_share_rejects_bad_shares(share):
    with pytest.raises(ValueError, match="share"):
        claims.cell_share(share)


# ----------------------------------------------------------------- magnitude
@pytest.mark.parametrize("ratio, expected", [(1.0, "reproduced"), (0.8, "reproduced"), (1.25, "reproduced"),
                                             (0.79, "partly"), (2.0, "partly"), (0.5, "partly"),
                                             (0.49, "not reproduced"), (2.01, "not reproduced"),
                                             (float("nan"), "not reproduced")])
def test_magnitude_bands(ratio, expected):
    assert claims.magnitude(ratio).verdict == expected


def test_magnitude_passes_and_fails():
    assert claims.magnitude(np.float64(1.1)).verdict == "reproduced"
    assert claims.magnitude(0.1).verdict == "not reproduced"
    assert "[0.8, 1.25]" in claims.magnitude(1.0).rule
    with pytest.raises(ValueError, match="ratio"):
        claims.magnitude("1.0")


# ----------------------------------------------------------------- catalogue and sizes
def test_catalogue_quotes_paper_py():
    by_id = {c.id: c for c in claims.CLAIMS}
    assert by_id["exiaa.above_baseline"].paper_value == paper.ABOVE_BASELINE.value
    assert str(paper.TABLE1_DLS_A003_K01["vit"].value) in by_id["exiaa.vit_more_vulnerable"].paper_value
    assert by_id["exiaa.running_up_best"].paper_value == paper.RUNNING_UP_BEST.value
    assert claims.CONFIDENCE_BELOW == paper.CONFIDENCE_SMALL.value == 5
    assert all(c.notebook in ("06", "") and c.id.startswith("exiaa.") for c in claims.CLAIMS)
    assert all(bool(c.omitted) == (c.notebook == "") for c in claims.CLAIMS)


def test_default_and_paper_profiles_run_the_papers_grid():
    sizes = PAGE_SIZES["06_exiaa"]
    assert set(sizes) == {"smoke", "default", "paper"}
    assert all(set(s) == set(sizes["default"]) for s in sizes.values())
    for name in ("default", "paper"):
        assert sizes[name]["alphas"] == paper.ALPHAS.value and sizes[name]["top_ks"] == paper.TOP_KS.value
    assert sizes["paper"]["attack_ranks"] == paper.ATTACK_IMAGES_PER_ORIGINAL.value
    assert {s["scheduler"] for s in sizes.values()} <= {"serial", "local"}


# ----------------------------------------------------------------- records of the page
def summary(model_shift=0.0, baseline_shift=-1.0):
    """A summary-shaped table: 2 models x 1 method x 2 alphas x 2 top-ks x 2 kinds."""
    rows = []
    for model, m in (("resnet18", 0.0), ("vit", model_shift)):
        for alpha in (0.03, 0.15):
            for k in (0.1, 0.5):
                for kind, b in (("exiaa", 0.0), ("baseline", baseline_shift)):
                    rows.append(dict(model=model, method="saliency", kind=kind, alpha=alpha, top_k=k,
                                     explanation_change=10 + 100 * alpha + 10 * k + m + b,
                                     confidence_change=100 * alpha - m / 10, ssim=0.99 - alpha - b / 100))
    return pd.DataFrame(rows)


def test_grid_records_pass_when_the_claims_hold_and_fail_when_not():
    holds = experiments.grid_records(summary(5.0, -1.0), summary(5.0, -1.0), models=["resnet18", "vit"],
                                     n_originals=2)
    verdicts = {r["claim"]: r["verdict"].verdict for r in holds}
    assert verdicts["exiaa.above_baseline"] == "reproduced"
    assert verdicts["exiaa.vit_more_vulnerable"] == "reproduced"
    assert verdicts["exiaa.vit_smaller_confidence_drop"] == "reproduced"
    assert verdicts["exiaa.baseline_more_similar"] == "reproduced"
    assert verdicts["exiaa.confidence_below_5"] == "reproduced"      # alpha 0.03 cells only: 3 < 5
    fails = experiments.grid_records(summary(-5.0, 1.0), summary(5.0, -1.0), models=["resnet18", "vit"],
                                     n_originals=2)
    verdicts = {r["claim"]: r["verdict"].verdict for r in fails}
    assert verdicts["exiaa.above_baseline"] == "not reproduced"
    assert verdicts["exiaa.vit_more_vulnerable"] == "not reproduced"
    above = next(r for r in fails if r["claim"] == "exiaa.above_baseline")
    assert above["paper"] == 1.0 and above["ours"] == 0.0             # the paper's share is computed
    similar = next(r for r in fails if r["claim"] == "exiaa.baseline_more_similar")
    assert "paper" not in similar                                     # the catalogue's wording


def test_magnitude_records_use_the_median_ratio():
    ours, theirs = summary(), summary()
    ours["explanation_change"] *= 0.6
    records = experiments.magnitude_records(ours, theirs, models=["resnet18", "vit"])
    assert [r["claim"] for r in records] == ["exiaa.magnitude.resnet18.saliency", "exiaa.magnitude.vit.saliency"]
    assert all(math.isclose(r["ours"], 0.6) and r["verdict"].verdict == "partly" for r in records)


def fig5_frame(running_up_gain):
    rows = [dict(method="saliency", alpha=0.15, top_k=k, class_rank=rank, image=i,
                 explanation_change=50 - rank + (running_up_gain if rank == 2 else 0), perturbation_l2=1.0)
            for k in (0.05, 0.5) for rank in range(2, 11) for i in range(2)]
    return pd.DataFrame(rows)


def test_running_up_records_pass_and_fail():
    good = {r["claim"]: r["verdict"].verdict for r in experiments.running_up_records(fig5_frame(0), n_side=2,
                                                                                       alphas=(0.15,))}
    assert good == {"exiaa.running_up_best": "reproduced", "exiaa.running_up_above_mean": "reproduced"}
    bad = {r["claim"]: r["verdict"].verdict for r in experiments.running_up_records(fig5_frame(-20), n_side=2,
                                                                                      alphas=(0.15,))}
    assert bad == {"exiaa.running_up_best": "not reproduced", "exiaa.running_up_above_mean": "not reproduced"}
    change, size = tables.class_rank_tables(fig5_frame(0))
    assert list(change.columns) == list(range(2, 11)) and float(size.iloc[0, 0]) == 1.0


def test_top_ranks_record_passes_and_fails():
    def frame(top_gain):
        return pd.DataFrame([dict(method="saliency", alpha=0.15, top_k=k, attack_rank=r, image=0,
                                  explanation_change=10 + (top_gain if r == 1 else 0))
                             for k in (0.05, 0.5) for r in (1, 96)])
    assert experiments.top_ranks_record(frame(5), top_ranks=(1,), n_side=1)["verdict"].verdict == "reproduced"
    assert experiments.top_ranks_record(frame(-5), top_ranks=(1,), n_side=1)["verdict"].verdict == "not reproduced"
