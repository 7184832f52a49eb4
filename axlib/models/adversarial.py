"""Adversarial training steps for :func:`axlib.models.train.fit`'s ``batch_step`` hook.

A training step here is a callable ``step(model, xb, yb) -> loss`` (a scalar tensor with an
autograd graph through the model's parameters) that :func:`~axlib.models.train.fit` calls
instead of plain cross-entropy. Two recipes, both on [0, 1] pixels (every axlib model
normalises its input itself), for any classifier returning logits (AlexNet-, ResNet- or
MobileNetV2-style alike):

* :func:`pgd_training_step` -- Madry et al. (2018): the loss on L2 (or Linf) PGD adversarial
  examples, ``steps`` iterations of length ``step`` inside the ``eps`` ball, from a random
  start. Cost per batch: ``steps + 1`` forward/backward passes.
* :func:`fast_fgm_training_step` -- "fast" adversarial training (Wong, Rice & Kolter 2020,
  "Fast is better than free"): ONE gradient step of length ``alpha`` (default 1.25 eps) from
  a uniformly random start in the ``eps`` ball, projected back onto the ball. With
  ``norm="linf"`` this is their FGSM with random start; with ``norm="l2"`` the same with an
  L2-normalised gradient step (FGM). Cost per batch: 2 forward/backward passes. It is NOT
  PGD training; models trained with it are named as such in their cards.

Both attack with the model in eval mode (:func:`axlib.attacks.pgd` switches it and restores
training mode), so batch-norm statistics and dropout see only the batches the model is
trained on. ``clean_weight`` in [0, 1] mixes the clean loss in:
``loss = (1 - w) * CE(f(x_adv), y) + w * CE(f(x), y)`` (0: adversarial examples only, the
papers' recipe; 0.5: the usual "half clean, half adversarial" mix). AdvProp's auxiliary
batch norms are in :mod:`axlib.models.advprop`.

Random starts draw from a ``torch.Generator`` seeded at construction, so a run from scratch
is deterministic under its seed; a run resumed from ``fit``'s checkpoint restarts that
generator (the random starts then differ from an uninterrupted run's).

:func:`batch_step_from_recipe` builds a step from a recipe's ``"adversarial"`` entry, and
:func:`robustness` measures clean and PGD accuracy for a model card.
"""
from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from axlib import attacks as _attacks
from axlib._util.checks import check_choice, check_images, check_int, check_number

__all__ = ["pgd_training_step", "fast_fgm_training_step", "batch_step_from_recipe", "robustness",
           "METHODS"]

METHODS = ("pgd", "fast-fgm-rs", "advprop")
"""Names of the adversarial training methods accepted by :func:`batch_step_from_recipe`."""

StepFn = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


def check_pgd_params(eps, steps, step, norm) -> tuple[float, int, float, str]:
    """Validated (eps >= 0, steps >= 1, step > 0, norm) of a PGD; step None: 2.5 * eps / steps
    (Madry et al.; 1.0 when eps is 0). Raises ValueError naming the parameter."""
    eps = check_number("eps", eps, low=0)
    steps = check_int("steps", steps, low=1)
    norm = check_choice("norm", norm, _attacks.NORMS)
    if step is None:
        step = 2.5 * eps / steps if eps > 0 else 1.0
    return eps, steps, check_number("step", step, low=0, low_open=True), norm


