"""Execute the book's notebooks with papermill, with parameters and a content-hash cache.

    axlib run [NOTEBOOK ...] --profile smoke|default|paper [-p NAME VALUE ...] [--out DIR] [--force]

Each notebook in ``notebooks/`` runs top to bottom in the ``axlib`` Jupyter kernel, with its
working directory set to the notebooks folder and parameters injected after its cell tagged
``parameters``: ``profile`` plus every ``-p NAME VALUE`` pair. The executed copy goes to
``runs/<profile>/<name>.ipynb`` (or ``--out``); the kernel sees ``AXLIB_RESULTS_DIR`` (that
folder) and ``AXLIB_NOTEBOOK`` (the notebook's stem), so :func:`axlib.results.record` writes
``<out>/<stem>.results.json`` beside it, and starts with the allocator settings
:data:`axlib.companion.environ.MALLOC_ENV` (unless the caller's environment sets them).

Cache: a notebook is skipped when its executed copy exists and the sha256 of what it depends
on equals the hash stored for it in ``<out>/.axlib-cache.json``. What it depends on is traced
while it runs (an audit hook installed in the kernel, see :data:`TRACE_STARTUP`): the notebook
file, the parameters, the ``axlib`` modules it imported (transitively, including imports inside
functions; not the rest of axlib), and the data files it opened and folders it listed under
``data/``, the download cache and ``../shared/data`` (by content). Before a first traced run,
or when the trace is missing, the hash covers every ``axlib/**/*.py`` source and
``data/MANIFEST.json`` instead (conservative). ``--force`` reruns anyway. The cache entry also
records the wall time, profile, parameters, machine and finishing time; the book shows those
times as the expected time per profile.
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import platform
import re
import signal
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from axlib._util.paths import REPO_ROOT, cache_dir, repo_data_dir, shared_data_dir
from axlib.companion.environ import malloc_environ, temporary_environ

KERNEL_NAME = "axlib"
CACHE_FILE = ".axlib-cache.json"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class RunResult:
    """What happened to one notebook.

    status: "ran", "cached" (skipped, nothing changed), "failed" or "not run" (an earlier
    notebook failed). error: a multi-line description of the failure, "" otherwise.
    """

    notebook: str
    status: str
    output: Path
    wall_seconds: float = 0.0
    hash: str = ""
    parameters: dict = field(default_factory=dict)
    error: str = ""
    warning: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("ran", "cached")


# --------------------------------------------------------------------------- discovery

def notebooks_dir() -> Path:
    """The folder of notebooks: ``$AXLIB_NOTEBOOKS_DIR`` if set, else ``<repo>/notebooks``."""
    return Path(os.environ.get("AXLIB_NOTEBOOKS_DIR", REPO_ROOT / "notebooks")).resolve()


def available_notebooks(folder: Path | None = None) -> list[Path]:
    """Every ``*.ipynb`` in ``folder`` (default :func:`notebooks_dir`), sorted by file name."""
    folder = Path(folder) if folder is not None else notebooks_dir()
    if not folder.is_dir():
        raise FileNotFoundError(f"notebooks folder {folder} does not exist")
    return sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def select_notebooks(names, folder: Path | None = None) -> list[Path]:
    """Resolve names (file names, paths, stems or prefixes such as ``"01"``) to notebooks.

    No names: all of them. Raises ValueError naming an unknown or ambiguous name and listing
    the available notebooks.
    """
    every = available_notebooks(folder)
    if not names:
        return every
    listing = ", ".join(p.name for p in every) or "(none)"
    chosen: list[Path] = []
    for name in names:
        base = Path(name).name
        exact = [p for p in every if base in (p.name, p.stem)]
        numbered = [p for p in every if p.stem.split("_", 1)[0] == base]     # "04": 04_x, not 04b_y
        matches = exact or numbered or [p for p in every if p.name.startswith(base)]
        if not matches:
            raise ValueError(f"unknown notebook {name!r}; available: {listing}")
        if len(matches) > 1:
            raise ValueError(f"notebook name {name!r} is ambiguous: matches "
                             f"{', '.join(p.name for p in matches)}")
        if matches[0] not in chosen:
            chosen.append(matches[0])
    return sorted(chosen)


# --------------------------------------------------------------------------- parameters

def parse_value(text: str):
    """A ``-p`` value: a Python literal (``1``, ``0.5``, ``None``, ``[1, 2]``, ``'x'``), else a
    JSON literal (``true``, ``null``), else the string itself (``cuda``)."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_parameters(pairs) -> dict:
    """``[(name, value_text), ...]`` -> ``{name: value}``; raises ValueError on a bad name."""
    parsed = {}
    for name, value in pairs or []:
        if not name.isidentifier():
            raise ValueError(f"parameter name {name!r} is not a Python identifier")
        if name == "profile":
            raise ValueError("set the profile with --profile, not -p profile")
        parsed[name] = parse_value(value)
    return parsed


