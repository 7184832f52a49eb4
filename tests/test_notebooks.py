"""Every notebook runs top to bottom under the smoke profile and records its results."""
import json

import nbformat
import pytest
from conftest import NOTEBOOKS

pytestmark = pytest.mark.slow


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no *.ipynb"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_under_smoke(smoke_runs, name):
    out, results = smoke_runs
    result = results[name]
    assert result.status == "ran", f"{name}: {result.status}\n{result.error}"
    executed = nbformat.read(out / name, as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and 'profile = "smoke"' in injected[0].source, "smoke profile not injected"
    errors = [o for c in executed.cells if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{name} has error outputs: {[e.get('ename') for e in errors]}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_records_results(smoke_runs, name):
    out, results = smoke_runs
    stem = name.removesuffix(".ipynb")
    path = out / f"{stem}.results.json"
    assert path.is_file(), (f"{name} wrote no {path.name}: every notebook must call "
                            "axlib.results.record for the claims it reproduces")
    data = json.loads(path.read_text())
    assert data.get("claims"), f"{path.name} records no claims"
    profiles = {record.get("profile") for record in data["claims"].values()}
    assert "smoke" in profiles, (f"{path.name}: no claim recorded under the smoke profile "
                                 f"(got {profiles}); pass profile=profile to record()")
