"""Where AXAI's attack goes and what adversarial training changes (AXAI appendices D and E.5),
as notebook 04b runs them.

* Appendix D (Fig. 16): the untargeted attack moves an image to a *neighbouring* class.
  :func:`attack_destinations` tabulates, per image, the model's class, the class after PGD-20 and
  whether that class was among the clean top-5 predictions; :func:`destination_claim` records the
  share of flipped images whose new class was; :func:`plot_fig16` shows the 3 most attacked
  segments.
* Appendix E.5 (Fig. 20): a regularly and an adversarially trained AlexNet on CIFAR-10.
  :func:`robustness_table` measures both models' clean and L2 PGD-20 accuracy,
  :func:`centre_share` is a crude "object, not background" proxy (CIFAR-10 objects are roughly
  centred), :func:`compare_explanations` explains the same images with both models.
"""
from __future__ import annotations

import numpy as np
import torch

from axlib.companion.rules import Estimate
from axlib.intervals import difference_ci
from axlib.papers.axai.ablation import SEGMENTATIONS, K, rank_band_mask

__all__ = ["attack_destinations", "destination_claim", "plot_fig16", "robustness_table",
           "robust_claim", "card_summary", "centre_share", "compare_explanations", "plot_fig20",
           "centre_share_claim"]


# --------------------------------------------------------------------------- appendix D
def attack_destinations(model, d: dict, class_names) -> dict:
    """Where the untargeted attack took each image of an appendix E.4 run.

    d: a :func:`axlib.papers.axai.ablation.blur_experiment` result ("x" (N, 3, H, W) in [0, 1],
    "y" (N,) true labels, "adv" (N,) labels after PGD-20); class_names: names by label.
    Returns {"table": DataFrame (true, predicted, after attack, in clean top 5),
    "predicted": LongTensor (N,), "flipped": share of images whose class changed,
    "share_top5": share of the flipped ones whose new class was in the clean top 5 (nan when
    none flipped), "in_top5_flipped": that flag for each flipped image}.
    """
    import pandas as pd

    with torch.no_grad():
        top5 = model(d["x"]).topk(5, dim=1).indices
    pred = top5[:, 0]
    in_top5 = (top5 == d["adv"].view(-1, 1)).any(1)
    flipped = d["adv"] != pred
    share = float(in_top5[flipped].float().mean()) if bool(flipped.any()) else float("nan")
    table = pd.DataFrame({"true": [class_names[int(i)] for i in d["y"]],
                          "predicted": [class_names[int(i)] for i in pred],
                          "after attack": [class_names[int(i)] for i in d["adv"]],
                          "in clean top 5": in_top5.numpy()})
    return {"table": table, "predicted": pred, "flipped": float(flipped.float().mean()), "share_top5": share,
            "in_top5_flipped": in_top5[flipped].tolist()}


def destination_claim(dest: dict) -> dict:
    """Appendix D's claim from :func:`attack_destinations`, as keywords of
    :meth:`~axlib.companion.results.Recorder.judge`: the share of flipped images whose new class
    was among the clean top 5 (Clopper-Pearson over flipped images)."""
    flags = dest["in_top5_flipped"]
    return dict(claim="axai.appD.adv_class_in_top5", estimate=Estimate.proportion(sum(flags), len(flags), "flipped images"),
                unit="share of flipped images",
                note=("share of images whose PGD-20 class is among the clean top-5 predictions (MobileNetV2, "
                      "ImageNet samples); the paper shows one example"))


def plot_fig16(d: dict, predicted: torch.Tensor, class_names, show: int = 4):
    """Fig. 16: the first ``show`` images with the class before and after the attack and their
    3 most densely attacked segments. Returns the Figure."""
    from axlib import plots

    show = min(show, len(d["x"]))
    m3 = rank_band_mask(d["segments"][:show], d["ranking"][:show], 0, 3)
    return plots.show_explanations(
        [im for im in d["x"][:show] for _ in range(2)], [m for i in range(show) for m in (None, m3[i])],
        [t for i in range(show) for t in (class_names[int(predicted[i])][:18],
                                          "-> " + class_names[int(d["adv"][i])][:15])],
        ncols=4, size=2.3, suptitle="AXAI Fig. 16: the class reached by the attack and its 3 most attacked segments")


# --------------------------------------------------------------------------- appendix E.5
ROBUSTNESS_EPS = 0.5
"""L2 budget of the PGD-20 robustness check on CIFAR-10 (the models' cards use the same)."""


def robustness_table(models: dict, x: torch.Tensor, y: torch.Tensor) -> dict:
    """Clean and L2 PGD-20 (eps :data:`ROBUSTNESS_EPS`) accuracy of each model.

    models: {name: model}; x: (N, 3, 32, 32) in [0, 1]; y: (N,) labels.
    Returns {"results": {name: robustness dict}, "table": DataFrame (one row per model)}.
    """
    import pandas as pd

    from axlib.models.adversarial import robustness

    rob = {name: robustness(m, x, y, eps=ROBUSTNESS_EPS, steps=20) for name, m in models.items()}
    table = pd.DataFrame({k: {"clean accuracy": v["clean_accuracy"],
                              f"L2 PGD-20 accuracy (eps {ROBUSTNESS_EPS:g})": v["adversarial_accuracy"],
                              "images": v["n"]} for k, v in rob.items()}).T
    return {"results": rob, "table": table}


