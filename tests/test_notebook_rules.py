"""Notebooks are narrative, parameters and calls: no definitions, no verdict typed in a page, no
number quoted from a paper, at most 120 code lines a page (non-blank, non-comment)."""
from __future__ import annotations

import importlib
import io
import json
import tokenize
from pathlib import Path

import pytest

from axlib._util.quotes import Quoted
from axlib.companion.results import VERDICTS

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
MAX_CODE_LINES = 120


def code_cells(path: Path) -> list[tuple[list[str], str]]:
    """(tags, source) of each code cell but the Colab install cell (machinery the book hides)."""
    cells = json.loads(path.read_text())["cells"]
    return [(c.get("metadata", {}).get("tags", []), "".join(c["source"])) for c in cells
            if c["cell_type"] == "code" and "colab-install" not in c.get("metadata", {}).get("tags", [])]


def code_lines(source: str) -> list[str]:
    return [line for line in source.splitlines() if line.strip() and not line.strip().startswith("#")]


def tokens(source: str):
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return list(tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline))


def paper_numbers() -> set[float]:
    """Numbers quoted by the papers that a page could copy: non-integers and integers above 10."""
    found = set()

    def walk(value):
        if isinstance(value, Quoted):
            walk(value.value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if value != int(value) or abs(value) > 10:
                found.add(float(value))
    for paper in ("axai", "robust", "exiaa"):
        module = importlib.import_module(f"axlib.papers.{paper}.paper")
        walk([v for k, v in vars(module).items() if not k.startswith("_")])
    return found


def problems(path: Path, quoted: set[float]) -> list[str]:
    found = []
    cells = code_cells(path)
    n = sum(len(code_lines(src)) for _, src in cells)
    if n > MAX_CODE_LINES:
        found.append(f"{n} code lines (at most {MAX_CODE_LINES})")
    for tags, source in cells:
        if "parameters" in tags or "injected-parameters" in tags:
            continue
        for line in code_lines(source):
            if line.lstrip().startswith(("def ", "class ", "async def ")):
                found.append(f"a definition: {line.strip()[:60]}")
        for tok in tokens(source):
            if tok.type == tokenize.STRING:
                try:
                    value = eval(tok.string, {})       # a plain literal: the string it spells
                except Exception:                      # f-strings and the like are not verdicts
                    continue
                if value in VERDICTS:
                    found.append(f"a verdict typed in the page: {tok.string} (line {tok.start[0]})")
            elif tok.type == tokenize.NUMBER:
                try:
                    number = float(tok.string.replace("_", ""))
                except ValueError:
                    continue
                if number in quoted:
                    found.append(f"a number quoted from a paper: {tok.string} (line {tok.start[0]})")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_narrative_parameters_and_calls(path):
    found = problems(path, paper_numbers())
    assert not found, f"{path.name}:\n" + "\n".join(found)


def test_the_rules_can_fail(tmp_path):
    page = {"cells": [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": ["profile = 'default'\n"]},
        {"cell_type": "code", "metadata": {}, "source": ["def helper():\n", "    return 1\n"]},
        {"cell_type": "code", "metadata": {}, "source": ["rec.record('x', 1, verdict='partly' if ok else 'reproduced')\n"]},
        {"cell_type": "code", "metadata": {}, "source": ["paper_counts = (73, 81)\n"]},
        {"cell_type": "code", "metadata": {}, "source": ["x = 1\n"] * 121}]}
    path = tmp_path / "99_bad.ipynb"
    path.write_text(json.dumps(page))
    found = "\n".join(problems(path, {73.0, 81.0}))
    for expected in ("code lines", "a definition", "'partly'", "'reproduced'", "73", "81"):
        assert expected in found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_declares_the_standard_python3_kernel(path):
    """Jupyter, Binder and Colab open a page in the kernel every installation has ("python3");
    `axlib run` chooses its own ("axlib", the project's venv) explicitly."""
    assert json.loads(path.read_text())["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_valid_nbformat_with_cell_ids(path):
    """Every cell carries an id (nbformat 4.5; a missing one is a warning now, an error later)."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    assert all(cell.get("id") for cell in nb.cells)


def test_every_page_opens_with_the_same_colab_install_cell_hidden_in_the_book():
    """Colab has no axlib: a page's first cell clones the repository named in pyproject.toml (its
    one URL) and installs it; the cell is identical on every page and removed from the book."""
    import tomllib

    url = tomllib.loads((NOTEBOOKS[0].parents[1] / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    firsts = [json.loads(path.read_text())["cells"][0] for path in NOTEBOOKS]
    for path, cell in zip(NOTEBOOKS, firsts, strict=True):
        assert cell["cell_type"] == "code", path.name
        assert {"colab-install", "remove-cell"} <= set(cell["metadata"]["tags"]), path.name
        source = "".join(cell["source"])
        assert f"git clone -q --depth 1 {url} " in source and 'find_spec("axlib") is None' in source, path.name
        assert source == "".join(firsts[0]["source"]), f"{path.name}: another Colab cell than {NOTEBOOKS[0].name}"
