"""AXAI against LIME and SHAP (AXAI section 4.3, Table 5, Fig. 7 and 21, appendix F), as
notebook 04 runs them.

* **Table 5**: :func:`run_table5` times AXAI, LIME and SHAP on the same ImageNet images with
  :func:`axlib.papers.axai.bench.bench`; :func:`table5_frame`, :func:`time_shares` and
  :func:`table5_claims` give the page's tables and claims (rules: the Table 5 claims'
  declarations in :mod:`axlib.papers.axai.claims`).
* **Fig. 21**: :func:`cifar_maps` and :func:`imagenet_maps` put the three methods' explanations of
  the same images side by side (:func:`plot_fig21`); :func:`agreement_table` measures their
  pixel IoU; :func:`fig21_claim`.
* **Appendix F**: :func:`lime_kernels` runs LIME with QuickShift kernel 4 and 1 on 32x32 images
  (:func:`plot_lime_kernels`, :func:`lime_kernel_claim`, rule
  :data:`axlib.papers.axai.claims.LIME_KERNEL_RULE`).
* **Section 6, Property 1**: :func:`segmentation_robustness` explains the same CIFAR-10 images
  with AXAI and LIME under each QuickShift setting of :data:`ROBUSTNESS_SETTINGS` and measures
  how much each method's explanation moves between settings (:func:`plot_segmentation_robustness`,
  :func:`segmentation_robustness_claim`, rule
  :data:`axlib.papers.axai.claims.SEGMENTATION_ROBUSTNESS_RULE`).

Settings shared with appendices B and E.4 (QuickShift, K) are in :mod:`axlib.papers.axai.ablation`.
"""
from __future__ import annotations

import numpy as np
import torch

from axlib._util.checks import check_images, check_int, cpu_cores
from axlib.companion.results import REFERENCE
from axlib.companion.rules import Estimate
from axlib.papers.axai import claims as _claims
from axlib.papers.axai.ablation import SEGMENTATIONS, K, mask_iou, top_pixels

__all__ = ["AXAI_SETTINGS", "LIME_FEATURES", "SHAP_TOP", "table5_settings", "run_table5", "budget_frame",
           "table5_frame",
           "table5_caption", "table5_targets", "table5_targets_text", "table5_claims", "time_shares", "cifar_images",
           "cifar_maps", "imagenet_maps", "plot_fig21", "agreement_table", "fig21_claim", "LIME_KERNELS",
           "lime_kernels", "plot_lime_kernels", "lime_kernel_claim", "ROBUSTNESS_SETTINGS",
           "segmentation_robustness", "plot_segmentation_robustness", "segmentation_robustness_claim"]

AXAI_SETTINGS = {"k": K, "a": 15.0, "steps": 20}
"""AXAI as timed: top K = 10 segments, 15 % tails, L2 PGD-20 with its default budget."""
LIME_FEATURES = 5
"""LIME's number of features (segments) in its explanations (Fig. 7, 21)."""
SHAP_BACKGROUND = 8
"""ImageNet sample images SHAP compares with: those after the timed ones."""
SHAP_TOP = 0.1
"""SHAP's pixel map is shown as its 10 % pixels of largest |attribution|."""
CIFAR_BACKGROUND = 20
"""CIFAR-10 test images SHAP compares with (the last ones of ``cifar_images``' range)."""


# --------------------------------------------------------------------------- Table 5
def table5_settings(lime_samples: int, shap_samples: int, seed: int = 0) -> dict:
    """Settings of :func:`axlib.papers.axai.bench.bench` for Table 5: QuickShift with LIME's
    defaults for AXAI, LIME with ``lime_samples`` perturbations and :data:`LIME_FEATURES`
    features (its own QuickShift, seeded), SHAP's GradientExplainer with ``shap_samples``.
    Batches: each library's default, LIME 10 perturbed images per forward pass, SHAP 50 (at 224
    px on this 2-core CPU, 1 thread, LIME's 1,000 samples take 20 s at batch 10, 29 s at 50)."""
    return {"segment": SEGMENTATIONS["imagenet"], "axai": dict(AXAI_SETTINGS),
            "lime": dict(num_samples=lime_samples, num_features=LIME_FEATURES, batch_size=10,
                         random_state=seed, **SEGMENTATIONS["imagenet"]),
            "shap": dict(nsamples=shap_samples, batch_size=50)}


