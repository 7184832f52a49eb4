"""EXIAA: explainable injections for adversarial attack on explanations, and its baseline.

The attack (EXIAA, section 3) corrupts an *original image* x in one step, using only the
model's predictions and explanations (black-box: no gradients of its own):

1. :func:`running_up_class`: y* = argmax_j f_j(x) and the running-up class
   y_r = argmax_{j != y*} f_j(x), the class the model is next most confident in;
2. :func:`rank_pool`: the *attack image* x_bar is the image of class y_r in a pool on which
   the model is most confident in y_r (rank 1; appendix A also uses ranks 95-100);
3. :func:`top_k_mask`: the explanation z_bar = E(x_bar) under the same method, and the set
   I_k of its top-k positive attributions over W x H x C, where top-k is a *fraction* of the
   positive attributions (the paper's top-k in (0, 1]);
4. :func:`inject`: x_hat = clip((1 - alpha) x + alpha x_bar) on exactly the pixel channels in
   I_k; every other value of x is kept.

:func:`gaussian_baseline` is the control at equal alpha (see its docstring for the exact
definition and why); :func:`axlib.papers.exiaa.grid.run_grid` runs the alpha x top-k grid through
:func:`axlib.companion.scaleout.run` (one shard per cell, in this process or on Dask workers, one
Parquet file per finished shard, resuming from what is there). The explanations come from
:func:`axlib.explain.baselines.pixel_attribution`; the measures from
:mod:`axlib.metrics.change`.
"""
from __future__ import annotations

import torch

from axlib._util.checks import check_images, check_int, check_number, eval_mode, model_device
from axlib.papers.exiaa import paper as _paper

__all__ = ["ALPHAS", "TOP_KS", "running_up_class", "rank_pool", "top_k_mask", "inject", "gaussian_baseline",
           "probabilities"]

ALPHAS = _paper.ALPHAS.value       # the paper's grid (section 4), quoted in paper.py
TOP_KS = _paper.TOP_KS.value


# --------------------------------------------------------------------------- validation
def check_alpha(alpha) -> float:
    """alpha must be a number in [0, 1): the paper's (0, 1), plus 0, the identity."""
    try:
        return check_number("alpha", alpha, 0, 1, high_open=True)
    except ValueError:
        raise ValueError(f"alpha must be a number in [0, 1) (the paper uses (0, 1); 0 leaves x "
                         f"unchanged), got {alpha!r}") from None


def check_top_k(top_k) -> float:
    """top_k must be a number in (0, 1]: the fraction of positive attributions injected."""
    return check_number("top_k", top_k, 0, 1, low_open=True)


