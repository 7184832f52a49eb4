"""Tables of the shipped models, read from their cards (``data/models/<name>.json``).

* :func:`card_summary`: chosen cards side by side: parameters, the accuracies each card
  records, training time and the start of the sha256.
* :func:`card_row` / :func:`model_table`: one row per shipped model of the registry: its
  headline accuracy and the set it was measured on, and for adversarially trained models the
  L2 PGD-20 accuracy beside the vanilla model's.
* :func:`shipped` / :func:`not_shipped`: which registered models have a checkpoint.
"""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from axlib.models.registry import MODELS, card, checkpoint_path

__all__ = ["SUMMARY_FIELDS", "card_summary", "card_row", "model_table", "shipped", "not_shipped"]

SUMMARY_FIELDS = {
    "parameters": "parameters",
    "test_accuracy": "test accuracy (10,000 images)",
    "embedded_subset_accuracy": "embedded subset accuracy",
    "top1_sample_images_1000": "top-1 on the 1,000 sample images",
    "top1_embedded_250": "top-1 on the 250 embedded",
    "int8_top1_agreement": "agreement with the int8 model",
    "map50": "mAP@0.5 (held-out scenes)",
    "train_wall_seconds": "training wall time (s)",
}
"""Card key -> row label of :func:`card_summary`, in row order (keys a card lacks are left out)."""

_ACCURACY_KEYS = ("test_accuracy", "held_out_accuracy", "top1_sample_images_1000", "map50")
_ACCURACY_SETS = ("test_set", "held_out_set")


def card_summary(names: Sequence[str]) -> pd.DataFrame:
    """The cards of ``names`` side by side, one column per model.

    Rows: the :data:`SUMMARY_FIELDS` a card holds (empty where another card lacks it) and the
    first 16 hex digits of the checkpoint's sha256. Raises ValueError for an unknown model.
    """
    columns = {}
    for name in names:
        c = card(name)
        column = {label: c[key] for key, label in SUMMARY_FIELDS.items() if key in c}
        column["sha256"] = c["sha256"][:16] + "..."
        columns[name] = column
    return pd.DataFrame(columns)


def card_row(name: str) -> dict:
    """One row of the model table from the card of ``name``.

    Keys: data, parameters, accuracy (the card's headline accuracy: test, held-out or ImageNet
    sample-image top-1, or a detector's mAP@0.5, rounded to 4 digits), measured on (for a
    detector: "mAP@0.5 on" its evaluation set), trained on ("converted" for converted
    weights); for a card with robustness figures also adversarial accuracy, attack and
    "vanilla, same attack". Raises ValueError for an unknown model.
    """
    c = card(name)
    accuracy_key = next(k for k in _ACCURACY_KEYS if k in c)
    measured_on = next((c[k] for k in _ACCURACY_SETS if c.get(k)), "the 1,000 ImageNet sample images")
    if accuracy_key == "map50":
        measured_on = f"mAP@0.5 on {c['eval_set']}"
    row = {"data": c["dataset"], "parameters": c["parameters"], "accuracy": round(c[accuracy_key], 4),
           "measured on": measured_on, "trained on": c.get("train_device", "converted")}
    if "robustness" in c:
        attack = c["robustness"]["attack"]
        row["adversarial accuracy"] = round(c["robustness"]["adversarial_accuracy"], 3)
        row["attack"] = f'{attack["name"]}, eps {attack["eps"]}, step {attack["step"]:.3g}'
    if "vanilla_robustness" in c:
        row["vanilla, same attack"] = round(c["vanilla_robustness"]["adversarial_accuracy"], 3)
    return row


def shipped() -> list[str]:
    """The registered models whose checkpoint is in ``data/models``, in registry order."""
    return [name for name in MODELS if checkpoint_path(name).is_file()]


def not_shipped() -> list[str]:
    """The registered models without a checkpoint (trained on demand, ``axlib train NAME``), sorted."""
    return sorted(set(MODELS) - set(shipped()))


def model_table(names: Sequence[str] | None = None) -> pd.DataFrame:
    """One :func:`card_row` per model (rows indexed by name); ``names`` None: every shipped model."""
    names = shipped() if names is None else list(names)
    return pd.DataFrame({name: card_row(name) for name in names}).T
