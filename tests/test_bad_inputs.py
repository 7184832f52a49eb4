"""Bad inputs across the public API and the command line (issue 17, item 6).

One line per case: ``(callable, kwargs, exception, regex)``, where the call ``callable(**kwargs)``
must raise exactly ``exception`` with a message matching ``regex`` (anchored with ``^``; with
``$`` too where the whole message is fixed). Every message names the parameter and, where the
code states them, the value it got and the accepted range. The command-line table gives
``(argv, exit status, stderr regex)``; its cases run in this process through
``axlib.companion.cli.main`` (three also as a real console command).

Every input is tiny (1 x 3 x 8 x 8 images, a 3-class model of 130 parameters), and the
``nothing_heavy_runs`` fixture replaces training, data downloads, notebook execution and the
benchmarks by a failure, so a case that got past validation fails at once instead of working.
"""
from __future__ import annotations

import dataclasses
import functools
import importlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import axlib
from axlib import attacks, intervals, segment, stats
from axlib.companion import cli, scaleout
from axlib.companion.rules import AllOf, AtLeast, AtMost, Estimate, NotComparable, Within
from axlib.data import cifar, imagenet, registry
from axlib.explain import METHODS, attribute, axai, default_attack_params
from axlib.explain.axai import attribute as axai_attribute
from axlib.explain.axai import tail_mask
from axlib.metrics import change, localisation, wsol
from axlib.models import card, load, train
from axlib.models.normalize import Normalize
from axlib.papers.exiaa import attack as exiaa

P = functools.partial
NAN, INF = float("nan"), float("inf")
CUDA = torch.cuda.is_available()
NOWHERE = Path(tempfile.gettempdir()) / "axlib-bad-inputs-never-written"   # every run() case fails before writing


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(Normalize([0.5] * 3, [0.25] * 3), nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)).eval()


M = _model()                                                        # 3 classes, 3-channel input
X = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(1)) * 0.8 + 0.1
X_NAN = X.clone().index_put_((torch.tensor(0), torch.tensor(0), torch.tensor(0), torch.tensor(0)), torch.tensor(NAN))
X_INF = X.clone().index_put_((torch.tensor(0), torch.tensor(1), torch.tensor(2), torch.tensor(3)), torch.tensor(INF))
SEG = segment.grid((1, 8, 8), 2)                                    # 4 segments
MAPS = torch.rand(1, 8, 8, generator=torch.Generator().manual_seed(2))
BOX = torch.tensor([[1.0, 1.0, 5.0, 5.0]])
P3 = torch.tensor([[0.2, 0.5, 0.3]])


def lit(text: str) -> str:
    """The whole message, literally."""
    return "^" + re.escape(text) + "$"


def pre(text: str) -> str:
    """The message's beginning, literally."""
    return "^" + re.escape(text)


def named(label: str, fn):
    """``fn`` under ``label``, for the case's id."""
    fn = functools.partial(fn)
    fn.__name__ = label
    return fn


def _id(fn, kwargs) -> str:
    def short(v):
        if isinstance(v, torch.Tensor):
            text = f"tensor{tuple(v.shape)}" + ("" if v.dtype == torch.float32 else str(v.dtype)[5:])
            if v.numel() and v.is_floating_point():
                text += "nan" if bool(v.isnan().any()) else "inf" if bool(v.isinf().any()) else \
                    f"[{float(v.min()):.2g},{float(v.max()):.2g}]"
            elif v.numel() and v.dtype != torch.bool:
                text += f"[{int(v.min())},{int(v.max())}]"
            return text
        if callable(v) or dataclasses.is_dataclass(v):
            return getattr(v, "__name__", type(v).__name__)
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k!r}: {short(x)}" for k, x in v.items()) + "}"
        text = repr(v)
        return text if len(text) <= 24 else text[:21] + "..."
    name = getattr(fn, "__name__", None) or getattr(getattr(fn, "func", None), "__name__", "call")
    return f"{name}({', '.join(f'{k}={short(v)}' for k, v in kwargs.items())})"


no_cuda = pytest.mark.skipif(CUDA, reason="the message is the one of a machine without CUDA")


def case(fn, kwargs, exc, regex, *marks):
    return pytest.param(fn, kwargs, exc, regex, id=_id(fn, kwargs), marks=marks)


E = ValueError   # the usual exception, to keep the rows short

# --------------------------------------------------------------------------- AXAI
AX = named("axai", P(axai, M, X, SEG))
AXM = named("axai", P(axai, M))


def wrong_shape(model, x, y):
    return x[:, :1]


def not_a_tensor(model, x, y):
    return x.numpy()


AXAI = [
    case(AX, dict(k=-1), E, lit("k must be an integer >= 1, got -1")),
    case(AX, dict(k="3"), E, lit("k must be an integer >= 1, got '3'")),
    case(AX, dict(k=True), E, lit("k must be an integer >= 1, got True")),
    case(AX, dict(k=None), E, lit("k must be an integer >= 1, got None")),
    case(AX, dict(a=50.5), E, lit("a must be a finite number in (0, 50), got 50.5")),
    case(AX, dict(a=NAN), E, lit("a must be a finite number in (0, 50), got nan")),
    case(AX, dict(a="15"), E, lit("a must be a finite number in (0, 50), got '15'")),
    case(AX, dict(eps=-1e-9), E, lit("eps must be a finite number > 0, got -1e-09")),
    case(AX, dict(eps=NAN), E, lit("eps must be a finite number > 0, got nan")),
    case(AX, dict(eps=INF), E, lit("eps must be a finite number > 0, got inf")),
    case(AX, dict(step=-0.1), E, lit("step must be a finite number > 0, got -0.1")),
    case(AX, dict(step="0.1"), E, lit("step must be a finite number > 0, got '0.1'")),
    case(AX, dict(steps=0.5), E, lit("steps must be an integer >= 1, got 0.5")),
    case(AX, dict(steps=-2), E, lit("steps must be an integer >= 1, got -2")),
    case(AX, dict(norm="l0"), E, lit("norm must be one of ('l2', 'linf'), got 'l0'")),
    case(AX, dict(norm=None), E, lit("norm must be one of ('l2', 'linf'), got None")),
    case(AX, dict(channel_rule="ANY"), E, lit("channel_rule must be one of ('any', 'sum'), got 'ANY'")),
    case(AX, dict(channel_rule=None), E, lit("channel_rule must be one of ('any', 'sum'), got None")),
    case(AX, dict(attack="PGD"), E, pre("attack must be one of ('pgd', 'fgm') or a callable (model, x, y) -> x_adv, got 'PGD'")),
    case(AX, dict(attack=None), E, pre("attack must be one of ('pgd', 'fgm') or a callable")),
    case(AX, dict(attack=wrong_shape), E, lit("attack must return a tensor shaped like x")),
    case(AX, dict(attack=not_a_tensor), E, lit("attack must return a tensor shaped like x")),
    case(AX, dict(target=3), E, lit("target must hold class labels in [0, 3) for this model, got 3")),
    case(AX, dict(target=-1), E, lit("target must hold class labels >= 0, got -1")),
    case(AX, dict(target=torch.tensor([-100])), E, lit("target must hold class labels >= 0, got -100")),
    case(AX, dict(target=torch.tensor([0, 1])), E, lit("target must be an integer tensor of shape (B,) = (1,), got (2,), dtype int64")),
    case(AX, dict(target=0.5), E, lit("target must be an integer tensor of shape (B,) = (1,), got float")),
    case(AXM, dict(x=X[0], segments=SEG), E, lit("x must have shape (B, C, H, W) with B >= 1, got (3, 8, 8)")),
    case(AXM, dict(x=X[:0], segments=SEG), E, lit("x must have shape (B, C, H, W) with B >= 1, got (0, 3, 8, 8)")),
    case(AXM, dict(x=X_NAN, segments=SEG), E, lit("x must be finite (no NaN/inf)")),
    case(AXM, dict(x=X_INF, segments=SEG), E, lit("x must be finite (no NaN/inf)")),
    case(AXM, dict(x=(X * 255).long(), segments=SEG), E, lit("x must be a floating tensor with values in [0, 1], got dtype torch.int64")),
    case(AXM, dict(x=X.tolist(), segments=SEG), E, lit("x must be a torch.Tensor of shape (B, C, H, W), got list")),
    case(AXM, dict(x=X * 255, segments=SEG), E, pre("x must lie in [0, 1], got values in [")),
    case(AXM, dict(x=X[:, :1], segments=SEG), E, pre("x must have shape (B, 3, H, W) for this model, got (1, 1, 8, 8) (a grey image")),
    case(AXM, dict(x=X, segments=SEG[:, :, :4]), E, lit("segments must have shape (B, H, W) = (1, 8, 8) or (H, W), got (1, 8, 4)")),
    case(AXM, dict(x=X, segments=SEG.expand(2, 8, 8)), E, lit("segments must have shape (B, H, W) = (1, 8, 8) or (H, W), got (2, 8, 8)")),
    case(AXM, dict(x=X, segments=SEG[0, :4]), E, lit("segments must have shape (B, H, W) = (1, 8, 8) or (H, W), got (4, 8)")),
    case(AXM, dict(x=X, segments=SEG.bool()), E, lit("segments must hold integer labels 0..S-1, got dtype torch.bool")),
    case(AXM, dict(x=X, segments=SEG.tolist()), E, lit("segments must be an integer tensor of shape (B, H, W) = (1, 8, 8), got list")),
    case(AXM, dict(x=X, segments=SEG - 2), E, lit("segments must hold integer labels in 0..S-1, got a negative label")),
    # the Captum-style call
    case(named("attribute_axai", P(axai_attribute, M, X, segments=SEG)), dict(eps=0), E, lit("eps must be a finite number > 0, got 0")),
    case(named("attribute_axai", P(axai_attribute, M, X, segments=SEG)), dict(eps=-1), E, lit("eps must be a finite number > 0, got -1")),
    case(named("attribute_axai", P(axai_attribute, M, X, segments=SEG)), dict(k=0), E, lit("k must be an integer >= 1, got 0")),
    case(named("attribute_axai", P(axai_attribute, M, X, segments=SEG)), dict(step=0), E, lit("step must be a finite number > 0, got 0")),
    case(named("attribute_axai", P(axai_attribute, M, X, segments=SEG)), dict(steps=0), E, lit("steps must be an integer >= 1, got 0")),
    case(named("attribute_axai", P(axai_attribute, M, X, segments=SEG)), dict(norm="l1"), E, lit("norm must be one of ('l2', 'linf'), got 'l1'")),
    case(named("attribute_axai", P(axai_attribute, M, X, segments=SEG)), dict(channel_rule="max"), E, pre("channel_rule must be one of")),
    case(named("attribute_axai", P(axai_attribute, M, X, segments=SEG)), dict(attack="cw"), E, pre("attack must be one of")),
    case(named("attribute_axai", P(axai_attribute, M, X)), dict(segments=SEG[0, :, :3]), E, pre("segments must have shape (B, H, W) = (1, 8, 8) or (H, W), got (8, 3)")),
    case(named("attribute", P(attribute, model=M, x=X)), dict(method="nosuch"), E, pre("method must be one of ('axai', ")),
    case(named("attribute", P(attribute, model=M, x=X)), dict(method=None), E, pre("method must be one of ('axai', ")),
    case(named("tail_mask", P(tail_mask, torch.zeros(1, 3, 4, 4))), dict(a=0), E, lit("a must be a finite number in (0, 50), got 0")),
    case(named("tail_mask", tail_mask), dict(delta=torch.zeros(3, 4, 4)), E, lit("delta must be a tensor of shape (B, C, H, W)")),
    case(named("default_attack_params", P(default_attack_params, (3, 8, 8))), dict(norm="l1"), E, lit("norm must be one of ('l2', 'linf'), got 'l1'")),
    case(named("default_attack_params", P(default_attack_params, (3, 8, 8))), dict(steps=0), E, lit("steps must be an integer >= 1, got 0")),
]

