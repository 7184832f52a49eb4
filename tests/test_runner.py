"""The runner's cache: a notebook reruns only when what it used changed (the notebook, its
parameters, the axlib modules it imported, the data files it read or the folders it listed),
and it warns loudly when a notebook writes no results file.

Kernel runs use tiny notebooks in a temporary folder; the traced data root is a temporary
folder too (``runner.trace_roots`` is patched), so nothing in the repository is touched.
"""
import json
import os
from pathlib import Path

import nbformat
import pytest

from axlib.companion import runner


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "axlib", "display_name": "axlib", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}"),
                nbformat.v4.new_code_cell('profile = "default"  # smoke | default | paper',
                                          metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, str(path))
    return path


RECORD = ("import axlib\n"
          "axlib.results.record('test.tiny', ours=1, paper=1, verdict='reference', "
          "profile=profile)")


# ---------------------------------------------------------------- pure functions

def test_read_trace_parses_lines_and_needs_the_start_marker(tmp_path):
    path = tmp_path / "trace.txt"
    path.write_text("start\nimport axlib\nimport axlib.stats\nread /d/a.npz\nread /d/a.npz\n"
                    "list /d\nnoise line\n")
    assert runner.read_trace(path) == {"modules": ["axlib", "axlib.stats"],
                                       "reads": ["/d/a.npz"], "lists": ["/d"]}
    path.write_text("import axlib\n")                  # the hook never started
    assert runner.read_trace(path) is None
    assert runner.read_trace(tmp_path / "absent.txt") is None


def test_module_file_resolves_modules_and_packages():
    assert runner.module_file("axlib") == runner.PACKAGE_DIR / "__init__.py"
    assert runner.module_file("axlib.companion.runner") == runner.PACKAGE_DIR / "companion" / "runner.py"
    assert runner.module_file("axlib.explain.axai") == runner.PACKAGE_DIR / "explain" / "axai.py"
    assert runner.module_file("axlib.no_such_module") is None
    with pytest.raises(ValueError, match="axlib module"):
        runner.module_file("numpy")


def test_traced_hash_follows_only_the_traced_modules_and_files(tmp_path):
    nb = _notebook(tmp_path / "01_x.ipynb", "x = 1")
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("one")
    trace = {"modules": ["axlib._util.paths"], "reads": [str(data / "a.txt")], "lists": [str(data)]}
    sources = {"axlib/_util/paths.py": "p1", "axlib/companion/book.py": "b1"}
    base = runner.content_hash(nb, {"profile": "smoke"}, trace, sources)
    # a module the notebook did not import does not matter; one it imported does
    assert base == runner.content_hash(nb, {"profile": "smoke"}, trace, dict(sources, **{"axlib/companion/book.py": "b2"}))
    assert base != runner.content_hash(nb, {"profile": "smoke"}, trace, dict(sources, **{"axlib/_util/paths.py": "p2"}))
    # the file it read, by content; the folder it listed, by its names
    (data / "a.txt").write_text("two")
    changed = runner.content_hash(nb, {"profile": "smoke"}, trace, sources)
    assert changed != base
    (data / "b.txt").write_text("new file")
    assert runner.content_hash(nb, {"profile": "smoke"}, trace, sources) != changed
    # without a trace: the conservative hash of every source, still deterministic
    assert runner.content_hash(nb, {"profile": "smoke"}) == runner.content_hash(nb, {"profile": "smoke"})


def test_source_snapshot_covers_the_package():
    snapshot = runner.source_snapshot()
    assert "axlib/companion/runner.py" in snapshot and "axlib/__init__.py" in snapshot
    assert all(len(v) == 64 for v in snapshot.values())


# ---------------------------------------------------------------- kernel runs

