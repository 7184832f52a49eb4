"""Whether a runs folder holds complete runs: what ``axlib book`` checks before it publishes.

A page is complete when its executed notebook was run by papermill to the end (every code
cell's papermill status ``completed``, no error output, no exception recorded for the
notebook), its results file records every claim the catalogue assigns to the page (omitted
claims excepted), its profile, as papermill injected it and as each record states it, is
the profile of every other page, and (given the source notebooks) it is current: the content
hash ``axlib run`` stored for it still matches its notebook, parameters, the axlib modules it
imported and the data it read. An interrupted ``axlib run`` leaves pages that fail the first
two; a page rerun under another profile fails the third; a page run before the code or data
it used changed fails the last (the book's pages then come from one state of the code, the
cache's way of saying "the same commit").
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path


def notebook_problems(executed: Path) -> list[str]:
    """What keeps the executed notebook ``executed`` from being complete (empty: nothing)."""
    try:
        nb = json.loads(Path(executed).read_text())
    except (OSError, ValueError) as error:
        return [f"the executed notebook cannot be read ({error})"]
    meta = nb.get("metadata", {}).get("papermill")
    if not meta:
        return ["it was never executed by `axlib run` (no papermill metadata)"]
    problems = []
    if meta.get("exception"):
        problems.append("papermill recorded an exception")
    code = [c for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    done = [c for c in code if c.get("metadata", {}).get("papermill", {}).get("status") == "completed"]
    if len(done) < len(code):
        problems.append(f"{len(code) - len(done)} of {len(code)} code cells did not complete")
    failed = [c for c in code if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
    if failed:
        problems.append(f"{len(failed)} code cell(s) raised an error")
    return problems


def run_profile(executed: Path) -> str | None:
    """The profile papermill injected into the executed notebook, None when it names none."""
    try:
        nb = json.loads(Path(executed).read_text())
    except (OSError, ValueError):
        return None
    return nb.get("metadata", {}).get("papermill", {}).get("parameters", {}).get("profile")


def results_problems(results_file: Path, page: str, profile: str | None) -> list[str]:
    """What is missing or inconsistent in a page's results file: catalogue claims of ``page``
    (its number, ``"04b"``) that are neither recorded nor omitted, and records made under
    another profile than ``profile``."""
    from axlib.companion.claims import CATALOGUE

    try:
        records = json.loads(Path(results_file).read_text()).get("claims", {})
    except (OSError, ValueError) as error:
        return [f"the results file cannot be read ({error})"]
    problems = []
    expected = [c.id for c in CATALOGUE if c.notebook == page and not c.omitted]
    missing = [claim for claim in expected if claim not in records]
    if missing:
        problems.append(f"{len(missing)} of its {len(expected)} catalogue claims were not recorded "
                        f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''})")
    others = sorted({r.get("profile") for r in records.values()} - {profile})
    if profile is not None and others:
        problems.append(f"records made under profile(s) {', '.join(map(str, others))}, not {profile}")
    return problems


def stale_problems(runs_dir: Path, source: Path) -> list[str]:
    """Whether the run of the notebook ``source`` in ``runs_dir`` is current: its entry in
    ``axlib run``'s cache exists and its content hash still matches (see
    :func:`axlib.companion.runner.content_hash`)."""
    from axlib.companion.runner import CACHE_FILE, content_hash

    try:
        entry = json.loads((Path(runs_dir) / CACHE_FILE).read_text()).get(Path(source).name)
    except (OSError, ValueError):
        entry = None
    if not entry or not entry.get("hash"):
        return [f"{CACHE_FILE} holds no record of a finished run of it"]
    if content_hash(Path(source), entry.get("parameters", {}), entry.get("trace")) != entry["hash"]:
        return ["its notebook, parameters, axlib code or data changed since it ran"]
    return []


def incomplete_pages(runs_dir: Path, stems: Sequence[str], sources: dict[str, Path] | None = None
                     ) -> dict[str, list[str]]:
    """``{stem: [problem, ...]}`` for each page of ``stems`` whose run in ``runs_dir`` is not
    complete (see the module's docstring); pages that are complete are absent.

    sources: ``{stem: source notebook}``; when given, each page must also be current
    (:func:`stale_problems`). The profile every page must share is the one most pages were
    run with.
    """
    runs_dir = Path(runs_dir)
    profiles = {stem: run_profile(runs_dir / f"{stem}.ipynb") for stem in stems}
    named = [p for p in profiles.values() if p is not None]
    common = max(sorted(set(named)), key=named.count) if named else None
    found = {}
    for stem in stems:
        problems = notebook_problems(runs_dir / f"{stem}.ipynb")
        if profiles[stem] is not None and profiles[stem] != common:
            problems.append(f"it ran under profile {profiles[stem]}, the other pages under {common}")
        problems += results_problems(runs_dir / f"{stem}.results.json", stem.split("_", 1)[0], common)
        if sources is not None and stem in sources:
            problems += stale_problems(runs_dir, sources[stem])
        if problems:
            found[stem] = problems
    return found
