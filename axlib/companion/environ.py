"""Temporarily set or unset environment variables of this process."""
from __future__ import annotations

import os
from contextlib import contextmanager


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
