"""The package's ranges, the tested versions (requirements.in), the hashed lock, the conda/Binder
environment and what is installed agree; `import axlib` and AXAI need no extra."""
import re
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
UNLOCKED_EXTRAS = ("lab",)   # JupyterLab: installed on first `make lab`, not by `make install`


def _declared() -> dict[str, Requirement]:
    """Every requirement of pyproject.toml (core and extras but `lab`), self-references left out."""
    project = PYPROJECT["project"]
    lines = list(project["dependencies"])
    for extra, requirements in project["optional-dependencies"].items():
        if extra not in UNLOCKED_EXTRAS:
            lines += requirements
    requirements = [Requirement(line) for line in lines]
    return {r.name.lower(): r for r in requirements if r.name != project["name"]}


def _pins(path: Path) -> dict[str, str]:
    """name -> version of every ``name==version`` line of a requirements file."""
    return {name.lower(): pinned for name, pinned in
            re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+?)(?:\s|$)", path.read_text(), re.M)}


def test_the_tested_versions_lie_in_the_declared_ranges():
    declared, tested = _declared(), _pins(ROOT / "requirements.in")
    assert sorted(tested) == sorted(declared), "requirements.in and pyproject.toml name other packages"
    outside = {name: (str(declared[name].specifier), pinned) for name, pinned in tested.items()
               if pinned not in declared[name].specifier}
    assert not outside, f"tested versions outside pyproject's ranges (range, version): {outside}"
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"
    assert not [r for r in PYPROJECT["project"]["dependencies"] if "==" in r], "core dependencies are ranges"


def test_the_lock_pins_every_package_with_hashes_and_agrees_with_requirements_in():
    text = (ROOT / "requirements.lock").read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9])", text)   # one entry: a pin, its hashes and its "via" lines
    locked = _pins(ROOT / "requirements.lock")
    assert len(locked) > 100
    for entry in entries:
        if re.match(r"[A-Za-z0-9_.\-]+==", entry):
            assert "--hash=sha256:" in entry, f"no hash in the lock for: {entry.splitlines()[0]}"
    tested = _pins(ROOT / "requirements.in")
    differs = {name: (pinned, locked.get(name)) for name, pinned in tested.items() if locked.get(name) != pinned}
    assert not differs, f"requirements.in and the lock differ (in, lock): {differs}"
    assert "--index-url" not in text and "--find-links" not in text, "the lock names no machine's index"


def test_installed_versions_match_the_lock():
    mismatched = {name: (pinned, version(name)) for name, pinned in _pins(ROOT / "requirements.lock").items()
                  if version(name) != pinned}
    assert not mismatched, f"installed versions differ from the lock (lock, installed): {mismatched}"


def test_environment_yml_installs_the_tested_versions_with_cpu_torch():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in env["dependencies"]
    assert pip_section == ["--extra-index-url https://download.pytorch.org/whl/cpu", "-c requirements.in",
                           "-e .[book]"]


def test_import_axlib_and_axai_need_no_extra():
    """With every extra's packages made unimportable, a model loads and AXAI explains an image."""
    blocked = ["captum", "lime", "shap", "cv2", "dask", "distributed", "pyarrow", "statsmodels", "papermill",
               "nbformat", "nbclient", "jupyter_book", "sphinx", "playwright", "pytest"]
    script = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError("blocked: " + name)
sys.meta_path.insert(0, Block())
for name in [m for m in sys.modules if m.split(".")[0] in {blocked!r}]:
    del sys.modules[name]
import torch
import axlib.models
from axlib.explain import axai
from axlib.segment import quickshift
model = axlib.models.load("cifar10-alexnet")
image = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
explanation = axai(model, image, quickshift(image, kernel_size=2, max_dist=6, ratio=0.5), k=5)
print("ok", int(explanation.mask.sum()))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok ")


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
    assert project["license"] == citation["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert (ROOT / "axlib" / "py.typed").is_file()
