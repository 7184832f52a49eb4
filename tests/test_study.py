"""The robust-model study: canvas architectures, the grid's settings and shards, the analyses."""
import json

import numpy as np
import pandas as pd
import pytest
import torch

from axlib.companion import scaleout
from axlib.companion.sizes import PAGE_SIZES
from axlib.data.boxes import training_canvases
from axlib.explain.methods import has_gap_classifier
from axlib.models.adversarial import batch_step_from_recipe
from axlib.models.canvas_nets import AlexNet64, GoogLeNet64, ResNet64
from axlib.models.registry import MODELS, canvas_model_name, checkpoint_path
from axlib.papers.robust import analysis as sa
from axlib.papers.robust import findings, paper, study

SIZES = PAGE_SIZES["05_robust_study"]   # {profile: sizes}: method_settings and tuning_grid per profile


# --------------------------------------------------------------------------- architectures
@pytest.mark.parametrize("build, gap", [(AlexNet64, False), (ResNet64, True), (GoogLeNet64, True)])
def test_canvas_nets_shapes_and_cam_applicability(build, gap):
    torch.manual_seed(0)
    net = build().eval()
    x = torch.rand(2, 3, 64, 64)
    assert net(x).shape == (2, 10)
    ok, *_ = has_gap_classifier(net, x)
    assert ok is gap  # CAM needs GAP right before the classifier: not AlexNet, as in the paper
    assert study.applicable_methods(canvas_model_name(
        {AlexNet64: "alexnet", ResNet64: "resnet", GoogLeNet64: "googlenet"}[build], "robust")).count("cam") == int(gap)


def test_every_relu_module_is_used_once():
    # Captum's DeepLift and forward hooks need one module per use
    for build in (AlexNet64, ResNet64, GoogLeNet64):
        net = build().eval()
        calls = {}
        hooks = [m.register_forward_hook(lambda m, i, o: calls.__setitem__(id(m), calls.get(id(m), 0) + 1))
                 for m in net.modules() if isinstance(m, torch.nn.ReLU)]
        net(torch.rand(1, 3, 64, 64))
        for h in hooks:
            h.remove()
        assert calls and max(calls.values()) == 1


def test_training_canvases_are_seeded_in_range_and_keep_the_object():
    x = torch.rand(4, 3, 32, 32)
    a = training_canvases(x, torch.Generator().manual_seed(1))
    b = training_canvases(x, torch.Generator().manual_seed(1))
    assert a.shape == (4, 3, 64, 64) and torch.equal(a, b)
    assert float(a.min()) >= 0 and float(a.max()) <= 1
    for i in range(4):  # each object appears, flipped or not, somewhere on its canvas
        found = any(torch.equal(a[i, :, r:r + 32, c:c + 32], obj)
                    for obj in (x[i], x[i].flip(-1)) for r in range(33) for c in range(33))
        assert found
    with pytest.raises(ValueError):
        training_canvases(torch.rand(2, 3, 32, 30), torch.Generator())


def test_recipes_of_the_nine_models():
    for arch in study.ARCHITECTURES:
        for algo in study.ALGORITHMS:
            spec = MODELS[canvas_model_name(arch, algo)]
            assert spec.dataset == "cifar10-canvas64"
            adv = spec.recipe.get("adversarial")
            assert (adv is None) == (algo == "vanilla")
            if adv:
                assert spec.recipe["init"] == canvas_model_name(arch, "vanilla")
                assert callable(batch_step_from_recipe(spec.recipe))
    assert MODELS["canvas64-resnet-advprop"].recipe["adversarial"]["method"] == "advprop"
    with pytest.raises(ValueError, match="architecture"):
        canvas_model_name("vgg", "vanilla")
    with pytest.raises(ValueError, match="algorithm"):
        canvas_model_name("resnet", "trades")
    with pytest.raises(ValueError, match="unknown key"):
        batch_step_from_recipe({"adversarial": {"method": "advprop", "eps": 0.5, "alpha": 1.0}})


# --------------------------------------------------------------------------- settings and shards
def test_method_settings_and_tuning_grid_per_profile():
    """The page's sizes: the paper profile runs A1.1's defaults and searches A1.1's grid; the
    smaller profiles reduce samples and iterations and search subsets of it."""
    assert SIZES["paper"]["method_settings"] == study.PAPER_SETTINGS
    assert SIZES["paper"]["method_settings"] is not study.PAPER_SETTINGS
    space = paper.value(paper.SEARCH_SPACE)
    assert SIZES["paper"]["tuning_grid"] == {m: [{k: v} for v in vs] for m, kws in space.items() for k, vs in kws.items()}
    for name in ("smoke", "default"):
        settings, grid = SIZES[name]["method_settings"], SIZES[name]["tuning_grid"]
        assert list(settings) == list(study.PAPER_SETTINGS)
        assert settings["rise"]["n_masks"] < study.PAPER_SETTINGS["rise"]["n_masks"]
        assert set(grid) == set(space) and all(set(c) <= set(settings[m]) for m, cs in grid.items() for c in cs)


