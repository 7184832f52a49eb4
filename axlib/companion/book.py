"""Build the static HTML book from executed notebooks (Jupyter Book 1.x, offline).

    axlib book [--runs DIR] [--out DIR]

Copies the notebooks executed by ``axlib run`` (default ``runs/default``) and their
``*.results.json`` into ``book/notebooks/`` and generates, from those files only:

- the claims dashboard of the landing page (``notebooks/_dashboard.md``, included by
  ``intro.md``): the claims of each paper counted by verdict (``notebooks/verdicts.svg``, a
  bar chart, and the same counts as a table), then one row per claim of
  :data:`axlib.companion.claims.CATALOGUE` with the paper's number, ours with its interval and
  n, the rule, profile, device and verdict ("not yet run" without a record), the omitted claims
  of each paper with the reason, then every recorded number the catalogue does not list;
- ``notebooks/claims.md``: every record of every notebook, with its interval, n, full rule
  and note;
- a "Rerun this page" box at the top of every notebook page: the ``axlib run`` command, the
  parameters read from the notebook's ``parameters`` cell (name, default, the comment as
  meaning and range) and the measured wall time per profile from the runner's caches
  (``<runs>/.axlib-cache.json`` and ``runs/*/.axlib-cache.json``);
- ``notebooks/environment.md``, the reproducibility page: package versions, parameters and
  seeds of each run, devices, machines and wall times, sha256 of every file in
  ``data/MANIFEST.json``, each model's recipe and accuracies from ``data/models/*.json``, and
  the known differences from the papers' setups (``book/_snippets/differences.md``);
- ``book/_toc.yml`` (intro, claims, the notebooks in file order, reproduce, environment).

Then it runs Jupyter Book's Sphinx build with notebook execution off. HTML lands in
``<out>/html`` (default ``book/_build/html``). The build refuses runs that lack an executed
notebook or a notebook's results file, fails on a Sphinx error, and when a page that the table
of contents lists has no HTML file; other Sphinx warnings are printed, not fatal.
"""
from __future__ import annotations

import ast
import io
import json
import re
import shutil
import subprocess
import sys
import textwrap
import time
import tokenize
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from axlib._util.paths import REPO_ROOT, repo_data_dir

BOOK_DIR = REPO_ROOT / "book"
PROFILES = ("smoke", "default", "paper")        # axlib.companion.profiles.PROFILE_NAMES (no torch here)
# Sphinx log lines that fail the build: errors, and the warnings that mean a broken page
# (MyST reports unknown directives and missing cross-references as warnings only).
_SPHINX_ERROR = re.compile(
    r"\b(ERROR|SEVERE|CRITICAL)\b[:/]|WARNING: .*(Unknown directive type|Unknown interpreted "
    r"text role|image file not readable|nonexisting document|undefined label|unknown document"
    r"|\[myst\.xref_missing\]|\[myst\.directive_unknown\]|\[myst\.role_unknown\])")

_BUILD_SCRIPT = """
import sys
from pathlib import Path
from jupyter_book.sphinx import build_sphinx
src, out, toc = sys.argv[1:4]
result = build_sphinx(src, out, noconfig=True, path_config=str(Path(src) / "_config.yml"),
                      confoverrides={"external_toc_path": toc, "latex_individualpages": False}, builder="html", freshenv=True)
sys.exit(0 if result == 0 else 1)
"""

# Packages whose versions the reproducibility page lists (distribution names).
PACKAGES = ("torch", "torchvision", "numpy", "scipy", "statsmodels", "pandas", "scikit-image",
            "scikit-learn", "captum", "shap", "lime", "safetensors", "matplotlib", "seaborn",
            "papermill", "ipykernel", "nbformat", "jupyter-book", "sphinx", "myst-nb",
            "sphinx-book-theme")


# --------------------------------------------------------------------------- small helpers
def _cell(value, limit: int | None = None) -> str:
    """A value as the text of one Markdown table cell ("-" for None)."""
    if value is None or value == "":
        return "-"
    if isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, (list, tuple)) and len(value) > 6:
        text = f"[{', '.join(map(str, value[:6]))}, ...]"
    else:
        text = str(value)
    text = " ".join(text.split())
    if limit is not None and len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text.replace("|", "\\|")


def _short_id(stem: str) -> str:
    """The name ``axlib run`` accepts for a notebook: its number prefix (``02``), else stem."""
    prefix = stem.split("_", 1)[0]
    return prefix if prefix.isdigit() else stem


# --------------------------------------------------------------------------- parameters

def notebook_parameters(notebook) -> list[dict]:
    """The variables of a notebook's cell tagged ``parameters``.

    Returns ``[{"name", "default", "comment"}, ...]`` in cell order: ``default`` is the source
    text of the assigned value, ``comment`` the end-of-line comment plus the comment-only lines
    that follow it (their continuation). Raises ValueError when the notebook has no such cell.
    """
    cells = json.loads(Path(notebook).read_text()).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return _parse_parameters_cell("".join(cell.get("source", "")))
    raise ValueError(f"{Path(notebook).name} has no cell tagged 'parameters'")


