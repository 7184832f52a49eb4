"""Where AXAI's attack goes, example explanations and what adversarial training changes (AXAI
appendices D, E.1 and E.5), as notebook 04b runs them.

* Appendix D (Fig. 16): the untargeted attack moves an image to a *neighbouring* class.
  :func:`attack_destinations` tabulates, per image, the model's class, the class after PGD-20 and
  whether that class was among the clean top-5 predictions; :func:`destination_claim` records the
  share of flipped images whose new class was; :func:`plot_fig16` shows the 3 most attacked
  segments. Blurring those segments (the paper's "doors", Fig. 16c) flips the label to the
  attack's class: :func:`blur_attacked_segments`, :func:`plot_fig16c` and :func:`blur_flip_claim`,
  with 3 random segments blurred as the control.
* Appendix E.1 (Fig. 18): example explanations of CIFAR-10 images (:func:`plot_fig18`) and
  :func:`examples_claim`, a descriptive number beside figures the paper gives without one.
* Appendix E.5 (Fig. 20): a regularly and an adversarially trained AlexNet on CIFAR-10.
  :func:`robustness_table` measures both models' clean and L2 PGD-20 accuracy,
  :func:`centre_share` is a crude "object, not background" proxy (CIFAR-10 objects are roughly
  centred), :func:`compare_explanations` explains the same images with both models.
"""
from __future__ import annotations

import numpy as np
import torch

from axlib._util.checks import check_int, check_number
from axlib.companion.rules import Estimate
from axlib.intervals import difference_ci
from axlib.papers.axai.ablation import SEGMENTATIONS, K, blur_regions, random_ranking, rank_band_mask
from axlib.papers.axai.claims import APP_D_BLUR_RULE, APP_D_BLUR_TOP

