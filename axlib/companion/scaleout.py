"""Run a grid of independent shards on Dask distributed, each finished shard saved as Parquet.

The robust-model study is a grid: models x attribution methods x image shards, every cell a
table of per-image scores. This module runs any such grid; what a shard computes is a
picklable callable ``fn(**params) -> pandas.DataFrame`` given per shard (the study's
attribution shards, EXIAA's attack shards, ...).

- **Where it runs.** ``scheduler=None``: a :class:`distributed.LocalCluster` on this machine
  (``n_workers`` processes with ``threads_per_worker`` threads, 1 by default: torch code is
  fastest with one thread per process when processes share the cores), closed afterwards.
  Its workers start with :data:`axlib.companion.environ.MALLOC_ENV` (see there: study shards 1.9x
  faster on 2 cores).
  A string: the address of a running scheduler (``"tcp://10.0.0.5:8786"``) -- a real cluster;
  its workers must be able to import axlib and read the data the task reads. A
  :class:`distributed.Client`: used as is (not closed). ``"serial"``: no Dask at all, the
  shards run one after the other in this process (the reference a distributed run must equal).
- **Atomic results.** Each finished shard is written by this process (the client; the
  workers need no shared disk) to ``out_dir/<shard name>-<key>.parquet`` through a temporary
  file in the same folder and :func:`os.replace`, so a file either is complete or does not
  exist. ``key`` is a hash of the task's name and the shard's params: changing either makes
  a new file, never a stale reuse. A task's name is the one it registered with :func:`task`
  (stable when the code moves, so a user's finished shards stay valid), else its module path.
- **Resume.** Shards whose file exists and verifies are not submitted again; rerunning an
  interrupted call computes only what is missing.
- **Verified on read.** Each file stores its shard key and row count in the Parquet metadata,
  and a sha256 of the file is written beside it (``<file>.sha256``, after the file). A file
  that is truncated, has no or another checksum, or holds another shard's key is moved aside
  (``<file>.bad-<id>``) with a warning naming it, and the shard is computed again. Files are
  read through Python's ``open``, so the book's page cache sees every shard a page used. Failures: if a worker dies, the scheduler reruns its
  tasks elsewhere (the nanny restarts the worker); if a task raises, the remaining tasks are
  cancelled, the finished shards stay on disk, and a RuntimeError naming the shard is raised
  from the task's error.
- **Progress.** A tqdm bar over shards, starting at the number already done.

The final table is the concatenation of every shard's table in grid order (index reset),
identical whatever ran it, provided ``fn`` is deterministic given its params (seed it from
them). Put identifying columns (model, method, image id) in the task's table.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import os
import re
import uuid
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from axlib._util.checks import check_int

__all__ = ["Shard", "ShardError", "task", "work_dir", "grid", "shard_key", "shard_path", "run", "load_table",
           "pending", "session", "local_cluster"]


@dataclass(frozen=True)
class Shard:
    """One task of a grid: ``name`` (for file names and messages) and the keyword
    arguments ``params`` of the task function (JSON-serialisable values)."""

    name: str
    params: dict = field(default_factory=dict)


def grid(n_items: int, shard_size: int, **axes: Sequence) -> list[Shard]:
    """Shards of the Cartesian product ``axes`` x item ranges.

    n_items: number of items (images) to split; shard_size: items per shard (the last
    shard may be shorter); axes: e.g. ``model=["a", "b"], method=["rise", "ig"]``, each a
    non-empty sequence of JSON-serialisable values, varied in the order given, the item
    range fastest. Each shard's params are the axes' values plus ``start`` and ``stop``
    (items ``start <= i < stop``).
    Raises ValueError for n_items < 1, shard_size < 1 or an empty axis.
    """
    n_items = check_int("n_items", n_items, low=1)
    shard_size = check_int("shard_size", shard_size, low=1)
    for name, values in axes.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) == 0:
            raise ValueError(f"axis {name!r} must be a non-empty sequence of values, got {values!r}")
    names = list(axes)
    ranges = [(s, min(s + shard_size, n_items)) for s in range(0, n_items, shard_size)]
    shards = []
    for combo in itertools.product(*(axes[n] for n in names)):
        for start, stop in ranges:
            params = dict(zip(names, combo), start=start, stop=stop)
            label = "__".join(f"{n}={v}" for n, v in zip(names, combo))
            label = f"{label}__items={start}-{stop}" if label else f"items={start}-{stop}"
            shards.append(Shard(label, params))
    return shards


TASK_ATTRIBUTE = "__axlib_task__"


def work_dir(name: str, path=None) -> Path:
    """The folder a grid's shards are written to and resumed from: ``path`` when given, else
    ``<cache>/<name>`` in axlib's cache folder (``$AXLIB_DATA`` or ``~/.cache/axlib``)."""
    if path is not None:
        return Path(path)
    from axlib._util.paths import cache_dir

    return cache_dir() / name