def test_tuning_shards_take_settings_and_grid():
    _shipped("canvas64-resnet")
    settings = SIZES["smoke"]["method_settings"]
    grid = {"rise": [{"mask_size": 3}, {"mask_size": 7}]}
    shards = study.tuning_shards(["canvas64-resnet"], [1000, 1001, 1002], settings, grid, shard_size=2)
    assert [s.name for s in shards][:2] == ['tune__canvas64-resnet__rise__{"mask_size": 3}__1000',
                                            'tune__canvas64-resnet__rise__{"mask_size": 3}__1002']
    assert shards[0].params["settings"] == dict(settings["rise"], mask_size=3) and len(shards) == 4
    assert settings["rise"]["mask_size"] == 7      # the profile's settings are not modified
    with pytest.raises(ValueError, match="grid tunes methods"):
        study.tuning_shards(["canvas64-resnet"], [1000], {"gradient": {}}, grid)


def test_best_settings_picks_the_planted_configuration():
    rows = []
    for model in ("canvas64-resnet", "canvas64-resnet-robust"):
        for size in (3, 5, 7):
            good = (size == 3) if model.endswith("robust") else (size == 7)
            for image in range(4):
                rows.append({"model": model, "method": "rise", "config": json.dumps({"mask_size": size}),
                             "pointing_game": float(good), "wsl": 0.5, "insertion": 0.4, "deletion": 0.1})
    default = SIZES["default"]["method_settings"]
    settings, chosen = study.best_settings(pd.DataFrame(rows), default)
    assert settings["canvas64-resnet"]["rise"]["mask_size"] == 7
    assert settings["canvas64-resnet-robust"]["rise"]["mask_size"] == 3
    assert settings["canvas64-resnet"]["rise"]["n_masks"] == default["rise"]["n_masks"]
    assert default["rise"]["mask_size"] == 7       # the profile's settings are not modified
    assert settings["canvas64-resnet"]["gradient"] == {}
    assert chosen.loc[("canvas64-resnet", "rise"), "score"] == pytest.approx(1 + 0.5 + 0.4 - 0.1)


def _shipped(*names):
    missing = [n for n in names if not checkpoint_path(n).exists()]
    if missing:
        pytest.skip(f"study models not trained yet: {missing}")


def test_study_shard_rows_are_scored_and_deterministic():
    _shipped("canvas64-resnet")
    settings = SIZES["smoke"]["method_settings"]
    a = study.study_shard("canvas64-resnet", "rise", [0, 3], settings["rise"])
    b = study.study_shard("canvas64-resnet", "rise", [0, 3], settings["rise"])
    assert list(a["index"]) == [0, 3] and set(a["method"]) == {"rise"}
    pd.testing.assert_frame_equal(a.drop(columns="ms_per_image"), b.drop(columns="ms_per_image"))
    for col in ("pointing_game", "wsl_fixed", "wsl_fixed_iou", "insertion", "deletion", "confidence"):
        assert a[col].between(0, 1).all()
    ious = np.stack(a["wsl_ious"].to_numpy())
    assert ious.shape == (2, 255) and ((ious >= 0) & (ious <= 1)).all()
    with pytest.raises(ValueError, match="checkpoint"):
        study.study_shard("canvas64-resnet", "gradient", [0], {}, weights="0" * 64)
    with pytest.raises(ValueError, match="threads"):
        study.study_shard("canvas64-resnet", "gradient", [0], {}, threads=0)
    # "auto" on a worker without a GPU is its CPU: the very same rows
    auto = study.study_shard("canvas64-resnet", "rise", [0, 3], settings["rise"], device="auto")
    assert torch.cuda.is_available() or a.drop(columns="ms_per_image").equals(auto.drop(columns="ms_per_image"))


def test_wsl_is_max_box_accuracy_with_one_threshold_per_model_and_method():
    def ious(levels, value=0.8):
        row = np.zeros(255)
        row[levels] = value
        return row
    table = pd.DataFrame({
        "model": ["a", "a", "a", "b", "b"], "method": ["gradient"] * 5, "config": [""] * 5,
        "wsl_ious": [ious(slice(10, 20)), ious(slice(15, 30)), ious(slice(200, 210)),
                     ious(slice(200, 210)), ious(slice(0, 5), 0.4)]})
    out = study.with_max_box_accuracy(table)
    assert "wsl_ious" not in out and list(out.index) == list(table.index)
    # model a: levels 15-19 make two of three correct, level 200-209 only one
    assert out["wsl"].tolist()[:3] == [1.0, 1.0, 0.0] and out["wsl_iou"].tolist()[:3] == [0.8, 0.8, 0.0]
    assert out["wsl_threshold"].iloc[0] == pytest.approx(0.059)   # smallest tau with int(255 tau) = 15
    # model b chooses its own threshold (level 200); IoU 0.4 is never correct
    assert out["wsl"].tolist()[3:] == [1.0, 0.0] and out["wsl_threshold"].iloc[3] == pytest.approx(0.785)