def run_table5(model, x: torch.Tensor, *, n_images: int, batch: int, lime_samples: int, shap_samples: int,
               seed: int = 0, device: str = "cpu", threads=(1, 0)) -> dict:
    """Table 5 measured here: AXAI, LIME and SHAP on the first ``n_images`` of x, at batch 1
    (interleaved image by image, after one untimed AXAI call), AXAI's throughput at ``batch``;
    SHAP's background: the :data:`SHAP_BACKGROUND` images after them (the last image when there
    are none). Every method is timed at each thread budget of ``threads`` in turn (0: every core;
    a budget named twice is timed once), so each ratio compares the methods at an equal budget.

    x: (N, 3, 224, 224) in [0, 1]. Returns :func:`axlib.papers.axai.bench.bench`'s dict of the
    first budget (the one the claims are judged on) with the explanations of its timed calls
    under "maps", and under "budgets" one summary per budget (:func:`budget_frame`).
    """
    import os

    from axlib.papers.axai import bench

    n_images = check_int("n_images", n_images, 1, len(x))
    budgets = list(dict.fromkeys(check_int("threads", t, low=0) or cpu_cores() for t in threads))
    background = x[n_images:][:SHAP_BACKGROUND] if len(x) > n_images else x[-1:]
    runs = []
    for i, budget in enumerate(budgets):
        load_before = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
        run = bench.bench(model, x[:n_images], repeats=1, warmup={"axai": 1}, batch_sizes=(1, batch),
                          throughput_methods=("axai",), device=device,
                          settings=table5_settings(lime_samples, shap_samples, seed), background=background,
                          threads=budget, keep_maps=i == 0)
        run["load_average_1_5_15"] = {"before": load_before,
                                      "after": list(os.getloadavg()) if hasattr(os, "getloadavg") else None}
        runs.append(run)
    return {**runs[0], "budgets": [_budget_summary(run, batch) for run in runs]}


def _budget_summary(run: dict, batch: int) -> dict:
    results = run["results"]
    axai = results["axai"]
    return {"threads": run["threads"],
            **{f"{m} s/image": results[m]["batch1"]["median"] for m in ("axai", "lime", "shap") if m in results},
            **{f"{k} ratio": v for k, v in run["ratios"].items()},
            "axai img/s @ 1": 1.0 / axai["batch1"]["median"],
            f"axai img/s @ {batch}": axai["throughput"].get(str(batch), {}).get("images_per_s"),
            "axai overlap s": axai["parts"].get("overlap"),
            "load before": run["load_average_1_5_15"]["before"][0] if run["load_average_1_5_15"]["before"] else None,
            "load after": run["load_average_1_5_15"]["after"][0] if run["load_average_1_5_15"]["after"] else None}


def budget_frame(t5: dict):
    """One row per thread budget of a :func:`run_table5` result: per-image median seconds of
    each method at batch 1, the ratios LIME/AXAI and SHAP/AXAI at that budget, AXAI's images/s
    at batch 1 and at the throughput batch, the seconds its segmentation overlapped the attack,
    and the 1-minute load average before and after (a pandas DataFrame indexed by threads)."""
    import pandas as pd

    return pd.DataFrame(t5["budgets"]).set_index("threads")


def table5_frame(t5: dict):
    """Table 5's rows of a :func:`run_table5` result (a pandas DataFrame indexed by method)."""
    import pandas as pd

    from axlib.papers.axai import bench

    return pd.DataFrame(bench.table(t5)).set_index("method").drop(columns=["device"])


