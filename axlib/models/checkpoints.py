"""Checkpoints as plain tensors (safetensors) with a JSON model card beside them.

A checkpoint ``NAME.safetensors`` holds only tensors, so loading never unpickles code.
Its card ``NAME.json`` records the architecture, the training recipe, the measured
accuracies and the checkpoint's sha256, which :func:`load_state` verifies before use.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file


def sha256_of(path) -> str:
    """Hex sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_state(model: torch.nn.Module, path, card: dict) -> dict:
    """Write ``model``'s state dict to ``path`` (.safetensors) and its card to ``path``.json.

    card: free-form metadata (architecture, recipe, accuracies); ``sha256`` and ``file`` are
    filled in here. Returns the card as written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(path))
    card = dict(card, file=path.name, sha256=sha256_of(path))
    path.with_suffix(".json").write_text(json.dumps(card, indent=1) + "\n")
    return card


def read_card(path) -> dict:
    """The JSON card of checkpoint ``path``."""
    return json.loads(Path(path).with_suffix(".json").read_text())


def load_state(path, *, verify: bool = True) -> dict[str, torch.Tensor]:
    """Load a plain-tensor state dict, verified first: a checkpoint inside the embedded data
    folder against ``data/MANIFEST.json`` (checkpoint and card; a card edited to match a
    tampered checkpoint does not pass), one elsewhere (a user's ``axlib train --out``)
    against the sha256 its card records.

    Raises FileNotFoundError when the file is missing, ValueError when its hash differs.
    """
    from axlib._util.paths import missing_embedded_message, repo_data_dir
    from axlib.data.manifest import manifest_path, verified

    path = Path(path)
    embedded = path.resolve().is_relative_to(repo_data_dir().resolve())
    if not path.exists():
        if embedded and not manifest_path().is_file():      # no embedded data at all (a plain pip install)
            raise FileNotFoundError(f"checkpoint {path.name} not found: {missing_embedded_message()}")
        raise FileNotFoundError(f"checkpoint {path} not found")
    if verify and embedded:
        verified(path)
        verified(path.with_suffix(".json"))
    elif verify:
        expected = read_card(path)["sha256"]
        actual = sha256_of(path)
        if actual != expected:
            raise ValueError(
                f"checkpoint {path} is corrupted: sha256 {actual} differs from its card's {expected}")
    return load_file(str(path))
