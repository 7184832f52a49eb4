"""QuickShift tuning and the explainability length (AXAI appendix A; notebook 01).

The experiments of appendix A, each a function the page calls, with the figures it shows:

* :func:`sweep` / :func:`plot_sweep`: segment counts and wall times of QuickShift along one
  parameter (kernel size, max distance, lambda) with the others at LIME's defaults;
  :func:`time_spread`, :func:`segments_by_kernel`, :func:`never_more_segments` and
  :func:`kernel_cost_record` summarise them for the claim ``axai.quickshift.kernel_cost``.
* :func:`cifar_sweep`, :func:`plot_cifar_segments`, :func:`plot_cifar_counts`,
  :func:`cifar_summary`, :func:`cifar_merge_record`: LIME's defaults on 32x32 CIFAR-10
  images against the paper's kernel 1 (Fig. 11).
* :func:`lambda_pair`, :func:`lambda_pairs`, :func:`lambda_table`, :func:`with_paper_row`,
  :func:`plot_lambda_segments`, :func:`lambda_counts_record`: lambda 0.2 against 0.8 with
  everything else fixed, at about the castle's segment count (Fig. 13).
* :func:`explain`, :func:`explanation_inputs`, :func:`time_explainability_length`,
  :func:`explain_photographs`, :func:`plot_explainability_lengths`, :func:`k_cost_record`:
  AXAI explanations of MobileNetV2 for explainability lengths 1, 2 and 10, and what a longer
  one costs (Fig. 12).
* :func:`compare_lambda_explanations`, :func:`plot_lambda_explanations`,
  :func:`lambda_explanations_record`: the top-10 explanations on the two lambda
  segmentations, from one attack per image (Fig. 13b, c).

The paper's numbers come from :mod:`axlib.papers.axai.paper`; the verdicts from the rules of
:mod:`axlib.papers.axai.claims`. Pixels are in [0, 1]; times are wall-clock seconds.
"""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

from axlib import plots, segment
from axlib.companion.rules import Estimate
from axlib.data.imagenet import IMAGENET_CLASSES
from axlib.data.natural import natural_images
from axlib.explain import axai, default_attack_params
from axlib.papers.axai import paper

__all__ = ["LIME", "LAMBDA_LOW", "LAMBDA_HIGH", "TARGET_SEGMENTS", "CIFAR_KERNELS", "AXAI_SIZE",
           "AXAI_SETTINGS", "K_SHOWN", "K_TIMED", "lime_title", "sweep", "plot_sweep", "time_spread",
           "segments_by_kernel", "never_more_segments", "kernel_cost_record", "cifar_sweep",
           "plot_cifar_segments", "plot_cifar_counts", "cifar_summary", "cifar_merge_record",
           "lambda_pair", "lambda_pairs", "lambda_table", "with_paper_row", "plot_lambda_segments",
           "lambda_counts_record", "attack_description", "explain", "explanation_inputs",
           "time_explainability_length", "is_prefix", "explain_photographs", "plot_explainability_lengths",
           "k_cost_record", "compare_lambda_explanations", "plot_lambda_explanations",
           "lambda_explanations_record"]

LIME = {"kernel_size": paper.QUICKSHIFT_LIME_KERNEL_SIZE.value, "max_dist": paper.QUICKSHIFT_LIME_MAX_DIST.value,
        "ratio": paper.QUICKSHIFT_LIME_RATIO.value}
"""LIME's QuickShift defaults as the appendix quotes them (``segment.LIME_DEFAULTS``)."""
LAMBDA_LOW, LAMBDA_HIGH = paper.QUICKSHIFT_LAMBDAS.value
"""The two lambdas of Fig. 13 (0.2 in panel b, 0.8 in panel c)."""
TARGET_SEGMENTS = paper.QUICKSHIFT_LAMBDA_COUNTS.value[0]
"""The castle's segment count at lambda 0.2 (Fig. 13b): the count our lambda pairs aim at."""
CIFAR_KERNELS = (LIME["kernel_size"], 2, paper.QUICKSHIFT_CIFAR_KERNEL_SIZE.value)
"""Kernel sizes compared on CIFAR-10: LIME's, one between, the paper's choice for CIFAR."""
AXAI_SIZE = 224
"""Side of the photographs AXAI explains: MobileNetV2's input."""
AXAI_SETTINGS = {"a": float(paper.QUICKSHIFT_TAIL_PERCENT.value), "attack": "pgd",
                 "steps": paper.QUICKSHIFT_PGD_STEPS.value, "norm": "l2", "channel_rule": "any"}