def table5_caption(t5: dict) -> str:
    """One Markdown line naming where Table 5 was measured, beside the paper's setting."""
    return (f"**Measured on {t5['device_name']}** ({t5['device']}, torch {t5['torch']}, "
            f"{t5['threads']} thread, {t5['n_images']} ImageNet images 224x224, MobileNetV2). "
            f"Paper: ResNet34, Intel Core i5-7360U (CPU) / Tesla V100 (GPU).")


def table5_targets(t5: dict):
    """The benchmark's targets (:data:`axlib.papers.axai.claims.TABLE5_TARGETS`) and whether
    this run met them (a pandas DataFrame)."""
    import pandas as pd

    return pd.DataFrame(t5["targets"]).T


def table5_targets_text() -> str:
    """The benchmark's targets in words (Markdown), from :data:`axlib.papers.axai.claims.TABLE5_TARGETS`."""
    targets = _claims.TABLE5_TARGETS
    words = {">=": "at least", "<=": "at most"}

    def share(name):
        op, value = targets[name]
        return f"{words[op]} {100 * value:g} %"

    ratios = " and ".join(f"{name.upper().replace('/', ' / ')} {words[op]} {value:g}"
                          for name, (op, value) in targets.items() if "/" in name)
    return (f"**Targets**: {ratios} (the paper's ratios), AXAI's segmentation "
            f"{share('axai segmentation share')} and its remaining work {share('axai rest share')} of its time.")


def _ratio_of_medians(t5: dict, method: str) -> Estimate:
    """``method`` / AXAI per-image seconds, ratio of medians, bootstrap over the timed images
    (each image's two times resampled together)."""
    ours = np.asarray(t5["results"][method]["seconds"], dtype=float)
    axai = np.asarray(t5["results"]["axai"]["seconds"], dtype=float)
    return Estimate.bootstrap(lambda a, b: np.median(a) / np.median(b), ours, axai, n_of="timed images")


def table5_claims(t5: dict) -> tuple[list[dict], list[dict]]:
    """Table 5's claims from a :func:`run_table5` result: (:meth:`~axlib.companion.results.Recorder.judge`
    keywords of the ratios LIME / AXAI and SHAP / AXAI and of AXAI's segmentation share, judged by
    their declared rules; ``Recorder.record`` keywords of each method's seconds, reference numbers)."""
    from axlib.papers.axai.bench import PAPER_TABLE5

    paper_cpu = PAPER_TABLE5["cpu"]
    judged, recorded = [], []
    for method in ("lime", "shap"):
        judged.append(dict(
            claim=f"axai.table5.{method}_over_axai", estimate=_ratio_of_medians(t5, method),
            unit="x (seconds per image, ratio to AXAI)",
            note=(f"{method.upper()} / AXAI per-image medians in one run on {t5['device_name']}, 1 thread, "
                  f"MobileNetV2 on {t5['n_images']} ImageNet sample images; paper: ResNet34 on an i5-7360U "
                  f"({paper_cpu[method]:g} s / {paper_cpu['axai']:g} s). MobileNetV2's forward pass is ~6x "
                  "cheaper than ResNet34's, which shortens LIME's, SHAP's and AXAI's passes alike")))
    for method in ("axai", "lime", "shap"):
        recorded.append(dict(
            claim=f"axai.table5.seconds.{method}", ours=round(t5["results"][method]["batch1"]["median"], 2),
            paper=paper_cpu[method], verdict=REFERENCE, unit="s per image (CPU)",
            note=(f"median over {t5['n_images']} images on {t5['device_name']}, 1 thread, MobileNetV2 "
                  "(paper: ResNet34, i5-7360U)")))
    axai = t5["results"]["axai"]
    shares = np.asarray(axai["share_values"]["segmentation"], dtype=float)
    judged.append(dict(
        claim="axai.table5.segmentation_share", estimate=Estimate.bootstrap(np.median, shares, n_of="timed images"),
        unit="share of AXAI's time",
        note=("median share of scikit-image QuickShift in AXAI's per-image time; the attack's share: "
              f"{axai['shares'].get('attack', float('nan')):.2f}")))
    return judged, recorded


