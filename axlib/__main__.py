"""``python -m axlib``: the ``axlib`` console script."""
from axlib.companion.cli import main

raise SystemExit(main())
