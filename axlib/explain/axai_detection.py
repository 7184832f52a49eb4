"""AXAI for object detectors (AXAI appendix E.2): one explanation per detected box.

The paper explains a YOLOv3 building detector: the attack perturbs the image against a
detection, and the segments it attacks most densely explain that detection. Here, for any
detector with torchvision's detection interface:

- **Detector**: in eval mode, ``detector(list of (3, H, W) images in [0, 1])`` returns one dict
  per image with ``"boxes"`` (N, 4) ``(x0, y0, x1, y1)`` in pixels, ``"scores"`` (N,) and
  ``"labels"`` (N,), the scores differentiable in the images (torchvision's detectors are).
- **The detection attacked**: detection j (box b_j, label l_j) of the clean image. On a
  perturbed image its score is the largest score among the detections of label l_j whose box
  overlaps b_j with IoU >= 0.5 (``match_iou``); 0 once there is none (suppressed), after which
  that copy is not moved further.
- **Why the score alone**: the detector's loss for the box (its regression against the
  detection's own box) is at its minimum on the clean image, so its gradient there is zero (a
  distance from a box to itself, or an IoU of 1, is flat to first order) and PGD without a
  random start would never move it; shifting a box needs a target box or a random start,
  which Algorithm 1 does not have. Lowering the score suppresses the detection, the
  counterpart of the classifier attack's raising of its loss on the predicted label.
- **The attack**: L2 PGD that lowers that score, with AXAI's budget and step rule
  (:func:`axlib.explain.axai.default_attack_params`: eps = 2/255 sqrt(C H W), step 2.5 eps /
  steps, 20 steps), the perturbed image clipped to [0, 1] after every step. All requested
  detections are attacked at once, one copy of the image per detection in one batch.
- **The explanation**: Algorithm 1 after the attack, unchanged
  (:func:`axlib.explain.axai.explain_delta`): two-sided a % tails of X' - X, attacked pixels
  mapped onto the image's segments, segments ranked by attack density, the top k.

Determinism: no random start, so on CPU the explanation is a deterministic function of
(detector, image, segments).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from axlib import attacks as _attacks
from axlib._util.checks import check_choice, check_images, check_int, check_number, eval_mode
from axlib.explain.axai import CHANNEL_RULES, _check_segments, default_attack_params, explain_delta
from axlib.metrics.detection import box_iou_matrix

__all__ = ["DetectionExplanation", "detect", "matched_score", "axai_detection"]


@dataclass
class DetectionExplanation:
    """AXAI's explanation of one detection.

    Attributes
    ----------
    index : int
        The detection's position in the clean image's detections.
    box : torch.Tensor, shape (4,)
        Its box ``(x0, y0, x1, y1)`` in pixels.
    label : int
        Its label.
    score : float
        Its score on the clean image.
    score_after : float
        The score of the same detection after the attack (0: suppressed).
    ranking, density, sizes, top_k : torch.Tensor
        As :class:`axlib.explain.axai.AxaiExplanation` for one image: (S_max,), (S_max,),
        (S_max,), (k,).
    mask : torch.Tensor, shape (H, W), bool
        Pixels of the top-k segments: the explanation.
    attacked : torch.Tensor, shape (H, W), bool
        Pixels in the attack's tails.
    delta : torch.Tensor, shape (3, H, W)
        X' - X in pixel units.
    """

    index: int
    box: torch.Tensor
    label: int
    score: float
    score_after: float
    ranking: torch.Tensor
    density: torch.Tensor
    sizes: torch.Tensor
    top_k: torch.Tensor
    mask: torch.Tensor
    attacked: torch.Tensor
    delta: torch.Tensor


def _check_image(image) -> torch.Tensor:
    if not isinstance(image, torch.Tensor) or image.dim() != 3:
        shape = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
        raise ValueError(f"image must be a tensor of shape (3, H, W), got {shape}")
    return check_images(image[None], name="image")[0]


def detect(detector, image: torch.Tensor) -> dict[str, torch.Tensor]:
    """The detector's boxes, scores and labels on one image (no gradient), in eval mode.

    Raises ValueError for an image that is not (3, H, W) in [0, 1] or an output without the
    three keys.
    """
    image = _check_image(image)
    with eval_mode(detector), torch.no_grad():
        out = detector([image])[0]
    missing = {"boxes", "scores", "labels"} - set(out)
    if missing:
        raise ValueError(f"detector output lacks {sorted(missing)}: expected torchvision's detection dicts")
    return {key: out[key].detach() for key in ("boxes", "scores", "labels")}


def matched_score(output: dict, box: torch.Tensor, label: int, *, match_iou: float = 0.5) -> torch.Tensor:
    """The score of "the same detection" in a detector output: the largest score among its
    detections of ``label`` whose box has IoU >= ``match_iou`` with ``box``; a zero (without
    gradient) when there is none. Returns a scalar tensor."""
    boxes, scores, labels = output["boxes"], output["scores"], output["labels"]
    overlap = box_iou_matrix(boxes.detach(), box.detach().to(boxes.device)[None])[:, 0]
    same = (labels == label) & (overlap >= match_iou)
    if not bool(same.any()):
        return scores.new_zeros(())
    return scores[same].max()


def axai_detection(detector, image: torch.Tensor, segments: torch.Tensor, *, indices=None,
                   k: int = 10, a: float = 15.0, eps: float | None = None, step: float | None = None,
                   steps: int = 20, match_iou: float = 0.5, channel_rule: str = "any") -> list[DetectionExplanation]:
    """Explain detections of one image by the segments an attack against each attacks most densely.

    Parameters
    ----------
    detector : callable
        torchvision's detection interface (see the module docstring); put in eval mode.
    image : torch.Tensor, shape (3, H, W), floating
        Pixels in [0, 1].
    segments : torch.Tensor, shape (H, W), integer
        Segment labels 0..S-1 (e.g. :func:`axlib.segment.quickshift`).
    indices : sequence of int, optional
        The detections to explain, positions in :func:`detect`'s output (None: all of them).
    k : int, default 10
        Explainability length, >= 1.
    a : float, default 15.0
        Tail percentage, in (0, 50).
    eps : float, optional
        L2 budget > 0 in pixel units; None: AXAI's default for the image's size.
    step : float, optional
        PGD step > 0; None: ``2.5 * eps / steps``.
    steps : int, default 20
        PGD iterations, >= 1.
    match_iou : float, default 0.5
        IoU at which a perturbed image's detection is the same detection, in (0, 1].
    channel_rule : {"any", "sum"}, default "any"
        As in :func:`axlib.explain.axai.axai`.

    Returns
    -------
    list of DetectionExplanation
        One per requested detection, in the order of ``indices``.

    Raises
    ------
    ValueError
        When the detector finds nothing, for an index out of range, when the detector's scores
        carry no gradient, or for a bad parameter (naming it and its range).
    """
    image = _check_image(image)
    segments = _check_segments(segments, image[None])
    k = check_int("k", k, low=1)
    a = check_number("a", a, 0, 50, low_open=True, high_open=True)
    steps = check_int("steps", steps, low=1)
    match_iou = check_number("match_iou", match_iou, 0, 1, low_open=True)
    channel_rule = check_choice("channel_rule", channel_rule, CHANNEL_RULES)
    defaults = default_attack_params(image.shape, norm="l2", steps=steps)
    eps = defaults["eps"] if eps is None else check_number("eps", eps, low=0, low_open=True)
    step = 2.5 * eps / steps if step is None else check_number("step", step, low=0, low_open=True)

    found = detect(detector, image)
    n = len(found["scores"])
    if n == 0:
        raise ValueError("the detector found no box in this image: there is no detection to explain")
    indices = list(range(n)) if indices is None else [check_int("indices", i, low=0, high=n - 1) for i in indices]
    if not indices:
        raise ValueError("indices must name at least one detection")
    boxes, labels = found["boxes"][indices], found["labels"][indices]

    clean = image.detach()[None].expand(len(indices), *image.shape)
    delta = torch.zeros_like(clean)
    live = torch.ones(len(indices), dtype=torch.bool)
    with eval_mode(detector):
        for _ in range(steps):
            delta.requires_grad_(True)
            outputs = detector(list(clean + delta))
            scores = torch.stack([matched_score(o, b, int(lab), match_iou=match_iou)
                                  for o, b, lab in zip(outputs, boxes, labels)])
            live &= (scores.detach() > 0).cpu()
            if not bool(live.any()):
                break
            if not scores.requires_grad:
                raise ValueError("the detector's scores carry no gradient with respect to the image: "
                                 "AXAI needs a differentiable detector (not one run under no_grad)")
            grad, = torch.autograd.grad(scores[live.to(scores.device)].sum(), delta)
            with torch.no_grad():
                norm = grad.flatten(1).norm(dim=1).clamp(min=1e-12).view(-1, 1, 1, 1)
                moving = live.to(grad.device).view(-1, 1, 1, 1)
                delta = delta - torch.where(moving, step * grad / norm, torch.zeros_like(grad))
                delta = _attacks._project(delta, eps, "l2")
                delta = (clean + delta).clamp(0.0, 1.0) - clean
        delta = delta.detach()
        with torch.no_grad():
            after = [float(matched_score(o, b, int(lab), match_iou=match_iou))
                     for o, b, lab in zip(detector(list(clean + delta)), boxes, labels)]
    parts = explain_delta(delta, segments.expand(len(indices), *segments.shape[-2:]), k=k, a=a,
                          channel_rule=channel_rule)
    return [DetectionExplanation(index=j, box=found["boxes"][j], label=int(found["labels"][j]),
                                 score=float(found["scores"][j]), score_after=after[i],
                                 **{key: value[i] for key, value in parts.items()}, delta=delta[i])
            for i, j in enumerate(indices)]
