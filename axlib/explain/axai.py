"""AXAI: explanations from an adversarial attack (Rahnama & Tseng, CVPR-W 2021, Algorithm 1).

Algorithm 1, batched::

    X'     <- Attack(f, X)                    untargeted L2 PGD, 20 steps (paper section 3.1)
    X_diff  = X' - X                          the attack magnitudes
    X_difft <- Threshold(X_diff)              strongly attacked features: the two a% tails
    Su     <- Segment(X)                      given: ``segments`` (B, H, W), labels 0..S-1
    Su_x   <- Map(X_difft, Su)                attacked pixels grouped by segment
    Su_d    = card(Su_x_i) / card(Su_i)       attack density of every segment
    return Su(TopK_indices(Su_d))             the k densest segments

Segmentation is an input here (QuickShift, grids and tokens live in ``axlib.segment``), so this
module works for images, spectrograms (a grid) and anything else with a label map.

Choices, where the paper is silent or the public reference code differs
-----------------------------------------------------------------------
"The reference" below is the public AXAI reference code.

1. **Attack space and clipping.** The reference attacks the *normalised* tensor and never clips.
   We attack [0, 1] pixels (axlib models normalise inside) and clip to [0, 1] after every step,
   so X' is a valid image and the statistics of X_diff are in pixel units. ``attack="pgd"``
   with ``bounds=None`` is not exposed here; pass a callable ``attack`` built on
   :func:`axlib.attacks.pgd` with ``bounds=None`` to reproduce the unclipped variant.
2. **Budget and step.** The reference uses L2 PGD with step 0.001 on a normalised gradient,
   20 steps, eps 0.2 (in normalised units), so the projection never triggers (20 x 0.001 <
   0.2): its "PGD" is a 20-step gradient walk of total length 0.02. The paper's eq. (1) is
   PGD *with* projection, and section 3.3 / appendix D assume the attack changes the label.
   We follow the paper: a real L2 PGD with the conventional per-feature budget of 2/255,
   i.e. ``eps = 2/255 * sqrt(C*H*W)`` (the L2 length of a 2/255 change of every feature) and
   Madry et al.'s step ``2.5 * eps / steps``:

   ========================  ===========  =============  ==========
   input                     eps (L2)     step (20 it.)  steps
   ========================  ===========  =============  ==========
   CIFAR, 3x32x32            0.435        0.0544         20
   ImageNet, 3x224x224       3.043        0.380          20
   ========================  ===========  =============  ==========

   These are the usual L2 budgets of the robustness literature (0.5 on CIFAR-10, 3.0 on
   ImageNet). The steps add up to 2.5 eps, so the projection can bind; whether it does was
   measured (20 steps, the prediction attacked, 1 CPU thread): on CIFAR-10 it binds (the
   AlexNet, 64 embedded test images: 61 end on the ball, median ||X' - X|| / eps = 1.000,
   78 % change label); on ImageNet it does not (MobileNetV2, the 16 first embedded samples:
   none reaches the ball, median 0.74 eps, all change label: once the label flips the walk
   turns back and clipping to [0, 1] shortens it). ``tests/test_axai.py`` checks both. With ``norm="linf"`` the default is eps = 2/255 and the same step rule. See
   :func:`default_attack_params`. Explicit ``eps`` / ``step`` override them.
3. **Label attacked.** ``target=None`` attacks the model's own prediction, as the reference
   does (an explanation explains the prediction, right or wrong). Pass true labels to
   attack those instead. PGD and FGM read the prediction from their first forward pass,
   which sees x itself, so it costs no forward pass of its own (with ``random_start`` or a
   callable ``attack`` it does: one forward on x first).
4. **Threshold.** "Strongly attacked" = two-sided quantile rule of section 3.3: a feature
   (pixel-channel value) is attacked when its X_diff is at or below the a-th percentile or at
   or above the (100 - a)-th percentile of that image's X_diff (linear interpolation between
   order statistics, numpy's default), with a = 15 (the mean alpha of Fig. 4). A change of
   exactly 0 never counts as attacked (pixels clipped at 0 or 1, or with zero gradient, can
   tie in bulk at 0 and would otherwise flood a tail).
5. **Channels** (``channel_rule``):

   * ``"any"`` (default): quantiles over all pixels *and* channels of the image (the paper's
     single "attack magnitudes vs. frequency" distribution per image, section 3.2); a pixel is
     attacked if *any* of its channels is; density = attacked pixels / segment pixels, in
     [0, 1] as in the paper's card(Su_x)/card(Su). Note that a pixel has C chances: with
     a = 15 and 3 channels, up to 1 - 0.7^3 = 66 % of pixels can count as attacked (when the
     channels' tails do not coincide); densities are then relative, which is all ranking needs.
   * ``"sum"``: the reference code's rule: each channel thresholded at its own a / (100 - a)
     percentiles, the kept (tail) changes *summed* over channels, and a pixel counts as
     attacked when that sum is not 0 (the reference's ``np.logical_and(segment, filtered)``
     on the summed map); density = attacked pixels / segment pixels, in [0, 1].
6. **Segments.** The reference runs QuickShift on the normalised tensor; that is the
   segmenter's business (``axlib.segment``), this function takes any label map.
7. **Ranking and k.** All segment densities are computed at once with ``scatter_add`` (the
   cost does not depend on k; appendix A's claim). Segments are ranked by density, highest
   first; ties (equal count/size fractions) go to the smaller segment id, so the ranking is
   deterministic and ``top_k`` has exactly k entries. The reference can return more than K
   segments on ties; we do not. Fewer than k segments in an image: all are returned and
   ``top_k`` is padded with -1.

Determinism: without ``random_start`` the explanation is a deterministic function of
(model, x, segments) on CPU; with it, pass a seeded ``torch.Generator``.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import torch

from axlib import attacks as _attacks
from axlib._util.checks import (
    check_choice,
    check_classes,
    check_images,
    check_int,
    check_labels,
    check_number,
    cpu_cores,
)

CHANNEL_RULES = ("any", "sum")
ATTACKS = ("pgd", "fgm")

__all__ = ["AxaiExplanation", "axai", "attribute", "explain_delta", "tail_mask", "segment_density",
           "rank_segments", "default_attack_params", "CHANNEL_RULES", "ATTACKS"]


@dataclass
class AxaiExplanation:
    """The result of :func:`axai` for a batch of B images with S_max = max segment id + 1.

    Attributes
    ----------
    ranking : torch.Tensor, shape (B, S_max), int64
        Segment ids by density, densest first (ties: smaller id first); padded with -1 where
        an image has fewer segments (ids absent from its label map are not ranked).
    density : torch.Tensor, shape (B, S_max), float32
        Indexed by segment id: attacked pixels / segment pixels, in [0, 1] (under either
        channel rule); 0 for ids absent from the image.
    sizes : torch.Tensor, shape (B, S_max), int64
        Pixels per segment id (0 = absent).
    top_k : torch.Tensor, shape (B, k), int64
        The first k entries of ``ranking`` (padded with -1).
    mask : torch.Tensor, shape (B, H, W), bool
        Pixels whose segment is in ``top_k``: the explanation.
    attacked : torch.Tensor, shape (B, H, W), bool
        Pixels with at least one attacked channel (X_difft).
    delta : torch.Tensor, shape (B, C, H, W), floating
        X' - X in pixel units.
    target : torch.Tensor, shape (B,), int64
        The labels attacked (the prediction when target=None).
    adv_label : torch.Tensor, shape (B,), int64
        The model's prediction on X'.
    segments : torch.Tensor, shape (B, H, W), int64
        The segment labels the explanation ranks (given, or computed beside the attack).
    """

    ranking: torch.Tensor
    density: torch.Tensor
    sizes: torch.Tensor
    top_k: torch.Tensor
    mask: torch.Tensor
    attacked: torch.Tensor
    delta: torch.Tensor
    target: torch.Tensor
    adv_label: torch.Tensor
    segments: torch.Tensor


# --------------------------------------------------------------------------- defaults
def default_attack_params(shape, norm: str = "l2", steps: int = 20) -> dict:
    """Default attack budget for one input of ``shape``.

    L2: eps = 2/255 * sqrt(C*H*W) (CIFAR 3x32x32: 0.435; ImageNet 3x224x224: 3.043).
    Linf: eps = 2/255. Step = 2.5 * eps / steps (Madry et al.).

    Parameters
    ----------
    shape : sequence of int
        (C, H, W) or (B, C, H, W); the last three sizes are used.
    norm : {"l2", "linf"}, default "l2"
        The attack's norm.
    steps : int, default 20
        PGD iterations, >= 1.

    Returns
    -------
    dict
        ``{"eps": float, "step": float}``, in [0, 1] pixel units.

    Raises
    ------
    ValueError
        For an unknown norm or steps < 1.
    """
    norm = check_choice("norm", norm, _attacks.NORMS)
    steps = check_int("steps", steps, low=1)
    shape = tuple(shape)[-3:]
    d = math.prod(shape)
    eps = 2.0 / 255.0 * (math.sqrt(d) if norm == "l2" else 1.0)
    return {"eps": eps, "step": 2.5 * eps / steps}


# --------------------------------------------------------------------------- building blocks
def _row_quantile(v: torch.Tensor, q: float) -> torch.Tensor:
    """Per-row quantile of v (R, N) with linear interpolation (numpy's default). Returns (R,)."""
    n = v.shape[1]
    s = v.sort(dim=1).values
    pos = q * (n - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, n - 1)
    frac = pos - lo
    return s[:, lo] + (s[:, hi] - s[:, lo]) * frac


def tail_mask(delta: torch.Tensor, a: float = 15.0, *, per_channel: bool = False) -> torch.Tensor:
    """Features of delta in the two a% tails of their image's distribution.

    True where delta <= a-th percentile and delta < 0, or delta >= (100-a)-th percentile and
    delta > 0. ``~tail_mask`` is the middle band (AXAI Table 4, left column).

    Parameters
    ----------
    delta : torch.Tensor, shape (B, C, H, W)
        Attack magnitudes X' - X, in pixel units.
    a : float, default 15.0
        Tail percentage, in the open interval (0, 50).
    per_channel : bool, default False
        Percentiles per image and channel; False: per image over all channels and pixels.

    Returns
    -------
    torch.Tensor, shape (B, C, H, W), bool
        True for the features in a tail.

    Raises
    ------
    ValueError
        If a is not in (0, 50) or delta is not a tensor of shape (B, C, H, W).
    """
    a = check_number("a", a, 0, 50, low_open=True, high_open=True)
    if not isinstance(delta, torch.Tensor) or delta.dim() != 4:
        raise ValueError("delta must be a tensor of shape (B, C, H, W)")
    B, C = delta.shape[:2]
    rows = delta.reshape(B * C, -1) if per_channel else delta.reshape(B, -1)
    lo = _row_quantile(rows, a / 100.0)[:, None]
    hi = _row_quantile(rows, 1.0 - a / 100.0)[:, None]
    m = ((rows <= lo) & (rows < 0)) | ((rows >= hi) & (rows > 0))
    return m.reshape(delta.shape)


def segment_density(counts: torch.Tensor, segments: torch.Tensor):
    """Attack density of every segment, all at once.

    S_max = segments.max() + 1; density = attacked / size, 0 where a label is absent.

    Parameters
    ----------
    counts : torch.Tensor, shape (B, H, W), integer or bool
        Attacked units per pixel.
    segments : torch.Tensor, shape (B, H, W), integer
        Segment labels >= 0.

    Returns
    -------
    density : torch.Tensor, shape (B, S_max), float64
        Attacked units / pixels, per segment label.
    sizes : torch.Tensor, shape (B, S_max), int64
        Pixels per segment label.
    attacked_counts : torch.Tensor, shape (B, S_max), int64
        Attacked units per segment label.
    """
    B = segments.shape[0]
    seg = segments.reshape(B, -1).long()
    S = int(seg.max()) + 1
    sizes = torch.zeros(B, S, dtype=torch.long, device=seg.device)
    sizes.scatter_add_(1, seg, torch.ones_like(seg))
    hits = torch.zeros(B, S, dtype=torch.long, device=seg.device)
    hits.scatter_add_(1, seg, counts.reshape(B, -1).long())
    density = hits.double() / sizes.clamp_min(1).double()
    return density, sizes, hits


def rank_segments(density: torch.Tensor, sizes: torch.Tensor) -> torch.Tensor:
    """Segment ids by density descending, ties by smaller id, absent ids (size 0) as -1.

    Parameters
    ----------
    density : torch.Tensor, shape (B, S), floating
        Density per segment id (see :func:`segment_density`).
    sizes : torch.Tensor, shape (B, S), integer
        Pixels per segment id; 0 marks an absent id.

    Returns
    -------
    torch.Tensor, shape (B, S), int64
        The ranked segment ids.
    """
    present = sizes > 0
    key = torch.where(present, density, torch.full_like(density, -1.0))
    order = torch.sort(key, dim=1, descending=True, stable=True).indices
    return torch.where(present.gather(1, order), order, torch.full_like(order, -1))


def _check_segments(segments, x: torch.Tensor) -> torch.Tensor:
    B, _, H, W = x.shape
    if not isinstance(segments, torch.Tensor):
        raise ValueError(f"segments must be an integer tensor of shape (B, H, W) = ({B}, {H}, {W}), "
                         f"got {type(segments).__name__}")
    if segments.dim() == 2 and segments.shape == (H, W):
        segments = segments.expand(B, H, W)
    if segments.shape != (B, H, W):
        raise ValueError(f"segments must have shape (B, H, W) = ({B}, {H}, {W}) or (H, W), "
                         f"got {tuple(segments.shape)}")
    if segments.is_floating_point() or segments.is_complex() or segments.dtype == torch.bool:
        raise ValueError(f"segments must hold integer labels 0..S-1, got dtype {segments.dtype}")
    if int(segments.min()) < 0:
        raise ValueError("segments must hold integer labels in 0..S-1, got a negative label")
    return segments.to(device=x.device, dtype=torch.long)


# --------------------------------------------------------------------------- AXAI
def axai(model, x: torch.Tensor, segments: torch.Tensor | Callable[[torch.Tensor], torch.Tensor], *,
         target=None, k: int = 10,
         a: float = 15.0, attack: str | Callable = "pgd", eps: float | None = None,
         step: float | None = None, steps: int = 20, norm: str = "l2",
         channel_rule: str = "any", random_start: bool = False,
         generator: torch.Generator | None = None, overlap: bool | None = None) -> AxaiExplanation:
    """Explain the model's decisions on x by the segments its adversary attacks most densely.

    Everything is computed for all segments; k only selects, so the result for k=1 is a
    prefix of the result for k=5.

    Parameters
    ----------
    model : callable
        (B, C, H, W) pixels in [0, 1] -> logits (B, classes); put in eval mode during the
        attack, parameters untouched.
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    segments : torch.Tensor, shape (B, H, W) or (H, W), integer; or callable
        Labels 0..S-1 per image, or one (H, W) map for all images. Or a segmentation, called
        as ``segments(x)`` with x on the CPU and returning such labels (for example
        ``functools.partial(axlib.segment.quickshift, kernel_size=4, max_dist=200, ratio=0.2)``):
        it runs on a worker thread while the attack runs, since neither needs the other
        (scikit-image's QuickShift releases the GIL), unless ``overlap`` says otherwise, and the
        explanation is bit for bit the one the same labels passed as a tensor give.
    target : None, int or torch.Tensor, shape (B,), optional
        None: attack the model's prediction, as the reference code does; an int or (B,)
        labels: the labels to move away from.
    k : int, default 10
        Explainability length, >= 1 (paper: 10).
    a : float, default 15.0
        Tail percentage, in (0, 50) (paper: 15).
    attack : {"pgd", "fgm"} or callable, default "pgd"
        ``"pgd"``: PGD (L2 by default); ``"fgm"``: one step of length eps; or a callable
        ``(model, x, y) -> x_adv`` returning a tensor shaped like x.
    eps : float, optional
        Attack budget > 0, in pixel units; None: :func:`default_attack_params`. (0 is refused:
        with no perturbation every pixel ties and any ranking of the segments would be arbitrary.)
    step : float, optional
        Attack step > 0; None: ``2.5 * eps / steps``.
    steps : int, default 20
        PGD iterations, >= 1 (paper: 20).
    norm : {"l2", "linf"}, default "l2"
        ``"l2"`` (paper) or ``"linf"``.
    channel_rule : {"any", "sum"}, default "any"
        ``"any"``: pooled quantiles, a pixel is attacked if any channel is; ``"sum"``: the
        reference code's per-channel percentiles, summed over channels; see the module notes.
    random_start : bool, default False
        PGD random start.
    generator : torch.Generator, optional
        Source of the random start when given.
    overlap : bool, optional
        With a callable ``segments``: True runs it on a worker thread during the attack, False
        before the attack; None (default) overlaps on a GPU or with a second CPU core.
        The explanation is the same either way.

    Returns
    -------
    AxaiExplanation
        Rankings, densities, the top-k segments and the explanation mask.

    Raises
    ------
    ValueError
        Naming the parameter and its range for a bad k, a, eps, step, steps, norm, attack,
        channel_rule, x (not (B, C, H, W) in [0, 1]), segments (wrong shape) or target (not
        (B,) labels in the model's [0, K)), and when an attack callable returns something not
        shaped like x.
    """
    k = check_int("k", k, low=1)
    a = check_number("a", a, 0, 50, low_open=True, high_open=True)
    norm = check_choice("norm", norm, _attacks.NORMS)
    steps = check_int("steps", steps, low=1)
    if eps is not None:
        eps = check_number("eps", eps, low=0, low_open=True)
    if step is not None:
        step = check_number("step", step, low=0, low_open=True)
    if channel_rule not in CHANNEL_RULES:
        raise ValueError(f"channel_rule must be one of {CHANNEL_RULES}, got {channel_rule!r}")
    if not callable(attack) and attack not in ATTACKS:
        raise ValueError(f"attack must be one of {ATTACKS} or a callable (model, x, y) -> x_adv, got {attack!r}")
    if overlap is not None and not isinstance(overlap, bool):
        raise ValueError(f"overlap must be True, False or None, got {overlap!r}")
    x = check_images(x)
    x = x.detach()
    segmentation = segments if callable(segments) else None
    if segmentation is None:
        segments = _check_segments(segments, x)

    # None: the prediction, which PGD and FGM read from their first forward pass
    y = None if target is None else check_classes(model, x, check_labels(target, x, name="target"), name="target")

    defaults = default_attack_params(x.shape, norm=norm, steps=steps)
    eps = defaults["eps"] if eps is None else eps
    step = 2.5 * eps / steps if step is None else step
    if segmentation is not None and not _overlaps(x, overlap):
        segments, segmentation = _check_segments(segmentation(x.cpu().clone()), x), None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="axai-segmentation") as pool:
        pending = pool.submit(segmentation, x.cpu().clone()) if segmentation is not None else None
        if callable(attack):
            y = _attacks.predicted_labels(model, x) if y is None else y
            x_adv = attack(model, x, y)
        elif attack == "fgm":
            x_adv, y = _attacks.fgm(model, x, y, eps=eps, norm=norm, return_labels=True)
        else:
            x_adv, y = _attacks.pgd(model, x, y, eps=eps, step=step, steps=steps, norm=norm,
                                    random_start=random_start, generator=generator, return_labels=True)
        if pending is not None:
            segments = _check_segments(pending.result(), x)
    if not isinstance(x_adv, torch.Tensor) or x_adv.shape != x.shape:
        raise ValueError("attack must return a tensor shaped like x")
    x_adv = x_adv.detach()
    delta = x_adv - x
    parts = explain_delta(delta, segments, k=k, a=a, channel_rule=channel_rule)
    adv_label = _attacks.predicted_labels(model, x_adv)
    return AxaiExplanation(**parts, delta=delta, target=y, adv_label=adv_label, segments=segments)


