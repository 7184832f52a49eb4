"""The rules of the robust-CNN study's claims (axlib.papers.robust.claims): each one where it passes
and where it fails, and the catalogue's paper values taken from axlib.papers.robust.paper."""
from __future__ import annotations

import pytest

from axlib.companion.rules import Estimate
from axlib.papers.robust import claims, paper

RULES = {c.id: c.rule for c in claims.CLAIMS}










def test_catalogue_paper_values_come_from_paper_py():
    by_id = {c.id: c for c in claims.CLAIMS}
    assert all(c.notebook in ("05", "") and c.paper == "robust" for c in claims.CLAIMS)
    assert all(bool(c.omitted) == (c.notebook == "") for c in claims.CLAIMS)
    assert by_id["robust.deletion_confidence.network"].paper_value == str(paper.DELETION_CONFIDENCE["network"].value)
    assert by_id["robust.insertion_deletion_correlation"].paper_value == str(paper.INSERTION_DELETION_CORRELATION.value)
    assert str(paper.CONFIDENCE_RATIO.value) in by_id["robust.table1.confidence_ratio"].paper_value
    assert str(paper.TABLE_1_ACCURACY["vanilla"].value) in by_id["robust.table1.advprop_accuracy"].paper_value
    assert by_id["robust.no_best_cnn"].paper_value == paper.IDEAL_REGION.value


def test_paper_helpers():
    assert paper.printed_ms("32,063") == 32063 and paper.printed_ms("8.485") == 8485 and paper.printed_ms("34") == 34
    with pytest.raises(ValueError, match="printed"):
        paper.printed_ms("fast")
    settings = paper.value(paper.DEFAULT_SETTINGS)
    assert isinstance(settings["ep"]["areas"], list) and all(isinstance(v, dict) for v in settings.values())


def _judge(claim_id: str, value: float, low: float, high: float, n: int) -> str:
    return RULES[claim_id].judge(Estimate(value, low, high, n)).verdict


def test_confidence_ratio_rule_reads_half_the_papers_effect():
    assert _judge("robust.table1.confidence_ratio", 1.6, 1.5, 1.7, 1500) == "reproduced"       # >= 1.4 = 1 + 0.8 / 2
    assert _judge("robust.table1.confidence_ratio", 1.2, 1.1, 1.3, 1500) == "partly"
    assert _judge("robust.table1.confidence_ratio", 0.9, 0.85, 0.95, 1500) == "not reproduced"
    assert _judge("robust.table1.confidence_ratio", 1.4, 1.3, 1.5, 1500) == "inconclusive"


def test_advprop_accuracy_rule_respects_the_direction():
    # the shipped AdvProp models sit 0.4-1.7 points below vanilla: never "reproduced" now
    assert _judge("robust.table1.advprop_accuracy", -1.0, -1.6, -0.4, 10000) == "partly"
    assert _judge("robust.table1.advprop_accuracy", 0.9, 0.3, 1.5, 10000) == "reproduced"
    assert _judge("robust.table1.advprop_accuracy", -3.0, -3.6, -2.4, 10000) == "not reproduced"
    assert _judge("robust.table1.advprop_accuracy", 0.1, -0.5, 0.7, 10000) == "inconclusive"


def test_correlations_are_judged_against_the_papers_rho():
    assert _judge("robust.pg_wsl_correlation", 0.8, 0.75, 0.85, 24) == "reproduced"           # >= 0.82 - 0.1
    assert _judge("robust.pg_wsl_correlation", 0.55, 0.45, 0.65, 24) == "partly"              # 0.5 reproduced before
    assert _judge("robust.pg_wsl_correlation", 0.8, 0.75, 0.85, 12) == "inconclusive"          # n < 20 images
    assert _judge("robust.deletion_confidence.network", 0.9, 0.85, 0.95, 6) == "inconclusive"  # 6 < the paper's 10 CNNs


def test_best_methods_rule_reads_all_four_metrics():
    rule = RULES["robust.best_methods"]
    top = {"gradcam worst rank": Estimate(2, 1, 3, 24), "rise worst rank": Estimate(3, 2, 3, 24),
           "mp position": Estimate(8, 8, 8, 24)}
    assert rule.judge(top).verdict == "reproduced"
    assert rule.judge(dict(top, **{"rise worst rank": Estimate(5, 4, 6, 24)})).verdict == "partly"
    assert rule.judge(dict(top, **{"rise worst rank": Estimate(3, 2, 5, 24)})).verdict == "inconclusive"
    with pytest.raises(ValueError, match="each part"):
        rule.judge({"gradcam worst rank": Estimate(2, 1, 3, 24)})


def test_fig2_rules_read_simultaneous_intervals_and_refuse_saturated_ties():
    rule = RULES["robust.gradient_localisation"]
    up, flat = Estimate(0.1, 0.04, 0.16, 24), Estimate(0.0, -0.005, 0.005, 24)
    assert rule.judge({"pointing_game": up, "wsl": up}).verdict == "reproduced"
    assert rule.judge({"pointing_game": flat, "wsl": up}).verdict == "partly"
    assert rule.judge({"pointing_game": Estimate(0.0, -0.02, 0.02, 24), "wsl": up}).verdict == "inconclusive"
    same = RULES["robust.cam_perturbation_no_difference"]
    parts = ("cam pointing_game", "cam wsl", "perturbation pointing_game", "perturbation wsl")
    assert same.judge(dict.fromkeys(parts, flat)).verdict == "reproduced"
    tie = Estimate(0.0, 0.0, 0.0, 0)                       # every map at the ceiling: no informative image
    assert same.judge(dict(dict.fromkeys(parts, flat), **{"cam pointing_game": tie})).verdict == "inconclusive"
    assert same.judge(dict.fromkeys(parts, Estimate(0.2, 0.1, 0.3, 24))).verdict == "not reproduced"


