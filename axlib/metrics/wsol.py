"""MaxBoxAcc, weakly supervised localisation as the WSOL evaluation framework defines it.

The robust-CNN study scores WSL with the framework of Choe et al. (CVPR 2020, "Evaluating
weakly supervised object localization methods right", the ``clovaai/wsolevaluation`` code).
Its box metric, MaxBoxAcc, is the share of images whose box is correct at the *best*
threshold of a grid, the same threshold for every image of the set. The rule, step by step,
as its ``evaluation.py`` and ``inference.py`` compute it (version of the CVPR paper: one box
per threshold, IoU 50 %; ``multi_contour=True`` gives the box rule of its MaxBoxAccV2):

1. Normalise the map (``normalize_scoremap``): minus its minimum, divided by its new maximum,
   in float64 (its ``t2n`` casts maps to ``np.float``); a constant map (or one with a NaN) becomes all zeros.
2. Quantise to 8 bits, ``uint8(map * 255)`` (truncation), and threshold at
   ``int(tau * max)`` with OpenCV's ``THRESH_BINARY`` (a pixel is foreground when strictly
   above it); ``tau`` runs over ``0, 0.001, ..., 0.999`` (``cam_curve_interval`` 0.001). On a
   normalised map ``max`` is 255, so the 1,000 values of ``tau`` give the 255 distinct integer
   thresholds 0..254 (:data:`N_LEVELS`); a constant map has no foreground at any of them.
3. The foreground's contours (``cv2.findContours``, ``RETR_TREE``, ``CHAIN_APPROX_SIMPLE``);
   the box is the bounding rectangle of the contour of largest polygon area
   (``cv2.contourArea``; ties: the first contour OpenCV lists). A map without contours gives
   the box ``[0, 0, 0, 0]``.
4. Boxes are ``(x0, y0, x1, y1)`` with *inclusive* corners: the area is
   ``(x1 - x0 + 1) * (y1 - y0 + 1)``. The predicted box is ``(x, y, min(x + w, W - 1),
   min(y + h, H - 1))`` from ``cv2.boundingRect``'s ``(x, y, w, h)``, so it is one pixel wider
   and taller than the contour's pixels unless it touches the right or bottom border (a quirk
   of the framework, kept because it moves the IoU; the empty box ``[0, 0, 0, 0]`` is the top
   left pixel). The true box of axlib's half-open convention is the inclusive box of the
   pixels whose centres it contains.
5. A box is correct when IoU >= 0.5 (the framework's ``>=``; the robust paper writes "IoU >
   0.5"; on integer boxes the two differ only when the IoU is exactly one half).
6. MaxBoxAcc: the largest, over ``tau``, share of correct images; the threshold is chosen on
   the same images it is scored on, as in the framework.

:func:`wsol_ious` gives every image's IoU at each of the 255 levels (the per-image record the
study stores); :func:`max_box_accuracy` the set's score from them.
The fixed-threshold rule of CAM (20 % of the maximum, 8-connected components, IoU > 0.5) is
:func:`axlib.metrics.localisation.wsl`.
"""
from __future__ import annotations

import numpy as np
import torch

from axlib._util.checks import check_bool

__all__ = ["N_LEVELS", "THRESHOLDS", "framework_box", "framework_iou", "wsol_ious", "max_box_accuracy"]

THRESHOLDS = np.arange(0, 1, 0.001)
"""The framework's threshold grid ``tau`` (``np.arange(0, 1, cam_curve_interval)``), 1,000 values."""
N_LEVELS = 255
"""Distinct integer thresholds ``int(tau * 255)`` of the grid on a normalised map: 0..254."""
_LEVEL_OF_TAU = (THRESHOLDS * 255).astype(int)


def _quantised(score_map: np.ndarray) -> np.ndarray:
    """Steps 1 and 2 up to the threshold: (H, W) float map -> (H, W, 1) uint8 image."""
    cam = np.array(score_map, dtype=np.float64)
    if np.isnan(cam).any() or cam.min() == cam.max():
        cam = np.zeros_like(cam)
    else:
        cam -= cam.min()
        cam /= cam.max()
    return np.expand_dims((cam * 255).astype(np.uint8), 2)


def framework_box(image: np.ndarray, level: int, *, multi_contour: bool = False) -> np.ndarray:
    """Step 3 and 4: the framework's boxes of one quantised map at one integer threshold.

    Parameters
    ----------
    image : numpy.ndarray, shape (H, W, 1), uint8
        The quantised, normalised map.
    level : int
        The integer threshold; foreground is ``image > level``.
    multi_contour : bool, default False
        False: the box of the largest contour (MaxBoxAcc); True: one box per contour
        (MaxBoxAccV2).

    Returns
    -------
    numpy.ndarray, shape (K, 4), int
        Inclusive ``(x0, y0, x1, y1)`` boxes; ``[[0, 0, 0, 0]]`` when there is no contour.
    """
    import cv2

    height, width = image.shape[:2]
    _, foreground = cv2.threshold(src=image, thresh=int(level), maxval=255, type=cv2.THRESH_BINARY)
    contours = cv2.findContours(foreground, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)[0]
    if len(contours) == 0:
        return np.zeros((1, 4), dtype=int)
    if not multi_contour:
        contours = [max(contours, key=cv2.contourArea)]
    boxes = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        boxes.append([x, y, min(x + w, width - 1), min(y + h, height - 1)])
    return np.asarray(boxes, dtype=int)