def _parse_parameters_cell(source: str) -> list[dict]:
    comments: dict[int, str] = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            comments[token.start[0]] = token.string.lstrip("#").strip()
    lines = source.splitlines()
    found = []
    body = ast.parse(source).body
    for index, node in enumerate(body):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            continue
        text = [comments.get(node.lineno, "")]
        stop = body[index + 1].lineno if index + 1 < len(body) else len(lines) + 1
        for number in range(node.end_lineno + 1, stop):          # comment-only continuation
            if lines[number - 1].strip().startswith("#"):
                text.append(comments.get(number, ""))
        found.append({"name": node.targets[0].id,
                      "default": ast.get_source_segment(source, node.value),
                      "comment": " ".join(t for t in text if t)})
    return found


def _injected_parameters(executed) -> dict:
    """The values papermill injected into an executed notebook (``{}`` if none)."""
    for cell in json.loads(Path(executed).read_text()).get("cells", []):
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            values = {}
            for node in ast.parse("".join(cell.get("source", ""))).body:
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                    try:
                        values[node.targets[0].id] = ast.literal_eval(node.value)
                    except ValueError:
                        values[node.targets[0].id] = ast.unparse(node.value)
            return values
    return {}


# --------------------------------------------------------------------------- run caches

def read_caches(runs_dir, extra=None) -> dict[str, list[dict]]:
    """Cache entries of ``axlib run`` by notebook file name, from ``<runs_dir>`` and the
    folders ``extra`` (default ``runs/*`` of the repository); each entry gains ``"runs"``, the
    folder it came from. Unreadable cache files are skipped."""
    folders = [Path(runs_dir).resolve()]
    if extra is None:
        extra = sorted(p for p in (REPO_ROOT / "runs").glob("*") if p.is_dir())
    folders += [Path(p).resolve() for p in extra if Path(p).resolve() not in folders]
    entries: dict[str, list[dict]] = {}
    for folder in folders:
        path = folder / ".axlib-cache.json"
        try:
            data = json.loads(path.read_text()) if path.is_file() else {}
        except ValueError:
            continue
        for name, entry in data.items():
            if isinstance(entry, dict) and "wall_seconds" in entry:
                entries.setdefault(name, []).append(dict(entry, runs=str(folder)))
    return entries


def expected_times(entries: list[dict]) -> dict[str, dict | None]:
    """Per profile, the most recent run with the profile's own sizes (no ``-p`` override),
    else the most recent run of that profile; None when the profile was never measured."""
    chosen: dict[str, dict | None] = {}
    for profile in PROFILES:
        runs = [e for e in entries if e.get("profile") == profile]
        plain = [e for e in runs if set(e.get("parameters", {})) <= {"profile"}]
        pool = plain or runs
        chosen[profile] = max(pool, key=lambda e: e.get("finished", "")) if pool else None
    return chosen


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


# --------------------------------------------------------------------------- rerun box

def rerun_box(source_notebook: Path, cache_entries: list[dict]) -> str:
    """Markdown of the "Rerun this page" box of one notebook page."""
    short = _short_id(source_notebook.stem)
    params = notebook_parameters(source_notebook)
    names = [p["name"] for p in params]
    lines = [":::{admonition} Rerun this page", ":class: tip", "",
             "```bash",
             f"axlib run {short} --profile default        # as published here",
             f"axlib run {short} --profile smoke          # seconds: proves every cell runs"]
    if "seed" in names:
        lines.append(f"axlib run {short} --profile default -p seed 1   # another seed")
    example = next((p for p in params if p["name"] not in ("profile", "seed", "device")), None)
    if example is not None:
        lines.append(f"axlib run {short} --profile default -p {example['name']} VALUE")
    lines += ["```", "",
              "Each `-p NAME VALUE` sets a variable of the notebook's `parameters` cell; the "
              "executed copy and its `.results.json` go to `runs/<profile>/` "
              "([how](../reproduce.md)). Launch it on Binder or Colab, or download the "
              "notebook, with the buttons at the top of the page.", "",
              "**Parameters**, from the notebook's `parameters` cell:", "",
              "| parameter | default | meaning and range |", "| --- | --- | --- |"]
    for p in params:
        lines.append(f"| `{p['name']}` | `{_cell(p['default'])}` | {_cell(p['comment'])} |")
    lines += ["", "**Expected time**, measured by `axlib run` on the machine named (\"not measured\": "
              "no run of that profile was found):", "",
              "| profile | wall time | machine | when |", "| --- | --- | --- | --- |"]
    for profile, entry in expected_times(cache_entries).items():
        if entry is None:
            lines.append(f"| `{profile}` | not measured | - | - |")
            continue
        extra = {k: v for k, v in entry.get("parameters", {}).items() if k != "profile"}
        note = f" (with {', '.join(f'{k}={v!r}' for k, v in extra.items())})" if extra else ""
        machine = entry.get("machine") or "machine not recorded"
        device = entry.get("parameters", {}).get("device")
        machine += f"; device {device}" if device else ""
        lines.append(f"| `{profile}` | {_duration(entry['wall_seconds'])}{_cell(note) if note else ''} | "
                     f"{_cell(machine)} | {_cell(entry.get('finished', '')[:10])} |")
    lines += [":::", ""]
    return "\n".join(lines)


