"""Pre-registered claim rules and the estimates they judge.

A paper package declares one rule per claim (``claim(..., rule=...)`` in its ``claims.py``)
before any result is seen. The rule names the statistic, the direction that counts, the
decision boundary and why (the paper's own spread, or a stated convention), what "partly"
means, and the minimum n. A page computes an :class:`Estimate` (our number, its 95 % interval
and its n) and the recorder asks the claim's rule for the verdict
(:meth:`axlib.companion.results.Recorder.judge`); the verdict carries the rule's own text, so
no note restates a threshold by hand.

One decision procedure for every rule:

1. n below the rule's ``min_n``, or a bootstrap interval (:attr:`Estimate.resampled`) on fewer
   than :data:`axlib.intervals.MIN_RESAMPLED_N` units, from which no resampled interval can
   reach 95 % coverage: **inconclusive**;
2. otherwise the verdict the rule's boundaries give to every point of the interval; when the
   interval spans two verdicts (it straddles a boundary): **inconclusive**.

Kinds: :class:`AtLeast`, :class:`AtMost` (one-sided thresholds), :class:`Within` (a target
+- a tolerance), :class:`AllOf` (several sub-rules that the paper states together), and
:class:`NotComparable` (a claim that cannot be judged here, with the reason). Each rule gives
:meth:`Rule.examples`: inputs for which it must say "reproduced", something else, and
"inconclusive", which the tests run for every rule of the catalogue.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from axlib._util.checks import check_int, check_number
from axlib.companion.results import Verdict
from axlib.intervals import LEVEL, MIN_RESAMPLED_N, bootstrap_ci, proportion_ci

__all__ = ["Estimate", "Rule", "AtLeast", "AtMost", "Within", "AllOf", "NotComparable"]

_ORDER = ("not reproduced", "partly", "reproduced")


def _g(x: float) -> str:
    return f"{x:.3g}" if isinstance(x, float) and not float(x).is_integer() else f"{x:g}"


def _too_few(min_n: int) -> str:
    """The rule text's sample-size condition: "n < 3 (< 6 for a bootstrap interval, ...)"."""
    if min_n >= MIN_RESAMPLED_N:
        return f"n < {min_n}"
    return (f"n < {min_n} (< {MIN_RESAMPLED_N} for a bootstrap interval, which cannot reach {LEVEL:.0%} "
            "from fewer units)")


@dataclass(frozen=True)
class Estimate:
    """Our number that decides a verdict, with its 95 % interval and its sample size.

    Parameters
    ----------
    value : float
        The statistic; finite.
    low, high : float
        The 95 % interval, low <= value <= high.
    n : int
        The number of independent units behind it (>= 0).
    n_of : str, default "images"
        What ``n`` counts ("images", "models", "clips", "repeats", ...).
    interval : str, default "bootstrap over images"
        How the interval was obtained.

    Raises
    ------
    ValueError
        For a non-finite value, an interval that does not contain the value, or n < 0.
    """

    value: float
    low: float
    high: float
    n: int
    n_of: str = "images"
    interval: str = "bootstrap over images"

    def __post_init__(self):
        object.__setattr__(self, "value", check_number("value", self.value))
        object.__setattr__(self, "low", check_number("low", self.low))
        object.__setattr__(self, "high", check_number("high", self.high))
        object.__setattr__(self, "n", check_int("n", self.n, 0))
        if not self.low <= self.value <= self.high:
            raise ValueError(f"the interval [{self.low!r}, {self.high!r}] must contain the value {self.value!r}")

    @classmethod
    def proportion(cls, k: int, n: int, n_of: str = "images") -> Estimate:
        """The share k / n of ``n_of`` with its Clopper-Pearson interval (n >= 1)."""
        value, low, high = proportion_ci(k, n)
        return cls(value, low, high, n, n_of, "Clopper-Pearson")

    @classmethod
    def bootstrap(cls, statistic, *samples, n_of: str = "images", seed: int = 0) -> Estimate:
        """``statistic(*samples)`` with a bootstrap interval over the samples' units (rows; paired
        samples resampled together; the expanded percentile interval of
        :func:`axlib.intervals.bootstrap_ci`)."""
        value, low, high = bootstrap_ci(statistic, *samples, seed=seed)
        if not (math.isfinite(low) and math.isfinite(high)):
            raise ValueError(f"the statistic is undefined on every bootstrap resample of the {n_of}")
        return cls(value, low, high, len(samples[0]), n_of, f"bootstrap over {n_of}")

    @classmethod
    def mean(cls, values, n_of: str = "images", seed: int = 0) -> Estimate:
        """The mean of one value per unit, with a bootstrap interval (expanded percentile)."""
        import numpy as np

        return cls.bootstrap(np.mean, values, n_of=n_of, seed=seed)

    @classmethod
    def nothing(cls, n_of: str, why: str) -> Estimate:
        """No unit to estimate from (say, no model of a role in this profile): n = 0, which every
        rule's minimum n (at least 1) judges "inconclusive"; ``why`` is kept as the interval's
        description, and the value 0 is a placeholder no rule reads."""
        return cls(0.0, 0.0, 0.0, 0, n_of, why)

    @property
    def resampled(self) -> bool:
        """Whether the interval was read from bootstrap resamples (its description, ``interval``,
        starts with "bootstrap", as :meth:`bootstrap` and every hand-made bootstrap estimate
        write it): then n below :data:`axlib.intervals.MIN_RESAMPLED_N` is judged inconclusive."""
        return self.interval.startswith("bootstrap")

    def text(self) -> str:
        """``"0.42 [0.31, 0.55], n = 24 images"``."""
        return f"{_g(self.value)} [{_g(self.low)}, {_g(self.high)}], n = {self.n} {self.n_of}"


