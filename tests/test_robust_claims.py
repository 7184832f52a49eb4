"""The rules of the robust-CNN study's claims (axlib.papers.robust.claims): each one where it passes
and where it fails, and the catalogue's paper values taken from axlib.papers.robust.paper."""
from __future__ import annotations

import pytest

from axlib.companion.results import Verdict
from axlib.papers.robust import claims, paper


def _is(v: Verdict, expected: str) -> bool:
    assert isinstance(v, Verdict) and v.rule
    return v.verdict == expected


def test_confidence_ratio():
    assert _is(claims.confidence_ratio(1.8), "reproduced")
    assert _is(claims.confidence_ratio(1.5), "reproduced")
    assert _is(claims.confidence_ratio(1.32), "partly")
    assert _is(claims.confidence_ratio(1.05), "not reproduced")
    with pytest.raises(ValueError, match="ratio"):
        claims.confidence_ratio("big")


def test_advprop_accuracy():
    assert _is(claims.advprop_accuracy(1.7), "reproduced")
    assert _is(claims.advprop_accuracy(2.0), "reproduced")
    assert _is(claims.advprop_accuracy(2.01), "not reproduced")


def test_robust_prefers_smaller():
    assert _is(claims.robust_prefers_smaller([(500, 10), (7, 3)]), "reproduced")
    assert _is(claims.robust_prefers_smaller([(500, 10), (7, 7)]), "partly")
    assert _is(claims.robust_prefers_smaller([(5, 5), (7, 7)]), "not reproduced")
    with pytest.raises(ValueError, match="pairs"):
        claims.robust_prefers_smaller([(1, 2, 3)])


def test_gradient_localisation():
    assert _is(claims.gradient_localisation(["robust", "robust"]), "reproduced")
    assert _is(claims.gradient_localisation(["robust", "no difference"]), "partly")
    assert _is(claims.gradient_localisation(["no difference", "vanilla"]), "not reproduced")
    with pytest.raises(ValueError, match="winners"):
        claims.gradient_localisation(["robust"])


def test_cam_perturbation_no_difference():
    assert _is(claims.cam_perturbation_no_difference(["no difference"] * 4), "reproduced")
    assert _is(claims.cam_perturbation_no_difference(["no difference"] * 3 + ["robust"]), "partly")
    assert _is(claims.cam_perturbation_no_difference(["robust", "vanilla", "robust", "robust"]), "not reproduced")
    with pytest.raises(ValueError, match="winners"):
        claims.cam_perturbation_no_difference(["no difference"] * 3)


def test_score_based_winner():
    assert _is(claims.score_based_winner(["vanilla"] * 3, "vanilla"), "reproduced")
    assert _is(claims.score_based_winner(["robust"] * 3, "robust"), "reproduced")
    assert _is(claims.score_based_winner(["robust", "no difference", "no difference"], "robust"), "partly")
    assert _is(claims.score_based_winner(["robust"] * 3, "vanilla"), "not reproduced")
    with pytest.raises(ValueError, match="side"):
        claims.score_based_winner(["robust"] * 3, "advprop")


def test_advprop_between():
    assert _is(claims.advprop_between([True] * 6), "reproduced")
    assert _is(claims.advprop_between([True] + [False] * 5), "partly")
    assert _is(claims.advprop_between([False] * 6), "not reproduced")


def test_best_methods():
    assert _is(claims.best_methods(["gradcam", "rise", "ep", "ig", "mp"]), "reproduced")
    assert _is(claims.best_methods(["gradcam", "ep", "gradient", "mp", "rise"]), "partly")
    assert _is(claims.best_methods(["ep", "ig", "shap", "gradcam", "mp", "rise"]), "not reproduced")
    with pytest.raises(ValueError, match="order"):
        claims.best_methods(["gradcam"])


def test_runtime():
    fast = {"gradient": 26, "gradcam": 34, "rise": 8485, "lime": 7234, "mp": 7530, "ep": 32063}
    assert _is(claims.runtime(fast), "reproduced")
    assert _is(claims.runtime(dict(fast, gradient=9000)), "partly")
    with pytest.raises(ValueError, match="ms_per_image"):
        claims.runtime({"gradient": 1})


def test_no_best_cnn():
    assert _is(claims.no_best_cnn([]), "reproduced")
    assert _is(claims.no_best_cnn(["wsl"]), "not reproduced")


def test_strong_correlation():
    assert _is(claims.strong_correlation(0.88), "reproduced")
    assert _is(claims.strong_correlation(0.5), "reproduced")
    assert _is(claims.strong_correlation(0.21), "partly")
    assert _is(claims.strong_correlation(0.2), "not reproduced")
    assert _is(claims.strong_correlation(-0.23), "not reproduced")
    assert _is(claims.strong_correlation(float("nan")), "not reproduced")


def test_catalogue_paper_values_come_from_paper_py():
    by_id = {c.id: c for c in claims.CLAIMS}
    assert all(c.notebook == "05" and c.paper == "robust" for c in claims.CLAIMS)
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