def check_parameters(notebook: Path, parameters: dict) -> None:
    """Raise ValueError when ``parameters`` names something the notebook's parameters cell
    does not define (papermill itself would only warn)."""
    import papermill

    accepted = papermill.inspect_notebook(str(notebook))
    if not accepted:
        raise ValueError(f"{notebook.name} has no cell tagged 'parameters' (or it defines "
                         "nothing); every notebook needs one that sets at least `profile`")
    unknown = [name for name in parameters if name not in accepted]
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(map(repr, unknown))} for "
                         f"{notebook.name}; accepted: {', '.join(accepted)}")


def check_parameter_values(notebook: Path, profile: str, parameters: dict) -> None:
    """Raise ValueError when a ``-p`` value is one the notebook's page would refuse, before
    anything runs.

    The notebook's ``axlib.profile(profile, page=..., size=parameter, ...)`` call is read from
    its source; every parameter given that it passes on (under its own name or a size's) is
    checked as :func:`axlib.companion.profiles.profile` checks it (a count must be an integer
    >= 1, a seed an integer >= 0, a device one this machine has, ...). Values that the page
    uses elsewhere are left to the page.
    """
    import nbformat

    from axlib.companion.profiles import resolve

    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code" or "axlib.profile(" not in cell.source:
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:                       # IPython magics: not ours to read
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "profile" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "axlib"):
                continue
            page = next((k.value.value for k in node.keywords if k.arg == "page"
                         and isinstance(k.value, ast.Constant)), None)
            given = {k.arg: k.value.id for k in node.keywords if k.arg not in (None, "page")
                     and isinstance(k.value, ast.Name) and k.value.id in parameters}
            try:
                resolve(profile, page, **{size: parameters[name] for size, name in given.items()})
            except ValueError as err:
                renamed = [f"-p {name} sets {size}" for size, name in given.items() if size != name]
                raise ValueError(f"{notebook.name}: {err}" + (f" ({'; '.join(renamed)})" if renamed else "")) from None


# --------------------------------------------------------------------------- cache

PACKAGE_DIR = Path(__file__).resolve().parents[1]

# Installed as an IPython startup file of the kernel (through IPYTHONDIR) while ``axlib run``
# executes a notebook: records, one line each, the axlib modules imported ("import NAME"), the
# files opened ("read PATH") and the folders listed ("list PATH") under the roots in
# AXLIB_TRACE_ROOTS, into AXLIB_TRACE_FILE. It writes through a descriptor opened before the
# hook is installed, so its own writes raise no audit event.
TRACE_STARTUP = r"""
def _axlib_install_trace():
    import os, sys
    path = os.environ.get("AXLIB_TRACE_FILE")
    if not path:
        return
    roots = tuple(r.rstrip(os.sep) + os.sep
                  for r in os.environ.get("AXLIB_TRACE_ROOTS", "").split(os.pathsep) if r)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, b"start\n")
    seen = set()

    def note(kind, target):
        key = (kind, target)
        if key not in seen:
            seen.add(key)
            os.write(fd, f"{kind} {target}\n".encode("utf-8", "surrogateescape"))

    def hook(event, args):
        if event == "import":
            name = args[0]
            if isinstance(name, str) and (name == "axlib" or name.startswith("axlib.")):
                note("import", name)
        elif event in ("open", "os.listdir", "os.scandir"):
            target = args[0] if args else None
            if target is None or isinstance(target, int):
                return
            try:
                target = os.path.abspath(os.fsdecode(os.fspath(target)))
            except (TypeError, ValueError):
                return
            if (target + os.sep).startswith(roots) or target.startswith(roots):
                note("read" if event == "open" else "list", target)

    sys.addaudithook(hook)


_axlib_install_trace()
del _axlib_install_trace
"""


