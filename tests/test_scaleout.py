"""The Dask scale-out runner: grid, atomic Parquet shards, resume, and a worker killed mid-run."""
from __future__ import annotations

import os
import signal
import sys
import time

import numpy as np
import pandas as pd
import pytest

from axlib.companion import scaleout as S
from axlib.companion.environ import MALLOC_ENV


def score_task(model: str, method: str, start: int, stop: int, delay: float = 0.0,
               log_dir: str | None = None, fail: str | None = None) -> pd.DataFrame:
    """A deterministic stand-in for an attribution shard: one row per item, values seeded by
    the params. Appends its name to log_dir (one file per call) so tests count computations."""
    if log_dir is not None:
        with open(os.path.join(log_dir, f"{model}-{method}-{start}-{os.getpid()}-{time.time_ns()}"), "w"):
            pass
    if fail is not None and fail == f"{model}/{method}/{start}":
        raise RuntimeError("boom")
    time.sleep(delay)
    seed = sum(map(ord, f"{model}/{method}")) * 10_000 + start
    rng = np.random.default_rng(seed)
    items = np.arange(start, stop)
    return pd.DataFrame({"model": model, "method": method, "image": items,
                         "score": rng.random(len(items)), "hit": rng.random(len(items)) > 0.5})


def test_grid_covers_the_product_with_a_short_last_shard():
    shards = S.grid(10, 4, model=["a", "b"], method=["rise"])
    assert [s.params for s in shards[:3]] == [
        dict(model="a", method="rise", start=0, stop=4), dict(model="a", method="rise", start=4, stop=8),
        dict(model="a", method="rise", start=8, stop=10)]
    assert len(shards) == 6 and shards[3].name == "model=b__method=rise__items=0-4"
    with pytest.raises(ValueError, match="shard_size"):
        S.grid(10, 0, model=["a"])
    with pytest.raises(ValueError, match="axis 'model'"):
        S.grid(10, 2, model=[])


def test_keys_depend_on_function_and_params():
    a, b = S.grid(4, 2, model=["a"], method=["ig"])
    assert S.shard_key(score_task, a) != S.shard_key(score_task, b)
    assert S.shard_key(score_task, a) == S.shard_key(score_task, S.Shard("renamed", dict(a.params)))
    assert S.shard_key(score_task, a) != S.shard_key(test_grid_covers_the_product_with_a_short_last_shard, a)
    with pytest.raises(ValueError, match="JSON"):
        S.shard_key(score_task, S.Shard("x", {"arr": np.zeros(2)}))


def test_serial_run_writes_one_file_per_shard_and_resumes(tmp_path):
    from functools import partial

    log = tmp_path / "log"
    log.mkdir()
    task = partial(score_task, log_dir=str(log))
    shards = S.grid(9, 3, model=["a", "b"], method=["ig"])
    stop_after = 2

    class Interrupt(Exception):
        pass

    def interrupt(shard, n_done):
        if n_done == stop_after:
            raise Interrupt

    with pytest.raises(Interrupt):
        S.run(task, shards, tmp_path / "out", scheduler="serial", progress=False, on_shard_done=interrupt)
    assert len(list((tmp_path / "out").glob("*.parquet"))) == 2
    assert not list((tmp_path / "out").glob(".*.tmp"))
    assert len(S.pending(task, shards, tmp_path / "out")) == 4
    table = S.run(task, shards, tmp_path / "out", scheduler="serial", progress=False)
    assert len(list(log.iterdir())) == 6          # 2 + 4: no shard computed twice
    fresh = S.run(partial(score_task), shards, tmp_path / "fresh", scheduler="serial", progress=False)
    pd.testing.assert_frame_equal(table, fresh)
    assert table["image"].tolist() == list(range(9)) * 2 and len(table) == 18
    S.run(task, shards, tmp_path / "out", scheduler="serial", progress=False)
    assert len(list(log.iterdir())) == 6          # all done: nothing recomputed


def test_failing_shard_is_named_and_the_others_are_kept(tmp_path):
    from functools import partial

    shards = S.grid(6, 2, model=["a"], method=["ig"])
    with pytest.raises(RuntimeError, match="items=2-4") as info:
        S.run(partial(score_task, fail="a/ig/2"), shards, tmp_path, scheduler="serial", progress=False)
    assert "boom" in str(info.value.__cause__)
    assert len(list(tmp_path.glob("*.parquet"))) == 1
    with pytest.raises(FileNotFoundError, match="items=2-4"):
        S.load_table(partial(score_task, fail="a/ig/2"), shards, tmp_path)


def test_bad_arguments(tmp_path):
    shards = S.grid(2, 1, model=["a"], method=["ig"])
    with pytest.raises(ValueError, match="n_workers"):
        S.run(score_task, shards, tmp_path, n_workers=0)
    with pytest.raises(ValueError, match="shards"):
        S.run(score_task, [("a", {})], tmp_path)
    with pytest.raises(ValueError, match="scheduler"):
        S.run(score_task, shards, tmp_path, scheduler=42, progress=False)