@pytest.fixture
def traced(tmp_path, monkeypatch):
    """A notebooks folder, a traced data root and an output folder."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "table.txt").write_text("1 2 3")
    monkeypatch.setattr(runner, "trace_roots", lambda: [data])
    folder = tmp_path / "notebooks"
    folder.mkdir()
    return folder, data, tmp_path / "out"


@pytest.mark.slow
def test_cache_reruns_only_when_used_data_changes(traced):
    folder, data, out = traced
    _notebook(folder / "01_reads.ipynb",
              f"import os\nimport axlib._util.paths\nvalues = open({str(data / 'table.txt')!r}).read()\n"
              f"names = os.listdir({str(data)!r})",
              RECORD)
    first = runner.run_notebooks(["01"], "smoke", out=out, folder=folder)[0]
    assert first.status == "ran", first.error
    assert not first.warning
    entry = json.loads((out / runner.CACHE_FILE).read_text())["01_reads.ipynb"]
    assert "axlib._util.paths" in entry["trace"]["modules"]
    assert "axlib.companion.runner" not in entry["trace"]["modules"]      # not imported by the notebook
    assert entry["trace"]["reads"] == [str(data / "table.txt")]
    assert entry["trace"]["lists"] == [str(data)]
    assert entry["machine"] and entry["wall_seconds"] > 0

    assert runner.run_notebooks(["01"], "smoke", out=out, folder=folder)[0].status == "cached"
    (data / "unrelated-but-listed.txt").write_text("x")          # the listing changed
    assert runner.run_notebooks(["01"], "smoke", out=out, folder=folder)[0].status == "ran"
    assert runner.run_notebooks(["01"], "smoke", out=out, folder=folder)[0].status == "cached"
    (data / "table.txt").write_text("1 2 4")                     # the file it read changed
    assert runner.run_notebooks(["01"], "smoke", out=out, folder=folder)[0].status == "ran"
    assert runner.run_notebooks(["01"], "smoke", out=out, folder=folder, force=True)[0].status == "ran"


def test_missing_results_file_is_a_loud_warning(traced):
    folder, _, out = traced
    _notebook(folder / "02_silent.ipynb", "x = 1")
    result = runner.run_notebooks(["02"], "smoke", out=out, folder=folder)[0]
    assert result.status == "ran"
    assert "WARNING: 02_silent.ipynb wrote no 02_silent.results.json" in result.warning
    cached = runner.run_notebooks(["02"], "smoke", out=out, folder=folder)[0]
    assert cached.status == "cached" and "wrote no" in cached.warning


def test_kernels_start_with_the_allocator_settings_unless_the_caller_sets_them(traced, monkeypatch):
    """Notebook kernels get MALLOC_ENV (the batched attacks' page faults, issue 21); a value
    the caller's environment already sets is kept."""
    from axlib.companion.environ import MALLOC_ENV

    folder, _, out = traced
    expected = {key: str(value) for key, value in MALLOC_ENV.items()}
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "12345")
    expected["MALLOC_TRIM_THRESHOLD_"] = "12345"
    _notebook(folder / "03_env.ipynb",
              f"import os\nseen = {{k: os.environ.get(k) for k in {sorted(expected)!r}}}\n"
              f"assert seen == {expected!r}, seen", RECORD)
    result = runner.run_notebooks(["03"], "smoke", out=out, folder=folder)[0]
    assert result.status == "ran", result.error
    assert "MALLOC_MMAP_THRESHOLD_" not in os.environ          # this process's environment is put back


def test_pages_run_without_progress_bars_or_the_iprogress_warning(traced):
    """A page's kernel has tqdm's bars off (TQDM_DISABLE) and no 'IProgress not found'
    warning from tqdm.auto; the executed copy holds no stream output from either."""
    import nbformat

    folder, _, out = traced
    _notebook(folder / "04_bars.ipynb",
              "import os\nfrom tqdm.auto import tqdm\nfor _ in tqdm(range(3)):\n    pass\n"
              "assert os.environ['TQDM_DISABLE'] == '1'", RECORD)
    result = runner.run_notebooks(["04"], "smoke", out=out, folder=folder)[0]
    assert result.status == "ran", result.error
    executed = nbformat.read(str(out / "04_bars.ipynb"), as_version=4)
    streams = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream"]
    assert streams == []
    assert "TQDM_DISABLE" not in os.environ


def test_a_page_is_stale_once_what_it_used_changes(traced):
    """completeness.stale_problems: current right after its run; stale once the notebook or a
    data file it read changes; no record for a page the cache does not know."""
    from axlib.companion.completeness import stale_problems

    folder, data, out = traced
    source = _notebook(folder / "05_reads.ipynb", f"values = open({str(data / 'table.txt')!r}).read()", RECORD)
    assert runner.run_notebooks(["05"], "smoke", out=out, folder=folder)[0].status == "ran"
    assert stale_problems(out, source) == []
    (data / "table.txt").write_text("changed")
    assert stale_problems(out, source) == ["its notebook, parameters, axlib code or data changed since it ran"]
    assert stale_problems(out, folder / "06_never.ipynb") == [".axlib-cache.json holds no record of a finished run of it"]


def test_cli_processes_get_the_allocator_settings_by_mallopt(monkeypatch):
    """glibc reads MALLOC_* only at start-up, so the CLI's own process applies them by mallopt;
    a caller who set either variable keeps glibc's reading of it."""
    import platform

    from axlib.companion.environ import apply_malloc_settings

    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    assert apply_malloc_settings() is (platform.system() == "Linux" and platform.libc_ver()[0] == "glibc")
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    assert apply_malloc_settings() is False
