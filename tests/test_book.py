"""The HTML book: built from the smoke runs, one page per notebook, and every page checked
in headless Chromium (loads, images render, internal links resolve, no error outputs)."""
from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import NOTEBOOKS

from axlib.companion.claims import CATALOGUE

CHROMIUM = Path(os.environ.get("AXLIB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
# Remote assets a page may ask for: none. MathJax too is served from the book's _static
# (sphinx-mathjax-offline), so math renders offline.
ALLOWED_REMOTE = ()


def test_book_has_a_page_per_notebook(smoke_book):
    html, build, seconds = smoke_book
    print(f"book built in {seconds:.1f} s -> {html}")
    for page in ("index.html", "intro.html", "reproduce.html", "notebooks/claims.html"):
        assert (html / page).is_file(), f"missing {page}"
    for name in NOTEBOOKS:
        page = html / "notebooks" / name.replace(".ipynb", ".html")
        assert page.is_file(), f"no HTML page for {name}"
        assert "cell_output" in page.read_text() or "output" in page.read_text()
        assert "git clone" not in page.read_text(), f"{name}: the Colab install cell shows in the book"
    toc = (build.parent / "book" / "_toc.yml").read_text()
    positions = {n: toc.index(f"notebooks/{n.removesuffix('.ipynb')}") for n in NOTEBOOKS}
    assert toc.index("file: notebooks/claims") < min(positions.values()) < toc.index("file: reproduce")
    # grouped by paper: AXAI's pages (07 included) come before the robust study's and EXIAA's
    axai = toc.index("caption: \"AXAI")
    assert axai < positions["07_speech_text.ipynb"] < toc.index("caption: \"How explainable")
    assert toc.index("caption: \"How explainable") < positions["05_robust_study.ipynb"] < toc.index("caption: \"EXIAA")


def test_claims_dashboard_lists_every_recorded_claim(smoke_book, smoke_runs):
    import json

    html, _, _ = smoke_book
    runs, _ = smoke_runs
    landing = (html / "intro.html").read_text()
    records = (html / "notebooks" / "claims.html").read_text()
    for path in runs.glob("*.results.json"):
        for claim in json.loads(path.read_text())["claims"]:
            assert claim in landing, f"claim {claim} of {path.name} missing from the dashboard"
            assert claim in records, f"claim {claim} of {path.name} missing from the records page"
    for claim in CATALOGUE:
        assert claim.id in landing, f"catalogue claim {claim.id} missing from the dashboard"


@pytest.mark.slow
def test_recorded_paper_claims_are_in_the_catalogue(smoke_runs):
    """A number recorded as a verdict on a paper's claim must match a catalogue id exactly,
    or the dashboard would show it twice (as "not yet run" and as "other")."""
    import json

    runs, _ = smoke_runs
    known = {c.id for c in CATALOGUE}
    stray = sorted(f"{path.name}: {claim}" for path in runs.glob("*.results.json")
                   for claim, rec in json.loads(path.read_text())["claims"].items()
                   if rec.get("verdict") != "reference" and claim not in known)
    assert not stray, ("recorded verdicts whose id is not in axlib/claims.py CATALOGUE (add the "
                       "claim there, or use the catalogue's id in the notebook):\n  " + "\n  ".join(stray))


# ---------------------------------------------------------------- the claims catalogue

def test_catalogue_ids_follow_the_convention():
    import re

    from axlib.companion.claims import PAPERS

    pattern = re.compile(r"^(axai|robust|exiaa|speech|text|c4)(\.[A-Za-z0-9_]+)+$")
    ids = [c.id for c in CATALOGUE]
    assert len(ids) == len(set(ids)), "duplicate claim ids"
    for c in CATALOGUE:
        assert pattern.match(c.id), c.id
        assert c.paper in PAPERS and c.statement and c.paper_value and c.where
    for paper in PAPERS:
        assert sum(c.paper == paper for c in CATALOGUE) >= 5, f"too few claims of {paper}"


def test_dashboard_rows_match_exact_ids_and_lose_nothing():
    from axlib.companion.claims import Claim, dashboard_rows

    catalogue = (Claim("axai.a.cifar10", "axai", "3.2", "a", "1", "02"),
                 Claim("axai.b", "axai", "3.3", "b", "2", "03"),
                 Claim("exiaa.c", "exiaa", "4", "c", "3", "06"))
    records = {"axai.a.cifar10": ("02_x", {"verdict": "partly", "ours": 1}),
               "axai.a.cifar": ("02_x", {"verdict": "reproduced"}),       # near miss: not matched
               "models.acc": ("00_m", {"verdict": "reference"})}
    by_paper, others = dashboard_rows(records, catalogue)
    assert [(r.id, r.verdict) for r in by_paper["axai"]] == [("axai.a.cifar10", "partly"),
                                                           ("axai.b", "not yet run")]
    assert [(r.id, r.verdict) for r in by_paper["exiaa"]] == [("exiaa.c", "not yet run")]
    assert by_paper["robust"] == []
    assert [r.id for r in others] == ["models.acc", "axai.a.cifar"]  # notebook order, then id
    with pytest.raises(ValueError, match="duplicate"):
        dashboard_rows({}, catalogue + catalogue[:1])


def test_records_of_one_claim_in_two_notebooks_are_refused(tmp_path):
    import json

    from axlib.companion.claims import load_records

    for stem in ("01_a", "02_b"):
        (tmp_path / f"{stem}.results.json").write_text(json.dumps(
            {"notebook": stem, "claims": {"axai.same": {"verdict": "partly"}}}))
    with pytest.raises(ValueError, match="axai.same.*01_a.*02_b"):
        load_records(sorted(tmp_path.glob("*.results.json")))


def _tiny_book(tmp_path):
    """A copy of book/ plus one unexecuted notebook standing in for a run (execution is off)."""
    import nbformat

    from axlib.companion.book import BOOK_DIR

    book = tmp_path / "book"
    shutil.copytree(BOOK_DIR, book, ignore=shutil.ignore_patterns("_build", "notebooks", "_toc.yml"))
    nbdir, runs = tmp_path / "notebooks", tmp_path / "runs"
    nbdir.mkdir()
    runs.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny"),
                nbformat.v4.new_code_cell('profile = "smoke"', metadata={"tags": ["parameters"]})]
    nbformat.write(nb, str(nbdir / "01_tiny.ipynb"))
    nbformat.write(nb, str(nbdir / "02_second.ipynb"))
    shutil.copy(nbdir / "01_tiny.ipynb", runs / "01_tiny.ipynb")
    _results(runs, "01_tiny", {"axai.skew_share.cifar10": "reproduced", "extra.not_in_catalogue": "partly"})
    return book, nbdir, runs


def _results(runs, stem, verdicts, extra=None):
    """A results file as axlib.results.record writes it; ``extra``: {claim: more record fields}
    (interval fields, rule, unit), as a judged record holds them. Returns its path."""
    import json

    claims = {c: {"claim": c, "ours": 0.5, "paper": 0.25, "unit": "", "verdict": v,
                  "note": "", "profile": "smoke", "device": "cpu (test)", **(extra or {}).get(c, {})}
              for c, v in verdicts.items()}
    path = runs / f"{stem}.results.json"
    path.write_text(json.dumps({"notebook": stem, "claims": claims}))
    return path


# ---------------------------------------------------------------- dashboard: counts, intervals, omitted

_PART = {"value": 0.42, "low": 0.31, "high": 0.55, "n": 24, "n_of": "images", "verdict": "reproduced"}


def _dashboard_case(tmp_path):
    """A synthetic catalogue (AXAI: reproduced with an interval, inconclusive with parts, not yet
    run with a long rule, omitted; EXIAA: an old record without interval fields, a reference) and
    its results file. Returns (results files, catalogue, the long rule)."""
    from axlib.companion.claims import claim, omitted
    from axlib.companion.rules import AtLeast

    rule = AtLeast("share of images", 0.3, 0.2, why="the paper's spread over seeds " * 6, min_n=10)
    catalogue = (claim("axai.one", "Table 1", "one holds", "0.4", "01", rule=rule),
                 claim("axai.two", "Table 2", "two holds", "0.5", "01"),
                 claim("axai.three", "Fig. 3", "three holds", "0.6", "02", rule=rule),
                 omitted("axai.four", "Table 9", "four holds", "0.7", "needs ImageNet-21k | its weights"),
                 claim("exiaa.old", "Sec. 4", "old holds", "1", "01"),
                 claim("exiaa.ref", "Sec. 5", "ref holds", "2", "01"))
    extra = {"axai.one": {"ours": 0.42, "low": 0.31, "high": 0.55, "n": 24, "n_of": "images", "rule": rule.text},
             "axai.two": {"rule": "two parts", "parts": {"drop": _PART, "gain": {
                 "value": 0.1, "low": 0.05, "high": 0.2, "n": 24, "n_of": "images", "verdict": "inconclusive"}}},
             "exiaa.old": {"ours": 0.5, "unit": "%"}}
    path = _results(tmp_path, "01_x", {"axai.one": "reproduced", "axai.two": "inconclusive",
                                       "exiaa.old": "not comparable", "exiaa.ref": "reference",
                                       "models.acc": "reference"}, extra)
    return [path], catalogue, rule


def _table_line(markdown: str, claim_id: str) -> str:
    """The one line of ``markdown`` that shows ``claim_id`` in a table."""
    lines = [line for line in markdown.splitlines() if f"`{claim_id}`" in line]
    assert len(lines) == 1, lines
    return lines[0]


def test_dashboard_counts_verdicts_per_paper(tmp_path):
    from axlib.companion.book import CHART_VERDICTS, dashboard, verdict_counts
    from axlib.companion.claims import dashboard_rows, load_records

    files, catalogue, _ = _dashboard_case(tmp_path)
    counts = verdict_counts(dashboard_rows(load_records(files), catalogue)[0])
    assert list(counts) == ["axai", "exiaa"]                        # robust has no rows
    assert list(counts["axai"]) == list(CHART_VERDICTS)
    assert counts["axai"] == {"reproduced": 1, "partly": 0, "not reproduced": 0, "inconclusive": 1,
                              "not comparable": 0, "omitted": 1, "not yet run": 1}
    assert sum(counts["exiaa"].values()) == 1                       # the reference is not counted
    text = dashboard(files, catalogue=catalogue)
    assert ("| paper | reproduced | partly | not reproduced | inconclusive | not comparable | omitted "
            "| not yet run | claims |") in text
    assert "| AXAI | 1 | 0 | 0 | 1 | 0 | 1 | 1 | 4 |" in text
    assert "| EXIAA: Explainable Injections for Adversarial Attack | 0 | 0 | 0 | 0 | 1 | 0 | 0 | 1 |" in text
    assert "2 rows decide a verdict; 2 carry an interval." in text  # AXAI
    assert "0 rows decide a verdict; 0 carry an interval." in text  # EXIAA
    assert "![" not in text                                          # no chart asked for


def test_dashboard_shows_interval_n_and_rule_of_an_estimate_and_of_parts(tmp_path):
    from axlib.companion.book import claims_page, dashboard

    files, catalogue, rule = _dashboard_case(tmp_path)
    text = dashboard(files, catalogue=catalogue)
    one = _table_line(text, "axai.one")
    assert "| 0.25 | 0.42 [0.31, 0.55], n = 24 images | share of images >= 0.3: reproduced;" in one
    assert one.endswith("| **reproduced** | smoke, cpu (test) |")
    shown_rule = one.split(" | ")[3]
    assert len(shown_rule) <= 160 and shown_rule.endswith("…") and rule.text.startswith(shown_rule[:-1])
    assert ("| drop: 0.42 [0.31, 0.55] (n 24) reproduced<br>gain: 0.1 [0.05, 0.2] (n 24) inconclusive "
            "| two parts | **inconclusive** |") in _table_line(text, "axai.two")
    three = _table_line(text, "axai.three")                         # not yet run: the declared rule
    assert "| - | share of images >= 0.3: reproduced;" in three and "| *not yet run* | - |" in three
    records = claims_page(files)
    assert ("| `axai.one` | 0.42 | [0.31, 0.55] | 24 images | 0.25 | reproduced | "
            f"{rule.text} | smoke |") in records
    assert ("| drop: [0.31, 0.55]<br>gain: [0.05, 0.2] | drop: 24 images<br>gain: 24 images | 0.25 | "
            "inconclusive | two parts |") in _table_line(records, "axai.two")


def test_dashboard_renders_a_record_without_interval_fields(tmp_path):
    from axlib.companion.book import claims_page, dashboard

    files, catalogue, _ = _dashboard_case(tmp_path)
    old = _table_line(dashboard(files, catalogue=catalogue), "exiaa.old")
    assert "| 0.25 | 0.5 % | - | **not comparable** | smoke, cpu (test) |" in old and "n =" not in old
    assert "| `exiaa.old` | 0.5 % | - | - | 0.25 | not comparable | - | smoke |" in claims_page(files)


def test_a_record_whose_ours_is_text_keeps_and_shows_the_judged_value(tmp_path, monkeypatch):
    from axlib.companion import results
    from axlib.companion.book import _ours, claims_page
    from axlib.companion.rules import Estimate

    monkeypatch.setenv("AXLIB_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("AXLIB_NOTEBOOK", "01_test")
    rec = results.recorder("smoke")
    estimate = Estimate.mean([0.01, 0.03, 0.05, 0.07, 0.09, 0.11])
    text = rec.judge("axai.quickshift.lambda_counts", estimate, ours="a 71->70, b 60->64")
    assert text["value"] == estimate.value and text["ours"] == "a 71->70, b 60->64"
    assert _ours(text).startswith("a 71->70, b 60->64; estimate 0.06 [")
    assert "| a 71->70, b 60->64; estimate 0.06 | [" in claims_page([results.results_path()])
    number = rec.judge("axai.quickshift.lambda_counts", estimate)
    assert "value" not in number and number["ours"] == estimate.value        # ours is the value: not twice
    assert "| 0.06 | [" in claims_page([results.results_path()])


def test_dashboard_lists_omitted_claims_in_their_own_table(tmp_path):
    from axlib.companion.book import dashboard

    files, catalogue, _ = _dashboard_case(tmp_path)
    text = dashboard(files, catalogue=catalogue)
    assert (_table_line(text, "axai.four")
            == "| `axai.four` | Table 9 | four holds | needs ImageNet-21k \\| its weights |")
    header = text.index("| claim | where | statement | reason |")
    assert text.index("`axai.three`") < text.index("2 rows decide") < header < text.index("`axai.four`")
    assert header < text.index("### EXIAA")                         # under its own paper


def test_dashboard_writes_a_deterministic_svg_chart(tmp_path):
    from axlib.companion.book import dashboard

    files, catalogue, _ = _dashboard_case(tmp_path)
    chart = tmp_path / "notebooks" / "verdicts.svg"
    text = dashboard(files, catalogue=catalogue, chart=chart)
    assert "](notebooks/verdicts.svg)" in text
    assert text.index("](notebooks/verdicts.svg)") < text.index("| AXAI | 1 |")  # the table under it
    svg = chart.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert ">not comparable<" in svg and ">EXIAA: Explainable<" in svg   # text kept as text
    assert "<dc:date>" not in svg
    first = chart.read_bytes()
    dashboard(files, catalogue=catalogue, chart=chart)
    assert chart.read_bytes() == first


def test_book_refuses_runs_missing_a_notebook(tmp_path):
    from axlib.companion.book import build_book

    book, nbdir, runs = _tiny_book(tmp_path)
    with pytest.raises(FileNotFoundError, match="lacks executed notebook.*02_second.ipynb"):
        build_book(runs, tmp_path / "_build", book_dir=book, notebooks_dir=nbdir)


def test_book_refuses_a_notebook_without_results_file(tmp_path):
    from axlib.companion.book import build_book

    book, nbdir, runs = _tiny_book(tmp_path)
    (nbdir / "02_second.ipynb").unlink()
    (runs / "01_tiny.results.json").unlink()
    with pytest.raises(FileNotFoundError, match="without a results file.*01_tiny.results.json"):
        build_book(runs, tmp_path / "_build", book_dir=book, notebooks_dir=nbdir)


def test_book_refuses_an_unexecuted_notebook_and_names_what_is_missing(tmp_path):
    from axlib.companion.book import build_book

    book, nbdir, runs = _tiny_book(tmp_path)
    (nbdir / "02_second.ipynb").unlink()
    with pytest.raises(ValueError, match=r"01_tiny: it was never executed by `axlib run`.*catalogue claims "
                                         r"were not recorded.*axlib run 01 --force"):
        build_book(runs, tmp_path / "_build", book_dir=book, notebooks_dir=nbdir)
    assert not (tmp_path / "_build" / "html").exists()


def _executed(cells: int, done: int, error: bool = False, profile: str = "default") -> dict:
    """An executed notebook as papermill leaves it: ``done`` of ``cells`` code cells completed,
    the next one raising when ``error`` (the rest pending)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {"parameters": {"profile": profile}, "exception": error or None}
    for i in range(cells):
        status = "completed" if i < done or (error and i == done) else "pending"
        cell = nbformat.v4.new_code_cell(f"x = {i}", metadata={"papermill": {"status": status}})
        if error and i == done:
            cell.outputs = [nbformat.v4.new_output("error", ename="KeyboardInterrupt", evalue="", traceback=[])]
        nb.cells.append(cell)
    return nb


@pytest.mark.parametrize("case, expected", [
    ((15, 15), []),
    ((15, 5), ["10 of 15 code cells did not complete"]),
    ((15, 5, True), ["papermill recorded an exception", "9 of 15 code cells did not complete",
                     "1 code cell(s) raised an error"]),
])
def test_notebook_problems_reads_papermill_metadata(tmp_path, case, expected):
    import nbformat

    from axlib.companion.completeness import notebook_problems

    nbformat.write(_executed(*case), str(tmp_path / "x.ipynb"))
    assert notebook_problems(tmp_path / "x.ipynb") == expected


def test_incomplete_pages_checks_claims_and_one_profile(tmp_path):
    import nbformat

    from axlib.companion.claims import CATALOGUE
    from axlib.companion.completeness import incomplete_pages

    page_01 = [c.id for c in CATALOGUE if c.notebook == "01" and not c.omitted]
    for stem, profile in (("01_a", "default"), ("02_b", "default"), ("03_c", "smoke")):
        nbformat.write(_executed(3, 3, profile=profile), str(tmp_path / f"{stem}.ipynb"))
    _results(tmp_path, "01_a", dict.fromkeys(page_01, "reproduced"),
             {c: {"profile": "default"} for c in page_01})
    _results(tmp_path, "02_b", {}, {})
    _results(tmp_path, "03_c", {}, {})
    found = incomplete_pages(tmp_path, ["01_a", "02_b", "03_c"])
    assert "01_a" not in found                           # complete: every claim of page 01, one profile
    assert found["02_b"][0].startswith(f"{sum(c.notebook == '02' and not c.omitted for c in CATALOGUE)} of its")
    assert found["03_c"][0] == "it ran under profile smoke, the other pages under default"
    _results(tmp_path, "01_a", dict.fromkeys(page_01, "reproduced"))       # records say smoke
    assert found != incomplete_pages(tmp_path, ["01_a"]) and "profile(s) smoke" in \
        incomplete_pages(tmp_path, ["01_a"])["01_a"][0]


@pytest.mark.slow
def test_book_refuses_a_run_that_stopped_midway(tmp_path, monkeypatch):
    """A page whose run stopped at a failing cell (after recording a claim) is refused by name."""
    import nbformat

    from axlib.companion import runner
    from axlib.companion.book import build_book

    book, nbdir, runs = _tiny_book(tmp_path)
    (nbdir / "02_second.ipynb").unlink()
    nb = nbformat.read(str(nbdir / "01_tiny.ipynb"), as_version=4)
    nb.metadata["kernelspec"] = {"name": "axlib", "display_name": "axlib", "language": "python"}
    nb.cells += [nbformat.v4.new_code_cell(
                     "import axlib\naxlib.results.record('extra.tiny', ours=1, paper=1, verdict='reference', "
                     "profile=profile)"),
                 nbformat.v4.new_code_cell("raise KeyboardInterrupt"), nbformat.v4.new_code_cell("y = 2")]
    nbformat.write(nb, str(nbdir / "01_tiny.ipynb"))
    monkeypatch.setattr(runner, "trace_roots", lambda: [tmp_path])
    result = runner.run_notebooks(["01"], "smoke", out=runs, folder=nbdir, force=True)[0]
    assert result.status == "failed" and (runs / "01_tiny.results.json").is_file()
    with pytest.raises(ValueError, match=r"01_tiny: papermill recorded an exception, 2 of 5 code cells did "
                                         r"not complete, 1 code cell\(s\) raised an error"):
        build_book(runs, tmp_path / "_build", book_dir=book, notebooks_dir=nbdir)


def test_tiny_book_has_dashboard_rerun_box_and_environment_page(tmp_path):
    """Built from one unexecuted notebook and a hand-made results file: the generated parts
    are where they belong, and a claim without a record reads "not yet run"."""
    import json

    from axlib.companion.book import build_book

    book, nbdir, runs = _tiny_book(tmp_path)
    (nbdir / "02_second.ipynb").unlink()
    (runs / ".axlib-cache.json").write_text(json.dumps({"01_tiny.ipynb": {
        "wall_seconds": 123.0, "profile": "smoke", "parameters": {"profile": "smoke"},
        "hash": "0" * 64, "finished": "2030-01-02T03:04:05+00:00", "machine": "test machine"}}))
    html = build_book(runs, tmp_path / "_build", book_dir=book, notebooks_dir=nbdir, extra_runs=[],
                      allow_partial=True)
    landing = (html / "intro.html").read_text()
    assert "axai.skew_share.cifar10" in landing and "reproduced" in landing
    assert "axai.skew_share.imagenet" in landing and "not yet run" in landing
    assert "extra.not_in_catalogue" in landing             # recorded, not catalogued: still shown
    assert re.search(r'<img [^>]*src="_images/verdicts\.svg"', landing)  # the chart resolves
    assert "<svg" in (html / "_images" / "verdicts.svg").read_text()
    assert "rows decide a verdict" in landing
    page = (html / "notebooks" / "01_tiny.html").read_text()
    text = re.sub(r"<[^>]+>", "", page)                     # code is split into highlighted spans
    assert "Rerun this page" in text and "axlib run 01 --profile default" in text
    assert "Incomplete run" in text and "never executed by" in text      # --allow-partial marks the page
    assert "2.0 min" in text and "test machine" in text and "not measured" in text
    assert "mybinder.org" in page and "colab.research.google.com" in page
    assert "_sources/notebooks/01_tiny.ipynb" in page      # the download button
    env = (html / "notebooks" / "environment.html").read_text()
    from axlib._util.paths import repo_data_dir

    manifest = json.loads((repo_data_dir() / "MANIFEST.json").read_text())["files"]
    some_file, entry = sorted(manifest.items())[0]
    assert entry["sha256"] in env
    for card in sorted((repo_data_dir() / "models").glob("*.json")):
        assert json.loads(card.read_text())["name"] in env
    assert "torchvision" in env and "Known differences" in env and "JPEG" in env


def test_parameters_cell_is_read_with_its_comments(tmp_path):
    import nbformat

    from axlib.companion.book import notebook_parameters

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        'profile = "default"   # smoke | default | paper\n'
        'n_images = None       # images, 1..2000\n'
        '                      #   (None: the profile decides)\n'
        'seed = 0\n', metadata={"tags": ["parameters"]})]
    nbformat.write(nb, str(tmp_path / "x.ipynb"))
    assert notebook_parameters(tmp_path / "x.ipynb") == [
        {"name": "profile", "default": '"default"', "comment": "smoke | default | paper"},
        {"name": "n_images", "default": "None",
         "comment": "images, 1..2000 (None: the profile decides)"},
        {"name": "seed", "default": "0", "comment": ""}]
    nb.cells[0].metadata = {}
    nbformat.write(nb, str(tmp_path / "x.ipynb"))
    with pytest.raises(ValueError, match="parameters"):
        notebook_parameters(tmp_path / "x.ipynb")


def test_every_page_lists_the_parameters_papermill_accepts():
    """The rerun box (book.notebook_parameters) and ``axlib run -p`` (papermill's
    inspect_notebook) read the same names from every page's parameters cell."""
    import papermill

    from axlib.companion.book import notebook_parameters
    from axlib.companion.runner import available_notebooks

    for notebook in available_notebooks():
        boxed = [p["name"] for p in notebook_parameters(notebook)]
        assert boxed == list(papermill.inspect_notebook(str(notebook))), notebook.name


def test_expected_times_prefer_plain_recent_runs():
    from axlib.companion.book import expected_times

    entries = [
        {"profile": "smoke", "parameters": {"profile": "smoke"}, "wall_seconds": 5, "finished": "2030-01-01"},
        {"profile": "smoke", "parameters": {"profile": "smoke"}, "wall_seconds": 7, "finished": "2030-01-02"},
        {"profile": "smoke", "parameters": {"profile": "smoke", "seed": 1}, "wall_seconds": 9, "finished": "2030-01-03"},
        {"profile": "paper", "parameters": {"profile": "paper", "device": "cuda"}, "wall_seconds": 60, "finished": "2030-01-01"},
    ]
    chosen = expected_times(entries)
    assert chosen["smoke"]["wall_seconds"] == 7           # newest without -p overrides
    assert chosen["default"] is None                       # "not measured"
    assert chosen["paper"]["wall_seconds"] == 60           # only an override run: shown as such


def test_book_build_fails_on_sphinx_errors(tmp_path):
    from axlib.companion.book import build_book

    book, nbdir, runs = _tiny_book(tmp_path)
    (nbdir / "02_second.ipynb").unlink()
    with (book / "reproduce.md").open("a") as f:
        f.write("\n```{no-such-directive}\n```\n")
    with pytest.raises(RuntimeError, match="Unknown directive type"):
        build_book(runs, tmp_path / "_build", book_dir=book, notebooks_dir=nbdir, allow_partial=True)


# ---------------------------------------------------------------- browser check

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install it with `apt-get install chromium` "
                    "(Debian/Ubuntu) to run the browser check of the book")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def _serve(root: Path):
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _local_file(root: Path, base: str, href: str) -> Path | None:
    """The file an internal link points to, or None for an external link."""
    if not href.startswith(base):
        return None
    path = unquote(urlsplit(href).path).lstrip("/")
    target = root / path
    return target / "index.html" if (not path or path.endswith("/")) else target


_REFRESH = re.compile(r'http-equiv="Refresh" content="\d+;\s*url=([^"]+)"', re.I)


def check_page(page, root: Path, base: str, url: str) -> list[str]:
    """Open url; return the problems found (empty list: the page is fine)."""
    problems, remote, js_errors = [], [], []
    source = root / unquote(urlsplit(url).path).lstrip("/")
    redirect = _REFRESH.search(source.read_text()) if source.is_file() else None
    if redirect:                      # a redirect stub (index.html): its target must exist
        target = (source.parent / redirect.group(1)).resolve()
        return [] if target.is_file() else [f"redirects to missing {redirect.group(1)}"]

    def route(r):
        if r.request.url.startswith(base) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            remote.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda error: js_errors.append(str(error)))
    response = page.goto(url, wait_until="load")
    if response is None or not response.ok:
        return [f"did not load (status {response.status if response else 'none'})"]
    if not page.title():
        problems.append("page has no title")
    broken = page.evaluate("""() => Array.from(document.images)
        .filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src'))""")
    problems += [f"image does not render: {src}" for src in broken]
    hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
    for href in sorted(set(hrefs)):
        target = _local_file(root, base, href)
        if target is not None and not target.is_file():
            problems.append(f"broken internal link: {href}")
    errors = page.evaluate("""() => Array.from(document.querySelectorAll(
        '.output.traceback, .output.error, .output .ansi-red-fg'))
        .map(e => e.innerText.slice(0, 200))""")
    problems += [f"error output shown: {text!r}" for text in errors]
    if "Traceback (most recent call last)" in page.inner_text("body"):
        problems.append("traceback text on the page")
    problems += [f"remote request: {u}" for u in remote if not u.startswith(ALLOWED_REMOTE)]
    problems += [f"JavaScript error: {e}" for e in js_errors]
    page.unroute("**/*")
    return problems