def test_worker_killed_mid_run_gives_the_single_process_table(tmp_path):
    """Two worker processes (1 thread each); once the first shard is saved, the worker then
    running a shard is killed with SIGKILL. The scheduler reruns its task on the other
    worker (or the restarted one); the final table must equal the serial run's."""
    import cloudpickle
    from distributed import Client

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    from functools import partial

    task = partial(score_task, delay=0.4)
    shards = S.grid(24, 3, model=["a", "b"], method=["ig"])   # 16 shards
    killed = []
    start = time.perf_counter()
    with S.local_cluster(n_workers=2) as cluster, Client(cluster) as client:
        pids = client.run(os.getpid)                  # worker address -> worker process id

        def kill_one(shard, n_done):
            if killed:
                return
            busy = [addr for addr, keys in client.processing().items() if keys and addr in pids]
            if busy:
                os.kill(pids[busy[0]], signal.SIGKILL)   # a worker process this test started
                killed.append(busy[0])

        table = S.run(task, shards, tmp_path / "dask", scheduler=client, progress=False,
                      on_shard_done=kill_one)
    elapsed = time.perf_counter() - start
    assert killed, "no worker was busy when the first shard finished"
    reference = S.run(task.func, shards, tmp_path / "serial", scheduler="serial", progress=False)
    pd.testing.assert_frame_equal(table, reference)
    assert len(list((tmp_path / "dask").glob("*.parquet"))) == 16
    assert elapsed < 60


def _malloc_environ() -> dict:
    return {k: os.environ.get(k) for k in MALLOC_ENV}


def test_local_cluster_workers_get_the_allocator_settings():
    """The default workers keep small allocations on the heap (MALLOC_ENV); worker_env={}
    leaves Dask's own setting (a 64 KiB trim threshold, the cause of the kernel time)."""
    from distributed import Client

    expected = {k: str(v) for k, v in MALLOC_ENV.items()}
    before = _malloc_environ()
    with S.local_cluster(n_workers=1) as cluster, Client(cluster) as client:
        assert list(client.run(_malloc_environ).values()) == [expected]
    with S.local_cluster(n_workers=1, worker_env={}) as cluster, Client(cluster) as client:
        (seen,) = client.run(_malloc_environ).values()
    assert seen["MALLOC_TRIM_THRESHOLD_"] == "65536" and seen["MALLOC_MMAP_THRESHOLD_"] is None
    assert _malloc_environ() == before  # this process's environment is put back
    with pytest.raises(ValueError, match="worker_env"):
        S.local_cluster(n_workers=1, worker_env=["MALLOC_TRIM_THRESHOLD_=0"])


def test_partial_with_unserialisable_binding_is_refused():
    from functools import partial

    shard = S.grid(2, 2, model=["a"], method=["ig"])[0]
    assert S.shard_key(partial(score_task, delay=0.1), shard) != S.shard_key(partial(score_task, delay=0.2), shard)
    with pytest.raises(ValueError, match="JSON-serialisable"):
        S.shard_key(partial(score_task, log_dir=object()), shard)


