"""Convert the official int8 MobileNetV2 to float32 safetensors, ship ImageNet sample images, measure.

Inputs (development copies, ../shared/data; never needed by the product):
  mobilenet-v2-int8/mobilenet_quantized.pt   TorchScript, int8 (PyTorch iOS demo app, BSD)
  imagenet-samples/<wnid>_<name>.JPEG        1,000 ImageNet images, one per class
Outputs:
  data/models/imagenet-mobilenetv2.safetensors + .json (card with conversion, source sha256,
  top-1 on the 1,000 and the embedded 250 images, int8 agreement, skimage top-5, and per-image
  predictions of the first 16 embedded images for the tests)
  data/imagenet/samples/  every 4th sample file in sorted order (250), byte-exact copies
  manifest entries for every file written (``axlib.data.manifest.add``), or, when that module
  is not there, data/imagenet/PROVENANCE.md

Run: .venv/bin/python scripts/convert_mobilenet_v2.py   (about a minute on one CPU thread)
"""
from __future__ import annotations

import argparse
import platform
import shutil
import time
from pathlib import Path

import torch

from axlib._util.paths import repo_data_dir, shared_data_dir
from axlib.data.imagenet import (
    EMBEDDED_DIR,
    IMAGENET_CLASSES,
    IMAGENET_WNIDS,
    IMAGENET_WORDS,
    _files_in,
    imagenet_samples,
    load_images,
    preprocess,
    sample_paths,
)
from axlib.models.checkpoints import save_state, sha256_of
from axlib.models.mobilenet import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    convert_int8_torchscript,
    int8_forward,
    load_int8_torchscript,
)

NAME = "imagenet-mobilenetv2"
EVERY = 4
N_RECORDED = 16
SKIMAGE_IMAGES = ("chelsea", "coffee", "rocket", "astronaut")
SOURCE_ORIGIN = ("github.com/pytorch/ios-demo-app, "
                 "PyTorchDemo/PyTorchDemo/ImageClassification/model/mobilenet_quantized.pt "
                 "(torchvision mobilenet_v2(pretrained=True, quantize=True), fbgemm-quantised, "
                 "traced and optimised for mobile)")
IMAGES_ORIGIN = ("github.com/EliSchwartz/imagenet-sample-images at commit "
                 "22d0a5c9c5c76d13532da2d29ea7fa2e9e034387 (one image per ImageNet class), byte copy")
IMAGES_LICENCE = ("ImageNet terms of access: non-commercial research and educational use; "
                  "no licence stated by the collection")
MODEL_LICENCE = ("BSD 3-Clause (torchvision weights as redistributed by the PyTorch iOS demo app); "
                 "see data/models/LICENSE-mobilenet-v2")


def logits_in_batches(forward, x: torch.Tensor, batch: int = 50) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([forward(x[i:i + batch]) for i in range(0, len(x), batch)])


def top5(model, x: torch.Tensor) -> list[dict]:
    with torch.no_grad():
        prob = model(x.unsqueeze(0)).softmax(1)[0]
    values, indices = prob.topk(5)
    return [{"index": int(i), "class": IMAGENET_CLASSES[i], "probability": round(float(v), 4)}
            for v, i in zip(values, indices)]


def copy_samples(src_dir: Path, dst_dir: Path) -> list[Path]:
    """Copy every EVERY-th sample file (sorted order) byte for byte; remove stale files."""
    chosen = _files_in(src_dir)[::EVERY]
    dst_dir.mkdir(parents=True, exist_ok=True)
    wanted = {p.name for p in chosen}
    for old in dst_dir.iterdir():
        if old.name not in wanted:
            old.unlink()
    written = []
    for src in chosen:
        dst = dst_dir / src.name
        if not dst.exists() or sha256_of(dst) != sha256_of(src):
            shutil.copyfile(src, dst)
        if sha256_of(dst) != sha256_of(src):
            raise RuntimeError(f"copy of {src.name} differs from its source")
        written.append(dst)
    return written