# --------------------------------------------------------------------------- every method of the registry
LIGHT = {"axai": dict(segments=SEG), "shap_gradient": dict(background=torch.rand(2, 3, 8, 8), nsamples=2),
         "rise": dict(n_masks=4, mask_size=2), "lime": dict(num_samples=4, n_segments=4), "mp": dict(iterations=1),
         "ep": dict(iterations=1), "shap": dict(n_samples=2), "ig": dict(n_steps=2), "lime_package": dict(num_samples=4),
         "integrated_gradients": dict(n_steps=2)}


def _method(name: str):
    return named(f"attribute[{name}]", P(attribute, name, M, **LIGHT.get(name, {})))


REGISTRY = [c for name in METHODS for c in (
    case(_method(name), dict(x=X_NAN), E, lit("x must be finite (no NaN/inf)")),
    case(_method(name), dict(x=X[0]), E, lit("x must have shape (B, C, H, W) with B >= 1, got (3, 8, 8)")),
    case(_method(name), dict(x=X + 1), E, pre("x must lie in [0, 1], got values in [1.1")),
    case(_method(name), dict(x=X, target=torch.tensor([0, 1])), E, lit("target must be an integer tensor of shape (B,) = (1,), got (2,), dtype int64")),
    case(_method(name), dict(x=X, target=3), E, lit("target must hold class labels in [0, 3) for this model, got 3")),
)]

# --------------------------------------------------------------------------- attacks
FGM = named("fgm", P(attacks.fgm, M, X, 0))
FGM_M = named("fgm", P(attacks.fgm, M))
PGD = named("pgd", P(attacks.pgd, M, X, 0, eps=0.1, step=0.05, steps=2))
PGD_M = named("pgd", P(attacks.pgd, M, eps=0.1, step=0.05, steps=2))
ATTACKS = [
    case(FGM, dict(eps=-0.1), E, lit("eps must be a finite number >= 0, got -0.1")),
    case(FGM, dict(eps=NAN), E, lit("eps must be a finite number >= 0, got nan")),
    case(FGM, dict(eps="0.1"), E, lit("eps must be a finite number >= 0, got '0.1'")),
    case(FGM, dict(eps=0.1, norm="l3"), E, lit("norm must be one of ('l2', 'linf'), got 'l3'")),
    case(FGM, dict(eps=0.1, bounds=(1, 0)), E, lit("bounds must be None or a pair (low, high) with low < high, got (1, 0)")),
    case(FGM, dict(eps=0.1, bounds=5), E, lit("bounds must be None or a pair (low, high) with low < high, got 5")),
    case(FGM, dict(eps=0.1, mask=torch.ones(1, 3, 4, 4)), E, lit("mask must be a 0/1 tensor of the same shape as x (1, 3, 8, 8), got (1, 3, 4, 4)")),
    case(FGM, dict(eps=0.1, mask=torch.full((1, 3, 8, 8), 0.5)), E, lit("mask must contain only 0 and 1 (or False/True)")),
    case(FGM_M, dict(x=X, y=3, eps=0.1), E, lit("y must hold class labels in [0, 3) for this model, got 3")),
    case(FGM_M, dict(x=X, y=-1, eps=0.1), E, lit("y must hold class labels >= 0, got -1")),
    case(FGM_M, dict(x=X, y=torch.tensor([-100]), eps=0.1), E, lit("y must hold class labels >= 0, got -100")),
    case(FGM_M, dict(x=X, y=torch.tensor([0, 1]), eps=0.1), E, lit("y must be an integer tensor of shape (B,) = (1,), got (2,), dtype int64")),
    case(FGM_M, dict(x=X, y=torch.tensor([True]), eps=0.1), E, lit("y must be an integer tensor of shape (B,) = (1,), got (1,), dtype bool")),
    case(FGM_M, dict(x=X, y=torch.tensor([0.0]), eps=0.1), E, lit("y must be an integer tensor of shape (B,) = (1,), got (1,), dtype float32")),
    case(FGM_M, dict(x=X, y=0.0, eps=0.1), E, lit("y must be an integer tensor of shape (B,) = (1,), got float")),
    case(FGM_M, dict(x=X[0], y=0, eps=0.1), E, lit("x must have shape (B, C, H, W) with B >= 1, got (3, 8, 8)")),
    case(FGM_M, dict(x=X_NAN, y=0, eps=0.1), E, lit("x must be finite (no NaN/inf)")),
    case(FGM_M, dict(x=X - 0.5, y=0, eps=0.1), E, pre("x must lie in [0, 1], got values in [-0.")),
    case(FGM_M, dict(x=X.double() * 2, y=0, eps=0.1, bounds=(0, 1.5)), E, pre("x must lie in [0, 1.5], got values in [")),
    case(PGD, dict(eps=-1), E, lit("eps must be a finite number >= 0, got -1")),
    case(PGD, dict(step=0), E, lit("step must be a finite number > 0, got 0")),
    case(PGD, dict(step=-0.1), E, lit("step must be a finite number > 0, got -0.1")),
    case(PGD, dict(step=NAN), E, lit("step must be a finite number > 0, got nan")),
    case(PGD, dict(steps=0), E, lit("steps must be an integer >= 1, got 0")),
    case(PGD, dict(steps=1.5), E, lit("steps must be an integer >= 1, got 1.5")),
    case(PGD, dict(steps="3"), E, lit("steps must be an integer >= 1, got '3'")),
    case(PGD, dict(norm="L0"), E, lit("norm must be one of ('l2', 'linf'), got 'L0'")),
    case(PGD, dict(generator=1), E, lit("generator must be a torch.Generator or None, got int")),
    case(PGD, dict(random_start=True, generator=np.random.default_rng(0)), E, lit("generator must be a torch.Generator or None, got Generator")),
    case(PGD_M, dict(x=X, y=5), E, lit("y must hold class labels in [0, 3) for this model, got 5")),
    case(PGD_M, dict(x=X[:, :1], y=0), E, lit("x must have shape (B, 3, H, W) for this model, got (1, 1, 8, 8) (a grey image: repeat it to 3 channels)")),
    case(named("predicted_labels", P(attacks.predicted_labels, M)), dict(x=torch.zeros(3)), E, lit("x must be a batched tensor (B, ...)")),
    case(named("predicted_labels", P(attacks.predicted_labels, M, X)), dict(batch_size=0), E, lit("batch_size must be an integer >= 1, got 0")),
    case(named("adversarial_accuracy", P(attacks.adversarial_accuracy, M, X, 0, None)), dict(batch_size=0), E, lit("batch_size must be an integer >= 1, got 0")),
    case(named("adversarial_accuracy", P(attacks.adversarial_accuracy, M, X, 0, None)), dict(mask=torch.ones(2, 3, 8, 8)), E, lit("mask must have the same shape as x (1, 3, 8, 8)")),
    case(named("adversarial_accuracy", P(attacks.adversarial_accuracy, M, attack=None)), dict(x=X, y=torch.tensor([1, 2])), E, lit("y must be an integer tensor of shape (B,) = (1,), got (2,), dtype int64")),
]