class Rule:
    """A claim's pre-registered rule (base class); see the module docstring for the procedure."""

    statistic: str
    why: str
    min_n: int

    @property
    def text(self) -> str:
        """The rule in one line: statistic, boundaries, tolerance and why, minimum n."""
        raise NotImplementedError

    def judge(self, estimate) -> Verdict:
        """The verdict for ``estimate`` (an :class:`Estimate`, or a mapping for :class:`AllOf`)."""
        raise NotImplementedError

    def examples(self) -> dict[str, object]:
        """Inputs on which this rule must give "reproduced", a failing verdict ("failing") and
        "inconclusive" (n below the minimum): the tests run them for every catalogue rule."""
        raise NotImplementedError


def _check_estimate(estimate) -> Estimate:
    if not isinstance(estimate, Estimate):
        raise ValueError(f"estimate must be an axlib.companion.rules.Estimate, got {type(estimate).__name__}")
    return estimate


class _Threshold(Rule):
    """What the threshold rules share: the decision procedure and the examples' shapes."""

    def category(self, x: float) -> str:
        raise NotImplementedError

    def boundaries(self) -> tuple[float, ...]:
        raise NotImplementedError

    def judge(self, estimate) -> Verdict:
        e = _check_estimate(estimate)
        if e.n < self.min_n or (e.resampled and e.n < MIN_RESAMPLED_N):
            return Verdict("inconclusive", self.text, e)
        points = [e.low, e.high, *(b for b in self.boundaries() if e.low <= b <= e.high)]
        found = {self.category(p) for p in points}
        return Verdict(found.pop() if len(found) == 1 else "inconclusive", self.text, e)

    def _at(self, x: float) -> Estimate:
        """An example estimate at x with no spread and the minimum n."""
        return Estimate(x, x, x, self.min_n, "units", "example")

    def _straddle(self, boundary: float, half_width: float) -> Estimate:
        """An example estimate whose interval straddles ``boundary``, with the minimum n."""
        return Estimate(boundary, boundary - half_width, boundary + half_width, self.min_n, "units", "example")

    def _check(self) -> None:
        check_int("min_n", self.min_n, 1)
        if not self.why:
            raise ValueError("why must say where the boundaries come from")

    def _tail(self) -> str:
        return (f"; inconclusive when the {LEVEL:.0%} interval straddles a boundary or {_too_few(self.min_n)} "
                f"({self.why})")