def test_study_shards_cover_the_grid_and_carry_the_weights():
    _shipped("canvas64-alexnet", "canvas64-resnet")
    shards = study.study_shards(["canvas64-alexnet", "canvas64-resnet"], list(range(5)),
                                SIZES["smoke"]["method_settings"], shard_size=2)
    per_model = {m: {s.params["method"] for s in shards if s.params["model"] == m}
                 for m in ("canvas64-alexnet", "canvas64-resnet")}
    assert "cam" not in per_model["canvas64-alexnet"] and "cam" in per_model["canvas64-resnet"]
    assert len(shards) == (8 + 9) * 3  # 5 images in chunks of 2
    assert all(s.params["weights"] == study.weights_sha256(s.params["model"]) for s in shards)
    json.dumps([s.params for s in shards])  # JSON-serialisable params: the scale-out runner's contract
    with pytest.raises(ValueError, match="shard_size"):
        study.study_shards(["canvas64-resnet"], [0], {}, shard_size=0)
    # a device other than the CPU enters the shards (and their keys); the CPU leaves them as they were
    on_gpus = study.study_shards(["canvas64-resnet"], [0], SIZES["smoke"]["method_settings"], device="auto")
    assert {s.params["device"] for s in on_gpus} == {"auto"}
    assert all("device" not in s.params for s in shards)
    with pytest.raises(ValueError, match=r"device must be 'cpu', 'auto', 'cuda' or 'cuda:N', got 'gpu0'"):
        study.tuning_shards(["canvas64-resnet"], [0], SIZES["smoke"]["method_settings"], {}, device="gpu0")


# --------------------------------------------------------------------------- analyses on planted tables
def _table(rng, shift=0.0):
    rows = []
    for model, (arch, algo) in study.STUDY_MODELS.items():
        for method in study.applicable_methods(model):
            for image in range(30):
                boost = shift if (algo == "robust" and method in ("gradient", "ig", "shap")) else 0.0
                conf = {"vanilla": 0.9, "advprop": 0.85, "robust": 0.5}[algo] + rng.normal(0, 0.02)
                rows.append({"model": model, "method": method, "image": f"i{image}", "confidence": conf,
                             "pointing_game": float(rng.random() < 0.5 + boost),
                             "wsl": float(rng.random() < 0.3 + boost), "wsl_iou": rng.random(),
                             "insertion": conf * 0.6 + rng.normal(0, 0.01), "deletion": conf * 0.1 + rng.normal(0, 0.01),
                             "ms_per_image": {"gradient": 5, "gradcam": 4}.get(method, 500) + rng.random()})
    return pd.DataFrame(rows)


def test_compare_algorithms_finds_a_planted_difference_and_only_it():
    table = _table(np.random.default_rng(0), shift=0.45)
    res = sa.compare_algorithms(table)
    grad_pg = res[(res.family == "gradient") & (res.metric == "pointing_game")].iloc[0]
    assert grad_pg.winner == "robust" and grad_pg.p < 1e-4 and grad_pg.p_holm >= grad_pg.p
    assert grad_pg.low > 0 and grad_pg.n_images == 30 and grad_pg.level == pytest.approx(1 - 0.05 / len(res))
    cam_pg = res[(res.family == "cam") & (res.metric == "pointing_game")].iloc[0]
    assert cam_pg.winner == "no difference" and cam_pg.low < 0 < cam_pg.high
    # deletion follows confidence: the less confident robust models "win" under Deletion
    assert set(res.loc[res.metric == "deletion", "winner"]) == {"robust"}
    assert set(res.loc[res.metric == "insertion", "winner"]) == {"vanilla"}


def test_bonferroni_intervals_rest_on_enough_resamples():
    """At the family's Bonferroni level the interval's ends lie far out: enough resamples that 25
    lie beyond each end (2,000 would leave about 2.5 at 12 rows and 48 images)."""
    from axlib.intervals import bootstrap_tail

    level = 1 - 0.05 / 12
    n_boot = sa._resamples(48, level)
    assert n_boot * bootstrap_tail(48, level) >= 25 > 2000 * bootstrap_tail(48, level)
    assert sa._resamples(48, 0.95) == 2000 and sa._resamples(2, level) == 2000   # n = 2: the whole range


def test_advprop_ranking_runtime_and_correlations():
    table = _table(np.random.default_rng(1), shift=0.45)
    pos = sa.advprop_position(table)
    assert pos.loc[pos.metric == "deletion", "between"].all()  # confidence 0.5 < 0.85 < 0.9
    ranking = sa.method_ranking(table)
    assert "cam" not in ranking.index
    assert set(ranking.sort_values("wsl_rank").index[:3]) == {"gradient", "ig", "shap"}  # the planted boost
    assert (ranking["deletion_rank"] >= 1).all() and ranking["average_rank"].is_monotonic_increasing
    runtime = sa.runtime_table(table)
    assert runtime["ms_per_image"].idxmin() == "gradcam" and runtime.loc["ep", "paper_ms_per_image"] == 32063
    corr = sa.confidence_correlation(table, "deletion")
    assert corr["network"] == pytest.approx(1.0) and corr["network_n"] == 6 and corr["image"] > 0.7
    rho = sa.metric_correlations(table)
    assert rho.shape == (4, 4) and rho.loc["insertion", "deletion"] > 0.5 and abs(rho.loc["pointing_game", "wsl"]) < 0.3
    with pytest.raises(ValueError, match="outside the study"):
        sa.compare_algorithms(table.assign(model="other"))