def register_files(entries: list[tuple[str, str, str, str]]) -> str:
    """Add (relpath, origin, licence, description) to the manifest, else write PROVENANCE.md."""
    try:
        from axlib.data import manifest
        add = manifest.add
    except (ImportError, AttributeError):
        add = None
    if add is not None:
        for relpath, origin, licence, description in entries:
            add(relpath, origin=origin, licence=licence, description=description)
        return "manifest"
    lines = ["# Provenance of data/imagenet and data/models/imagenet-mobilenetv2*",
             "", "Written by scripts/convert_mobilenet_v2.py (the data manifest module was not available).",
             "Paths are relative to data/.", "",
             "| path | sha256 | origin | licence | description |", "| --- | --- | --- | --- | --- |"]
    for relpath, origin, licence, description in entries:
        digest = sha256_of(repo_data_dir() / relpath)
        lines.append(f"| `{relpath}` | `{digest}` | {origin} | {licence} | {description} |")
    out = repo_data_dir() / "imagenet" / "PROVENANCE.md"
    out.write_text("\n".join(lines) + "\n")
    return str(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=shared_data_dir(),
                        help="folder holding mobilenet-v2-int8/ and imagenet-samples/ (default ../shared/data)")
    args = parser.parse_args()
    if args.shared is None:
        raise SystemExit("no ../shared/data: pass --shared DIR with mobilenet-v2-int8/ and imagenet-samples/")
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    source = args.shared / "mobilenet-v2-int8" / "mobilenet_quantized.pt"
    samples_dir = args.shared / "imagenet-samples"
    data = repo_data_dir()

    # 1. conversion
    model, layers = convert_int8_torchscript(source)
    int8_model = load_int8_torchscript(source)
    print(f"converted {len(layers)} layers ({sum(p.numel() for p in model.parameters())} parameters)")

    # 2. the embedded sample images
    copied = copy_samples(samples_dir, data / EMBEDDED_DIR)
    print(f"copied {len(copied)} sample images to {data / EMBEDDED_DIR}")

    # 3. measurements on all 1,000 images: float top-1, int8 top-1, agreement
    files = _files_in(samples_dir)
    if len(files) != 1000:
        raise RuntimeError(f"expected 1,000 sample images in {samples_dir}, found {len(files)}")
    x, y = load_images(files)
    float_logits = logits_in_batches(model, x)
    int8_logits = logits_in_batches(lambda b: int8_forward(int8_model, b), x)
    float_pred, int8_pred = float_logits.argmax(1), int8_logits.argmax(1)
    top1_1000 = (float_pred == y).float().mean().item()
    top1_int8 = (int8_pred == y).float().mean().item()
    agreement = (float_pred == int8_pred).float().mean().item()
    top5_1000 = (float_logits.topk(5, 1).indices == y[:, None]).any(1).float().mean().item()
    max_diff = (float_logits - int8_logits).abs().max().item()
    print(f"1,000 images: float top-1 {top1_1000:.3f}, int8 top-1 {top1_int8:.3f}, agreement {agreement:.3f}")

    # 4. the embedded 250 through the product's own loader
    xe, ye, _ = imagenet_samples(source="embedded")
    emb_logits = logits_in_batches(model, xe)
    top1_250 = (emb_logits.argmax(1) == ye).float().mean().item()
    print(f"embedded 250: top-1 {top1_250:.3f}")
    emb_prob = emb_logits[:N_RECORDED].softmax(1)
    recorded = {p.name: {"label": int(ye[i]), "top1": int(emb_prob[i].argmax()),
                         "top1_probability": round(float(emb_prob[i].max()), 4)}
                for i, p in enumerate(sample_paths(source="embedded")[:N_RECORDED])}

    # 5. scikit-image's example photographs
    import skimage.data
    skimage_predictions = {name: top5(model, preprocess(getattr(skimage.data, name)()))
                           for name in SKIMAGE_IMAGES}
    for name, preds in skimage_predictions.items():
        print(name, [(p["class"], p["probability"]) for p in preds[:3]])

    card = {
        "name": NAME,
        "description": "ImageNet MobileNetV2 1.0 in float32, dequantised from torchvision's official int8 weights",
        "architecture": ("axlib.models.mobilenet.MobileNetV2Folded: Normalize(ImageNet mean/std), MobileNetV2 1.0 "
                         "features with batch norm folded into each conv (conv with bias, no BN) and ReLU "
                         "(not ReLU6), global average pool, Dropout(0.2), Linear(1280, 1000)"),
        "parameters": sum(p.numel() for p in model.parameters()),
        "dataset": "imagenet",
        "input": "(B, 3, 224, 224) float pixels in [0, 1], RGB; normalisation is inside the model",
        "output": "(B, 1000) logits, classes in sorted-wnid order (axlib.data.imagenet.IMAGENET_CLASSES)",
        "preprocessing": {"resize_shorter_side": 256, "center_crop": 224, "interpolation": "bilinear",
                          "antialias": True, "mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD),
                          "function": "axlib.data.imagenet.preprocess"},
        "recipe": None,
        "conversion": ("each quantised conv/linear of the int8 TorchScript model (quantized engine qnnpack) "
                       "unpacked with torch.ops.quantized.conv2d_unpack / linear_unpack; int8 weights "
                       "(per-tensor affine) dequantised as scale * (q - zero_point), float biases copied "
                       "as they are, into the float layer of the same name; activations stay float, so "
                       "the float model differs slightly from the int8 one"),
        "source": {"file": source.name, "sha256": sha256_of(source), "origin": SOURCE_ORIGIN,
                   "licence": MODEL_LICENCE},
        "licence": MODEL_LICENCE,
        "layers_converted": len(layers),
        "evaluation_set": ("ImageNet sample images (one per class, 1,000 images, "
                           f"{IMAGES_ORIGIN}); easier than the validation split, on which torchvision "
                           "reports 71.9% top-1 for the float and 71.7% for the int8 MobileNetV2"),
        "top1_sample_images_1000": round(top1_1000, 4),
        "top5_sample_images_1000": round(top5_1000, 4),
        "top1_embedded_250": round(top1_250, 4),
        "int8_top1_sample_images_1000": round(top1_int8, 4),
        "int8_top1_agreement": round(agreement, 4),
        "int8_max_abs_logit_difference": round(max_diff, 4),
        "skimage_predictions": skimage_predictions,
        "embedded_predictions": recorded,
        "torch": torch.__version__, "machine": platform.machine(), "threads": torch.get_num_threads(),
        "script": "scripts/convert_mobilenet_v2.py",
    }
    written = save_state(model, data / "models" / f"{NAME}.safetensors", card)
    print(f"wrote {data / 'models' / (NAME + '.safetensors')} sha256 {written['sha256']}")

    # 6. provenance of every file written
    entries = [
        (f"models/{NAME}.safetensors", SOURCE_ORIGIN, MODEL_LICENCE,
         "float32 MobileNetV2 (BN folded, ReLU), dequantised from the official int8 weights"),
        (f"models/{NAME}.json", "written by scripts/convert_mobilenet_v2.py", MODEL_LICENCE,
         "model card: conversion, source sha256, measured top-1, recorded predictions"),
        ("models/LICENSE-mobilenet-v2", "github.com/pytorch/ios-demo-app LICENSE", MODEL_LICENCE,
         "licence of the MobileNetV2 weights"),
        ("imagenet/words.txt", "PyTorch iOS demo app (words.txt beside the model)",
         "BSD 3-Clause (PyTorch iOS demo app); ImageNet class names",
         "the 1,000 ImageNet class names (synonym lists) in label order"),
        ("imagenet/wnids.txt", f"file names of {IMAGES_ORIGIN}", "WordNet ids (WordNet 3.0 licence, permissive)",
         "the 1,000 ImageNet WordNet ids, sorted: line i is label i"),
    ]
    entries += [(f"{EMBEDDED_DIR}/{p.name}", IMAGES_ORIGIN, IMAGES_LICENCE,
                 f"ImageNet sample image of class {IMAGENET_WNIDS.index(p.name.split('_')[0])} "
                 f"({IMAGENET_WORDS[IMAGENET_WNIDS.index(p.name.split('_')[0])].split(',')[0]})")
                for p in copied]
    where = register_files(entries)
    print(f"registered {len(entries)} files in {where}; {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
