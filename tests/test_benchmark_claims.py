"""The rules and page helpers of AXAI's Table 5, Fig. 21 and appendices B, D, E.4, E.5 and F
(axlib.papers.axai.claims, .benchmark, .attack_appendices; notebooks 04 and 04b): each rule
passes once and fails once."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from axlib.papers.axai import attack_appendices as AP
from axlib.papers.axai import benchmark as BM
from axlib.papers.axai import claims as C


def tiny_cnn(classes: int = 6) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                         nn.Flatten(), nn.Linear(16, classes)).eval()


# --------------------------------------------------------------------------- rules
def test_table5_paper_ratio_and_targets():
    assert C.table5_paper_ratio("lime") == pytest.approx(105 / 6.6)
    assert C.table5_paper_ratio("shap", "gpu") == pytest.approx(3.8 / 1.7)
    assert C.TABLE5_TARGETS["lime/axai"] == (">=", 16.0) and C.TABLE5_TARGETS["shap/axai"] == (">=", 5.3)
    with pytest.raises(ValueError, match="device"):
        C.table5_paper_ratio("lime", "tpu")
    with pytest.raises(ValueError, match="method"):
        C.table5_paper_ratio("axai")


def test_table5_targets_text_is_built_from_the_targets(monkeypatch):
    assert BM.table5_targets_text() == (
        "**Targets**: LIME / AXAI at least 16 and SHAP / AXAI at least 5.3 (the paper's ratios), AXAI's "
        "segmentation at most 30 % and its remaining work at most 10 % of its time.")
    monkeypatch.setitem(C.TABLE5_TARGETS, "axai segmentation share", ("<=", 0.25))
    assert "segmentation at most 25 % and" in BM.table5_targets_text()












def test_appendix_rules():
    from axlib.companion.rules import Estimate
    assert _judge("axai.appB.iou_fgm_pgd20.cifar10", Estimate(0.95, 0.92, 0.97, 200)) == "reproduced"
    assert _judge("axai.appB.iou_fgm_pgd20.cifar10", Estimate(0.6, 0.55, 0.65, 200)) == "partly"
    assert _judge("axai.appB.iou_fgm_pgd20.imagenet", Estimate(0.95, 0.9, 1.0, 8)) == "inconclusive"   # 8 < 10 images
    ordering = {"top 5 - segments 6-10": Estimate(0.2, 0.15, 0.25, 100), "top 5 - random 5": Estimate(0.1, 0.07, 0.13, 100)}
    assert _judge("axai.appE4.ordering.cifar10", ordering) == "reproduced"
    ordering["top 5 - random 5"] = Estimate(-0.1, -0.15, -0.06, 100)
    assert _judge("axai.appE4.ordering.cifar10", ordering) == "partly"
    assert _judge("axai.appE4.accuracy_after_top5.imagenet", Estimate.proportion(14, 32)) == "inconclusive"
    assert _judge("axai.appE4.accuracy_after_top5.imagenet", Estimate.proportion(440, 1000)) == "reproduced"
    assert _judge("axai.appE4.accuracy_after_top5.cifar10", Estimate.proportion(440, 1000)) == "not comparable"
    assert _judge("axai.appE5.robust_pgd20_accuracy", Estimate(0.3, 0.22, 0.38, 200)) == "reproduced"
    assert _judge("axai.appE5.centre_share", Estimate(-0.02, -0.04, -0.01, 200)) == "not reproduced"


def test_segmentation_robustness_rule():
    from axlib.companion.rules import Estimate
    cid = "axai.property1.segmentation_robustness"
    assert _judge(cid, Estimate(0.2, 0.15, 0.26, 20)) == "reproduced"
    assert _judge(cid, Estimate(0.05, 0.02, 0.08, 20)) == "partly"
    assert _judge(cid, Estimate(-0.1, -0.15, -0.04, 20)) == "not reproduced"
    assert _judge(cid, Estimate(0.1, 0.04, 0.16, 20)) == "inconclusive"          # straddles 0.1
    assert _judge(cid, Estimate(0.3, 0.25, 0.35, 9)) == "inconclusive"           # 9 < 10 images


def test_blur_top_segments_rule():
    from axlib.companion.rules import Estimate
    cid = "axai.appD.blur_top_segments_flips"
    good = {"label flips": Estimate.proportion(24, 32), "to the attack's class": Estimate.proportion(20, 24, "flipped images"),
            "top 3 - random 3": Estimate(0.6, 0.45, 0.75, 32)}
    assert _judge(cid, good) == "reproduced"
    assert _judge(cid, dict(good, **{"to the attack's class": Estimate.proportion(0, 24, "flipped images")})) == "partly"
    bad = {"label flips": Estimate.proportion(1, 100), "to the attack's class": Estimate.proportion(0, 40),
           "top 3 - random 3": Estimate(-0.05, -0.1, -0.01, 100)}
    assert _judge(cid, bad) == "not reproduced"
    assert _judge(cid, dict(good, **{"label flips": Estimate.proportion(16, 32)})) == "inconclusive"   # [0.32, 0.68]
    assert _judge(cid, dict(good, **{"to the attack's class": Estimate.proportion(5, 5)})) == "inconclusive"  # 5 < 10


def test_examples_rule_is_not_comparable():
    from axlib.companion.rules import Estimate
    rule = next(c.rule for c in C.CLAIMS if c.id == "axai.appE1.examples")
    v = rule.judge(Estimate(0.3, 0.28, 0.32, 100))
    assert v.verdict == "not comparable" and "04b" in v.rule and v.estimate.n == 100


def test_catalogue_entries_name_their_page():
    pages = {c.id: c.notebook for c in C.CLAIMS}
    assert pages["axai.table5.lime_over_axai"] == "04" and pages["axai.appF.lime_kernel4_coverage"] == "04"
    assert pages["axai.appB.iou_fgm_pgd20.cifar10"] == "04b" and pages["axai.appE5.centre_share"] == "04b"
    assert pages["axai.property1.segmentation_robustness"] == "04"
    assert pages["axai.appD.blur_top_segments_flips"] == pages["axai.appE1.examples"] == "04b"
    lime = next(c for c in C.CLAIMS if c.id == "axai.table5.lime_over_axai")
    assert lime.paper_value == "105 s / 6.6 s = 16x"


# --------------------------------------------------------------------------- page 04
def synthetic_t5(lime: float = 20.0, shap: float = 6.0, axai: float = 1.0) -> dict:
    parts = {"attack": 0.6, "segmentation": 0.3, "rest": 0.1}
    return {"device_name": "cpu X", "device": "cpu", "torch": "2", "threads": 1, "n_images": 2,
            "ratios": {"lime/axai": lime / axai, "shap/axai": shap / axai},
            "targets": {"lime/axai": {"value": lime / axai, "op": ">=", "target": 16.0, "met": True}},
            "results": {"axai": {"batch1": {"median": axai}, "parts": parts, "shares": parts,
                                 "seconds": [axai * f for f in (0.9, 1.0, 1.1, 1.0, 1.0, 1.0)],
                                 "share_values": {k: [v] * 6 for k, v in parts.items()},
                                 "throughput": {"8": {"images_per_s": 4.0, "parts": parts}}},
                        "lime": {"batch1": {"median": lime}, "seconds": [lime * f for f in (0.95, 1.0, 1.05, 1.0, 1.0, 1.0)]},
                        "shap": {"batch1": {"median": shap}, "seconds": [shap] * 6}}}


def _judge(claim_id: str, estimate) -> str:
    return next(c.rule for c in C.CLAIMS if c.id == claim_id).judge(estimate).verdict


def test_table5_claims_and_shares():
    judged, recorded = BM.table5_claims(synthetic_t5())
    judged = {c["claim"]: c["estimate"] for c in judged}
    assert set(judged) == {"axai.table5.lime_over_axai", "axai.table5.shap_over_axai", "axai.table5.segmentation_share"}
    assert {c["claim"] for c in recorded} == {f"axai.table5.seconds.{m}" for m in ("axai", "lime", "shap")}
    assert judged["axai.table5.lime_over_axai"].value == pytest.approx(20.0) and judged["axai.table5.lime_over_axai"].n == 6
    assert _judge("axai.table5.lime_over_axai", judged["axai.table5.lime_over_axai"]) == "reproduced"
    assert _judge("axai.table5.segmentation_share", judged["axai.table5.segmentation_share"]) == "not reproduced"  # 0.3
    slow, _ = BM.table5_claims(synthetic_t5(lime=0.9))
    assert _judge("axai.table5.lime_over_axai", slow[0]["estimate"]) == "not reproduced"
    assert next(c for c in recorded if c["claim"] == "axai.table5.seconds.lime")["paper"] == 105.0
    shares = BM.time_shares(synthetic_t5())
    assert list(shares.index) == [1, 8] and shares.loc[8, "images/s"] == 4.0
    assert shares.loc[1, "attack share"] == pytest.approx(0.6)
    assert shares.loc[1, "attack s/image"] == pytest.approx(0.6) and shares.loc[8, "attack s/image"] == pytest.approx(0.075)
    assert "cpu X" in BM.table5_caption(synthetic_t5())


def test_run_table5_checks_its_images():
    with pytest.raises(ValueError, match="n_images"):
        BM.run_table5(tiny_cnn(), torch.rand(2, 3, 16, 16), n_images=3, batch=2, lime_samples=10, shap_samples=2)


def test_fig21_maps_agreement_and_claim():
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    names = [f"class {i}" for i in range(6)]
    m = BM.cifar_maps(tiny_cnn(), x, x, lime_samples=10, shap_samples=2, class_names=names)
    for key in ("axai", "lime", "shap"):
        assert m[key].shape == (2, 32, 32) and m[key].dtype == torch.bool
    assert float(m["shap"].float().mean()) == pytest.approx(BM.SHAP_TOP, abs=0.01)
    table = BM.agreement_table({"CIFAR-10": m, "copy": dict(m, lime=m["axai"])})
    assert table.loc["copy", "IoU AXAI-LIME"] == 1.0
    claim = BM.fig21_claim({"CIFAR-10": m, "copy": dict(m, lime=m["axai"])})
    assert claim["claim"] == "axai.fig21.iou_axai_lime" and claim["estimate"].n == 4
    assert claim["estimate"].value == pytest.approx((table["IoU AXAI-LIME"] * 2).sum() / 4)
    assert BM.plot_fig21("CIFAR-10", m) is not None


def test_lime_kernel_claim():
    big, small = BM.LIME_KERNELS
    cover = torch.zeros(12, 32, 32)
    cover[:, :20] = 1.0                                     # kernel 4: LIME's features cover 20 / 32 rows
    fine = torch.zeros(12, 32, 32)
    fine[:, :5] = 1.0                                       # kernel 1: 5 / 32 rows
    r = {"segments": {big: torch.full((12,), 5.0), small: torch.full((12,), 14.0)}, "lime": {big: cover, small: fine}}
    claim = BM.lime_kernel_claim(r)
    assert _judge("axai.appF.lime_kernel4_coverage", claim["estimate"]) == "reproduced"
    same = dict(r, lime={big: fine, small: fine}, segments={big: torch.full((12,), 14.0), small: torch.full((12,), 14.0)})
    assert _judge("axai.appF.lime_kernel4_coverage", BM.lime_kernel_claim(same)["estimate"]) == "not reproduced"
    r = BM.lime_kernels(tiny_cnn(), torch.rand(1, 3, 32, 32), lime_samples=10)
    assert list(r["table"].index) == list(BM.LIME_KERNELS) and BM.plot_lime_kernels(r) is not None
    assert r["segments"][big].shape == (1,)


# --------------------------------------------------------------------------- page 04b (D, E.5)
def test_centre_share():
    m = torch.zeros(2, 32, 32, dtype=torch.bool)
    m[0, 8:24, 8:24] = True
    m[1, :4, :4] = True
    assert AP.centre_share(m) == pytest.approx(0.5)
    assert AP.centre_share(torch.zeros(1, 32, 32, dtype=torch.bool)) == 0.0
    with pytest.raises(ValueError, match="mask"):
        AP.centre_share(m[:, :16])


def test_attack_destinations_and_claims():
    model = tiny_cnn()
    x = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    pred = model(x).argmax(1)
    adv = pred.clone()
    adv[0] = model(x[:1]).topk(2, 1).indices[0, 1]         # moved to the second class
    d = {"x": x, "y": pred, "adv": adv}
    dest = AP.attack_destinations(model, d, [f"c{i}" for i in range(6)])
    assert dest["flipped"] == pytest.approx(1 / 3) and dest["share_top5"] == 1.0
    assert list(dest["table"].columns) == ["true", "predicted", "after attack", "in clean top 5"]
    claim = AP.destination_claim(dest)
    assert claim["claim"] == "axai.appD.adv_class_in_top5" and (claim["estimate"].value, claim["estimate"].n) == (1.0, 1)


def test_compare_explanations_and_claims():
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    cmp = AP.compare_explanations(tiny_cnn(), tiny_cnn(), x)
    assert cmp["iou"] == 1.0                               # the same model twice
    assert list(cmp["table"].columns) == ["regular", "adv. trained"]
    claim = AP.centre_share_claim(cmp)
    assert claim["claim"] == "axai.appE5.centre_share" and claim["estimate"].value == 0.0   # the same model twice
    assert AP.plot_fig20(cmp, x, torch.tensor([0, 1]), [f"c{i}" for i in range(6)]) is not None
    rob = AP.robustness_table({"a": tiny_cnn(), "b": tiny_cnn()}, x, torch.tensor([0, 1]))
    assert rob["table"].shape[0] == 2
    gain = AP.robust_claim(rob["results"], "a", "b")["estimate"]
    assert gain.value == 0.0 and gain.n == 2 and gain.low < 0 < gain.high


# --------------------------------------------------------------------------- page 04 (section 6, Property 1)
def test_segmentation_robustness_and_claim():
    from axlib.segment import quickshift

    x = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    r = BM.segmentation_robustness(tiny_cnn(), x, lime_samples=10)
    assert r["settings"] == list(BM.ROBUSTNESS_SETTINGS) and r["k"] == BM.LIME_FEATURES
    for method in ("axai", "lime"):
        assert r["iou"][method].shape == (3,) and ((0 <= r["iou"][method]) & (r["iou"][method] <= 1)).all()
        for name in r["settings"]:
            assert r[method][name].shape == (3, 32, 32) and r[method][name].dtype == torch.bool
    name, kw = next(iter(BM.ROBUSTNESS_SETTINGS.items()))
    seg = quickshift(x, **kw)
    assert torch.equal(r["segments"][name], seg)
    for i in range(3):                                     # each method explains k whole segments of it
        for method in ("axai", "lime"):
            inside = seg[i][r[method][name][i]].unique()
            assert len(inside) <= BM.LIME_FEATURES and r[method][name][i].sum() == sum(
                int((seg[i] == s).sum()) for s in inside)
    assert r["table"].shape == (3, 3)                      # three pairs of settings
    claim = BM.segmentation_robustness_claim(r)
    e = claim["estimate"]
    assert claim["claim"] == "axai.property1.segmentation_robustness" and e.n == 3
    assert e.value == pytest.approx(float((r["iou"]["axai"] - r["iou"]["lime"]).mean()))
    assert e.low <= e.value <= e.high
    assert _judge(claim["claim"], e) == "inconclusive"     # 3 < 10 images
    assert BM.plot_segmentation_robustness(r, [f"c{i}" for i in range(6)], show=1) is not None
    same = dict(r, iou={"axai": r["iou"]["axai"], "lime": r["iou"]["axai"]})
    assert BM.segmentation_robustness_claim(same)["estimate"].value == 0.0
    with pytest.raises(ValueError, match="settings"):
        BM.segmentation_robustness(tiny_cnn(), x, lime_samples=10, settings={"one": {}})
    with pytest.raises(ValueError, match="lime_samples"):
        BM.segmentation_robustness(tiny_cnn(), x, lime_samples=0)


# --------------------------------------------------------------------------- page 04b (D's blur, E.1)
def _blur_run(n: int = 4):
    from axlib.papers.axai import ablation as AB

    x = torch.rand(n, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    return AB.blur_experiment(tiny_cnn(), x, torch.arange(n) % 6, "cifar10", seed=0)


def test_blur_attacked_segments_and_claim():
    d = _blur_run()
    r = AP.blur_attacked_segments(tiny_cnn(), d)
    for key in ("predicted", "blurred", "control", "adv"):
        assert r[key].shape == (4,)
    for key in ("flipped", "control_flipped", "to_adv"):
        assert r[key].shape == (4,) and r[key].dtype == bool
    assert (r["flipped"] == (r["blurred"] != r["predicted"]).numpy()).all()
    assert not (r["to_adv"] & ~r["flipped"]).any() and r["sigma"] == d["result"]["sigma"] and r["top"] == 3
    assert ((0 < r["blurred_fraction"]) & (r["blurred_fraction"] <= 1)).all()
    assert AP.plot_fig16c(d, r, [f"c{i}" for i in range(6)], show=2) is not None
    claim = AP.blur_flip_claim(r)
    e = claim["estimate"]
    assert claim["claim"] == "axai.appD.blur_top_segments_flips" and set(e) == set(C.APP_D_BLUR_RULE.parts)
    flips = e["label flips"]
    assert flips.n == 4 and flips.value == pytest.approx(r["flipped"].mean()) and flips.low <= flips.value <= flips.high
    assert e["to the attack's class"].n == int(r["flipped"].sum())
    assert e["top 3 - random 3"].value == pytest.approx((r["flipped"].astype(float) - r["control_flipped"]).mean())
    assert _judge(claim["claim"], e) == "inconclusive"         # 4 < 20 images
    # planted outcomes: every image flips to the attack's class, no control flips
    planted = dict(r, flipped=np.ones(30, bool), to_adv=np.ones(30, bool), control_flipped=np.zeros(30, bool),
                   blurred_fraction=np.full(30, 0.1), control_fraction=np.full(30, 0.1))
    assert _judge(claim["claim"], AP.blur_flip_claim(planted)["estimate"]) == "reproduced"
    none = dict(planted, flipped=np.zeros(30, bool), to_adv=np.zeros(30, bool))
    assert AP.blur_flip_claim(none)["estimate"]["to the attack's class"].n == 0
    with pytest.raises(ValueError, match="top"):
        AP.blur_flip_claim(dict(r, top=5))
    with pytest.raises(ValueError, match="top"):
        AP.blur_attacked_segments(tiny_cnn(), d, top=0)
    with pytest.raises(ValueError, match="sigma"):
        AP.blur_attacked_segments(tiny_cnn(), d, sigma=0.0)
    with pytest.raises(ValueError, match="lacks"):
        AP.blur_attacked_segments(tiny_cnn(), {"x": d["x"]})


def test_examples_figure_and_claim():
    d = _blur_run()
    assert d["target"].shape == (4,)
    share = AP.explained_share(d)
    assert share.shape == (4,) and ((0 < share) & (share <= 1)).all()
    claim = AP.examples_claim(d)
    e = claim["estimate"]
    assert claim["claim"] == "axai.appE1.examples" and e.n == 4 and e.low <= e.value <= e.high
    assert e.value == pytest.approx(share.mean())
    assert _judge(claim["claim"], e) == "not comparable"
    assert AP.plot_fig18(d, [f"c{i}" for i in range(6)], show=2) is not None
    with pytest.raises(ValueError, match="show"):
        AP.plot_fig18(d, [f"c{i}" for i in range(6)], show=0)


def test_table5_plot_shows_ours_and_the_papers_seconds_on_a_log_scale():
    fig = BM.plot_table5(synthetic_t5(lime=20.0, shap=6.0, axai=1.0))
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    assert [round(p.get_width(), 6) for p in ax.patches] == [1.0, 20.0, 6.0]        # our medians
    paper = ax.collections[-1].get_offsets()[:, 0].tolist()
    from axlib.papers.axai.bench import PAPER_TABLE5
    assert paper == [PAPER_TABLE5["cpu"][m] for m in ("axai", "lime", "shap")]


def test_time_shares_count_the_overlap_once():
    """Attack 0.6 s and segmentation 0.3 s, all of it beside the attack, rest 0.1 s: 0.7 s of wall time."""
    t5 = synthetic_t5()
    t5["results"]["axai"]["parts"] = {"attack": 0.6, "segmentation": 0.3, "overlap": 0.3, "rest": 0.1}
    shares = BM.time_shares(t5)
    assert shares.loc[1, "attack share"] == pytest.approx(0.6 / 0.7)
    assert shares.loc[1, "overlap share"] == pytest.approx(0.3 / 0.7)


def test_run_table5_times_each_thread_budget():
    x = torch.rand(3, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    t5 = BM.run_table5(tiny_cnn(), x, n_images=2, batch=2, lime_samples=10, shap_samples=2, threads=(1, 2, 1))
    frame = BM.budget_frame(t5)
    assert list(frame.index) == [1, 2] and t5["threads"] == 1 and "axai" in t5["maps"]
    for column in ("axai s/image", "lime s/image", "shap s/image", "lime/axai ratio", "shap/axai ratio",
                   "axai img/s @ 1", "axai img/s @ 2", "axai overlap s", "load before", "load after"):
        assert frame[column].notna().all(), column
    assert frame.loc[1, "lime/axai ratio"] == pytest.approx(t5["ratios"]["lime/axai"])
