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

Notebook 04b's appendices B and E.4 (settings :data:`SEGMENTATIONS`, :data:`ATTACKS`,
:data:`BLUR_SIGMA`): :func:`fgm_vs_pgd` with :func:`fgm_vs_pgd_claims` and :func:`plot_fig14`;
:func:`blur_experiment` with :func:`blur_table`, :func:`blur_claims` and
:func:`plot_blurred_top5`. Their verdict rules are in :mod:`axlib.papers.axai.claims`.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from axlib import attacks as _attacks
from axlib._util.checks import check_images, check_int, check_labels, check_number
from axlib.companion.rules import Estimate
from axlib.papers.axai import paper as _paper
from axlib.segment import count_segments, grid, quickshift

__all__ = ["topk_iou", "mask_iou", "pairwise_iou", "rank_band_mask", "gaussian_blur",
           "blur_regions", "random_ranking", "blur_ablation", "rankings_by_attack", "top_pixels",
           "SEGMENTATIONS", "ATTACKS", "fine_grid", "iou_table", "fgm_vs_pgd", "fgm_vs_pgd_claims",
           "plot_fig14", "blur_experiment", "blur_table", "blur_claims", "plot_blurred_top5"]


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
    start = check_int("start", start, low=0)
    stop = check_int("stop", stop, low=start + 1)
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
    sigma = check_number("sigma", sigma, low=0, low_open=True)
    x = check_images(x, None)
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
    x = check_images(x, None)
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
    Returns {"before": accuracy, "correct_before": per-image bools, "bands": {"start-stop":
    {"accuracy", "correct" (per-image bools), "drop" (before - after, in accuracy points),
    "relative_drop" (drop / before), "blurred_fraction" (mean share of pixels blurred),
    "control_accuracy", "control_correct", "control_drop"}}}. Accuracies are fractions in [0, 1].
    """
    x = check_images(x)
    y = check_labels(y, x)
    bands = [tuple(b) for b in bands]
    if not bands:
        raise ValueError("bands must hold at least one (start, stop) pair")

    def correct(images) -> list[bool]:
        return (_attacks.predicted_labels(model, images, batch_size) == y).cpu().tolist()

    def acc(flags: list[bool]) -> float:
        return sum(flags) / len(flags)

    correct_before = correct(x)
    before = acc(correct_before)
    control = (random_ranking(segments.cpu(), torch.Generator().manual_seed(control_seed))
               if control_seed is not None else None)
    out = {"before": before, "correct_before": correct_before, "sigma": float(sigma), "n": int(x.shape[0]),
           "bands": {}}
    for start, stop in bands:
        mask = rank_band_mask(segments, ranking, start, stop)
        flags = correct(blur_regions(x, mask, sigma))
        after = acc(flags)
        entry = {"accuracy": after, "drop": before - after, "correct": flags,
                 "relative_drop": (before - after) / before if before > 0 else float("nan"),
                 "blurred_fraction": float(mask.float().mean())}
        if control is not None:
            cmask = rank_band_mask(segments, control.to(segments.device), start, stop)
            entry["control_correct"] = correct(blur_regions(x, cmask, sigma))
            entry["control_accuracy"] = acc(entry["control_correct"])
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
    batch_size = check_int("batch_size", batch_size, low=1)
    x = check_images(x)
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

    return {"ranking": {key: _pad_cat(rows) for key, rows in chunks.items()},
            "adv_label": {key: torch.cat(v) for key, v in adv.items()},
            "target": torch.cat(targets)}


def top_pixels(attribution: torch.Tensor, fraction: float) -> torch.Tensor:
    """The ``fraction`` (in (0, 1]) of pixels of largest |attribution| in each map.

    attribution: (B, H, W) floats. Returns BoolTensor (B, H, W) with ceil(fraction * H * W)
    pixels set per image (ties broken by position).
    """
    fraction = check_number("fraction", fraction, 0, 1, low_open=True)
    if not isinstance(attribution, torch.Tensor) or attribution.dim() != 3:
        raise ValueError("attribution must be a tensor (B, H, W)")
    flat = attribution.abs().flatten(1)
    n = math.ceil(fraction * flat.shape[1])
    index = torch.sort(flat, dim=1, descending=True, stable=True).indices[:, :n]
    mask = torch.zeros_like(flat, dtype=torch.bool).scatter_(1, index, True)
    return mask.view_as(attribution)


# --------------------------------------------------------------------------- the page (04b)
# Appendices B and E.4 as notebook 04b runs them: settings, experiments, tables, claims, figures.

K = 10
"""AXAI's explainability length in appendices B and E.4 (the top 10 segments)."""

