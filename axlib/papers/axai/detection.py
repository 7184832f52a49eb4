"""AXAI appendix E.2 as numbers: where the explanation of a detection lies.

The paper shows YOLOv3 detections of buildings with their AXAI explanations and says they
"are clearly focused on areas where buildings are located and ignore empty spaces" (Fig. 19).
For each detection that matches a ground-truth object (same label, IoU >= 0.5), with its
explanation (:func:`axlib.explain.axai_detection.axai_detection`: the top-K segments' mask):

- ``inside_share``: the share of the explanation's pixels inside the matched object's box;
  ``box_share``: the share of the image that box covers (what a random pixel would give);
  ``enrichment`` = inside_share / box_share (1 = chance);
- ``random_inside_share``: the inside share of K segments drawn at random from the same
  segmentation (mean of ``random_draws`` draws), a null that keeps the segments' sizes;
- ``background_share``: the share of the explanation outside every object box of the scene;
  ``background_fraction``: the share of the image outside every box; ``background_ratio`` =
  background_share / background_fraction (1 = chance).

:func:`estimates` turns a table of such rows into the three estimates the pre-registered rules
of :mod:`axlib.papers.axai.claims` judge (``DETECTION_*_RULE``): means over detections with
bootstrap intervals (expanded percentile) that resample *scenes* (detections of one scene are not
independent), n = detections.

Page 08's path, the same under every profile (the profile names the data and the detector):
:func:`detection_data` ("scenes": held-out CIFAR-10 objects on photographs; "coco-val2017":
the paper profile's COCO) -> :func:`load_detector` -> :func:`detector_table` (mAP@0.5 here)
-> :func:`explain_scenes` (AXAI for every detection, the shares) -> :func:`plot_fig19` and
:func:`claim_fields` (the three judged claims).
"""
from __future__ import annotations

import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from axlib._util.checks import check_int, check_number
from axlib.companion.rules import Estimate
from axlib.data.boxes import box_masks
from axlib.intervals import bootstrap_ci
from axlib.metrics.detection import box_iou_matrix

__all__ = ["DATA", "page_scenes", "detection_data", "load_detector", "class_names", "detector_table",
           "detector_fields", "explain_scenes", "matched_object", "explanation_shares", "estimates", "claim_fields",
           "detection_summary", "plot_fig19"]


def page_scenes(n: int, *, seed: int = 0):
    """The page's scenes: ``n`` scenes (:func:`axlib.data.scenes.make_scenes`) of the embedded
    CIFAR-10 *test* subset's objects, which the detector never saw, drawn with ``seed``."""
    from axlib.data.cifar import cifar10_test
    from axlib.data.scenes import make_scenes

    x, y, _ = cifar10_test()
    return make_scenes(x, y, check_int("n", n, low=1), seed=seed)


DATA = ("scenes", "coco-val2017")
"""The page's data sets: held-out scenes of CIFAR-10 objects (default) or COCO val2017 (paper)."""


def detection_data(name: str, n: int, *, seed: int = 0, download: bool = False):
    """``n`` images with their objects: :func:`page_scenes` for ``"scenes"``, or
    :func:`axlib.data.coco.coco_val` for ``"coco-val2017"`` (downloaded, verified, when
    ``download``). Both have ``x[i]``, ``boxes[i]``, ``labels[i]``, ``len`` and ``targets()``."""
    from axlib._util.checks import check_choice

    if check_choice("data", name, DATA) == "scenes":
        return page_scenes(n, seed=seed)
    from axlib.data.coco import coco_val
    return coco_val(n, seed=seed, download=download)


def class_names(data) -> tuple[str, ...]:
    """The label names of ``data`` (:func:`detection_data`'s): COCO's 91, or CIFAR-10's 10."""
    from axlib.data.cifar import CIFAR10_CLASSES

    return getattr(data, "class_names", CIFAR10_CLASSES)