def framework_iou(predicted: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """IoU of inclusive-corner boxes, the framework's ``calculate_multiple_iou``.

    Parameters
    ----------
    predicted : numpy.ndarray, shape (K, 4)
        Inclusive ``(x0, y0, x1, y1)`` boxes.
    truth : numpy.ndarray, shape (4,)
        One inclusive box.

    Returns
    -------
    numpy.ndarray, shape (K,), float64
        IoU of each predicted box with ``truth``; 0 where the union is not positive.
    """
    p = np.asarray(predicted, dtype=np.int64).reshape(-1, 4)
    t = np.asarray(truth, dtype=np.int64).reshape(4)
    inter = (np.maximum(0, np.minimum(p[:, 2], t[2]) - np.maximum(p[:, 0], t[0]) + 1)
             * np.maximum(0, np.minimum(p[:, 3], t[3]) - np.maximum(p[:, 1], t[1]) + 1))
    area_p = (p[:, 2] - p[:, 0] + 1) * (p[:, 3] - p[:, 1] + 1)
    area_t = (t[2] - t[0] + 1) * (t[3] - t[1] + 1)
    union = area_p + area_t - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _inclusive(box: np.ndarray) -> np.ndarray:
    """axlib's half-open ``(x0, y0, x1, y1)`` -> the inclusive box of the pixels whose centres
    it contains (first pixel ``ceil(x0 - 0.5)``, last ``ceil(x1 - 0.5) - 1``)."""
    first = np.ceil(box[:2] - 0.5)
    last = np.ceil(box[2:] - 0.5) - 1
    return np.concatenate([first, last]).astype(np.int64)


def wsol_ious(maps: torch.Tensor, boxes: torch.Tensor, *, multi_contour: bool = False) -> np.ndarray:
    """The IoU of each map's framework box with its true box at each of the 255 integer thresholds.

    Parameters
    ----------
    maps : torch.Tensor, shape (B, H, W)
        Attribution maps, finite (larger = more important).
    boxes : torch.Tensor, shape (B, 4)
        True boxes ``(x0, y0, x1, y1)`` in axlib's half-open pixel coordinates.
    multi_contour : bool, default False
        As in :func:`framework_box` (True: the best of all contours' boxes, MaxBoxAccV2).

    Returns
    -------
    numpy.ndarray, shape (B, 255), float64
        ``ious[i, k]``: the IoU of map i's box at integer threshold k (every ``tau`` with
        ``int(tau * 255) == k``), in [0, 1].

    Raises
    ------
    ValueError
        For maps not (B, H, W), boxes not one per map, or multi_contour not a bool.
    """
    from axlib.metrics.localisation import _check_boxes, _check_maps

    maps = _check_maps(maps)
    boxes = _check_boxes(boxes, maps).numpy()
    check_bool("multi_contour", multi_contour)
    ious = np.zeros((maps.shape[0], N_LEVELS))
    for i, score_map in enumerate(maps.numpy()):
        image, truth = _quantised(score_map), _inclusive(boxes[i])
        for level in range(N_LEVELS):
            ious[i, level] = framework_iou(framework_box(image, level, multi_contour=multi_contour), truth).max()
    return ious


def max_box_accuracy(ious: np.ndarray, *, iou_threshold: float = 0.5) -> dict:
    """MaxBoxAcc of a set of images from their :func:`wsol_ious`.

    Parameters
    ----------
    ious : numpy.ndarray, shape (B, 255)
        Per image and integer threshold, the IoU of the framework's box, in [0, 1].
    iou_threshold : float, default 0.5
        A box is correct when its IoU is >= it (the framework's rule), in [0, 1].

    Returns
    -------
    dict
        ``"accuracy"``: float in [0, 1], the best share of correct images over the grid;
        ``"threshold"``: float, the smallest ``tau`` of :data:`THRESHOLDS` reaching it;
        ``"level"``: int, its integer threshold; ``"correct"``: numpy.ndarray (B,) bool, each
        image's correctness there (its mean is the accuracy); ``"iou"``: numpy.ndarray (B,),
        each image's IoU there; ``"accuracies"``: numpy.ndarray (1000,), the share at every ``tau``.

    Raises
    ------
    ValueError
        For ious that are not a non-empty (B, 255) array of numbers in [0, 1], or an
        iou_threshold outside [0, 1].
    """
    from axlib.metrics.localisation import _unit

    iou_threshold = _unit("iou_threshold", iou_threshold)
    ious = np.asarray(ious)
    if (ious.ndim != 2 or ious.shape[0] < 1 or ious.shape[1] != N_LEVELS
            or not np.issubdtype(ious.dtype, np.floating) or not ((ious >= 0) & (ious <= 1)).all()):
        raise ValueError(f"ious must be an array of shape (B, {N_LEVELS}) with B >= 1 of numbers in [0, 1], "
                         f"got {ious.dtype} {ious.shape}")
    hits = ious >= iou_threshold
    accuracies = hits.mean(axis=0)[_LEVEL_OF_TAU]
    best = int(np.argmax(accuracies))
    level = int(_LEVEL_OF_TAU[best])
    return {"accuracy": float(accuracies[best]), "threshold": float(THRESHOLDS[best]), "level": level,
            "correct": hits[:, level].copy(), "iou": ious[:, level].copy(), "accuracies": accuracies}