SEGMENTATIONS = {
    "cifar10": dict(kernel_size=1, max_dist=200, ratio=0.2),       # LIME on 32x32 (appendix F: kernel 1)
    "imagenet": dict(kernel_size=4, max_dist=200, ratio=0.2),      # LIME's QuickShift defaults
    # AXAI's own CIFAR-10 experiments (B, E.4, E.5): kernel 1 with max_dist 200 leaves about 14
    # segments, so K = 10 would explain most of the image; max_dist 3 gives about 40 (median of
    # 50 test images)
    "cifar10_axai": dict(kernel_size=1, max_dist=3, ratio=0.2),
}
"""QuickShift settings (:func:`axlib.segment.quickshift` keywords) by use."""

ATTACKS = {"FGM": {"attack": "fgm"}, "PGD-10": {"attack": "pgd", "steps": 10},
           "PGD-20": {"attack": "pgd", "steps": 20}, "PGD-40": {"attack": "pgd", "steps": 40}}
"""Appendix B's attacks, as keywords of :func:`axlib.explain.axai` (L2, AXAI's budget)."""

BATCH_SIZE = {"cifar10": 250, "imagenet": 8}
"""Images per AXAI call, by data set."""

BLUR_SIGMA = {"cifar10": 2.0, "imagenet": 8.0}
"""Appendix E.4's Gaussian blur, pixels (32x32 CIFAR-10, 224x224 ImageNet; the paper gives none)."""


def fine_segment_factor() -> int:
    """How many times more segments Fig. 14e-f uses: the leading number of
    :data:`axlib.papers.axai.paper.APP_B_FINE_SEGMENTS` ("50 times more segments")."""
    return int(_paper.APP_B_FINE_SEGMENTS.value.split()[0])


def fine_grid(segments: torch.Tensor) -> tuple[torch.Tensor, int]:
    """A square grid with about :func:`fine_segment_factor` times as many cells as the median
    segment count of ``segments`` (B, H, W) (at most W cells a side).

    Returns (LongTensor (B, H, W) grid labels, cells per side)."""
    if not isinstance(segments, torch.Tensor) or segments.dim() != 3:
        raise ValueError("segments must be a tensor (B, H, W)")
    median = float(count_segments(segments).float().median())
    cells = int(round(math.sqrt(fine_segment_factor() * median)))
    return grid(tuple(segments.shape), min(cells, segments.shape[-1])), cells


def iou_table(ranking: dict, segmentation: str, k: int, attacks=tuple(ATTACKS)):
    """Mean top-k segment IoU of every pair of attacks (a pandas DataFrame, attacks x attacks).

    ranking: {(segmentation, attack): LongTensor (B, S) -1 padded}, as
    :func:`rankings_by_attack` returns under "ranking"; k >= 1."""
    import pandas as pd

    k = check_int("k", k, low=1)
    pairs = pairwise_iou({a: ranking[(segmentation, a)][:, :k] for a in attacks})
    return pd.DataFrame([[pairs[(a, b)] for b in attacks] for a in attacks], index=list(attacks),
                        columns=list(attacks))


def fgm_vs_pgd(model_cifar, x_cifar: torch.Tensor, model_imagenet, x_imagenet: torch.Tensor) -> dict:
    """Appendix B: AXAI's top-K segments under FGM and PGD-10/20/40 (:data:`ATTACKS`).

    x_cifar: (N, 3, 32, 32) and x_imagenet: (M, 3, 224, 224) in [0, 1]. CIFAR-10 is segmented
    with ``SEGMENTATIONS["cifar10_axai"]``, ImageNet with ``SEGMENTATIONS["imagenet"]`` and
    with a :func:`fine_grid` (ImageNet only: on 32x32 images 50x would exceed the pixels).
    Returns {"tables": {case: DataFrame of mean IoUs}, "titles": {case: title}} for the cases
    "cifar10", "imagenet" (QuickShift, K = 10), "fine_k10" and "fine_k500" (the grid at
    K = 10 and 500), with "cells", "x_imagenet", "segments_imagenet", "segments_fine",
    "ranking_imagenet" (for :func:`plot_fig14`) and "ranking_cifar10".
    """
    seg_c = quickshift(x_cifar, **SEGMENTATIONS["cifar10_axai"])
    seg_i = quickshift(x_imagenet, **SEGMENTATIONS["imagenet"])
    seg_fine, cells = fine_grid(seg_i)
    rank_c = rankings_by_attack(model_cifar, x_cifar, {"quickshift": seg_c}, ATTACKS,
                                batch_size=BATCH_SIZE["cifar10"])["ranking"]
    rank_i = rankings_by_attack(model_imagenet, x_imagenet, {"quickshift": seg_i, "grid 50x": seg_fine},
                                ATTACKS, batch_size=BATCH_SIZE["imagenet"])["ranking"]
    fine_k = K * fine_segment_factor()
    tables = {"cifar10": iou_table(rank_c, "quickshift", K), "imagenet": iou_table(rank_i, "quickshift", K),
              "fine_k10": iou_table(rank_i, "grid 50x", K), "fine_k500": iou_table(rank_i, "grid 50x", fine_k)}
    titles = {"cifar10": f"CIFAR-10, QuickShift, K={K} ({len(x_cifar)} images)",
              "imagenet": f"ImageNet, QuickShift, K={K} ({len(x_imagenet)} images)",
              "fine_k10": f"ImageNet, {cells}x{cells} grid, K={K}",
              "fine_k500": f"ImageNet, {cells}x{cells} grid, K={fine_k}"}
    return {"tables": tables, "titles": titles, "cells": cells, "x_imagenet": x_imagenet,
            "segments_imagenet": seg_i, "segments_fine": seg_fine, "ranking_imagenet": rank_i, "ranking_cifar10": rank_c}