def inject_after_title(executed: Path, box: str) -> None:
    """Insert ``box`` (Markdown) into the executed notebook copy ``executed``, right after the
    title line of its first markdown cell (a new first cell when there is no title)."""
    nb = json.loads(executed.read_text())
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = "".join(cell.get("source", ""))
        match = re.search(r"^#\s+.+$", source, re.M)
        if match:
            cell["source"] = source[: match.end()] + "\n\n" + box + "\n" + source[match.end():].lstrip("\n")
            break
    else:
        nb.setdefault("cells", []).insert(0, {"cell_type": "markdown", "metadata": {}, "source": box})
    executed.write_text(json.dumps(nb, indent=1))


def partial_banner(problems: list[str]) -> str:
    """The warning that heads a page published from an incomplete run (``--allow-partial``)."""
    lines = "\n".join(f"- {problem}" for problem in problems)
    return (":::{danger} Incomplete run\nThis page was published from a run that did not finish "
            "(`axlib book --allow-partial`); its figures and claims may be missing or partial:\n\n"
            f"{lines}\n:::\n")


# --------------------------------------------------------------------------- claims

# The verdicts of paper claims the dashboard counts, in chart order, with their fixed colours
# ("reference" rows are not paper claims and are not counted).
CHART_VERDICTS = {"reproduced": "#1b7837", "partly": "#a6dba0", "not reproduced": "#c2185b",
                  "inconclusive": "#f1b82d", "not comparable": "#8da0cb", "omitted": "#737373",
                  "not yet run": "#d9d9d9"}
DECIDING = ("reproduced", "partly", "not reproduced", "inconclusive")
"""Verdicts that decide a claim (the others say why there is no decision)."""


def _bounds(fields: dict) -> str:
    """``"[0.31, 0.55]"`` from a record's (or a part's) ``low`` and ``high``; "" without them."""
    if fields.get("low") is None or fields.get("high") is None:
        return ""
    return f"[{_cell(fields['low'])}, {_cell(fields['high'])}]"


def _sample(fields: dict) -> str:
    """``"24 images"`` from a record's (or a part's) ``n`` and ``n_of``; "" without ``n``."""
    if fields.get("n") is None:
        return ""
    return _cell(f"{fields['n']} {fields.get('n_of') or ''}".strip())


def _parts(rec: dict | None) -> dict:
    """The ``parts`` of a record judged by a compound rule ({} for any other record)."""
    parts = (rec or {}).get("parts")
    return parts if isinstance(parts, dict) else {}


def _per_part(rec: dict, show) -> str:
    """``show(rec)``, or for a record with ``parts`` one ``"name: show(part)"`` line per part
    joined by ``<br>``; "-" when empty."""
    if _parts(rec):
        return "<br>".join(f"{_cell(name)}: {show(p)}" for name, p in _parts(rec).items())
    return show(rec) or "-"


def _has_interval(rec: dict | None) -> bool:
    """Whether a record carries an interval (``low`` and ``high``, or ``parts``)."""
    return bool(_parts(rec)) or _bounds(rec or {}) != ""


def _ours_cell(rec: dict, limit: int | None = None) -> str:
    """A record's ``ours`` (cut to ``limit`` characters), followed by "; estimate 0.063" when ours is
    text and the record keeps the number its rule judged (``value``)."""
    ours = _cell(rec.get("ours"), limit)
    return f"{ours}; estimate {_cell(rec['value'])}" if "value" in rec else ours


def _ours(rec: dict) -> str:
    """Ours as the dashboard shows it: ``0.42 [0.31, 0.55], n = 24 images`` for one estimate,
    ``name: 0.42 [0.31, 0.55] (n 24) reproduced`` per part of a compound rule, ``text; estimate
    0.063 [0.029, 0.108], n = 12 images`` when ours is text, the recorded value (and unit) alone
    for a record without interval fields."""
    if _parts(rec):
        return _per_part(rec, lambda p: " ".join(filter(None, (
            _cell(p.get("value")), _bounds(p), f"(n {_cell(p['n'])})" if p.get("n") is not None else "",
            _cell(p.get("verdict"))))))
    text = " ".join(filter(None, (_ours_cell(rec, 90), _bounds(rec), _cell(rec["unit"]) if rec.get("unit") else "")))
    return text + (f", n = {_sample(rec)}" if _sample(rec) else "")


