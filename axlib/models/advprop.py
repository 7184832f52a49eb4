"""AdvProp (Xie et al. 2020): clean and adversarial batches through separate batch norms.

AdvProp trains on clean images and adversarial examples together, but normalises each kind with
its own batch-norm statistics: the *main* batch norms see clean batches only, the *auxiliary*
ones adversarial batches only; the convolution and linear weights are shared. At test time only
the main batch norms are used, so the deployed network is the plain architecture.

- :class:`DualBatchNorm2d`: a main and an auxiliary ``nn.BatchNorm2d``; ``use_aux`` chooses.
- :func:`convert_to_dual_bn`: replace every ``nn.BatchNorm2d`` of a model (in place) by a
  :class:`DualBatchNorm2d` whose two halves start as copies of it.
- :func:`auxiliary`: a context manager routing a model through its auxiliary batch norms.
- :func:`advprop_training_step`: the training step for :func:`axlib.models.train.fit`'s
  ``batch_step`` hook: PGD examples made through the auxiliary batch norms (model in eval mode,
  as every attack in :mod:`axlib.models.adversarial`), then
  ``loss = CE(f_main(x), y) + CE(f_aux(x_adv), y)`` in training mode.
- :func:`strip_auxiliary`: the deployable model, every dual batch norm replaced by its main
  half; its ``state_dict`` loads into the original architecture.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from axlib import attacks as _attacks
from axlib._util.checks import check_choice, check_int, check_number, eval_mode
from axlib.models.adversarial import StepFn, check_pgd_params

__all__ = ["DualBatchNorm2d", "convert_to_dual_bn", "auxiliary", "TARGETS", "advprop_training_step",
           "strip_auxiliary"]


class DualBatchNorm2d(nn.Module):
    """Two batch norms over the same channels: ``main`` (clean data) and ``aux`` (adversarial).

    Input and output (B, C, H, W). ``use_aux`` (False by default) selects the auxiliary half.
    """

    def __init__(self, bn: nn.BatchNorm2d):
        super().__init__()
        if not isinstance(bn, nn.BatchNorm2d):
            raise ValueError(f"bn must be an nn.BatchNorm2d, got {type(bn).__name__}")
        self.main = copy.deepcopy(bn)
        self.aux = copy.deepcopy(bn)
        self.use_aux = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.aux(x) if self.use_aux else self.main(x)


def _replace(module: nn.Module, wanted: type, make) -> int:
    count = 0
    for name, child in module.named_children():
        if isinstance(child, wanted):
            setattr(module, name, make(child))
            count += 1
        else:
            count += _replace(child, wanted, make)
    return count


def convert_to_dual_bn(model: nn.Module) -> nn.Module:
    """Replace every ``nn.BatchNorm2d`` of ``model`` in place by a :class:`DualBatchNorm2d`
    starting as two copies of it. Returns the model. Raises ValueError if it has none."""
    if _replace(model, nn.BatchNorm2d, DualBatchNorm2d) == 0:
        raise ValueError("model has no nn.BatchNorm2d layer: AdvProp needs batch norms to split")
    return model


def _dual_layers(model: nn.Module) -> list[DualBatchNorm2d]:
    layers = [m for m in model.modules() if isinstance(m, DualBatchNorm2d)]
    if not layers:
        raise ValueError("model has no DualBatchNorm2d layer: call convert_to_dual_bn first")
    return layers


@contextmanager
def auxiliary(model: nn.Module):
    """Within the block, every :class:`DualBatchNorm2d` of ``model`` uses its auxiliary half."""
    layers = _dual_layers(model)
    for layer in layers:
        layer.use_aux = True
    try:
        yield model
    finally:
        for layer in layers:
            layer.use_aux = False


TARGETS = ("label", "random")
"""What the AdvProp attacker aims at: ``"label"`` moves away from the true label (untargeted);
``"random"`` moves towards a class drawn uniformly from the other classes, as Xie et al.'s
adversarial-training attacker (facebookresearch/ImageAdversarialTraining, which AdvProp's
ImageNet models were trained with) does."""


def advprop_training_step(*, eps: float, steps: int = 1, step: float | None = None, norm: str = "l2",
                          random_start: bool = True, label_smoothing: float = 0.0,
                          seed: int = 0, target: str = "label", clean_start: float = 0.0) -> StepFn:
    """An AdvProp training step for ``fit(batch_step=...)`` on a model with dual batch norms.

    eps: budget >= 0 in [0, 1] pixel units; steps: PGD iterations >= 1 (AdvProp used 1 to 5);
    step: > 0, None: 2.5 * eps / steps; norm: "l2" or "linf"; random_start: from a uniform
    point of the eps ball; label_smoothing in [0, 1); seed >= 0 seeds the random starts, the
    clean-start draws and the random targets; target: one of :data:`TARGETS`; clean_start in
    [0, 1]: the probability that a batch starts its attack at the clean images instead of a
    random point (Xie et al.: 0.2, drawn once per batch; 0 draws nothing, so a recipe without it
    is unchanged).
    Returns ``step(model, xb, yb) -> loss``: the adversarial examples are made through the
    auxiliary batch norms, then the loss is the clean cross-entropy through the main batch norms
    plus the adversarial one (true labels) through the auxiliary batch norms (the paper's equal
    weights).
    Raises ValueError naming the parameter for values out of range, and when called on a model
    without :class:`DualBatchNorm2d` layers.
    """
    eps, steps, step, norm = check_pgd_params(eps, steps, step, norm)
    label_smoothing = check_number("label_smoothing", label_smoothing, 0, 1, high_open=True)
    target = check_choice("target", target, TARGETS)
    clean_start = check_number("clean_start", clean_start, 0, 1)
    generator = torch.Generator().manual_seed(check_int("seed", seed, low=0))

    classes: list[int] = []      # the model's class count, read from one forward the first time

    def attack_labels(model: nn.Module, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        if target == "label":
            return yb
        if not classes:
            with torch.no_grad(), eval_mode(model):
                classes.append(model(xb[:1]).shape[-1])
        offsets = torch.randint(1, classes[0], yb.shape, generator=generator).to(yb.device)
        return (yb + offsets) % classes[0]

    def advprop_step(model: nn.Module, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
        from_clean = clean_start > 0 and float(torch.rand((), generator=generator)) < clean_start
        with auxiliary(model):
            x_adv = _attacks.pgd(model, xb, attack_labels(model, xb, yb), eps=eps, step=step, steps=steps,
                                 norm=norm, random_start=random_start and not from_clean, generator=generator,
                                 targeted=target == "random")
            adversarial = F.cross_entropy(model(x_adv), yb, label_smoothing=label_smoothing)
        clean = F.cross_entropy(model(xb), yb, label_smoothing=label_smoothing)
        return clean + adversarial

    return advprop_step


def strip_auxiliary(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` with every :class:`DualBatchNorm2d` replaced by its main half:
    the network AdvProp evaluates and ships. Raises ValueError if there is none."""
    _dual_layers(model)
    plain = copy.deepcopy(model)
    _replace(plain, DualBatchNorm2d, lambda dual: dual.main)
    return plain