def _iou_per_image(ranking: dict, segmentation: str, a: str, b: str, k: int = K) -> Estimate:
    """The mean top-k segment IoU of attacks ``a`` and ``b`` with a bootstrap interval over images."""
    iou = topk_iou(ranking[(segmentation, a)][:, :k], ranking[(segmentation, b)][:, :k]).numpy()
    return Estimate.mean(iou)


def fgm_vs_pgd_claims(b: dict) -> list[dict]:
    """The claims of appendix B from a :func:`fgm_vs_pgd` result, as keywords of
    :meth:`~axlib.companion.results.Recorder.judge` (per-image top-10 IoU, bootstrap over images)."""
    out = []
    for ds in ("cifar10", "imagenet"):
        t = b["tables"][ds]
        out.append(dict(
            claim=f"axai.appB.iou_fgm_pgd20.{ds}", estimate=_iou_per_image(b[f"ranking_{ds}"], "quickshift", "FGM", "PGD-20"),
            unit="mean top-10 segment IoU",
            note=(f"FGM vs PGD-20 explanations of the same images; PGD-10 vs PGD-40: {t.loc['PGD-10', 'PGD-40']:.2f}. "
                  "The paper shows one ResNet34 image; we average over images")))
    cells = b["cells"]
    out.append(dict(
        claim="axai.appB.iou_pgd10_pgd40.fine_segments",
        estimate=_iou_per_image(b["ranking_imagenet"], "grid 50x", "PGD-10", "PGD-40"), unit="mean top-10 segment IoU",
        note=f"ImageNet, a {cells}x{cells} grid (about 50x QuickShift's segments); the paper gives no number"))
    return out


def plot_fig14(b: dict, index: int = 0):
    """Fig. 14: one ImageNet image and its explanations from FGM, PGD-10 and PGD-40, with
    QuickShift (K = 10) and with the fine grid (K = 500). Returns the Figure."""
    from axlib import plots

    x = b["x_imagenet"]
    images, masks, titles = [x[index]], [None], ["image"]
    for seg_name, seg, k, label in (("quickshift", b["segments_imagenet"], K, f"QuickShift K={K}"),
                                    ("grid 50x", b["segments_fine"], K * fine_segment_factor(),
                                     f"grid K={K * fine_segment_factor()}")):
        for a in ("FGM", "PGD-10", "PGD-40"):
            rank = b["ranking_imagenet"][(seg_name, a)][index:index + 1]
            images.append(x[index])
            masks.append(rank_band_mask(seg[index:index + 1], rank, 0, k)[0])
            titles.append(f"{a}, {label}")
    return plots.show_explanations(images, masks, titles, ncols=7, size=2.2,
                                   suptitle="AXAI Fig. 14: explanations from FGM, PGD-10 and PGD-40; "
                                            "QuickShift and 50x finer segments")


def _pad_cat(rows: list[torch.Tensor]) -> torch.Tensor:
    """Concatenate (B_i, S_i) rankings along the batch, padding each to the widest with -1."""
    width = max(r.shape[1] for r in rows)
    return torch.cat([torch.cat([r, r.new_full((r.shape[0], width - r.shape[1]), -1)], 1) for r in rows])


