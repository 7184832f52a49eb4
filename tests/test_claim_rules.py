"""The verdict layer (axlib.companion.rules, axlib.intervals) and every declared claim rule of the
catalogue: each must give "reproduced" on one input, a failing verdict on another and
"inconclusive" on a straddling interval and on too small an n, and return its own rule text."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from axlib.companion.claims import CATALOGUE, claim, omitted
from axlib.companion.rules import AllOf, AtLeast, AtMost, Estimate, NotComparable, Within
from axlib.intervals import LEVEL, MIN_RESAMPLED_N, bootstrap_ci, holm, proportion_ci

DECLARED = [c for c in CATALOGUE if c.rule is not None and not isinstance(c.rule, NotComparable)]


def _small_n(example):
    if isinstance(example, dict):
        return {name: _small_n(e) for name, e in example.items()}
    return dataclasses.replace(example, n=0)


def test_every_catalogue_claim_declares_a_rule_or_an_omission():
    assert len({c.id for c in CATALOGUE}) == len(CATALOGUE)
    undeclared = [c.id for c in CATALOGUE if c.rule is None and not c.omitted]
    assert not undeclared, f"claims without a declared rule: {undeclared}"
    assert all(c.notebook == "" for c in CATALOGUE if c.omitted)
    assert len(DECLARED) >= 80


@pytest.mark.parametrize("claim_id", [c.id for c in DECLARED])
def test_every_declared_rule_can_pass_fail_and_be_inconclusive(claim_id):
    rule = next(c.rule for c in DECLARED if c.id == claim_id)
    examples = rule.examples()
    verdicts = {kind: rule.judge(example) for kind, example in examples.items()}
    assert verdicts["reproduced"].verdict == "reproduced"
    assert verdicts["failing"].verdict in ("not reproduced", "partly")
    assert verdicts["inconclusive"].verdict == "inconclusive"
    assert rule.judge(_small_n(examples["reproduced"])).verdict == "inconclusive"
    assert all(v.rule == rule.text and rule.why in v.rule for v in verdicts.values())
    assert len({v.verdict for v in verdicts.values()}) == 3          # never the same verdict for every input


def test_threshold_decision_procedure():
    rule = AtLeast("share", 0.8, 0.5, why="a stated convention", min_n=10)
    assert rule.judge(Estimate(0.9, 0.82, 0.95, 20)).verdict == "reproduced"
    assert rule.judge(Estimate(0.9, 0.8, 0.95, 20)).verdict == "reproduced"          # on the boundary counts
    assert rule.judge(Estimate(0.7, 0.6, 0.75, 20)).verdict == "partly"
    assert rule.judge(Estimate(0.7, 0.45, 0.75, 20)).verdict == "inconclusive"       # partly or not
    assert rule.judge(Estimate(0.3, 0.2, 0.4, 20)).verdict == "not reproduced"
    assert rule.judge(Estimate(0.9, 0.85, 0.95, 9)).verdict == "inconclusive"        # n < min_n
    assert "n < 10" in rule.text and "a stated convention" in rule.text
    low = AtMost("p", 0.1, why="w")
    assert [low.judge(Estimate(v, v, v, 1, interval="exact")).verdict for v in (0.05, 0.2)] == ["reproduced", "not reproduced"]


def test_bootstrap_estimates_on_fewer_than_six_units_are_inconclusive():
    # below MIN_RESAMPLED_N units no resampled interval reaches 95 % (it stays inside the sample's
    # range, which holds the mean of symmetric data with probability at most 1 - 2 ** (1 - n))
    assert 1 - 2.0 ** (1 - MIN_RESAMPLED_N) >= LEVEL > 1 - 2.0 ** (2 - MIN_RESAMPLED_N)
    rule = AtLeast("mean", 0.0, why="a stated convention", min_n=3)
    five, six = Estimate.mean([1.0, 1.1, 1.2, 1.3, 1.4]), Estimate.mean([1.0, 1.1, 1.2, 1.3, 1.4, 1.5])
    assert five.resampled and five.low > 0 and rule.judge(five).verdict == "inconclusive"
    assert rule.judge(six).verdict == "reproduced"
    by_hand = Estimate(1.2, 1.0, 1.4, 5, "pairs of runs", "bootstrap over pairs of runs")
    assert by_hand.resampled and rule.judge(by_hand).verdict == "inconclusive"
    exact = Estimate.proportion(5, 5)                      # Clopper-Pearson: valid at any n, not resampled
    assert not exact.resampled and rule.judge(exact).verdict == "reproduced"
    assert "< 6 for a bootstrap interval" in rule.text
    assert "bootstrap interval" not in AtLeast("mean", 0.0, why="w", min_n=6).text
    both = AllOf({"a": rule, "b": AtLeast("b", 0.0, why="w", min_n=3)})
    assert both.judge({"a": six, "b": five}).verdict == "inconclusive"
    assert both.judge({"a": six, "b": six}).verdict == "reproduced"
    assert "< 6 for a bootstrap interval" in both.text


def test_within_is_inconclusive_when_the_interval_covers_the_band():
    rule = Within("ratio", target=1.0, tolerance=0.2, partly=0.5, why="w")
    assert rule.judge(Estimate(1.1, 0.9, 1.15, 6)).verdict == "reproduced"
    assert rule.judge(Estimate(1.4, 1.3, 1.45, 6)).verdict == "partly"
    assert rule.judge(Estimate(2.0, 1.8, 2.2, 6)).verdict == "not reproduced"
    assert rule.judge(Estimate(1.0, 0.0, 3.0, 6)).verdict == "inconclusive"


def test_all_of_counts_inconclusive_parts_both_ways():
    a, b = AtLeast("a", 1, why="w"), AtLeast("b", 1, why="w")
    rule = AllOf({"a": a, "b": b}, partly_from=1)
    sure, unsure, miss = (Estimate(v, lo, hi, 1, interval="exact") for v, lo, hi in ((2, 2, 2), (1, 0, 2), (0, 0, 0)))
    assert rule.judge({"a": sure, "b": sure}).verdict == "reproduced"
    assert rule.judge({"a": sure, "b": miss}).verdict == "partly"
    assert rule.judge({"a": sure, "b": unsure}).verdict == "inconclusive"     # reproduced or partly
    assert rule.judge({"a": miss, "b": miss}).verdict == "not reproduced"
    v = rule.judge({"a": sure, "b": miss})
    assert v.parts == {"a": "reproduced", "b": "not reproduced"} and set(v.estimate) == {"a", "b"}


def test_rules_refuse_bad_declarations_and_inputs():
    with pytest.raises(ValueError, match="why"):
        AtLeast("s", 1.0)
    with pytest.raises(ValueError, match="partly"):
        AtLeast("s", 1.0, 2.0, why="w")
    with pytest.raises(ValueError, match="min_n"):
        AtMost("s", 1.0, why="w", min_n=0)
    with pytest.raises(ValueError, match="Estimate"):
        AtLeast("s", 1.0, why="w").judge(0.5)
    with pytest.raises(ValueError, match="contain"):
        Estimate(1.0, 1.5, 2.0, 3)
    with pytest.raises(ValueError, match="reason"):
        NotComparable()
    with pytest.raises(ValueError, match="two"):
        AllOf({"a": AtLeast("a", 1, why="w")})
    assert NotComparable(reason="needs ImageNet").judge().verdict == "not comparable"


def test_claims_carry_rules_and_omissions():
    rule = AtLeast("s", 1.0, why="w")
    assert claim("axai.x", "1", "s", "v", "02", rule=rule).rule is rule
    with pytest.raises(ValueError, match="Rule"):
        claim("axai.x", "1", "s", "v", "02", rule="reproduced if > 1")
    gone = omitted("axai.y", "E.1", "s", "v", "needs COCO; a GPU day")
    assert gone.omitted and gone.notebook == "" and gone.rule is None
    with pytest.raises(ValueError, match="reason"):
        omitted("axai.y", "E.1", "s", "v", "")


def test_estimates_from_data():
    share = Estimate.proportion(3, 10)
    assert share.value == 0.3 and 0.06 < share.low < 0.07 and 0.65 < share.high < 0.66   # Clopper-Pearson
    assert share.interval == "Clopper-Pearson" and share.text() == "0.3 [0.0667, 0.652], n = 10 images"
    mean = Estimate.mean(np.arange(20.0))
    assert mean.low < 9.5 < mean.high and mean.n == 20
    assert Estimate.mean(np.arange(20.0)) == mean                                        # seeded: the same interval


def test_intervals():
    value, low, high = bootstrap_ci(lambda a, b: np.mean(a - b), np.ones(30) * 2, np.ones(30))
    assert (value, low, high) == (1.0, 1.0, 1.0)                                         # paired units
    assert bootstrap_ci(np.mean, [4.0]) == (4.0, 4.0, 4.0)
    with pytest.raises(ValueError, match="same number"):
        bootstrap_ci(np.mean, np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="finite"):
        bootstrap_ci(np.mean, [1.0, np.nan])
    assert proportion_ci(0, 5)[1] == 0.0 and proportion_ci(5, 5)[2] == 1.0
    with pytest.raises(ValueError, match="k must be"):
        proportion_ci(6, 5)
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03]), [0.03, 0.06, 0.06])
    with pytest.raises(ValueError, match="pvalues"):
        holm([0.5, 1.5])


def test_detection_rules_are_pre_registered_and_can_fail():
    """AXAI appendix E.2's rules (issue 19) exist before any detector result does, and each one
    reproduces, fails and stays inconclusive on the inputs it should."""
    from axlib.companion.rules import Estimate
    from axlib.papers.axai import claims

    inside, random_, background = claims.DETECTION_INSIDE_RULE, claims.DETECTION_RANDOM_RULE, claims.DETECTION_BACKGROUND_RULE
    assert inside.judge(Estimate(3.0, 2.5, 3.5, 150, "detections")).verdict == "reproduced"
    assert inside.judge(Estimate(0.8, 0.6, 0.95, 150, "detections")).verdict == "not reproduced"
    assert inside.judge(Estimate(3.0, 2.5, 3.5, 50, "detections")).verdict == "inconclusive"        # n < 100
    assert random_.judge(Estimate(0.2, 0.15, 0.25, 150, "detections")).verdict == "reproduced"
    assert random_.judge(Estimate(0.05, 0.02, 0.08, 150, "detections")).verdict == "partly"
    assert background.judge(Estimate(0.3, 0.2, 0.4, 150, "detections")).verdict == "reproduced"
    assert background.judge(Estimate(1.2, 1.1, 1.3, 150, "detections")).verdict == "not reproduced"
    assert background.judge(Estimate(0.6, 0.3, 0.9, 150, "detections")).verdict == "inconclusive"  # straddles 0.5
