"""Metrics over batches of explanations: localisation (pointing game, WSL, insertion,
deletion; :mod:`axlib.metrics.localisation`) and change between explanations (percentage
change, SSIM; :mod:`axlib.metrics.change`)."""
from . import localisation  # noqa: F401
from .change import confidence_change, percentage_change, ssim  # noqa: F401