def time_shares(t5: dict):
    """AXAI's images per second, the shares of its parts (attack, segmentation, the overlap of
    the two, rest) in its wall time and each part's seconds per image, at batch 1 and at every
    throughput batch size (a pandas DataFrame indexed by batch; a part that grew worse than
    linearly with the batch would show more seconds per image at the larger batch); the wall
    time is attack + segmentation - overlap + rest."""
    import pandas as pd

    axai = t5["results"]["axai"]
    rows = []
    for b, tp in [("1", {"images_per_s": 1 / axai["batch1"]["median"], "parts": axai["parts"]}),
                  *axai["throughput"].items()]:
        total = sum(tp["parts"].values()) - 2 * tp["parts"].get("overlap", 0.0)
        rows.append({"batch": int(b), "images/s": tp["images_per_s"],
                     **{f"{k} share": v / total for k, v in tp["parts"].items()},
                     **{f"{k} s/image": v / int(b) for k, v in tp["parts"].items()}})
    return pd.DataFrame(rows).set_index("batch")


# --------------------------------------------------------------------------- Fig. 21
def cifar_images(n: int, background_stop: int):
    """The first ``n`` embedded CIFAR-10 test images, and SHAP's background: the
    :data:`CIFAR_BACKGROUND` test images before ``background_stop`` (all of the first
    ``background_stop`` when fewer). Returns (x (n, 3, 32, 32), labels (n,), background, class names)."""
    from axlib.data.cifar import cifar10_test

    x, y, names = cifar10_test(max(n, background_stop))
    return x[:n], y[:n], x[:background_stop][-CIFAR_BACKGROUND:], names


def _names(class_names, labels) -> list[str]:
    return [class_names[int(i)] for i in labels]


def cifar_maps(model, x: torch.Tensor, background: torch.Tensor, *, lime_samples: int, shap_samples: int,
               class_names, seed: int = 0) -> dict:
    """AXAI (K = 10 on QuickShift ``SEGMENTATIONS["cifar10_axai"]``), LIME (kernel 1, appendix F)
    and SHAP (GradientExplainer against ``background``) on the same CIFAR-10 images.

    x: (N, 3, 32, 32) in [0, 1]. Returns {"x", "segments" (N, H, W), "axai", "lime", "shap":
    BoolTensor (N, H, W) masks (SHAP: its top :data:`SHAP_TOP` pixels), "names": the classes AXAI
    explains}.
    """
    from axlib.explain import axai, lime_attribution, shap_gradient_attribution
    from axlib.segment import quickshift

    seg = quickshift(x, **SEGMENTATIONS["cifar10_axai"])
    exp = axai(model, x, seg, k=K)
    lime = lime_attribution(model, x, num_samples=lime_samples, num_features=LIME_FEATURES, random_state=seed,
                            **SEGMENTATIONS["cifar10"])
    shap = shap_gradient_attribution(model, x, background=background, nsamples=shap_samples)
    return {"x": x, "segments": seg, "axai": exp.mask, "lime": lime != 0, "shap": top_pixels(shap, SHAP_TOP),
            "names": _names(class_names, exp.target)}


def imagenet_maps(model, x: torch.Tensor, t5: dict, class_names) -> dict:
    """The same maps as :func:`cifar_maps` from the timed Table 5 calls of :func:`run_table5`
    (x: the timed images)."""
    from axlib.attacks import predicted_labels

    maps = t5["maps"]
    return {"x": x, "segments": maps["axai_segments"], "axai": maps["axai"] > 0, "lime": maps["lime"] != 0,
            "shap": top_pixels(maps["shap"], SHAP_TOP), "names": _names(class_names, predicted_labels(model, x))}


