"""Reproduced numbers, recorded beside the paper's, into a machine-readable file.

Every notebook records each claim it reproduces through a :class:`Recorder` bound to its
profile (:func:`recorder`); the verdict is a :class:`Verdict` returned by the paper's rule
(``axlib.papers.<paper>.claims``), never a string typed in the page. Records go to
``$AXLIB_RESULTS_DIR/<notebook>.results.json`` (``axlib run`` sets both variables; when a
notebook runs by hand they default to the working directory and ``interactive``).
The book renders its tables and the claims dashboard from these files only.
"""
from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import torch

VERDICTS = ("reproduced", "partly", "not reproduced", "inconclusive", "not comparable", "not yet run", "reference")
"""What a record may say. "inconclusive": the 95 % interval straddles the rule's boundary or n is
below its minimum; "not comparable": the claim cannot be judged here (the rule says why);
"reference": a number we measure that no paper reports (model accuracies)."""


@dataclass(frozen=True)
class Verdict:
    """What a claim rule returns: the verdict and the rule's own one-line text, recorded beside it.

    Parameters
    ----------
    verdict : str
        One of ``VERDICTS``.
    rule : str
        The rule's one-line text (statistic, direction, tolerance); not empty.
    estimate : axlib.companion.rules.Estimate or mapping of str to Estimate, optional
        The number(s) judged, with interval and n (None for rules that predate intervals).
    parts : mapping of str to str, optional
        The verdict of each part of an :class:`~axlib.companion.rules.AllOf` rule.

    Raises
    ------
    ValueError
        For a verdict not in ``VERDICTS`` or a rule that is not a non-empty string.
    """

    verdict: str
    rule: str
    estimate: object = None
    parts: dict | None = None

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")
        if not isinstance(self.rule, str) or not self.rule:
            raise ValueError("rule must be a non-empty string")


def results_path() -> Path:
    """The results file of the notebook that is running.

    Returns
    -------
    pathlib.Path
        ``$AXLIB_RESULTS_DIR/<$AXLIB_NOTEBOOK>.results.json``; the variables default to the
        working directory and ``interactive``.
    """
    folder = Path(os.environ.get("AXLIB_RESULTS_DIR", "."))
    name = os.environ.get("AXLIB_NOTEBOOK", "interactive")
    return folder / f"{name}.results.json"


