"""axlib: the helper package of the adversarial-XAI paper companion.

One module per concept: ``data`` (registry, loaders), ``models`` (architectures, checkpoints,
recipes), ``attacks`` (FGM/PGD), ``segment`` (QuickShift, grids), ``explain`` (AXAI and
baselines), ``stats``, ``results`` (numbers beside the paper's), ``runner`` / ``book`` (papermill
and Jupyter Book), ``cli``. Inputs to every model are [0, 1] pixels.
"""
from . import data, models, results  # noqa: F401
from .profiles import PROFILE_NAMES, Profile, profile  # noqa: F401

__version__ = "0.1.0"
