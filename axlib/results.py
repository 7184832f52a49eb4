"""Reproduced numbers, recorded beside the paper's, into a machine-readable file.

Every notebook calls :func:`record` for each claim it reproduces. Records go to
``$AXLIB_RESULTS_DIR/<notebook>.results.json`` (``axlib run`` sets both variables; when a
notebook runs by hand they default to the working directory and ``interactive``).
The book renders its tables and the claims dashboard from these files only.
"""
from __future__ import annotations

import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path

import torch

# "reference": a number we measure that has no counterpart in the papers (model accuracies).
VERDICTS = ("reproduced", "partly", "not reproduced", "not yet run", "reference")


def results_path() -> Path:
    """The results file of the notebook that is running."""
    folder = Path(os.environ.get("AXLIB_RESULTS_DIR", "."))
    name = os.environ.get("AXLIB_NOTEBOOK", "interactive")
    return folder / f"{name}.results.json"


def _read(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    return {"notebook": path.name.removesuffix(".results.json"), "claims": {}}


def record(claim: str, ours, paper, verdict: str, note: str = "", *, profile: str,
           device: str = "cpu", unit: str = "") -> dict:
    """Record one reproduced number (or short text) beside the paper's.

    claim: dotted identifier, e.g. ``"axai.skew.cifar10"``; ours / paper: numbers or short
    strings; verdict: one of ``VERDICTS``; note: one sentence on why they agree or differ;
    profile: the profile the number came from; device: where it was measured.
    Re-recording a claim replaces it. Returns the stored record.
    """
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    if not claim or not isinstance(claim, str):
        raise ValueError("claim must be a non-empty string")
    path = results_path()
    data = _read(path)
    entry = {
        "claim": claim, "ours": _plain(ours), "paper": _plain(paper), "unit": unit,
        "verdict": verdict, "note": note, "profile": profile, "device": _device_name(device),
        "torch": torch.__version__, "python": platform.python_version(),
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    data["claims"][claim] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)
    return entry


def load(path) -> dict:
    """Read a results file written by :func:`record`."""
    return json.loads(Path(path).read_text())


def _plain(value):
    if isinstance(value, torch.Tensor):
        value = value.item() if value.numel() == 1 else value.tolist()
    if hasattr(value, "item") and not isinstance(value, (list, tuple, str)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            pass
    return value


def _device_name(device: str) -> str:
    if str(device).startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)"
