"""``axlib explain``: AXAI and the baselines on your own images, with any registered model.

    axlib explain IMAGE ... [--model imagenet-mobilenetv2] [--methods axai,gradcam,gradient,ig]
                            [--k 10] [--out explained] [--device cpu]

An IMAGE is a file (anything Pillow reads) or ``skimage:NAME`` for a scikit-image sample
photograph (``skimage:chelsea``). Each image is prepared as the model's training data was
(ImageNet models: the shorter side resized to 256, the central 224 x 224 crop; CIFAR-10 models:
the whole image resized to 32 x 32; the robust study's canvas models: 64 x 64), explained for
the model's predicted class, and written as ``<out>/<stem>.png``: the image with its prediction,
AXAI's top-K QuickShift segments (:data:`SEGMENTATION`) with the class the attack
reached, and each other method's map over the image. ``<out>/<stem>.json`` holds the
prediction, AXAI's segments and attacked class, each map's summary (the share of its total
attribution in AXAI's top-K segments) and each method's wall time in seconds.
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

DEFAULT_METHODS = ("axai", "gradcam", "gradient", "ig")
IMAGE_SIZES = {"imagenet": 224, "cifar10": 32, "cifar10-canvas64": 64}
"""Input side of the models of each image data set (the registry's ``dataset``)."""
_SMALL = {"kernel_size": 1, "max_dist": 3, "ratio": 0.2}
SEGMENTATION = {"imagenet": {"kernel_size": 4, "max_dist": 200, "ratio": 0.2}, "cifar10": _SMALL,
                "cifar10-canvas64": _SMALL}
"""QuickShift settings per data set: LIME's defaults at 224 pixels; on small images the book's
CIFAR-10 setting (kernel 1, max distance 3: LIME's kernel 4 leaves one or two segments)."""


def load_image(source: str, dataset: str) -> torch.Tensor:
    """The image ``source`` (a file, or ``skimage:NAME``) prepared for a model of ``dataset``.

    Returns float32 (3, s, s) in [0, 1], s = :data:`IMAGE_SIZES` [dataset]. Raises
    FileNotFoundError for a missing file, ValueError for an unreadable one, an unknown
    scikit-image name or a data set without image models.
    """
    from PIL import Image, UnidentifiedImageError

    from axlib.data.imagenet import preprocess

    if dataset not in IMAGE_SIZES:
        raise ValueError(f"the model's data set must be one of {sorted(IMAGE_SIZES)} (image models), got {dataset!r}")
    if source.startswith("skimage:"):
        from skimage import data as skdata

        name = source.split(":", 1)[1]
        loader = getattr(skdata, name, None)
        if not callable(loader):
            raise ValueError(f"image {source!r}: {name!r} is not a scikit-image sample (try skimage:chelsea)")
        image = Image.fromarray(np.asarray(loader()))
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"image {source!r} not found")
        try:
            image = Image.open(path)
            image.load()
        except (UnidentifiedImageError, OSError) as error:
            raise ValueError(f"image {source!r} cannot be read as an image ({error})") from None
    side = IMAGE_SIZES[dataset]
    if dataset == "imagenet":
        return preprocess(image)
    return preprocess(image.convert("RGB").resize((side, side), Image.BILINEAR), resize=side, crop=side)


def class_names(dataset: str) -> Sequence[str]:
    """The class names of the models of ``dataset``, in label order."""
    if dataset == "imagenet":
        from axlib.data.imagenet import IMAGENET_CLASSES
        return IMAGENET_CLASSES
    from axlib.data.cifar import CIFAR10_CLASSES
    return CIFAR10_CLASSES


def explain(model_name: str, source: str, *, methods: Sequence[str] = DEFAULT_METHODS, k: int = 10,
            device: str = "cpu") -> tuple[dict, object]:
    """Explain one image (see the module's docstring). Returns (summary dict, Figure).

    Raises ValueError for an unknown model or method, k < 1, or a bad image (see
    :func:`load_image`).
    """
    from axlib import plots, segment
    from axlib._util.checks import check_int
    from axlib.explain import attribute
    from axlib.explain.attribution import METHODS, OUTPUT
    from axlib.explain.axai import axai
    from axlib.models.registry import MODELS, load

    k = check_int("k", k, low=1)
    if model_name not in MODELS:
        raise ValueError(f"model must be one of {sorted(MODELS)}, got {model_name!r}")
    methods = list(methods)
    maps_only = [m for m in methods if m != "axai"]
    accepted = sorted(m for m in METHODS if OUTPUT[m] == "B,H,W" and m not in ("axai", "lime_package", "shap_gradient"))
    unknown = [m for m in maps_only if m not in accepted]
    if unknown:
        raise ValueError(f"methods must be among {accepted}, got {unknown}")
    dataset = MODELS[model_name].dataset
    x = load_image(source, dataset)[None].to(device)
    model = load(model_name, device=device)
    names = class_names(dataset)
    with torch.no_grad():
        probs = model(x).softmax(1)[0]
    label = int(probs.argmax())
    segments = segment.quickshift(x.cpu(), **SEGMENTATION[dataset])
    seconds, maps = {}, {}
    start = time.perf_counter()
    explanation = axai(model, x, segments.to(device), k=k)
    seconds["axai"] = time.perf_counter() - start
    mask = explanation.mask[0].cpu()
    for method in maps_only:
        start = time.perf_counter()
        maps[method] = attribute(method, model, x, target=label)[0].detach().cpu().float()
        seconds[method] = time.perf_counter() - start
    adv = int(explanation.adv_label[0])
    summary = {
        "image": source, "model": model_name, "predicted": names[label], "probability": round(float(probs[label]), 4),
        "axai": {"k": k, "segments": [int(s) for s in explanation.top_k[0] if s >= 0],
                 "area": round(float(mask.float().mean()), 4), "attacked_to": names[adv],
                 "segmentation": dict(SEGMENTATION[dataset])},
        "maps": {m: {"share_in_axai_top_k": round(float(a.clamp(min=0)[mask].sum() / a.clamp(min=0).sum().clamp(min=1e-12)), 4)}
                 for m, a in maps.items()},
        "seconds": {m: round(s, 3) for m, s in seconds.items()},
        "device": str(device), "threads": torch.get_num_threads(),
    }
    image = x[0].cpu()
    figure = plots.show_attributions(
        image, [None, mask, *maps.values()],
        [f"{names[label]} ({float(probs[label]):.0%})", f"AXAI top-{k} (attack: {names[adv]})", *maps],
        labels=segments[0], suptitle=f"{Path(source).name if ':' not in source else source} - {model_name}")
    return summary, figure


def explain_cli(args) -> int:
    """``axlib explain``: one figure and one JSON per image in ``args.out``; 0 on success."""
    from axlib._util.checks import check_device

    device = str(check_device(args.device))
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for source in args.images:
        summary, figure = explain(args.model, source, methods=methods, k=args.k, device=device)
        stem = Path(source.split(":", 1)[1] if source.startswith("skimage:") else source).stem
        figure.savefig(out / f"{stem}.png", dpi=150, bbox_inches="tight")
        (out / f"{stem}.json").write_text(json.dumps(summary, indent=1) + "\n")
        timing = ", ".join(f"{m} {s:.2f} s" for m, s in summary["seconds"].items())
        print(f"{source}: {summary['predicted']} ({summary['probability']:.0%}); {timing} -> {out / stem}.png",
              file=sys.stdout)
    return 0