def claims_page(results_files: list[Path], profile_hint: str = "") -> str:
    """Markdown of the page of all records: one table per notebook, with each record's
    interval, n, full rule and note."""
    counts: dict[str, int] = {}
    sections = []
    for path in results_files:
        data = json.loads(path.read_text())
        claims = list(data.get("claims", {}).values())
        stem = path.name.removesuffix(".results.json")
        rows = ["| claim | ours | 95 % interval | n | paper | verdict | rule | profile | device | note |",
                "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for c in claims:
            counts[c.get("verdict", "?")] = counts.get(c.get("verdict", "?"), 0) + 1
            ours = _ours_cell(c) + (f" {_cell(c['unit'])}" if c.get("unit") else "")
            rows.append(f"| `{c.get('claim')}` | {ours} | {_per_part(c, _bounds)} | "
                        f"{_per_part(c, _sample)} | {_cell(c.get('paper'))} | "
                        f"{c.get('verdict')} | {_cell(c.get('rule'))} | {c.get('profile')} | "
                        f"{_cell(c.get('device'))} | {_cell(c.get('note', ''))} |")
        body = "\n".join(rows) if claims else "*No claims recorded.*"
        sections.append(f"## [{stem}]({stem}.ipynb)\n\n{body}\n")
    summary = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items())) or "none yet"
    head = ("# All recorded numbers\n\n"
            "Every number the notebooks reproduce, beside the paper's, as recorded by "
            "`axlib.results.record` in the `*.results.json` file next to each executed "
            f"notebook{profile_hint}, with the notebook's note on why they agree or differ. "
            "Nothing here is typed by hand; the landing page's dashboard sorts the same "
            "records by the papers' claims.\n\n"
            f"**Verdicts:** {summary}.\n")
    return head + "\n" + "\n".join(sections)


def _paper_label(key: str) -> str:
    """A paper's short name for the chart and the counts table (its title before " (")."""
    from axlib.companion.claims import PAPERS

    return PAPERS.get(key, key).split(" (")[0]


def verdict_counts(by_paper: dict[str, list]) -> dict[str, dict[str, int]]:
    """Per paper, its claims counted by verdict.

    Parameters
    ----------
    by_paper : dict of str to list of Row
        The first result of :func:`axlib.companion.claims.dashboard_rows`.

    Returns
    -------
    dict of str to dict of str to int
        ``{paper key: {verdict: count}}`` for the papers with rows, the verdicts in
        :data:`CHART_VERDICTS` order (one outside it, such as "reference", is not counted).
    """
    return {key: {v: sum(r.verdict == v for r in rows) for v in CHART_VERDICTS}
            for key, rows in by_paper.items() if rows}


def verdict_chart(counts: dict[str, dict[str, int]], path) -> Path:
    """Write the counts by verdict as an SVG bar chart (Agg canvas, no pyplot state).

    One horizontal stacked bar per paper, the verdicts in :data:`CHART_VERDICTS` order and
    colours. The file's bytes depend on the counts only (fixed hash salt, text kept as text,
    no date).

    Parameters
    ----------
    counts : dict of str to dict of str to int
        As :func:`verdict_counts` returns them.
    path : str or os.PathLike
        The SVG file to write (its folder is created).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import to_rgb
    from matplotlib.figure import Figure

    path = Path(path)
    labels = [textwrap.fill(_paper_label(key), 28) for key in counts]
    with matplotlib.rc_context({"svg.hashsalt": "axlib-verdicts", "svg.fonttype": "none"}):
        fig = Figure(figsize=(8, 1.4 + 0.7 * len(counts)), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        left = [0] * len(counts)
        for verdict, colour in CHART_VERDICTS.items():
            widths = [c[verdict] for c in counts.values()]
            bars = ax.barh(labels, widths, left=left, color=colour, edgecolor="white", label=verdict)
            ax.bar_label(bars, labels=[str(w) if w else "" for w in widths], label_type="center", fontsize=8,
                         color="white" if sum(to_rgb(colour)) < 1.5 else "black")
            left = [a + w for a, w in zip(left, widths)]
        ax.invert_yaxis()
        ax.set_xlabel("claims")
        fig.legend(ncols=len(CHART_VERDICTS), loc="outside lower center", frameon=False, fontsize=8)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return path


def _counts_table(counts: dict[str, dict[str, int]]) -> list[str]:
    """The lines of the Markdown table of :func:`verdict_counts` (the chart in text)."""
    lines = ["| paper | " + " | ".join(CHART_VERDICTS) + " | claims |",
             "| --- |" + " ---: |" * (len(CHART_VERDICTS) + 1)]
    for key, c in counts.items():
        lines.append(f"| {_cell(_paper_label(key))} | " + " | ".join(str(c[v]) for v in CHART_VERDICTS)
                     + f" | {sum(c.values())} |")
    return lines


def _dashboard_row(r) -> str:
    """One line of a dashboard table: claim (page), paper, ours with interval and n, rule,
    verdict, profile and device."""
    rec = r.record or {}
    if r.notebook:
        where = f"[{_short_id(r.notebook)}](notebooks/{r.notebook}.ipynb)"
    else:
        where = f"notebook {r.claim.notebook}" if r.claim else ""
    ident = f"`{r.id}` ({where})"
    claim = f"{_cell(r.claim.statement)} ({_cell(r.claim.where)}) <br>{ident}" if r.claim else ident
    paper = rec.get("paper") if rec.get("paper") not in (None, "") else (
        r.claim.paper_value if r.claim else None)
    paper = _cell(paper, 90) + (f" <br>(paper's n: {_cell(r.claim.n_paper)})" if r.claim and r.claim.n_paper else "")
    declared = r.claim.rule.text if r.claim is not None and r.claim.rule is not None else None
    rule = rec.get("rule") if r.record else declared
    verdict = f"**{r.verdict}**" if r.record else f"*{r.verdict}*"
    run = f"{_cell(rec.get('profile'))}, {_cell(rec.get('device'), 40)}" if r.record else "-"
    ours = _ours(rec) if r.record else "-"
    return f"| {claim} | {paper} | {ours} | {_cell(rule, 160)} | {verdict} | {run} |"


def _omitted_table(rows: list) -> list[str]:
    """The lines of the table of a paper's omitted claims (none: no lines)."""
    if not rows:
        return []
    return ["**Omitted claims**: no page records them; the reason says what is missing here and "
            "what would be needed.", "", "| claim | where | statement | reason |", "| --- | --- | --- | --- |",
            *(f"| `{r.id}` | {_cell(r.claim.where)} | {_cell(r.claim.statement)} | {_cell(r.claim.omitted)} |"
              for r in rows), ""]


