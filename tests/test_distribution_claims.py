"""The claim rules of AXAI section 3.2, appendix C.1-C.3 (notebook 02) and section 3.3, Table 4
(notebook 03): each passes on a result that agrees with the paper and fails on one that does not."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from axlib import stats
from axlib.papers.axai import claims


def _fit(p: float, q: float) -> pd.DataFrame:
    return pd.DataFrame({"estimate": [p, q]}, index=["p", "q"])


def test_skew_share_rule():
    from axlib.companion.rules import Estimate
    rule = claims.SKEW_SHARE_RULE
    assert rule.judge(Estimate.proportion(1, 500)).verdict == "reproduced"        # 0.2 % [0.005 %, 1.1 %]
    assert rule.judge(Estimate.proportion(30, 500)).verdict == "partly"           # 6 % [4.1 %, 8.5 %]
    assert rule.judge(Estimate.proportion(150, 500)).verdict == "not reproduced"
    assert rule.judge(Estimate.proportion(10, 500)).verdict == "inconclusive"     # 2 % [1.0 %, 3.6 %] straddles 3.3 %
    assert rule.judge(Estimate.proportion(0, 40)).verdict == "inconclusive"       # n < 100
    assert "3.3%" in rule.text

def test_pairwise_and_anova():
    assert claims.pairwise(0.06).verdict == "reproduced"
    assert claims.pairwise(0.30).verdict == "partly"
    assert claims.pairwise(0.90).verdict == "not reproduced"
    assert claims.anova(0.9).verdict == "reproduced"
    assert claims.anova(0.001).verdict == "not reproduced"
    with pytest.raises(ValueError, match="rejected"):
        claims.pairwise(-0.1)
    with pytest.raises(ValueError, match="p must"):
        claims.anova(2.0)


def test_quantiles():
    rng = np.random.default_rng(4)
    sym = rng.laplace(scale=0.01, size=(200, 2000))
    assert claims.quantiles(stats.quantile_cis(sym)).verdict == "reproduced"
    shifted = sym + 0.02 * rng.random((200, 1))
    assert claims.quantiles(stats.quantile_cis(shifted)).verdict == "not reproduced"


def test_beta():
    assert claims.beta(_fit(11.5, 11.6), "cifar10").verdict == "reproduced"
    assert claims.beta(_fit(40.0, 40.5), "cifar10").verdict == "partly"        # symmetric, other magnitude
    assert claims.beta(_fit(5.0, 20.0), "cifar10").verdict == "not reproduced"
    assert claims.beta(_fit(131.0, 131.0), "imagenet").verdict == "reproduced"
    assert claims.beta_rule(_fit(11.5, 11.6), 11.28, 11.4).verdict == "reproduced"
    with pytest.raises(ValueError, match="dataset"):
        claims.beta(_fit(1, 1), "mnist")


def test_heavy_tails():
    assert claims.heavy_tails([3.0] * 10, [0.99] * 10).verdict == "reproduced"
    assert claims.heavy_tails([3.0] * 6 + [-0.1] * 4, [0.99] * 10).verdict == "partly"
    assert claims.heavy_tails([3.0] * 10, [0.9] * 10).verdict == "not reproduced"
    assert claims.heavy_tails([0.0] * 10, [0.99] * 10).verdict == "not reproduced"
    with pytest.raises(ValueError, match="equal length"):
        claims.heavy_tails([1.0], [0.99, 0.99])


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
