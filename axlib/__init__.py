"""axlib: the helper package of the adversarial-XAI paper companion.

Three layers. The core imports neither of the others; a paper package imports the core and,
for running its grids and declaring its claims, the companion's ``scaleout``, ``claims`` and
``results``, never another paper; the companion imports both (``tests/test_layers.py`` keeps
the first two rules):

* **core**, paper-agnostic methods over batched tensors: ``attacks`` (FGM, PGD), ``segment``
  (QuickShift, grids), ``explain`` (AXAI and every baseline behind one ``attribute`` call),
  ``metrics`` (localisation, insertion/deletion, explanation change), ``stats``, ``plots``,
  ``models`` (architectures, checkpoints, recipes) and ``data`` (registry, manifest, loaders).
  Inputs to every model are [0, 1] pixels.
* **papers**: one package per paper (``papers.axai``, ``papers.robust``, ``papers.exiaa``), each
  with the experiments of that paper; a paper package never imports another.
* **companion**: the book's machinery: profiles, results and claims, the notebook runner, the
  site builder, the command line, the Dask scale-out and its benchmark.

``axlib.profile`` and ``axlib.results`` are the two names a notebook needs from the top.
"""
from . import data, models  # noqa: F401
from .companion import results  # noqa: F401
from .companion.profiles import PROFILE_NAMES, Profile, profile  # noqa: F401

__version__ = "0.1.0"