def plot_table5(t5: dict):
    """Table 5 as a picture: seconds per image of AXAI, LIME and SHAP on a log scale, ours
    (bar: median over the timed images; whiskers: fastest and slowest image) beside the
    paper's CPU seconds (diamonds; ResNet34 on an i5-7360U). Returns the Figure."""
    from matplotlib.figure import Figure

    from axlib.papers.axai.bench import PAPER_TABLE5

    methods = [m for m in ("axai", "lime", "shap") if m in t5["results"]]
    seconds = [np.asarray(t5["results"][m]["seconds"], dtype=float) for m in methods]
    medians = np.array([np.median(v) for v in seconds])
    spread = np.array([[med - v.min(), v.max() - med] for med, v in zip(medians, seconds)]).T
    fig = Figure(figsize=(6.4, 3.2), layout="constrained")
    ax = fig.subplots()
    rows = np.arange(len(methods))
    ax.barh(rows, medians, xerr=spread, color="#4c72b0", capsize=3,
            label=f"ours: {t5.get('model', 'MobileNetV2')}, {t5['device_name']}, {t5['threads']} thread(s), "
                  f"median of {len(seconds[0])} images")
    ax.scatter([PAPER_TABLE5["cpu"][m] for m in methods], rows, marker="D", color="#c44e52", zorder=3,
               label="paper: ResNet34, i5-7360U")
    for row, med in zip(rows, medians):
        ax.annotate(f"{med:.2g} s", (med, row), xytext=(4, -10), textcoords="offset points", fontsize=8)
    ax.set_yticks(rows, [m.upper() for m in methods])
    ax.set_xscale("log")
    low = min(float(min(v.min() for v in seconds)), min(PAPER_TABLE5["cpu"][m] for m in methods))
    ax.set_xlim(left=low / 3)                        # bars on a log axis start at its left edge
    ax.set_xlabel("seconds per image (log scale)")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.3), frameon=False)
    ax.set_title("AXAI Table 5: seconds per image on a CPU")
    return fig


def plot_fig21(name: str, m: dict):
    """Fig. 21 for one data set: each row the image, AXAI's top 10 segments, LIME's 5 and
    SHAP's top pixels, from :func:`cifar_maps` or :func:`imagenet_maps`. Returns the Figure."""
    from axlib import plots

    images, masks, labels, titles = [], [], [], []
    for i in range(len(m["x"])):
        images += [m["x"][i]] * 4
        masks += [None, m["axai"][i], m["lime"][i], m["shap"][i]]
        labels += [None, m["segments"][i], None, None]
        titles += [m["names"][i][:18], f"AXAI (K={K})", f"LIME ({LIME_FEATURES} features)",
                   f"SHAP (top {SHAP_TOP:.0%})"]
    return plots.show_explanations(images, masks, titles, labels=labels, ncols=4, size=2.3,
                                   suptitle=f"AXAI Fig. 21 ({name}): AXAI | LIME | SHAP")


def agreement_table(maps: dict):
    """Mean pixel IoU of the three methods' explanations and the share of the image AXAI and
    LIME explain, per data set ({name: maps}; a pandas DataFrame indexed by data set)."""
    import pandas as pd

    rows = [{"data": name, "images": len(m["x"]),
             "IoU AXAI-LIME": float(mask_iou(m["axai"], m["lime"]).mean()),
             "IoU AXAI-SHAP": float(mask_iou(m["axai"], m["shap"]).mean()),
             "IoU LIME-SHAP": float(mask_iou(m["lime"], m["shap"]).mean()),
             "AXAI share of image": float(m["axai"].float().mean()),
             "LIME share of image": float(m["lime"].float().mean())} for name, m in maps.items()]
    return pd.DataFrame(rows).set_index("data")


def fig21_claim(maps: dict) -> dict:
    """Fig. 21's claim: :meth:`~axlib.companion.results.Recorder.judge` keywords, the mean pixel
    IoU of AXAI's and LIME's explanations over every image of ``maps`` ({data set: maps of
    :func:`cifar_maps` / :func:`imagenet_maps`}), bootstrap over images."""
    iou = np.concatenate([mask_iou(m["axai"], m["lime"]).numpy() for m in maps.values()])
    sizes = ", ".join(f"{name} {len(m['x'])}" for name, m in maps.items())
    return dict(claim="axai.fig21.iou_axai_lime", estimate=Estimate.mean(iou), unit="mean pixel IoU",
                note=(f"pixel IoU of AXAI's top-10 segments and LIME's 5 segments on {len(iou)} images ({sizes}); "
                      "the paper shows the maps side by side without a number; AXAI and LIME use different "
                      "segmentations and sizes"))