"""AXAI's settings on this page (the target is the model's prediction)."""
K_SHOWN = (*paper.QUICKSHIFT_K_SHOWN.value, paper.QUICKSHIFT_K.value)
"""Explainability lengths shown in Fig. 12 (1, 2) and used in Figs. 12 and 13 (10)."""
K_TIMED = (min(K_SHOWN), max(K_SHOWN))
"""The two explainability lengths whose cost is compared."""
N_SHOWN = 6
"""Photographs drawn in the figures with one row per photograph (the first ones: scikit-image's
four and two ImageNet samples in the default profile); the tables and verdicts use them all."""
_LAMBDAS = {"02": LAMBDA_LOW, "08": LAMBDA_HIGH}   # column suffix -> lambda
_SWEEP_LABELS = {"kernel_size": "kernel size (pixels)", "max_dist": "max_dist τ", "ratio": "λ (ratio)"}


def lime_title(image_size: int) -> str:
    """Title of the figure of the photographs at LIME's defaults, crops of ``image_size`` pixels."""
    return (f"LIME's QuickShift defaults ({LIME['kernel_size']}, {LIME['max_dist']}, {LIME['ratio']}) "
            f"on {image_size}-pixel crops")


def _fixed(param: str) -> dict:
    """The QuickShift parameters held fixed when ``param`` is swept (LIME's; both lambdas along max_dist)."""
    if param not in _SWEEP_LABELS:
        raise ValueError(f"param must be one of {tuple(_SWEEP_LABELS)}, got {param!r}")
    fixed = {k: v for k, v in LIME.items() if k != param}
    if param == "max_dist":
        fixed["ratio"] = sorted({LIME["ratio"], LAMBDA_HIGH})
    return fixed


def sweep(images, names: Sequence[str], param: str, values: Sequence[float], *, repeats: int = 1) -> pd.DataFrame:
    """Segment counts and wall times of QuickShift along ``param``, the others at LIME's values.

    images: (B, 3, H, W) in [0, 1]; names: B labels; param: "kernel_size", "max_dist" (run
    for lambda 0.2 and 0.8) or "ratio"; values: the values of ``param``; repeats: runs per
    setting, the fastest kept. Returns :func:`axlib.segment.sweep`'s DataFrame (columns image,
    kernel_size, max_dist, ratio, segments, seconds, ...).
    """
    return segment.sweep(images, names, **_fixed(param), **{param: list(values)}, repeats=repeats)


def plot_sweep(frame: pd.DataFrame, param: str):
    """Segments and wall time against ``param`` (a :func:`sweep` result), one line per image."""
    fixed = _fixed(param)
    if param == "kernel_size":
        title = (f"AXAI App. A (text): segments and wall time against kernel size, max_dist {fixed['max_dist']}, "
                 f"λ {fixed['ratio']}")
        return plots.line_plot(frame, param, ["segments", "seconds"], hue="image", logy=True,
                               xlabel=_SWEEP_LABELS[param], ylabel=["segments", "wall time (s)"], title=title)
    if param == "max_dist":
        title = f"AXAI App. A (text): segments and wall time against max_dist, kernel {fixed['kernel_size']}"
        return plots.line_plot(frame, param, ["segments", "seconds"], hue="image", style="ratio", logx=True,
                               logy=[True, False], xlabel=_SWEEP_LABELS[param], ylabel=["segments", "wall time (s)"],
                               title=title)
    title = (f"AXAI App. A (text): segments and wall time against λ, kernel {fixed['kernel_size']}, "
             f"max_dist {fixed['max_dist']}")
    return plots.line_plot(frame, param, ["segments", "seconds"], hue="image", xlabel=_SWEEP_LABELS[param],
                           ylabel=["segments", "wall time (s)"], title=title)