def task(name: str) -> Callable[[Callable], Callable]:
    """Register a shard task under a stable ``name`` (decorator).

    The name, not the function's module path, enters every shard key of the task, so moving or
    renaming the function keeps the Parquet files of an interrupted run valid. Names are
    dotted words (``"robust.study_shard"``); raises ValueError for anything else.
    """
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*", name):
        raise ValueError(f"name must be a dotted identifier such as 'paper.task', got {name!r}")

    def register(fn: Callable) -> Callable:
        setattr(fn, TASK_ATTRIBUTE, name)
        return fn
    return register


def _qualname(fn: Callable) -> str:
    inner = getattr(fn, "func", fn)  # functools.partial: its function, plus its bound arguments
    name = getattr(inner, TASK_ATTRIBUTE, None) or \
        f"{getattr(inner, '__module__', '?')}.{getattr(inner, '__qualname__', repr(inner))}"
    if inner is not fn:
        try:
            bound = json.dumps({"args": list(getattr(fn, "args", ())),
                                "kwargs": getattr(fn, "keywords", {})}, sort_keys=True)
        except TypeError as err:
            raise ValueError("a functools.partial task may bind only JSON-serialisable values "
                             f"(they are part of each shard's key): {err}") from None
        name += bound
    return name


def shard_key(fn: Callable, shard: Shard) -> str:
    """16 hex digits identifying (task function, params): the sha256 of their canonical JSON.

    Raises ValueError if the params are not JSON-serialisable.
    """
    try:
        text = json.dumps({"fn": _qualname(fn), "params": shard.params}, sort_keys=True)
    except TypeError as err:
        raise ValueError(f"shard {shard.name!r}: params must be JSON-serialisable ({err})") from None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def shard_path(out_dir, fn: Callable, shard: Shard) -> Path:
    """``out_dir/<sanitised shard name>-<shard_key>.parquet``."""
    safe = re.sub(r"[^A-Za-z0-9._=-]+", "_", shard.name)[:120]
    return Path(out_dir) / f"{safe}-{shard_key(fn, shard)}.parquet"


def pending(fn: Callable, shards: Sequence[Shard], out_dir) -> list[Shard]:
    """The shards without a verified Parquet file (a file that fails verification is moved
    aside with a warning, see the module's docstring)."""
    return [s for s in shards if not _usable(shard_path(out_dir, fn, s), shard_key(fn, s), s)]


SHARD_METADATA = b"axlib.shard"
"""Key of the Parquet schema metadata holding ``{"key": shard key, "rows": row count}``."""


class ShardError(ValueError):
    """A shard file that cannot be trusted: truncated, unchecksummed, or another shard's."""


def _checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _write_atomic(table: pd.DataFrame, path: Path, key: str) -> None:
    """Write ``table`` to ``path`` with its key and row count in the metadata, then its sha256
    beside it; each through a temporary file and :func:`os.replace`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow = pa.Table.from_pandas(table, preserve_index=False)
    stamp = json.dumps({"key": key, "rows": len(table)}).encode()
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), SHARD_METADATA: stamp})
    buffer = io.BytesIO()
    pq.write_table(arrow, buffer)
    data = buffer.getvalue()
    for target, content in ((path, data), (_checksum_path(path), hashlib.sha256(data).hexdigest().encode())):
        tmp = path.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
        try:
            tmp.write_bytes(content)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


def _read_verified(path: Path, key: str) -> pd.DataFrame:
    """The table in ``path``; raises ShardError saying what is wrong with the file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    checksum = _checksum_path(path)
    if not checksum.is_file():
        raise ShardError("it has no checksum file beside it (an interrupted write, or an older axlib)")
    with open(path, "rb") as handle:                  # Python's open: the page cache's trace sees it
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != checksum.read_text().strip():
        raise ShardError("its sha256 differs from the one written with it (truncated or altered)")
    try:
        arrow = pq.read_table(pa.BufferReader(data))
        stamp = json.loads((arrow.schema.metadata or {})[SHARD_METADATA])
    except (pa.ArrowException, KeyError, ValueError) as err:
        raise ShardError(f"it is not a shard file axlib wrote ({type(err).__name__})") from None
    if stamp.get("key") != key:
        raise ShardError(f"it holds shard {stamp.get('key')!r}, not {key!r}")
    if stamp.get("rows") != arrow.num_rows:
        raise ShardError(f"it holds {arrow.num_rows} rows, its metadata says {stamp.get('rows')}")
    return pd.read_parquet(io.BytesIO(data), engine="pyarrow")


