"""The conda/Binder environment and the package pins agree, and the pins are what runs."""
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
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