def load_detector(name: str, *, device: str = "cpu", download: bool = False):
    """A detector by registry name: a shipped one (``scenes-centernet``) or a pretrained source
    of :mod:`axlib.models.pretrained` (``coco-fasterrcnn-resnet50-fpn-v2``, downloaded and
    verified when ``download``). Eval mode, on ``device``."""
    from axlib.models import pretrained, registry

    if name in pretrained.SOURCES:
        return pretrained.load(name, download=download, device=device)
    return registry.load(name, device=device)


def detector_table(name: str, detector, data_name: str, *, n: int, download: bool = False) -> pd.DataFrame:
    """One row on the detector: what it is, its own card's (or upstream's) accuracy, and mAP@0.5
    re-measured here (:func:`axlib.models.train_detector.detector_map`) on ``n`` held-out images
    of ``data_name`` drawn with the card's seed (:data:`~axlib.models.train_detector.EVAL_SEED`:
    for the scenes, the card's own evaluation set)."""
    from axlib.models import pretrained, registry
    from axlib.models.train_detector import EVAL_SEED, detector_map

    held_out = detection_data(data_name, n, seed=EVAL_SEED, download=download)
    measured = detector_map(detector, held_out)["map"]
    if name in pretrained.SOURCES:
        source = pretrained.SOURCES[name]
        stated = f"COCO box mAP@[.5:.95] {source.reported_box_map:.1f} % (torchvision)"
        recipe, parameters = source.citation, sum(p.numel() for p in detector.parameters())
    else:
        card = registry.card(name)
        stated = f"mAP@0.5 {card['map50']:.3f} on {card['eval_set']}"
        recipe = (f"{card['recipe']['epochs']} epochs, {card['recipe']['optimizer']} lr {card['recipe']['lr']}, "
                  f"{card['recipe']['scenes_per_epoch']:,} fresh scenes an epoch; {card['train_wall_seconds'] / 60:.0f} min "
                  f"on {card['train_device']}")
        parameters = card["parameters"]
    return pd.DataFrame([{"detector": name, "parameters": parameters, "card / upstream": stated,
                          "recipe": recipe, f"mAP@0.5 here ({len(held_out)} held-out images)": round(measured, 3)}]
                        ).set_index("detector")


def detector_fields(table: pd.DataFrame) -> dict:
    """``ours``, ``unit`` and ``note`` of the record ``models.<detector>.map50`` from
    :func:`detector_table`'s row (the paper reports no accuracy for its detector)."""
    column = table.columns[-1]
    return {"ours": float(table.iloc[0][column]), "unit": "mAP@0.5",
            "note": f"{column}; the paper reports no accuracy for its YOLOv3 (SpaceNet buildings)"}