@dataclass(frozen=True)
class _OneSided(_Threshold):
    """A one-sided threshold; :class:`AtLeast` (``_sign`` +1) and :class:`AtMost` (-1) differ only by
    the direction of every comparison."""

    statistic: str
    reproduced: float
    partly: float | None = None
    why: str = ""
    min_n: int = 1
    _sign: ClassVar[int] = 1

    def __post_init__(self):
        self._check()
        check_number("reproduced", self.reproduced)
        if self.partly is not None:
            check_number("partly", self.partly)
        if self.partly is not None and not self._sign * (self.reproduced - self.partly) > 0:
            side = "below" if self._sign > 0 else "above"
            raise ValueError(f"partly ({self.partly!r}) must be {side} reproduced ({self.reproduced!r})")

    def _holds(self, x: float, boundary: float) -> bool:
        return self._sign * (x - boundary) >= 0

    def category(self, x: float) -> str:
        if self._holds(x, self.reproduced):
            return "reproduced"
        return "partly" if self.partly is not None and self._holds(x, self.partly) else "not reproduced"

    def boundaries(self) -> tuple[float, ...]:
        return (self.reproduced,) if self.partly is None else (self.reproduced, self.partly)

    @property
    def text(self) -> str:
        op = ">=" if self._sign > 0 else "<="
        partly = f"; {op} {_g(self.partly)}: partly" if self.partly is not None else ""
        return f"{self.statistic} {op} {_g(self.reproduced)}: reproduced{partly}; else not reproduced" + self._tail()

    def examples(self) -> dict[str, object]:
        last = self.partly if self.partly is not None else self.reproduced
        step = max(abs(self.reproduced), 1.0)
        return {"reproduced": self._at(self.reproduced + self._sign * step), "failing": self._at(last - self._sign * step),
                "inconclusive": self._straddle(self.reproduced, step)}


class AtLeast(_OneSided):
    """Reproduced when the statistic is >= ``reproduced``; partly when >= ``partly`` (if given);
    else not reproduced.

    Parameters
    ----------
    statistic : str
        What is computed, with its unit.
    reproduced : float
        The boundary of "reproduced".
    partly : float, optional
        The boundary of "partly" (< ``reproduced``); None: no partly band.
    why : str
        Why these boundaries (the paper's spread, or a stated convention).
    min_n : int, default 1
        The minimum sample size to give a verdict, >= 1.

    Raises
    ------
    ValueError
        For a boundary that is not a finite number, ``partly`` not below ``reproduced``,
        ``min_n`` not an integer >= 1, or an empty ``why``.
    """

    _sign: ClassVar[int] = 1


class AtMost(_OneSided):
    """Reproduced when the statistic is <= ``reproduced``; partly when <= ``partly`` (if given);
    else not reproduced. Parameters as :class:`AtLeast` (``partly`` > ``reproduced``)."""

    _sign: ClassVar[int] = -1


@dataclass(frozen=True)
class Within(_Threshold):
    """Reproduced when |statistic - target| <= ``tolerance``; partly when <= ``partly``
    (if given, > ``tolerance``); else not reproduced. ``target`` is the paper's value.

    Raises ValueError for a target, tolerance (>= 0) or partly that is not a finite number,
    ``partly`` not above ``tolerance``, ``min_n`` not an integer >= 1, or an empty ``why``."""

    statistic: str
    target: float
    tolerance: float
    partly: float | None = None
    why: str = ""
    min_n: int = 1

    def __post_init__(self):
        self._check()
        check_number("target", self.target)
        check_number("tolerance", self.tolerance, 0)
        if self.partly is not None:
            check_number("partly", self.partly)
        if self.partly is not None and not self.partly > self.tolerance:
            raise ValueError(f"partly ({self.partly!r}) must be above tolerance ({self.tolerance!r})")

    def category(self, x: float) -> str:
        gap = abs(x - self.target) - 1e-12 * max(1.0, abs(self.target))   # a boundary point counts inside
        if gap <= self.tolerance:
            return "reproduced"
        return "partly" if self.partly is not None and gap <= self.partly else "not reproduced"

    def boundaries(self) -> tuple[float, ...]:
        widths = (self.tolerance,) if self.partly is None else (self.tolerance, self.partly)
        return tuple(self.target + s * w for w in widths for s in (-1, 1))

    @property
    def text(self) -> str:
        partly = f"; within +- {_g(self.partly)}: partly" if self.partly is not None else ""
        return (f"{self.statistic} within {_g(self.target)} +- {_g(self.tolerance)}: reproduced{partly}; "
                "else not reproduced" + self._tail())

    def examples(self) -> dict[str, object]:
        outside = (self.partly if self.partly is not None else self.tolerance) + max(self.tolerance, abs(self.target), 1.0)
        return {"reproduced": self._at(self.target), "failing": self._at(self.target + outside),
                "inconclusive": self._straddle(self.target + self.tolerance, outside)}