def trace_roots() -> list[Path]:
    """Folders whose files a notebook's cache entry follows: ``data/``, the download cache and
    ``../shared/data`` when present."""
    roots = [repo_data_dir(), cache_dir()]
    shared = shared_data_dir()
    if shared is not None:
        roots.append(shared)
    return [Path(r).resolve() for r in roots]


def read_trace(path: Path) -> dict | None:
    """Parse a trace file into ``{"modules": [...], "reads": [...], "lists": [...]}`` (sorted,
    module names as dotted names, paths absolute), or None when the hook never started."""
    if not Path(path).is_file():
        return None
    lines = Path(path).read_text(errors="surrogateescape").splitlines()
    if "start" not in lines:
        return None
    found = {"import": set(), "read": set(), "list": set()}
    for line in lines:
        kind, _, value = line.partition(" ")
        if kind in found and value:
            found[kind].add(value)
    return {"modules": sorted(found["import"]), "reads": sorted(found["read"]),
            "lists": sorted(found["list"])}


def module_file(name: str) -> Path | None:
    """The source file of an axlib module name (``axlib.explain.axai`` ->
    ``axlib/explain/axai.py``; a package -> its ``__init__.py``), None if there is none."""
    parts = name.split(".")
    if parts[0] != "axlib":
        raise ValueError(f"name must be an axlib module, got {name!r}")
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_snapshot() -> dict[str, str]:
    """``{"axlib/...py": sha256}`` of every axlib source now (taken before a run, so that an
    edit made while a notebook runs invalidates its cache entry)."""
    return {f"axlib/{p.relative_to(PACKAGE_DIR).as_posix()}": _file_digest(p)
            for p in sorted(PACKAGE_DIR.rglob("*.py")) if "__pycache__" not in p.parts}


def content_hash(notebook: Path, parameters: dict, trace: dict | None = None,
                 sources: dict[str, str] | None = None) -> str:
    """sha256 of what an executed notebook depends on.

    notebook: the source notebook; parameters: as injected (canonical JSON); trace: from
    :func:`read_trace` (None: every ``axlib/**/*.py`` source and ``data/MANIFEST.json``, the
    conservative choice before a first traced run); sources: a :func:`source_snapshot` to use
    for axlib files instead of reading them now.
    """
    digest = hashlib.sha256()

    def feed(label: str, payload: bytes) -> None:
        digest.update(f"{label}\0{len(payload)}\0".encode())
        digest.update(payload)

    feed("notebook", Path(notebook).read_bytes())
    feed("parameters", json.dumps(parameters, sort_keys=True, default=repr).encode())
    if trace is None:
        for source in sorted(PACKAGE_DIR.rglob("*.py")):
            if "__pycache__" in source.parts:
                continue
            feed(f"axlib/{source.relative_to(PACKAGE_DIR).as_posix()}", source.read_bytes())
        manifest = repo_data_dir() / "MANIFEST.json"
        if manifest.is_file():
            feed("manifest", manifest.read_bytes())
        return digest.hexdigest()

    for name in trace.get("modules", []):
        path = module_file(name)
        key = f"axlib/{path.relative_to(PACKAGE_DIR).as_posix()}" if path else name
        if sources is not None and key in sources:
            feed(f"module {key}", sources[key].encode())
        elif path is not None:
            feed(f"module {key}", _file_digest(path).encode())
        else:
            feed(f"module {name}", b"(no source file)")
    for name in trace.get("reads", []):
        path = Path(name)
        feed(f"read {name}", _file_digest(path).encode() if path.is_file() else b"(missing)")
    for name in trace.get("lists", []):
        path = Path(name)
        listing = "\n".join(sorted(os.listdir(path))) if path.is_dir() else "(missing)"
        feed(f"list {name}", listing.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def machine_description() -> str:
    """Where a notebook ran, in words: architecture, CPU count, OS, and the GPU when CUDA is
    available to this process."""
    text = f"{platform.machine() or 'cpu'}, {os.cpu_count()} CPUs, {platform.system()}"
    try:
        import torch

        if torch.cuda.is_available():
            text += f", {torch.cuda.get_device_name(0)}"
    except Exception:  # noqa: BLE001  - torch missing or broken: the CPU description stands
        pass
    return text


def _read_cache(out: Path) -> dict:
    path = out / CACHE_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except ValueError:
        return {}


def _write_cache(out: Path, cache: dict) -> None:
    path = out / CACHE_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(cache, indent=1, sort_keys=True))
    tmp.replace(path)