def explain_scenes(detector, scenes, *, segmentation: dict, k: int, a: float, steps: int, random_draws: int,
                   min_score: float = 0.0, per_batch: int = 16, seed: int = 0, device: str = "cpu",
                   progress: bool = True) -> dict:
    """AXAI for every detection of every scene, and the shares of :func:`explanation_shares`.

    Parameters
    ----------
    detector : torch.nn.Module
        torchvision's detection interface (:mod:`axlib.explain.axai_detection`), eval mode.
    scenes : axlib.data.scenes.Scenes or axlib.data.coco.DetectionImages
        Images (3, H, W) in [0, 1] with their objects' boxes and labels (:func:`detection_data`).
    segmentation : dict
        Keywords of :func:`axlib.segment.quickshift`.
    k, a, steps : int, float, int
        AXAI's top segments, tail percentage and PGD iterations.
    random_draws : int
        Random K-segment draws per detection (the null of ``random_inside_share``).
    min_score : float
        Explain the detections scoring at least this (a detector's own threshold may be lower:
        torchvision's keep boxes from 0.05).
    per_batch : int
        Detections attacked together (one image copy each): bounds the memory of images with
        many detections.
    seed : int
        Seed of those draws.
    device : str
        Where the detector runs.
    progress : bool
        A tqdm bar (stderr) counting scenes.

    Returns
    -------
    dict
        ``table``: one row per explained detection that matches an object (scene, index,
        object, label, score and the shares); ``explained``: per scene, the list of
        :class:`~axlib.explain.axai_detection.DetectionExplanation` (empty when nothing was
        detected); ``segments``: per scene its (H, W) segment labels; ``counts``: detections, matched
        detections, objects and scenes without a detection.
    """
    from tqdm.std import tqdm

    from axlib.explain.axai_detection import axai_detection, detect
    from axlib.segment import quickshift

    generator = torch.Generator().manual_seed(check_int("seed", seed, low=0))
    per_batch = check_int("per_batch", per_batch, low=1)
    random_draws = check_int("random_draws", random_draws, low=1)
    min_score = check_number("min_score", min_score, 0, 1)
    rows, explained, segments, detections, empty = [], [], [], 0, 0
    for i in tqdm(range(len(scenes)), desc="AXAI per detection", unit="scene", disable=not progress,
                  file=sys.stderr, mininterval=5):
        segments.append(quickshift(scenes.x[i], **segmentation))
        image = scenes.x[i].to(device)
        chosen = [j for j, score in enumerate(detect(detector, image)["scores"].tolist()) if score >= min_score]
        if not chosen:
            explained.append([])
            empty += 1
            continue
        result = [_to_cpu(e) for start in range(0, len(chosen), per_batch)
                  for e in axai_detection(detector, image, segments[i].to(device), indices=chosen[start:start + per_batch],
                                          k=k, a=a, steps=steps)]
        explained.append(result)
        detections += len(result)
        for row in explanation_shares(result, scenes.boxes[i], scenes.labels[i], segments[i], k=k,
                                      generator=generator, random_draws=random_draws):
            rows.append({"scene": i, **row})
    table = pd.DataFrame(rows, columns=["scene", "index", "object", "label", "score", "inside_share", "box_share",
                                        "enrichment", "random_inside_share", "background_share",
                                        "background_fraction", "background_ratio"])
    counts = {"scenes": len(scenes), "objects": int(sum(len(b) for b in scenes.boxes)), "detections": detections,
              "matched": len(table), "scenes_without_detection": empty}
    return {"table": table, "explained": explained, "segments": segments, "counts": counts}


def _to_cpu(explanation):
    from dataclasses import fields, replace

    return replace(explanation, **{f.name: getattr(explanation, f.name).cpu() for f in fields(explanation)
                                   if isinstance(getattr(explanation, f.name), torch.Tensor)})


def matched_object(box: torch.Tensor, label: int, gt_boxes: torch.Tensor, gt_labels: torch.Tensor, *,
                   iou: float = 0.5) -> int | None:
    """The index of the ground-truth object a detection matches (same label, largest IoU, at
    least ``iou``), or None (a false positive)."""
    if len(gt_boxes) == 0:
        return None
    overlaps = box_iou_matrix(box[None], gt_boxes)[0]
    overlaps[gt_labels != label] = -1.0
    best = int(overlaps.argmax())
    return best if overlaps[best] >= iou else None