# --------------------------------------------------------------------------- segment
QS = named("quickshift", P(segment.quickshift, X))
GRID = named("grid", P(segment.grid, (8, 8)))
SEGMENT = [
    case(QS, dict(kernel_size=0), E, lit("kernel_size must be a finite number >= 1, got 0")),
    case(QS, dict(kernel_size="abc"), E, lit("kernel_size must be a finite number >= 1, got 'abc'")),
    case(QS, dict(kernel_size=NAN), E, lit("kernel_size must be a finite number >= 1, got nan")),
    case(QS, dict(max_dist=-1), E, lit("max_dist must be a finite number > 0, got -1")),
    case(QS, dict(max_dist=None), E, lit("max_dist must be a finite number > 0, got None")),
    case(QS, dict(ratio=1.01), E, lit("ratio must be a finite number in [0, 1], got 1.01")),
    case(QS, dict(ratio=NAN), E, lit("ratio must be a finite number in [0, 1], got nan")),
    case(QS, dict(sigma=-0.5), E, lit("sigma must be a finite number >= 0, got -0.5")),
    case(QS, dict(seed=-1), E, lit("seed must be an integer >= 0, got -1")),
    case(QS, dict(seed="abc"), E, lit("seed must be an integer >= 0, got 'abc'")),
    case(QS, dict(seed=1.5), E, lit("seed must be an integer >= 0, got 1.5")),
    case(named("quickshift", segment.quickshift), dict(images=torch.rand(2, 3, 8)), E, lit("images must have shape (B, 3, H, W) or (3, H, W), got (2, 3, 8)")),
    case(named("quickshift", segment.quickshift), dict(images=X - 1), E, pre("images must hold finite values in [0, 1] (pixels, not normalised tensors), got range [-0.")),
    case(named("quickshift", segment.quickshift), dict(images=X_INF), E, pre("images must hold finite values in [0, 1]")),
    case(named("quickshift", segment.quickshift), dict(images=X.long()), E, lit("images must be floats in [0, 1], got dtype torch.int64")),
    case(named("segment", P(segment.segment, X)), dict(method="QuickShift"), E, lit("method must be one of ('quickshift', 'grid'), got 'QuickShift'")),
    case(named("segment", P(segment.segment, X)), dict(method=None), E, lit("method must be one of ('quickshift', 'grid'), got None")),
    case(named("segment", P(segment.segment, torch.zeros(8, 8), "grid")), dict(cells=2), E, lit("images must have shape (B, C, H, W) or (C, H, W), got (8, 8)")),
    case(named("segment", P(segment.segment, X, "grid")), dict(cells=0), E, lit("cells: rows must be an integer in [1, H=8], got 0")),
    case(GRID, dict(cells=9), E, lit("cells: rows must be an integer in [1, H=8], got 9")),
    case(GRID, dict(cells=(2, 0)), E, lit("cells: cols must be an integer in [1, W=8], got 0")),
    case(GRID, dict(cells=(2, 9)), E, lit("cells: cols must be an integer in [1, W=8], got 9")),
    case(GRID, dict(cells="ab"), E, lit("cells: rows must be an integer in [1, H=8], got 'a'")),
    case(GRID, dict(cells=2.5), E, lit("cells must be an int or a pair (rows, cols) of ints, got 2.5")),
    case(GRID, dict(cells=(1, 2, 3)), E, lit("cells must be an int or a pair (rows, cols) of ints, got (1, 2, 3)")),
    case(GRID, dict(cells=True), E, lit("cells: rows must be an integer in [1, H=8], got True")),
    case(GRID, dict(cells=(2.0, 2)), E, lit("cells: rows must be an integer in [1, H=8], got 2.0")),
    case(named("grid", P(segment.grid, cells=2)), dict(shape=(0, 8)), E, lit("shape must be (H, W) or (B, H, W) with positive sizes, got (0, 8)")),
    case(named("grid", P(segment.grid, cells=2)), dict(shape=(8,)), E, lit("shape must be (H, W) or (B, H, W) with positive sizes, got (8,)")),
    case(named("grid", P(segment.grid, cells=2)), dict(shape=(1, 2, 8, 8)), E, lit("shape must be (H, W) or (B, H, W) with positive sizes, got (1, 2, 8, 8)")),
    case(named("grid", P(segment.grid, cells=2)), dict(shape="ab"), E, lit("shape must be (H, W) or (B, H, W) with positive sizes, got 'ab'")),
    case(named("count_segments", segment.count_segments), dict(labels=torch.zeros(8, dtype=torch.long)), E, lit("labels must have shape (B, H, W) or (H, W), got (8,)")),
    case(named("boundary_length", segment.boundary_length), dict(labels=torch.zeros(1, 1, 8, 8)), E, lit("labels must have shape (B, H, W) or (H, W), got (1, 1, 8, 8)")),
    case(named("colour_spread", P(segment.colour_spread, X)), dict(labels=SEG.expand(2, 8, 8)), E, lit("labels must have shape (1, 8, 8), got (2, 8, 8)")),
    case(named("sweep", P(segment.sweep, X)), dict(repeats=0), E, lit("repeats must be an integer >= 1, got 0")),
    case(named("sweep", P(segment.sweep, X)), dict(repeats=1.5), E, lit("repeats must be an integer >= 1, got 1.5")),
    case(named("sweep", P(segment.sweep, X)), dict(kernel=[2]), E, lit("unknown sweep parameter(s) ['kernel']; accepted: ['kernel_size', 'max_dist', 'ratio', 'sigma', 'seed']")),
    case(named("sweep", P(segment.sweep, X)), dict(names=["a", "b"]), E, lit("names: expected 1 names, got 2")),
    case(named("match_count", P(segment.match_count, X[0], 4, ratio=0.2)), dict(kernel_sizes=[]), E, lit("kernel_sizes and max_dists must not be empty")),
]

# --------------------------------------------------------------------------- metrics: change
Z = torch.rand(1, 4)
CONF = named("confidence_change", change.confidence_change)
METRICS_CHANGE = [
    case(named("percentage_change", P(change.percentage_change, Z)), dict(z_hat=torch.rand(1, 5)), E, lit("z and z_hat must have the same shape, got (1, 4) and (1, 5)")),
    case(named("percentage_change", change.percentage_change), dict(z=torch.rand(4), z_hat=torch.rand(4)), E, lit("z must be a batched tensor (B, ...), got (4,)")),
    case(named("percentage_change", P(change.percentage_change, Z)), dict(z_hat=[[0.1] * 4]), E, lit("z_hat must be a batched tensor (B, ...), got list")),
    case(named("percentage_change", P(change.percentage_change, z_hat=Z)), dict(z=torch.tensor([[NAN, NAN, 0.0, 1.0]])), E, lit("z holds 2 NaN or infinite value(s); every value must be finite")),
    case(named("percentage_change", P(change.percentage_change, Z)), dict(z_hat=torch.tensor([[INF, 0.0, 0.0, 1.0]])), E, lit("z_hat holds 1 NaN or infinite value(s); every value must be finite")),
    case(named("ssim", change.ssim), dict(x=X[0], y=X[0]), E, lit("x must have shape (B, C, H, W), got (3, 8, 8)")),
    case(named("ssim", P(change.ssim, X)), dict(y=X[:, :2]), E, lit("x and y must have the same shape, got (1, 3, 8, 8) and (1, 2, 8, 8)")),
    case(named("ssim", P(change.ssim, X)), dict(y=X_NAN), E, lit("y holds 1 NaN or infinite value(s); every value must be finite")),
    case(named("ssim", P(change.ssim, X, X)), dict(win_size=4), E, lit("win_size must be an odd integer in [3, min(H, W) = 8], got 4")),
    case(named("ssim", P(change.ssim, X, X)), dict(win_size=9), E, lit("win_size must be an odd integer in [3, min(H, W) = 8], got 9")),
    case(named("ssim", P(change.ssim, X, X)), dict(win_size=1), E, lit("win_size must be an odd integer in [3, min(H, W) = 8], got 1")),
    case(named("ssim", P(change.ssim, X, X)), dict(win_size=7.0), E, lit("win_size must be an odd integer in [3, min(H, W) = 8], got 7.0")),
    case(named("ssim", P(change.ssim, X, X)), dict(data_range=0), E, lit("data_range must be a finite number > 0, got 0")),
    case(named("ssim", P(change.ssim, X, X)), dict(data_range=-1.0), E, lit("data_range must be a finite number > 0, got -1.0")),
    case(named("ssim", P(change.ssim, X, X)), dict(data_range="1"), E, lit("data_range must be a finite number > 0, got '1'")),
    case(named("ssim", P(change.ssim, X, X)), dict(k1=NAN), E, lit("k1 must be a finite number >= 0, got nan")),
    case(named("ssim", P(change.ssim, X, X)), dict(k2=-0.03), E, lit("k2 must be a finite number >= 0, got -0.03")),
    case(CONF, dict(p=P3.view(1, 3, 1), p_hat=P3.view(1, 3, 1), label=torch.tensor([0])), E, lit("p must have shape (B, K), got (1, 3, 1)")),
    case(CONF, dict(p=P3 * 4, p_hat=P3, label=torch.tensor([0])), E, lit("p must hold probabilities in [0, 1]")),
    case(CONF, dict(p=P3, p_hat=-P3, label=torch.tensor([0])), E, lit("p_hat must hold probabilities in [0, 1]")),
    case(CONF, dict(p=P3, p_hat=P3, label=torch.tensor([0.0])), E, lit("label must be an integer tensor of shape (1,) with values in [0, 3)")),
    case(CONF, dict(p=P3, p_hat=P3, label=torch.tensor([3])), E, lit("label must be an integer tensor of shape (1,) with values in [0, 3)")),
    case(CONF, dict(p=P3, p_hat=P3, label=torch.tensor([-1])), E, lit("label must be an integer tensor of shape (1,) with values in [0, 3)")),
    case(CONF, dict(p=P3, p_hat=P3, label=torch.tensor([True])), E, lit("label must be an integer tensor of shape (1,) with values in [0, 3)")),
    case(CONF, dict(p=P3, p_hat=P3, label=1), E, lit("label must be an integer tensor of shape (1,) with values in [0, 3)")),
    case(CONF, dict(p=P3, p_hat=torch.tensor([[NAN, 0.5, 0.5]]), label=torch.tensor([0])), E, lit("p_hat holds 1 NaN or infinite value(s); every value must be finite")),
]