def blur_experiment(model, x: torch.Tensor, y: torch.Tensor, dataset: str, *, seed: int = 0) -> dict:
    """Appendix E.4 on one data set: AXAI (PGD-20, K = 10) ranks each image's segments, then
    :func:`blur_ablation` blurs the top 5 and segments 6-10 (and 5 random ones, seeded).

    x: (N, 3, H, W) in [0, 1]; y: (N,) true labels; dataset: "cifar10" (QuickShift
    ``SEGMENTATIONS["cifar10_axai"]``, blur sigma 2) or "imagenet" (LIME's QuickShift, sigma 8).
    Returns {"result": the blur_ablation dict, "segments" (N, H, W), "ranking" (N, S) -1 padded,
    "adv": (N,) labels after the attack, "target": (N,) the classes explained (the model's
    predictions), "x", "y"}.
    """
    from axlib.explain.axai import axai

    if dataset not in BLUR_SIGMA:
        raise ValueError(f"dataset must be one of {tuple(BLUR_SIGMA)}, got {dataset!r}")
    bs = BATCH_SIZE[dataset]
    segments = quickshift(x, **SEGMENTATIONS["cifar10_axai" if dataset == "cifar10" else dataset])
    ranking, adv, target = [], [], []
    for s in range(0, len(x), bs):
        exp = axai(model, x[s:s + bs], segments[s:s + bs], k=K)
        ranking.append(exp.ranking)
        adv.append(exp.adv_label)
        target.append(exp.target)
    ranking = _pad_cat(ranking)
    result = blur_ablation(model, x, y, segments, ranking, bands=((0, 5), (5, 10)),
                           sigma=BLUR_SIGMA[dataset], control_seed=seed, batch_size=bs)
    return dict(result=result, segments=segments, ranking=ranking, adv=torch.cat(adv), target=torch.cat(target),
                x=x, y=y)


def blur_table(e4: dict):
    """Appendix E.4's table from {dataset: :func:`blur_experiment` result}: accuracy before and
    after blurring each band and 5 random segments, drops in points, shares of pixels blurred
    (a pandas DataFrame indexed by data set and band)."""
    import pandas as pd

    rows = []
    for ds, d in e4.items():
        r = d["result"]
        for band, v in r["bands"].items():
            rows.append({"data": ds, "images": r["n"], "blurred": f"segments {band}", "accuracy before": r["before"],
                         "accuracy after": v["accuracy"], "drop (points)": v["drop"],
                         "share of pixels blurred": v["blurred_fraction"],
                         "random 5: accuracy after": v["control_accuracy"],
                         "random 5: share blurred": v["control_blurred_fraction"]})
    return pd.DataFrame(rows).set_index(["data", "blurred"])


def blur_claims(e4: dict) -> list[dict]:
    """The claims of appendix E.4 from {dataset: :func:`blur_experiment` result}, as keywords of
    :meth:`~axlib.companion.results.Recorder.judge`: the ordering as paired per-image differences
    of correctness (bootstrap over images), the accuracy after blurring the top 5 (Clopper-Pearson)
    and the drop after blurring segments 6-10."""
    out = []
    for ds, d in e4.items():
        r = d["result"]
        b15, b610 = r["bands"]["1-5"], r["bands"]["6-10"]
        top, nxt = np.asarray(b15["correct"], float), np.asarray(b610["correct"], float)
        rand, before = np.asarray(b15["control_correct"], float), np.asarray(r["correct_before"], float)
        out.append(dict(
            claim=f"axai.appE4.ordering.{ds}",
            estimate={"top 5 - segments 6-10": Estimate.mean(nxt - top), "top 5 - random 5": Estimate.mean(rand - top)},
            ours=f"drops {b15['drop']:.3f} (top 5), {b610['drop']:.3f} (6-10), {b15['control_drop']:.3f} (random 5)",
            unit="accuracy drop (points)", note=f"{r['n']} images, Gaussian blur sigma {r['sigma']:g} px"))
        out.append(dict(
            claim=f"axai.appE4.accuracy_after_top5.{ds}", estimate=Estimate.proportion(int(top.sum()), len(top)),
            unit="top-1 accuracy after blurring",
            note=(f"before {r['before']:.3f}; the top 5 segments cover {b15['blurred_fraction']:.0%} of the pixels. "
                  "Paper: ResNet34 on the ImageNet test set (its accuracy before is not given; torchvision's "
                  "ResNet34 has 0.733), blur and segment sizes unspecified")))
        out.append(dict(
            claim=f"axai.appE4.drop_6to10.{ds}", estimate=Estimate.mean(before - nxt), unit="accuracy drop (points)",
            note="blurring AXAI's segments 6-10"))
    return out


def plot_blurred_top5(d: dict, class_names, show: int = 4):
    """The first ``show`` images of a :func:`blur_experiment` result above the same images
    with their top 5 segments blurred. Returns the Figure."""
    from axlib import plots

    show = min(show, len(d["x"]))
    mask = rank_band_mask(d["segments"][:show], d["ranking"][:show], 0, 5)
    blurred = blur_regions(d["x"][:show], mask, BLUR_SIGMA["imagenet"])
    titles = [f"{class_names[int(y)][:18]}" for y in d["y"][:show]] + ["top 5 blurred"] * show
    return plots.show_images(list(d["x"][:show]) + list(blurred), titles, ncols=show, size=2.3,
                             suptitle="AXAI appendix E.4: ImageNet images and the same with AXAI's top 5 "
                                      "segments blurred")