def time_spread(sweeps: Mapping[str, pd.DataFrame]) -> pd.Series:
    """How much each swept parameter moves the wall time.

    sweeps: parameter name -> its :func:`sweep` DataFrame. Returns a Series indexed by
    parameter: the ratio of the largest to the smallest median time (over images) at one value.
    """
    def time_range(frame, param):
        medians = frame.groupby(param).seconds.median()
        return medians.max() / medians.min()

    return pd.Series({param: time_range(frame, param) for param, frame in sweeps.items()},
                     name="slowest / fastest median time")


def segments_by_kernel(by_kernel: pd.DataFrame) -> pd.DataFrame:
    """Segment counts, kernel sizes (rows, ascending) by image (columns), of a kernel :func:`sweep`."""
    return by_kernel.pivot(index="kernel_size", columns="image", values="segments")


def never_more_segments(counts: pd.DataFrame) -> bool:
    """Whether the count never rises from one kernel size to the next, on every image."""
    return bool((counts.diff().dropna() <= 0).all().all())


def kernel_cost_estimates(sweeps: Mapping[str, pd.DataFrame], counts: pd.DataFrame) -> dict:
    """The two numbers of ``axai.quickshift.kernel_cost``, bootstrap over images.

    sweeps: {"kernel_size", "max_dist", "ratio": :func:`sweep` DataFrame} on the same images;
    counts: :func:`segments_by_kernel`. Returns {"kernel spread / other spreads": the kernel
    sweep's slowest / fastest median time over the larger of the other two sweeps' (> 1: the
    kernel moves the time most; each image's time at a value is its median over the other
    swept settings), "kernel-segments rank correlation": the mean over images of Spearman's
    rho between the kernel size and the segment count (-1: fewer segments at every larger kernel)}.
    """
    times = {param: frame.pivot_table(index="image", columns=param, values="seconds", aggfunc="median").to_numpy()
             for param, frame in sweeps.items()}

    def dominance(kernel, dist, ratio):
        spread = [np.max(np.median(t, 0)) / np.min(np.median(t, 0)) for t in (kernel, dist, ratio)]
        return spread[0] / max(spread[1], spread[2])

    rho = [spearmanr(counts.index, counts[image]).statistic if counts[image].nunique() > 1 else 0.0
           for image in counts.columns]
    return {"kernel spread / other spreads": Estimate.bootstrap(dominance, times["kernel_size"], times["max_dist"],
                                                                times["ratio"]),
            "kernel-segments rank correlation": Estimate.mean(np.asarray(rho, dtype=float))}


def kernel_cost_record(spread: pd.Series, counts: pd.DataFrame, sweeps: Mapping[str, pd.DataFrame], *,
                       image_size: int, n_images: int) -> dict:
    """:meth:`~axlib.companion.results.Recorder.judge` keywords of ``axai.quickshift.kernel_cost``
    from :func:`time_spread`, :func:`segments_by_kernel` and the sweeps
    (:func:`kernel_cost_estimates`) on ``n_images`` crops of ``image_size`` pixels."""
    fewer = never_more_segments(counts)
    ours = (f"time x{spread['kernel_size']:.0f} from kernel {min(counts.index)} to {max(counts.index)} "
            f"(x{spread['max_dist']:.1f} along max_dist, x{spread['ratio']:.1f} along λ); segments "
            f"{counts.iloc[0].median():.0f} -> {counts.iloc[-1].median():.0f}")
    note = (f"{image_size}-pixel crops of {n_images} photographs, one CPU thread; the window QuickShift searches "
            "grows with the kernel, so time grows about with its square; "
            + ("segment counts never rise with the kernel" if fewer
               else "segment counts are not monotone in the kernel on every image"))
    return {"estimate": kernel_cost_estimates(sweeps, counts), "ours": ours, "note": note}


# ------------------------------------------------------------------ low resolution (Fig. 11)
def cifar_sweep(images: torch.Tensor, labels: torch.Tensor, classes: Sequence[str]) -> pd.DataFrame:
    """Segment counts and times of CIFAR images (B, 3, 32, 32) at :data:`CIFAR_KERNELS`, max_dist
    and lambda at LIME's; labels (B,) class indices named by ``classes``. One row per image and kernel."""
    return segment.sweep(images, [classes[int(c)] for c in labels], kernel_size=list(CIFAR_KERNELS),
                         max_dist=LIME["max_dist"], ratio=LIME["ratio"])