# --------------------------------------------------------------------------- metrics: localisation
PG = named("pointing_game", localisation.pointing_game)
CC = named("causal_curves", P(localisation.causal_curves, M, X))
METRICS_LOCALISATION = [
    case(PG, dict(maps=MAPS[0], boxes=BOX), E, lit("maps must be a tensor of shape (B, H, W) with B >= 1, got (8, 8)")),
    case(PG, dict(maps=MAPS[:0], boxes=BOX[:0]), E, lit("maps must be a tensor of shape (B, H, W) with B >= 1, got (0, 8, 8)")),
    case(PG, dict(maps=MAPS.numpy(), boxes=BOX), E, lit("maps must be a tensor of shape (B, H, W) with B >= 1, got ndarray")),
    case(PG, dict(maps=torch.full((1, 8, 8), NAN), boxes=BOX), E, lit("maps must be finite (no NaN/inf)")),
    case(PG, dict(maps=MAPS, boxes=BOX[:, :3]), E, lit("boxes must be a tensor of shape (B, 4) (x0, y0, x1, y1), got (1, 3)")),
    case(PG, dict(maps=MAPS, boxes=BOX.expand(2, 4)), E, lit("boxes must have one row per map (1), got 2")),
    case(PG, dict(maps=MAPS, boxes=torch.tensor([[5.0, 1.0, 1.0, 5.0]])), E, lit("boxes must satisfy x0 <= x1 and y0 <= y1")),
    case(PG, dict(maps=MAPS, boxes=torch.tensor([[NAN, 1.0, 5.0, 5.0]])), E, lit("boxes must be finite")),
    case(PG, dict(maps=MAPS, boxes=BOX, tolerance=-1), E, lit("tolerance must be a finite number > 0, got -1")),
    case(PG, dict(maps=MAPS, boxes=BOX, tolerance=0), E, lit("tolerance must be a finite number > 0, got 0")),
    case(PG, dict(maps=MAPS, boxes=BOX, tolerance=NAN), E, lit("tolerance must be a finite number > 0, got nan")),
    case(named("wsl_boxes", P(localisation.wsl_boxes, MAPS)), dict(threshold=1.5), E, lit("threshold must be a finite number in [0, 1], got 1.5")),
    case(named("wsl_boxes", P(localisation.wsl_boxes, MAPS)), dict(threshold=-0.1), E, lit("threshold must be a finite number in [0, 1], got -0.1")),
    case(named("wsl_boxes", P(localisation.wsl_boxes, MAPS)), dict(threshold="0.2"), E, lit("threshold must be a finite number in [0, 1], got '0.2'")),
    case(named("wsl_iou", P(localisation.wsl_iou, MAPS, BOX)), dict(threshold=NAN), E, lit("threshold must be a finite number in [0, 1], got nan")),
    case(named("wsl", P(localisation.wsl, MAPS, BOX)), dict(iou_threshold=2), E, lit("iou_threshold must be a finite number in [0, 1], got 2")),
    case(named("wsol_ious", P(wsol.wsol_ious, MAPS)), dict(boxes=BOX.expand(2, 4)), E, lit("boxes must have one row per map (1), got 2")),
    case(named("wsol_ious", P(wsol.wsol_ious, MAPS, BOX)), dict(multi_contour="yes"), E, lit("multi_contour must be True or False, got 'yes'")),
    case(named("max_box_accuracy", wsol.max_box_accuracy), dict(ious=np.zeros((2, 10))), E, lit("ious must be an array of shape (B, 255) with B >= 1 of numbers in [0, 1], got float64 (2, 10)")),
    case(named("max_box_accuracy", wsol.max_box_accuracy), dict(ious=np.full((2, 255), 1.5)), E, lit("ious must be an array of shape (B, 255) with B >= 1 of numbers in [0, 1], got float64 (2, 255)")),
    case(named("max_box_accuracy", wsol.max_box_accuracy), dict(ious=np.zeros((0, 255))), E, lit("ious must be an array of shape (B, 255) with B >= 1 of numbers in [0, 1], got float64 (0, 255)")),
    case(named("max_box_accuracy", P(wsol.max_box_accuracy, np.zeros((1, 255)))), dict(iou_threshold=-1), E, lit("iou_threshold must be a finite number in [0, 1], got -1")),
    case(named("box_iou", P(localisation.box_iou, BOX)), dict(b=BOX.expand(2, 4)), E, lit("a and b must have the same shape, got (1, 4) and (2, 4)")),
    case(CC, dict(maps=MAPS, target=0, mode="both"), E, lit("mode must be 'deletion' or 'insertion', got 'both'")),
    case(CC, dict(maps=MAPS, target=0, step=0), E, lit("step must be an integer >= 1, got 0")),
    case(CC, dict(maps=MAPS, target=0, batch_size=0), E, lit("batch_size must be an integer >= 1, got 0")),
    case(CC, dict(maps=MAPS, target=0, baseline="black"), E, lit("baseline must be a number or a tensor, got 'black'")),
    case(CC, dict(maps=MAPS, target=0, baseline=torch.zeros(1, 1, 2, 2)), E, lit("baseline tensor must have shape (1|B, C, 1|H, 1|W), got (1, 1, 2, 2)")),
    case(CC, dict(maps=MAPS[:, :4, :4], target=0), E, lit("maps must have shape (B, H, W) = (1, 8, 8), got (1, 4, 4)")),
    case(CC, dict(maps=MAPS, target=3), E, lit("target must hold class labels in [0, 3) for this model, got 3")),
    case(CC, dict(maps=MAPS, target=-1), E, lit("target must hold class labels >= 0, got -1")),
    case(named("insertion", P(localisation.insertion, M, X_NAN)), dict(maps=MAPS, target=0), E, lit("x must be finite (no NaN/inf)")),
    case(named("deletion", P(localisation.deletion, M, X)), dict(maps=MAPS, target=torch.tensor([0, 0])), E, lit("target must be an integer tensor of shape (B,) = (1,), got (2,), dtype int64")),
    case(named("localisation_scores", P(localisation.localisation_scores, M, X, MAPS, 0, BOX)), dict(threshold=2.0), E, lit("threshold must be a finite number in [0, 1], got 2.0")),
]

# --------------------------------------------------------------------------- stats
G3 = [np.arange(4.0), np.arange(4.0) + 1, np.arange(4.0) * 2]
STATS = [
    case(named("skewness", stats.skewness), dict(samples=[1.0]), E, lit("samples must hold at least 2 values, got 1")),
    case(named("skewness", stats.skewness), dict(samples=[1.0, NAN, 2.0]), E, lit("samples must be finite (no NaN/inf)")),
    case(named("skewness", stats.skewness), dict(samples=np.array([[1.0, 2.0], [INF, 0.0]])), E, lit("samples must be finite (no NaN/inf)")),
    case(named("share_outside", stats.share_outside), dict(values=[]), E, lit("values must not be empty")),
    case(named("share_outside", P(stats.share_outside, [0.1])), dict(low=1, high=0), E, lit("low must be <= high, got low=1.0, high=0.0")),
    case(named("share_outside", P(stats.share_outside, [0.1])), dict(low=NAN), E, lit("low must be a finite number, got nan")),
    case(named("share_outside", P(stats.share_outside, [0.1])), dict(high="0.5"), E, lit("high must be a finite number, got '0.5'")),
    case(named("qq_data", P(stats.qq_data, np.arange(5.0))), dict(n_points=1), E, lit("n_points must be an integer >= 2, got 1")),
    case(named("qq_data", P(stats.qq_data, np.arange(5.0))), dict(n_points=2.5), E, lit("n_points must be an integer >= 2, got 2.5")),
    case(named("qq_data", stats.qq_data), dict(samples=[NAN, 1.0]), E, lit("samples must be finite (no NaN/inf)")),
    case(named("pairwise_tests", stats.pairwise_tests), dict(groups=[np.arange(4.0)]), E, lit("groups must hold at least 2 samples, got 1")),
    case(named("pairwise_tests", stats.pairwise_tests), dict(groups=[[1.0, 2.0], [1.0]]), E, lit("groups[1] must hold at least 2 values, got 1")),
    case(named("pairwise_tests", stats.pairwise_tests), dict(groups=5), E, lit("groups must be a 2-D array or a sequence of 1-D arrays")),
    case(named("pairwise_tests", P(stats.pairwise_tests, G3)), dict(max_pairs=-1), E, lit("max_pairs must be an integer >= 1, got -1")),
    case(named("pairwise_tests", P(stats.pairwise_tests, G3, max_pairs=1)), dict(generator="seed"), E, lit("generator must be None, an int seed or a numpy Generator, got str")),
    case(named("pairwise_tests", P(stats.pairwise_tests, G3, max_pairs=1)), dict(generator=True), E, lit("generator must be None, an int seed or a numpy Generator, got bool")),
    case(named("anova", stats.anova), dict(groups=[[1.0, NAN], [1.0, 2.0]]), E, lit("groups[0] must be finite (no NaN/inf)")),
    case(named("quantile_cis", P(stats.quantile_cis, G3)), dict(level=1), E, lit("level must be a finite number in (0, 1), got 1")),
    case(named("quantile_cis", P(stats.quantile_cis, G3)), dict(method="z"), E, lit("method must be 't' or 'bootstrap', got 'z'")),
    case(named("quantile_cis", P(stats.quantile_cis, G3)), dict(qs=[101]), E, lit("qs must be percentiles in [0, 100], got [101.0]")),
    case(named("quantile_cis", P(stats.quantile_cis, G3)), dict(qs=["q15"]), E, lit("qs must be percentiles in [0, 100], got ['q15']")),
    case(named("quantile_cis", P(stats.quantile_cis, G3, method="bootstrap")), dict(n_boot=0), E, lit("n_boot must be an integer >= 1, got 0")),
    case(named("beta_fit_moments", P(stats.beta_fit_moments, np.arange(4.0))), dict(rescale="max"), E, lit("rescale must be 'minmax' or a pair (a, b) with a < b, got 'max'")),
    case(named("beta_fit_moments", P(stats.beta_fit_moments, np.arange(4.0))), dict(rescale=(0,)), E, lit("rescale must be 'minmax' or a pair (a, b) with a < b, got (0,)")),
    case(named("beta_fit_moments", P(stats.beta_fit_moments, np.arange(4.0))), dict(rescale=(0, 1)), E, lit("samples must lie inside rescale=(0.0, 1.0)")),
    case(named("beta_fit_moments", stats.beta_fit_moments), dict(samples=[2.0, 2.0, 2.0]), E, lit("samples must not be constant (the rescaling interval is empty)")),
    case(named("beta_fit_cis", P(stats.beta_fit_cis, G3, method="bootstrap")), dict(n_boot=-1), E, lit("n_boot must be an integer >= 1, got -1")),
    case(named("beta_fit_cis", P(stats.beta_fit_cis, G3)), dict(level=0), E, lit("level must be a finite number in (0, 1), got 0")),
]