def test_study_grid_resumes_after_an_interruption(tmp_path):
    _shipped("canvas64-resnet")
    shards = study.study_shards(["canvas64-resnet"], [0, 1, 2, 3], {}, methods=["gradient", "gradcam"], shard_size=2)
    full = study.run_study(shards, tmp_path / "a", scheduler="serial", progress=False)
    assert len(list((tmp_path / "a").glob("*.parquet"))) == 4 and len(full) == 8
    assert full["wsl"].isin([0.0, 1.0]).all() and full.groupby("method")["wsl_threshold"].nunique().eq(1).all()
    scaleout.shard_path(tmp_path / "a", study.study_shard, shards[1]).unlink()  # as if the run had stopped there
    done = []
    again = study.run_study(shards, tmp_path / "a", scheduler="serial", progress=False,
                            on_shard_done=lambda shard, n: done.append(shard.name))
    assert done == [shards[1].name]  # only the missing shard is computed again
    pd.testing.assert_frame_equal(again.drop(columns="ms_per_image"), full.drop(columns="ms_per_image"))


# --------------------------------------------------------------------------- the page's tables and findings
def _cards(conf=None, acc=None):
    conf = conf or {"vanilla": 0.9, "robust": 0.6, "advprop": 0.88}
    acc = acc or {"vanilla": 0.80, "robust": 0.70, "advprop": 0.81}
    return {m: {"parameters": 1000, "test_accuracy": acc[g], "robustness": {"adversarial_accuracy": 0.3},
                "confidence_correct": {"mean": conf[g], "std": 0.1, "n": 800}, "train_wall_seconds": 600,
                "test_set": "CIFAR-10 test split, 10000 images (jpeg-zip source)",
                "recipe": {"epochs": 2, **({"adversarial": {"method": g}} if g != "vanilla" else {})}}
            for m, (_, g) in study.STUDY_MODELS.items()}


def test_model_table_and_table1_findings():
    cards = _cards()
    macs = {m: 2e6 for m in study.STUDY_MODELS}
    t1 = sa.model_table(cards, macs)
    assert list(t1.index) == [study.model_label(m) for m in study.STUDY_MODELS]
    assert t1.loc["ResNet-R", "test accuracy (%)"] == pytest.approx(70) and t1.loc["ResNet", "MMACs"] == 2
    assert t1.loc["ResNet", "training"] == "vanilla" and t1.loc["ResNet", "train minutes"] == 10
    with pytest.raises(ValueError, match="missing"):
        sa.model_table(cards, {})
    with pytest.raises(ValueError, match="cards must name a model"):
        sa.model_table({}, macs)
    ratio = findings.confidence_ratio(cards)
    assert ratio.statistic.value == pytest.approx(1.5) and ratio.ours == 1.5 and "2, 2, 2 epochs" in ratio.note
    assert ratio.statistic.low < 1.5 < ratio.statistic.high and ratio.statistic.n == 800
    gap = findings.advprop_accuracy(cards)
    assert gap.statistic.value == pytest.approx(1.0) and "+0.9 and +1.2 points" in gap.note and gap.unit
    assert gap.statistic.n == 10000 and gap.statistic.high - gap.statistic.low == pytest.approx(
        2 * 1.96 * 100 * np.sqrt(0.81 * 0.19 + 0.8 * 0.2) / 100 / np.sqrt(3), rel=1e-3)   # 3 architectures, se / 3


def rule_of(claim: str):
    from axlib.companion.claims import CATALOGUE

    return next(c.rule for c in CATALOGUE if c.id == claim)


def test_table1_findings_pair_models_by_architecture_whatever_the_profile_has():
    """The paper profile's ImageNet CNNs: pretrained (no recipe), no AdvProp model, AlexNet and
    GoogLeNet without their robust model; pairs are formed per architecture, and a finding with
    no pair has n = 0, which its rule's minimum n makes inconclusive."""
    models = ["imagenet-alexnet", "imagenet-resnet50", "imagenet-resnet50-robust", "imagenet-densenet161",
              "imagenet-densenet161-robust"]
    conf = {"imagenet-resnet50": 0.9, "imagenet-resnet50-robust": 0.5, "imagenet-densenet161": 0.8,
            "imagenet-densenet161-robust": 0.4, "imagenet-alexnet": 0.1}
    cards = {m: {"parameters": 1000, "test_accuracy": 0.7, "robustness": {"adversarial_accuracy": 0.3},
                 "confidence_correct": {"mean": conf[m], "std": 0.1, "n": 500}, "train_wall_seconds": None,
                 "test_set": "the first 1000 images of the study set's tuning half", "recipe": None} for m in models}
    t1 = sa.model_table(cards, dict.fromkeys(models, 4e9))
    assert list(t1.index) == ["AlexNet", "ResNet-50", "ResNet-50-R", "DenseNet-161", "DenseNet-161-R"]
    assert t1.loc["ResNet-50-R", "training"] == "pretrained" and t1["epochs"].isna().all()
    assert "upstream top-1 (%)" not in t1                                  # these cards report none
    cards["imagenet-resnet50"]["reported_top1"] = 0.7613                     # torchvision's, as a fraction
    assert sa.model_table(cards, dict.fromkeys(models, 4e9)).loc["ResNet-50", "upstream top-1 (%)"] == pytest.approx(76.13)
    ratio = findings.confidence_ratio(cards)                    # (0.9 / 0.5 + 0.8 / 0.4) / 2; AlexNet unpaired
    assert ratio.statistic.value == pytest.approx(1.9) and "2 architectures (resnet50, densenet161)" in ratio.note
    assert "Salman et al." in ratio.note
    gap = findings.advprop_accuracy(cards)
    assert gap.statistic.n == 0 and "no AdvProp model" in gap.note
    assert rule_of("robust.table1.advprop_accuracy").judge(gap.statistic).verdict == "inconclusive"
    pairs = sa.tuned_pairs({m: {"mp": {"iterations": 5}, "rise": {"mask_size": 7}} for m in models}, models)
    assert list(pairs.index) == ["densenet161", "resnet50"]
    table = pd.DataFrame([dict(model=m, method=method, image=f"i{i}", pointing_game=1.0, wsl=1.0, insertion=0.5,
                               deletion=0.1) for m in models for method in ("gradient", "rise") for i in range(3)])
    assert sa.advprop_position(table).empty                               # no architecture has all three
    between = findings.advprop_between(table)
    assert between.statistic.n == 0 and rule_of("robust.advprop_between").judge(between.statistic).verdict == "inconclusive"
    assert set(sa.architecture_ranking(table).index) == {"resnet50", "densenet161"}   # AlexNet has no robust model


