"""Environment variables of this process and of the processes it starts: a temporary setting,
and the allocator settings every heavy axlib process runs with."""
from __future__ import annotations

import os
from contextlib import contextmanager

MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": 2**30, "MALLOC_TRIM_THRESHOLD_": 2**30}
"""glibc allocator settings (bytes) of the notebook kernels ``axlib run`` starts and of the
local Dask cluster's workers.

With glibc's defaults, or with Dask's nanny setting ``MALLOC_TRIM_THRESHOLD_=65536``, large
tensors are fresh ``mmap``s whose pages fault in zeroed and are handed back after use: batched
attacks and attribution methods that allocate batches of images then spend much of their time
in the kernel (measured, AXAI on MobileNetV2, 1 thread: batch 8 took 1.225 s per image, 2.45 s
of it system time, with the defaults and 0.746 s with a 256 MiB setting; study shards 1.9x
faster on 2 cores, ``axlib bench scaleout``). Keeping allocations up to 1 GiB on the heap and
trimming only above that removes it; a process's memory stays bounded by what one batch or
shard holds. 1 GiB rather than 256 MiB because SHAP's batches of 50 224-px images hold buffers
of about 300 MB: measured (MobileNetV2, 1 thread, median of 3 images, two alternating runs
each), SHAP 5.97 / 6.01 s per image with 3.5 / 3.7 s of system time at 256 MiB and 4.73 /
5.11 s with 0.02 / 0.09 s at 1 GiB; AXAI 0.82-0.93 vs 0.71-0.78 s, LIME 11.9-12.1 vs
11.3-11.9 s; peak resident memory 3.7-3.9 vs 3.6-3.8 GB. Results are unchanged (allocator
only)."""


def malloc_environ() -> dict[str, str]:
    """:data:`MALLOC_ENV` as strings, each value the caller's own where its environment sets one."""
    return {key: os.environ.get(key, str(value)) for key, value in MALLOC_ENV.items()}


@contextmanager
def temporary_environ(values: dict[str, str | None]):
    """Within the block, ``os.environ[key] = value`` for each item (``None``: the variable is
    unset); afterwards every key named has its previous value again, or is unset if it had none."""
    old = {key: os.environ.get(key) for key in values}
    try:
        for key, value in values.items():
            _put(key, value)
        yield
    finally:
        for key, value in old.items():
            _put(key, value)


def _put(key: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = value


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3      # glibc's mallopt parameters (malloc.h)


def apply_malloc_settings() -> bool:
    """Give this running process :data:`MALLOC_ENV`'s allocator settings through glibc's
    ``mallopt`` (the environment variables are read only when a process starts), unless its
    environment sets its own. For the commands that compute in the CLI's own process
    (``axlib bench``, ``train``, ``explain``). Returns whether they were applied (False off
    glibc, e.g. macOS or Windows, where nothing changes)."""
    import ctypes
    import ctypes.util
    import platform

    if platform.system() != "Linux" or any(key in os.environ for key in MALLOC_ENV):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MALLOC_ENV["MALLOC_MMAP_THRESHOLD_"])
                and mallopt(_M_TRIM_THRESHOLD, MALLOC_ENV["MALLOC_TRIM_THRESHOLD_"]))