# --------------------------------------------------------------------------- phase one
@torch.no_grad()
def probabilities(model, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Softmax probabilities (B, K) on CPU of ``model`` (eval mode) for x (B, C, H, W) in [0, 1]."""
    x = check_images(x)
    batch_size = check_int("batch_size", batch_size, low=1)
    device = model_device(model, x.device)
    with eval_mode(model):
        out = [torch.softmax(model(x[i:i + batch_size].to(device)).float(), 1).cpu()
               for i in range(0, x.shape[0], batch_size)]
    return torch.cat(out)


def running_up_class(p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(y*, y_r): the predicted and the running-up (second most probable) class per row.

    p: (B, K) probabilities or logits, K >= 2. Ties go to the lower class index.
    Returns two LongTensors (B,).
    """
    if not isinstance(p, torch.Tensor) or p.dim() != 2 or p.shape[1] < 2:
        raise ValueError(f"p must have shape (B, K) with K >= 2, got "
                         f"{tuple(p.shape) if isinstance(p, torch.Tensor) else type(p).__name__}")
    order = torch.sort(p, dim=1, descending=True, stable=True).indices
    return order[:, 0], order[:, 1]


def rank_pool(p_pool: torch.Tensor, classes, ranks, *, pool_labels: torch.Tensor | None = None
              ) -> torch.Tensor:
    """Indices of attack images in a pool: for each class, its images by the model's confidence.

    p_pool: (N, K) probabilities of the pool images; classes: (B,) classes to attack with
    (e.g. the running-up classes); ranks: 1-based confidence ranks to return (1 = the most
    confident image, the paper's choice; appendix A compares ranks 1-5 with 95-100).
    pool_labels: (N,) true labels: candidates for class c are the pool images labelled c (the
    paper's X_{y_r}); None: every pool image is a candidate (for pools with too few images
    per class, such as the ImageNet samples, one per class).
    Ranking is by p_pool[:, c], descending, ties to the lower index.
    Returns LongTensor (B, len(ranks)) of pool indices.
    Raises ValueError for ranks < 1 or beyond the number of candidates of a class.
    """
    if not isinstance(p_pool, torch.Tensor) or p_pool.dim() != 2:
        raise ValueError("p_pool must have shape (N, K)")
    classes = torch.as_tensor(classes).long().view(-1)
    ranks = [int(r) for r in ranks]
    if not ranks or min(ranks) < 1:
        raise ValueError(f"ranks must be 1-based integers >= 1, got {ranks}")
    if pool_labels is not None and (pool_labels.shape != (p_pool.shape[0],)):
        raise ValueError(f"pool_labels must have shape ({p_pool.shape[0]},), got {tuple(pool_labels.shape)}")
    out = torch.empty(len(classes), len(ranks), dtype=torch.long)
    cache: dict[int, torch.Tensor] = {}
    for row, c in enumerate(classes.tolist()):
        if c not in cache:
            candidates = (torch.arange(p_pool.shape[0]) if pool_labels is None
                          else torch.nonzero(pool_labels == c).view(-1))
            order = torch.sort(p_pool[candidates, c], descending=True, stable=True).indices
            cache[c] = candidates[order]
        ranked = cache[c]
        if max(ranks) > len(ranked):
            raise ValueError(f"ranks must be at most {len(ranked)}, the pool's candidates for class {c}; "
                             f"got {max(ranks)}")
        out[row] = ranked[torch.tensor(ranks) - 1]
    return out


# --------------------------------------------------------------------------- phase two
def top_k_mask(z_bar: torch.Tensor, top_k: float) -> torch.Tensor:
    """I_k as a mask: the ceil(top_k * P) largest positive attributions of each image.

    z_bar: (B, C, H, W) attributions of the attack images; P is each image's number of
    strictly positive values over C x H x W (saliency maps are |gradient|, so nearly all of
    them; IG and DeepLIFT SHAP about half). top_k in (0, 1]: 1 selects every positive value.
    Ties are broken by the lower flat index (a stable sort), so the mask is deterministic.
    Returns BoolTensor (B, C, H, W) with exactly ceil(top_k * P) True per image.
    Raises ValueError for top_k outside (0, 1], z_bar not (B, C, H, W) or not finite.
    """
    top_k = check_top_k(top_k)
    if not isinstance(z_bar, torch.Tensor) or z_bar.dim() != 4:
        raise ValueError("z_bar must have shape (B, C, H, W)")
    bad = int((~torch.isfinite(z_bar)).sum())
    if bad:
        raise ValueError(f"z_bar holds {bad} NaN or infinite attribution(s); the top-k of such a map is undefined")
    flat = z_bar.detach().flatten(1).double()
    positive = (flat > 0).sum(1)
    count = torch.ceil(top_k * positive.double() - 1e-9).long()      # guard 0.3 * 10 = 3.0000000004
    order = torch.sort(flat, dim=1, descending=True, stable=True).indices
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(flat.shape[1]).expand_as(order).contiguous())
    return (rank < count.view(-1, 1)).view_as(z_bar)


