from . import manifest, registry  # noqa: F401  (data-set registry; data/ manifest)
from .registry import DATASETS, ChecksumError, DataUnavailableError, fetch, is_cached  # noqa: F401