def _read(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    return {"notebook": path.name.removesuffix(".results.json"), "claims": {}}


def record(claim: str, ours, paper, verdict: str | Verdict, note: str = "", *, profile: str,
           device: str = "cpu", unit: str = "") -> dict:
    """Record one reproduced number (or short text) beside the paper's.

    Re-recording a claim replaces it. The record goes to :func:`results_path`.

    Parameters
    ----------
    claim : str
        Dotted identifier, e.g. ``"axai.skew.cifar10"``; not empty.
    ours, paper : number or str
        Numbers or short strings.
    verdict : Verdict or str
        A :class:`Verdict` from the claim's rule (its rule text is recorded as ``rule``), or
        one of ``VERDICTS``.
    note : str, default ""
        One sentence on why they agree or differ.
    profile : str
        The profile the number came from.
    device : str, default "cpu"
        Where it was measured.
    unit : str, default ""
        The unit of the numbers.

    Returns
    -------
    dict
        The stored record.

    Raises
    ------
    ValueError
        For a verdict not in ``VERDICTS`` or an empty claim.
    """
    rule, judged = "", {}
    if isinstance(verdict, Verdict):
        verdict, rule, judged = verdict.verdict, verdict.rule, _judged(verdict, ours)
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be one of {VERDICTS}, got {verdict!r}")
    if not claim or not isinstance(claim, str):
        raise ValueError("claim must be a non-empty string")
    path = results_path()
    data = _read(path)
    entry = {
        "claim": claim, "ours": _plain(ours), "paper": _plain(paper), "unit": unit,
        "verdict": verdict, "rule": rule, **judged, "note": note, "profile": profile, "device": _device_name(device),
        "torch": torch.__version__, "python": platform.python_version(),
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    data["claims"][claim] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)
    return entry


def _estimate_fields(e) -> dict:
    return {"value": e.value, "low": e.low, "high": e.high, "n": e.n, "n_of": e.n_of, "interval": e.interval}


def _judged(verdict: Verdict, ours) -> dict:
    """The record fields of a verdict's estimate: ``low``, ``high``, ``n``, ``n_of`` and
    ``interval`` for one estimate, and its ``value`` unless ``ours`` is a number (the value or its
    rounding), so that a record whose ``ours`` is text still holds the number its rule judged;
    ``parts`` ({name: estimate fields and verdict}) for several."""
    e = verdict.estimate
    if e is None:
        return {}
    if isinstance(e, dict):
        return {"parts": {name: {**_estimate_fields(p), "verdict": (verdict.parts or {}).get(name, "")}
                          for name, p in e.items()}}
    fields = _estimate_fields(e)
    if isinstance(ours, (int, float)) and not isinstance(ours, bool):
        fields.pop("value")
    return fields


def load(path) -> dict:
    """Read a results file written by :func:`record`.

    Parameters
    ----------
    path : str or os.PathLike
        The results file.

    Returns
    -------
    dict
        The file's contents.
    """
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


class Recorder:
    """:func:`record` bound to one run's profile and device.

    The paper's value is taken from the claims catalogue (``axlib.papers.<paper>.paper``
    through ``claims``) when not given. Made by :func:`recorder`;
    ``rec.record(claim, ours, verdict, note, unit=...)``.

    Parameters
    ----------
    profile : str
        The profile's name.
    device : str, default "cpu"
        Where the numbers are measured.
    """

    def __init__(self, profile: str, device: str = "cpu"):
        self.profile, self.device = profile, device

    def record(self, claim: str, ours, verdict: str | Verdict, note: str = "", *, paper=None,
               unit: str = "", device: str | None = None) -> dict:
        """Record ``claim`` with this recorder's profile and device.

        Parameters
        ----------
        claim : str
            Dotted claim identifier.
        ours : number or str
            Our number or short text.
        verdict : Verdict or str
            As in :func:`record`.
        note : str, default ""
            One sentence on why they agree or differ.
        paper : number or str, optional
            None: the catalogue's paper value of the claim (a claim the catalogue does not list
            then records no paper value).
        unit : str, default ""
            The unit of the numbers.
        device : str, optional
            None: the recorder's device.

        Returns
        -------
        dict
            The stored record.

        Raises
        ------
        ValueError
            As :func:`record` does, and for a catalogue claim with a declared rule (those are
            recorded by :meth:`judge`, so that only their rule gives their verdict).
        """
        declared = _catalogue_claim(claim)
        if declared is not None and declared.rule is not None:
            raise ValueError(f"claim {claim!r} has a declared rule: record it with rec.judge({claim!r}, estimate)")
        if paper is None:
            paper = declared.paper_value if declared is not None else None
        return record(claim, ours, paper, verdict, note, profile=self.profile,
                      device=device or self.device, unit=unit)

    def judge(self, claim: str, estimate, note: str = "", *, ours=None, unit: str = "",
              device: str | None = None) -> dict:
        """Judge ``estimate`` by ``claim``'s declared rule and record the verdict.

        Parameters
        ----------
        claim : str
            A catalogue claim id with a declared rule.
        estimate : axlib.companion.rules.Estimate or mapping of str to Estimate
            Our number(s) with interval and n (a mapping for an ``AllOf`` rule).
        note : str, default ""
            One sentence on why they agree or differ (no thresholds: the rule's text is recorded).
        ours : number or str, optional
            What the dashboard shows as ours; None: the estimate's value (the parts' values,
            for a mapping).
        unit : str, default ""
            The unit of ``ours``.
        device : str, optional
            None: the recorder's device.

        Returns
        -------
        dict
            The stored record (``verdict``, ``rule``, ``low``, ``high``, ``n`` ... or ``parts``).

        Raises
        ------
        ValueError
            For a claim the catalogue does not list, or one without a declared rule.
        """
        declared = _catalogue_claim(claim)
        if declared is None or declared.rule is None:
            raise ValueError(f"claim {claim!r} has no declared rule in the catalogue "
                             "(axlib.papers.<paper>.claims); declare one before judging it")
        verdict = declared.rule.judge(estimate)
        if ours is None:
            ours = (estimate.value if not isinstance(estimate, dict)
                    else "; ".join(f"{k} {v.value:.3g}" for k, v in estimate.items()))
        return record(claim, ours, declared.paper_value, verdict, note, profile=self.profile,
                      device=device or self.device, unit=unit)

    def table(self, columns=("ours", "paper", "verdict", "rule", "note")):
        """This page's recorded claims so far, one row each.

        Parameters
        ----------
        columns : sequence of str, default ("ours", "paper", "verdict", "rule", "note")
            The record fields shown.

        Returns
        -------
        pandas.DataFrame
            One row per claim, with ``columns``.
        """
        import pandas as pd

        path = results_path()
        claims = load(path)["claims"] if path.exists() else {}
        frame = pd.DataFrame(claims).T
        return frame.reindex(columns=list(columns))


def _catalogue_claim(claim_id: str):
    from axlib.companion.claims import CATALOGUE
    return next((c for c in CATALOGUE if c.id == claim_id), None)


def recorder(profile, device: str | None = None) -> Recorder:
    """A :class:`Recorder` for ``profile``.

    Parameters
    ----------
    profile : axlib.Profile or str
        A :class:`axlib.Profile` or its name.
    device : str, optional
        None: the profile's ``device`` (``"cpu"`` for a name).

    Returns
    -------
    Recorder
        The bound recorder.
    """
    name = getattr(profile, "name", profile)
    return Recorder(name, device or getattr(profile, "device", "cpu"))


REFERENCE = Verdict("reference", "a number we measure that no paper reports (no verdict)")