def plot_cifar_segments(images: torch.Tensor, labels: torch.Tensor, classes: Sequence[str], n_shown: int = 10):
    """Fig. 11: the first ``n_shown`` images (one per class) at LIME's kernel (top) and the paper's (bottom)."""
    shown = slice(0, min(n_shown, len(images)))
    kernels = (CIFAR_KERNELS[0], CIFAR_KERNELS[-1])
    panels = [(k, segment.quickshift(images[shown], kernel_size=k, max_dist=LIME["max_dist"], ratio=LIME["ratio"]))
              for k in kernels]
    return plots.show_segments(
        torch.cat([images[shown]] * 2), torch.cat([maps for _, maps in panels]),
        [f"{classes[int(c)]}\nkernel {k}: {int(n)}" for k, maps in panels
         for c, n in zip(labels[shown], segment.count_segments(maps))],
        ncols=len(images[shown]), size=1.6,
        suptitle=f"AXAI Fig. 11: CIFAR-10 at kernel {kernels[0]} (LIME, top) and kernel {kernels[1]} (bottom); "
                 f"max_dist {LIME['max_dist']}, λ {LIME['ratio']}")


def plot_cifar_counts(by_cifar: pd.DataFrame):
    """Histogram of segment counts per CIFAR image, by kernel size (a :func:`cifar_sweep` result)."""
    return plots.hist_plot(by_cifar, "segments", hue="kernel_size", xlabel="segments per 32x32 image",
                           title=f"AXAI Fig. 11, over {len(by_cifar) // by_cifar.kernel_size.nunique()} "
                                 "CIFAR-10 test images: segment counts by kernel size")


def cifar_summary(by_cifar: pd.DataFrame) -> pd.DataFrame:
    """Per kernel size: median segment count, share of images that are one segment, share with at
    most 3, mean milliseconds per image."""
    return by_cifar.groupby("kernel_size").agg(
        median_segments=("segments", "median"), single_segment=("segments", lambda s: (s == 1).mean()),
        at_most_3=("segments", lambda s: (s <= 3).mean()), ms_per_image=("seconds", lambda s: 1000 * s.mean()))


def cifar_merge_record(summary: pd.DataFrame, by_cifar: pd.DataFrame) -> dict:
    """:meth:`~axlib.companion.results.Recorder.judge` keywords of ``axai.quickshift.lime_defaults_merge_cifar``
    from :func:`cifar_summary` and :func:`cifar_sweep`'s rows: the median segment count at LIME's
    kernel and the ratio of the medians (finest kernel / LIME's), bootstrap over images."""
    lime, fine = CIFAR_KERNELS[0], CIFAR_KERNELS[-1]
    # images are named by their class, so the n-th row of each kernel is the n-th image
    counts = by_cifar.assign(row=by_cifar.groupby("kernel_size").cumcount()).pivot(
        index="row", columns="kernel_size", values="segments")
    at_lime, at_fine = counts[lime].to_numpy(float), counts[fine].to_numpy(float)
    n_images = len(at_lime)
    estimate = {"median segments at LIME's defaults": Estimate.bootstrap(np.median, at_lime),
                "finest / LIME's median segments": Estimate.bootstrap(lambda a, b: np.median(b) / np.median(a),
                                                                      at_lime, at_fine)}
    ours = (f"median segment count {summary.loc[lime, 'median_segments']:g} at "
            f"{LIME['kernel_size']}/{LIME['max_dist']}/{LIME['ratio']} ({summary.loc[lime, 'single_segment']:.0%} "
            f"of images a single segment) vs {summary.loc[fine, 'median_segments']:g} at kernel {fine}")
    note = f"{n_images} images of the embedded CIFAR-10 test subset, max_dist {LIME['max_dist']}, λ {LIME['ratio']}"
    return {"estimate": estimate, "ours": ours, "note": note}


# ------------------------------------------------------------- lambda, segment counts (Fig. 13)
def lambda_pair(image: torch.Tensor, kernel_sizes: Sequence[float]) -> dict:
    """The lambda 0.2 segmentation closest to the paper's 73 segments, and lambda 0.8 with all else fixed.

    image: (3, H, W) in [0, 1]; kernel_sizes: the grid searched (max_dist LIME's). Returns a
    dict with kernel_size, max_dist, labels_02 and labels_08 (each (H, W) segment ids).
    """
    low = segment.match_count(image, TARGET_SEGMENTS, ratio=LAMBDA_LOW, kernel_sizes=kernel_sizes,
                              max_dists=[LIME["max_dist"]])
    high = segment.quickshift(image, kernel_size=low["kernel_size"], max_dist=low["max_dist"], ratio=LAMBDA_HIGH)
    return {"kernel_size": low["kernel_size"], "max_dist": low["max_dist"], "labels_02": low["labels"],
            "labels_08": high}