def _overlaps(x: torch.Tensor, overlap: bool | None) -> bool:
    """Whether :func:`axai` runs the segmentation beside the attack: as asked, else on a GPU or
    a machine with a second core. Measured (MobileNetV2, 224 px, QuickShift 4 / 200 / 0.2,
    2-core x86_64 CPU, 2 torch threads, Dec 2026), seconds per image, beside vs. first: batch 1
    0.51 vs 0.58 with :data:`axlib.companion.environ.MALLOC_ENV`, 0.51 vs 0.59 with glibc's
    default allocator settings; batch 32 0.38 vs 0.50 and 0.53 vs 0.63; the CIFAR-10 AlexNet
    (32 px, kernel 1): batch 1 41.7 vs 41.1 ms, batch 64 10.1 vs 10.0 ms (the same within the
    noise). An earlier measurement (batch 1, 2 threads: 1.25 vs 0.93 s) had kept small batches
    first; it did not repeat."""
    if overlap is not None:
        return overlap
    return x.device.type != "cpu" or cpu_cores() >= 2


def explain_delta(delta: torch.Tensor, segments: torch.Tensor, *, k: int, a: float,
                  channel_rule: str = "any") -> dict[str, torch.Tensor]:
    """Algorithm 1 after the attack: threshold X_diff, map it onto the segments, rank them.

    Parameters
    ----------
    delta : torch.Tensor, shape (B, C, H, W)
        X' - X, the attack's change in pixel units.
    segments : torch.Tensor, shape (B, H, W), int64
        Segment labels 0..S-1 per image (checked by the caller).
    k, a, channel_rule
        As in :func:`axai` (checked by the caller).

    Returns
    -------
    dict
        ``ranking``, ``density`` (float32), ``sizes``, ``top_k``, ``mask`` and ``attacked``,
        as the fields of :class:`AxaiExplanation`.
    """
    feat = tail_mask(delta, a, per_channel=(channel_rule == "sum"))  # (B, C, H, W)
    if channel_rule == "any":
        per_pixel = feat.any(dim=1)
    else:                   # the reference: per-channel tails, kept changes summed, non-zero sums count
        per_pixel = (delta * feat).sum(dim=1) != 0
    density64, sizes, _ = segment_density(per_pixel.long(), segments)
    ranking = rank_segments(density64, sizes)
    B, S = ranking.shape
    if S >= k:
        top_k = ranking[:, :k].clone()
    else:
        top_k = torch.cat([ranking, ranking.new_full((B, k - S), -1)], dim=1)
    chosen = torch.zeros(B, S + 1, dtype=torch.bool, device=delta.device)  # column 0 absorbs -1
    chosen.scatter_(1, top_k + 1, True)
    mask = chosen[:, 1:].gather(1, segments.reshape(B, -1)).reshape(segments.shape)
    return {"ranking": ranking, "density": density64.float(), "sizes": sizes, "top_k": top_k,
            "mask": mask, "attacked": per_pixel}