def test_tuned_pairs_and_their_finding():
    tuned = {m: {"mp": {"iterations": 10 if g == "robust" else 500}, "rise": {"mask_size": 7}}
             for m, (_, g) in study.STUDY_MODELS.items()}
    resnets = [m for m in study.STUDY_MODELS if study.STUDY_MODELS[m][0] == "resnet"]
    pairs = sa.tuned_pairs(tuned, resnets)
    assert list(pairs.index) == ["resnet"] and pairs.iloc[0, 0] == (500, 10) and pairs.iloc[0, 1] == (7, 7)
    f = findings.robust_prefers_smaller(tuned, resnets, 4, SIZES["smoke"]["tuning_grid"])
    assert (f.statistic.value, f.statistic.n) == (0.5, 2) and f.ours.startswith("1 of 2 strictly smaller, 2 of 2")


def test_page_tables_and_findings_on_a_planted_table():
    table = _table(np.random.default_rng(2), shift=0.45)
    counts = sa.cell_counts(table)
    assert counts.loc["AlexNet", "cam"] == 0 and counts.loc["ResNet", "cam"] == 30
    assert sa.per_model_scores(table).shape == (9, 4 * 9)
    ceiling = sa.at_ceiling(table.assign(pointing_game=1.0))
    assert ceiling == {"at_ceiling": 9, "methods": 9, "mean": 1.0}
    assert "9 of 9 methods (mean over all maps 1.000): a 32x32 object" in sa.ceiling_text(ceiling)
    assert "so for those methods Pointing Game" in sa.ceiling_text(dict(ceiling, at_ceiling=4))
    assert sa.ceiling_text(dict(ceiling, at_ceiling=0)).endswith("for 0 of 9 methods (mean over all maps 1.000).")
    ranking = sa.method_ranking(table)
    side = sa.ranking_beside_paper(ranking)
    assert side.loc["ep", "paper average rank"] == sa.PAPER_TABLE_A2.loc["ep", "average_rank"]
    both = sa.correlations_beside_paper(sa.metric_correlations(table))
    assert both.shape == (4, 8) and both[("paper (ImageNet-CL)", "wsl")]["pointing_game"] == sa.PAPER_METRIC_CORRELATIONS.loc["wsl", "pointing_game"]
    fig2 = sa.compare_algorithms(table)
    grad = findings.gradient_localisation(fig2, 30).statistic
    assert set(grad) == {"pointing_game", "wsl"} and all(e.low > 0 for e in grad.values())     # the planted boost
    assert len(findings.cam_perturbation_no_difference(fig2).statistic) == 4
    deletion = findings.score_based(fig2, "deletion").statistic
    assert all(e.value > 0 for e in deletion.values())      # vanilla - robust: the less confident robust models win
    with pytest.raises(ValueError, match="metric"):
        findings.score_based(fig2, "wsl")
    between = findings.advprop_between(table).statistic
    assert 0 <= between.low <= between.value <= between.high <= 1 and between.n == 30
    best = findings.best_methods(table).statistic
    assert set(best) == {"gradcam worst rank", "rise worst rank", "mp position"}
    assert best["mp position"].value == sa.method_ranks(table).loc["mp", "position"] and best["mp position"].n == 30
    run = findings.runtime(table, "smoke")
    assert "fastest gradcam" in run.note and "smoke profile" in run.note
    assert run.statistic.value == pytest.approx(sa.runtime_order_rho(table)) and run.statistic.n_of == "images"
    corr = sa.confidence_correlation(table, "deletion")
    network = findings.deletion_confidence(table, "network")
    assert network.ours == round(corr["network"], 2) and (network.statistic.n, network.statistic.n_of) == (6, "models")
    with pytest.raises(ValueError, match="level"):
        findings.deletion_confidence(table, "pixel")
    rho = findings.metric_correlation(table, "insertion", "deletion").statistic
    assert rho.value > 0.5 and rho.low <= rho.value <= rho.high and rho.n == 30