def explanation_shares(explained: Sequence, gt_boxes: torch.Tensor, gt_labels: torch.Tensor,
                       segments: torch.Tensor, *, k: int, generator: torch.Generator,
                       random_draws: int = 10) -> list[dict]:
    """One row per detection of one scene that matches an object (see the module docstring).

    explained: :class:`~axlib.explain.axai_detection.DetectionExplanation` of the scene's
    detections; gt_boxes (M, 4), gt_labels (M,): the scene's objects; segments (H, W): the
    segmentation AXAI used; k: its number of top segments (the random null draws as many);
    generator: the random segments' draws. Rows hold ``index``, ``object`` and the shares.
    """
    height, width = segments.shape[-2:]
    object_masks = box_masks(gt_boxes.reshape(-1, 4), height, width)          # (M, H, W)
    boxes_mask = object_masks.any(dim=0)
    background_fraction = float((~boxes_mask).float().mean())
    ids = torch.unique(segments)
    rows = []
    for e in explained:
        j = matched_object(e.box, e.label, gt_boxes, gt_labels)
        if j is None:
            continue
        inside = object_masks[j]
        explained_pixels = max(int(e.mask.sum()), 1)
        random_shares = []
        for _ in range(random_draws):
            chosen = ids[torch.randperm(len(ids), generator=generator)[:k]]
            mask = torch.isin(segments, chosen)
            random_shares.append(float((mask & inside).sum()) / max(int(mask.sum()), 1))
        inside_share = float((e.mask & inside).sum()) / explained_pixels
        box_share = float(inside.float().mean())
        background_share = float((e.mask & ~boxes_mask).sum()) / explained_pixels
        rows.append({"index": e.index, "object": j, "label": e.label, "score": e.score,
                     "inside_share": inside_share, "box_share": box_share, "enrichment": inside_share / box_share,
                     "random_inside_share": float(np.mean(random_shares)), "background_share": background_share,
                     "background_fraction": background_fraction,
                     "background_ratio": background_share / background_fraction if background_fraction > 0 else np.nan})
    return rows


def estimates(table: pd.DataFrame, *, seed: int = 0) -> dict[str, Estimate]:
    """The estimates of the three E.2 rules from a table of :func:`explanation_shares` rows with
    a ``scene`` column: {"enrichment", "inside_minus_random", "background_ratio"}, each the mean
    over detections with a bootstrap interval over scenes, n = detections."""
    if "scene" not in table or table.empty:
        raise ValueError("table must hold explanation_shares rows with a 'scene' column")
    values = {"enrichment": table["enrichment"],
              "inside_minus_random": table["inside_share"] - table["random_inside_share"],
              "background_ratio": table["background_ratio"]}
    out = {}
    for name, column in values.items():
        frame = pd.DataFrame({"scene": table["scene"], "v": column}).dropna()
        per_scene = frame.groupby("scene")["v"].agg(["sum", "count"])
        value, low, high = bootstrap_ci(lambda s, c: float(s.sum() / c.sum()), per_scene["sum"].to_numpy(),
                                        per_scene["count"].to_numpy(), seed=seed)
        out[name] = Estimate(value, min(low, value), max(high, value), int(per_scene["count"].sum()),
                             n_of="detections", interval="bootstrap over scenes")
    return out


CLAIMS = {"enrichment": "axai.appE2.on_object", "inside_minus_random": "axai.appE2.beyond_random",
          "background_ratio": "axai.appE2.ignores_background"}
"""The catalogue claim each estimate of :func:`estimates` is judged by."""


def claim_fields(result: dict, *, detector: str, k: int, seed: int = 0) -> dict[str, dict]:
    """:meth:`~axlib.companion.results.Recorder.judge` keywords of the three E.2 claims, by claim
    id; result: :func:`explain_scenes`'s. With no matched detection every estimate has n = 0
    (the rules say inconclusive)."""
    c = result["counts"]
    table = result["table"]
    where = (f"{detector}, {c['matched']} detections matching an object (of {c['detections']} detections, "
             f"{c['objects']} objects, {c['scenes']} scenes), K = {k}")
    if table.empty:       # n = 0: the rules say inconclusive
        empty = Estimate(0.0, 0.0, 0.0, 0, n_of="detections", interval="no detection matched an object")
        return {claim: {"estimate": empty, "note": f"no detection matched an object; {where}"}
                for claim in CLAIMS.values()}
    found = estimates(table, seed=seed)
    units = {"enrichment": "inside-box share / box share", "inside_minus_random": "inside-box share, AXAI - random",
             "background_ratio": "background share / background's share of the image"}
    notes = {"enrichment": f"mean inside-box share {table['inside_share'].mean():.3f} against the box's share of "
                           f"the image {table['box_share'].mean():.3f}",
             "inside_minus_random": f"AXAI's top-{k} segments {table['inside_share'].mean():.3f} inside the box, "
                                    f"{k} random segments {table['random_inside_share'].mean():.3f}",
             "background_ratio": f"{table['background_share'].mean():.3f} of the explanation on background, which "
                                 f"is {table['background_fraction'].mean():.3f} of the image"}
    return {claim: {"estimate": found[name], "unit": units[name], "note": f"{notes[name]}; {where}"}
            for name, claim in CLAIMS.items()}


