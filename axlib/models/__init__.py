"""Models: architectures with normalisation inside (inputs are [0, 1] pixels), recipes, checkpoints."""
# The submodule axlib.models.train is imported first, so that the name ``train`` below stays the
# function: a first import of the submodule later (``from axlib.models.train import accuracy``)
# would rebind ``axlib.models.train`` to the module and break ``axlib.models.train(name)``.
from . import train as _train_module  # noqa: F401
from .registry import MODELS, card, load, train  # noqa: F401