def _usable(path: Path, key: str, shard: Shard) -> bool:
    """Whether ``path`` holds the verified result of ``shard``; a file that exists but fails
    verification is moved aside (its checksum removed) with a warning naming both."""
    if not path.exists():
        return False
    try:
        _read_verified(path, key)
    except ShardError as problem:
        aside = path.with_name(f"{path.name}.bad-{uuid.uuid4().hex[:8]}")
        os.replace(path, aside)
        _checksum_path(path).unlink(missing_ok=True)
        warnings.warn(f"shard {shard.name!r}: {path.name} was not used: {problem}; moved to {aside.name} "
                      "and computed again", RuntimeWarning, stacklevel=3)
        return False
    return True


def _call(fn: Callable, params: dict) -> pd.DataFrame:
    """What a worker runs: the task, checked to return a DataFrame."""
    out = fn(**params)
    if not isinstance(out, pd.DataFrame):
        raise TypeError(f"the task must return a pandas.DataFrame, got {type(out).__name__}")
    return out


def load_table(fn: Callable, shards: Sequence[Shard], out_dir) -> pd.DataFrame:
    """The concatenated table of the shards, in their order. Raises FileNotFoundError
    naming the first shard not computed yet, ShardError (a ValueError) naming a shard whose
    file fails verification (:func:`run` computes it again)."""
    tables = []
    for s in shards:
        path = shard_path(out_dir, fn, s)
        if not path.exists():
            raise FileNotFoundError(f"shard {s.name!r} has no result yet ({path})")
        try:
            tables.append(_read_verified(path, shard_key(fn, s)))
        except ShardError as problem:
            raise ShardError(f"shard {s.name!r} ({path}): {problem}; rerun to compute it again") from None
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def run(fn: Callable, shards: Sequence[Shard], out_dir, *, scheduler=None, n_workers: int = 2,
        threads_per_worker: int = 1, retries: int = 0, progress: bool = True,
        on_shard_done: Callable[[Shard, int], None] | None = None) -> pd.DataFrame:
    """Compute every shard without a verified file yet, save each atomically, return the full table.

    fn: picklable callable ``fn(**shard.params) -> DataFrame`` (a module-level function or
    a functools.partial of one), deterministic given its params.
    shards: from :func:`grid` or built by hand (names need not be unique; keys are).
    out_dir: folder for the Parquet files (created).
    scheduler: ``"local"`` or None (a LocalCluster of ``n_workers`` processes x
    ``threads_per_worker`` threads), ``"serial"`` (this process, no Dask), a scheduler address
    ``"tcp://host:port"``, or a ``distributed.Client``. Every page's ``scheduler`` parameter
    means the same: one of these strings.
    retries: extra attempts Dask gives a task that raises (worker deaths are handled by
    the scheduler regardless).
    on_shard_done: called as ``on_shard_done(shard, n_done)`` after each shard is saved
    (n_done counts the shards on disk, those found at the start included).
    Returns the concatenated table (:func:`load_table`).
    Raises ValueError for bad arguments; RuntimeError naming the shard (the task's
    exception chained as its cause) when a shard fails.
    """
    from tqdm.std import tqdm

    if not callable(fn):
        raise ValueError(f"fn must be callable, got {type(fn).__name__}")
    if isinstance(scheduler, str) and scheduler != "serial" and scheduler != "local" and "://" not in scheduler:
        raise ValueError(f"scheduler must be 'serial', 'local', an address such as 'tcp://host:8786', "
                         f"a distributed.Client or None, got {scheduler!r}")
    if scheduler is not None and not isinstance(scheduler, str):
        from distributed import Client

        if not isinstance(scheduler, Client):
            raise ValueError("scheduler must be 'serial', 'local', an address such as 'tcp://host:8786', "
                             f"a distributed.Client or None, got {type(scheduler).__name__}")
    if scheduler == "local":
        scheduler = None
    shards = list(shards)
    if not all(isinstance(s, Shard) for s in shards):
        raise ValueError("shards must be Shard objects (see grid())")
    n_workers = check_int("n_workers", n_workers, low=1)
    threads_per_worker = check_int("threads_per_worker", threads_per_worker, low=1)
    retries = check_int("retries", retries, low=0)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for s in shards:  # one file per distinct key
        paths.setdefault(shard_key(fn, s), (s, shard_path(out_dir, fn, s)))
    todo = [(k, s, p) for k, (s, p) in paths.items() if not _usable(p, k, s)]
    done = len(paths) - len(todo)
    bar = tqdm(total=len(paths), initial=done, desc="shards", unit="shard", disable=not progress)

    keys = {p: k for k, (_, p) in paths.items()}

    def finished(shard: Shard, path: Path, table: pd.DataFrame) -> None:
        nonlocal done
        _write_atomic(table, path, keys[path])
        done += 1
        bar.update(1)
        if on_shard_done is not None:
            on_shard_done(shard, done)

    try:
        if not todo:
            pass
        elif isinstance(scheduler, str) and scheduler == "serial":
            for _, s, p in todo:
                try:
                    table = _call(fn, dict(s.params))
                except Exception as err:
                    raise RuntimeError(f"shard {s.name!r} failed: {err!r}") from err
                finished(s, p, table)
        else:
            _run_dask(fn, todo, scheduler, n_workers, threads_per_worker, retries, finished)
    finally:
        bar.close()
    return load_table(fn, shards, out_dir)