def test_checker_finds_broken_pages(browser, tmp_path):
    """The page check itself can fail: a page with a broken image, a dead link, a traceback
    and a remote script is reported on every count."""
    (tmp_path / "ok.png").write_bytes(b"not a png")
    (tmp_path / "bad.html").write_text(
        "<html><head><title>bad</title><script src='https://example.org/x.js'></script></head>"
        "<body><img src='ok.png'><a href='missing.html'>dead</a><a href='bad.html'>self</a>"
        "<div class='output traceback'>ZeroDivisionError</div></body></html>")
    server, base = _serve(tmp_path)
    try:
        page = browser.new_page()
        problems = check_page(page, tmp_path, base, f"{base}/bad.html")
        page.close()
    finally:
        server.shutdown()
    text = "\n".join(problems)
    assert "image does not render: ok.png" in text
    assert "broken internal link" in text and "missing.html" in text
    assert "bad.html" not in text.replace("/bad.html", "")  # the valid self-link is fine
    assert "error output shown" in text
    assert "remote request: https://example.org/x.js" in text


@pytest.mark.slow
def test_every_page_in_chromium(smoke_book, browser):
    html, build, _ = smoke_book
    pages = sorted(p for p in html.rglob("*.html")
                   if not p.relative_to(html).parts[0].startswith("_"))   # _static templates
    assert any(p.name == "intro.html" for p in pages)
    server, base = _serve(html)
    report = {}
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for path in pages:
            rel = path.relative_to(html).as_posix()
            found = check_page(page, html, base, f"{base}/{rel}")
            if found:
                report[rel] = found
        page.goto(f"{base}/intro.html", wait_until="load")
        rows = page.evaluate("""() => Array.from(document.querySelectorAll('table')).filter(
            t => t.innerText.includes('verdict') || t.innerText.includes('reason'))
            .reduce((n, t) => n + t.tBodies[0].rows.length, 0)""")     # claims and omitted claims
        if rows < len(CATALOGUE):
            report["intro.html (dashboard)"] = [f"dashboard has {rows} rows, catalogue {len(CATALOGUE)}"]
        page.goto(f"{base}/index.html", wait_until="load")
        page.screenshot(path=str(build / "landing.png"), full_page=True)
        for name in NOTEBOOKS:
            page.goto(f"{base}/notebooks/{name.replace('.ipynb', '.html')}", wait_until="load")
            box = page.locator(".admonition", has_text="Rerun this page")
            launch = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"
                                   ".filter(h => h.includes('mybinder.org') || h.includes('colab.research'))")
            if box.count() != 1 or len(launch) < 2:
                report[name] = [f"rerun box x{box.count()}, launch links {len(launch)}"]
        if NOTEBOOKS:
            first = NOTEBOOKS[0].replace(".ipynb", ".html")
            page.goto(f"{base}/notebooks/{first}", wait_until="load")
            page.screenshot(path=str(build / "notebook.png"), full_page=True)
        math_page = "notebooks/01_quickshift.html"          # λ and τ in its text
        if (html / math_page).is_file():
            page.goto(f"{base}/{math_page}", wait_until="networkidle")
            page.wait_for_selector("article mjx-container", state="attached", timeout=15_000)
            rendered = page.locator("article mjx-container").count()
            raw = page.evaluate(r"() => /\\(tau|lambda)/.test(document.body.innerText)")   # TeX source left
            if not rendered or raw:
                report[math_page] = [f"math not rendered: {rendered} MathJax containers, raw TeX shown: {raw}"]
            page.locator("article mjx-container").first.scroll_into_view_if_needed()
            page.screenshot(path=str(build / "math.png"))
        page.close()
    finally:
        server.shutdown()
    print(f"checked {len(pages)} pages; screenshots in {build}")
    assert not report, "\n".join(f"{rel}:\n  " + "\n  ".join(p) for rel, p in report.items())
    assert (build / "landing.png").stat().st_size > 10_000
    assert (build / "notebook.png").stat().st_size > 10_000
    assert not (html / "notebooks" / "01_quickshift.html").is_file() or (build / "math.png").stat().st_size > 10_000


def test_toc_groups_pages_by_the_paper_whose_claims_they_record():
    from axlib.companion.book import toc_parts

    parts = dict(toc_parts(["00_models", "01_quickshift", "05_robust_study", "06_exiaa", "07_speech_text"]))
    assert parts["The shipped models"] == ["00_models"]
    assert [stems for caption, stems in parts.items() if caption.startswith("AXAI")] == [["01_quickshift", "07_speech_text"]]
    assert [stems for caption, stems in parts.items() if caption.startswith("EXIAA")] == [["06_exiaa"]]
    assert list(parts)[0] == "The shipped models"