def test_bench_scaleout_smoke_runs_both_environments(tmp_path, capsys):
    """`axlib bench scaleout --profile smoke`: both worker environments run the same shards
    (bench asserts their tables equal) and the JSON records per-run wall / user / system times."""
    import json

    from axlib.companion.cli import main
    from axlib.models.registry import checkpoint_path

    if not checkpoint_path("canvas64-resnet").exists():
        pytest.skip("canvas64-resnet not trained yet")
    out = tmp_path / "scaleout.json"
    assert main(["bench", "scaleout", "--profile", "smoke", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert set(result["median"]) == {"dask default", "axlib"}
    assert result["n_shards"] == 4 and result["worker_env"]["axlib"] == MALLOC_ENV
    for runs in result["runs"].values():
        assert len(runs) == 1 and runs[0]["wall_s"] > 0 and runs[0]["user_s"] > 0
    assert "speedup" in capsys.readouterr().out


def test_bench_scaleout_rejects_bad_sizes():
    from axlib.companion.bench_scaleout import bench

    with pytest.raises(ValueError, match="shard_size"):
        bench("canvas64-resnet", ["rise"], 2, 0, "smoke", 1, 2)


def test_a_registered_task_name_keeps_shard_keys_when_the_code_moves(tmp_path):
    """Two functions registered under one name key their shards alike: moving a task keeps a
    user's finished Parquet files valid; an unregistered function keys by its module path."""
    def here(**params):
        return pd.DataFrame({"x": [1]})

    def moved_elsewhere(**params):
        return pd.DataFrame({"x": [1]})

    shard = S.grid(4, 2, method=["a"])[0]
    S.task("paper.some_task")(here)
    S.task("paper.some_task")(moved_elsewhere)
    assert S.shard_key(here, shard) == S.shard_key(moved_elsewhere, shard)
    assert S.shard_key(here, shard) != S.shard_key(score_task, shard)
    S.run(here, [shard], tmp_path, scheduler="serial", progress=False)
    assert S.pending(moved_elsewhere, [shard], tmp_path) == []
    with pytest.raises(ValueError, match="name must be a dotted identifier"):
        S.task("not a name")


def test_the_study_and_exiaa_tasks_keep_their_names_until_their_rows_change():
    """A task's name enters every shard key: kept across the layout move (old shards stay
    valid), changed when the rows change (the study's rows gained WSL's per-threshold IoUs in
    stop 25, so shards written before must not be reused)."""
    from axlib.papers.exiaa import grid
    from axlib.papers.robust import study

    assert study.study_shard.__axlib_task__ == "robust.study_shard.wsol"
    assert grid.grid_shard.__axlib_task__ == "axlib.exiaa.grid_shard"


def test_scheduler_names(tmp_path):
    shard = S.grid(2, 2)[0]
    with pytest.raises(ValueError, match="scheduler must be 'serial', 'local', an address"):
        S.run(score_task, [shard], tmp_path, scheduler="dask")


# ---------------------------------------------------------------- shards verified on read

def _spoil_truncate(path, shards_dir):
    path.write_bytes(path.read_bytes()[:100])


def _spoil_empty(path, shards_dir):
    path.write_bytes(b"")


def _spoil_no_checksum(path, shards_dir):
    path.with_name(path.name + ".sha256").unlink()


def _spoil_foreign(path, shards_dir):
    """Another shard's valid file (and its valid checksum) under this shard's name."""
    other = sorted(p for p in shards_dir.glob("*.parquet") if p != path)[0]
    path.write_bytes(other.read_bytes())
    path.with_name(path.name + ".sha256").write_bytes(other.with_name(other.name + ".sha256").read_bytes())


def _spoil_flip(path, shards_dir):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("spoil, reason", [
    (_spoil_truncate, "sha256 differs"), (_spoil_empty, "sha256 differs"), (_spoil_flip, "sha256 differs"),
    (_spoil_no_checksum, "no checksum file"), (_spoil_foreign, "holds shard"),
])
def test_a_spoiled_shard_is_moved_aside_and_recomputed(tmp_path, spoil, reason):
    from functools import partial

    log = tmp_path / "log"
    log.mkdir()
    task = partial(score_task, log_dir=str(log))
    shards = S.grid(6, 2, model=["a"], method=["ig"])
    clean = S.run(task, shards, tmp_path / "out", scheduler="serial", progress=False)
    victim = S.shard_path(tmp_path / "out", task, shards[1])
    spoil(victim, tmp_path / "out")
    with pytest.raises(S.ShardError, match=rf"shard '{shards[1].name}'.*{reason}"):
        S.load_table(task, shards, tmp_path / "out")
    with pytest.warns(RuntimeWarning, match=rf"shard '{shards[1].name}': {victim.name} was not used: .*{reason}"):
        again = S.run(task, shards, tmp_path / "out", scheduler="serial", progress=False)
    pd.testing.assert_frame_equal(again, clean)
    assert len(list(log.iterdir())) == 4                          # 3 + the spoiled one, once
    assert len(list((tmp_path / "out").glob(f"{victim.name}.bad-*"))) == 1


def test_shard_files_are_read_through_python_open_so_page_traces_see_them(tmp_path):
    """The runner's trace records files opened by Python's open (audit event "open"); a shard
    read by pyarrow's own file system would be invisible to the page cache."""
    import sys

    shards = S.grid(2, 2, model=["a"], method=["ig"])
    S.run(score_task, shards, tmp_path, scheduler="serial", progress=False)
    path = str(S.shard_path(tmp_path, score_task, shards[0]))
    opened = []

    def hook(event, args):
        if event == "open" and opened is not None and str(args[0]) == path:
            opened.append(args[0])
    sys.addaudithook(hook)                     # hooks cannot be removed; this one only records
    S.load_table(score_task, shards, tmp_path)
    seen, opened = list(opened), None
    assert seen, "the shard was not opened through Python's open"


def test_session_shares_one_local_cluster_between_runs_and_passes_others_through(tmp_path):
    import cloudpickle
    from distributed import Client

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with S.session("serial") as same:
        assert same == "serial"
    with S.session("tcp://host:8786") as address:
        assert address == "tcp://host:8786"
    shards = S.grid(8, 4, model=["a"], method=["ig"])
    with S.session("local", n_workers=1) as client:
        assert isinstance(client, Client) and len(client.scheduler_info()["workers"]) == 1
        first = S.run(score_task, shards, tmp_path / "one", scheduler=client, progress=False)
        second = S.run(score_task, shards, tmp_path / "two", scheduler=client, progress=False)
        assert client.status == "running"                      # the second run found the cluster open
    assert client.status == "closed"
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(first, S.run(score_task, shards, tmp_path / "serial", scheduler="serial",
                                               progress=False))
    with pytest.raises(ValueError, match="n_workers"):
        with S.session("local", n_workers=0):
            pass