# --------------------------------------------------------------------------- intervals
BOOT = named("bootstrap_ci", P(intervals.bootstrap_ci, np.mean, [1.0, 2.0, 3.0]))
INTERVALS = [
    case(named("bootstrap_ci[no samples]", P(intervals.bootstrap_ci, np.mean)), {}, E, lit("bootstrap_ci needs at least one sample")),
    case(named("bootstrap_ci[an empty sample]", P(intervals.bootstrap_ci, np.mean, [])), {}, E, lit("samples[0] must hold at least one value per unit, got shape (0,)")),
    case(named("bootstrap_ci[a scalar sample]", P(intervals.bootstrap_ci, np.mean, 3.0)), {}, E, lit("samples[0] must hold at least one value per unit, got shape ()")),
    case(named("bootstrap_ci[a NaN in the second sample]", P(intervals.bootstrap_ci, np.mean, [1.0], [NAN])), {}, E, lit("samples[1] must be finite (no NaN/inf)")),
    case(named("bootstrap_ci[samples of 3 and 2 units]", P(intervals.bootstrap_ci, np.mean, [1.0, 2.0, 3.0], [1.0, 2.0])), {}, E, lit("samples must have the same number of units, got [3, 2]")),
    case(BOOT, dict(n_boot=99), E, lit("n_boot must be an integer >= 100, got 99")),
    case(BOOT, dict(n_boot="2000"), E, lit("n_boot must be an integer >= 100, got '2000'")),
    case(BOOT, dict(level=1), E, lit("level must be a finite number in (0, 1), got 1")),
    case(BOOT, dict(level=0.0), E, lit("level must be a finite number in (0, 1), got 0.0")),
    case(BOOT, dict(seed=-1), E, lit("seed must be an integer >= 0, got -1")),
    case(named("proportion_ci", intervals.proportion_ci), dict(k=0, n=0), E, lit("n must be an integer >= 1, got 0")),
    case(named("proportion_ci", intervals.proportion_ci), dict(k=-1, n=10), E, lit("k must be an integer in [0, 10], got -1")),
    case(named("proportion_ci", intervals.proportion_ci), dict(k=11, n=10), E, lit("k must be an integer in [0, 10], got 11")),
    case(named("proportion_ci", intervals.proportion_ci), dict(k=2.5, n=10), E, lit("k must be an integer in [0, 10], got 2.5")),
    case(named("proportion_ci", intervals.proportion_ci), dict(k=1, n=True), E, lit("n must be an integer >= 1, got True")),
    case(named("proportion_ci", intervals.proportion_ci), dict(k=1, n=10, level=1.5), E, lit("level must be a finite number in (0, 1), got 1.5")),
    case(named("difference_ci", intervals.difference_ci), dict(k1=0, n1=0, k2=0, n2=1), E, lit("n1 must be an integer >= 1, got 0")),
    case(named("difference_ci", intervals.difference_ci), dict(k1=0, n1=1, k2=3, n2=2), E, lit("k2 must be an integer in [0, 2], got 3")),
    case(named("difference_ci", intervals.difference_ci), dict(k1="a", n1=1, k2=0, n2=1), E, lit("k1 must be an integer in [0, 1], got 'a'")),
    case(named("difference_ci", intervals.difference_ci), dict(k1=0, n1=1, k2=0, n2=1, level=0), E, lit("level must be a finite number in (0, 1), got 0")),
    case(named("holm", intervals.holm), dict(pvalues=[]), E, lit("pvalues must hold at least one p-value")),
    case(named("holm", intervals.holm), dict(pvalues=[0.01, 1.5]), E, lit("pvalues must each be in [0, 1], got [0.01, 1.5]")),
    case(named("holm", intervals.holm), dict(pvalues=[NAN]), E, lit("pvalues must each be in [0, 1], got [nan]")),
    case(named("holm", intervals.holm), dict(pvalues=[-0.1]), E, lit("pvalues must each be in [0, 1], got [-0.1]")),
]

# --------------------------------------------------------------------------- claim rules
RULE = AtLeast("share", 0.8, why="w")
EST = Estimate(0.5, 0.4, 0.6, 10)
RULES = [
    case(named("Estimate", Estimate), dict(value=NAN, low=0, high=1, n=3), E, lit("value must be a finite number, got nan")),
    case(named("Estimate", Estimate), dict(value=0.5, low=0.6, high=0.9, n=3), E, lit("the interval [0.6, 0.9] must contain the value 0.5")),
    case(named("Estimate", Estimate), dict(value=0.5, low=0.4, high=0.6, n=-1), E, lit("n must be an integer >= 0, got -1")),
    case(named("Estimate", Estimate), dict(value=0.5, low=0.4, high=0.6, n=2.5), E, lit("n must be an integer >= 0, got 2.5")),
    case(named("Estimate.proportion", Estimate.proportion), dict(k=11, n=10), E, lit("k must be an integer in [0, 10], got 11")),
    case(named("AtLeast", P(AtLeast, "s", 0.5, why="w")), dict(min_n=0), E, lit("min_n must be an integer >= 1, got 0")),
    case(named("AtLeast", P(AtLeast, "s", 0.5, why="w")), dict(min_n=1.5), E, lit("min_n must be an integer >= 1, got 1.5")),
    case(named("AtLeast", P(AtLeast, "s", why="w")), dict(reproduced=NAN), E, lit("reproduced must be a finite number, got nan")),
    case(named("AtLeast", P(AtLeast, "s", why="w")), dict(reproduced="0.5"), E, lit("reproduced must be a finite number, got '0.5'")),
    case(named("AtLeast", P(AtLeast, "s", 0.5, why="w")), dict(partly=0.7), E, lit("partly (0.7) must be below reproduced (0.5)")),
    case(named("AtLeast", P(AtLeast, "s", 0.5, why="w")), dict(partly=INF), E, lit("partly must be a finite number, got inf")),
    case(named("AtLeast", P(AtLeast, "s", 0.5)), {}, E, lit("why must say where the boundaries come from")),
    case(named("AtMost", P(AtMost, "s", 0.5, why="w")), dict(partly=0.3), E, lit("partly (0.3) must be above reproduced (0.5)")),
    case(named("AtMost", P(AtMost, "s", 0.5, why="w")), dict(partly=NAN), E, lit("partly must be a finite number, got nan")),
    case(named("AtMost", P(AtMost, "s", 0.5, why="w")), dict(min_n=-1), E, lit("min_n must be an integer >= 1, got -1")),
    case(named("Within", P(Within, "s", 1.0, why="w")), dict(tolerance=-0.1), E, lit("tolerance must be a finite number >= 0, got -0.1")),
    case(named("Within", P(Within, "s", 1.0, why="w")), dict(tolerance=NAN), E, lit("tolerance must be a finite number >= 0, got nan")),
    case(named("Within", P(Within, "s", tolerance=0.1, why="w")), dict(target=NAN), E, lit("target must be a finite number, got nan")),
    case(named("Within", P(Within, "s", 1.0, 0.1, why="w")), dict(partly=0.05), E, lit("partly (0.05) must be above tolerance (0.1)")),
    case(named("Within", P(Within, "s", 1.0, 0.1, why="w")), dict(min_n=0), E, lit("min_n must be an integer >= 1, got 0")),
    case(named("AllOf", AllOf), dict(parts={"a": RULE}), E, lit("parts must hold at least two named rules, got ['a']")),
    case(named("AllOf", AllOf), dict(parts={"a": RULE, "b": 0.5}), E, pre("parts must map names to rules (AtLeast, AtMost, Within, ...), got {'a': AtLeast(")),
    case(named("AllOf", AllOf), dict(parts=[RULE, RULE]), E, pre("parts must map names to rules (AtLeast, AtMost, Within, ...), got [AtLeast(")),
    case(named("AllOf", P(AllOf, {"a": RULE, "b": RULE})), dict(partly_from=2), E, lit("partly_from must be an integer in [1, 1], got 2")),
    case(named("AllOf", P(AllOf, {"a": RULE, "b": RULE})), dict(partly_from=0), E, lit("partly_from must be an integer in [1, 1], got 0")),
    case(named("NotComparable", NotComparable), {}, E, lit("reason must say why the claim cannot be judged here")),
    case(named("AtLeast.judge", RULE.judge), dict(estimate=0.5), E, lit("estimate must be an axlib.companion.rules.Estimate, got float")),
    case(named("AllOf.judge", AllOf({"a": RULE, "b": RULE}).judge), dict(estimate={"a": EST}), E, lit("estimate must map each part ['a', 'b'] to an Estimate, got ['a']")),
]