def local_cluster(n_workers: int = 2, threads_per_worker: int = 1, worker_env: dict | None = None):
    """A :class:`distributed.LocalCluster` of ``n_workers`` processes (no dashboard) whose
    workers start with Dask's ``distributed.nanny.pre-spawn-environ`` updated by ``worker_env``
    (default :data:`axlib.companion.environ.MALLOC_ENV`; ``{}`` keeps Dask's own). The caller closes the cluster.

    Dask copies these variables into this process's ``os.environ`` to spawn a worker, and lets a
    value already there win; here the spawn environment is set exactly and put back afterwards.
    (A worker restarted later, after a crash, is spawned by Dask alone.)"""
    import dask
    from distributed import LocalCluster

    from axlib.companion.environ import MALLOC_ENV, temporary_environ

    if worker_env is not None and not isinstance(worker_env, dict):
        raise ValueError(f"worker_env must be a dict of environment variables or None, got {type(worker_env).__name__}")
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    environ.update(MALLOC_ENV if worker_env is None else worker_env)
    environ = {k: str(v) for k, v in environ.items() if v is not None}
    spawn = {key: environ.get(key) for key in set(environ) | set(MALLOC_ENV)}  # None: unset
    with temporary_environ(spawn), dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
        return LocalCluster(n_workers=n_workers, threads_per_worker=threads_per_worker,
                            processes=True, dashboard_address=None)


@contextlib.contextmanager
def session(scheduler=None, n_workers: int = 2, threads_per_worker: int = 1):
    """One scheduler for several :func:`run` calls in a block: ``"local"`` or None start one
    :func:`local_cluster` and its Client for the whole block (instead of one per call, about 7 s
    each on a 2-core CPU: start-up and every worker importing torch), closed at its end;
    ``"serial"``, an address or a Client are yielded as they are. Yields what to pass to
    :func:`run`'s ``scheduler``."""
    if scheduler is None or (isinstance(scheduler, str) and scheduler == "local"):
        from distributed import Client

        cluster = local_cluster(check_int("n_workers", n_workers, low=1),
                                check_int("threads_per_worker", threads_per_worker, low=1))
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
            cluster.close()
    else:
        yield scheduler


def _run_dask(fn, todo, scheduler, n_workers, threads_per_worker, retries, finished) -> None:
    from distributed import Client, as_completed

    cluster = None
    if scheduler is None:
        cluster = local_cluster(n_workers, threads_per_worker)
        client = Client(cluster)
    elif isinstance(scheduler, str):
        client = Client(scheduler)
    elif isinstance(scheduler, Client):
        client = scheduler
    else:
        raise ValueError("scheduler must be None, 'serial', a scheduler address or a distributed.Client, "
                         f"got {type(scheduler).__name__}")
    own_client = client is not scheduler
    try:
        futures = {}
        for key, s, p in todo:
            fut = client.submit(_call, fn, dict(s.params), key=f"axlib-shard-{key}", pure=False,
                                retries=retries)
            futures[fut] = (s, p)
        for fut in as_completed(list(futures)):
            s, p = futures[fut]
            try:
                table = fut.result()
            except Exception as err:
                for other in futures:
                    other.cancel()
                raise RuntimeError(f"shard {s.name!r} failed: {err!r}") from err
            finished(s, p, table)
    finally:
        if own_client:
            client.close()
        if cluster is not None:
            cluster.close()
