"""Metrics over batches of explanations: localisation (pointing game, WSL at a fixed threshold,
insertion, deletion; :mod:`axlib.metrics.localisation`), MaxBoxAcc as the WSOL evaluation
framework defines it (:mod:`axlib.metrics.wsol`) and change between explanations (percentage
change, SSIM; :mod:`axlib.metrics.change`)."""
from . import localisation, wsol  # noqa: F401
from .change import confidence_change, percentage_change, ssim  # noqa: F401
