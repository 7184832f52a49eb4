"""The claim rules of AXAI section 3.2, appendix C.1-C.3 (notebook 02) and section 3.3, Table 4
(notebook 03): each passes on a result that agrees with the paper and fails on one that does not."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from axlib.papers.axai import claims, estimates


def test_skew_share_rule():
    from axlib.companion.rules import Estimate
    rule = claims.SKEW_SHARE_RULE
    assert rule.judge(Estimate.proportion(1, 500)).verdict == "reproduced"        # 0.2 % [0.005 %, 1.1 %]
    assert rule.judge(Estimate.proportion(30, 500)).verdict == "partly"           # 6 % [4.1 %, 8.5 %]
    assert rule.judge(Estimate.proportion(150, 500)).verdict == "not reproduced"
    assert rule.judge(Estimate.proportion(10, 500)).verdict == "inconclusive"     # 2 % [1.0 %, 3.6 %] straddles 3.3 %
    assert rule.judge(Estimate.proportion(0, 40)).verdict == "inconclusive"       # n < 100
    assert "3.3%" in rule.text

def _verdict(claim_id: str, estimate) -> str:
    return next(c.rule for c in claims.CLAIMS if c.id == claim_id).judge(estimate).verdict


def test_pairwise_share_is_bootstrapped_over_images():
    rng = np.random.default_rng(0)
    null = pd.DataFrame([(i, j, rng.random(), rng.random()) for i in range(40) for j in range(i + 1, 40)],
                        columns=["i", "j", "t_p", "u_p"])
    e = estimates.pairs_rejected(null, "t_p", 40)
    assert e.n == 40 and e.low <= e.value <= e.high and 0.02 < e.value < 0.09
    assert _verdict("axai.ttest.cifar10", e) == "reproduced"                    # p-values uniform: ~5 % reject
    differ = null.assign(t_p=null.t_p / 10)                                      # half of the pairs below 0.05
    assert _verdict("axai.ttest.cifar10", estimates.pairs_rejected(differ, "t_p", 40)) == "inconclusive"
    assert _verdict("axai.ttest.cifar10", estimates.pairs_rejected(null.assign(t_p=0.001), "t_p", 40)) == "not reproduced"
    with pytest.raises(ValueError, match="n_inputs"):
        estimates.pairs_rejected(null, "t_p", 10)


def test_anova_is_the_tests_own_decision():
    assert _verdict("axai.anova.cifar10", estimates.anova_p(0.9, 200)) == "reproduced"
    assert _verdict("axai.anova.cifar10", estimates.anova_p(0.001, 200)) == "not reproduced"
    assert _verdict("axai.anova.cifar10", estimates.anova_p(0.9, 5)) == "inconclusive"      # n < 10


def test_quantile_shape():
    rng = np.random.default_rng(4)
    sym = rng.laplace(scale=0.01, size=(200, 2000))
    shape = estimates.quantile_shape(estimates.per_input_quantiles(sym))
    assert set(shape) == {"q85 / -q15", "q75 / -q25", "mean / IQR", "median / IQR"}
    assert _verdict("axai.quantiles.cifar10", shape) == "reproduced"
    shifted = sym + 0.02 * rng.random((200, 1))
    assert _verdict("axai.quantiles.cifar10", estimates.quantile_shape(estimates.per_input_quantiles(shifted))) \
        == "not reproduced"
    few = estimates.quantile_shape(estimates.per_input_quantiles(sym[:10]))
    assert _verdict("axai.quantiles.cifar10", few) == "inconclusive"                         # n < 30


def test_beta_needs_the_papers_values_not_only_symmetry():
    paper_p, paper_q = 11.34, 11.4
    close = np.column_stack([np.full(50, 11.5), np.full(50, 11.6)])
    assert _verdict("axai.beta.cifar10", estimates.beta_shape(close, paper_p, paper_q)) == "reproduced"
    other = np.column_stack([np.full(50, 40.0), np.full(50, 40.5)])            # symmetric, another magnitude
    assert _verdict("axai.beta.cifar10", estimates.beta_shape(other, paper_p, paper_q)) == "not reproduced"
    one = np.column_stack([np.full(50, 11.5), np.full(50, 20.0)])             # p matches, q does not
    assert _verdict("axai.beta.cifar10", estimates.beta_shape(one, paper_p, paper_q)) == "not reproduced"
    fits = estimates.per_input_beta(np.random.default_rng(0).uniform(-1, 1, size=(3, 500)))
    assert fits.shape == (3, 2) and np.allclose(fits, 1.0, atol=0.25)          # a uniform law is beta(1, 1)


def test_heavy_tails_share():
    flags = np.array([True] * 40)
    assert _verdict("axai.qq_heavy_tails.cifar10", estimates.share(flags)) == "reproduced"
    assert _verdict("axai.qq_heavy_tails.cifar10", estimates.share(np.r_[flags, flags[:20], [False] * 20])) == "partly"
    assert _verdict("axai.qq_heavy_tails.cifar10", estimates.share(~flags)) == "not reproduced"


def test_flip_alpha_rule_reads_the_main_reading_only():
    from axlib.companion.rules import Estimate
    assert _verdict("axai.flip_alpha_mean.cifar10", Estimate(14.0, 12.5, 15.5, 100)) == "reproduced"
    assert _verdict("axai.flip_alpha_mean.cifar10", Estimate(3.0, 2.4, 3.6, 100)) == "not reproduced"   # 5x below
    assert _verdict("axai.flip_alpha_mean.cifar10", Estimate(7.0, 6.0, 8.0, 100)) == "partly"
    assert _verdict("axai.flip_alpha_mean.imagenet", Estimate(14.0, 12.5, 15.5, 6)) == "inconclusive"   # 6 images


def test_table4_rules():
    from axlib.companion.rules import Estimate
    assert _verdict("axai.table4.tails_vs_middle.cifar10", Estimate(0.6, 0.45, 0.7, 100)) == "reproduced"
    assert _verdict("axai.table4.tails_vs_middle.cifar10", Estimate(0.1, 0.05, 0.15, 100)) == "partly"
    assert _verdict("axai.table4.tails_vs_middle.cifar10", Estimate(-0.1, -0.2, -0.05, 100)) == "not reproduced"
    rule = claims.table4_cells_rule("cifar10")
    paper_cells = {name: part.target for name, part in rule.parts.items()}
    assert len(paper_cells) == 8
    near = {name: Estimate(v, max(v - 0.05, 0), min(v + 0.05, 1), 100) for name, v in paper_cells.items()}
    assert rule.judge(near).verdict == "reproduced"
    far = {name: Estimate(abs(v - 0.5), abs(v - 0.5), abs(v - 0.5), 100) for name, v in paper_cells.items()}
    assert rule.judge(far).verdict == "not reproduced"


def test_cifar100_column_is_judged_only_where_the_paper_reports_it_and_inconclusive_without_a_model():
    """Fig. 2, Tables 2 and 3 have a CIFAR-100 (VGG16) column; Table 1, Fig. 3 and App. C.1 do
    not. A profile without a CIFAR-100 model records those three claims with n = 0
    (inconclusive); one with it judges them and leaves the others to the page's tables."""
    from axlib.companion.claims import CATALOGUE
    from axlib.papers.axai import distributions as dist

    rules = {c.id: c.rule for c in CATALOGUE}
    missing = dist.not_run_records({"cifar10": "cifar10-alexnet", "imagenet": "imagenet-mobilenetv2"})
    assert [r["claim"] for r in missing] == ["axai.skew_share.cifar100", "axai.quantiles.cifar100",
                                             "axai.beta.cifar100"]
    for r in missing:
        assert rules[r["claim"]].judge(r["estimate"]).verdict == "inconclusive" and "axlib train cifar100-vgg16" in r["note"]
    assert dist.not_run_records(dict.fromkeys(dist.DATASETS, "m")) == []
    shapes = {ds: pd.DataFrame({"skewness": np.zeros(120), "excess_kurtosis": np.ones(120),
                                "qq_r_middle": np.ones(120)}) for ds in dist.DATASETS}
    assert [r["claim"] for r in dist.skew_records(shapes, dict.fromkeys(dist.DATASETS, "m"))] == [
        "axai.skew_share.cifar10", "axai.skew_share.cifar100", "axai.skew_share.imagenet"]
    assert [r["claim"] for r in dist.qq_records(shapes)] == ["axai.qq_heavy_tails.cifar10",
                                                             "axai.qq_heavy_tails.imagenet"]
    with pytest.raises(ValueError, match="'cifar100' has no embedded images"):
        dist.load_images("cifar100", 4, embedded_only=True)
