"""How much an explanation, an image and a prediction change (EXIAA's three measures).

- :func:`percentage_change`: 100 * sum |z - z_hat| / sum |z| over all pixels and channels
  (EXIAA section 4, Fig. 2): 0 when the explanations agree, 100 when the change is as large
  as the original explanation's total magnitude (it can exceed 100).
- :func:`ssim`: the structural similarity of Wang et al. (2004) per image, batched in torch,
  following scikit-image's ``structural_similarity`` defaults (7x7 uniform window, sample
  covariance, K1 = 0.01, K2 = 0.03, mean over the window positions that fit inside the
  image, channels averaged); the tests check it against scikit-image.
- :func:`confidence_change`: 100 * |p_y(x) - p_y(x_hat)| for the class y the model predicted
  on the original image (percentage points; EXIAA Fig. 4 and the numbers beside the arrows in
  Tables 1 and B.1-B.3).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from axlib._util.checks import check_number

__all__ = ["percentage_change", "ssim", "confidence_change"]


def _pair(a: torch.Tensor, b: torch.Tensor, names=("z", "z_hat")) -> None:
    for name, t in zip(names, (a, b)):
        if not isinstance(t, torch.Tensor) or t.dim() < 2:
            raise ValueError(f"{name} must be a batched tensor (B, ...), got "
                             f"{tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__}")
    if a.shape != b.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same shape, got {tuple(a.shape)} "
                         f"and {tuple(b.shape)}")
    for name, t in zip(names, (a, b)):
        bad = int((~torch.isfinite(t)).sum()) if t.is_floating_point() else 0
        if bad:
            raise ValueError(f"{name} holds {bad} NaN or infinite value(s); every value must be finite")


def percentage_change(z: torch.Tensor, z_hat: torch.Tensor) -> torch.Tensor:
    """100 * sum |z - z_hat| / sum |z| per image, summed over every axis but the first.

    Parameters
    ----------
    z, z_hat : torch.Tensor, shape (B, ...)
        Explanations of the original and the corrupted image, of the same shape.

    Returns
    -------
    torch.Tensor, shape (B,), float64
        Percentages: 0 when the explanations agree, 100 when the change is as large as z's
        total magnitude (it can exceed 100). An all-zero z gives inf (or nan if z_hat is zero
        too), which callers see rather than a silently replaced value.

    Raises
    ------
    ValueError
        If the shapes differ, the tensors are not batched or hold NaN or infinite values.
    """
    _pair(z, z_hat)
    z, z_hat = z.detach().double().flatten(1), z_hat.detach().double().flatten(1)
    return 100.0 * (z - z_hat).abs().sum(1) / z.abs().sum(1)


def ssim(x: torch.Tensor, y: torch.Tensor, *, data_range: float = 1.0, win_size: int = 7,
         k1: float = 0.01, k2: float = 0.03) -> torch.Tensor:
    """Mean structural similarity per image, as scikit-image computes it, batched.

    Each channel's SSIM map is evaluated at every window position inside the image
    (scikit-image filters the padded image and then crops (win_size - 1) / 2 pixels from each
    border, which is the same set) and averaged; the channel means are averaged. Computed in
    float64.

    Parameters
    ----------
    x, y : torch.Tensor, shape (B, C, H, W)
        The images to compare, of the same shape.
    data_range : float, default 1.0
        Range of the values, > 0 (1 for [0, 1] pixels).
    win_size : int, default 7
        Odd side of the uniform window, in pixels, in [3, min(H, W)].
    k1, k2 : float, default 0.01, 0.03
        The stabilising constants, >= 0: C1 = (k1 * data_range)^2, C2 = (k2 * data_range)^2.

    Returns
    -------
    torch.Tensor, shape (B,), float64
        The mean SSIM of every image, 1 for identical images.

    Raises
    ------
    ValueError
        For shapes that differ or are not (B, C, H, W), a win_size that is even, below 3 or
        larger than the image, data_range that is not a finite number > 0, or k1 / k2 that is
        not a finite number >= 0.
    """
    _pair(x, y, names=("x", "y"))
    if x.dim() != 4:
        raise ValueError(f"x must have shape (B, C, H, W), got {tuple(x.shape)}")
    if isinstance(win_size, bool) or not isinstance(win_size, int) or win_size < 3 or win_size % 2 == 0 \
            or win_size > min(x.shape[-2:]):
        raise ValueError(f"win_size must be an odd integer in [3, min(H, W) = {min(x.shape[-2:])}], got {win_size!r}")
    data_range = check_number("data_range", data_range, low=0, low_open=True)
    k1, k2 = check_number("k1", k1, low=0), check_number("k2", k2, low=0)
    b, c, h, w = x.shape
    x = x.detach().double().reshape(b * c, 1, h, w)
    y = y.detach().double().reshape(b * c, 1, h, w)
    kernel = torch.full((1, 1, win_size, win_size), 1.0 / win_size ** 2, dtype=torch.float64, device=x.device)

    def mean(t):
        return F.conv2d(t, kernel)

    n = win_size ** 2
    cov_norm = n / (n - 1)                     # sample covariance, scikit-image's default
    ux, uy = mean(x), mean(y)
    vx = cov_norm * (mean(x * x) - ux * ux)
    vy = cov_norm * (mean(y * y) - uy * uy)
    vxy = cov_norm * (mean(x * y) - ux * uy)
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux ** 2 + uy ** 2 + c1) * (vx + vy + c2))
    return s.mean(dim=(1, 2, 3)).reshape(b, c).mean(1)


def confidence_change(p: torch.Tensor, p_hat: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
    """100 * |p[label] - p_hat[label]| per image, in percentage points.

    Parameters
    ----------
    p, p_hat : torch.Tensor, shape (B, K)
        Class probabilities (in [0, 1]) of the original and the corrupted images.
    label : torch.Tensor, shape (B,), integer
        The class predicted on the original image, in [0, K).

    Returns
    -------
    torch.Tensor, shape (B,), float64
        The change of the label's probability, in percentage points.

    Raises
    ------
    ValueError
        For mismatched shapes, p not (B, K), labels that are not an integer tensor (B,) with
        values in [0, K), or probabilities outside [0, 1].
    """
    _pair(p, p_hat, names=("p", "p_hat"))
    if p.dim() != 2:
        raise ValueError(f"p must have shape (B, K), got {tuple(p.shape)}")
    for name, t in (("p", p), ("p_hat", p_hat)):
        if float(t.min()) < 0 or float(t.max()) > 1:
            raise ValueError(f"{name} must hold probabilities in [0, 1]")
    if not isinstance(label, torch.Tensor) or label.shape != (p.shape[0],) or label.is_floating_point() \
            or label.dtype == torch.bool or int(label.min()) < 0 or int(label.max()) >= p.shape[1]:
        raise ValueError(f"label must be an integer tensor of shape ({p.shape[0]},) with values in [0, {p.shape[1]})")
    idx = label.long().view(-1, 1).to(p.device)
    return 100.0 * (p.double().gather(1, idx) - p_hat.double().gather(1, idx)).abs().view(-1)