def test_no_best_cnn_finding():
    table = _table(np.random.default_rng(3), shift=0.45)
    cards = _cards(acc={"vanilla": 0.80, "robust": 0.90, "advprop": 0.81})   # the robust models most accurate
    f = findings.no_best_cnn(table, cards, dict.fromkeys(study.STUDY_MODELS, 1e6))
    assert f.ours.startswith("most accurate: ") and 0 <= f.statistic.low <= f.statistic.value <= f.statistic.high <= 2


def test_localisation_by_family_shows_both_wsl_rules_and_the_pointing_game():
    def scores(model, method):
        algo = study.STUDY_MODELS[model][1]
        family = {"gradient": "gradient", "ig": "gradient", "shap": "gradient", "gradcam": "cam", "cam": "cam"}.get(method)
        return {"pointing_game": 1.0 if family == "gradient" else 0.5, "wsl": 0.8 if algo == "robust" else 0.4,
                "wsl_fixed": 0.25, "insertion": 0.5, "deletion": 0.1}
    out = sa.localisation_by_family(_constant_table(scores, n_images=4))
    assert list(out.index)[:3] == [("gradient", "vanilla"), ("gradient", "advprop"), ("gradient", "robust")]
    assert out.loc[("gradient", "vanilla"), "pointing_game"] == 100 and out.loc[("cam", "robust"), "pointing_game"] == 50
    assert out.loc[("perturbation", "robust"), "wsl"] == pytest.approx(80) and out["wsl_fixed"].eq(25).all()
    # gradient family: 3 methods x 3 architectures x 4 images; CAM family: CAM skips the AlexNet
    assert out.loc[("gradient", "vanilla"), "maps"] == 36 and out.loc[("cam", "vanilla"), "maps"] == 20


def test_plot_maps_scales_each_map():
    fig = sa.plot_maps(torch.stack([torch.zeros(8, 8), torch.arange(64.0).reshape(8, 8)]), ["a", "b"])
    assert len(fig.axes) >= 2


def test_example_maps_cover_every_method_of_each_model():
    _shipped("canvas64-resnet")
    data = study.benchmark(0).subset([0, 1])
    settings = {"canvas64-resnet": SIZES["smoke"]["method_settings"]}
    maps, titles = study.example_maps(data, settings, ["canvas64-resnet"])
    assert maps.shape == (9, 64, 64) and titles[0] == "ResNet\ngradient"


# --------------------------------------------------------------------------- issue 15: Fig. A1, section 3.3, Table A4, Fig. A2
def _constant_table(scores, n_images=20):
    """A study table in which every map of (model, method) scores ``scores(model, method)``: a dict of
    the four metrics (and optionally ms_per_image) -- known values for the estimate builders."""
    rows = []
    for model in study.STUDY_MODELS:
        for method in study.applicable_methods(model):
            for image in range(n_images):
                rows.append({"model": model, "method": method, "image": f"i{image}", "confidence": 0.8,
                             "wsl_iou": 0.5, "ms_per_image": 1.0, **scores(model, method)})
    return pd.DataFrame(rows)


_ARCH_QUALITY = {"resnet": 3, "googlenet": 2, "alexnet": 1}


def _by_architecture(model, method, quality=_ARCH_QUALITY):
    arch, algo = study.STUDY_MODELS[model]
    q = 9 if algo == "advprop" else quality[arch]     # AdvProp models planted best: they must not count
    return {"pointing_game": q / 10, "wsl": q / 10, "insertion": q / 10, "deletion": 1 - q / 10}


def test_architecture_ranking_finds_the_planted_order():
    table = _constant_table(_by_architecture)
    ranking = sa.architecture_ranking(table)
    assert list(ranking.index) == ["resnet", "googlenet", "alexnet"]
    assert list(ranking["position"]) == [1, 2, 3] and list(ranking["paper position"]) == [1, 2, 3]
    assert ranking.loc["resnet", "wsl"] == pytest.approx(30) and ranking.loc["alexnet", "deletion_rank"] == 3
    f = findings.architecture_ranking(table, n_boot=100)
    assert (f.statistic.value, f.statistic.low, f.statistic.high, f.statistic.n) == (1, 1, 1, 20)
    assert f.ours == 1 and f.note.startswith("by average rank over the 4 metrics: ResNet (1.00), GoogLeNet (2.00)")
    tied = _constant_table(lambda m, x: _by_architecture(m, x, {"resnet": 3, "googlenet": 3, "alexnet": 1}))
    assert findings.architecture_ranking(tied, n_boot=100).statistic.value == 1.5          # tied first: the mean position
    worst = _constant_table(lambda m, x: _by_architecture(m, x, {"resnet": 1, "googlenet": 2, "alexnet": 3}))
    assert findings.architecture_ranking(worst, n_boot=100).statistic.value == 3


_RIVAL_WSL = {"gradient": 0.6, "lime": 0.5, "ig": 0.2, "shap": 0.1, "mp": 0.0}
_RIVAL_MS = {"gradient": 5.0, "lime": 400.0, "ig": 40.0, "shap": 100.0, "mp": 800.0}


