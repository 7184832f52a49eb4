"""Benchmark of the study's local Dask cluster: Dask's worker allocator settings against ours.

Dask starts worker processes with ``MALLOC_TRIM_THRESHOLD_=65536``; :mod:`axlib.companion.scaleout`
starts its local workers with :data:`axlib.companion.environ.MALLOC_ENV` instead (why: see there).
:func:`bench` runs the same study shards (one canvas model, the perturbation methods that
allocate most) through two local clusters that differ only in that environment, alternating
the two in each repeat, and reports per setting the median wall time of the whole grid and
the worker processes' user and system CPU seconds (``getrusage`` in each worker, summed).
Cluster start-up is not timed. ``axlib bench scaleout --profile smoke|default`` writes
``runs/bench/scaleout-<profile>.json``.
"""
from __future__ import annotations

import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from axlib._util.checks import check_int
from axlib._util.paths import REPO_ROOT
from axlib.companion.environ import MALLOC_ENV

PROFILES = {
    "smoke": {"model": "canvas64-resnet", "methods": ["rise", "lime"], "n_images": 2, "shard_size": 1,
              "settings": "smoke", "repeats": 1, "n_workers": 2},
    "default": {"model": "canvas64-resnet", "methods": ["rise", "lime", "mp"], "n_images": 8, "shard_size": 2,
                "settings": "default", "repeats": 3, "n_workers": 2},
}
PROFILES["paper"] = PROFILES["default"]


def _worker_cpu_seconds() -> tuple[float, float]:
    import resource
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def _cpu(client) -> tuple[float, float]:
    """Summed (user, system) CPU seconds of the client's worker processes so far."""
    per_worker = client.run(_worker_cpu_seconds).values()
    return sum(u for u, _ in per_worker), sum(s for _, s in per_worker)


def bench(model: str, methods: list[str], n_images: int, shard_size: int, settings: str,
          repeats: int, n_workers: int, progress=None) -> dict:
    """Time the study grid ``model`` x ``methods`` x ``n_images`` benchmark images (chunks of
    ``shard_size``, the ``method_settings`` size of page 05 under profile ``settings``) on
    ``n_workers`` local worker processes (one thread each), once with Dask's worker environment
    and once with axlib's, ``repeats`` times. Returns a dict with, per setting, the runs and the
    median wall / user / system seconds, and ``speedup`` = Dask's median wall / axlib's. Both
    tables must be equal but for
    their measured ``ms_per_image``."""
    import pandas as pd
    from distributed import Client

    from axlib.companion import scaleout
    from axlib.companion.sizes import PAGE_SIZES
    from axlib.papers.robust import study

    n_images = check_int("n_images", n_images, low=1)
    shard_size = check_int("shard_size", shard_size, low=1)
    repeats = check_int("repeats", repeats, low=1)
    n_workers = check_int("n_workers", n_workers, low=1)
    indices = list(range(n_images))
    shards = study.study_shards([model], indices, PAGE_SIZES["05_robust_study"][settings]["method_settings"],
                                methods=methods, shard_size=shard_size)
    environments = {"dask default": {}, "axlib": MALLOC_ENV}
    runs = {name: [] for name in environments}
    tables = {}
    for repeat in range(repeats):
        for name, env in environments.items():
            with scaleout.local_cluster(n_workers, 1, worker_env=env) as cluster, Client(cluster) as client, \
                    tempfile.TemporaryDirectory() as out:
                user0, sys0 = _cpu(client)
                start = time.perf_counter()
                tables[name] = scaleout.run(study.study_shard, shards, out, scheduler=client, progress=False)
                wall = time.perf_counter() - start
                user1, sys1 = _cpu(client)
            runs[name].append({"wall_s": wall, "user_s": user1 - user0, "system_s": sys1 - sys0})
            if progress:
                progress(f"repeat {repeat + 1}/{repeats} {name}: {wall:.1f} s")
    timing = ["ms_per_image"]  # the one column that is measured, not computed
    pd.testing.assert_frame_equal(tables["dask default"].drop(columns=timing), tables["axlib"].drop(columns=timing))
    summary = {name: {key: statistics.median(r[key] for r in rs) for key in ("wall_s", "user_s", "system_s")}
               for name, rs in runs.items()}
    return {
        "benchmark": "study shards on a local Dask cluster: Dask's worker environment vs axlib's",
        "model": model, "methods": methods, "n_images": n_images, "shard_size": shard_size,
        "n_shards": len(shards), "settings": settings, "repeats": repeats, "n_workers": n_workers,
        "threads_per_worker": 1, "device": f"cpu ({platform.processor() or platform.machine()})",
        "worker_env": {"dask default": "distributed.nanny.pre-spawn-environ as shipped by Dask",
                       "axlib": MALLOC_ENV},
        "runs": runs, "median": summary,
        "speedup": summary["dask default"]["wall_s"] / summary["axlib"]["wall_s"],
    }


def format_table(result: dict) -> str:
    """The medians as a text table, one row per worker environment."""
    lines = [f"{result['n_shards']} shards ({result['model']}: {', '.join(result['methods'])}; "
             f"{result['n_images']} images), {result['n_workers']} workers x 1 thread, "
             f"median of {result['repeats']}",
             f"{'workers':<14}{'wall s':>9}{'user s':>9}{'system s':>10}"]
    for name, m in result["median"].items():
        lines.append(f"{name:<14}{m['wall_s']:>9.1f}{m['user_s']:>9.1f}{m['system_s']:>10.1f}")
    lines.append(f"speedup (wall, Dask default / axlib): {result['speedup']:.2f}x")
    return "\n".join(lines)


def bench_cli(args) -> int:
    """``axlib bench scaleout``: run a profile, print the table, write the JSON; returns 0.

    Raises ValueError for repeats that is not an integer >= 1 and for a device other than the
    CPU (the workers run on this machine's CPU cores), before any cluster starts."""
    cfg = dict(PROFILES[args.profile])
    if getattr(args, "repeats", None) is not None:
        cfg["repeats"] = check_int("repeats", args.repeats, low=1)
    if getattr(args, "device", None) not in (None, "cpu"):
        raise ValueError(f"device must be 'cpu' for the scaleout benchmark (its Dask workers use this "
                         f"machine's CPU cores), got {args.device!r}")
    start = time.perf_counter()
    result = bench(**cfg, progress=lambda m: print(f"[{time.perf_counter() - start:7.1f}s] {m}",
                                                   file=sys.stderr, flush=True))
    out = Path(args.out) if getattr(args, "out", None) else REPO_ROOT / "runs" / "bench" / f"scaleout-{args.profile}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(format_table(result))
    print(f"wrote {out}")
    return 0
