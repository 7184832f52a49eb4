"""The `axlib run` command: clear errors, failure reports, the cache and --force.

Notebooks here are tiny ones written into a temporary folder, selected with
AXLIB_NOTEBOOKS_DIR; the CLI runs in a subprocess, as a user would run it.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from axlib.companion import runner

OK_SOURCE = '''import json, os
from pathlib import Path
out = Path(os.environ["AXLIB_RESULTS_DIR"])
(out / "env.json").write_text(json.dumps({
    "notebook": os.environ["AXLIB_NOTEBOOK"], "cwd": os.getcwd(),
    "profile": profile, "seed": seed, "device": device}))'''


def _notebook(path: Path, *cells: str, parameters='profile = "default"\nseed = 0\ndevice = "cpu"'):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "axlib", "display_name": "axlib", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}"),
                nbformat.v4.new_code_cell(parameters, metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, str(path))
    return path


@pytest.fixture
def nbdir(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "10_fail.ipynb", "x = 1",
              'y = 2\nraise RuntimeError("deliberate failure under " + profile)', "z = 3")
    _notebook(folder / "20_ok.ipynb", OK_SOURCE)
    return folder


def axlib(*args, nbdir=None):
    env = dict(os.environ)
    if nbdir is not None:
        env["AXLIB_NOTEBOOKS_DIR"] = str(nbdir)
    return subprocess.run([sys.executable, "-m", "axlib.companion.cli", *map(str, args)],
                          capture_output=True, text=True, env=env, timeout=300)


def test_help_lists_the_commands():
    proc = axlib("--help")
    assert proc.returncode == 0, proc.stderr
    for command in ("run", "book", "data", "train"):
        assert command in proc.stdout
    proc = axlib("run", "--help")
    assert proc.returncode == 0 and "--profile" in proc.stdout and "--force" in proc.stdout


def test_version_matches_the_package_and_its_metadata():
    from importlib.metadata import version

    import axlib as package

    proc = axlib("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"axlib {package.__version__}"
    assert version("axai-companion") == package.__version__
    assert "``" not in axlib("--help").stdout            # no reST markup in the help


def test_run_list_names_each_notebook_its_title_and_parameters_and_runs_nothing(nbdir, tmp_path):
    proc = axlib("run", "--list", "--out", tmp_path / "out", nbdir=nbdir)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["10_fail: 10_fail", "    -p seed 0", '    -p device "cpu"',
                                        "20_ok: 20_ok", "    -p seed 0", '    -p device "cpu"']
    assert not (tmp_path / "out").exists()
    proc = axlib("run", "--list", "99", nbdir=nbdir)
    assert proc.returncode == 2 and "unknown notebook '99'" in proc.stderr


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "axlib"
    assert script.is_file(), f"{script} missing: pip install -e . installs it"
    proc = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "run" in proc.stdout


def test_unknown_notebook_is_a_clear_error(nbdir, tmp_path):
    proc = axlib("run", "99", "--profile", "smoke", "--out", tmp_path / "out", nbdir=nbdir)
    assert proc.returncode == 2
    assert "unknown notebook '99'" in proc.stderr
    assert "10_fail.ipynb" in proc.stderr and "20_ok.ipynb" in proc.stderr   # lists them
    assert not (tmp_path / "out" / "20_ok.ipynb").exists()


def test_unknown_parameter_is_a_clear_error(nbdir, tmp_path):
    proc = axlib("run", "20", "--profile", "smoke", "-p", "n_imgs", "5",
                 "--out", tmp_path / "out", nbdir=nbdir)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "unknown parameter(s) 'n_imgs'" in proc.stderr
    assert "accepted: profile, seed, device" in proc.stderr
    assert not (tmp_path / "out" / "20_ok.ipynb").exists(), "nothing may run on a bad parameter"


def test_failing_notebook_reports_cell_and_error(nbdir, tmp_path):
    out = tmp_path / "out"
    proc = axlib("run", "--profile", "smoke", "--out", out, nbdir=nbdir)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 1, text
    assert "notebook 10_fail.ipynb failed" in text
    assert "failing cell: index 3 in 10_fail.ipynb" in text          # index in the source notebook
    assert 'raise RuntimeError("deliberate failure under " + profile)' in text
    assert "RuntimeError: deliberate failure under smoke" in text
    assert "not run because of the failure: 20_ok.ipynb" in text
    assert (out / "10_fail.ipynb").is_file(), "the partial notebook is kept for inspection"
    assert "10_fail.ipynb" not in json.loads((out / ".axlib-cache.json").read_text())


def test_parameters_environment_cache_and_force(nbdir, tmp_path):
    out = tmp_path / "out"
    first = axlib("run", "20_ok", "--profile", "smoke", "-p", "seed", "7", "-p", "device",
                  "cuda", "--out", out, nbdir=nbdir)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "20_ok.ipynb: ran in" in first.stdout
    assert "Executing: 100%" in first.stderr                 # papermill's cell progress, under the notebooks bar
    assert "Kernel is running over TCP" not in first.stderr  # kernel output goes to its log
    seen = json.loads((out / "env.json").read_text())
    assert seen == {"notebook": "20_ok", "cwd": str(nbdir), "profile": "smoke", "seed": 7,
                    "device": "cuda"}
    cache = json.loads((out / ".axlib-cache.json").read_text())["20_ok.ipynb"]
    assert cache["parameters"] == {"profile": "smoke", "seed": 7, "device": "cuda"}
    assert cache["profile"] == "smoke" and cache["wall_seconds"] > 0 and cache["finished"]
    assert len(cache["hash"]) == 64

    (out / "env.json").unlink()
    second = axlib("run", "20", "--profile", "smoke", "-p", "seed", "7", "-p", "device", "cuda",
                   "--out", out, nbdir=nbdir)
    assert second.returncode == 0 and "unchanged, skipped" in second.stdout
    assert "cached" in second.stdout and not (out / "env.json").exists()

    changed = axlib("run", "20", "--profile", "smoke", "-p", "seed", "8", "-p", "device", "cuda",
                    "--out", out, nbdir=nbdir)
    assert changed.returncode == 0 and "20_ok.ipynb: ran in" in changed.stdout
    assert json.loads((out / "env.json").read_text())["seed"] == 8

    (out / "env.json").unlink()
    forced = axlib("run", "20", "--profile", "smoke", "-p", "seed", "8", "-p", "device", "cuda",
                   "--out", out, "--force", nbdir=nbdir)
    assert forced.returncode == 0 and "20_ok.ipynb: ran in" in forced.stdout
    assert (out / "env.json").exists()


# ---------------------------------------------------------------- in-process unit tests

@pytest.mark.parametrize("text, value", [
    ("1", 1), ("0.5", 0.5), ("None", None), ("null", None), ("true", True), ("False", False),
    ("[1, 2]", [1, 2]), ("'x'", "x"), ("cuda", "cuda"), ("1e-3", 1e-3), ("{\"a\": 1}", {"a": 1}),
])
def test_parameter_values_are_literals_or_strings(text, value):
    assert runner.parse_value(text) == value


def test_profile_is_not_a_dash_p_parameter():
    with pytest.raises(ValueError, match="--profile"):
        runner.parse_parameters([("profile", "smoke")])
    with pytest.raises(ValueError, match="identifier"):
        runner.parse_parameters([("n-images", "3")])


def test_select_by_prefix_stem_or_file(nbdir):
    names = lambda sel: [p.name for p in runner.select_notebooks(sel, nbdir)]  # noqa: E731
    assert names(None) == ["10_fail.ipynb", "20_ok.ipynb"]
    assert names(["20"]) == names(["20_ok"]) == names(["notebooks/20_ok.ipynb"]) == ["20_ok.ipynb"]
    _notebook(nbdir / "21_other.ipynb")
    with pytest.raises(ValueError, match="ambiguous"):
        runner.select_notebooks(["2"], nbdir)


def test_hash_depends_on_notebook_and_parameters(nbdir):
    nb = nbdir / "20_ok.ipynb"
    base = runner.content_hash(nb, {"profile": "smoke"})
    assert base == runner.content_hash(nb, {"profile": "smoke"})
    assert base != runner.content_hash(nb, {"profile": "smoke", "seed": 1})
    _notebook(nb, OK_SOURCE + "\n# edited")
    assert base != runner.content_hash(nb, {"profile": "smoke"})


def test_notebook_without_parameters_cell_is_refused(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, str(tmp_path / "30_bare.ipynb"))
    with pytest.raises(ValueError, match="parameters"):
        runner.check_parameters(tmp_path / "30_bare.ipynb", {"profile": "smoke"})


def test_hash_depends_on_the_data_manifest(nbdir, tmp_path, monkeypatch):
    monkeypatch.setattr(runner, "repo_data_dir", lambda: tmp_path)
    nb = nbdir / "20_ok.ipynb"
    without = runner.content_hash(nb, {"profile": "smoke"})
    (tmp_path / "MANIFEST.json").write_text('{"files": []}')
    with_manifest = runner.content_hash(nb, {"profile": "smoke"})
    (tmp_path / "MANIFEST.json").write_text('{"files": [1]}')
    assert len({without, with_manifest, runner.content_hash(nb, {"profile": "smoke"})}) == 3


def test_ctrl_c_ends_with_one_line_and_status_130(nbdir):
    """SIGINT while a notebook runs: no traceback, one line, exit code 130."""
    import signal
    import time

    _notebook(nbdir / "30_slow.ipynb", "import time\ntime.sleep(60)")
    env = dict(os.environ, AXLIB_NOTEBOOKS_DIR=str(nbdir))
    proc = subprocess.Popen([sys.executable, "-m", "axlib.companion.cli", "run", "30", "--out", str(nbdir / "out")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while not (nbdir / "out" / "30_slow.ipynb").exists() and time.monotonic() < deadline:
        time.sleep(0.5)                                   # papermill writes the copy once the kernel runs
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "axlib run: interrupted (Ctrl-C)" in err
    from axlib.companion.completeness import incomplete_pages

    problems = incomplete_pages(nbdir / "out", ["30_slow"], {"30_slow": nbdir / "30_slow.ipynb"})["30_slow"]
    assert any("raised an error" in p or "did not complete" in p for p in problems)   # axlib book refuses it


def test_explain_writes_a_figure_and_a_json_per_image(tmp_path):
    """`axlib explain` on scikit-image's chelsea (offline) and on a file, with a CIFAR-10 model
    (32x32, so the test is quick): one PNG and one JSON each, the JSON's numbers consistent."""
    from PIL import Image
    from skimage import data as skdata

    from axlib.companion import cli

    Image.fromarray(skdata.astronaut()).save(tmp_path / "astronaut.jpg")
    code = cli.main(["explain", "skimage:chelsea", str(tmp_path / "astronaut.jpg"), "--model", "cifar10-alexnet",
                     "--methods", "axai,gradient", "--k", "3", "--out", str(tmp_path / "out")])
    assert code == 0
    for stem in ("chelsea", "astronaut"):
        summary = json.loads((tmp_path / "out" / f"{stem}.json").read_text())
        assert (tmp_path / "out" / f"{stem}.png").stat().st_size > 5_000
        assert summary["model"] == "cifar10-alexnet" and len(summary["axai"]["segments"]) == 3
        assert 0 < summary["axai"]["area"] < 1 and set(summary["seconds"]) == {"axai", "gradient"}
        assert 0 <= summary["maps"]["gradient"]["share_in_axai_top_k"] <= 1


@pytest.mark.parametrize("args, message", [
    (["nosuch.jpg"], "image 'nosuch.jpg' not found"),
    (["skimage:nosuch"], "'nosuch' is not a scikit-image sample"),
    (["skimage:chelsea", "--methods", "axai,saliency"], "methods must be among"),
    (["skimage:chelsea", "--model", "speech-lenet"], "image models"),
    (["skimage:chelsea", "--k", "0"], "k must be"),
    (["skimage:chelsea", "--device", "banana"], "device must be"),
])
def test_explain_refuses_bad_arguments_by_name(tmp_path, capsys, args, message):
    from axlib.companion import cli

    assert cli.main(["explain", *args, "--out", str(tmp_path)]) == 2
    assert re.search(message, capsys.readouterr().err)
