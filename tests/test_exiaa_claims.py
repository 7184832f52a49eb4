"""EXIAA's claims (axlib.papers.exiaa.claims): every claim has a declared rule, its paper numbers
match the paper's tables; the estimates of axlib.papers.exiaa.tables take the original image as
their unit (value, interval and n on small synthetic grids); the page's records give the
rules' verdicts where a claim is planted to hold and where it is planted to fail."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from axlib.companion import results
from axlib.companion.rules import AllOf, Estimate, NotComparable
from axlib.companion.sizes import PAGE_SIZES
from axlib.papers.exiaa import claims, experiments, paper, tables
from axlib.papers.exiaa.paper import paper_tables

MODELS = ["resnet18", "vit"]
RULES = {c.id: c.rule for c in claims.CLAIMS}


def judge(claim_id, estimate):
    return RULES[claim_id].judge(estimate).verdict


def contains(e: Estimate, value: float) -> bool:
    return e.low - 1e-12 <= value <= e.high + 1e-12


# ----------------------------------------------------------------- synthetic grids
def grid_frame(n=12, per=1, advantage=0.2, vit_gain=0.3, vit_conf=-0.2, confidence=30.0, ssim_drop=(0.1, 0.05),
               flips=0, flip_high=False, alpha_slope=100.0, topk_slope=10.0, noise=0.05, seed=0, alphas=(0.03, 0.09, 0.15), top_ks=(0.1, 0.5),
               methods=("saliency", "deeplift_shap")) -> pd.DataFrame:
    """A main grid: two models, ``per`` attack images for each of ``n`` originals (``image`` i
    attacks ``original`` i // per). EXIAA's change is the baseline's x (1 + advantage), the ViT's
    the ResNet's x (1 + vit_gain), its confidence change the ResNet's x (1 + vit_conf); each
    original has its own scale (``noise``) shared by its cells; ``flips`` originals flip in
    every EXIAA cell; ``flip_high``: every original flips in the EXIAA cells of the largest alpha
    and the last method."""
    rng = np.random.default_rng(seed)
    scale = 1 + noise * rng.standard_normal(n)
    rows = []
    for model in MODELS:
        gain, conf = (1 + vit_gain, 1 + vit_conf) if model == "vit" else (1.0, 1.0)
        for method in methods:
            for a in alphas:
                for k in top_ks:
                    for kind, adv, drop in (("exiaa", 1 + advantage, ssim_drop[0]), ("baseline", 1.0, ssim_drop[1])):
                        for i in range(n * per):
                            o = i // per
                            rows.append(dict(model=model, method=method, kind=kind, alpha=a, top_k=k, image=i,
                                             original=o, explanation_change=(50 + alpha_slope * a + topk_slope * k) * scale[o]
                                             * gain * adv, confidence_change=confidence * a * conf * scale[o],
                                             ssim=1 - drop * a * scale[o],
                                             flipped=kind == "exiaa" and (o < flips or flip_high and a == alphas[-1]
                                                                          and method == methods[-1])))
    return pd.DataFrame(rows)


def fig5_frame(running_up_gain=0.2, n=12, noise=0.05, seed=0):
    """Fig. 5's grid: 9 class ranks (2 the running-up class) for each of n originals; the
    running-up class's change is the best other rank's x (1 + running_up_gain)."""
    rng = np.random.default_rng(seed)
    scale = 1 + noise * rng.standard_normal(n)
    rows = [dict(model="resnet18", method=m, kind="exiaa", alpha=0.09, top_k=k, class_rank=rank, image=o * 9 + rank - 2,
                 original=o, explanation_change=scale[o] * (37 * (1 + running_up_gain) if rank == 2 else 40 - rank),
                 perturbation_l2=1.0)
            for m in ("saliency", "deeplift_shap") for k in (0.05, 0.5) for o in range(n) for rank in range(2, 11)]
    return pd.DataFrame(rows)


def fig_a1_frame(top_gain=0.2, n=12, noise=0.05, seed=0):
    rng = np.random.default_rng(seed)
    scale = 1 + noise * rng.standard_normal(n)
    ranks = (1, 2, 96, 97)
    rows = [dict(model="resnet18", method=m, kind="exiaa", alpha=0.09, top_k=k, attack_rank=r, image=o * 4 + j,
                 original=o, explanation_change=scale[o] * 30 * ((1 + top_gain) if r < 50 else 1))
            for m in ("saliency",) for k in (0.05, 0.5) for o in range(n) for j, r in enumerate(ranks)]
    return pd.DataFrame(rows)


# ----------------------------------------------------------------- catalogue and sizes
def test_every_claim_has_a_declared_rule_and_quotes_paper_py():
    by_id = {c.id: c for c in claims.CLAIMS}
    assert all(c.rule is not None and not c.omitted and c.notebook == "06" for c in claims.CLAIMS)
    assert {"exiaa.same_prediction", "exiaa.alpha_trend", "exiaa.topk_trend"} <= set(by_id)
    assert by_id["exiaa.above_baseline"].paper_value == paper.ABOVE_BASELINE.value
    assert str(paper.TABLE1_DLS_A003_K01["vit"].value) in by_id["exiaa.vit_more_vulnerable"].paper_value
    assert by_id["exiaa.running_up_best"].paper_value == paper.RUNNING_UP_BEST.value
    assert claims.CONFIDENCE_BELOW == paper.CONFIDENCE_SMALL.value == 5
    assert isinstance(by_id["exiaa.baseline_more_similar"].rule, AllOf)
    magnitudes = [c for c in claims.CLAIMS if c.id.startswith("exiaa.magnitude.")]
    assert len(magnitudes) == 6 and all(isinstance(c.rule, NotComparable) for c in magnitudes)
    assert all(c.rule.min_n == claims.MIN_ORIGINALS for c in claims.CLAIMS if not isinstance(c.rule, NotComparable))
    assert all(c.id.startswith("exiaa.") for c in claims.CLAIMS)


def test_the_rules_quote_the_papers_tables():
    """The paper's statistics in the rules' texts are those of its Tables B.1-B.3."""
    theirs = paper_tables()
    exiaa = theirs[theirs.kind == "exiaa"]
    assert round(tables.paper_advantage(theirs, "kind", "exiaa", "baseline")[0], 2) == claims.PAPER_ADVANTAGE["all"]
    for model in MODELS:
        value, _ = tables.paper_advantage(theirs[theirs.model == model], "kind", "exiaa", "baseline")
        assert round(value, 2) == claims.PAPER_ADVANTAGE[model]
    assert round(tables.paper_advantage(exiaa, "model", "vit", "resnet18")[0], 2) == claims.PAPER_VIT_CHANGE
    assert round(tables.paper_advantage(exiaa, "model", "vit", "resnet18", value="confidence_change")[0], 2) \
        == claims.PAPER_VIT_CONFIDENCE
    for along, rho in claims.PAPER_TREND_RHO.items():
        assert round(tables.paper_trend(theirs, along)[0], 2) == rho
    assert f"{claims.PAPER_ADVANTAGE['resnet18']:+.2f}" in RULES["exiaa.above_baseline.resnet18"].text


def test_default_and_paper_profiles_run_the_papers_grid():
    sizes = PAGE_SIZES["06_exiaa"]
    assert set(sizes) == {"smoke", "default", "paper"}
    assert all(set(s) == set(sizes["default"]) for s in sizes.values())
    for name in ("default", "paper"):
        assert sizes[name]["alphas"] == paper.ALPHAS.value and sizes[name]["top_ks"] == paper.TOP_KS.value
    assert sizes["paper"]["attack_ranks"] == paper.ATTACK_IMAGES_PER_ORIGINAL.value
    assert {s["scheduler"] for s in sizes.values()} <= {"serial", "local"}


# ----------------------------------------------------------------- estimates
def test_originals_come_from_the_original_column_or_the_image():
    g = grid_frame(n=3, per=2)
    assert tables.originals(g).nunique() == 3
    assert tables.originals(g.drop(columns="original")).nunique() == 6       # run_grid's own output
    with pytest.raises(ValueError, match="summary"):
        tables.originals(tables.summarise(g))


def test_relative_advantage_counts_original_images_and_finds_a_planted_advantage():
    g = grid_frame(n=12, per=3, advantage=0.2)
    e = tables.relative_advantage(g, "kind", "exiaa", "baseline")
    assert math.isclose(e.value, 0.2, abs_tol=1e-9) and contains(e, 0.2)
    assert e.n == 12 and e.n_of == "original images" and "bootstrap" in e.interval
    per = tables.paired_means(g, "kind", "exiaa", "baseline")
    assert list(per.columns) == ["exiaa", "baseline"] and len(per) == 12
    with pytest.raises(ValueError, match="both"):
        tables.relative_advantage(g, "kind", "exiaa", "noise")
    with pytest.raises(ValueError, match="summary"):
        tables.relative_advantage(tables.summarise(g), "kind", "exiaa", "baseline")


def test_relative_advantage_interval_is_over_originals():
    """Originals that disagree widen the interval; it still holds the value and n stays the originals."""
    g = grid_frame(n=20, advantage=0.2)
    g.loc[(g.kind == "exiaa") & (g.original < 10), "explanation_change"] /= 1.2 * 1.2   # half the originals lose
    e = tables.relative_advantage(g, "kind", "exiaa", "baseline")
    assert e.n == 20 and e.low < e.value < e.high and contains(e, e.value)
    assert e.low < 0 < e.high and judge("exiaa.above_baseline", e) == "inconclusive"


def test_paper_advantage_of_a_summary_equals_the_estimate_on_a_full_grid():
    g = grid_frame(n=5, advantage=0.3, noise=0.2)
    value, cells = tables.paper_advantage(tables.summarise(g), "kind", "exiaa", "baseline")
    assert cells == 2 * 2 * 3 * 2 and math.isclose(value, tables.relative_advantage(g, "kind", "exiaa", "baseline").value)


def test_per_original_mean_averages_each_original_first():
    g = grid_frame(n=12, per=2, confidence=30.0, noise=0.0)
    low = g[(g.kind == "exiaa") & (g.alpha <= 0.09) & (g.model == "resnet18")]
    e = tables.per_original_mean(low, "confidence_change")
    assert math.isclose(e.value, 30 * (0.03 + 0.09) / 2) and contains(e, e.value) and e.n == 12
    with pytest.raises(ValueError, match="rows"):
        tables.per_original_mean(low.iloc[:0], "confidence_change")


def test_trend_is_the_mean_rho_per_original():
    up = tables.trend(grid_frame(n=12, per=2), "alpha")
    assert math.isclose(up.value, 1.0) and up.n == 12 and contains(up, 1.0)
    down = tables.trend(grid_frame(n=12, alpha_slope=-100.0), "alpha")
    assert math.isclose(down.value, -1.0)
    assert math.isclose(tables.trend(grid_frame(n=12), "top_k").value, 1.0)
    flat = grid_frame(n=12, alpha_slope=0.0)
    flat.loc[flat.original < 6, "explanation_change"] *= flat.loc[flat.original < 6, "alpha"] * 10    # 6 rise
    rising = tables.trend(flat, "alpha")
    assert rising.n == 6 and math.isclose(rising.value, 1.0)          # the 6 flat originals give no rho
    with pytest.raises(ValueError, match="varies"):
        tables.trend(grid_frame(n=3, alpha_slope=0.0), "alpha")
    with pytest.raises(ValueError, match="along"):
        tables.trend(grid_frame(n=3), "ssim")


def test_magnitude_ratio_is_the_median_ratio_to_the_papers_cells():
    g = grid_frame(n=12, alphas=(0.03, 0.15), top_ks=(0.1, 0.5), noise=0.1)
    theirs = tables.summarise(g).assign(explanation_change=lambda t: t.explanation_change / 0.6)
    e, cells = tables.magnitude_ratio(g, theirs, model="vit", method="saliency")
    assert cells == 4 and math.isclose(e.value, 0.6) and contains(e, 0.6) and e.n == 12
    assert tables.magnitude_ratio(g, theirs, model="vit", method="integrated_gradients") is None
    assert tables.magnitude_ratio(g, theirs[theirs.alpha > 0.2], model="vit", method="saliency") is None


def test_running_up_estimates_find_a_planted_best_class():
    good = tables.running_up_estimates(fig5_frame(0.2))
    assert math.isclose(good["best"].value, 0.2) and good["best"].n == 12 and contains(good["best"], 0.2)
    others = np.mean([40 - r for r in range(3, 11)])
    assert math.isclose(good["above_mean"].value, 37 * 1.2 / others - 1)
    assert contains(good["above_mean"], good["above_mean"].value)
    bad = tables.running_up_estimates(fig5_frame(-0.5))
    assert math.isclose(bad["best"].value, -0.5) and bad["above_mean"].value < 0
    with pytest.raises(ValueError, match="class rank"):
        tables.running_up_estimates(fig5_frame()[lambda f: f.class_rank == 2])


def test_attack_rank_groups_compare_top_and_low_ranks():
    groups = tables.attack_rank_groups(fig_a1_frame(0.25), (1, 2))
    assert set(groups.group) == {"top", "low"}
    e = tables.relative_advantage(groups, "group", "top", "low", cells=("method", "alpha", "top_k"))
    assert math.isclose(e.value, 0.25) and e.n == 12 and contains(e, 0.25)


# ----------------------------------------------------------------- records of the page and their rules
def records(grid):
    return {r["claim"]: r for r in experiments.grid_records(grid, paper_tables(), models=MODELS)}


def test_grid_records_pass_when_the_claims_hold():
    found = records(grid_frame(n=12, per=2))
    assert set(found) == {"exiaa.above_baseline", "exiaa.above_baseline.resnet18", "exiaa.above_baseline.vit",
                          "exiaa.vit_more_vulnerable", "exiaa.vit_smaller_confidence_drop", "exiaa.confidence_below_5",
                          "exiaa.baseline_more_similar", "exiaa.same_prediction", "exiaa.alpha_trend",
                          "exiaa.topk_trend"}
    verdicts = {claim: judge(claim, r["estimate"]) for claim, r in found.items()}
    assert set(verdicts.values()) == {"reproduced"}, verdicts
    assert all(set(r) == {"claim", "estimate", "note", "unit"} for r in found.values())
    for r in found.values():
        estimates = r["estimate"].values() if isinstance(r["estimate"], dict) else [r["estimate"]]
        assert all(e.n == 12 and e.n_of == "original images" for e in estimates)
    assert "+0.42" in found["exiaa.above_baseline"]["note"]                # the paper's, computed the same way
    assert "12 CIFAR-10 originals x 2 attack images" in found["exiaa.alpha_trend"]["note"]


def test_grid_records_fail_when_the_claims_do_not_hold():
    found = records(grid_frame(n=12, advantage=-0.2, vit_gain=-0.3, vit_conf=0.3, confidence=200.0,
                               ssim_drop=(3.0, 4.0), flips=9, alpha_slope=-100.0, topk_slope=-10.0))
    verdicts = {claim: judge(claim, r["estimate"]) for claim, r in found.items()}
    assert verdicts == {c: "not reproduced" for c in found}, verdicts
    partly = records(grid_frame(n=12, advantage=0.02, vit_gain=0.02, vit_conf=-0.02, confidence=120.0,
                                flip_high=True))
    assert {c: judge(c, partly[c]["estimate"]) for c in
            ("exiaa.above_baseline", "exiaa.vit_more_vulnerable", "exiaa.vit_smaller_confidence_drop",
             "exiaa.confidence_below_5", "exiaa.same_prediction")} == dict.fromkeys(
        ("exiaa.above_baseline", "exiaa.vit_more_vulnerable", "exiaa.vit_smaller_confidence_drop",
         "exiaa.confidence_below_5", "exiaa.same_prediction"), "partly")


def test_few_originals_are_inconclusive():
    found = records(grid_frame(n=claims.MIN_ORIGINALS - 1))
    assert {judge(c, r["estimate"]) for c, r in found.items()} == {"inconclusive"}


def test_magnitude_records_are_not_comparable_but_keep_our_ratio(tmp_path, monkeypatch):
    g = grid_frame(n=12, alphas=(0.03, 0.15), top_ks=(0.1, 0.5))
    theirs = tables.summarise(g).assign(explanation_change=lambda t: t.explanation_change / 0.6)
    found = experiments.magnitude_records(g, theirs, models=MODELS)
    assert [r["claim"] for r in found] == ["exiaa.magnitude.resnet18.saliency", "exiaa.magnitude.resnet18.deeplift_shap",
                                           "exiaa.magnitude.vit.saliency", "exiaa.magnitude.vit.deeplift_shap"]
    assert all(math.isclose(r["ours"], 0.6) for r in found)
    monkeypatch.setenv("AXLIB_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("AXLIB_NOTEBOOK", "06_test")
    stored = results.recorder("smoke").judge(**found[0])
    assert stored["verdict"] == "not comparable" and stored["ours"] == 0.6 and stored["n"] == 12
    assert stored["rule"].startswith("not comparable: the size of the explanation change")
    with pytest.raises(ValueError, match="declared rule"):
        results.recorder("smoke").record("exiaa.above_baseline", 0.2, "reproduced")


def test_running_up_records_pass_and_fail():
    good = {r["claim"]: judge(r["claim"], r["estimate"]) for r in experiments.running_up_records(fig5_frame(0.2),
                                                                                                  alphas=(0.09,))}
    assert good == {"exiaa.running_up_best": "reproduced", "exiaa.running_up_above_mean": "reproduced"}
    # as good as the best other rank: non-inferiority holds at a tie
    tie = {r["claim"]: judge(r["claim"], r["estimate"]) for r in experiments.running_up_records(
        fig5_frame(0.0), alphas=(0.09,))}
    assert tie["exiaa.running_up_best"] == "reproduced"
    bad = {r["claim"]: judge(r["claim"], r["estimate"]) for r in experiments.running_up_records(fig5_frame(-0.5),
                                                                                                 alphas=(0.09,))}
    assert bad == {"exiaa.running_up_best": "not reproduced", "exiaa.running_up_above_mean": "not reproduced"}
    middle = {r["claim"]: judge(r["claim"], r["estimate"]) for r in experiments.running_up_records(
        fig5_frame(-0.08), alphas=(0.09,))}                    # below the best rank, above the others' mean
    assert middle == {"exiaa.running_up_best": "not reproduced", "exiaa.running_up_above_mean": "reproduced"}
    change, size = tables.class_rank_tables(fig5_frame(0))
    assert list(change.columns) == list(range(2, 11)) and float(size.iloc[0, 0]) == 1.0


def test_top_ranks_record_passes_and_fails():
    def verdict(gain):
        r = experiments.top_ranks_record(fig_a1_frame(gain), top_ranks=(1, 2))
        assert r["estimate"].n == 12 and "(96, 97)" in r["note"]
        return judge(r["claim"], r["estimate"])

    assert verdict(0.2) == "reproduced"
    assert verdict(0.02) == "partly"
    assert verdict(-0.2) == "not reproduced"