# --------------------------------------------------------------------------- profiles
PROFILE = named("profile", axlib.profile)
PROFILES = [
    case(PROFILE, dict(name="Smoke"), E, lit("profile must be one of ('smoke', 'default', 'paper'), got 'Smoke'")),
    case(PROFILE, dict(name=None), E, lit("profile must be one of ('smoke', 'default', 'paper'), got None")),
    case(PROFILE, dict(name=["smoke"]), E, lit("profile must be one of ('smoke', 'default', 'paper'), got ['smoke']")),
    case(PROFILE, dict(name="smoke", page="99"), E, pre("page must be one of ['00_models', ") + r".*\(or its number\), got '99'$"),
    case(PROFILE, dict(name="smoke", page=1), E, pre("page must be one of ['00_models', ") + r".*\(or its number\), got 1$"),
    case(PROFILE, dict(name="smoke", page="01", n_imgs=5), E, pre("unknown profile setting(s) ['n_imgs']; accepted: [")),
    case(PROFILE, dict(name="smoke", page="01", repeats=0), E, lit("repeats must be an integer >= 1, got 0 (a size of page 01_quickshift; the profiles use smoke 1, default 1, paper 3)")),
    case(PROFILE, dict(name="smoke", page="01", repeats=-1), E, pre("repeats must be an integer >= 1, got -1 (a size of page 01_quickshift")),
    case(PROFILE, dict(name="smoke", page="01", repeats="abc"), E, pre("repeats must be an integer >= 1, got 'abc' (a size of page 01_quickshift")),
    case(PROFILE, dict(name="smoke", page="01", repeats=2.5), E, pre("repeats must be an integer >= 1, got 2.5 (a size")),
    case(PROFILE, dict(name="smoke", page="01", repeats=True), E, pre("repeats must be an integer >= 1, got True (a size")),
    case(PROFILE, dict(name="smoke", page="01", n_cifar=0), E, pre("n_cifar must be an integer >= 1, got 0 (a size of page 01_quickshift")),
    case(PROFILE, dict(name="smoke", page="01", image_size="224"), E, pre("image_size must be an integer >= 1, got '224' (a size")),
    case(PROFILE, dict(name="smoke", page="01", names="chelsea"), E, pre("names must be a non-empty list, got 'chelsea' (a size of page 01_quickshift")),
    case(PROFILE, dict(name="smoke", page="01", kernel_sizes=[]), E, pre("kernel_sizes must be a non-empty list, got [] (a size")),
    case(PROFILE, dict(name="smoke", page="03", eps_ref=0), E, pre("eps_ref must be a finite number > 0, got 0 (a size of page 03_quantile_selection")),
    case(PROFILE, dict(name="smoke", page="05", scheduler=5), E, pre("scheduler must be a name (str), got 5 (a size of page 05_robust_study")),
    case(PROFILE, dict(name="smoke", page="02", batch=4), E, pre("batch must be a mapping, got 4 (a size of page 02_attack_distributions")),
    case(PROFILE, dict(name="smoke", seed="0"), E, lit("seed must be an integer >= 0, got '0'")),
    case(PROFILE, dict(name="smoke", seed=1.5), E, lit("seed must be an integer >= 0, got 1.5")),
    case(PROFILE, dict(name="smoke", threads=-1), E, lit("threads must be an integer >= 1, got -1")),
    case(PROFILE, dict(name="smoke", n_images=0), E, lit("n_images must be an integer >= 1, got 0")),
    case(PROFILE, dict(name="smoke", n_imagenet=-1), E, lit("n_imagenet must be an integer >= 1, got -1")),
    case(PROFILE, dict(name="smoke", device="banana"), E, lit("device must be 'cpu', 'cuda' or 'cuda:N', got 'banana'")),
    case(PROFILE, dict(name="smoke", device="cuda"), E, lit("device 'cuda': torch sees no CUDA GPU on this machine; use 'cpu'"), no_cuda),
]

# --------------------------------------------------------------------------- models
TRAIN = named("train", train)
MODELS = [
    case(named("load", load), dict(name="nosuch"), E, pre("model must be one of ['canvas64-alexnet', ") + r".*\], got 'nosuch'$"),
    case(named("load", P(load, "cifar10-alexnet")), dict(device="banana"), E, lit("device must be 'cpu', 'cuda' or 'cuda:N', got 'banana'")),
    case(named("load", P(load, "cifar10-alexnet")), dict(device=None), E, lit("device must be 'cpu', 'cuda' or 'cuda:N', got None")),
    case(named("load", P(load, "cifar10-alexnet")), dict(device="mps"), E, lit("device must be 'cpu', 'cuda' or 'cuda:N', got 'mps'")),
    case(named("load", P(load, "cifar10-alexnet")), dict(device="cuda"), E, lit("device 'cuda': torch sees no CUDA GPU on this machine; use 'cpu'"), no_cuda),
    case(named("load", P(load, "cifar10-alexnet")), dict(device="cuda:1"), E, lit("device 'cuda:1': torch sees no CUDA GPU on this machine; use 'cpu'"), no_cuda),
    case(named("card", card), dict(name="CIFAR10-alexnet"), E, pre("model must be one of [") + r".*\], got 'CIFAR10-alexnet'$"),
    case(TRAIN, dict(name="nosuch"), E, pre("model must be one of [") + r".*\], got 'nosuch'$"),
    case(TRAIN, dict(name="nosuch", epochs=0), E, pre("model must be one of [")),
    case(TRAIN, dict(name="cifar10-alexnet", epochs=0), E, lit("epochs must be an integer >= 1, got 0")),
    case(TRAIN, dict(name="cifar10-alexnet", epochs=-3), E, lit("epochs must be an integer >= 1, got -3")),
    case(TRAIN, dict(name="cifar10-alexnet", epochs=2.5), E, lit("epochs must be an integer >= 1, got 2.5")),
    case(TRAIN, dict(name="canvas64-resnet", epochs="1"), E, lit("epochs must be an integer >= 1, got '1'")),
    case(TRAIN, dict(name="speech-lenet", epochs=0), E, lit("epochs must be an integer >= 1, got 0")),
    case(TRAIN, dict(name="rt-polarity-textcnn", epochs=True), E, lit("epochs must be an integer >= 1, got True")),
    case(TRAIN, dict(name="cifar10-alexnet", device="banana"), E, lit("device must be 'cpu', 'cuda' or 'cuda:N', got 'banana'")),
    case(TRAIN, dict(name="cifar10-alexnet", device="cuda"), E, lit("device 'cuda': torch sees no CUDA GPU on this machine; use 'cpu'"), no_cuda),
    case(TRAIN, dict(name="imagenet-mobilenetv2"), E, lit("model 'imagenet-mobilenetv2' is converted, not trained; see its card for how it was made")),
    case(TRAIN, dict(name="cifar10-alexnet", epochs=1, source="web"), E, lit("source must be 'auto', 'official' or 'jpeg-zip', got 'web'")),
]

# --------------------------------------------------------------------------- data
DATA = [
    case(named("cifar10_test", cifar.cifar10_test), dict(n=0), E, lit("n must be an integer in [1, 2000], got 0")),
    case(named("cifar10_test", cifar.cifar10_test), dict(n=2001), E, lit("n must be an integer in [1, 2000], got 2001")),
    case(named("cifar10_test", cifar.cifar10_test), dict(n=-1), E, lit("n must be an integer in [1, 2000], got -1")),
    case(named("cifar10_test", cifar.cifar10_test), dict(n="abc"), E, lit("n must be an integer in [1, 2000], got 'abc'")),
    case(named("cifar10_test", cifar.cifar10_test), dict(n=2.5), E, lit("n must be an integer in [1, 2000], got 2.5")),
    case(named("cifar10_test", cifar.cifar10_test), dict(n=True), E, lit("n must be an integer in [1, 2000], got True")),
    case(named("cifar10", cifar.cifar10), dict(split="val"), E, lit("split must be 'train' or 'test', got 'val'")),
    case(named("cifar10", cifar.cifar10), dict(source="web"), E, lit("source must be 'auto', 'official' or 'jpeg-zip', got 'web'")),
    case(named("imagenet_samples", imagenet.imagenet_samples), dict(n=0), E, lit("n must be an integer in [1, 250], got 0")),
    case(named("imagenet_samples", imagenet.imagenet_samples), dict(n=251), E, lit("n must be an integer in [1, 250], got 251")),
    case(named("imagenet_samples", imagenet.imagenet_samples), dict(n="abc"), E, lit("n must be an integer in [1, 250], got 'abc'")),
    case(named("imagenet_samples", imagenet.imagenet_samples), dict(source="web"), E, lit("source must be one of ('embedded', 'full'), got 'web'")),
    case(named("imagenet_samples", imagenet.imagenet_samples), dict(n=5, source=None), E, lit("source must be one of ('embedded', 'full'), got None")),
    case(named("preprocess", imagenet.preprocess), dict(image=np.zeros((4, 4))), E, lit("image array must be uint8 (H, W) or (H, W, 3|4), got float64 (4, 4)")),
    case(named("preprocess", P(imagenet.preprocess, np.zeros((4, 4), np.uint8))), dict(crop=300), E, lit("crop must not exceed resize, got crop=300, resize=256")),
    case(named("label_of", imagenet.label_of), dict(path="x.JPEG"), E, lit("'x.JPEG' does not start with one of the 1,000 ImageNet wnids")),
    case(named("fetch", registry.fetch), dict(name="cifar-10"), E, pre("unknown data set 'cifar-10'; registered: ")),
    case(named("fetch", registry.fetch), dict(name="CIFAR10"), E, pre("unknown data set 'CIFAR10'; registered: ")),
    case(named("is_cached", registry.is_cached), dict(name="nosuch"), E, pre("unknown data set 'nosuch'; registered: ")),
    case(named("target_path", registry.target_path), dict(name=""), E, pre("unknown data set ''; registered: ")),
]

