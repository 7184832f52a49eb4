"""Argument checks and model context managers shared by every layer.

Each check returns the validated value (converted: ``check_int`` gives an ``int``,
``check_number`` a ``float``, ``check_choice`` the canonical choice) or raises ValueError with
a message that names the parameter, the value it got and the accepted range. Booleans are never
accepted as numbers.
"""
from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable
from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["check_int", "check_number", "check_choice", "check_images", "check_labels", "check_classes",
           "check_device", "model_device", "eval_mode", "torch_threads"]


def _range_text(low, high, low_open: bool = False, high_open: bool = False) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f"{'<' if high_open else '<='} {high:g}"
    return ""


def check_int(name: str, value, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int in [low, high] (either bound None: unbounded); numpy integers accepted.

    Parameters
    ----------
    name : str
        The parameter's name, used in the message.
    value : object
        The value to check; booleans are refused.
    low, high : int, optional
        Inclusive bounds; None: unbounded.

    Returns
    -------
    int
        The value.

    Raises
    ------
    ValueError
        "``name`` must be an integer >= low, got value" (or "in [low, high]").
    """
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok and ((low is not None and value < low) or (high is not None and value > high)):
        ok = False
    if not ok:
        bounds = _range_text(low, high)
        raise ValueError(f"{name} must be an integer{' ' + bounds if bounds else ''}, got {value!r}")
    return int(value)


def check_number(name: str, value, low: float | None = None, high: float | None = None, *,
                 low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float between ``low`` and ``high`` (bounds closed unless ``*_open``).

    Parameters
    ----------
    name : str
        The parameter's name, used in the message.
    value : object
        The value to check; booleans are refused.
    low, high : float, optional
        Bounds; None: unbounded.
    low_open, high_open : bool, default False
        Exclude the bound.

    Returns
    -------
    float
        The value.

    Raises
    ------
    ValueError
        "``name`` must be a finite number > 0, got value" and the like.
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        v = float(value)
        if low is not None and (v <= low if low_open else v < low):
            ok = False
        if high is not None and (v >= high if high_open else v > high):
            ok = False
    if not ok:
        bounds = _range_text(low, high, low_open, high_open)
        raise ValueError(f"{name} must be a finite number{' ' + bounds if bounds else ''}, got {value!r}")
    return float(value)


def check_bool(name: str, value) -> bool:
    """``value`` if it is True or False (not 0, 1, None or a string).

    Parameters
    ----------
    name : str
        The parameter's name, used in the message.
    value : object
        The value to check.

    Returns
    -------
    bool
        The value.

    Raises
    ------
    ValueError
        For anything but a bool.
    """
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def check_choice(name: str, value, choices: Iterable[str], *, case_sensitive: bool = False) -> str:
    """``value`` if it is one of ``choices``, returned as the matching choice.

    Parameters
    ----------
    name : str
        The parameter's name, used in the message.
    value : object
        The value to check.
    choices : iterable of str
        The accepted values.
    case_sensitive : bool, default False
        False: compared lower-cased.

    Returns
    -------
    str
        The matching choice, as spelled in ``choices``.

    Raises
    ------
    ValueError
        Naming the choices.
    """
    choices = tuple(choices)
    if isinstance(value, str):
        for choice in choices:
            if value == choice or (not case_sensitive and value.lower() == choice.lower()):
                return choice
    raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def check_images(x, bounds=(0.0, 1.0), name: str = "x") -> torch.Tensor:
    """A batch of images: a 4-D floating tensor (B, C, H, W), B >= 1, finite, inside ``bounds``.

    Parameters
    ----------
    x : torch.Tensor, shape (B, C, H, W), floating
        The images.
    bounds : (float, float) or None, default (0.0, 1.0)
        (low, high); None: any finite values.
    name : str, default "x"
        The parameter's name, used in the message.

    Returns
    -------
    torch.Tensor
        ``x`` unchanged.

    Raises
    ------
    ValueError
        If x is not a tensor, not (B, C, H, W) with B >= 1, not floating, not finite, or
        outside ``bounds``.
    """
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor of shape (B, C, H, W), got {type(x).__name__}")
    if x.dim() != 4 or x.shape[0] < 1:
        raise ValueError(f"{name} must have shape (B, C, H, W) with B >= 1, got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise ValueError(f"{name} must be a floating tensor with values in [0, 1], got dtype {x.dtype}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} must be finite (no NaN/inf)")
    if bounds is not None:
        lo, hi = bounds
        xmin, xmax = float(x.min()), float(x.max())
        if xmin < lo or xmax > hi:
            raise ValueError(f"{name} must lie in [{lo:g}, {hi:g}], got values in [{xmin:g}, {xmax:g}]")
    return x


def check_labels(y, x: torch.Tensor, name: str = "y") -> torch.Tensor:
    """Labels for the batch ``x``.

    Parameters
    ----------
    y : int or torch.Tensor, shape (B,), integer
        An int (one label for every image) or an integer tensor (not bool).
    x : torch.Tensor, shape (B, ...)
        The batch.
    name : str, default "y"
        The parameter's name, used in the message.

    Returns
    -------
    torch.Tensor, shape (B,), int64
        The labels, on ``x``'s device.

    Raises
    ------
    ValueError
        If y is neither an int nor an integer tensor of shape (B,), or holds a negative label.
    """
    if isinstance(y, numbers.Integral) and not isinstance(y, bool):
        if y < 0:
            raise ValueError(f"{name} must hold class labels >= 0, got {int(y)}")
        return torch.full((x.shape[0],), int(y), dtype=torch.long, device=x.device)
    if not isinstance(y, torch.Tensor) or y.shape != (x.shape[0],) or y.is_floating_point() or y.is_complex() \
            or y.dtype == torch.bool:
        got = f"{tuple(y.shape)}, dtype {str(y.dtype)[6:]}" if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"{name} must be an integer tensor of shape (B,) = ({x.shape[0]},), got {got}")
    if y.numel() and int(y.min()) < 0:
        raise ValueError(f"{name} must hold class labels >= 0, got {int(y.min())}")
    return y.to(device=x.device, dtype=torch.long)


def check_classes(model, x: torch.Tensor, y: torch.Tensor, name: str = "y") -> torch.Tensor:
    """``y`` (labels from :func:`check_labels`), checked against the model's number of classes.

    The number of classes K is read from one forward pass of ``x[:1]`` (eval mode, no
    gradients), so call this only where labels were given, not for the model's own predictions.

    Parameters
    ----------
    model : callable
        Maps (b, C, H, W) to logits (b, K).
    x : torch.Tensor, shape (B, C, H, W)
        The batch the labels belong to.
    y : torch.Tensor, shape (B,), int64
        The labels.
    name : str, default "y"
        The parameter's name, used in the message.

    Returns
    -------
    torch.Tensor
        ``y`` unchanged.

    Raises
    ------
    ValueError
        If a label is >= K: "``name`` must hold class labels in [0, K), got label".
    """
    with torch.no_grad(), eval_mode(model):
        classes = model(x[:1].to(model_device(model, x.device))).shape[-1]
    if y.numel() and int(y.max()) >= classes:
        raise ValueError(f"{name} must hold class labels in [0, {classes}) for this model, got {int(y.max())}")
    return y


def check_device(device, name: str = "device") -> torch.device:
    """A device this machine has: ``"cpu"``, ``"cuda"``, ``"cuda:N"`` (or a torch.device).

    Parameters
    ----------
    device : str or torch.device
        The device.
    name : str, default "device"
        The parameter's name, used in the message.

    Returns
    -------
    torch.device
        The parsed device.

    Raises
    ------
    ValueError
        For anything else, and for a CUDA device when torch sees no GPU (or fewer than
        N + 1), saying what is available.
    """
    try:
        parsed = device if isinstance(device, torch.device) else torch.device(device)
    except (RuntimeError, TypeError):
        parsed = None
    if parsed is None or parsed.type not in ("cpu", "cuda"):
        raise ValueError(f"{name} must be 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    if parsed.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise ValueError(f"{name} {device!r}: torch sees no CUDA GPU on this machine; use 'cpu'")
        if parsed.index is not None and parsed.index >= count:
            raise ValueError(f"{name} {device!r}: this machine has {count} CUDA GPU(s), cuda:0..cuda:{count - 1}")
    return parsed


def model_device(model, default) -> torch.device:
    """The device of ``model``'s first parameter, or ``default`` when it has none.

    Parameters
    ----------
    model : torch.nn.Module or callable
        The model; a plain function or a module without parameters has no device.
    default : torch.device or str
        The device to use then (usually the input's, ``x.device``).

    Returns
    -------
    torch.device
        The device.
    """
    try:
        return next(model.parameters()).device
    except (AttributeError, StopIteration):
        return torch.device(default)


@contextmanager
def eval_mode(model):
    """``model.eval()`` inside the block; every submodule's training flag restored after.

    Anything that is not an ``nn.Module`` (a plain function) passes through untouched.

    Parameters
    ----------
    model : torch.nn.Module or callable
        The model.

    Yields
    ------
    model
        The same object.
    """
    modes = [(m, m.training) for m in model.modules()] if isinstance(model, nn.Module) else []
    if modes:
        model.eval()
    try:
        yield model
    finally:
        for module, mode in modes:
            module.training = mode


def cpu_cores() -> int:
    """The CPU cores this process may run on (its affinity where the OS tells it, else all)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@contextmanager
def torch_threads(n: int | None):
    """torch's CPU thread count set to ``n`` inside the block, restored after.

    Parameters
    ----------
    n : int or None
        Threads, >= 1; None: unchanged.

    Yields
    ------
    None

    Raises
    ------
    ValueError
        If n is neither None nor an integer >= 1.
    """
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(check_int("threads", n, low=1))
    try:
        yield
    finally:
        torch.set_num_threads(before)
