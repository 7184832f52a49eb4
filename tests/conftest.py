"""Shared fixtures: every notebook executed once under the smoke profile, and the book built
from those runs. Both are session-scoped and slow (seconds per notebook), run by default."""
from __future__ import annotations

import shutil

import pytest

from axlib.companion.book import BOOK_DIR, build_book
from axlib.companion.runner import available_notebooks, run_notebooks

NOTEBOOKS = [p.name for p in available_notebooks()]


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Every test runs with one torch thread: on a 2-core CPU shared with other jobs, two
    threads per process made small attacks and explanations up to 30x slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def smoke_runs(tmp_path_factory):
    """Run every notebook in notebooks/ with profile smoke into a temporary folder.

    Returns (out_dir, {notebook file name: RunResult}). A failing notebook does not stop
    the others (keep_going), so each notebook's test reports its own failure.
    """
    out = tmp_path_factory.mktemp("runs-smoke")
    results = run_notebooks(None, "smoke", {}, out, force=True, keep_going=True)
    return out, {r.notebook: r for r in results}


@pytest.fixture(scope="session")
def smoke_book(smoke_runs, tmp_path_factory):
    """Build the book from the smoke runs into a temporary folder, from a copy of book/ so
    the repository's book/notebooks and book/_toc.yml are left alone.

    Returns (html_dir, build_dir, seconds). Fails the dependent tests if any notebook failed.
    """
    import time

    runs, results = smoke_runs
    failed = [name for name, r in results.items() if not r.ok]
    if failed:
        pytest.fail(f"cannot build the book: notebook(s) failed under smoke: {', '.join(failed)}")
    root = tmp_path_factory.mktemp("book")
    source = root / "book"
    shutil.copytree(BOOK_DIR, source, ignore=shutil.ignore_patterns("_build", "notebooks", "_toc.yml"))
    start = time.perf_counter()
    html = build_book(runs, root / "_build", book_dir=source)
    return html, root / "_build", time.perf_counter() - start
