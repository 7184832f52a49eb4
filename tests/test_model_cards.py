"""The model tables of notebook 00, built from the shipped cards (``axlib.models.cards``)."""
from __future__ import annotations

import pytest

from axlib.models import MODELS, cards


def test_shipped_and_not_shipped_split_the_registry():
    shipped, missing = cards.shipped(), cards.not_shipped()
    assert set(shipped) | set(missing) == set(MODELS) and not set(shipped) & set(missing)
    assert "cifar10-alexnet" in shipped and "imagenet-mobilenetv2" in shipped


def test_card_row_of_a_trained_and_a_converted_model():
    alex = cards.card_row("cifar10-alexnet")
    assert alex["data"] == "cifar10" and 0.78 <= alex["accuracy"] <= 1 and alex["trained on"] != "converted"
    assert "CIFAR-10 test split" in alex["measured on"]
    mobile = cards.card_row("imagenet-mobilenetv2")
    assert mobile["trained on"] == "converted" and mobile["measured on"] == "the 1,000 ImageNet sample images"


def test_card_row_of_an_adversarially_trained_model():
    row = cards.card_row("cifar10-alexnet-adv")
    assert {"adversarial accuracy", "attack", "vanilla, same attack"} <= set(row)
    assert row["attack"].startswith("L2 PGD-20, eps 0.5")


def test_model_table_has_one_row_per_shipped_model():
    table = cards.model_table()
    assert list(table.index) == cards.shipped()
    assert {"data", "parameters", "accuracy", "measured on", "trained on"} <= set(table.columns)
    detector = table.loc["scenes-centernet"]
    assert detector["measured on"].startswith("mAP@0.5 on 500 held-out scenes") and 0.5 <= detector["accuracy"] <= 1


def test_card_summary_side_by_side():
    summary = cards.card_summary(["cifar10-alexnet", "imagenet-mobilenetv2"])
    assert list(summary.columns) == ["cifar10-alexnet", "imagenet-mobilenetv2"]
    assert summary.loc["sha256"].str.endswith("...").all()
    assert summary.loc["test accuracy (10,000 images)", "cifar10-alexnet"] > 0.78


def test_unknown_model_is_named():
    with pytest.raises(ValueError, match="no-such-model"):
        cards.card_row("no-such-model")
