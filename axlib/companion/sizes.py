"""Every page's sizes, per profile: the one place a page's numbers of images, repeats, grids
and thread counts are set (read through :func:`axlib.profile` with ``page=``).

One entry per notebook (its file stem), each a mapping ``{profile: {size: value}}`` with the
same keys in every profile. ``threads``, when present, is the torch CPU thread count the page
runs with (applied by :func:`axlib.profile`).
"""
from __future__ import annotations


def _with(base: dict, **changes) -> dict:
    """A copy of ``base`` with ``changes``: a profile that differs from another in a few sizes."""
    unknown = set(changes) - set(base)
    if unknown:
        raise KeyError(f"sizes {sorted(unknown)} are not in the base profile")
    return {**base, **changes}


PAGE_SIZES: dict[str, dict[str, dict]] = {}

# ----------------------------------------------------------------------- 00 models
# ----------------------------------------------------------------------- 01 QuickShift
# ----------------------------------------------------------------------- 02 distributions
# ----------------------------------------------------------------------- 03 quantile selection
# ----------------------------------------------------------------------- 04 benchmarks
# ----------------------------------------------------------------------- 05 robust study
# ----------------------------------------------------------------------- 06 EXIAA
# ----------------------------------------------------------------------- 07 speech and text
