"""GPU check: time AXAI (batch 1 and 32), LIME and SHAP on a ResNet-style ImageNet model.

Run it whenever a GPU machine is at hand (it needs no network: the model is torchvision's
ResNet34 architecture with seeded random weights, since running time does not depend on the
weights' values; the images are the embedded ImageNet samples)::

    python scripts/gpu_check.py --out runs/bench/gpu_check.json          # cuda, about 3-5 minutes

and record the JSON's figures on the benchmark page (notebook 04). ``--device cpu --images 1
--size 64 --batch 2 --lime-samples 10 --shap-samples 2`` runs the same code path in seconds on a
CPU (``tests/test_gpu_check.py`` does).
Writes: device name, torch version, image size, per method the median milliseconds per image
at batch 1, AXAI's images per second at batch 32, and the LIME/AXAI and SHAP/AXAI ratios.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torchvision

from axlib.data.imagenet import imagenet_samples
from axlib.models.normalize import Normalize
from axlib.models.pretrained import IMAGENET_MEAN, IMAGENET_STD
from axlib.papers.axai.bench import bench
from axlib.segment import LIME_DEFAULTS


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--lime-samples", type=int, default=1000)
    parser.add_argument("--shap-samples", type=int, default=200)
    parser.add_argument("--size", type=int, default=224, help="image side in pixels (smaller: a quick smoke run)")
    parser.add_argument("--batch", type=int, default=32, help="the batch size AXAI's throughput is measured at")
    parser.add_argument("--out", default="runs/bench/gpu_check.json")
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    model = torch.nn.Sequential(Normalize(IMAGENET_MEAN, IMAGENET_STD), torchvision.models.resnet34(weights=None))
    x = imagenet_samples(args.images)[0]
    if args.size != x.shape[-1]:
        x = torch.nn.functional.interpolate(x, size=(args.size, args.size), mode="bilinear", antialias=True).clamp(0, 1)
    start = time.perf_counter()
    result = bench(model, x, repeats=1, warmup={"axai": 1}, batch_sizes=(1, args.batch), device=args.device,
                   settings={"segment": dict(LIME_DEFAULTS), "axai": dict(k=10, a=15.0, steps=20),
                             "lime": dict(LIME_DEFAULTS, num_samples=args.lime_samples, num_features=5,
                                          batch_size=100),
                             "shap": dict(nsamples=args.shap_samples, batch_size=50)},
                   n_background=min(4, args.images), throughput_methods=("axai",))
    runs = result["results"]
    summary = {"device": result["device_name"], "torch": result["torch"], "threads": result["threads"],
               "model": "torchvision resnet34 (seeded random weights: timing only)",
               "images": args.images, "image_size": result["image_size"],
               "ms_per_image_batch1": {m: 1000 * runs[m]["batch1"]["median"] for m in ("axai", "lime", "shap")},
               "axai_images_per_s": {b: runs["axai"]["throughput"][b]["images_per_s"] for b in runs["axai"]["throughput"]},
               "ratios": result["ratios"], "wall_s": time.perf_counter() - start}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps(summary, indent=1))
    return summary


if __name__ == "__main__":
    main()
