"""The package's three layers: core never imports papers or companion; a paper package never
imports another paper's, and of the companion only the scale-out, claims, rules and results it runs
its grids and declares its claims with (README, "Layout")."""
from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "axlib"
ENTRY_POINTS = {"__init__.py", "__main__.py"}      # the package's front door re-exports companion names
PAPER_MAY_USE = ("axlib.companion.scaleout", "axlib.companion.claims", "axlib.companion.results",
                 "axlib.companion.rules")


def paper_may_use(target: str) -> bool:
    """``from axlib.companion import scaleout`` names both ``axlib.companion`` and ``...scaleout``."""
    return target == "axlib.companion" or any(target == m or target.startswith(m + ".") for m in PAPER_MAY_USE)


def module_name(path: Path) -> str:
    parts = ("axlib", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every axlib module a file imports, at top level or inside functions, relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}   # from axlib import papers
    return {m for m in found if m == "axlib" or m.startswith("axlib.")}


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] == "companion":
        return "companion"
    if len(parts) > 2 and parts[1] == "papers":
        return f"papers.{parts[2]}"
    if len(parts) > 1 and parts[1] == "papers":
        return "papers"
    return "core"


def violations(files) -> list[str]:
    found = []
    for path in files:
        if path.relative_to(PACKAGE).as_posix() in ENTRY_POINTS:
            continue
        own = layer(module_name(path))
        for target in sorted(imported_modules(path)):
            other = layer(target)
            if own == "core" and other != "core":
                found.append(f"{module_name(path)} (core) imports {target}")
            elif own.startswith("papers.") and other.startswith("papers.") and other != own:
                found.append(f"{module_name(path)} ({own}) imports another paper's {target}")
            elif own.startswith("papers.") and other == "companion" and not paper_may_use(target):
                found.append(f"{module_name(path)} ({own}) imports the companion's {target}")
    return found


def test_layers_are_kept():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 40
    bad = violations(files)
    assert not bad, "layer violations:\n" + "\n".join(bad)


@pytest.mark.parametrize("where, source, expected", [
    ("segment.py", "from axlib.papers.axai import distributions\n", "segment (core) imports axlib.papers.axai"),
    ("models/lenet.py", "from ..companion import results\n", "axlib.models.lenet (core) imports axlib.companion"),
    ("explain/axai.py", "def f():\n    import axlib.companion.runner\n", "imports axlib.companion.runner"),
    ("papers/exiaa/grid.py", "from axlib.papers.robust import study\n", "imports another paper's axlib.papers.robust"),
    ("papers/axai/x.py", "from axlib.companion import runner\n", "imports the companion's axlib.companion.runner"),
])
def test_a_violation_is_found(tmp_path, monkeypatch, where, source, expected):
    """The checker sees top-level, relative and function-level imports across layers."""
    fake = tmp_path / "axlib" / where
    fake.parent.mkdir(parents=True)
    fake.write_text(source)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "axlib")
    bad = violations([fake])
    assert bad and expected in bad[0]


def test_allowed_imports_pass(tmp_path, monkeypatch):
    for where, source in [("papers/axai/a.py", "from axlib import attacks\nfrom axlib.companion import scaleout\n"),
                          ("companion/b.py", "from axlib.papers.robust import study\n"),
                          ("explain/c.py", "from . import axai\nfrom ..data import cifar\n")]:
        fake = tmp_path / "axlib" / where
        fake.parent.mkdir(parents=True, exist_ok=True)
        fake.write_text(source)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "axlib")
    assert violations(sorted((tmp_path / "axlib").rglob("*.py"))) == []
