"""Perturbation-based attribution written in axlib: RISE, Meaningful and Extremal Perturbation.

No maintained library covers these three for current PyTorch (TorchRay and the authors'
reference code are unmaintained), so they are written here from the papers' definitions.
Shared conventions (as in :mod:`axlib.explain.baselines`):

- x: (B, C, H, W) floats in [0, 1] (the model normalises inside) and the model returns logits
  (B, classes); it is run in eval mode (its mode is restored) and its parameters never
  receive gradients; target: None (the model's prediction), an int or (B,) labels.
- Returns a FloatTensor (B, H, W) on CPU; larger = more important for the target.
- Randomness comes from a private ``torch.Generator`` seeded by ``seed``: a call is
  deterministic on CPU, bit for bit, and leaves the global generators alone.
- Bad parameters raise ValueError naming the parameter.

Methods
-------
:func:`rise` (Petsiuk et al. 2018). N random binary grids of ``mask_size`` x ``mask_size``
cells, each cell kept with probability p, are upsampled bilinearly to
``(mask_size + 1) * cell`` pixels (cell = ceil(H / mask_size)) and cropped at a random shift
in [0, cell) per axis, giving smooth masks M_i in [0, 1]. The saliency is
``S = sum_i P(target | x * M_i) M_i / (N p)``, the Monte-Carlo estimate of
``E[P(target | x * M) M(pixel)] / E[M(pixel)]``, i.e. the expected score given that the pixel
is kept (exact for binary masks: ``smooth=False`` keeps them binary). Defaults as in the
paper's appendix A1: N = 8,000, mask size 7, p = 0.5.

:func:`meaningful_perturbation` (Fong & Vedaldi 2017, "deletion game"). A mask m in [0, 1]
on a coarse ``mask_size`` grid (upsampled bilinearly; 1 = keep the pixel) replaces deleted
pixels by a blurred copy: ``Phi(x; m) = m x + (1 - m) blur(x)``, and minimises
``l1_coeff * mean|1 - m| + tv_coeff * TV_beta(m) + P(target | Phi(x; m))`` with
``TV_beta(m)`` the mean of ``|m(u+1, v) - m(u, v)|^beta + |m(u, v+1) - m(u, v)|^beta``
over the grid, by Adam from m = 1, projected onto [0, 1] after every step. The saliency is
the deletion ``1 - m`` upsampled. Defaults: the paper's appendix A1 values (after
Gildenblat's implementation): 500 iterations, learning rate 0.1, l1_coeff 0.01, tv_coeff 0.2,
beta 3; mask grid H / 8 (28 at 224), blur sigma ``5 * H / 224`` pixels.

:func:`extremal_perturbation` (Fong, Patrick & Vedaldi 2019, "preservation game"). For each
area a, a smooth mask m_a in [0, 1] (parameters on a grid of stride ``mask_step``, upsampled
bilinearly and Gaussian-smoothed with ``smooth_sigma``: both are convex combinations, so m
stays in [0, 1]) maximises the target logit of ``Phi(x; m) = m x + (1 - m) blur(x)`` under
the area constraint ``area(m) = a``, relaxed as in the paper by the penalty
``lambda * mean_j (sort(m)_j - r_a,j)^2``, with r_a the sorted reference vector holding
``(1 - a) H W`` zeros and ``a H W`` ones; lambda grows geometrically from ``regul_weight``
(10) to ``regul_weight_last`` (1,000) over the iterations so that the area is met at the
end. Why it starts low: the mask starts at 0.5 everywhere, where the sort is a tie; with a
strong penalty from the first step (we tried TorchRay's 300) the tie order, not the
reward, decides which pixels are pushed to 1, and small-area masks land away from the
object on a toy model whose logit is linear in one region (tests/test_perturbation.py). Adam on
the parameters, projected onto [0, 1]. ``jitter``: as TorchRay's, the perturbed image is
flipped horizontally on every even iteration (0, 2, ...), against masks that exploit one
pixel arrangement; deterministic, so EP takes no seed.
The saliency is the mean of the per-area masks (the paper: "average over [the] heatmaps of
varying controlled sizes"). Defaults from the paper's appendix A1 (TorchRay's): areas
(0.025, 0.05, 0.1, 0.2), 800 iterations, blur perturbation; step 7 and sigma 21 pixels at
224 scale to ``7 * H / 224`` and ``21 * H / 224`` (2 and 6 pixels at 64). Differences from
TorchRay: one fixed blur (sigma ``max_blur``) instead of a blur pyramid graded by the mask
value, Gaussian smoothing instead of TorchRay's smooth-max convolution, Adam instead of
momentum SGD.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from axlib import attacks as _attacks
from axlib._util.checks import (
    check_classes,
    check_images,
    check_int,
    check_labels,
    check_number,
    eval_mode,
    model_device,
)
from axlib._util.layout import compute_layout

__all__ = ["rise", "rise_masks", "meaningful_perturbation", "extremal_perturbation",
           "gaussian_blur", "tv_norm", "EP_AREAS"]

EP_AREAS = (0.025, 0.05, 0.1, 0.2)


# --------------------------------------------------------------------------- validation

def _targets(model, x: torch.Tensor, target) -> torch.Tensor:
    if target is None:
        return _attacks.predicted_labels(model, x).cpu()
    return check_classes(model, x, check_labels(target, x, name="target"), name="target").cpu()


class _Frozen:
    """Eval mode and no parameter gradients inside; both restored after."""

    def __init__(self, model):
        self.model = model
        self.eval = eval_mode(model)

    def __enter__(self):
        self.eval.__enter__()
        params = list(self.model.parameters()) if hasattr(self.model, "parameters") else []
        self.flags = [(p, p.requires_grad) for p in params]
        for p, _ in self.flags:
            p.requires_grad_(False)
        return self.model

    def __exit__(self, *exc):
        for p, flag in self.flags:
            p.requires_grad_(flag)
        return self.eval.__exit__(*exc)


# --------------------------------------------------------------------------- shared pieces
def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur with std ``sigma`` pixels.

    Kernel radius ``ceil(3 sigma)``, at most ``min(H, W) - 1`` (reflect padding needs it);
    weights sum to 1, so values stay within the input's range.

    Parameters
    ----------
    x : torch.Tensor, shape (N, C, H, W), floating
        The images.
    sigma : float
        Standard deviation in pixels, >= 0; 0: x unchanged.

    Returns
    -------
    torch.Tensor, shape (N, C, H, W)
        The blurred images, dtype and device of x.

    Raises
    ------
    ValueError
        If sigma is not a finite number >= 0.
    """
    sigma = check_number("sigma", sigma, low=0)
    if sigma == 0:
        return x
    h, w = x.shape[-2:]
    radius = max(1, min(math.ceil(3 * sigma), min(h, w) - 1)) if min(h, w) > 1 else 0
    if radius == 0:
        return x
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    c = x.shape[1]
    out = F.pad(x, (radius, radius, 0, 0), mode="reflect")
    out = F.conv2d(out, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    out = F.pad(out, (0, 0, radius, radius), mode="reflect")
    return F.conv2d(out, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def tv_norm(m: torch.Tensor, beta: float = 3.0) -> torch.Tensor:
    """Total variation of masks.

    The mean over the grid of ``|m(u+1, v) - m(u, v)|^beta`` plus the mean of
    ``|m(u, v+1) - m(u, v)|^beta``.

    Parameters
    ----------
    m : torch.Tensor, shape (N, 1, h, w)
        The masks.
    beta : float, default 3.0
        The exponent.

    Returns
    -------
    torch.Tensor, shape (N,)
        The total variation of every mask.
    """
    dy = (m[..., 1:, :] - m[..., :-1, :]).abs().pow(beta).flatten(1)
    dx = (m[..., :, 1:] - m[..., :, :-1]).abs().pow(beta).flatten(1)
    zero = m.new_zeros(m.shape[0])
    return (dy.mean(1) if dy.shape[1] else zero) + (dx.mean(1) if dx.shape[1] else zero)


def _upsample(m: torch.Tensor, h: int, w: int) -> torch.Tensor:
    return F.interpolate(m, size=(h, w), mode="bilinear", align_corners=False)


# --------------------------------------------------------------------------- RISE
def rise_masks(n_masks: int, mask_size: int, height: int, width: int, *, p: float = 0.5,
               smooth: bool = True, generator: torch.Generator) -> torch.Tensor:
    """RISE masks in [0, 1] (see the module docstring).

    Parameters
    ----------
    n_masks : int
        Number of masks, >= 1.
    mask_size : int
        Cells per side of the random grid, in [1, min(height, width)].
    height, width : int
        Size of the masks in pixels, >= 1.
    p : float, default 0.5
        Probability that a cell is kept, in (0, 1].
    smooth : bool, default True
        Bilinear upsampling; False: nearest-neighbour upsampling, so the masks stay binary
        (0/1) blocks.
    generator : torch.Generator
        Source of the grids and the shifts.

    Returns
    -------
    torch.Tensor, shape (n_masks, height, width), float32
        The masks, values in [0, 1].

    Raises
    ------
    ValueError
        For n_masks < 1, mask_size < 1 or > min(height, width), height or width < 1, p
        outside (0, 1], or a generator that is not a torch.Generator.
    """
    n_masks = check_int("n_masks", n_masks, low=1)
    height = check_int("height", height, low=1)
    width = check_int("width", width, low=1)
    mask_size = check_int("mask_size", mask_size, low=1)
    if mask_size > min(height, width):
        raise ValueError(f"mask_size must be <= min(height, width) = {min(height, width)}, got {mask_size}")
    p = check_number("p", p, low=0, low_open=True, high=1.0)
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    ch, cw = math.ceil(height / mask_size), math.ceil(width / mask_size)
    grid = (torch.rand(n_masks, 1, mask_size, mask_size, generator=generator) < p).float()
    shift_y = torch.randint(0, ch, (n_masks,), generator=generator)
    shift_x = torch.randint(0, cw, (n_masks,), generator=generator)
    size = ((mask_size + 1) * ch, (mask_size + 1) * cw)
    if smooth:
        big = F.interpolate(grid, size=size, mode="bilinear", align_corners=False)
    else:
        big = F.interpolate(grid, size=size, mode="nearest")
    rows = shift_y[:, None] + torch.arange(height)[None, :]  # (N, H)
    cols = shift_x[:, None] + torch.arange(width)[None, :]   # (N, W)
    idx = torch.arange(n_masks)[:, None, None]
    out = big[:, 0][idx, rows[:, :, None], cols[:, None, :]]
    return out.clamp_(0.0, 1.0).contiguous()  # bilinear weights sum to 1: removes float rounding only


@torch.no_grad()
def rise(model, x: torch.Tensor, target=None, *, n_masks: int = 8000, mask_size: int = 7,
         p: float = 0.5, smooth: bool = True, batch_size: int = 256, seed: int = 0,
         masks: torch.Tensor | None = None) -> torch.Tensor:
    """RISE saliency ``sum_i P(target | x * M_i) M_i / (N p)``.

    P is the softmax probability. The masks are drawn once per call from a generator seeded by
    ``seed`` and shared by the B images (as the RISE code does).

    Parameters
    ----------
    model : callable
        Returns logits (B, classes) from (B, C, H, W) pixels in [0, 1]; run in eval mode (its
        mode is restored), its parameters never receive gradients.
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    target : None, int or torch.Tensor, shape (B,), optional
        The class explained; None: the model's prediction.
    n_masks : int, default 8000
        Number of masks N, >= 1 (see :func:`rise_masks`).
    mask_size : int, default 7
        Cells per side of the mask grid (see :func:`rise_masks`).
    p : float, default 0.5
        Probability that a cell is kept, in (0, 1]; it also normalises given ``masks``.
    smooth : bool, default True
        Smooth (bilinear) or binary masks (see :func:`rise_masks`).
    batch_size : int, default 256
        Masked images per forward pass, >= 1 (all B images of a chunk of masks together).
    seed : int, default 0
        Seed of the masks' generator, >= 0.
    masks : torch.Tensor, shape (N, H, W), optional
        Masks in [0, 1] to use instead (then n_masks is N and p still normalises).

    Returns
    -------
    torch.Tensor, shape (B, H, W), float32
        The saliency, on CPU; larger = more important for the target.

    Raises
    ------
    ValueError
        For bad parameters or x.
    """
    x = check_images(x)
    b, c, h, w = x.shape
    p = check_number("p", p, low=0, low_open=True, high=1.0)
    batch_size = check_int("batch_size", batch_size, low=1)
    seed = check_int("seed", seed, low=0)
    if masks is None:
        masks = rise_masks(n_masks, mask_size, h, w, p=p, smooth=smooth,
                           generator=torch.Generator().manual_seed(seed))
    elif not isinstance(masks, torch.Tensor) or masks.dim() != 3 or masks.shape[1:] != (h, w) \
            or float(masks.min()) < 0 or float(masks.max()) > 1:
        raise ValueError(f"masks must be a (N, {h}, {w}) tensor in [0, 1]")
    masks = masks.float().cpu()
    y = _targets(model, x, target)
    device = model_device(model, x.device)
    xd = x.detach().float().to(device)
    per_chunk = max(1, batch_size // b)
    sal = torch.zeros(b, h, w, dtype=torch.float64)
    with _Frozen(model):
        for start in range(0, masks.shape[0], per_chunk):
            m = masks[start:start + per_chunk].to(device)  # (K, H, W)
            imgs = (m[:, None, None] * xd[None]).reshape(-1, c, h, w)  # (K * B, C, H, W)
            probs = torch.softmax(model(compute_layout(imgs)).float(), dim=1).reshape(m.shape[0], b, -1)
            score = probs.gather(2, y.to(device).view(1, b, 1).expand(m.shape[0], b, 1))[..., 0]
            sal += torch.einsum("kb,khw->bhw", score.double().cpu(), m.double().cpu())
    return (sal / (masks.shape[0] * p)).float()


# --------------------------------------------------------------------------- Meaningful Perturbation
def meaningful_perturbation(model, x: torch.Tensor, target=None, *, iterations: int = 500,
                            lr: float = 0.1, l1_coeff: float = 0.01, tv_coeff: float = 0.2,
                            tv_beta: float = 3.0, mask_size: int | None = None,
                            blur_sigma: float | None = None, noise_std: float = 0.0,
                            seed: int = 0, history: list | None = None) -> torch.Tensor:
    """Meaningful Perturbation (deletion game), batched over images; returns 1 - m (B, H, W).

    The images are independent: each one's loss depends on its own mask only.

    Parameters
    ----------
    model : callable
        Returns logits (B, classes) from (B, C, H, W) pixels in [0, 1]; run in eval mode (its
        mode is restored), its parameters never receive gradients.
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    target : None, int or torch.Tensor, shape (B,), optional
        The class explained; None: the model's prediction.
    iterations : int, default 500
        Adam steps, >= 1.
    lr : float, default 0.1
        Adam's learning rate, > 0.
    l1_coeff : float, default 0.01
        Weight of ``mean|1 - m|``, >= 0.
    tv_coeff : float, default 0.2
        Weight of the total variation, >= 0.
    tv_beta : float, default 3.0
        Exponent of the total variation, >= 1.
    mask_size : int, optional
        Side of the mask grid, in cells, >= 1 (None: ``max(1, H // 8)``).
    blur_sigma : float, optional
        Std of the blur, in pixels, >= 0 (None: ``5 * H / 224``).
    noise_std : float, default 0.0
        Std of Gaussian noise added to the perturbed image at each iteration, >= 0 (0: none;
        drawn from the seeded generator).
    seed : int, default 0
        Seed of the noise generator, >= 0.
    history : list, optional
        The mean loss over the batch is appended at every iteration.

    Returns
    -------
    torch.Tensor, shape (B, H, W), float32
        The deletion ``1 - m`` upsampled to H x W, in [0, 1], on CPU.

    Raises
    ------
    ValueError
        For bad parameters (naming the parameter), x or target.
    """
    x = check_images(x)
    b, c, h, w = x.shape
    iterations = check_int("iterations", iterations, low=1)
    lr = check_number("lr", lr, low=0, low_open=True)
    l1_coeff = check_number("l1_coeff", l1_coeff, low=0)
    tv_coeff = check_number("tv_coeff", tv_coeff, low=0)
    tv_beta = check_number("tv_beta", tv_beta, low=1.0)
    noise_std = check_number("noise_std", noise_std, low=0)
    seed = check_int("seed", seed, low=0)
    mask_size = max(1, h // 8) if mask_size is None else check_int("mask_size", mask_size, low=1)
    blur_sigma = 5.0 * h / 224 if blur_sigma is None else check_number("blur_sigma", blur_sigma, low=0)
    y = _targets(model, x, target)
    device = model_device(model, x.device)
    gen = torch.Generator().manual_seed(seed)
    xd = x.detach().float().to(device)
    blurred = gaussian_blur(xd, blur_sigma)
    m = torch.ones(b, 1, mask_size, mask_size, device=device, requires_grad=True)
    opt = torch.optim.Adam([m], lr=lr)
    yd = y.to(device)
    with _Frozen(model), torch.enable_grad():
        for _ in range(iterations):
            up = _upsample(m, h, w)
            pert = up * xd + (1 - up) * blurred
            if noise_std > 0:
                pert = pert + noise_std * torch.randn(pert.shape, generator=gen).to(device)
            prob = torch.softmax(model(compute_layout(pert)), dim=1).gather(1, yd[:, None])[:, 0]
            loss = l1_coeff * (1 - m).abs().flatten(1).mean(1) + tv_coeff * tv_norm(m, tv_beta) + prob
            opt.zero_grad()
            loss.sum().backward()
            opt.step()
            with torch.no_grad():
                m.clamp_(0.0, 1.0)  # projection onto the feasible set [0, 1]
            if history is not None:
                history.append(float(loss.detach().mean()))
    with torch.no_grad():
        # m is in [0, 1]; the clamp removes the float rounding of bilinear weights only
        return (1 - _upsample(m, h, w)).clamp_(0.0, 1.0)[:, 0].detach().float().cpu()


# --------------------------------------------------------------------------- Extremal Perturbation
def extremal_perturbation(model, x: torch.Tensor, target=None, *, areas=EP_AREAS,
                          iterations: int = 800, lr: float = 0.1, mask_step: int | None = None,
                          smooth_sigma: float | None = None, max_blur: float | None = None,
                          regul_weight: float = 10.0, regul_weight_last: float = 1000.0,
                          jitter: bool = True, return_masks: bool = False,
                          history: list | None = None):
    """Extremal Perturbation (preservation game), batched over images and areas.

    Parameters
    ----------
    model : callable
        Returns logits (B, classes) from (B, C, H, W) pixels in [0, 1]; run in eval mode (its
        mode is restored), its parameters never receive gradients.
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    target : None, int or torch.Tensor, shape (B,), optional
        The class explained; None: the model's prediction.
    areas : sequence of float, default EP_AREAS
        Fractions of the image in (0, 1), one optimisation each (the paper's A1 grid,
        (0.025, 0.05, 0.1, 0.2)).
    iterations : int, default 800
        Adam steps, >= 1.
    lr : float, default 0.1
        Adam's learning rate on the mask parameters, > 0.
    mask_step : int, optional
        Stride of the parameter grid in pixels, >= 1 (None: ``max(1, round(7 * H / 224))``).
    smooth_sigma : float, optional
        Std of the mask's Gaussian smoothing, in pixels, >= 0 (None: ``21 * H / 224``).
    max_blur : float, optional
        Sigma of the blurred image, in pixels, >= 0 (None: ``10 * H / 224``).
    regul_weight, regul_weight_last : float, default 10.0, 1000.0
        The penalty's weight, growing geometrically from the first to the second (both > 0).
    jitter : bool, default True
        Flip the perturbed image horizontally on even iterations (TorchRay's jitter).
    return_masks : bool, default False
        Also return the per-area masks.
    history : list, optional
        Per iteration, the mean target logit and the mean penalty are appended (a tuple).

    Returns
    -------
    saliency : torch.Tensor, shape (B, H, W), float32
        The mean over areas of the masks, in [0, 1], on CPU.
    masks : torch.Tensor, shape (B, len(areas), H, W), float32
        The per-area masks; returned only with ``return_masks``.

    Raises
    ------
    ValueError
        For bad parameters (naming the parameter), x or target.
    """
    x = check_images(x)
    b, c, h, w = x.shape
    areas = tuple(areas) if isinstance(areas, (list, tuple)) else areas
    if not isinstance(areas, tuple) or not areas or not all(
            isinstance(a, (int, float)) and not isinstance(a, bool) and 0 < a < 1 for a in areas):
        raise ValueError(f"areas must be a non-empty sequence of fractions in (0, 1), got {areas!r}")
    iterations = check_int("iterations", iterations, low=1)
    lr = check_number("lr", lr, low=0, low_open=True)
    mask_step = max(1, round(7 * h / 224)) if mask_step is None else check_int("mask_step", mask_step, low=1)
    smooth_sigma = 21.0 * h / 224 if smooth_sigma is None else check_number("smooth_sigma", smooth_sigma, low=0)
    max_blur = 10.0 * h / 224 if max_blur is None else check_number("max_blur", max_blur, low=0)
    regul_weight = check_number("regul_weight", regul_weight, low=0, low_open=True)
    regul_weight_last = check_number("regul_weight_last", regul_weight_last, low=0, low_open=True)
    y = _targets(model, x, target)
    device = model_device(model, x.device)
    n_a = len(areas)
    hw = h * w
    # reference vectors r_a: sorted ascending, (1 - a) HW zeros then a HW ones
    ref = torch.zeros(n_a, hw, device=device)
    for i, a in enumerate(areas):
        ones = int(round(a * hw))
        if ones:
            ref[i, hw - ones:] = 1.0
    ref = ref.repeat(b, 1)  # row j = image j // n_a, area j % n_a
    xd = x.detach().float().to(device).repeat_interleave(n_a, dim=0)  # (B * A, C, H, W)
    blurred = gaussian_blur(xd, max_blur)
    yd = y.to(device).repeat_interleave(n_a)
    gh, gw = math.ceil(h / mask_step), math.ceil(w / mask_step)
    z = torch.full((b * n_a, 1, gh, gw), 0.5, device=device, requires_grad=True)
    opt = torch.optim.Adam([z], lr=lr)
    growth = (regul_weight_last / regul_weight) ** (1.0 / max(1, iterations - 1))

    def smooth_mask(params):
        return gaussian_blur(_upsample(params, h, w), smooth_sigma)

    with _Frozen(model), torch.enable_grad():
        lam = regul_weight
        for t in range(iterations):
            m = smooth_mask(z)
            pert = m * xd + (1 - m) * blurred
            if jitter and t % 2 == 0:                            # TorchRay: flip on even iterations
                pert = torch.flip(pert, dims=(3,))
            logit = model(compute_layout(pert)).gather(1, yd[:, None])[:, 0]
            penalty = (torch.sort(m.flatten(1), dim=1).values - ref).pow(2).mean(1)
            loss = -logit + lam * penalty
            opt.zero_grad()
            loss.sum().backward()
            opt.step()
            with torch.no_grad():
                z.clamp_(0.0, 1.0)  # projection onto the feasible set [0, 1]
            if history is not None:
                history.append((float(logit.mean()), float(penalty.mean())))
            lam *= growth
    with torch.no_grad():
        # z is in [0, 1]; the clamp removes the float rounding of the convex weights only
        masks = smooth_mask(z).clamp_(0.0, 1.0)[:, 0].reshape(b, n_a, h, w).float().cpu()
    saliency = masks.mean(1)
    return (saliency, masks) if return_masks else saliency