# --------------------------------------------------------------------------- appendix F
LIME_KERNELS = (SEGMENTATIONS["imagenet"]["kernel_size"], SEGMENTATIONS["cifar10"]["kernel_size"])
"""LIME's default QuickShift kernel and the paper's for 32x32 images (appendix F: 4 and 1)."""


def lime_kernels(model, x: torch.Tensor, *, lime_samples: int, seed: int = 0) -> dict:
    """LIME on 32x32 images with each QuickShift kernel of :data:`LIME_KERNELS` (max_dist and
    ratio: LIME's defaults). x: (N, 3, 32, 32) in [0, 1].

    Returns {"table": DataFrame indexed by kernel (median segments, share of the image in LIME's
    features), "lime": {kernel: FloatTensor (N, H, W) LIME maps}, "segments": {kernel: (N,)
    segment counts}, "x"}.
    """
    import pandas as pd

    from axlib.explain import lime_attribution
    from axlib.segment import count_segments, quickshift

    rest = {k: v for k, v in SEGMENTATIONS["cifar10"].items() if k != "kernel_size"}
    rows, maps, segments = [], {}, {}
    for kernel in LIME_KERNELS:
        seg = quickshift(x, kernel_size=kernel, **rest)
        segments[kernel] = count_segments(seg).float()
        maps[kernel] = lime_attribution(model, x, num_samples=lime_samples, num_features=LIME_FEATURES,
                                        kernel_size=kernel, random_state=seed, **rest)
        rows.append({"kernel": kernel, "segments (median)": float(count_segments(seg).float().median()),
                     f"LIME {LIME_FEATURES} features: share of image": float((maps[kernel] != 0).float().mean())})
    return {"table": pd.DataFrame(rows).set_index("kernel"), "lime": maps, "segments": segments, "x": x}


def plot_lime_kernels(r: dict):
    """Appendix F: each image beside LIME's explanation with each kernel, from :func:`lime_kernels`."""
    from axlib import plots

    x, (big, small) = r["x"], LIME_KERNELS
    images = [im for im in x for _ in range(3)]
    masks = [m for i in range(len(x)) for m in (None, r["lime"][big][i] != 0, r["lime"][small][i] != 0)]
    return plots.show_explanations(images, masks, ["image", f"LIME kernel {big}", f"LIME kernel {small}"] * len(x),
                                   ncols=6, size=2.0,
                                   suptitle=f"AXAI appendix F: LIME on CIFAR-10 with QuickShift kernel {big} vs {small}")


def lime_kernel_claim(r: dict) -> dict:
    """Appendix F's claim from :func:`lime_kernels`: :meth:`~axlib.companion.results.Recorder.judge`
    keywords, the ratios kernel 4 / kernel 1 of the median segment count and of the median share
    of the image LIME's features cover, bootstrap over images."""
    big, small = LIME_KERNELS
    counts = {k: r["segments"][k].numpy() for k in LIME_KERNELS}
    cover = {k: (r["lime"][k] != 0).float().flatten(1).mean(1).numpy() for k in LIME_KERNELS}
    estimate = {
        "segments k4 / k1": Estimate.bootstrap(lambda a, b: np.median(a) / np.median(b), counts[big], counts[small]),
        "coverage k4 / k1": Estimate.bootstrap(lambda a, b: np.mean(a) / np.mean(b), cover[big], cover[small])}
    return dict(claim="axai.appF.lime_kernel4_coverage", estimate=estimate,
                ours=f"{np.median(counts[big]):g} vs {np.median(counts[small]):g} segments; LIME covers "
                     f"{cover[big].mean():.0%} vs {cover[small].mean():.0%} of the image",
                note=f"{len(counts[big])} CIFAR-10 images, kernel {big} vs {small}, LIME's {LIME_FEATURES} features")