def detection_summary(result: dict) -> pd.DataFrame:
    """The three shares side by side with their chance levels: one row per share, columns
    ``AXAI`` (mean over matched detections), ``chance`` (the box's / background's share of the
    image) and ``K random segments``."""
    t = result["table"]
    return pd.DataFrame({
        "AXAI": [t["inside_share"].mean(), t["background_share"].mean()],
        "chance (share of the image)": [t["box_share"].mean(), t["background_fraction"].mean()],
        "K random segments": [t["random_inside_share"].mean(), np.nan],
    }, index=["explanation inside the detection's box", "explanation on background (outside every box)"])


def plot_fig19(scenes, result: dict, *, n: int, class_names: Sequence[str], suptitle: str = ""):
    """Fig. 19's counterpart: for each of the first ``n`` scenes with a detection, the scene with
    its ground-truth boxes (white, dashed) and detected boxes (coloured, with label and score),
    then one panel per detection: the explanation (its top-K segments, the rest dimmed) with the
    detection's box. Returns the matplotlib Figure."""
    import matplotlib.patches as patches
    from matplotlib.figure import Figure

    from axlib.plots import to_hwc

    chosen = [i for i, e in enumerate(result["explained"]) if e][:check_int("n", n, low=1)]
    if not chosen:
        raise ValueError("no scene has a detection: nothing to draw")
    columns = 1 + max(len(result["explained"][i]) for i in chosen)
    fig = Figure(figsize=(2.4 * columns, 2.5 * len(chosen)), layout="constrained")
    axes = np.asarray(fig.subplots(len(chosen), columns, squeeze=False))
    colours = ["tab:red", "tab:cyan", "tab:orange", "tab:green", "tab:purple", "tab:pink"]

    def draw_box(ax, box, colour, style="-"):
        x0, y0, x1, y1 = [float(v) for v in box]
        ax.add_patch(patches.Rectangle((x0 - 0.5, y0 - 0.5), x1 - x0, y1 - y0, fill=False, lw=1.5,
                                       edgecolor=colour, linestyle=style))

    for row, i in enumerate(chosen):
        image = to_hwc(scenes.x[i])
        ax = axes[row, 0]
        ax.imshow(image)
        for box in scenes.boxes[i]:
            draw_box(ax, box, "white", "--")
        for j, e in enumerate(result["explained"][i]):
            draw_box(ax, e.box, colours[j % len(colours)])
        ax.set_title(f"scene {i}: {len(result['explained'][i])} detection(s)", fontsize=8)
        for j, e in enumerate(result["explained"][i]):
            ax = axes[row, 1 + j]
            shown = image * np.where(e.mask.numpy()[..., None], 1.0, 0.25)
            ax.imshow(shown)
            draw_box(ax, e.box, colours[j % len(colours)])
            ax.set_title(f"{class_names[e.label]} {e.score:.2f} -> {e.score_after:.2f}", fontsize=8)
        for ax in axes[row]:
            ax.set_xticks([])
            ax.set_yticks([])
            if not ax.images:
                ax.set_axis_off()
    if suptitle:
        fig.suptitle(suptitle)
    return fig