@dataclass(frozen=True)
class AllOf(Rule):
    """Several sub-rules the paper states together ("A and B").

    Reproduced when every part is; partly when at least ``partly_from`` parts are reproduced
    (or, with ``partly_from`` None, when any part is reproduced or partly); else not
    reproduced. Inconclusive parts count both ways: when the verdict with all of them
    reproduced differs from that with all of them not reproduced, the whole is inconclusive.

    Parameters
    ----------
    parts : mapping of str to Rule
        Named sub-rules (threshold rules).
    partly_from : int, optional
        Parts reproduced for "partly".
    why : str, default ""
        Why the parts are combined so.

    Raises
    ------
    ValueError
        For parts that are not a mapping of at least two rules, or ``partly_from`` not an
        integer in [1, number of parts - 1].
    """

    parts: Mapping[str, Rule]
    partly_from: int | None = None
    why: str = ""

    def __post_init__(self):
        if not isinstance(self.parts, Mapping) or not all(isinstance(r, Rule) for r in self.parts.values()):
            raise ValueError(f"parts must map names to rules (AtLeast, AtMost, Within, ...), got {self.parts!r}")
        if len(self.parts) < 2:
            raise ValueError(f"parts must hold at least two named rules, got {list(self.parts)}")
        if self.partly_from is not None:
            check_int("partly_from", self.partly_from, 1, len(self.parts) - 1)

    @property
    def statistic(self) -> str:
        return "; ".join(self.parts)

    @property
    def min_n(self) -> int:
        return max(p.min_n for p in self.parts.values())

    def _combine(self, verdicts: list[str]) -> str:
        hits = sum(v == "reproduced" for v in verdicts)
        if hits == len(verdicts):
            return "reproduced"
        if self.partly_from is None:
            return "partly" if any(v in ("reproduced", "partly") for v in verdicts) else "not reproduced"
        return "partly" if hits >= self.partly_from else "not reproduced"

    @property
    def text(self) -> str:
        partly = (f"at least {self.partly_from} of {len(self.parts)}" if self.partly_from is not None
                  else "any part reproduced or partly")
        inner = " | ".join(f"{name}: {rule.text.split('; inconclusive')[0]}" for name, rule in self.parts.items())
        whys = "; ".join(dict.fromkeys(w for w in (*(p.why for p in self.parts.values()), self.why) if w))
        return (f"all {len(self.parts)} parts reproduced: reproduced; {partly}: partly; else not reproduced "
                f"[{inner}]; a part is inconclusive when its {LEVEL:.0%} interval straddles a boundary or "
                f"{_too_few(self.min_n)} ({whys})")

    def judge(self, estimate) -> Verdict:
        if not isinstance(estimate, Mapping) or set(estimate) != set(self.parts):
            got = sorted(estimate) if isinstance(estimate, Mapping) else type(estimate).__name__
            raise ValueError(f"estimate must map each part {sorted(self.parts)} to an Estimate, got {got}")
        parts = {name: rule.judge(estimate[name]) for name, rule in self.parts.items()}
        verdicts = [v.verdict for v in parts.values()]
        best = self._combine(["reproduced" if v == "inconclusive" else v for v in verdicts])
        worst = self._combine(["not reproduced" if v == "inconclusive" else v for v in verdicts])
        return Verdict(best if best == worst else "inconclusive", self.text, dict(estimate),
                       {name: v.verdict for name, v in parts.items()})

    def examples(self) -> dict[str, object]:
        cases = {name: rule.examples() for name, rule in self.parts.items()}
        return {kind: {name: c[kind] for name, c in cases.items()} for kind in ("reproduced", "failing", "inconclusive")}


@dataclass(frozen=True)
class NotComparable(Rule):
    """A claim that cannot be judged here; ``reason`` says why (shown as the rule)."""

    reason: str = ""
    statistic: str = "not comparable"
    why: str = ""
    min_n: int = 0

    def __post_init__(self):
        if not self.reason:
            raise ValueError("reason must say why the claim cannot be judged here")

    @property
    def text(self) -> str:
        return f"not comparable: {self.reason}"

    def judge(self, estimate=None) -> Verdict:
        return Verdict("not comparable", self.text, estimate if isinstance(estimate, Estimate) else None)

    def examples(self) -> dict[str, object]:
        return {}