# --------------------------------------------------------------------------- phase three
def inject(x: torch.Tensor, x_bar: torch.Tensor, mask: torch.Tensor, alpha: float) -> torch.Tensor:
    """x_hat = clip((1 - alpha) x + alpha x_bar, 0, 1) where mask, x elsewhere (EXIAA eq. 5).

    x, x_bar: (B, C, H, W) in [0, 1] (original and attack images); mask: bool, same shape
    (from :func:`top_k_mask`); alpha in [0, 1) (0 returns x unchanged). A blend of two
    [0, 1] images stays in [0, 1], so the clip (the paper's) changes nothing here; it is kept
    so the function matches equation 5.
    Returns a new tensor, same shape and dtype as x.
    Raises ValueError for alpha outside [0, 1), images outside [0, 1] or shapes that differ.
    """
    alpha = check_alpha(alpha)
    x = check_images(x)
    x_bar = check_images(x_bar, name="x_bar")
    if x_bar.shape != x.shape or not isinstance(mask, torch.Tensor) or mask.shape != x.shape \
            or mask.dtype != torch.bool:
        raise ValueError(f"x_bar and mask (bool) must have x's shape {tuple(x.shape)}")
    blended = ((1 - alpha) * x + alpha * x_bar).clamp(0, 1)
    return torch.where(mask, blended, x)


def gaussian_baseline(x: torch.Tensor, counts, alpha: float, *, mean, std,
                      generator: torch.Generator) -> torch.Tensor:
    """The control: the same injection with the attack image's information removed.

    For image i, ``counts[i]`` pixel channels are drawn uniformly without replacement over
    C x H x W (the same number EXIAA injects into that image), and on them only
    x_hat = clip((1 - alpha) x + alpha n, 0, 1) with n ~ N(mean_c, std_c^2) drawn
    independently per pixel channel, mean_c and std_c the per-channel pixel statistics of the
    pool the attack images come from. Elsewhere x is kept.

    Why this definition: the paper only says "adding Gaussian noise to the original image";
    for "equal alpha" to mean an equal-strength corruption, the baseline must blend with the
    same weight alpha, touch the same number of values, and inject values of the same scale
    as an image (a pool-statistics Gaussian has the mean and spread of real pixels). What is
    left out is exactly what EXIAA adds: *which* pixel channels (the attack image's top
    attributions) and *what* values (the attack image's). The clip matters here: Gaussian
    values can leave [0, 1].

    x: (B, C, H, W) in [0, 1]; counts: (B,) integers in [0, C*H*W]; alpha in [0, 1);
    mean, std: C numbers (std >= 0); generator: a seeded torch.Generator (CPU), the only
    source of randomness.
    Returns a new tensor like x.
    Raises ValueError for alpha outside [0, 1), counts that are not B whole numbers in range, or
    mean/std not C finite numbers (std >= 0).
    """
    alpha = check_alpha(alpha)
    x = check_images(x)
    b, c = x.shape[:2]
    per_image = x[0].numel()
    try:
        given = torch.as_tensor(counts).view(-1)
    except (TypeError, ValueError, RuntimeError):
        given = None
    whole = given is not None and given.shape == (b,) and given.dtype != torch.bool and not given.is_complex() \
        and bool(torch.isfinite(given.double()).all()) \
        and not (given.is_floating_point() and bool((given != given.round()).any()))
    if not whole or int(given.min()) < 0 or int(given.max()) > per_image:
        raise ValueError(f"counts must be {b} integers in [0, {per_image}], got {counts!r}")
    counts = given.long()
    mean = torch.as_tensor(mean, dtype=torch.float32).view(-1)
    std = torch.as_tensor(std, dtype=torch.float32).view(-1)
    if mean.shape != (c,) or std.shape != (c,) or bool((std < 0).any()) \
            or not bool(torch.isfinite(mean).all() and torch.isfinite(std).all()):
        raise ValueError(f"mean and std must hold {c} finite numbers each, std >= 0; got mean "
                         f"{mean.tolist()}, std {std.tolist()}")
    if not isinstance(generator, torch.Generator):
        raise ValueError("generator must be a seeded torch.Generator")
    scores = torch.rand(b, per_image, generator=generator)
    noise = torch.randn(x.shape, generator=generator) * std.view(1, c, 1, 1) + mean.view(1, c, 1, 1)
    order = torch.sort(scores, dim=1, stable=True).indices
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(per_image).expand_as(order).contiguous())
    mask = (rank < counts.view(-1, 1)).view_as(x)
    blended = ((1 - alpha) * x.cpu() + alpha * noise).clamp(0, 1).to(x.device, x.dtype)
    return torch.where(mask.to(x.device), blended, x)


