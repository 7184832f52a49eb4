"""Training the detection-scenes detector (``axlib train scenes-centernet``; AXAI appendix E.2).

Every training step draws fresh scenes (:func:`axlib.data.scenes.make_scenes`) from the batch's
CIFAR-10 training objects: ``recipe["scenes_per_epoch"]`` scenes an epoch, from as many training
images drawn at random once (seeded; the training set is stored sorted by class, so its first
images would be four classes only), each scene 1 to 3 of the batch's objects on a photograph
crop, seeded by the step number, so the run is reproducible and never sees the same scene
twice (a resumed run counts steps from its resume point again, so its scenes differ). The card's accuracy is mAP@0.5
(:func:`axlib.metrics.detection.mean_average_precision`) on ``recipe["eval_scenes"]`` held-out
scenes built from the embedded CIFAR-10 *test* subset (seed 12345): objects the detector never
saw, on the same backgrounds.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import torch

__all__ = ["EVAL_SEED", "evaluation_scenes", "detector_map", "train_scenes_detector"]

EVAL_SEED = 12345


def evaluation_scenes(n: int):
    """The held-out scenes of the card: ``n`` scenes of the embedded CIFAR-10 test subset's objects."""
    from axlib.data.cifar import cifar10_test
    from axlib.data.scenes import make_scenes

    x, y, _ = cifar10_test()
    return make_scenes(x, y, n, seed=EVAL_SEED)


@torch.no_grad()
def detector_map(model, scenes, *, batch_size: int = 64) -> dict:
    """mAP@0.5 of ``model`` (eval mode) on ``scenes`` (:class:`~axlib.data.scenes.Scenes` or
    :class:`~axlib.data.coco.DetectionImages`: images passed as a list, torchvision's interface,
    on the model's device)."""
    from axlib.metrics.detection import mean_average_precision

    model.eval()
    device = next(model.parameters()).device
    detections = []
    for start in range(0, len(scenes), batch_size):
        found = model([image.to(device) for image in scenes.x[start:start + batch_size]])
        detections += [{key: value.cpu() for key, value in d.items()} for d in found]
    return mean_average_precision(detections, scenes.targets())


def train_scenes_detector(name: str, spec, *, epochs: int | None, out, device: str, source: str) -> dict:
    """``axlib.models.train`` for a model of dataset "cifar10-scenes" (see the module docstring)."""
    from axlib.data.cifar import cifar10
    from axlib.data.scenes import make_scenes
    from axlib.models.centernet import centernet_loss, encode_targets
    from axlib.models.checkpoints import save_state
    from axlib.models.registry import _card, _recipe, _record_in_manifest, checkpoint_path
    from axlib.models.train import discard_resume, fit

    recipe = _recipe(spec, epochs)
    out = Path(out) if out else checkpoint_path(name).parent
    x_all, y_all, _ = cifar10("train", source=source)
    per_epoch = min(recipe["scenes_per_epoch"], len(y_all))
    chosen = torch.randperm(len(y_all), generator=torch.Generator().manual_seed(recipe["seed"]))[:per_epoch]
    x_train, y_train = x_all[chosen], y_all[chosen]        # a seeded random subset: the set is sorted by class
    torch.manual_seed(recipe["seed"])
    model = spec.build().to(device)
    step_counter = {"n": 0}

    def scene_step(net, xb, yb):
        step_counter["n"] += 1
        scenes = make_scenes(xb.cpu(), yb.cpu(), len(yb), seed=recipe["seed"] * 1_000_003 + step_counter["n"])
        targets = encode_targets(scenes.boxes, scenes.labels, num_classes=net.num_classes,
                                 height=scenes.x.shape[-2], width=scenes.x.shape[-1])
        return centernet_loss(net.heads(scenes.x.to(xb.device)), targets.to(xb.device))

    t0 = time.perf_counter()
    log = fit(model, x_train.to(device), y_train.to(device), dict(recipe, augment=None), batch_step=scene_step,
              work_dir=out / f"{name}.work", resume_tag=source)
    wall = time.perf_counter() - t0
    model = model.cpu().eval()
    held_out = evaluation_scenes(recipe["eval_scenes"])
    result = detector_map(model, held_out)
    card = _card(name, spec, model, source, recipe, {
        "map50": result["map"], "map50_per_class": {str(k): v for k, v in result["per_class"].items()},
        "eval_set": f"{len(held_out)} held-out scenes of the embedded CIFAR-10 test subset's objects (seed {EVAL_SEED}), "
                    f"{sum(len(b) for b in held_out.boxes)} objects",
        "score_threshold": model.score_threshold,
    }, wall=wall, device=device, log=log)
    save_state(model, out / f"{name}.safetensors", card)
    _record_in_manifest(out / f"{name}.safetensors", name, spec, source)
    discard_resume(out / f"{name}.work")
    print(json.dumps({k: card[k] for k in ("name", "map50")}))
    return card