# --------------------------------------------------------------------------- execution

def _source_index(notebook: Path, index: int, source: str) -> int:
    """Index of the failing cell in the source notebook: papermill counts the cells of the
    executed copy, which has an extra ``injected-parameters`` cell, so match by source."""
    try:
        import nbformat

        cells = nbformat.read(str(notebook), as_version=4).cells
    except Exception:  # noqa: BLE001  - best effort: keep papermill's index
        return index
    same = [i for i, cell in enumerate(cells) if cell.source == source]
    return same[0] if len(same) == 1 else index


def _describe_failure(notebook: Path, output: Path, error: Exception) -> str:
    from papermill.exceptions import PapermillExecutionError

    lines = [f"notebook {notebook.name} failed (partial output: {output})"]
    if isinstance(error, PapermillExecutionError):
        source = (error.source or "").splitlines()
        lines.append(f"failing cell: index {_source_index(notebook, error.cell_index, error.source)} in "
                     f"{notebook.name} (execution count {error.exec_count}):")
        lines += [f"    {line}" for line in source[:8]]
        if len(source) > 8:
            lines.append(f"    ... ({len(source) - 8} more lines)")
        lines.append(f"{error.ename}: {error.evalue}")
        trace = _ANSI.sub("", "\n".join(error.traceback or [])).splitlines()
        if trace:
            lines.append("traceback (last lines):")
            lines += [f"  {line}" for line in trace[-15:]]
    else:
        lines.append(f"{type(error).__name__}: {_ANSI.sub('', str(error))}")
    return "\n".join(lines)