def _rivals(model, method):
    advprop = study.STUDY_MODELS[model][1] == "advprop"   # planted against the claim: must not count
    return {"pointing_game": 1.0, "wsl": 0.0 if advprop and method == "gradient" else _RIVAL_WSL.get(method, 0.9),
            "insertion": 0.5, "deletion": 0.1,
            "ms_per_image": 1e4 if advprop and method == "gradient" else _RIVAL_MS.get(method, 7.0)}


def test_gradient_vs_rivals_reads_the_planted_lead_and_speedup():
    table = _constant_table(_rivals)
    side = sa.gradient_vs_rivals(table)
    assert list(side.index) == ["gradient", "lime", "ig", "shap", "mp"]
    assert side.loc["gradient", "wsl"] == pytest.approx(60) and side.loc["mp", "ms_per_image"] == 800
    assert side.loc["ig", "paper_ms_per_image"] == paper.TABLE_2_MS["ig"] and side.loc["lime", "paper_wsl"] == 45.47
    assert sa.gradient_wsl_lead(side) == pytest.approx(10) and sa.gradient_speedup(side) == pytest.approx(8)
    f = findings.gradient_vs_perturbation(table, "smoke", n_boot=100)
    assert set(f.statistic) == {"wsl", "runtime"} and f.statistic["wsl"].n == 20
    assert (f.statistic["wsl"].low, f.statistic["wsl"].high) == pytest.approx((10, 10))
    assert f.statistic["runtime"].value == pytest.approx(8)
    assert f.ours.startswith("WSL +10.0 points over the best of the four (lime); the fastest of them (ig) takes 8.0x")
    assert "smoke profile" in f.note
    with pytest.raises(ValueError, match="mp"):
        sa.gradient_vs_rivals(table[table.method != "mp"])


def _a4_cards_and_macs(sign=1.0):
    """Cards and MACs equal to Table A4's accuracy and MACs for the matched models (times ``sign``)."""
    cards, macs = {}, {}
    for m in study.STUDY_MODELS:
        row = sa.PAPER_TABLE_A4.loc[sa.PAPER_A4_NAMES[m]] if m in sa.PAPER_A4_NAMES else None
        cards[m] = {"test_accuracy": 0.5 if row is None else sign * row["accuracy"] / 100}
        macs[m] = 1e12 if row is None else sign * row["macs"] * 1e9
    return cards, macs


def _a4_scores(sign=1.0):
    def scores(model, method):
        if model not in sa.PAPER_A4_NAMES:
            return {"pointing_game": 0.5, "wsl": 0.5, "insertion": 0.5, "deletion": 0.5}
        row = sa.PAPER_TABLE_A4.loc[sa.PAPER_A4_NAMES[model]]
        return {"pointing_game": sign * row["pointing_game"] / 100, "wsl": sign * row["wsl"] / 100,
                "insertion": sign * row["insertion"], "deletion": sign * row["deletion"]}
    return scores


def test_cnn_ranking_beside_table_a4_on_a_planted_copy():
    assert {sa.PAPER_A4_NAMES[m] for m in study.STUDY_MODELS if m in sa.PAPER_A4_NAMES} == {
        "AlexNet", "AlexNet-R", "GoogleNet", "GoogleNet-R", "ResNet", "ResNet-R", "PGD-1"}
    assert {sa.PAPER_A4_NAMES[m] for m in study.IMAGENET_STUDY_MODELS} == set(sa.PAPER_TABLE_A4.index)  # all 12
    assert sa.PAPER_TABLE_A4.shape == (12, 6) and sa.PAPER_TABLE_A4.loc["PGD-1", "accuracy"] == 77.31
    table = _constant_table(_a4_scores())
    cards, macs = _a4_cards_and_macs()
    summary = sa.model_summary(table, cards, macs)
    ranks = sa.cnn_ranking(summary)
    assert ranks.shape == (9, 12) and ranks.loc["AlexNet-R", "deletion_rank"] == 1      # lowest Deletion: 1st
    assert ranks.loc["ResNet-R", "wsl"] == pytest.approx(53.27) and ranks.loc["AlexNet", "macs_rank"] == 1
    beside = sa.cnn_ranking_beside_paper(summary)
    assert beside.shape == (7, 12) and "ResNet-AdvProp" in beside.index
    for col in paper.TABLE_A4_COLUMNS:
        assert (beside[(col, "ours")] == beside[(col, "paper")]).all()
    assert beside.loc["ResNet-R", ("wsl", "paper")] == 1 and beside.loc["AlexNet-R", ("wsl", "paper")] == 7
    assert np.allclose(sa.a4_agreement(summary), 1.0)
    f = findings.cnn_ranking(table, cards, macs, n_boot=100)
    assert (f.statistic.value, f.statistic.low, f.statistic.high) == pytest.approx((1, 1, 1))
    assert (f.statistic.n, f.statistic.n_of, f.ours) == (7, "models", 1.0) and "pointing_game +1.00" in f.note
    reversed_ = findings.cnn_ranking(_constant_table(_a4_scores(-1.0)), *_a4_cards_and_macs(-1.0), n_boot=100)
    assert reversed_.statistic.value == pytest.approx(-1.0)
    ceiling = _constant_table(lambda m, x: dict(_a4_scores()(m, x), pointing_game=1.0))
    tied = findings.cnn_ranking(ceiling, cards, macs, n_boot=100)
    assert tied.statistic.value == pytest.approx(1.0) and "pointing_game tied" in tied.note   # left out of the mean
    with pytest.raises(ValueError, match="ties"):
        findings.cnn_ranking(_constant_table(lambda m, x: dict.fromkeys(study.METRICS, 0.5)), cards, macs, n_boot=100)


