"""Every value a paper package quotes is in that paper's text, and is the number the text states.

The paper texts are the extractions in ``../shared/seeds`` (development machines only): the
test skips, saying so, where that folder is absent."""
from __future__ import annotations

import importlib
import math
import re
from pathlib import Path

import pytest

from axlib._util.quotes import Quoted, unquote

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
TEXTS = {"axai": ("001_35d5ca0e77a3e814.txt", "000_76bfdd7783c4ccb2.txt"),
         "robust": ("003_21bd8a42b6c9280b.txt",),
         "exiaa": ("004_ebd39d317116f5f0.txt",)}
NUMBER = re.compile(r"[-−]?\d+(?:\.\d+)?(?:e[-−+]?\d+)?")


def normalise(text: str) -> str:
    text = text.replace("−", "-").replace("\u00a0", " ")
    return re.sub(r"\s+", " ", text).strip().lower()


def quoted_values(module) -> list[tuple[str, Quoted]]:
    """Every Quoted in the module's globals, also inside dicts, lists and tuples, with its name."""
    found = []

    def walk(name, value):
        if isinstance(value, Quoted):
            found.append((name, value))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(f"{name}[{k!r}]", v)
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                walk(f"{name}[{i}]", v)
    for name, value in vars(module).items():
        if not name.startswith("_"):
            walk(name, value)
    return found


def numbers(value) -> list[float]:
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, float)):
        return [float(value)]
    if isinstance(value, (tuple, list)):
        return [n for v in value for n in numbers(v)]
    return []


def value_is_stated(q: Quoted) -> bool:
    """A number is stated in the text as itself or as a percentage; a wording is in the text."""
    if isinstance(q.value, str):
        return normalise(q.value) in normalise(q.text)
    stated = [float(s.replace("−", "-")) for s in NUMBER.findall(q.text.replace("−", "-"))]
    return all(any(math.isclose(n, s, rel_tol=1e-9, abs_tol=1e-12) or math.isclose(100 * n, s, rel_tol=1e-9)
                   for s in stated) for n in numbers(q.value))


@pytest.mark.parametrize("paper", sorted(TEXTS))
def test_paper_values_are_quoted_from_the_paper(paper):
    if not SEEDS.is_dir():
        pytest.skip(f"the paper texts ({SEEDS}) are not on this machine")
    text = normalise(" ".join((SEEDS / name).read_text() for name in TEXTS[paper]))
    module = importlib.import_module(f"axlib.papers.{paper}.paper")
    values = quoted_values(module)
    assert values, f"axlib.papers.{paper}.paper quotes nothing"
    missing = [f"{name}: {q.text!r}" for name, q in values if normalise(q.text) not in text]
    assert not missing, "not found in the paper's text:\n" + "\n".join(missing)
    wrong = [f"{name}: value {q.value!r} is not stated in {q.text!r}" for name, q in values if not value_is_stated(q)]
    assert not wrong, "\n".join(wrong)


def test_the_check_can_fail():
    """A value the text does not state, and a text the paper does not contain, are caught."""
    assert value_is_stated(Quoted(0.009, "Fig. 2", "Only 0.9% of CIFAR10"))
    assert value_is_stated(Quoted((73, 81), "Fig. 13", "nearly the same (73 and 81)"))
    assert not value_is_stated(Quoted(0.09, "Fig. 2", "Only 0.9% of CIFAR10"))
    assert not value_is_stated(Quoted((73, 80), "Fig. 13", "nearly the same (73 and 81)"))
    if SEEDS.is_dir():
        text = normalise((SEEDS / TEXTS["axai"][1]).read_text())
        assert normalise("nearly the same (73 and 81)") in text
        assert normalise("nearly the same (73 and 82)") not in text


def test_unquote_unwraps_inside_containers():
    q = Quoted(0.3, "Table 6", "0.30")
    nested = {"speech": {"t": q, "pair": (q, 2)}, "list": [q, "x"]}
    assert unquote(nested) == {"speech": {"t": 0.3, "pair": (0.3, 2)}, "list": [0.3, "x"]}
    assert unquote(Quoted((73, 81), "Fig. 13", "73 and 81")) == (73, 81) and unquote(5) == 5