# --------------------------------------------------------------------------- EXIAA
INJECT = named("inject", exiaa.inject)
GB = named("gaussian_baseline", P(exiaa.gaussian_baseline, X, mean=[0.5] * 3, std=[0.2] * 3, generator=torch.Generator()))
EXIAA = [
    case(named("top_k_mask", P(exiaa.top_k_mask, torch.randn(1, 3, 4, 4))), dict(top_k="0.5"), E, lit("top_k must be a finite number in (0, 1], got '0.5'")),
    case(named("top_k_mask", P(exiaa.top_k_mask, torch.randn(1, 3, 4, 4))), dict(top_k=NAN), E, lit("top_k must be a finite number in (0, 1], got nan")),
    case(named("top_k_mask", P(exiaa.top_k_mask, torch.randn(1, 3, 4, 4))), dict(top_k=True), E, lit("top_k must be a finite number in (0, 1], got True")),
    case(named("top_k_mask", P(exiaa.top_k_mask, top_k=0.5)), dict(z_bar=torch.randn(3, 4, 4)), E, lit("z_bar must have shape (B, C, H, W)")),
    case(named("top_k_mask", P(exiaa.top_k_mask, top_k=0.5)), dict(z_bar=[[[[1.0]]]]), E, lit("z_bar must have shape (B, C, H, W)")),
    case(named("top_k_mask", P(exiaa.top_k_mask, top_k=0.5)), dict(z_bar=torch.tensor([[[[INF, NAN]]]])), E, lit("z_bar holds 2 NaN or infinite attribution(s); the top-k of such a map is undefined")),
    case(INJECT, dict(x=X, x_bar=X, mask=X > 0.5, alpha=-1), E, lit("alpha must be a number in [0, 1) (the paper uses (0, 1); 0 leaves x unchanged), got -1")),
    case(INJECT, dict(x=X, x_bar=X, mask=X > 0.5, alpha=None), E, pre("alpha must be a number in [0, 1)")),
    case(INJECT, dict(x=X, x_bar=X[:, :, :4], mask=X > 0.5, alpha=0.1), E, lit("x_bar and mask (bool) must have x's shape (1, 3, 8, 8)")),
    case(INJECT, dict(x=X, x_bar=X, mask=X.float(), alpha=0.1), E, lit("x_bar and mask (bool) must have x's shape (1, 3, 8, 8)")),
    case(INJECT, dict(x=X, x_bar=X, mask=None, alpha=0.1), E, lit("x_bar and mask (bool) must have x's shape (1, 3, 8, 8)")),
    case(INJECT, dict(x=X, x_bar=X + 1, mask=X > 0.5, alpha=0.1), E, pre("x_bar must lie in [0, 1], got values in [")),
    case(INJECT, dict(x=X_NAN, x_bar=X, mask=X > 0.5, alpha=0.1), E, lit("x must be finite (no NaN/inf)")),
    case(GB, dict(counts=[193], alpha=0.1), E, lit("counts must be 1 integers in [0, 192], got [193]")),
    case(GB, dict(counts=[-1], alpha=0.1), E, lit("counts must be 1 integers in [0, 192], got [-1]")),
    case(GB, dict(counts=[1.5], alpha=0.1), E, lit("counts must be 1 integers in [0, 192], got [1.5]")),
    case(GB, dict(counts=[NAN], alpha=0.1), E, lit("counts must be 1 integers in [0, 192], got [nan]")),
    case(GB, dict(counts=[1, 2], alpha=0.1), E, lit("counts must be 1 integers in [0, 192], got [1, 2]")),
    case(GB, dict(counts="3", alpha=0.1), E, lit("counts must be 1 integers in [0, 192], got '3'")),
    case(GB, dict(counts=[True], alpha=0.1), E, lit("counts must be 1 integers in [0, 192], got [True]")),
    case(GB, dict(counts=[1], alpha=1), E, pre("alpha must be a number in [0, 1) (the paper uses (0, 1); 0 leaves x unchanged), got 1")),
    case(named("gaussian_baseline", P(exiaa.gaussian_baseline, X, [1], 0.1, mean=[0.5] * 3, std=[0.2] * 3)), dict(generator=None), E, lit("generator must be a seeded torch.Generator")),
    case(named("running_up_class", exiaa.running_up_class), dict(p=torch.rand(3)), E, lit("p must have shape (B, K) with K >= 2, got (3,)")),
    case(named("running_up_class", exiaa.running_up_class), dict(p=torch.rand(2, 1)), E, lit("p must have shape (B, K) with K >= 2, got (2, 1)")),
    case(named("rank_pool", P(exiaa.rank_pool, P3.expand(2, 3), [0])), dict(ranks=[0]), E, lit("ranks must be 1-based integers >= 1, got [0]")),
    case(named("rank_pool", P(exiaa.rank_pool, P3.expand(2, 3), [0])), dict(ranks=[]), E, lit("ranks must be 1-based integers >= 1, got []")),
    case(named("rank_pool", P(exiaa.rank_pool, P3.expand(2, 3), [0])), dict(ranks=[5]), E, lit("ranks must be at most 2, the pool's candidates for class 0; got 5")),
    case(named("rank_pool", P(exiaa.rank_pool, P3.expand(2, 3), [0], [1])), dict(pool_labels=torch.tensor([0, 1, 2])), E, lit("pool_labels must have shape (2,), got (3,)")),
    case(named("rank_pool", P(exiaa.rank_pool, classes=[0], ranks=[1])), dict(p_pool=torch.rand(3)), E, lit("p_pool must have shape (N, K)")),
    case(named("probabilities", P(exiaa.probabilities, M, X)), dict(batch_size=0), E, lit("batch_size must be an integer >= 1, got 0")),
]


# --------------------------------------------------------------------------- scale-out
def _task(start: int, stop: int):   # never called: every run() case fails first
    raise AssertionError("a shard ran")


SHARDS = scaleout.grid(2, 1)
RUN = named("run", P(scaleout.run, _task, SHARDS, NOWHERE, progress=False))
SCALEOUT = [
    case(named("grid", scaleout.grid), dict(n_items=0, shard_size=1), E, lit("n_items must be an integer >= 1, got 0")),
    case(named("grid", scaleout.grid), dict(n_items=4, shard_size=-1), E, lit("shard_size must be an integer >= 1, got -1")),
    case(named("grid", scaleout.grid), dict(n_items=4, shard_size="2"), E, lit("shard_size must be an integer >= 1, got '2'")),
    case(named("grid", scaleout.grid), dict(n_items=4.0, shard_size=2), E, lit("n_items must be an integer >= 1, got 4.0")),
    case(named("grid", P(scaleout.grid, 4, 2)), dict(model=[]), E, lit("axis 'model' must be a non-empty sequence of values, got []")),
    case(named("grid", P(scaleout.grid, 4, 2)), dict(model="resnet"), E, lit("axis 'model' must be a non-empty sequence of values, got 'resnet'")),
    case(named("grid", P(scaleout.grid, 4, 2)), dict(method=5), E, lit("axis 'method' must be a non-empty sequence of values, got 5")),
    case(RUN, dict(scheduler="banana"), E, lit("scheduler must be 'serial', 'local', an address such as 'tcp://host:8786', a distributed.Client or None, got 'banana'")),
    case(RUN, dict(scheduler="Serial"), E, pre("scheduler must be 'serial', 'local', an address such as 'tcp://host:8786', a distributed.Client or None, got 'Serial'")),
    case(RUN, dict(scheduler="localhost:8786"), E, pre("scheduler must be 'serial', 'local', an address")),
    case(RUN, dict(scheduler=8786), E, lit("scheduler must be 'serial', 'local', an address such as 'tcp://host:8786', a distributed.Client or None, got int")),
    case(RUN, dict(scheduler="serial", n_workers=0), E, lit("n_workers must be an integer >= 1, got 0")),
    case(RUN, dict(n_workers="2"), E, lit("n_workers must be an integer >= 1, got '2'")),
    case(RUN, dict(n_workers=2.0), E, lit("n_workers must be an integer >= 1, got 2.0")),
    case(RUN, dict(threads_per_worker=0), E, lit("threads_per_worker must be an integer >= 1, got 0")),
    case(RUN, dict(retries=-1), E, lit("retries must be an integer >= 0, got -1")),
    case(named("run", P(scaleout.run, out_dir=NOWHERE)), dict(fn=_task, shards=[1, 2]), E, lit("shards must be Shard objects (see grid())")),
    case(named("run", P(scaleout.run, out_dir=NOWHERE)), dict(fn=5, shards=SHARDS), E, lit("fn must be callable, got int")),
    case(named("shard_key", P(scaleout.shard_key, _task)), dict(shard=scaleout.Shard("a", {"x": {1, 2}})), E, pre("shard 'a': params must be JSON-serialisable (")),
    case(named("task", scaleout.task), dict(name="bad name"), E, lit("name must be a dotted identifier such as 'paper.task', got 'bad name'")),
]