__all__ = ["attack_destinations", "destination_claim", "plot_fig16", "blur_attacked_segments",
           "plot_fig16c", "blur_flip_claim", "explained_share", "plot_fig18", "examples_claim", "robustness_table",
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
    m3 = rank_band_mask(d["segments"][:show], d["ranking"][:show], 0, APP_D_BLUR_TOP)
    return plots.show_explanations(
        [im for im in d["x"][:show] for _ in range(2)], [m for i in range(show) for m in (None, m3[i])],
        [t for i in range(show) for t in (class_names[int(predicted[i])][:18],
                                          "-> " + class_names[int(d["adv"][i])][:15])],
        ncols=4, size=2.3,
        suptitle=f"AXAI Fig. 16: the class reached by the attack and its {APP_D_BLUR_TOP} most attacked segments")


def blur_attacked_segments(model, d: dict, *, top: int = APP_D_BLUR_TOP, sigma: float | None = None, seed: int = 0,
                           batch_size: int = 8) -> dict:
    """Appendix D, Fig. 16c: blur each image's ``top`` most densely attacked segments and see
    where its prediction goes; as a control, blur ``top`` segments drawn at random (seeded).

    Parameters
    ----------
    model : torch.nn.Module
        The model of the run; returns logits (B, classes) from (B, 3, H, W) pixels in [0, 1].
    d : dict
        A :func:`axlib.papers.axai.ablation.blur_experiment` result: "x" (N, 3, H, W) in [0, 1],
        "segments" (N, H, W), "ranking" (N, S) -1 padded, "adv" (N,) labels after PGD-20,
        "result" (its "sigma").
    top : int, default APP_D_BLUR_TOP
        Segments blurred per image (>= 1); the declared rule is for :data:`APP_D_BLUR_TOP`.
    sigma : float, optional
        Gaussian blur width in pixels (> 0); None: the blur of the E.4 run (``d["result"]["sigma"]``).
    seed : int, default 0
        Seeds the random segments of the control (>= 0).
    batch_size : int, default 8
        Images per forward pass (>= 1).

    Returns
    -------
    dict
        ``"predicted"``, ``"blurred"``, ``"control"``: LongTensor (N,) the model's class of the
        clean image, after blurring the top segments, after blurring random ones; ``"adv"``:
        LongTensor (N,) the attack's class; ``"flipped"``, ``"control_flipped"``: bool ndarray
        (N,) whether the class changed; ``"to_adv"``: bool ndarray (N,) whether the class after
        blurring is the attack's (and differs from the clean one); ``"blurred_fraction"``,
        ``"control_fraction"``: ndarray (N,) share of each image's pixels blurred; ``"top"``,
        ``"sigma"``.

    Raises
    ------
    ValueError
        For top < 1, sigma <= 0, seed < 0, batch_size < 1, or a ``d`` without the keys above.
    """
    from axlib.attacks import predicted_labels

    missing = {"x", "segments", "ranking", "adv"} - set(d)
    if missing:
        raise ValueError(f"d must be a blur_experiment result; it lacks {sorted(missing)}")
    top = check_int("top", top, low=1)
    seed = check_int("seed", seed, low=0)
    batch_size = check_int("batch_size", batch_size, low=1)
    sigma = check_number("sigma", d["result"]["sigma"] if sigma is None else sigma, low=0, low_open=True)
    x, segments = d["x"], d["segments"]
    mask = rank_band_mask(segments, d["ranking"], 0, top)
    control = rank_band_mask(segments, random_ranking(segments.cpu(), torch.Generator().manual_seed(seed))
                             .to(segments.device), 0, top)
    predicted = predicted_labels(model, x, batch_size).cpu()
    blurred = predicted_labels(model, blur_regions(x, mask, sigma), batch_size).cpu()
    controlled = predicted_labels(model, blur_regions(x, control, sigma), batch_size).cpu()
    adv = d["adv"].cpu()
    flipped = blurred != predicted
    return {"predicted": predicted, "blurred": blurred, "control": controlled, "adv": adv,
            "flipped": flipped.numpy(), "control_flipped": (controlled != predicted).numpy(),
            "to_adv": (flipped & (blurred == adv)).numpy(),
            "blurred_fraction": mask.flatten(1).float().mean(1).cpu().numpy(),
            "control_fraction": control.flatten(1).float().mean(1).cpu().numpy(), "top": top, "sigma": sigma}


def plot_fig16c(d: dict, r: dict, class_names, show: int = 4):
    """Fig. 16c: the first ``show`` (>= 1) images of ``d`` (a blur_experiment result) with their
    top segments blurred, titled with the class before, after blurring and after the attack
    (from :func:`blur_attacked_segments` ``r``). Returns the Figure."""
    from axlib import plots

    show = min(check_int("show", show, low=1), len(d["x"]))
    mask = rank_band_mask(d["segments"][:show], d["ranking"][:show], 0, r["top"])
    blurred = blur_regions(d["x"][:show], mask, r["sigma"])
    titles = [f"{class_names[int(r['predicted'][i])][:14]}\nblurred: {class_names[int(r['blurred'][i])][:14]}\n"
              f"attack: {class_names[int(r['adv'][i])][:14]}" for i in range(show)]
    return plots.show_images(list(blurred), titles, ncols=show, size=2.3,
                             suptitle=f"AXAI Fig. 16c: the {r['top']} most attacked segments blurred")


def blur_flip_claim(r: dict) -> dict:
    """Appendix D's blur claim from :func:`blur_attacked_segments`, as keywords of
    :meth:`~axlib.companion.results.Recorder.judge`: the share of images whose class changes
    (Clopper-Pearson over images), the share of those whose new class is the attack's
    (Clopper-Pearson over flipped images) and the paired difference of flips, top minus random
    segments (bootstrap over images). Raises ValueError when ``r["top"]`` is not the declared
    :data:`APP_D_BLUR_TOP`."""
    if r["top"] != APP_D_BLUR_TOP:
        raise ValueError(f"the rule is declared for the top {APP_D_BLUR_TOP} segments, got top {r['top']}")
    flipped, control, to_adv = (np.asarray(r[k], bool) for k in ("flipped", "control_flipped", "to_adv"))
    n_flipped = int(flipped.sum())
    destination = (Estimate.proportion(int(to_adv.sum()), n_flipped, "flipped images") if n_flipped
                   else Estimate(0.0, 0.0, 1.0, 0, "flipped images", "no image flipped"))
    names = list(APP_D_BLUR_RULE.parts)
    estimate = {names[0]: Estimate.proportion(n_flipped, len(flipped)), names[1]: destination,
                names[2]: Estimate.mean(flipped.astype(float) - control.astype(float))}
    return dict(claim="axai.appD.blur_top_segments_flips", estimate=estimate,
                ours=(f"{flipped.mean():.2f} flipped ({to_adv.sum()} of {n_flipped} to the attack's class); "
                      f"random {r['top']}: {control.mean():.2f}"),
                unit="share of images",
                note=(f"{len(flipped)} images; Gaussian blur sigma {r['sigma']:g} px over the top {r['top']} segments "
                      f"({np.mean(r['blurred_fraction']):.0%} of the pixels; random {r['top']}: "
                      f"{np.mean(r['control_fraction']):.0%}); the paper shows one image"))


# --------------------------------------------------------------------------- appendix E.1
def explained_share(d: dict, k: int = K) -> np.ndarray:
    """Share of each image's pixels in AXAI's top ``k`` (>= 1) segments of a
    :func:`axlib.papers.axai.ablation.blur_experiment` result: ndarray (N,) in [0, 1]."""
    k = check_int("k", k, low=1)
    return rank_band_mask(d["segments"], d["ranking"], 0, k).flatten(1).float().mean(1).cpu().numpy()


def plot_fig18(d: dict, class_names, show: int = 6):
    """Fig. 18: the first ``show`` (>= 1) images of a CIFAR-10
    :func:`axlib.papers.axai.ablation.blur_experiment` result, each beside AXAI's top-K segments
    for the class it explains (the model's prediction; the true class in brackets when it
    differs). Returns the Figure."""
    from axlib import plots

    show = min(check_int("show", show, low=1), len(d["x"]))
    mask = rank_band_mask(d["segments"][:show], d["ranking"][:show], 0, K)
    titles = []
    for i in range(show):
        explained, true = class_names[int(d["target"][i])], class_names[int(d["y"][i])]
        titles += [explained if explained == true else f"{explained} ({true})", f"AXAI top {K}"]
    return plots.show_explanations([im for im in d["x"][:show] for _ in range(2)],
                                   [m for i in range(show) for m in (None, mask[i])], titles,
                                   labels=[s for i in range(show) for s in (None, d["segments"][i])],
                                   ncols=6, size=2.0, suptitle=f"AXAI Fig. 18: AXAI (K={K}) on CIFAR-10 images")


def examples_claim(d: dict) -> dict:
    """Appendix E.1's claim (example figures, not comparable), as keywords of
    :meth:`~axlib.companion.results.Recorder.judge`, with a descriptive estimate: the mean share
    of the image AXAI's top-K segments explain, bootstrap over the images of ``d`` (a
    :func:`axlib.papers.axai.ablation.blur_experiment` result)."""
    share = explained_share(d)
    return dict(claim="axai.appE1.examples", estimate=Estimate.mean(share), unit="share of the image explained",
                note=(f"mean share of the image in AXAI's top {K} segments over {len(share)} CIFAR-10 images "
                      "(the appendix E.4 run); a description beside the figure, not a test"))


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
    return float(centre_shares(mask).mean())


def centre_shares(mask: torch.Tensor) -> np.ndarray:
    """Per image, the share of the explanation's pixels in the central 16x16 of a 32x32 image.

    mask: BoolTensor (B, 32, 32). Returns an array (B,) of fractions in [0, 1] (an empty mask 0)."""
    if not isinstance(mask, torch.Tensor) or mask.dim() != 3 or tuple(mask.shape[-2:]) != (32, 32):
        raise ValueError(f"mask must be a tensor (B, 32, 32), got {getattr(mask, 'shape', type(mask))}")
    return mask[:, 8:24, 8:24].flatten(1).sum(1).div(mask.flatten(1).sum(1).clamp_min(1)).numpy()


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
    gain = centre_shares(cmp["robust"]) - centre_shares(cmp["regular"])
    return dict(claim="axai.appE5.centre_share", estimate=Estimate.mean(gain),
                ours=f"{centre_share(cmp['robust']):.3f} vs {centre_share(cmp['regular']):.3f}",
                unit="share of explained pixels in the central 16x16, robust - regular",
                note="adversarially trained vs regular model on the same images and segments; a proxy for "
                     "'object, not background' (CIFAR-10 objects sit in the centre)")