def test_fig_a2_finding_and_figure():
    table = _constant_table(_by_architecture)
    cards = {m: {"test_accuracy": 0.9 if m == "canvas64-alexnet" else 0.5} for m in study.STUDY_MODELS}
    summary = sa.model_summary(table, cards, dict.fromkeys(study.STUDY_MODELS, 1e6))
    f = findings.fig_a2(summary)
    assert f.statistic is None
    assert f.ours == ("most accurate: AlexNet; best Pointing Game: AlexNet-AdvProp, GoogLeNet-AdvProp, ResNet-AdvProp; "
                      "best Deletion: AlexNet-AdvProp, GoogLeNet-AdvProp, ResNet-AdvProp")
    fig = sa.plot_accuracy_vs_pg_deletion(summary)
    low, high = fig.axes[1].get_ylim()
    assert len(fig.axes) == 2 and low > high and "inverted" in fig.axes[1].get_ylabel()


def test_image_bootstraps_prepare_once_per_resample_and_match_image_bootstrap():
    rng = np.random.default_rng(0)
    table = _constant_table(lambda model, method: {"pointing_game": 1.0, "wsl": 0.5, "insertion": 0.5,
                                                   "deletion": 0.1}, n_images=12)
    table["insertion"] = rng.random(len(table))                 # images now differ
    calls = []

    def mean_insertion_by_method(t):
        calls.append(len(t))
        return t.groupby("method")["insertion"].mean()

    picks = {"gradient": lambda m: m["gradient"], "rise": lambda m: m["rise"]}
    both = sa.image_bootstraps(table, mean_insertion_by_method, picks, n_boot=200, seed=3)
    assert len(calls) == 201                                    # the estimate and 200 resamples, shared by both picks
    for name, pick in picks.items():
        alone = sa.image_bootstrap(table, lambda t, pick=pick: pick(t.groupby("method")["insertion"].mean()),
                                   n_boot=200, seed=3)
        assert both[name] == pytest.approx(alone) and both[name][3] == 12
        assert both[name][1] < both[name][0] < both[name][2]


def test_model_summary_pareto_front_on_planted_scores():
    models = list(study.STUDY_MODELS)
    pg = {m: 0.1 * i for i, m in enumerate(models)}                         # rises with the index
    table = _constant_table(lambda model, method: {"pointing_game": pg[model], "wsl": 0.5, "insertion": 0.5,
                                                   "deletion": 0.1})
    accuracy = {m: 0.9 - 0.1 * i for i, m in enumerate(models)}             # falls with the index
    accuracy[models[4]] = 0.1                                                # worse than models[5] in both
    cards = {m: {"test_accuracy": accuracy[m]} for m in models}
    summary = sa.model_summary(table, cards, {m: 1.0 for m in models})
    front = summary["pareto_pointing_game"]
    assert not front[models[4]] and front.drop(models[4]).all()              # a trade-off everywhere else
    assert summary["pareto_wsl"].sum() == 1 and summary["pareto_wsl"][models[0]]   # WSL ties: accuracy decides


def test_the_paper_runs_eight_methods_on_alexnet_and_mobilenet():
    assert "cam" not in study.applicable_methods("imagenet-alexnet")
    assert "cam" not in study.applicable_methods("imagenet-mobilenetv2-robust")
    assert len(study.applicable_methods("imagenet-resnet50")) == 9 and len(study.applicable_methods("canvas64-resnet")) == 9


def test_cl_indices_keep_every_image_when_asked():
    """ImageNet-CL (every model right) or the whole half (the paper's "ImageNet" figures)."""
    from axlib.data.boxes import LocalisationSet

    class Says(torch.nn.Module):
        def forward(self, x):
            return torch.nn.functional.one_hot(torch.zeros(len(x), dtype=torch.long), 10).float()

    data = LocalisationSet(torch.rand(6, 3, 8, 8), torch.tensor([0, 1, 0, 1, 0, 0]), torch.zeros(6, 4),
                           tuple("abcdef"))
    assert study.cl_indices([Says()], data, "study", chunk=2) == [0, 2]
    assert study.cl_indices([Says()], data, "tuning", correct_only=False) == [3, 4, 5]
    with pytest.raises(ValueError, match="correct_only must be True or False"):
        study.cl_indices([Says()], data, "study", correct_only="no")
    assert study.subset_text(data, [0, 2], [3, 4, 5], [0], [3], 1, True) == (
        "2 of 3 study-half images and 3 of 3 tuning-half images are classified correctly by all 1 models; "
        "we use 1 and 1.")