@contextmanager
def _noting_sigint(flag: threading.Event):
    """Within the block, Ctrl-C (SIGINT) sets ``flag`` before raising KeyboardInterrupt as
    usual, so that a kernel client error it causes (a dead kernel) is known to be the
    interrupt. Outside the main thread, where no handler can be set, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def note(signum, frame):
        flag.set()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


PAGE_ENVIRON = {"TQDM_DISABLE": "1"}
"""Set for every notebook kernel (and the processes it starts): progress bars, useful in a
terminal, are off in published pages, where each refresh would be a stream block."""

QUIET_STARTUP = """import warnings
warnings.filterwarnings("ignore", message="IProgress not found")   # tqdm.auto without ipywidgets (lime, shap)
"""
"""Kernel start-up file: silences the one warning every page that imports lime or shap would
print (their ``tqdm.auto`` looks for ipywidgets; with bars off it would draw nothing anyway)."""


KERNEL_LOGS = ".kernel-logs"
"""Folder of the output folder where each notebook's kernel process writes its own stdout and
stderr (``<stem>.log``: the kernel's start-up warnings, a crash), instead of the terminal."""


def logged_kernel_manager(log_path: Path):
    """A Jupyter kernel manager class whose kernels write their process's stdout and stderr to
    ``log_path`` (replaced at each start): cell outputs still reach the notebook (they travel by
    the kernel protocol), while the terminal of ``axlib run`` stays free of kernel noise."""
    from jupyter_client import AsyncKernelManager

    class LoggedKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            log_path.parent.mkdir(parents=True, exist_ok=True)
            with open(log_path, "wb") as log:          # the kernel keeps its own copy of the descriptor
                await super()._async_launch_kernel(kernel_cmd, **{"stdout": log, "stderr": log, **kw})

    return LoggedKernelManager


def run_notebooks(names=None, profile: str = "default", parameters: dict | None = None,
                  out=None, force: bool = False, *, folder=None, keep_going: bool = False,
                  log=None) -> list[RunResult]:
    """Execute notebooks with papermill; returns one RunResult per selected notebook.

    names: file names or prefixes (None or empty: all, in file order); profile: smoke |
    default | paper; parameters: extra notebook parameters, already parsed; out: output
    folder (default ``runs/<profile>``); force: rerun even when the cache says nothing changed;
    folder: the notebooks folder (default :func:`notebooks_dir`); keep_going: run the rest
    after a failure (default: stop, and report the rest as "not run"); log: a print-like
    callable. Raises ValueError for an unknown notebook or parameter, or a parameter value the
    page's profile refuses (:func:`check_parameter_values`), and FileNotFoundError when the
    paper profile's models or data for these pages are not here
    (:func:`axlib.companion.doctor.page_needs`), before anything runs.
    """
    import papermill
    from tqdm.std import tqdm

    from axlib.companion.profiles import PROFILE_NAMES

    if profile not in PROFILE_NAMES:
        raise ValueError(f"profile must be one of {PROFILE_NAMES}, got {profile!r}")
    folder = Path(folder).resolve() if folder is not None else notebooks_dir()
    notebooks = select_notebooks(names, folder)
    if not notebooks:
        raise ValueError(f"no notebooks in {folder}")
    params = {"profile": profile, **(parameters or {})}
    for notebook in notebooks:                       # validate everything before running
        check_parameters(notebook, params)
        check_parameter_values(notebook, profile, params)
    from axlib.companion.doctor import missing_message, page_needs

    missing = missing_message(page_needs([nb.stem for nb in notebooks], profile, parameters))
    if missing:                                      # stop up front, not in a cell
        raise FileNotFoundError(missing)
    out = Path(out if out is not None else REPO_ROOT / "runs" / profile).resolve()
    out.mkdir(parents=True, exist_ok=True)
    log = log or (lambda message: tqdm.write(str(message), file=sys.stdout))

    cache = _read_cache(out)
    results: list[RunResult] = []
    failed = False
    interrupted = threading.Event()
    with _noting_sigint(interrupted):
        bar = tqdm(notebooks, desc="notebooks", unit="nb", file=sys.stderr)
        for notebook in bar:
            output = out / notebook.name
            if failed:
                results.append(RunResult(notebook.name, "not run", output, parameters=params))
                continue
            bar.set_postfix_str(notebook.name)
            stored = cache.get(notebook.name, {})
            results_file = out / f"{notebook.stem}.results.json"
            if not force and output.is_file() and stored.get("hash"):
                digest = content_hash(notebook, params, stored.get("trace"))
                if stored["hash"] == digest:
                    log(f"{notebook.name}: unchanged, skipped (cached; --force reruns)")
                    warning = _missing_results_warning(notebook, results_file)
                    if warning:
                        log(warning)
                    results.append(RunResult(notebook.name, "cached", output,
                                             stored.get("wall_seconds", 0.0), digest, params,
                                             warning=warning))
                    continue
            results_file.unlink(missing_ok=True)   # no stale claims
            cache.pop(notebook.name, None)
            _write_cache(out, cache)
            sources = source_snapshot()
            start = time.perf_counter()
            with tempfile.TemporaryDirectory(prefix="axlib-trace-") as scratch:
                trace_file = Path(scratch) / "trace.txt"
                startup = Path(scratch) / "ipython" / "profile_default" / "startup"
                startup.mkdir(parents=True)
                (startup / "00-axlib-trace.py").write_text(TRACE_STARTUP)
                (startup / "01-axlib-quiet.py").write_text(QUIET_STARTUP)
                try:
                    with temporary_environ(dict(AXLIB_RESULTS_DIR=str(out), AXLIB_NOTEBOOK=notebook.stem,
                                                AXLIB_TRACE_FILE=str(trace_file),
                                                AXLIB_TRACE_ROOTS=os.pathsep.join(map(str, trace_roots())),
                                                IPYTHONDIR=str(Path(scratch) / "ipython"),
                                                **malloc_environ(), **PAGE_ENVIRON)):
                        papermill.execute_notebook(
                            str(notebook), str(output), parameters=params, kernel_name=KERNEL_NAME,
                            cwd=str(folder), progress_bar=True, log_output=False,
                            kernel_manager_class=logged_kernel_manager(out / KERNEL_LOGS / f"{notebook.stem}.log"))
                except Exception as error:  # noqa: BLE001  - report any failure, then stop
                    if interrupted.is_set():             # Ctrl-C, seen by the kernel client first
                        raise KeyboardInterrupt from None
                    wall = time.perf_counter() - start
                    failed = not keep_going
                    description = _describe_failure(notebook, output, error)
                    results.append(RunResult(notebook.name, "failed", output, wall, "", params,
                                             description))
                    log(f"{notebook.name}: FAILED after {wall:.1f} s")
                    continue
                wall = time.perf_counter() - start
                trace = read_trace(trace_file)
            digest = content_hash(notebook, params, trace, sources)
            cache[notebook.name] = {
                "wall_seconds": round(wall, 3), "profile": profile, "parameters": params,
                "hash": digest, "finished": datetime.now(UTC).isoformat(timespec="seconds"),
                "machine": machine_description(), "trace": trace,
            }
            _write_cache(out, cache)
            log(f"{notebook.name}: ran in {wall:.1f} s")
            warning = _missing_results_warning(notebook, results_file)
            if warning:
                log(warning)
            results.append(RunResult(notebook.name, "ran", output, wall, digest, params,
                                     warning=warning))
        bar.close()
    return results


def _missing_results_warning(notebook: Path, results_file: Path) -> str:
    """A loud warning when a notebook finished without writing its results file, else ""."""
    if results_file.is_file():
        return ""
    return (f"WARNING: {notebook.name} wrote no {results_file.name}: its claims will be missing "
            "from the book, and `axlib book` refuses to build; every notebook must call "
            "axlib.results.record(...) for the numbers it reproduces")


def summary_table(results: list[RunResult]) -> str:
    """A plain-text table: notebook, status, wall time, output file."""
    rows = [("notebook", "status", "wall s", "output")]
    for r in results:
        wall = f"{r.wall_seconds:.1f}" if r.status in ("ran", "failed", "cached") else "-"
        rows.append((r.notebook, r.status, wall, str(r.output)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def notebook_title(notebook: Path) -> str:
    """The text of a notebook's first Markdown heading, else its stem."""
    cells = json.loads(Path(notebook).read_text()).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return Path(notebook).stem


def list_cli(args) -> int:
    """``axlib run --list``: each selected notebook, its title and its parameters (name =
    default, as papermill reads the cell tagged ``parameters``, the names ``-p`` accepts)."""
    import papermill

    for notebook in select_notebooks(args.notebooks):
        print(f"{notebook.stem}: {notebook_title(notebook)}")
        for name, info in papermill.inspect_notebook(str(notebook)).items():
            if name != "profile":
                line = f"    -p {name} {info['default']}"
                print(f"{line:<36}  {info['help']}" if info["help"] else line)
    return 0


def run_cli(args) -> int:
    """``axlib run``: 0 when every selected notebook ran or was cached, 1 when one failed."""
    results = run_notebooks(args.notebooks, args.profile, parse_parameters(args.parameter),
                            args.out, args.force)
    print()
    print(summary_table(results))
    failures = [r for r in results if r.status == "failed"]
    if failures:
        print(file=sys.stderr)
        for r in failures:
            print(r.error, file=sys.stderr)
        skipped = [r.notebook for r in results if r.status == "not run"]
        if skipped:
            print(f"not run because of the failure: {', '.join(skipped)}", file=sys.stderr)
        return 1
    warnings = [r.warning for r in results if r.warning]
    if warnings:
        print(file=sys.stderr)
        for warning in warnings:
            print(warning, file=sys.stderr)
    total = sum(r.wall_seconds for r in results if r.status == "ran")
    print(f"\n{len(results)} notebook(s) ok ({total:.1f} s executing) -> {results[0].output.parent}")
    return 0