def _decided_line(rows: list) -> str:
    """``"N rows decide a verdict; M carry an interval."`` for a paper's dashboard rows."""
    decide = sum(r.verdict in DECIDING for r in rows)
    carry = sum(_has_interval(r.record) for r in rows)
    return f"{decide} rows decide a verdict; {carry} carry an interval."


def dashboard(results_files: list[Path], runs_label: str = "", *, catalogue=None,
              chart=None) -> str:
    """Markdown of the landing page's claims dashboard (included by ``intro.md``; links are
    relative to the book's root).

    Parameters
    ----------
    results_files : list of pathlib.Path
        The ``*.results.json`` files of the run.
    runs_label : str, default ""
        The runs folder, as named in the text.
    catalogue : sequence of Claim, optional
        The claims (default :data:`axlib.companion.claims.CATALOGUE`).
    chart : pathlib.Path, optional
        Where to write the SVG chart of :func:`verdict_chart`, in the book's ``notebooks``
        folder (linked as ``notebooks/<name>``); None: the counts table only.

    Returns
    -------
    str
        The counts by verdict per paper (chart and table), then per paper its claims table,
        the number of rows that decide a verdict and carry an interval, and its omitted
        claims; then the records the catalogue does not list.
    """
    from axlib.companion.claims import PAPERS, dashboard_rows, load_records

    by_paper, others = dashboard_rows(load_records(results_files), catalogue)
    counts = verdict_counts(by_paper)
    header = ["| claim (page) | paper | ours [95 % interval], n | rule | verdict | profile, device |",
              "| --- | --- | --- | --- | --- | --- |"]
    parts = []
    if chart is not None and counts:
        verdict_chart(counts, chart)
        parts += [f"![Claims of each paper by verdict (the table below gives the numbers)]"
                  f"(notebooks/{Path(chart).name})", ""]
    parts += [*_counts_table(counts), ""]
    for key, title in PAPERS.items():
        rows = by_paper.get(key, [])
        if not rows:
            continue
        shown = [r for r in rows if r.verdict != "omitted"]
        table = [*header, *map(_dashboard_row, shown), ""] if shown else []
        parts += [f"### {title}", "", *table, _decided_line(rows), "",
                  *_omitted_table([r for r in rows if r.verdict == "omitted"])]
    if others:
        parts += ["### Other recorded numbers",
                  "", "Recorded by the notebooks but not claims of the catalogue "
                  "(model accuracies, reference measurements) or recorded under another id.", "",
                  *header, *map(_dashboard_row, others), ""]
    source = f" from `{runs_label}`" if runs_label else ""
    head = [f"Generated at build time{source}: one row per claim of the three papers "
            "(`axlib/papers/<paper>/claims.py`), with the paper's number, ours as recorded by the notebook "
            "(`*.results.json`) with its 95 % interval and sample size, the pre-registered rule that "
            "gives the verdict, and the profile and device it came from; *not yet run* where no "
            "notebook has recorded it, *omitted* (in a table of its own) where no page can. Full rules "
            "and notes on every number: [all recorded numbers](notebooks/claims.md).", ""]
    return "\n".join(head + parts)


# --------------------------------------------------------------------------- reproducibility