def attribute(model, x: torch.Tensor, target=None, *, segments: torch.Tensor, k: int | None = 10,
              **kw) -> torch.Tensor:
    """Captum-style call: AXAI as a (B, H, W) attribution map.

    Each pixel gets its segment's attack density if the segment is among the top k, else 0
    (the explanation of Algorithm 1, graded by density so that insertion/deletion metrics can
    order the explained segments).

    Parameters
    ----------
    model : callable
        As in :func:`axai`.
    x : torch.Tensor, shape (B, C, H, W), floating
        Pixels in [0, 1].
    target : None, int or torch.Tensor, shape (B,), optional
        As in :func:`axai` (None: the model's prediction).
    segments : torch.Tensor, shape (B, H, W) or (H, W), integer; or callable
        Segment labels 0..S-1, or a segmentation run beside the attack, as in :func:`axai`.
    k : int or None, default 10
        Segments kept, >= 1; None: every segment keeps its density (a full segment ranking
        map).
    **kw
        Other keywords go to :func:`axai` (a, attack, eps, step, steps, norm, channel_rule,
        random_start, generator).

    Returns
    -------
    torch.Tensor, shape (B, H, W), float32
        The map, >= 0.

    Raises
    ------
    ValueError
        As :func:`axai` does.
    """
    exp = axai(model, x, segments, target=target, k=1 if k is None else k, **kw)
    B = x.shape[0]
    seg = exp.segments.reshape(B, -1)
    amap = exp.density.gather(1, seg).reshape(B, *x.shape[-2:])
    if k is not None:
        amap = torch.where(exp.mask, amap, torch.zeros_like(amap))
    return amap
