"""Checks of explanations by comparing and removing segments (AXAI appendices B and E.4).

* :func:`topk_iou` / :func:`mask_iou`: how much two explanations agree -- the intersection over
  union of their top-K segment sets, or of their explained pixels. Appendix B compares the
  explanations of FGM and of PGD with 10, 20 and 40 iterations this way (Fig. 14).
* :func:`rank_band_mask`: the pixels of the segments ranked ``start .. stop - 1`` (0-based),
  e.g. the top 5 (0, 5) or the 6th to 10th (5, 10) of an AXAI ranking.
* :func:`gaussian_blur` / :func:`blur_regions`: replace chosen pixels by a Gaussian-blurred
  copy of the image (the ablation of appendix E.4: "blur the top 5 explanations").
* :func:`blur_ablation`: accuracy before and after blurring rank bands, with a random-segment
  control of the same number of segments.
* :func:`random_ranking`: a seeded random order of each image's segments (the control).
* :func:`rankings_by_attack`: AXAI segment rankings of the same images under several attacks
  and several segmentations, each attack computed once (appendix B).
* :func:`top_pixels`: the pixels of largest attribution (to show a pixel map such as SHAP's
  beside segment explanations).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from axlib import attacks as _attacks

__all__ = ["topk_iou", "mask_iou", "pairwise_iou", "rank_band_mask", "gaussian_blur",
           "blur_regions", "random_ranking", "blur_ablation", "rankings_by_attack", "top_pixels"]


def _check_topk(top: torch.Tensor, name: str) -> torch.Tensor:
    if not isinstance(top, torch.Tensor) or top.dim() != 2 or top.is_floating_point():
        raise ValueError(f"{name} must be an integer tensor (B, K) of segment ids (-1 = none)")
    return top


def topk_iou(top_a: torch.Tensor, top_b: torch.Tensor) -> torch.Tensor:
    """Intersection over union of two top-K segment sets, per image.

    top_a, top_b: LongTensor (B, K) and (B, K') of segment ids; -1 entries (padding when an
    image has fewer than K segments) are ignored. Returns FloatTensor (B,) in [0, 1]; 1 when
    both sets are empty. Raises ValueError for non-integer, non-2-D or mismatched batches.
    """
    top_a, top_b = _check_topk(top_a, "top_a"), _check_topk(top_b, "top_b")
    if top_a.shape[0] != top_b.shape[0]:
        raise ValueError(f"top_a and top_b must have the same batch size, got {top_a.shape[0]} and {top_b.shape[0]}")
    size = int(max(int(top_a.max()), int(top_b.max()), 0)) + 2   # column 0 absorbs -1
    b = top_a.shape[0]
    sa = torch.zeros(b, size, dtype=torch.bool).scatter_(1, top_a.cpu() + 1, True)[:, 1:]
    sb = torch.zeros(b, size, dtype=torch.bool).scatter_(1, top_b.cpu() + 1, True)[:, 1:]
    inter = (sa & sb).sum(1).float()
    union = (sa | sb).sum(1).float()
    return torch.where(union > 0, inter / union.clamp_min(1), torch.ones_like(union))


def mask_iou(mask_a: torch.Tensor, mask_b: torch.Tensor) -> torch.Tensor:
    """Intersection over union of two boolean pixel masks (B, H, W), per image: (B,) in [0, 1]
    (1 when both are empty). Raises ValueError when the shapes differ or the masks are not bool."""
    for name, m in (("mask_a", mask_a), ("mask_b", mask_b)):
        if not isinstance(m, torch.Tensor) or m.dtype != torch.bool or m.dim() != 3:
            raise ValueError(f"{name} must be a bool tensor (B, H, W)")
    if mask_a.shape != mask_b.shape:
        raise ValueError(f"mask_a and mask_b must have the same shape, got {tuple(mask_a.shape)} "
                         f"and {tuple(mask_b.shape)}")
    inter = (mask_a & mask_b).flatten(1).sum(1).float()
    union = (mask_a | mask_b).flatten(1).sum(1).float()
    return torch.where(union > 0, inter / union.clamp_min(1), torch.ones_like(union))


def pairwise_iou(tops: dict) -> dict:
    """Mean :func:`topk_iou` over images for every pair of named top-K sets.

    tops: {name: LongTensor (B, K)}, the same images in every entry.
    Returns {(name_a, name_b): mean IoU} for every ordered pair (the diagonal is 1).
    """
    names = list(tops)
    return {(a, b): float(topk_iou(tops[a], tops[b]).mean()) for a in names for b in names}


def rank_band_mask(segments: torch.Tensor, ranking: torch.Tensor, start: int, stop: int) -> torch.Tensor:
    """Pixels whose segment is ranked in [start, stop) (0-based) by ``ranking``.

    segments: (B, H, W) integer labels 0 .. S-1; ranking: LongTensor (B, R) of segment ids,
    most important first, -1 padded (as ``AxaiExplanation.ranking``).
    start, stop: integers with 0 <= start < stop; a band beyond an image's segments is empty.
    Returns BoolTensor (B, H, W).
    """
    if isinstance(start, bool) or not isinstance(start, int) or start < 0:
        raise ValueError(f"start must be an integer >= 0, got {start!r}")
    if isinstance(stop, bool) or not isinstance(stop, int) or stop <= start:
        raise ValueError(f"stop must be an integer > start = {start}, got {stop!r}")
    if not isinstance(segments, torch.Tensor) or segments.dim() != 3 or segments.is_floating_point():
        raise ValueError("segments must be an integer tensor (B, H, W)")
    ranking = _check_topk(ranking, "ranking")
    if ranking.shape[0] != segments.shape[0]:
        raise ValueError(f"ranking must have one row per image ({segments.shape[0]}), got {ranking.shape[0]}")
    band = ranking[:, start:stop].to(segments.device)
    b = segments.shape[0]
    size = int(max(int(segments.max()), int(ranking.max()), 0)) + 2
    chosen = torch.zeros(b, size, dtype=torch.bool, device=segments.device)
    if band.numel():
        chosen.scatter_(1, band + 1, True)
    chosen = chosen[:, 1:]
    return chosen.gather(1, segments.reshape(b, -1)).reshape(segments.shape)


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of each channel, reflect-padded at the borders.

    x: (B, C, H, W) floats; sigma: standard deviation in pixels, > 0, with the kernel
    radius ceil(3 sigma) smaller than H and W (reflect padding needs it).
    Returns a tensor shaped like x (the blur of an image in [0, 1] stays in [0, 1]).
    """
    sigma = _attacks._check_positive("sigma", sigma)
    x = _attacks.check_images(x, None)
    radius = math.ceil(3 * sigma)
    if radius >= min(x.shape[-2:]):
        raise ValueError(f"sigma must give a kernel radius ceil(3 sigma) < min(H, W) = "
                         f"{min(x.shape[-2:])}, got sigma {sigma} (radius {radius})")
    t = torch.arange(-radius, radius + 1, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    kernel = kernel / kernel.sum()
    c = x.shape[1]
    out = F.pad(x, (radius, radius, radius, radius), mode="reflect")
    out = F.conv2d(out, kernel.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    out = F.conv2d(out, kernel.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
    return out


def blur_regions(x: torch.Tensor, mask: torch.Tensor, sigma: float) -> torch.Tensor:
    """x with the pixels of ``mask`` (B, H, W, bool) replaced by :func:`gaussian_blur` (x, sigma).

    Returns (B, C, H, W); pixels outside the mask are unchanged bit for bit.
    """
    x = _attacks.check_images(x, None)
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != (x.shape[0], *x.shape[-2:]):
        raise ValueError(f"mask must be a bool tensor (B, H, W) = {(x.shape[0], *x.shape[-2:])}")
    return torch.where(mask.unsqueeze(1).to(x.device), gaussian_blur(x, sigma), x)


def random_ranking(segments: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A random order of each image's segments: LongTensor (B, S_max), -1 padded.

    segments: (B, H, W) labels 0 .. S_b - 1 per image; generator: a seeded torch.Generator.
    """
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    if not isinstance(segments, torch.Tensor) or segments.dim() != 3 or segments.is_floating_point():
        raise ValueError("segments must be an integer tensor (B, H, W)")
    counts = [int(s.max()) + 1 for s in segments]
    out = torch.full((len(counts), max(counts)), -1, dtype=torch.long)
    for i, n in enumerate(counts):
        out[i, :n] = torch.randperm(n, generator=generator)
    return out


def blur_ablation(model, x: torch.Tensor, y: torch.Tensor, segments: torch.Tensor,
                  ranking: torch.Tensor, *, bands=((0, 5), (5, 10)), sigma: float,
                  control_seed: int | None = 0, batch_size: int = 64) -> dict:
    """Accuracy of ``model`` before and after blurring ranked segments (AXAI appendix E.4).

    x: (B, C, H, W) in [0, 1]; y: (B,) labels; segments: (B, H, W); ranking: (B, R) segment
    ids by importance (-1 padded). bands: (start, stop) pairs of 0-based ranks, e.g. the top 5
    (0, 5) and the 6th-10th (5, 10). sigma: blur width in pixels.
    control_seed: with an int, each band is also applied to a random ranking of the segments
    (same number of segments, seeded), to tell "important" from "any" segments; None: no control.
    Returns {"before": accuracy, "bands": {"start-stop": {"accuracy", "drop" (before - after,
    in accuracy points), "relative_drop" (drop / before), "blurred_fraction" (mean share of
    pixels blurred), "control_accuracy", "control_drop"}}}. Accuracies are fractions in [0, 1].
    """
    x = _attacks.check_images(x)
    y = _attacks._check_labels(y, x)
    bands = [tuple(b) for b in bands]
    if not bands:
        raise ValueError("bands must hold at least one (start, stop) pair")

    def acc(images):
        return float((_attacks.predicted_labels(model, images, batch_size) == y).float().mean())

    before = acc(x)
    control = (random_ranking(segments.cpu(), torch.Generator().manual_seed(control_seed))
               if control_seed is not None else None)
    out = {"before": before, "sigma": float(sigma), "n": int(x.shape[0]), "bands": {}}
    for start, stop in bands:
        mask = rank_band_mask(segments, ranking, start, stop)
        after = acc(blur_regions(x, mask, sigma))
        entry = {"accuracy": after, "drop": before - after,
                 "relative_drop": (before - after) / before if before > 0 else float("nan"),
                 "blurred_fraction": float(mask.float().mean())}
        if control is not None:
            cmask = rank_band_mask(segments, control.to(segments.device), start, stop)
            entry["control_accuracy"] = acc(blur_regions(x, cmask, sigma))
            entry["control_drop"] = before - entry["control_accuracy"]
            entry["control_blurred_fraction"] = float(cmask.float().mean())
        out["bands"][f"{start + 1}-{stop}"] = entry
    return out


def rankings_by_attack(model, x: torch.Tensor, segmentations: dict, attacks: dict, *,
                       batch_size: int = 8, **axai_kw) -> dict:
    """AXAI segment rankings of x under every (segmentation, attack) pair.

    x: (B, C, H, W) in [0, 1]; segmentations: {name: (B, H, W) labels};
    attacks: {name: keywords of :func:`axlib.explain.axai` choosing the attack, e.g.
    {"attack": "fgm"} or {"attack": "pgd", "steps": 10}}. Each attack runs once per batch of
    ``batch_size`` images (against the model's prediction); its adversarial images are reused
    for every segmentation. Other keywords (a, norm, channel_rule) go to every axai call.
    Returns {"ranking": {(segmentation, attack): LongTensor (B, S_max) -1 padded},
    "adv_label": {attack: LongTensor (B,)}, "target": LongTensor (B,)}.
    """
    from axlib.explain.axai import axai

    if not segmentations or not attacks:
        raise ValueError("segmentations and attacks must each name at least one entry")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    x = _attacks.check_images(x)
    for name, seg in segmentations.items():
        if not isinstance(seg, torch.Tensor) or tuple(seg.shape) != (x.shape[0], *x.shape[-2:]):
            raise ValueError(f"segmentations[{name!r}] must have shape (B, H, W) = {(x.shape[0], *x.shape[-2:])}")
    chunks: dict = {}
    adv: dict = {}
    targets = []
    for start in range(0, x.shape[0], batch_size):
        xb = x[start:start + batch_size]
        first_seg = True
        for a_name, a_kw in attacks.items():
            seg_names = list(segmentations)
            head = segmentations[seg_names[0]][start:start + batch_size].to(x.device)
            exp = axai(model, xb, head, **a_kw, **axai_kw)
            x_adv = xb + exp.delta
            adv.setdefault(a_name, []).append(exp.adv_label.cpu())
            if first_seg:
                targets.append(exp.target.cpu())
                first_seg = False
            chunks.setdefault((seg_names[0], a_name), []).append(exp.ranking.cpu())
            for s_name in seg_names[1:]:
                seg = segmentations[s_name][start:start + batch_size].to(x.device)
                e = axai(model, xb, seg, target=exp.target, attack=lambda m, xx, yy: x_adv, **axai_kw)
                chunks.setdefault((s_name, a_name), []).append(e.ranking.cpu())

    def cat(rows):
        width = max(r.shape[1] for r in rows)
        return torch.cat([torch.cat([r, r.new_full((r.shape[0], width - r.shape[1]), -1)], 1) for r in rows])

    return {"ranking": {key: cat(rows) for key, rows in chunks.items()},
            "adv_label": {key: torch.cat(v) for key, v in adv.items()},
            "target": torch.cat(targets)}


def top_pixels(attribution: torch.Tensor, fraction: float) -> torch.Tensor:
    """The ``fraction`` (in (0, 1]) of pixels of largest |attribution| in each map.

    attribution: (B, H, W) floats. Returns BoolTensor (B, H, W) with ceil(fraction * H * W)
    pixels set per image (ties broken by position).
    """
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
        raise ValueError(f"fraction must be a number in (0, 1], got {fraction!r}")
    if not isinstance(attribution, torch.Tensor) or attribution.dim() != 3:
        raise ValueError("attribution must be a tensor (B, H, W)")
    flat = attribution.abs().flatten(1)
    n = math.ceil(fraction * flat.shape[1])
    index = torch.sort(flat, dim=1, descending=True, stable=True).indices[:, :n]
    mask = torch.zeros_like(flat, dtype=torch.bool).scatter_(1, index, True)
    return mask.view_as(attribution)


# --------------------------------------------------------------------------- verdicts
def verdict_agreement(mean_iou: float, *, high: float = 0.9, low: float = 0.5) -> str:
    """Verdict on "the explanations are the same" (appendix B) from a mean top-K IoU in
    [0, 1]: "reproduced" at >= high, "partly" at >= low, else "not reproduced"."""
    if not 0 <= mean_iou <= 1:
        raise ValueError(f"mean_iou must be in [0, 1], got {mean_iou!r}")
    return "reproduced" if mean_iou >= high else "partly" if mean_iou >= low else "not reproduced"


def verdict_ablation(result: dict, top: str = "1-5", next_: str = "6-10") -> str:
    """Verdict on appendix E.4's claim from a :func:`blur_ablation` result: blurring the top
    segments costs more accuracy than blurring the next ones, which still cost some.

    "reproduced": drop(top) > drop(next) > 0 and drop(top) > the random control's drop (when
    measured); "partly": drop(top) > drop(next) only; "not reproduced" otherwise.
    """
    bands = result["bands"]
    d_top, d_next = bands[top]["drop"], bands[next_]["drop"]
    control = bands[top].get("control_drop")
    if d_top > d_next > 0 and (control is None or d_top > control):
        return "reproduced"
    return "partly" if d_top > d_next else "not reproduced"


def verdict_level(after: float, before: float, paper: float, *, tol: float = 0.10) -> str:
    """Verdict on a reported accuracy level after an ablation: "reproduced" when |after - paper|
    <= tol, "partly" when accuracy fell (after < before) but not to the paper's level, else
    "not reproduced". Accuracies are fractions in [0, 1]."""
    for name, v in (("after", after), ("before", before), ("paper", paper)):
        if not 0 <= v <= 1:
            raise ValueError(f"{name} must be an accuracy in [0, 1], got {v!r}")
    if abs(after - paper) <= tol:
        return "reproduced"
    return "partly" if after < before else "not reproduced"