def _make_step(attack: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor],
               clean_weight: float, label_smoothing: float) -> StepFn:
    def step(model: nn.Module, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        x_adv = attack(model, xb, yb)
        loss = F.cross_entropy(model(x_adv), yb, label_smoothing=label_smoothing)
        if clean_weight > 0:
            clean = F.cross_entropy(model(xb), yb, label_smoothing=label_smoothing)
            loss = (1.0 - clean_weight) * loss + clean_weight * clean
        return loss

    return step


def pgd_training_step(*, eps: float, steps: int = 10, step: float | None = None,
                      norm: str = "l2", random_start: bool = True, clean_weight: float = 0.0,
                      label_smoothing: float = 0.0, seed: int = 0) -> StepFn:
    """A PGD adversarial training step (Madry et al.), for ``fit(batch_step=...)``.

    eps: budget >= 0 in [0, 1] pixel units (L2: per-image Euclidean length, e.g. 0.5 on
    CIFAR-10; linf: per feature, e.g. 8/255). steps: PGD iterations >= 1.
    step: step length > 0; None: 2.5 * eps / steps (Madry et al.'s rule).
    norm: "l2" or "linf". random_start: start from a uniform point of the eps ball.
    clean_weight: weight in [0, 1] of the clean loss (see the module docstring).
    label_smoothing: in [0, 1), passed to the cross-entropy of the training loss.
    seed: integer >= 0 seeding the random starts.
    Returns ``step(model, xb, yb) -> loss``: xb (B, C, H, W) in [0, 1], yb (B,) labels;
    the loss is a scalar tensor to back-propagate (the caller does backward and the
    optimiser step). Raises ValueError naming the parameter for values out of range.
    """
    eps, steps, step, norm = check_pgd_params(eps, steps, step, norm)
    clean_weight = check_number("clean_weight", clean_weight, 0, 1)
    label_smoothing = check_number("label_smoothing", label_smoothing, 0, 1, high_open=True)
    generator = torch.Generator().manual_seed(check_int("seed", seed, low=0))

    def attack(model, xb, yb):
        return _attacks.pgd(model, xb, yb, eps=eps, step=step, steps=steps, norm=norm,
                            random_start=random_start, generator=generator)

    return _make_step(attack, clean_weight, label_smoothing)


def fast_fgm_training_step(*, eps: float, alpha: float | None = None, norm: str = "l2",
                           clean_weight: float = 0.0, label_smoothing: float = 0.0,
                           seed: int = 0) -> StepFn:
    """A "fast" adversarial training step: FGM (l2) / FGSM (linf) with a random start.

    Wong, Rice & Kolter (2020): delta0 ~ uniform in the eps ball, then one step of length
    ``alpha`` along the normalised gradient (l2) or its sign (linf), projected onto the eps
    ball and clipped to [0, 1]. eps: budget >= 0 (pixel units, as :func:`pgd_training_step`).
    alpha: step length > 0; None: 1.25 * eps (their choice). Other parameters and the
    returned callable as :func:`pgd_training_step`.
    Raises ValueError naming the parameter for values out of range.
    """
    eps = check_number("eps", eps, low=0)
    norm = check_choice("norm", norm, _attacks.NORMS)
    if alpha is None:
        alpha = 1.25 * eps if eps > 0 else 1.0
    alpha = check_number("alpha", alpha, low=0, low_open=True)
    clean_weight = check_number("clean_weight", clean_weight, 0, 1)
    label_smoothing = check_number("label_smoothing", label_smoothing, 0, 1, high_open=True)
    generator = torch.Generator().manual_seed(check_int("seed", seed, low=0))

    def attack(model, xb, yb):
        return _attacks.pgd(model, xb, yb, eps=eps, step=alpha, steps=1, norm=norm,
                            random_start=True, generator=generator)

    return _make_step(attack, clean_weight, label_smoothing)


def batch_step_from_recipe(recipe: dict) -> StepFn | None:
    """The training step named by ``recipe["adversarial"]``, or None when the recipe has none.

    recipe["adversarial"]: {"method": "pgd" | "fast-fgm-rs" | "advprop", "eps": float, "norm":
    "l2" | "linf", and optionally "steps", "step" (pgd, advprop), "alpha" (fast-fgm-rs),
    "clean_weight" (pgd, fast-fgm-rs), "random_start" (pgd, advprop), "target" and "clean_start"
    (advprop: :func:`axlib.models.advprop.advprop_training_step`)}; "advprop" needs a model
    with dual batch norms (:func:`axlib.models.advprop.convert_to_dual_bn`);
    the label smoothing and seed come from the recipe's own "label_smoothing" and "seed".
    Raises ValueError for an unknown method or unknown keys.
    """
    spec = recipe.get("adversarial")
    if spec is None:
        return None
    if not isinstance(spec, dict) or "method" not in spec or "eps" not in spec:
        raise ValueError(f"recipe['adversarial'] must be a dict with 'method' and 'eps', got {spec!r}")
    spec = dict(spec)
    method = spec.pop("method")
    common = {"label_smoothing": recipe.get("label_smoothing", 0.0), "seed": recipe.get("seed", 0)}
    allowed = {"pgd": {"eps", "steps", "step", "norm", "random_start", "clean_weight"},
               "fast-fgm-rs": {"eps", "alpha", "norm", "clean_weight"},
               "advprop": {"eps", "steps", "step", "norm", "random_start", "target", "clean_start"}}
    if method not in allowed:
        raise ValueError(f"recipe['adversarial']['method'] must be one of {METHODS}, got {method!r}")
    unknown = set(spec) - allowed[method]
    if unknown:
        raise ValueError(f"recipe['adversarial'] has unknown key(s) {sorted(unknown)} for method "
                         f"{method!r}; accepted: {sorted(allowed[method])}")
    if method == "advprop":
        from axlib.models.advprop import advprop_training_step
        return advprop_training_step(**spec, **common)
    build = pgd_training_step if method == "pgd" else fast_fgm_training_step
    return build(**spec, **common)


def robustness(model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float = 0.5,
               steps: int = 20, step: float | None = None, norm: str = "l2",
               batch_size: int = 250) -> dict:
    """Clean and PGD adversarial accuracy of ``model`` (for a model card).

    x: (N, C, H, W) in [0, 1]; y: (N,) labels. The attack: untargeted PGD from the clean
    image (no random start), ``steps`` iterations of ``step`` (None: 2.5 * eps / steps) in
    the ``eps`` ball of ``norm``, on the true labels.
    Returns {"clean_accuracy", "adversarial_accuracy" (fractions in [0, 1]), "attack": a
    description of the attack with eps, step, steps, norm, "n"}.
    """
    eps, steps, step, norm = check_pgd_params(eps, steps, step, norm)
    x = check_images(x)
    clean = float((_attacks.predicted_labels(model, x, batch_size) == y.to(x.device)).float().mean())

    def attack(m, xb, yb):
        return _attacks.pgd(m, xb, yb, eps=eps, step=step, steps=steps, norm=norm)

    adv = _attacks.adversarial_accuracy(model, x, y, attack, batch_size=batch_size)
    return {"clean_accuracy": clean, "adversarial_accuracy": adv, "n": int(x.shape[0]),
            "attack": {"name": f"{norm.upper()} PGD-{steps}", "eps": eps, "step": step,
                       "steps": steps, "norm": norm, "random_start": False,
                       "labels": "true labels"}}