# --------------------------------------------------------------------------- section 6, Property 1
ROBUSTNESS_SETTINGS = {
    "kernel 1, max_dist 3": dict(SEGMENTATIONS["cifar10_axai"]),
    "kernel 2, max_dist 3": dict(SEGMENTATIONS["cifar10_axai"], kernel_size=2),
    "kernel 1, max_dist 5": dict(SEGMENTATIONS["cifar10_axai"], max_dist=5),
}
"""Property 1's QuickShift settings (:func:`axlib.segment.quickshift` keywords): the page's CIFAR-10
setting for AXAI (kernel 1, max_dist 3, λ 0.2: a median of 41 segments on the first 50 test
images), a larger kernel (18) and a larger max_dist (19): one change of each hyper-parameter."""


def _pairs(names) -> list[tuple[str, str]]:
    names = list(names)
    return [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]


def segmentation_robustness(model, x: torch.Tensor, *, lime_samples: int, seed: int = 0, settings: dict | None = None,
                            k: int = LIME_FEATURES, batch_size: int = 250) -> dict:
    """How much AXAI's and LIME's explanations of the same images move when the segmentation's
    hyper-parameters change (AXAI section 6, Property 1).

    Each setting segments every image once (:func:`axlib.segment.quickshift`; LIME's own
    QuickShift gives the same labels with the same keywords). AXAI (L2 PGD-20, attacked once per
    image: the attack does not depend on the segments) ranks each setting's segments and
    explains by its top ``k``; LIME (``lime_samples`` perturbations, ``k`` features,
    ``random_state`` ``seed``) is fitted on each setting's segments; both explain the class AXAI
    explains (the model's prediction). Stability is the pixel IoU of a method's explanation
    masks between two settings, averaged over every pair of settings.

    Parameters
    ----------
    model : torch.nn.Module
        Returns logits (B, classes) from (B, 3, H, W) pixels in [0, 1].
    x : torch.Tensor, shape (N, 3, H, W), floating
        Images in [0, 1], N >= 1.
    lime_samples : int
        LIME's perturbations per image and setting, >= 1.
    seed : int, default 0
        LIME's ``random_state`` (>= 0).
    settings : dict of str to dict, optional
        {name: quickshift keywords}, at least two settings; None: :data:`ROBUSTNESS_SETTINGS`.
    k : int, default LIME_FEATURES
        Segments in each explanation, the same for both methods (>= 1).
    batch_size : int, default 250
        Images per AXAI call (>= 1).

    Returns
    -------
    dict
        ``"settings"``: the setting names; ``"segments"``: {name: LongTensor (N, H, W)};
        ``"axai"``, ``"lime"``: {name: BoolTensor (N, H, W) explanation masks};
        ``"iou"``: {"axai": ndarray (N,), "lime": ndarray (N,)}, each image's mean pixel IoU over
        the pairs of settings, in [0, 1]; ``"table"``: a pandas DataFrame of the mean IoU over
        images of each pair (rows) and method (columns), with each setting's median segment
        count; ``"target"``: LongTensor (N,) the explained classes; ``"k"``; ``"x"``.

    Raises
    ------
    ValueError
        For fewer than two settings, lime_samples < 1, k < 1, batch_size < 1, seed < 0 or x not
        (N, 3, H, W) in [0, 1].
    """
    import pandas as pd

    from axlib.explain import lime_attribution
    from axlib.papers.axai.ablation import ATTACKS, rank_band_mask, rankings_by_attack
    from axlib.segment import count_segments, quickshift

    settings = dict(ROBUSTNESS_SETTINGS if settings is None else settings)
    if len(settings) < 2:
        raise ValueError(f"settings must name at least two QuickShift settings, got {list(settings)}")
    lime_samples = check_int("lime_samples", lime_samples, low=1)
    k = check_int("k", k, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    seed = check_int("seed", seed, low=0)
    x = check_images(x)
    segments = {name: quickshift(x, **kw) for name, kw in settings.items()}
    ranked = rankings_by_attack(model, x, segments, {"PGD-20": ATTACKS["PGD-20"]}, batch_size=batch_size)
    target = ranked["target"]
    axai_masks = {name: rank_band_mask(segments[name], ranked["ranking"][(name, "PGD-20")], 0, k) for name in settings}
    lime_masks = {name: lime_attribution(model, x, target.to(x.device), num_samples=lime_samples, num_features=k,
                                         random_state=seed, **kw) != 0 for name, kw in settings.items()}
    pairs = _pairs(settings)
    per_pair = {method: {p: mask_iou(masks[p[0]], masks[p[1]]).numpy() for p in pairs}
                for method, masks in (("axai", axai_masks), ("lime", lime_masks))}
    iou = {method: np.mean(list(v.values()), axis=0) for method, v in per_pair.items()}
    counts = {name: float(count_segments(seg).float().median()) for name, seg in segments.items()}
    table = pd.DataFrame([{"settings": f"{a} | {b}", "median segments": f"{counts[a]:g} | {counts[b]:g}",
                           f"AXAI top {k}: IoU": float(per_pair["axai"][(a, b)].mean()),
                           f"LIME {k} features: IoU": float(per_pair["lime"][(a, b)].mean())} for a, b in pairs])
    return {"settings": list(settings), "segments": segments, "axai": axai_masks, "lime": lime_masks, "iou": iou,
            "table": table.set_index("settings"), "target": target, "k": k, "x": x}


def plot_segmentation_robustness(r: dict, class_names, show: int = 2):
    """Property 1: for the first ``show`` images of a :func:`segmentation_robustness` result, a row
    of AXAI's explanations under each setting and a row of LIME's. Returns the Figure."""
    from axlib import plots

    show = check_int("show", show, low=1)
    names, k = r["settings"], r["k"]
    images, masks, labels, titles = [], [], [], []
    for i in range(min(show, len(r["x"]))):
        for method, label in (("axai", f"AXAI top {k}"), ("lime", f"LIME {k} features")):
            images += [r["x"][i]] * len(names)
            masks += [r[method][name][i] for name in names]
            labels += [r["segments"][name][i] for name in names]
            titles += [f"{class_names[int(r['target'][i])][:12]}, {label}\n{name}" for name in names]
    return plots.show_explanations(images, masks, titles, labels=labels, ncols=len(names), size=2.2,
                                   suptitle="AXAI section 6, Property 1: the same images under three QuickShift "
                                            "settings, AXAI (top row) and LIME (bottom row)")


def segmentation_robustness_claim(r: dict) -> dict:
    """Property 1's claim from :func:`segmentation_robustness`, as keywords of
    :meth:`~axlib.companion.results.Recorder.judge`: per image, AXAI's mean IoU across settings
    minus LIME's, bootstrap over images."""
    axai, lime = r["iou"]["axai"], r["iou"]["lime"]
    share = {m: float(np.mean([r[m][name].float().mean() for name in r["settings"]])) for m in ("axai", "lime")}
    return dict(claim="axai.property1.segmentation_robustness", estimate=Estimate.mean(axai - lime),
                unit="pixel IoU across settings, AXAI - LIME",
                ours=f"{float(np.mean(axai - lime)):.3f} (AXAI {float(np.mean(axai)):.3f}, LIME {float(np.mean(lime)):.3f})",
                note=(f"{len(axai)} CIFAR-10 images, QuickShift settings {'; '.join(r['settings'])}; both methods "
                      f"explain {r['k']} segments of the same segmentations (AXAI's cover {share['axai']:.0%} of the "
                      f"image, LIME's {share['lime']:.0%}: AXAI picks the most densely attacked segments, often "
                      "small ones); the paper states the property without an experiment"))