CASES = AXAI + REGISTRY + ATTACKS + SEGMENT + METRICS_CHANGE + METRICS_LOCALISATION + STATS + INTERVALS + RULES \
    + PROFILES + MODELS + DATA + EXIAA + SCALEOUT


@pytest.fixture(autouse=True)
def nothing_heavy_runs(monkeypatch):
    """Training, CIFAR-10 reading, downloads, notebook execution and the benchmarks fail at
    once: a case that got past validation must not start real work."""
    import papermill

    def refuse(what):
        def fail(*args, **kwargs):
            raise AssertionError(f"{what} started: the bad input was not refused")
        return fail

    for target in ("axlib.models.train.fit", "axlib.data.cifar.read_python_tarball", "axlib.data.cifar.read_jpeg_zip",
                   "axlib.data.registry._download", "axlib.data.speech_commands.training_data",
                   "axlib.data.polarity.training_data", "axlib.papers.axai.bench.bench",
                   "axlib.companion.bench_scaleout.bench"):
        module, name = target.rsplit(".", 1)
        monkeypatch.setattr(importlib.import_module(module), name, refuse(target))   # the module, not a same-named function
    monkeypatch.setattr(papermill, "execute_notebook", refuse("papermill.execute_notebook"))


@pytest.mark.parametrize("fn, kwargs, exception, regex", CASES)
def test_bad_input_is_refused(fn, kwargs, exception, regex):
    with pytest.raises(exception, match=regex) as info:
        fn(**kwargs)
    assert type(info.value) is exception          # exactly, not a subclass (ShardError, AxisError, ...)


def test_the_table_is_large_and_names_every_area():
    assert len(CASES) >= 150
    assert {p.id.split("(")[0] for p in REGISTRY} == {f"attribute[{name}]" for name in METHODS}
    assert len({p.id for p in CASES}) == len(CASES), "every case has an id of its own"


@pytest.mark.parametrize("name, module", [("speech-lenet", "speech_commands"), ("rt-polarity-textcnn", "polarity")])
def test_train_reaches_the_data_module_of_speech_and_text(name, module):
    """``axlib train`` of the speech and text models imports their data module (it was
    ``axlib.speech`` / ``axlib.text`` before the layering: a ModuleNotFoundError)."""
    with pytest.raises(AssertionError, match=rf"axlib\.data\.{module}\.training_data started"):
        train(name, epochs=1)


# --------------------------------------------------------------------------- the command line
CLI = [
    (["run", "99", "--profile", "smoke"], 2, r"^axlib run: error: unknown notebook '99'; available: 00_models\.ipynb, "),
    (["run", "01", "-p", "n_imgs", "5"], 2, lit("axlib run: error: unknown parameter(s) 'n_imgs' for 01_quickshift.ipynb; accepted: profile, n_cifar, seed, image_size, repeats")),
    (["run", "00", "--profile", "smoke", "-p", "n_cifar", "abc"], 2, lit("axlib run: error: 00_models.ipynb: n_cifar must be an integer >= 1, got 'abc' (a size of page 00_models; the profiles use smoke 16, default None, paper None)")),
    (["run", "01", "-p", "repeats", "0"], 2, lit("axlib run: error: 01_quickshift.ipynb: repeats must be an integer >= 1, got 0 (a size of page 01_quickshift; the profiles use smoke 1, default 1, paper 3)")),
    (["run", "01", "-p", "n_cifar", "2.5"], 2, pre("axlib run: error: 01_quickshift.ipynb: n_cifar must be an integer >= 1, got 2.5 (a size of page 01_quickshift")),
    (["run", "02", "-p", "n_cifar", "-5"], 2, r"^axlib run: error: 02_attack_distributions\.ipynb: cifar_images must be an integer >= 1, got -5 \(a size of page 02_attack_distributions; .*\) \(-p n_cifar sets cifar_images\)$"),
    (["run", "05", "-p", "n_images", "0"], 2, r"^axlib run: error: 05_robust_study\.ipynb: n_study_images must be an integer >= 1, got 0 .*\(-p n_images sets n_study_images\)$"),
    (["run", "01", "-p", "seed", "-1"], 2, lit("axlib run: error: 01_quickshift.ipynb: seed must be an integer >= 0, got -1")),
    (["run", "00", "-p", "device", "banana"], 2, lit("axlib run: error: 00_models.ipynb: device must be 'cpu', 'cuda' or 'cuda:N', got 'banana'")),
    (["run", "-p", "profile", "smoke"], 2, lit("axlib run: error: set the profile with --profile, not -p profile")),
    (["run", "-p", "n-images", "3"], 2, lit("axlib run: error: parameter name 'n-images' is not a Python identifier")),
    (["run", "--profile", "huge"], 2, r"axlib run: error: argument --profile: invalid choice: 'huge'"),
    (["train", "cifar10-alexnet", "--epochs", "0"], 2, lit("axlib train: error: epochs must be an integer >= 1, got 0")),
    (["train", "cifar10-alexnet", "--epochs", "-2"], 2, lit("axlib train: error: epochs must be an integer >= 1, got -2")),
    (["train", "cifar10-alexnet", "--epochs", "abc"], 2, r"axlib train: error: argument --epochs: invalid int value: 'abc'"),
    (["train", "nosuch"], 2, r"^axlib train: error: model must be one of \['canvas64-alexnet', .*\], got 'nosuch'$"),
    (["train", "cifar10-alexnet", "--device", "banana"], 2, lit("axlib train: error: device must be 'cpu', 'cuda' or 'cuda:N', got 'banana'")),
    (["train", "imagenet-mobilenetv2"], 2, lit("axlib train: error: model 'imagenet-mobilenetv2' is converted, not trained; see its card for how it was made")),
    (["bench", "--profile", "smoke", "--device", "banana"], 2, lit("axlib bench: error: device must be 'cpu', 'cuda' or 'cuda:N', got 'banana'")),
    (["bench", "--profile", "smoke", "--repeats", "0"], 2, lit("axlib bench: error: repeats must be an integer >= 1, got 0")),
    (["bench", "scaleout", "--profile", "smoke", "--repeats", "0"], 2, lit("axlib bench: error: repeats must be an integer >= 1, got 0")),
    (["bench", "scaleout", "--profile", "smoke", "--device", "cuda"], 2, lit("axlib bench: error: device must be 'cpu' for the scaleout benchmark (its Dask workers use this machine's CPU cores), got 'cuda'")),
    (["bench", "speed"], 2, r"axlib bench: error: argument suite: invalid choice: 'speed'"),
    (["data", "fetch", "nosuch"], 2, r"^axlib data: error: unknown data set 'nosuch'; registered: cifar10, "),
    (["data", "fetch", "rt-polarity", "nosuch"], 2, r"^axlib data: error: unknown data set 'nosuch'; registered: "),
    (["data", "remove"], 2, r"axlib data: error: argument action: invalid choice: 'remove'"),
    ([], 2, r"axlib: error: the following arguments are required: command"),
]
if not CUDA:
    CLI.append((["bench", "--profile", "smoke", "--device", "cuda"], 2,
                lit("axlib bench: error: device 'cuda': torch sees no CUDA GPU on this machine; use 'cpu'")))
    CLI.append((["train", "cifar10-alexnet", "--device", "cuda:0"], 2,
                lit("axlib train: error: device 'cuda:0': torch sees no CUDA GPU on this machine; use 'cpu'")))


@pytest.mark.parametrize("argv, status, regex", CLI, ids=[" ".join(c[0]) or "(nothing)" for c in CLI])
def test_bad_command_line_exits_with_one_line(argv, status, regex, capsys, tmp_path):
    out = tmp_path / "out"
    argv = argv + (["--out", str(out)] if argv[:1] == ["run"] else [])
    usage = False
    try:
        code = cli.main(argv)
    except SystemExit as stop:                      # argparse's own usage errors: usage line, error line
        code, usage = stop.code, True
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert code == status, err
    assert err and re.search(regex, err[-1]), err    # the last line says what is wrong
    if not usage:
        assert len(err) == 1 and captured.out == "", (captured.out, err)   # one line, no traceback
    assert not out.exists(), "nothing may be written for a refused command"


@pytest.mark.parametrize("argv, regex", [
    (["train", "cifar10-alexnet", "--epochs", "0"], lit("axlib train: error: epochs must be an integer >= 1, got 0")),
    (["bench", "--profile", "smoke", "--device", "banana"], lit("axlib bench: error: device must be 'cpu', 'cuda' or 'cuda:N', got 'banana'")),
    (["data", "fetch", "nosuch"], pre("axlib data: error: unknown data set 'nosuch'; registered: ")),
], ids=["train --epochs 0", "bench --device banana", "data fetch nosuch"])
def test_bad_command_line_as_a_console_command(argv, regex):
    proc = subprocess.run([sys.executable, "-m", "axlib", *argv], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert re.search(regex, proc.stderr.strip()), proc.stderr



def test_models_train_stays_the_function_after_its_module_is_imported():
    """Importing ``axlib.models.train`` (the module; notebook 00 does) used to rebind the name
    ``axlib.models.train`` to it, so ``axlib.models.train(name)`` raised TypeError."""
    import axlib.models
    from axlib.models.train import accuracy  # noqa: F401

    assert axlib.models.train is train and callable(axlib.models.train)
