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


def unquote(obj):
    """The plain value of ``obj``: a :class:`Quoted`'s value, recursively inside dicts, lists and
    tuples (each keeps its type); anything else unchanged.

    Parameters
    ----------
    obj : Quoted, dict, list, tuple or any
        What to unwrap.

    Returns
    -------
    object
        ``obj`` with every :class:`Quoted` replaced by its ``value``.
    """
    if isinstance(obj, Quoted):
        return unquote(obj.value)
    if isinstance(obj, dict):
        return {k: unquote(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [unquote(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(unquote(v) for v in obj)
    return obj