def lambda_pairs(images, names: Sequence[str], kernel_sizes: Sequence[float]) -> list[dict]:
    """:func:`lambda_pair` of every image (B, 3, H, W), each dict with the image's name added."""
    return [dict(image=name, **lambda_pair(image, kernel_sizes)) for image, name in zip(images, names)]


def lambda_table(images, pairs: Sequence[dict]) -> pd.DataFrame:
    """One row per image of :func:`lambda_pairs`: kernel_size, max_dist, and per lambda (suffix
    02, 08) segments, boundary (pixel edges) and spread (RMS Lab distance to the segment mean);
    change = segments_08 / segments_02 - 1."""
    table = pd.DataFrame([
        {**{k: m[k] for k in ("image", "kernel_size", "max_dist")},
         **{f"{what}_{lam}": int(fn(m[f"labels_{lam}"])) for lam in _LAMBDAS
            for what, fn in (("segments", segment.count_segments), ("boundary", segment.boundary_length))},
         **{f"spread_{lam}": float(segment.colour_spread(image, m[f"labels_{lam}"])) for lam in _LAMBDAS}}
        for image, m in zip(images, pairs)])
    table["change"] = table.segments_08 / table.segments_02 - 1
    return table


def with_paper_row(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`lambda_table` with the paper's castle row appended, in display column order."""
    low, high = paper.QUICKSHIFT_LAMBDA_COUNTS.value
    paper_row = pd.DataFrame([dict(image="castle (paper)", segments_02=low, segments_08=high, change=high / low - 1)])
    columns = ["image", "kernel_size", "max_dist", "segments_02", "segments_08", "change",
               "boundary_02", "boundary_08", "spread_02", "spread_08"]
    return pd.concat([table, paper_row], ignore_index=True)[columns]


def _shown(n: int) -> str:
    """The suptitle's note when only the first :data:`N_SHOWN` of ``n`` photographs are drawn."""
    return f" (the first {N_SHOWN} of {n} photographs)" if n > N_SHOWN else ""


def plot_lambda_segments(images, pairs: Sequence[dict], table: pd.DataFrame):
    """The first :data:`N_SHOWN` images beside their lambda 0.2 and 0.8 segmentations
    (:func:`lambda_pairs`, :func:`lambda_table`)."""
    note = _shown(len(pairs))
    images, pairs, table = images[:N_SHOWN], pairs[:N_SHOWN], table.iloc[:N_SHOWN]
    return plots.show_segments(
        [image for image in images for _ in range(3)],
        [label for m in pairs for label in (torch.zeros_like(m["labels_02"]), m["labels_02"], m["labels_08"])],
        [title for r in table.itertuples() for title in (
            f"{r.image} (kernel {r.kernel_size:g}, max_dist {r.max_dist:g})",
            f"λ = {LAMBDA_LOW}: {r.segments_02} segments", f"λ = {LAMBDA_HIGH}: {r.segments_08} segments")],
        ncols=3, size=3.0,
        suptitle=f"AXAI Fig. 13 (segmentations only): λ {LAMBDA_LOW} vs {LAMBDA_HIGH} with kernel and max_dist fixed"
                 + note)


def lambda_counts_record(table: pd.DataFrame) -> dict:
    """:meth:`~axlib.companion.results.Recorder.judge` keywords of ``axai.quickshift.lambda_counts``
    from :func:`lambda_table`: the mean |relative change| of the count, bootstrap over images."""
    changes = table.change
    low, high = paper.QUICKSHIFT_LAMBDA_COUNTS.value
    ours = (", ".join(f"{r.image} {r.segments_02}->{r.segments_08}" for r in table.itertuples())
            + f" (median change {changes.median():+.0%})")
    note = ("claim: counts nearly the same when only λ changes; different images (the castle is not available "
            f"offline), kernel size chosen per image so that λ {LAMBDA_LOW} gives the count closest to {low}; "
            f"ours change by {changes.min():+.0%} to {changes.max():+.0%}, the paper's by {high / low - 1:+.0%}")
    return {"estimate": Estimate.mean(changes.abs().to_numpy()), "ours": ours, "note": note}


# ------------------------------------------------------------- AXAI explanations (Figs. 12, 13)
def attack_description() -> str:
    """One line: the attack budget and AXAI settings of this page, and torch's CPU threads."""
    params = default_attack_params((3, AXAI_SIZE, AXAI_SIZE), norm=AXAI_SETTINGS["norm"], steps=AXAI_SETTINGS["steps"])
    return (f"L2 PGD, {AXAI_SETTINGS['steps']} steps: eps = {params['eps']:.3f}, "
            f"step = {params['step']:.3f} (pixel units, [0, 1] clipping); a = {AXAI_SETTINGS['a']:g}, "
            f"channel rule {AXAI_SETTINGS['channel_rule']!r}; {torch.get_num_threads()} CPU thread(s)")


def explain(model, image: torch.Tensor, segments: torch.Tensor, k: int, **settings):
    """AXAI explanation (:func:`axlib.explain.axai`, :data:`AXAI_SETTINGS` updated by ``settings``)
    of ``image`` (1, 3, H, W) in [0, 1] on its label map ``segments`` (H, W), K = ``k``."""
    return axai(model, image, segments[None], k=k, **{**AXAI_SETTINGS, **settings})


def explanation_inputs(axai_names: Sequence[str], match_kernels: Sequence[float], *, images, names, lime_labels,
                       pairs, pair_kernels: Sequence[float]):
    """The photographs AXAI explains at :data:`AXAI_SIZE` pixels, their LIME segmentations and lambda pairs.

    axai_names: the photographs; match_kernels: the kernel grid of their lambda pairs. The
    crops of the sections above (``images`` (B, 3, s, s), ``names``, ``lime_labels`` (B, s, s),
    ``pairs`` matched on ``pair_kernels``) are reused when s is :data:`AXAI_SIZE` and the grids
    agree; otherwise everything is redone at :data:`AXAI_SIZE` with the same settings.
    Returns (images (N, 3, 224, 224), names, lime labels (N, 224, 224), lambda pairs).
    """
    if images.shape[-1] == AXAI_SIZE and list(pair_kernels) == list(match_kernels):
        pick = [list(names).index(n) for n in axai_names]
        return images[pick], tuple(names[i] for i in pick), lime_labels[pick], [pairs[i] for i in pick]
    x, chosen = natural_images(axai_names, size=AXAI_SIZE)
    return x, chosen, segment.quickshift(x, **LIME), lambda_pairs(x, chosen, match_kernels)


def time_explainability_length(model, image: torch.Tensor, segments: torch.Tensor, repeats: int):
    """Wall time of the whole AXAI call (attack included) at the two lengths of :data:`K_TIMED`.

    image: (1, 3, H, W); segments: (H, W); repeats: timed runs per length, the two lengths
    alternating so that changing machine load hits both alike (after one untimed 1-step warm-up).
    Returns (DataFrame of seconds, one column "K = k" per length, one row per run;
    dict k -> the explanation of its last run).
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    short, long = K_TIMED
    times = {short: [], long: []}
    runs = {}
    explain(model, image, segments, short, steps=1)            # warm-up (first-call overheads), not timed
    for r in range(repeats):
        for k in ((short, long) if r % 2 == 0 else (long, short)):
            start = time.perf_counter()
            runs[k] = explain(model, image, segments, k)
            times[k].append(time.perf_counter() - start)
    timing = pd.DataFrame({f"K = {k}": t for k, t in times.items()},
                          index=pd.RangeIndex(1, len(times[short]) + 1, name="run"))
    return timing, runs


def is_prefix(runs: Mapping[int, object]) -> bool:
    """Whether the K = 1 segment of :func:`time_explainability_length`'s runs is the first of the K = 10 ones."""
    short, long = K_TIMED
    return torch.equal(runs[short].top_k[0], runs[long].top_k[0, :short])


def explain_photographs(model, images: torch.Tensor, segments: torch.Tensor, first) -> list:
    """One AXAI explanation at the largest K of :data:`K_SHOWN` per image (N, 3, H, W) on its
    segments (N, H, W); ``first``: the first image's, already computed (reused)."""
    k = max(K_SHOWN)
    return [first] + [explain(model, images[i:i + 1], segments[i], k) for i in range(1, len(images))]


def plot_explainability_lengths(images, names: Sequence[str], segments, explained: Sequence):
    """Fig. 12: each of the first :data:`N_SHOWN` photographs (with its prediction and the attacked
    class) beside its explanations for K in :data:`K_SHOWN`, prefixes of one ranking
    (:func:`explain_photographs`)."""
    note = _shown(len(explained))
    images, names, segments, explained = images[:N_SHOWN], names[:N_SHOWN], segments[:N_SHOWN], explained[:N_SHOWN]
    panels, titles, outlines = [], [], []
    for i, (e, name) in enumerate(zip(explained, names)):
        pred, adv = IMAGENET_CLASSES[int(e.target[0])], IMAGENET_CLASSES[int(e.adv_label[0])]
        panels += [None] + [torch.isin(segments[i], e.top_k[0, :k]) for k in K_SHOWN]
        titles += [f"{name}: {pred}\n(attacked: {adv})"] + [f"K = {k}" for k in K_SHOWN]
        outlines += [segments[i]] * (1 + len(K_SHOWN))
    return plots.show_explanations(
        [image for image in images for _ in range(1 + len(K_SHOWN))], panels, titles, labels=outlines,
        ncols=1 + len(K_SHOWN), size=2.6,
        suptitle=f"AXAI Fig. 12: explanations of MobileNetV2 for explainability length K = "
                 f"{', '.join(map(str, K_SHOWN))} (QuickShift {LIME['kernel_size']}, {LIME['max_dist']}, "
                 f"{LIME['ratio']})" + note)


def k_cost_record(timing: pd.DataFrame, name: str) -> dict:
    """:meth:`~axlib.companion.results.Recorder.judge` keywords of ``axai.k_cost_independent`` from
    :func:`time_explainability_length`'s timing on the photograph ``name``: the estimate is the
    share of AXAI's time that depends on K, median t(K long) / median t(K short) - 1, with a
    bootstrap interval over the alternating pairs of runs."""
    short, long = (timing[f"K = {k}"] for k in K_TIMED)
    share = Estimate.bootstrap(lambda a, b: np.median(b) / np.median(a) - 1, short.to_numpy(), long.to_numpy(),
                               n_of="pairs of runs")
    note = (f"median wall time of the whole axai call (L2 PGD-{AXAI_SETTINGS['steps']} included) on one "
            f"{AXAI_SIZE}-pixel photograph ({name}, MobileNetV2, {torch.get_num_threads()} CPU thread(s), "
            f"{len(short)} alternating run(s) each): K = {K_TIMED[0]} {short.median():.2f} s, "
            f"K = {K_TIMED[1]} {long.median():.2f} s; "
            "all segment densities come from one attack and one scatter-add, K only slices the ranking, "
            f"so the attack's {AXAI_SETTINGS['steps']} forward-backward passes are the whole cost whatever K")
    return {"estimate": share, "note": note, "unit": f"t(K={K_TIMED[1]}) / t(K={K_TIMED[0]}) - 1"}


def compare_lambda_explanations(model, images: torch.Tensor, names: Sequence[str], explained: Sequence,
                                pairs: Sequence[dict]):
    """Top-10 AXAI explanations on the lambda 0.2 and 0.8 segmentations of each image, both from
    the image's one attack of ``explained`` (passed as a callable), so they differ only by grouping.

    images: (N, 3, H, W); explained: :func:`explain_photographs`; pairs: :func:`lambda_pairs`.
    Returns (DataFrame, one row per image: kernel_size and per lambda (suffix 02, 08) segments,
    area (share of the image shown), density (attacked share inside), captured (share of all
    attacked pixels inside), and iou of the two explanations; list of (mask_02, mask_08) (H, W)).
    """
    k = max(K_SHOWN)
    rows, masks = [], []
    for i, (e, pair) in enumerate(zip(explained, pairs)):
        x_adv = images[i:i + 1] + e.delta                       # the attack of Fig. 12, reused
        both = {lam: explain(model, images[i:i + 1], pair[f"labels_{lam}"], k,
                             attack=lambda model, x, y: x_adv, target=e.target) for lam in _LAMBDAS}
        attacked = e.attacked[0]
        row = dict(image=names[i], kernel_size=pair["kernel_size"])
        for lam, ex in both.items():
            mask = ex.mask[0]
            row |= {f"segments_{lam}": int(segment.count_segments(pair[f"labels_{lam}"])),
                    f"area_{lam}": mask.float().mean().item(),
                    f"density_{lam}": (attacked & mask).sum().item() / mask.sum().item(),
                    f"captured_{lam}": (attacked & mask).sum().item() / attacked.sum().item()}
        m02, m08 = both["02"].mask[0], both["08"].mask[0]
        row["iou"] = (m02 & m08).sum().item() / (m02 | m08).sum().item()
        rows.append(row)
        masks.append((m02, m08))
    return pd.DataFrame(rows), masks


def plot_lambda_explanations(images, explained: Sequence, pairs: Sequence[dict], frame: pd.DataFrame, masks):
    """Fig. 13b, c: each of the first :data:`N_SHOWN` photographs beside its top-10 explanations
    with lambda 0.2 and 0.8 (:func:`compare_lambda_explanations`)."""
    note = _shown(len(explained))
    images, explained, pairs, frame, masks = (images[:N_SHOWN], explained[:N_SHOWN], pairs[:N_SHOWN],
                                              frame.iloc[:N_SHOWN], masks[:N_SHOWN])
    panels, titles, outlines = [], [], []
    for e, pair, row, (m02, m08) in zip(explained, pairs, frame.itertuples(), masks):
        panels += [None, m02, m08]
        outlines += [None, pair["labels_02"], pair["labels_08"]]
        titles += [f"{row.image} (kernel {pair['kernel_size']:g}): {IMAGENET_CLASSES[int(e.target[0])]}",
                   f"λ = {LAMBDA_LOW}: {row.segments_02} segments, K = {max(K_SHOWN)}",
                   f"λ = {LAMBDA_HIGH}: {row.segments_08} segments, K = {max(K_SHOWN)}"]
    return plots.show_explanations(
        [image for image in images for _ in range(3)], panels, titles, labels=outlines, ncols=3, size=3.0,
        suptitle=f"AXAI Fig. 13: top-{max(K_SHOWN)} explanations with λ = {LAMBDA_LOW} and λ = {LAMBDA_HIGH}, "
                 "one attack per image" + note)


def lambda_explanations_record(frame: pd.DataFrame) -> dict:
    """:meth:`~axlib.companion.results.Recorder.judge` keywords of ``axai.lambda_explanations`` from
    :func:`compare_lambda_explanations`: the estimate is the mean over images of the attacked
    share inside the explanation at λ 0.2 minus at λ 0.8, bootstrap over images."""
    sharper = frame.density_02 >= frame.density_08
    gain = Estimate.mean((frame.density_02 - frame.density_08).to_numpy())
    k = max(K_SHOWN)
    ours = (", ".join(f"{r.image}: density {r.density_02:.2f} vs {r.density_08:.2f}, area {r.area_02:.0%} vs "
                      f"{r.area_08:.0%}, IoU {r.iou:.2f}" for r in frame.itertuples())
            + f" (λ {LAMBDA_LOW} vs {LAMBDA_HIGH}, K = {k})")
    note = (f"qualitative claim, judged by eye on a castle image we do not have; {len(frame)} "
            f"photograph(s), one L2 PGD-{AXAI_SETTINGS['steps']} attack per image shared by both segmentations, "
            f"so the explanations differ only by the grouping; the two top-{k} explanations overlap by IoU "
            f"{frame.iou.min():.2f}-{frame.iou.max():.2f}; our proxy for 'details not merged with "
            f"background', the attacked share inside the explanation, is at least as high with λ {LAMBDA_LOW} on "
            f"{int(sharper.sum())} of {len(sharper)} image(s) (largest difference "
            f"{(frame.density_02 - frame.density_08).abs().max():.2f})"
            + ("" if sharper.all() else f": no consistent advantage for λ {LAMBDA_LOW} on these images"))
    return {"estimate": gain, "ours": ours, "note": note}
