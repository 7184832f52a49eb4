"""The conda/Binder environment and the package pins agree, and the pins are what runs."""
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _pyproject_pins() -> dict[str, str]:
    project = PYPROJECT["project"]
    pins = {}
    for requirement in project["dependencies"]:
        name, _, pinned = requirement.partition("==")
        pins[name.strip().lower()] = pinned.strip()
    return pins


def test_every_dependency_is_pinned_exactly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    loose = [r for r in project["dependencies"] if "==" not in r]
    assert not loose, f"unpinned dependencies: {loose}"


def test_environment_yml_agrees_with_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    env_pins = {}
    for line in pip_section:
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==(\S+)", line)
        if match:
            env_pins[match.group(1).lower()] = match.group(2)
    assert env_pins == _pyproject_pins()
    assert "python=3.11" in env["dependencies"]


def test_installed_versions_match_the_pins():
    mismatched = {name: (pin, version(name)) for name, pin in _pyproject_pins().items()
                  if version(name) != pin}
    assert not mismatched, f"installed versions differ from pins (pin, installed): {mismatched}"


def test_torchattacks_is_not_installed():
    import importlib.util
    assert importlib.util.find_spec("torchattacks") is None, "torchattacks breaks Sphinx via its requests pin"


def test_one_repository_url_version_and_licence_for_citation_book_and_package():
    """CITATION.cff, the book's launch buttons and the package metadata name the same
    repository and version; the licence file is the MIT licence pyproject declares."""
    import axlib

    project = PYPROJECT["project"]
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    book = yaml.safe_load((ROOT / "book" / "_config.yml").read_text())
    url = project["urls"]["Repository"]
    assert citation["repository-code"] == url == book["repository"]["url"]
    assert citation["version"] == axlib.__version__ == version("axai-companion")
    assert project["license"]["text"] == citation["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert (ROOT / "axlib" / "py.typed").is_file()
