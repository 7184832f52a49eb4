"""The claims catalogue: every claim of the three papers that the book checks, and the
dashboard rows that put the recorded results beside them.

Each paper package declares its claims (``axlib.papers.<paper>.claims.CLAIMS``, built with
:func:`claim`); :data:`CATALOGUE` is their concatenation in book order, assembled on first use.

Claim id convention (matching is by exact id, nothing fuzzy)
------------------------------------------------------------
A claim id is the first argument a page gives to :meth:`axlib.companion.results.Recorder.record`:
dot-separated words of letters, digits and underscores (lower case, except appendix tags such
as ``appB`` or ``appE4``), ``<paper>.<topic>[.<subtopic>][.<case>]`` where

- ``<paper>`` is ``axai`` (AXAI main text and appendix), ``robust`` (Nourelahi et al., the
  robust-CNN study) or ``exiaa`` (EXIAA);
- ``<topic>`` names the experiment (``skew_share``, ``ttest``, ``table4``, ``bench``...);
- ``<case>`` is the data set or model the number is for (``cifar10``, ``imagenet``,
  ``speech``, ``text``, ``resnet18``, ``vit``...), last, so that one experiment on two data
  sets gives two ids that differ only in their last part.

Exception: AXAI's speech and text claims (page 07) start with ``speech.``,
``text.`` or ``c4.`` (appendix C.4); their catalogue entries name the paper explicitly.

Records that are not a paper's claim (model accuracies, attack success rates) use another
first part (``models.``) or the verdict ``axlib.results.REFERENCE``; they are listed on the dashboard
under "Other recorded numbers", so nothing a notebook records is lost. A catalogue claim that
no results file records is shown as *not yet run*. When a notebook's id and the catalogue's
differ, fix one of them: the dashboard then shows a "not yet run" row and an "other" row for
the same number, which is the signal to reconcile.

The catalogue holds the papers' statements and numbers only (each paper's ``paper.py``);
our numbers come from the results files, never from here.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from axlib._util.quotes import Quoted
from axlib.companion.rules import Rule

PAPERS = {
    "axai": "AXAI (Rahnama & Tseng, CVPR-W 2021, with appendix)",
    "robust": "How explainable are adversarially-robust CNNs? (Nourelahi et al., 2022)",
    "exiaa": "EXIAA: Explainable Injections for Adversarial Attack (2025)",
}


@dataclass(frozen=True)
class Claim:
    """One claim of a paper.

    id: exact claim id (see the module docstring); paper: a key of ``PAPERS``; where: the
    section, table or figure; statement: the claim in one sentence; paper_value: the paper's
    number or wording, as text; notebook: the notebook expected to record it (file stem
    prefix, e.g. ``"02"``; "" for an omitted experiment); rule: its pre-registered
    :class:`~axlib.companion.rules.Rule` (None: an older rule function of the paper's
    ``claims`` module still gives the verdict); n_paper: the sample the paper used, as text;
    omitted: why no page records it (data, model or compute not available here, and what
    would be needed), "" for a claim a page records.
    """

    id: str
    paper: str
    where: str
    statement: str
    paper_value: str
    notebook: str
    rule: Rule | None = None
    n_paper: str = ""
    omitted: str = ""


def claim(id: str, where: str, statement: str, paper_value, notebook: str, paper: str | None = None, *,
          rule: Rule | None = None, n_paper: str = "") -> Claim:
    """A :class:`Claim`; ``paper`` None: the first part of the id. ``paper_value``: text, or a
    :class:`~axlib._util.quotes.Quoted` value of the paper's ``paper.py`` (shown as its value)."""
    if isinstance(paper_value, Quoted):
        paper_value = str(paper_value.value)
    if rule is not None and not isinstance(rule, Rule):
        raise ValueError(f"rule of {id!r} must be an axlib.companion.rules.Rule, got {type(rule).__name__}")
    return Claim(id, paper or id.split(".", 1)[0], where, statement, paper_value, notebook, rule, n_paper)


def omitted(id: str, where: str, statement: str, paper_value, reason: str, paper: str | None = None) -> Claim:
    """A :class:`Claim` no page records: ``reason`` says why (what is missing here) and what
    would be needed; the dashboard lists it as *omitted*."""
    if not reason:
        raise ValueError(f"reason of the omitted claim {id!r} must say why and what would be needed")
    if isinstance(paper_value, Quoted):
        paper_value = str(paper_value.value)
    return Claim(id, paper or id.split(".", 1)[0], where, statement, paper_value, "", omitted=reason)


@functools.cache
def _catalogue() -> tuple[Claim, ...]:
    """Every paper's claims, in book order (the paper packages declare them)."""
    from axlib.papers.axai.claims import CLAIMS as axai
    from axlib.papers.exiaa.claims import CLAIMS as exiaa
    from axlib.papers.robust.claims import CLAIMS as robust
    return (*axai, *robust, *exiaa)


def __getattr__(name: str):
    # CATALOGUE is assembled on first use: the paper packages import Claim from this module.
    if name == "CATALOGUE":
        return _catalogue()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")




# --------------------------------------------------------------------------- dashboard

@dataclass
class Row:
    """One dashboard row: a catalogue claim with its record (or none), or a record that the
    catalogue does not list (``claim`` is None)."""

    id: str
    claim: Claim | None
    record: dict | None
    notebook: str = ""

    @property
    def verdict(self) -> str:
        if self.record:
            return self.record.get("verdict", "?")
        return "omitted" if self.claim is not None and self.claim.omitted else "not yet run"


def load_records(results_files) -> dict[str, tuple[str, dict]]:
    """``{claim id: (notebook stem, record)}`` from ``*.results.json`` files.

    Raises ValueError when two files record the same id (the dashboard could not say which
    one is meant)."""
    records: dict[str, tuple[str, dict]] = {}
    for path in sorted(Path(p) for p in results_files):
        data = json.loads(path.read_text())
        stem = data.get("notebook") or path.name.removesuffix(".results.json")
        for claim_id, record in data.get("claims", {}).items():
            if claim_id in records and records[claim_id][0] != stem:
                raise ValueError(f"claim {claim_id!r} is recorded by both "
                                 f"{records[claim_id][0]} and {stem}")
            records[claim_id] = (stem, record)
    return records


def dashboard_rows(records: dict[str, tuple[str, dict]],
                   catalogue=None) -> tuple[dict[str, list[Row]], list[Row]]:
    """Match records to the catalogue by exact id.

    Returns ``({paper key: [Row, ...] in catalogue order}, [Row, ...] of records the
    catalogue does not list, in notebook then id order)``. Every record appears exactly once.
    """
    catalogue = _catalogue() if catalogue is None else catalogue
    ids = [c.id for c in catalogue]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate claim ids in the catalogue: {sorted(duplicates)}")
    by_paper: dict[str, list[Row]] = {key: [] for key in PAPERS}
    for claim in catalogue:
        stem, record = records.get(claim.id, ("", None))
        by_paper.setdefault(claim.paper, []).append(Row(claim.id, claim, record, stem))
    known = set(ids)
    others = [Row(claim_id, None, record, stem)
              for claim_id, (stem, record) in sorted(records.items(), key=lambda kv: (kv[1][0], kv[0]))
              if claim_id not in known]
    return by_paper, others
