"""Build the static HTML book from executed notebooks (Jupyter Book 1.x, offline).

    axlib book [--runs DIR] [--out DIR]

Copies the notebooks executed by ``axlib run`` (default ``runs/default``) and their
``*.results.json`` into ``book/notebooks/``, writes a claims dashboard page from those
results and ``book/_toc.yml`` (intro, claims, the notebooks in file order, reproduce), then
runs Jupyter Book's Sphinx build with notebook execution off. HTML lands in ``<out>/html``
(default ``book/_build/html``). The build fails on a Sphinx error, and when a page that the
table of contents lists has no HTML file; other Sphinx warnings are printed, not fatal.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .paths import REPO_ROOT

BOOK_DIR = REPO_ROOT / "book"
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


def _title(notebook: Path) -> str:
    """The first markdown heading of a notebook, else its stem."""
    for cell in json.loads(notebook.read_text()).get("cells", []):
        if cell.get("cell_type") == "markdown":
            source = "".join(cell.get("source", ""))
            match = re.search(r"^#\s+(.+)$", source, re.M)
            if match:
                return match.group(1).strip()
    return notebook.stem


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:.4g}"
    elif isinstance(value, (list, tuple)) and len(value) > 6:
        text = f"[{', '.join(map(str, value[:6]))}, ...]"
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def claims_page(results_files: list[Path], profile_hint: str = "") -> str:
    """Markdown of the claims dashboard: one table of records per notebook."""
    counts: dict[str, int] = {}
    sections = []
    for path in results_files:
        data = json.loads(path.read_text())
        claims = list(data.get("claims", {}).values())
        stem = path.name.removesuffix(".results.json")
        rows = ["| claim | ours | paper | verdict | profile | note |",
                "| --- | --- | --- | --- | --- | --- |"]
        for c in claims:
            counts[c.get("verdict", "?")] = counts.get(c.get("verdict", "?"), 0) + 1
            ours = _cell(c.get("ours")) + (f" {c['unit']}" if c.get("unit") else "")
            rows.append(f"| `{c.get('claim')}` | {ours} | {_cell(c.get('paper'))} | "
                        f"{c.get('verdict')} | {c.get('profile')} | {_cell(c.get('note', ''))} |")
        body = "\n".join(rows) if claims else "*No claims recorded.*"
        sections.append(f"## [{stem}]({stem}.ipynb)\n\n{body}\n")
    summary = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items())) or "none yet"
    head = ("# Claims dashboard\n\n"
            "Every number the notebooks reproduce, beside the paper's, as recorded by "
            "`axlib.results.record` in the `*.results.json` file next to each executed "
            f"notebook{profile_hint}. Nothing here is typed by hand.\n\n"
            f"**Verdicts:** {summary}.\n")
    return head + "\n" + "\n".join(sections)


def prepare_sources(runs_dir, book_dir=BOOK_DIR, notebooks_dir=None) -> list[str]:
    """Copy executed notebooks and results into ``<book_dir>/notebooks`` and write
    ``<book_dir>/_toc.yml``. Returns the document names of the pages (without suffix).

    Raises FileNotFoundError when ``runs_dir`` is missing or lacks an executed copy of a
    notebook of ``notebooks_dir`` (default: the runner's notebooks folder).
    """
    from .runner import available_notebooks

    runs_dir, book_dir = Path(runs_dir).resolve(), Path(book_dir).resolve()
    if not runs_dir.is_dir():
        raise FileNotFoundError(f"runs folder {runs_dir} does not exist; run `axlib run` first")
    sources = available_notebooks(notebooks_dir)
    missing = [p.name for p in sources if not (runs_dir / p.name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"{runs_dir} lacks executed notebook(s) {', '.join(missing)}; run "
            f"`axlib run {' '.join(Path(m).stem for m in missing)} --out {runs_dir}` first")
    if not sources:
        raise FileNotFoundError("no notebooks to put in the book")

    target = book_dir / "notebooks"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    results = []
    for source in sources:
        shutil.copy2(runs_dir / source.name, target / source.name)
        record = runs_dir / f"{source.stem}.results.json"
        if record.is_file():
            shutil.copy2(record, target / record.name)
            results.append(target / record.name)
    hint = f" (runs folder `{runs_dir.name}`)"
    (target / "claims.md").write_text(claims_page(results, hint))

    pages = ["notebooks/claims"] + [f"notebooks/{p.stem}" for p in sources]
    toc = ["# Written by axlib.book (axlib book); do not edit by hand.",
           "format: jb-book", "root: intro", "parts:",
           "- caption: Results", "  chapters:", "  - file: notebooks/claims",
           "- caption: Notebooks", "  chapters:"]
    toc += [f"  - file: {page}" for page in pages[1:]]
    toc += ["- caption: Rerun it", "  chapters:", "  - file: reproduce", ""]
    (book_dir / "_toc.yml").write_text("\n".join(toc))
    return ["intro", *pages, "reproduce"]


def build_book(runs_dir=None, out_dir=None, *, book_dir=BOOK_DIR, notebooks_dir=None,
               quiet: bool = True) -> Path:
    """Build the HTML book; returns the html folder (``<out_dir>/html``).

    runs_dir: executed notebooks (default ``runs/default``); out_dir: build folder (default
    ``<book_dir>/_build``); book_dir: the Jupyter Book sources (``_config.yml``, ``intro.md``,
    ``reproduce.md``). Raises RuntimeError with the Sphinx log when the build fails, reports
    an error, or leaves a page of the table of contents without HTML.
    """
    runs_dir = Path(runs_dir) if runs_dir is not None else REPO_ROOT / "runs" / "default"
    book_dir = Path(book_dir).resolve()
    out_dir = Path(out_dir if out_dir is not None else book_dir / "_build").resolve()
    for required in ("_config.yml", "intro.md", "reproduce.md"):
        if not (book_dir / required).is_file():
            raise FileNotFoundError(f"book source {book_dir / required} is missing")
    pages = prepare_sources(runs_dir, book_dir, notebooks_dir)
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
    """``axlib book``: build the HTML book; 0 on success, 1 when the build fails."""
    try:
        build_book(args.runs, args.out, quiet=False)
    except RuntimeError as error:
        print(f"axlib book: {error}", file=sys.stderr)
        return 1
    return 0
