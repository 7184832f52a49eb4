"""A number or wording quoted from a paper, with where it stands and the paper's own words."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quoted:
    """One value the book quotes from a paper.

    value: the number (float, int), a tuple of numbers (an interval, a pair) or a wording (str),
    as the book uses it (shares as fractions: the paper's "0.9%" is 0.009); where: the table,
    figure or section; text: the paper's words around it, verbatim from the paper's text (a
    test finds them in the paper and checks that ``value`` is the number they state).
    """

    value: float | int | tuple | str
    where: str
    text: str

    def __str__(self) -> str:
        return str(self.value)
