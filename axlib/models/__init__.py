"""Models: architectures with normalisation inside (inputs are [0, 1] pixels), recipes, checkpoints."""
from .registry import MODELS, card, load, train  # noqa: F401