def test_no_best_cnn_and_advprop_between_rules():
    assert _judge("robust.no_best_cnn", 0, 0, 0, 24) == "reproduced"
    assert _judge("robust.no_best_cnn", 2, 2, 2, 24) == "not reproduced"
    assert _judge("robust.no_best_cnn", 0, 0, 1, 24) == "inconclusive"
    assert _judge("robust.advprop_between", 1.0, 1.0, 1.0, 24) == "reproduced"
    assert _judge("robust.advprop_between", 0.5, 0.33, 0.67, 24) == "inconclusive"
    assert _judge("robust.tuning.robust_prefers_smaller", 1.0, 0.54, 1.0, 6) == "reproduced"      # 6 of 6


def test_architecture_ranking_rule_reads_our_resnets_position():
    assert _judge("robust.architecture_ranking", 1, 1, 1, 24) == "reproduced"           # first of our 3
    assert _judge("robust.architecture_ranking", 1.5, 1.5, 2, 24) == "partly"           # tied first or second
    assert _judge("robust.architecture_ranking", 3, 2.5, 3, 24) == "not reproduced"
    assert _judge("robust.architecture_ranking", 1, 1, 2, 24) == "inconclusive"         # first or second
    assert _judge("robust.architecture_ranking", 1, 1, 1, 12) == "inconclusive"         # n < 20 images
    assert "not a ResNet-50" in RULES["robust.architecture_ranking"].text


def test_gradient_vs_perturbation_rule_needs_both_wsl_and_runtime():
    rule = RULES["robust.gradient_vs_perturbation"]
    lead, tie, behind = Estimate(3.0, 1.5, 4.5, 24), Estimate(0.0, -0.8, 0.8, 24), Estimate(-5.0, -7.0, -3.0, 24)
    fast, slow = Estimate(6.0, 5.0, 7.0, 24), Estimate(0.8, 0.7, 0.9, 24)
    assert rule.judge({"wsl": lead, "runtime": fast}).verdict == "reproduced"
    assert rule.judge({"wsl": tie, "runtime": fast}).verdict == "partly"            # one of the two reproduced
    assert rule.judge({"wsl": behind, "runtime": slow}).verdict == "not reproduced"
    assert rule.judge({"wsl": Estimate(1.0, -0.5, 2.5, 24), "runtime": fast}).verdict == "inconclusive"
    assert rule.judge({"wsl": lead, "runtime": Estimate(6.0, 5.0, 7.0, 10)}).verdict == "inconclusive"   # n < 20
    verdict = rule.judge({"wsl": tie, "runtime": fast})
    assert verdict.parts == {"wsl": "partly", "runtime": "reproduced"}
    assert f"{paper.TABLE_2_MS['ig'] / paper.TABLE_2_MS['gradient']:.1f}x" in rule.text   # IG, the fastest of the four


def test_cnn_ranking_and_fig_a2_are_not_comparable_but_keep_the_estimate():
    for claim_id in ("robust.cnn_ranking", "robust.figA2"):
        verdict = RULES[claim_id].judge(Estimate(0.5, 0.2, 0.8, 24))
        assert verdict.verdict == "not comparable" and verdict.estimate.value == 0.5
        assert "robust.no_best_cnn" in verdict.rule
    assert RULES["robust.figA2"].judge(None).estimate is None
    assert {c.id for c in claims.CLAIMS if c.omitted} == {"robust.imagenet_replication"}


def test_runtime_plot_shows_ours_and_the_papers_milliseconds_on_a_log_scale():
    import pandas as pd

    from axlib.papers.robust import analysis, paper

    runtime = pd.DataFrame({"wsl": [50.0, 40.0, 30.0], "wsl_std": [1.0, 1.0, 1.0],
                            "ms_per_image": [2.0, 300.0, 40.0]}, index=["gradient", "ep", "ig"])
    runtime["paper_ms_per_image"] = pd.Series(paper.TABLE_2_MS)
    fig = analysis.plot_runtime(runtime)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    order = sorted(runtime.index, key=lambda m: paper.TABLE_2_MS[m])          # the paper's order
    assert [t.get_text() for t in ax.get_yticklabels()] == order
    assert [p.get_width() for p in ax.patches] == [runtime.loc[m, "ms_per_image"] for m in order]
    assert ax.collections[-1].get_offsets()[:, 0].tolist() == [paper.TABLE_2_MS[m] for m in order]


def test_a_finding_judges_itself_through_the_recorder_with_all_its_fields():
    from axlib.papers.robust.findings import Finding

    class Recorder:
        def judge(self, *args, **kwargs):
            return {"args": args, "kwargs": kwargs}

    seen = Finding("estimate", 0.5, "why", "points").judge(Recorder(), "robust.x")
    assert seen == {"args": ("robust.x", "estimate", "why"), "kwargs": {"ours": 0.5, "unit": "points"}}
