"""Every number and wording the book quotes from AXAI, with its table, figure or section and the
paper's own words (:class:`~axlib._util.quotes.Quoted`; ``tests/test_paper_values.py`` finds
each text in the paper and checks the value against it). Nothing else in the book types a
number of this paper.
"""
from __future__ import annotations

from axlib._util.quotes import Quoted  # noqa: F401
