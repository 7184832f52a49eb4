"""The claim rules of AXAI section 3.2, appendix C.1-C.3 (notebook 02) and section 3.3, Table 4
(notebook 03): each passes on a result that agrees with the paper and fails on one that does not."""
from __future__ import annotations

import math

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


def test_flip_alpha_mean():
    nan = math.nan
    assert claims.flip_alpha_mean({"pgd": 14.0, "scaled": 30.0, "restrict": nan}).verdict == "reproduced"
    assert claims.flip_alpha_mean({"pgd": 2.0, "scaled": 12.0, "restrict": 40.0}).verdict == "partly"
    assert claims.flip_alpha_mean({"pgd": 8.0, "scaled": 40.0, "restrict": 40.0}).verdict == "partly"
    assert claims.flip_alpha_mean({"pgd": 1.0, "scaled": 3.0, "restrict": 40.0}).verdict == "not reproduced"
    assert claims.flip_alpha_mean({"pgd": nan, "scaled": 15.0, "restrict": 15.0}).verdict == "not yet run"
    with pytest.raises(ValueError, match="main"):
        claims.flip_alpha_mean({"scaled": 15.0})


def test_table4_tails_vs_middle():
    assert claims.table4_tails_vs_middle({"pgd": {"middle": 0.78, "tails": 0.16}}).verdict == "reproduced"
    partly = {"pgd": {"middle": 0.3, "tails": 0.2}, "scaled": None}
    assert claims.table4_tails_vs_middle(partly).verdict == "partly"
    other_clear = {"pgd": {"middle": 0.2, "tails": 0.3}, "scaled": {"middle": 0.9, "tails": 0.1}}
    assert claims.table4_tails_vs_middle(other_clear).verdict == "partly"
    assert claims.table4_tails_vs_middle({"pgd": {"middle": 0.0, "tails": 0.0}}).verdict == "not reproduced"
    with pytest.raises(ValueError, match="main"):
        claims.table4_tails_vs_middle({"pgd": None})


def test_table4_cells():
    paper = [0.78, 0.16, 0.26, 0.26]
    assert claims.table4_close([(0.7, 0.78), (0.5, 0.16)]) == 1
    assert claims.table4_cells({"pgd": [(p + 0.1, p) for p in paper]}).verdict == "reproduced"
    half = {"pgd": [(1.0, p) for p in paper], "scaled": [(p, p) for p in paper[:2]] + [(1.0, p) for p in paper[2:]]}
    assert claims.table4_cells(half).verdict == "partly"
    assert claims.table4_cells({"pgd": [(1.0, p) for p in paper], "scaled": None}).verdict == "not reproduced"
    with pytest.raises(ValueError, match="main"):
        claims.table4_cells({"scaled": []})