def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _card_summary(card: dict) -> tuple[str, str]:
    """(recipe text, accuracies text) of a model card, whatever keys it uses."""
    recipe = card.get("recipe")
    if isinstance(recipe, dict):
        recipe_text = ", ".join(f"{k}={v}" for k, v in recipe.items())
    elif recipe:
        recipe_text = str(recipe)
    else:
        recipe_text = "not trained here: " + str(card.get("conversion") or card.get("source") or "-")
    accuracies = [f"{k} {v:.4g}" for k, v in card.items()
                  if isinstance(v, (int, float)) and not isinstance(v, bool)
                  and re.search(r"acc|top1|top5|agreement", k)]
    return recipe_text, "; ".join(accuracies) or "-"


def environment_page(runs_dir: Path, sources: list[Path], book_dir: Path,
                     data_dir: Path | None = None) -> str:
    """Markdown of the reproducibility page (``notebooks/environment.md``)."""
    import platform

    data_dir = Path(data_dir) if data_dir is not None else repo_data_dir()
    out = ["# Reproducibility: environment, data, models", "",
           "Generated by `axlib book` when this book was built "
           f"({datetime.now(UTC).isoformat(timespec='minutes')}), from the executed "
           f"notebooks in `{runs_dir.name}`, their results and cache files, `data/MANIFEST.json` "
           "and the model cards in `data/models/`. Nothing on this page is typed by hand except "
           "the last section.", ""]

    out += ["## Software", "",
            f"Python {platform.python_version()} on {platform.system()} {platform.machine()} "
            "(the environment that built this book; the notebooks ran in the `axlib` kernel of "
            "the same environment).", "", "| package | version |", "| --- | --- |"]
    out += [f"| {name} | {_version(name)} |" for name in PACKAGES]
    recorded = set()
    for path in sorted(runs_dir.glob("*.results.json")):
        for rec in json.loads(path.read_text()).get("claims", {}).values():
            recorded.add((rec.get("python", "?"), rec.get("torch", "?")))
    if recorded:
        out += ["", "Versions recorded with the results (python, torch): "
                + ", ".join(f"{p} / {t}" for p, t in sorted(recorded)) + "."]

    caches = read_caches(runs_dir, extra=[])
    out += ["", "## Runs: parameters, seeds, devices, machines", "",
            "The parameters each page ran with (its `parameters` cell, overridden by what "
            "`axlib run` injected), the devices its results were recorded on, and the wall "
            "time, machine and date from the runner's cache.", "",
            "| page | parameters | seed | devices recorded | wall time | machine | finished |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for source in sources:
        executed = runs_dir / source.name
        values = {p["name"]: p["default"] for p in notebook_parameters(source)}
        values.update({k: repr(v) for k, v in _injected_parameters(executed).items()})
        results = runs_dir / f"{source.stem}.results.json"
        devices = sorted({rec.get("device", "?") for rec in json.loads(results.read_text())
                          .get("claims", {}).values()}) if results.is_file() else []
        entry = (caches.get(source.name) or [{}])[-1]
        wall = _duration(entry["wall_seconds"]) if "wall_seconds" in entry else "not recorded"
        shown = ", ".join(f"{k}={v}" for k, v in values.items())
        out.append(f"| [{_short_id(source.stem)}]({source.stem}.ipynb) | {_cell(shown)} | "
                   f"{_cell(values.get('seed', '-'))} | {_cell(', '.join(devices))} | {wall} | "
                   f"{_cell(entry.get('machine', 'not recorded'))} | "
                   f"{_cell(entry.get('finished', '-'))} |")

    out += ["", "## Models", "",
            "From the model cards in `data/models/` (each checkpoint's sha256 is verified before "
            "it is loaded).", "",
            "| model | what | recipe | accuracies (card) | training | sha256 |",
            "| --- | --- | --- | --- | --- | --- |"]
    for card_path in sorted((data_dir / "models").glob("*.json")):
        try:
            card = json.loads(card_path.read_text())
        except ValueError:
            continue
        recipe, accuracies = _card_summary(card)
        training = "-"
        if card.get("train_wall_seconds"):
            training = (f"{_duration(card['train_wall_seconds'])} on {card.get('train_device', '?')}"
                        f", {card.get('threads', '?')} threads, {card.get('machine', '')}")
        out.append(f"| `{card.get('name', card_path.stem)}` | {_cell(card.get('description'))} | "
                   f"{_cell(recipe, 400)} | {_cell(accuracies)} | {_cell(training)} | "
                   f"`{card.get('sha256', '-')}` |")

    out += ["", "## Data and checkpoints", "",
            "Every file shipped in `data/`, from `data/MANIFEST.json` (`axlib data verify` "
            "checks them).", ""]
    manifest_path = data_dir / "MANIFEST.json"
    files = json.loads(manifest_path.read_text()).get("files", {}) if manifest_path.is_file() else {}
    groups: dict[str, list] = {}
    for rel, entry in sorted(files.items()):
        groups.setdefault(str(Path(rel).parent) if "/" in rel else ".", []).append((rel, entry))
    table = ["| file | bytes | sha256 | licence |", "| --- | --- | --- | --- |"]
    for folder, items in groups.items():
        rows = [f"| `{rel}` | {entry.get('bytes', '-')} | `{entry.get('sha256', '-')}` | "
                f"{_cell(entry.get('licence'), 80)} |" for rel, entry in items]
        if len(items) > 12:
            out += [f"::::{{dropdown}} `{folder}/`: {len(items)} files", "", *table, *rows, "",
                    "::::", ""]
        else:
            out += [f"**`{folder}/`**" if folder != "." else "**`data/`**", "", *table, *rows, ""]
    if not files:
        out += ["*No manifest found.*", ""]

    out += ["## Known differences from the papers' setups", ""]
    snippet = book_dir / "_snippets" / "differences.md"
    out.append(snippet.read_text() if snippet.is_file() else "*(book/_snippets/differences.md "
                                                             "is missing)*")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- sources, build

def toc_parts(stems: list[str]) -> list[tuple[str, list[str]]]:
    """The notebooks grouped by paper, for the table of contents: ``[(caption, [stem, ...]), ...]``.

    A notebook belongs to the paper whose catalogue claims it records (the claims'
    ``notebook`` field is the stem's number, ``"04b"`` for ``04b_...``); one recording no
    catalogue claim (the models page) goes under "The shipped models". Papers keep the order
    of ``PAPERS``; notebooks keep file order within a paper.
    """
    from axlib.companion.claims import CATALOGUE, PAPERS

    owner = {}
    for claim in CATALOGUE:
        owner.setdefault(claim.notebook, []).append(claim.paper)
    groups: dict[str, list[str]] = {"models": []} | {key: [] for key in PAPERS}
    for stem in stems:
        papers = owner.get(stem.split("_", 1)[0], [])
        key = max(PAPERS, key=papers.count) if papers else "models"
        groups[key].append(stem)
    captions = {"models": "The shipped models", **PAPERS}
    return [(captions[key], found) for key, found in groups.items() if found]


def prepare_sources(runs_dir, book_dir=BOOK_DIR, notebooks_dir=None, *, extra_runs=None,
                    data_dir=None, allow_partial: bool = False) -> list[str]:
    """Copy executed notebooks and results into ``<book_dir>/notebooks``, generate the
    dashboard, the records page, the rerun boxes and the reproducibility page, and write
    ``<book_dir>/_toc.yml``. Returns the document names of the pages (without suffix).

    extra_runs: other run folders whose caches give expected times (default ``runs/*``);
    data_dir: the embedded data folder (default ``data/``); allow_partial: publish pages whose
    run is incomplete (:mod:`axlib.companion.completeness`) with a warning banner at their top
    instead of refusing.
    Raises FileNotFoundError when ``runs_dir`` is missing, lacks an executed copy of a
    notebook of ``notebooks_dir`` (default: the runner's notebooks folder), or lacks the
    results file of an executed notebook; ValueError naming each incomplete page and what it
    lacks, unless ``allow_partial``.
    """
    from axlib.companion.completeness import incomplete_pages
    from axlib.companion.runner import available_notebooks

    runs_dir, book_dir = Path(runs_dir).resolve(), Path(book_dir).resolve()
    if not runs_dir.is_dir():
        raise FileNotFoundError(f"runs folder {runs_dir} does not exist; run `axlib run` first")
    sources = available_notebooks(notebooks_dir)
    if not sources:
        raise FileNotFoundError("no notebooks to put in the book")
    missing = [p.name for p in sources if not (runs_dir / p.name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{runs_dir} lacks executed notebook(s) {', '.join(missing)}; run "
            f"`axlib run {' '.join(_short_id(Path(m).stem) for m in missing)} --out {runs_dir}` first")
    no_results = [p for p in sources if not (runs_dir / f"{p.stem}.results.json").is_file()]
    if no_results:
        raise FileNotFoundError(
            "executed notebook(s) without a results file in "
            f"{runs_dir}: {', '.join(p.stem + '.results.json' for p in no_results)}; every "
            "notebook must record its claims with axlib.results.record (rerun it with "
            f"`axlib run {' '.join(_short_id(p.stem) for p in no_results)} --force`)")
    incomplete = incomplete_pages(runs_dir, [p.stem for p in sources], {p.stem: p for p in sources})
    if incomplete and not allow_partial:
        pages = "; ".join(f"{stem}: {', '.join(problems)}" for stem, problems in incomplete.items())
        raise ValueError(
            f"incomplete run(s) in {runs_dir}, not published: {pages}. Rerun them with "
            f"`axlib run {' '.join(_short_id(s) for s in incomplete)} --force --out {runs_dir}` "
            "(or build anyway with --allow-partial, which marks those pages)")

    target = book_dir / "notebooks"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    caches = read_caches(runs_dir, extra_runs)
    results = []
    for source in sources:
        shutil.copy2(runs_dir / source.name, target / source.name)
        inject_after_title(target / source.name, rerun_box(source, caches.get(source.name, [])))
        if source.stem in incomplete:
            inject_after_title(target / source.name, partial_banner(incomplete[source.stem]))
        record = runs_dir / f"{source.stem}.results.json"
        shutil.copy2(record, target / record.name)
        results.append(target / record.name)
    label = runs_dir.name if runs_dir.parent.name != "runs" else f"runs/{runs_dir.name}"
    (target / "claims.md").write_text(claims_page(results, f" (runs folder `{label}`)"))
    (target / "_dashboard.md").write_text(dashboard(results, label, chart=target / "verdicts.svg"))
    (target / "environment.md").write_text(environment_page(runs_dir, sources, book_dir, data_dir))

    pages = ["notebooks/claims"] + [f"notebooks/{p.stem}" for p in sources]
    toc = ["# Written by axlib.companion.book (axlib book); do not edit by hand.",
           "format: jb-book", "root: intro", "parts:",
           "- caption: Results", "  chapters:", "  - file: notebooks/claims"]
    for caption, stems in toc_parts([p.stem for p in sources]):
        toc += [f"- caption: {json.dumps(caption)}", "  chapters:"] + [f"  - file: notebooks/{stem}" for stem in stems]
    toc += ["- caption: Rerun it", "  chapters:", "  - file: reproduce",
            "  - file: notebooks/environment", "  - file: api", "  - file: references", ""]
    (book_dir / "_toc.yml").write_text("\n".join(toc))
    return ["intro", *pages, "reproduce", "notebooks/environment", "api", "references"]


def build_book(runs_dir=None, out_dir=None, *, book_dir=BOOK_DIR, notebooks_dir=None,
               quiet: bool = True, extra_runs=None, data_dir=None, allow_partial: bool = False) -> Path:
    """Build the HTML book; returns the html folder (``<out_dir>/html``).

    runs_dir: executed notebooks (default ``runs/default``); out_dir: build folder (default
    ``<book_dir>/_build``); book_dir: the Jupyter Book sources (``_config.yml``, ``intro.md``,
    ``reproduce.md``); extra_runs, data_dir, allow_partial: see :func:`prepare_sources`. Raises
    FileNotFoundError for missing sources, runs or results files, ValueError for incomplete
    runs (unless ``allow_partial``), and RuntimeError with the
    Sphinx log when the build fails, reports an error, or leaves a page of the table of
    contents without HTML.
    """
    runs_dir = Path(runs_dir) if runs_dir is not None else REPO_ROOT / "runs" / "default"
    book_dir = Path(book_dir).resolve()
    out_dir = Path(out_dir if out_dir is not None else book_dir / "_build").resolve()
    for required in ("_config.yml", "intro.md", "reproduce.md", "api.md", "references.md"):
        if not (book_dir / required).is_file():
            raise FileNotFoundError(f"book source {book_dir / required} is missing")
    pages = prepare_sources(runs_dir, book_dir, notebooks_dir, extra_runs=extra_runs,
                            data_dir=data_dir, allow_partial=allow_partial)
    html = out_dir / "html"
    if html.exists():
        shutil.rmtree(html)
    out_dir.mkdir(parents=True, exist_ok=True)

    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _BUILD_SCRIPT, str(book_dir), str(html),
         (book_dir / "_toc.yml").as_posix()],
        capture_output=True, text=True, cwd=book_dir)
    wall = time.perf_counter() - start
    log = proc.stdout + proc.stderr
    (out_dir / "build.log").write_text(log)
    errors = [line for line in log.splitlines() if _SPHINX_ERROR.search(line)]
    missing = [page for page in pages if not (html / f"{page}.html").is_file()]
    if proc.returncode != 0 or errors or missing:
        problems = []
        if proc.returncode != 0:
            problems.append(f"Sphinx exited with status {proc.returncode}")
        if errors:
            problems.append("Sphinx reported errors:\n  " + "\n  ".join(errors[:20]))
        if missing:
            problems.append(f"pages without HTML: {', '.join(missing)}")
        tail = "\n".join(log.splitlines()[-25:])
        raise RuntimeError("book build failed: " + "; ".join(problems)
                           + f"\n--- last lines of {out_dir / 'build.log'} ---\n{tail}")
    warnings = [line for line in log.splitlines() if "WARNING" in line]
    if not quiet:
        for line in warnings:
            print(line, file=sys.stderr)
    print(f"book built in {wall:.1f} s: {len(pages)} pages, {len(warnings)} Sphinx warning(s)"
          f" -> {html / 'index.html'}")
    return html


def book_cli(args) -> int:
    """``axlib book``: build the HTML book; 0 on success, 1 when the build fails or its
    inputs (runs, results files, book sources) are missing or incomplete."""
    try:
        build_book(args.runs, args.out, quiet=False, allow_partial=args.allow_partial)
    except (RuntimeError, FileNotFoundError, ValueError) as error:
        print(f"axlib book: {error}", file=sys.stderr)
        return 1
    return 0