def robust_claim(rob: dict, regular: str, robust: str) -> dict:
    """Appendix E.5's robustness claim from :func:`robustness_table` results, as keywords of
    :meth:`~axlib.companion.results.Recorder.judge`: the robust minus the regular model's L2
    PGD-20 accuracy on the same images (Newcombe interval)."""
    n = int(rob[robust]["n"])
    k_r, k_v = (int(round(rob[m]["adversarial_accuracy"] * n)) for m in (robust, regular))
    gap = Estimate(*difference_ci(k_r, n, k_v, n), n, "images", "Newcombe, the two shares as independent (conservative)")
    return dict(claim="axai.appE5.robust_pgd20_accuracy", estimate=gap, unit=f"L2 PGD-20 accuracy gain, eps {ROBUSTNESS_EPS:g}",
                ours=f"{rob[robust]['adversarial_accuracy']:.3f} vs {rob[regular]['adversarial_accuracy']:.3f}",
                note="fast adversarial training (FGM + random start), not the paper's unspecified recipe")


def card_summary(card: dict, name: str) -> str:
    """One Markdown sentence of a robust model's card: its test accuracy and PGD-20 accuracy
    beside the regular model's."""
    return (f"Card of `{name}`: test accuracy {card['test_accuracy']:.3f} (10,000 images); "
            f"L2 PGD-20 accuracy {card['robustness']['adversarial_accuracy']:.3f} vs the regular model's "
            f"{card['vanilla_robustness']['adversarial_accuracy']:.3f} ({card['robustness_set']}).")


def centre_share(mask: torch.Tensor) -> float:
    """Mean share of each explanation's pixels in the central 16x16 of a 32x32 image.

    mask: BoolTensor (B, 32, 32). Returns a fraction in [0, 1] (an empty mask counts 0)."""
    if not isinstance(mask, torch.Tensor) or mask.dim() != 3 or tuple(mask.shape[-2:]) != (32, 32):
        raise ValueError(f"mask must be a tensor (B, 32, 32), got {getattr(mask, 'shape', type(mask))}")
    return float(mask[:, 8:24, 8:24].flatten(1).sum(1).div(mask.flatten(1).sum(1).clamp_min(1)).mean())


def compare_explanations(model_regular, model_robust, x: torch.Tensor) -> dict:
    """AXAI (PGD-20, K = 10) of the same CIFAR-10 images under both models, on the same
    QuickShift segments (``SEGMENTATIONS["cifar10_axai"]``).

    x: (N, 3, 32, 32) in [0, 1]. Returns {"segments" (N, 32, 32), "regular", "robust": BoolTensor
    (N, 32, 32) masks, "table": DataFrame of the centre share and the share of the image,
    "iou": mean pixel IoU of the two models' explanations}.
    """
    import pandas as pd

    from axlib.explain.axai import axai
    from axlib.papers.axai.ablation import mask_iou
    from axlib.segment import quickshift

    seg = quickshift(x, **SEGMENTATIONS["cifar10_axai"])
    m_v, m_r = axai(model_regular, x, seg, k=K).mask, axai(model_robust, x, seg, k=K).mask
    table = pd.DataFrame({name: {"explained pixels in the central 16x16": centre_share(m),
                                 "share of image": float(m.float().mean())}
                          for name, m in (("regular", m_v), ("adv. trained", m_r))})
    return {"segments": seg, "regular": m_v, "robust": m_r, "table": table,
            "iou": float(mask_iou(m_v, m_r).mean())}


def plot_fig20(cmp: dict, x: torch.Tensor, labels, class_names):
    """Fig. 20: each image with AXAI's explanation for the regular and the adversarially
    trained model, from :func:`compare_explanations`. labels: (N,) true labels. Returns the Figure."""
    from axlib import plots

    n = len(x)
    return plots.show_explanations(
        [im for im in x for _ in range(3)], [m for i in range(n) for m in (None, cmp["regular"][i], cmp["robust"][i])],
        [t for i in range(n) for t in (class_names[int(labels[i])], "regular", "adv. trained")],
        labels=[s for i in range(n) for s in (None, cmp["segments"][i], cmp["segments"][i])], ncols=6, size=2.0,
        suptitle=f"AXAI Fig. 20: AXAI (K={K}) for the regular and the adversarially trained AlexNet")


def centre_share_claim(cmp: dict) -> dict:
    """Appendix E.5's explanation claim from :func:`compare_explanations`, as keywords of
    :meth:`~axlib.companion.results.Recorder.judge`: per image, the robust minus the regular
    model's share of explained pixels in the central 16x16, bootstrap over images."""
    def per_image(mask: torch.Tensor) -> np.ndarray:
        return mask[:, 8:24, 8:24].flatten(1).sum(1).div(mask.flatten(1).sum(1).clamp_min(1)).numpy()

    gain = per_image(cmp["robust"]) - per_image(cmp["regular"])
    return dict(claim="axai.appE5.centre_share", estimate=Estimate.mean(gain),
                ours=f"{centre_share(cmp['robust']):.3f} vs {centre_share(cmp['regular']):.3f}",
                unit="share of explained pixels in the central 16x16, robust - regular",
                note="adversarially trained vs regular model on the same images and segments; a proxy for "
                     "'object, not background' (CIFAR-10 objects sit in the centre)")
