"""Running-time benchmark of AXAI against LIME and SHAP (AXAI paper, section 4.3, Table 5).

The paper times ResNet34 on ImageNet, one CPU (Intel Core i5-7360U) and one GPU (V100); its
seconds are :data:`axlib.papers.axai.paper.TABLE5` (:data:`PAPER_TABLE5` here, as plain numbers).

:func:`bench` times the three on the *same* model and images in one run, so the ratios
LIME/AXAI and SHAP/AXAI are comparable across machines even when the seconds are not:

- **AXAI**: QuickShift (``axlib.segment.quickshift``, LIME's 4 / 200 / 0.2 by default, so AXAI
  and LIME segment alike) + L2 PGD-20 (:func:`axlib.attacks.pgd`, AXAI's default budget) +
  the rest of Algorithm 1 (two predictions, thresholds, densities, ranking). QuickShift runs
  on a worker thread while the attack runs (it needs only the image); the parts are timed
  from their start and end: ``segmentation``, ``attack``, ``overlap`` (both at once) and
  ``rest`` (neither).
- **LIME**: :func:`axlib.explain.lime_attribution` (the ``lime`` package, its own QuickShift,
  N = 1,000 samples, 5 features); its QuickShift time is reported as ``segmentation``.
- **SHAP**: :func:`axlib.explain.shap_gradient_attribution` (``shap.GradientExplainer``,
  200 samples), background = the first ``n_background`` benchmark images.

Per-image seconds are measured at batch 1: every image, ``repeats`` times, after ``warmup``
untimed calls, the methods interleaved image by image (so that a change of load on a shared
machine hits them alike); the summary gives the median and the spread (quartiles, min, max) over all
those calls. Throughput (images/s) is measured at every batch size > 1 for the methods that
take a batch (AXAI; SHAP takes one, though shap loops over its images inside); LIME
explains one image at a time, so it has none. The images of a batch are the benchmark images
repeated cyclically when there are fewer than the batch size.

``bench_cli`` (``axlib bench --profile smoke|default|paper``) picks the model, images and
settings of a profile, times every method at each of the profile's thread budgets in turn
(default and paper: 1 thread, then every core, so each ratio compares methods at an equal
budget), prints the tables and writes the JSON (default ``runs/bench/<profile>.json``), with
the load average before and after each budget. The default and paper profiles time the CPU
and, when a GPU is present, the same run again on the GPU (the JSON's "gpu" entry). :func:`targets` checks a
result against the targets of :data:`axlib.papers.axai.claims.TABLE5_TARGETS` (the paper's
CPU ratios; AXAI's segmentation and its remaining work as shares of its time), and
:func:`table` gives Table 5's rows for a notebook. The verdict rules of the ratios are
declared with the claims ``axai.table5.*`` in :mod:`axlib.papers.axai.claims`.
"""
from __future__ import annotations

import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

from axlib import attacks as _attacks
from axlib._util.checks import check_device, check_images, check_int, cpu_cores, torch_threads
from axlib._util.paths import REPO_ROOT
from axlib._util.quotes import unquote
from axlib.papers.axai import claims as _axai_claims
from axlib.papers.axai import paper as _axai_paper
from axlib.segment import LIME_DEFAULTS

METHODS = ("axai", "lime", "shap")
PAPER_TABLE5 = unquote(_axai_paper.TABLE5)
"""Table 5 of the AXAI paper: seconds, ResNet34 on ImageNet (CPU: i5-7360U, GPU: V100), as
plain numbers {"cpu" | "gpu": {"lime" | "shap" | "axai": seconds}} (from the paper's ``paper.py``)."""

PROFILES: dict[str, dict] = {
    # seconds: the CIFAR-10 AlexNet, 2 images, tiny sample counts; proves the code path
    "smoke": dict(model="cifar10-alexnet", data="cifar10", n_images=2, repeats=1, warmup=0,
                  batch_sizes=(1, 2), device="cpu", threads=(1,),
                  segment=dict(LIME_DEFAULTS, kernel_size=1),
                  axai=dict(k=10, a=15.0, steps=20),
                  lime=dict(LIME_DEFAULTS, num_samples=20, num_features=5, kernel_size=1, batch_size=20),
                  shap=dict(nsamples=4, batch_size=50), n_background=2,
                  throughput_methods=("axai", "shap")),
    # MobileNetV2 224x224 at the paper's settings, every method at each thread budget in turn:
    # 1 thread, then every core (0), so the ratios are measured at equal budgets. Per image on
    # a quiet 2-core machine at 1 thread: AXAI about 1 s, LIME about 20 s, SHAP about 16 s, so
    # 10 images, one repeat and AXAI's throughput at batch 32 (SHAP loops per image inside and
    # LIME takes one image: no throughput) take about 20 minutes for both budgets.
    # warm-up: AXAI's first call only (it also warms the model); LIME and SHAP calls take tens
    # of seconds, so one-off costs weigh little in them, and warming them would add a minute.
    # Batches: each library's default (LIME 10 images per forward pass, the fastest here; SHAP 50).
    # With a GPU present the same run follows on it (gpu_also).
    "default": dict(model="imagenet-mobilenetv2", data="imagenet", n_images=10, repeats=1,
                    warmup={"axai": 1}, gpu_also=True,
                    batch_sizes=(1, 32), throughput_methods=("axai",), device="cpu", threads=(1, 0),
                    segment=dict(LIME_DEFAULTS),
                    axai=dict(k=10, a=15.0, steps=20),
                    lime=dict(LIME_DEFAULTS, num_samples=1000, num_features=5, batch_size=10),
                    shap=dict(nsamples=200, batch_size=50), n_background=5),
    # the paper's scale: its ResNet34 (torchvision's weights), more images and repeats, batch 32, the
    # GPU when there is one
    "paper": dict(model="imagenet-resnet34", data="imagenet", n_images=16, repeats=3, warmup=1,
                  gpu_also=True,
                  batch_sizes=(1, 32), device="cpu", threads=(1, 0),
                  segment=dict(LIME_DEFAULTS),
                  axai=dict(k=10, a=15.0, steps=20),
                  lime=dict(LIME_DEFAULTS, num_samples=1000, num_features=5, batch_size=10),
                  shap=dict(nsamples=200, batch_size=50), n_background=8,
                  throughput_methods=("axai", "shap")),
}


# --------------------------------------------------------------------------- helpers
def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def device_name(device) -> str:
    """A readable name of ``device``: the GPU's name, or the CPU's model name."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "cpu"


def summarize(seconds: list[float]) -> dict:
    """Median and spread of a list of durations (seconds): median, q25, q75, min, max, mean, n."""
    if not seconds:
        raise ValueError("seconds must hold at least one duration")
    s = sorted(seconds)
    q = statistics.quantiles(s, n=4, method="inclusive") if len(s) > 1 else [s[0]] * 3
    return {"median": statistics.median(s), "q25": q[0], "q75": q[2], "min": s[0], "max": s[-1],
            "mean": statistics.fmean(s), "n": len(s)}


# --------------------------------------------------------------------------- the timed calls
def _axai_call(model, settings: dict, device: torch.device):
    """AXAI through the book's attribution entry point (``axlib.explain.attribute("axai", ...)``:
    the top-k segments' attack densities as a map), QuickShift running on a worker thread while
    the L2 PGD attack runs where :func:`axlib.explain.axai` finds it pays; each part's start and
    end are recorded, so a call reports ``attack``, ``segmentation``, ``overlap`` (seconds both
    ran at once) and ``rest`` (seconds inside neither: predictions, thresholds, densities,
    ranking). The worker thread is a core too: on a CPU, when the thread budget (torch's
    threads) is below the machine's cores, AXAI does not overlap, so it runs within the same
    budget as LIME and SHAP instead of borrowing the core the budget leaves free."""
    from axlib.explain import attribute, default_attack_params
    from axlib.segment import quickshift

    seg_params = settings.get("segment", {})
    axai_params = dict(settings.get("axai", {}))
    steps = axai_params.pop("steps", 20)
    norm = axai_params.get("norm", "l2")

    def run(xb: torch.Tensor) -> dict:
        spans = {}

        def timed_pgd(m, x, y):   # AXAI's own attack (its default budget), with a stopwatch
            p = default_attack_params(x.shape, norm=norm, steps=steps)
            _sync(device)
            start = time.perf_counter()
            x_adv = _attacks.pgd(m, x, y, eps=p["eps"], step=p["step"], steps=steps, norm=norm)
            _sync(device)
            spans["attack"] = (start, time.perf_counter())
            return x_adv

        def timed_quickshift(images):
            start = time.perf_counter()
            labels = quickshift(images, **seg_params)
            spans["segmentation"] = (start, time.perf_counter())
            spans["labels"] = labels
            return labels

        within_budget = device.type != "cpu" or torch.get_num_threads() >= cpu_cores()
        _sync(device)
        start = time.perf_counter()
        amap = attribute("axai", model, xb, segments=timed_quickshift, attack=timed_pgd, steps=steps,
                         **{"overlap": None if within_budget else False, **axai_params})
        _sync(device)
        total = time.perf_counter() - start
        return {"total": total, **_parts(spans["attack"], spans["segmentation"], total),
                "map": amap.detach().cpu(), "segments": spans["labels"]}

    return run


def _parts(attack: tuple[float, float], segmentation: tuple[float, float], total: float) -> dict:
    """Seconds of the attack, of the segmentation, of both at once, and of neither, from the
    (start, end) clock readings of the two parts and the call's total seconds."""
    overlap = max(0.0, min(attack[1], segmentation[1]) - max(attack[0], segmentation[0]))
    busy = (attack[1] - attack[0]) + (segmentation[1] - segmentation[0]) - overlap
    return {"attack": attack[1] - attack[0], "segmentation": segmentation[1] - segmentation[0],
            "overlap": overlap, "rest": max(total - busy, 0.0)}


def _lime_call(model, settings: dict, device: torch.device):
    from axlib.explain.baselines import lime_attribution

    params = settings.get("lime", {})

    def run(xb: torch.Tensor) -> dict:
        timings: dict = {}
        _sync(device)
        start = time.perf_counter()
        amap = lime_attribution(model, xb, timings=timings, **params)
        _sync(device)
        total = time.perf_counter() - start
        seg = timings.get("segmentation", 0.0)
        return {"total": total, "segmentation": seg, "rest": max(total - seg, 0.0),
                "map": amap.detach().cpu()}

    return run


def _shap_call(model, settings: dict, device: torch.device, background: torch.Tensor):
    from axlib.explain.baselines import shap_gradient_attribution

    params = settings.get("shap", {})

    def run(xb: torch.Tensor) -> dict:
        _sync(device)
        start = time.perf_counter()
        amap = shap_gradient_attribution(model, xb, background=background, **params)
        _sync(device)
        return {"total": time.perf_counter() - start, "map": amap.detach().cpu()}

    return run


def method_calls(model, settings: dict, device, background: torch.Tensor) -> dict:
    """{method: a function returning a timed call of it}: each call takes a batch of images
    (B, 3, H, W) and returns {"total": seconds, its parts' seconds, "map": (B, H, W)} (and
    AXAI's "segments"); ``settings`` as in :func:`bench`, ``background`` SHAP's references."""
    device = torch.device(device)
    return {"axai": lambda: _axai_call(model, settings, device),
            "lime": lambda: _lime_call(model, settings, device),
            "shap": lambda: _shap_call(model, settings, device, background)}


BATCHED = {"axai": True, "lime": False, "shap": True}
"""Whether a method takes a batch in one call (LIME explains one image at a time)."""


TIMING_KEYS = ("attack", "segmentation", "overlap", "rest")
"""The timed parts a call may report beside its total (seconds); AXAI's ``overlap`` is time
inside both its attack and its segmentation, so its parts add up to total + overlap."""


def _time_methods(calls, methods, x, repeats, warmup, batch_sizes, throughput_methods, device,
                  say, keep_maps=False) -> tuple[dict, dict]:
    """Time every method at batch 1, interleaved image by image (AXAI, LIME, SHAP on image 1,
    then on image 2, ...), so that a change of load on a shared machine hits all methods
    alike and the ratios stay fair; then the throughput runs, method by method."""
    n = x.shape[0]
    runs = {method: calls[method]() for method in methods}
    for method in methods:
        for _ in range(warmup.get(method, 0)):
            say(f"{method}: warm-up")
            runs[method](x[:1])
    rows: dict = {method: [] for method in methods}  # batch 1 is always timed: the ratios come from it
    maps: dict = {}
    for r in range(repeats):
        for i in range(n):
            for method in methods:
                say(f"{method}: repeat {r + 1}/{repeats}, image {i + 1}/{n}")
                row = runs[method](x[i:i + 1])
                if keep_maps and r == 0:
                    maps.setdefault(method, []).append(row["map"])
                    if "segments" in row:
                        maps.setdefault(f"{method}_segments", []).append(row["segments"])
                rows[method].append({key: value for key, value in row.items()
                                     if key == "total" or key in TIMING_KEYS})
    results: dict = {}
    for method in methods:
        method_rows = rows[method]
        seconds = [row["total"] for row in method_rows]
        keys = [key for key in TIMING_KEYS if key in method_rows[0]]
        entry = {"batch1": summarize(seconds), "seconds": seconds,
                 "parts": {key: statistics.median(row[key] for row in method_rows) for key in keys},
                 "shares": {key: statistics.median(row[key] / row["total"] for row in method_rows)
                            for key in keys},
                 "share_values": {key: [row[key] / row["total"] for row in method_rows] for key in keys},
                 "batched": BATCHED[method], "throughput": {}}
        for b in batch_sizes:
            if b == 1 or not BATCHED[method] or method not in throughput_methods:
                continue
            index = torch.arange(b, device=device) % n
            xb = x[index]
            times, parts = [], []
            for r in range(repeats):
                say(f"{method}: batch {b}, repeat {r + 1}/{repeats}")
                row = runs[method](xb)
                times.append(row["total"])
                parts.append({key: row[key] for key in keys})
            entry["throughput"][str(b)] = {
                "images_per_s": b / statistics.median(times), "seconds": times,
                "parts": {key: statistics.median(p[key] for p in parts) for key in keys}}
        results[method] = entry
    return results, {k: torch.cat(v) for k, v in maps.items()}


# --------------------------------------------------------------------------- the benchmark
def bench(model, x: torch.Tensor, *, methods=METHODS, repeats: int = 3, warmup: int = 1,
          batch_sizes=(1, 32), device="cpu", settings: dict | None = None,
          background: torch.Tensor | None = None, n_background: int = 8,
          throughput_methods=None, threads: int | None = None, progress=None,
          keep_maps: bool = False) -> dict:
    """Time AXAI, LIME and SHAP on the same model and images.

    model: (B, 3, H, W) in [0, 1] -> logits; moved to ``device`` and put in eval mode.
    x: (N, 3, H, W) images in [0, 1], N >= 1.
    methods: a subset of ("axai", "lime", "shap"); repeats >= 1 timed passes over the images
    at batch 1, after ``warmup`` untimed calls on the first image: an int >= 0 for every
    method, or {method: int >= 0} (e.g. warm AXAI's first call, not a 50 s LIME call).
    batch_sizes: sizes >= 1; per-image seconds at batch 1 are always measured, every size > 1
    adds a throughput
    measurement (repeats calls) for the methods that take a batch.
    settings: {"segment": quickshift kwargs (AXAI), "axai": {k, a, steps, ...},
    "lime": lime_attribution kwargs, "shap": shap_gradient_attribution kwargs}; missing
    entries take the functions' defaults (the paper's settings).
    background: SHAP's reference images; None: the first ``n_background`` images of x.
    throughput_methods: the methods whose throughput is measured (None: every method that
    takes a batch, i.e. AXAI and SHAP); the others get an empty "throughput".
    threads: torch CPU threads during the benchmark (None: leave torch's setting); restored
    afterwards. On a CPU shared with other jobs 1 thread is far steadier than 2.
    progress: optional callable(str) told what is being timed.
    keep_maps: also return the explanations of the first batch-1 pass, under "maps"
    ({method: FloatTensor (N, H, W)}, and "axai_segments": LongTensor (N, H, W)); tensors,
    so pop "maps" before writing JSON.
    Returns a JSON-ready dict: environment (device name, torch version, threads), image size,
    settings, per method {"batch1": summary of per-image seconds (median, q25, q75, min, max,
    mean, n), "parts" (medians of the AXAI / LIME parts, seconds), "shares" (medians of each
    part's share of the call), "seconds" (raw), "throughput": {batch size: {"images_per_s"
    (median over repeats), "seconds", "parts"}}}, and "ratios"
    {"lime/axai", "shap/axai"}: ratios of the batch-1 medians of this run.
    Raises ValueError for an unknown method, repeats < 1, a warmup < 0, a batch size < 1,
    or x not (N, 3, H, W) in [0, 1].
    """
    methods = tuple(methods)
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"methods must be a non-empty subset of {METHODS}, got {methods!r}")
    repeats = check_int("repeats", repeats, low=1)
    if isinstance(warmup, dict):
        if any(m not in METHODS for m in warmup):
            raise ValueError(f"warmup's keys must be among {METHODS}, got {sorted(warmup)}")
        warmup = {m: check_int("warmup", warmup.get(m, 0), low=0) for m in methods}
    else:
        warmup = {m: check_int("warmup", warmup, low=0) for m in methods}
    batch_sizes = tuple(batch_sizes)
    if not batch_sizes:
        raise ValueError("batch_sizes must hold at least one batch size")
    for b in batch_sizes:
        check_int("batch_sizes", b, low=1)
    n_background = check_int("n_background", n_background, low=1)
    if throughput_methods is None:
        throughput_methods = tuple(m for m in methods if BATCHED[m])
    throughput_methods = tuple(throughput_methods)
    if any(m not in METHODS for m in throughput_methods):
        raise ValueError(f"throughput_methods must be a subset of {METHODS}, got {throughput_methods!r}")
    x = check_images(x)
    if x.shape[1] != 3:
        raise ValueError(f"x must be RGB images (N, 3, H, W), got {tuple(x.shape)}")
    device = torch.device(device)
    settings = {key: dict(value) for key, value in (settings or {}).items()}
    say = progress or (lambda message: None)

    model = model.to(device).eval()
    x = x.detach().to(device)
    if background is None:
        background = x[:n_background]
    background = check_images(background, name="background").to(device)

    calls = method_calls(model, settings, device, background)
    with torch_threads(threads):
        results, maps = _time_methods(calls, methods, x, repeats, warmup, batch_sizes,
                                      throughput_methods, device, say, keep_maps=keep_maps)
        used_threads = torch.get_num_threads()

    ratios = {}
    if "axai" in results:
        base = results["axai"]["batch1"]["median"]
        for method in ("lime", "shap"):
            if method in results:
                ratios[f"{method}/axai"] = results[method]["batch1"]["median"] / base

    import lime
    import shap

    out = {
        "benchmark": "AXAI Table 5: seconds per explanation",
        "device": str(device), "device_name": device_name(device),
        "torch": torch.__version__, "threads": used_threads,
        "python": sys.version.split()[0], "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "versions": {"lime": getattr(lime, "__version__", "0.2.0.1"), "shap": shap.__version__},
        "image_size": list(x.shape[1:]), "n_images": int(x.shape[0]), "repeats": repeats,
        "warmup": warmup,
        "batch_sizes": list(batch_sizes), "throughput_methods": list(throughput_methods),
        "n_background": int(background.shape[0]),
        "methods": list(methods), "settings": settings,
        "results": results, "ratios": ratios, "paper_table5": PAPER_TABLE5,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    out["targets"] = targets(out)
    if keep_maps:
        out["maps"] = maps
    return out


# --------------------------------------------------------------------------- targets
TARGETS = _axai_claims.TABLE5_TARGETS
"""The benchmark's targets, {name: (op, target)}: :data:`axlib.papers.axai.claims.TABLE5_TARGETS`."""


def targets(result: dict) -> dict:
    """Check a :func:`bench` result against :data:`TARGETS`.

    Shares are the medians over the batch-1 calls of part / total. Returns {name: {"value",
    "op", "target", "met"}} for the targets this result can answer (a method not run is
    left out).
    """
    values = dict(result.get("ratios", {}))
    axai_entry = result.get("results", {}).get("axai")
    if axai_entry is not None:
        for part in ("segmentation", "rest"):
            if part in axai_entry.get("shares", {}):
                values[f"axai {part} share"] = axai_entry["shares"][part]
    out = {}
    for name, (op, target) in TARGETS.items():
        if name in values:
            v = values[name]
            out[name] = {"value": v, "op": op, "target": target,
                         "met": bool(v >= target if op == ">=" else v <= target)}
    return out


# --------------------------------------------------------------------------- reporting
NAMES = {"axai": "AXAI (PGD-20)", "lime": "LIME", "shap": "SHAP (GradientExplainer)"}


def table(result: dict) -> list[dict]:
    """The rows of Table 5 for one :func:`bench` result: per method, the median seconds per
    image at batch 1 with its quartiles, throughput, ratio to AXAI, the paper's seconds and
    ratio on the same kind of device (CPU or GPU), and the parts (median seconds and shares)."""
    paper = PAPER_TABLE5["gpu" if result["device"].startswith("cuda") else "cpu"]
    rows = []
    for method, entry in result["results"].items():
        s = entry["batch1"]
        ratio = result["ratios"].get(f"{method}/axai", 1.0 if method == "axai" else None)
        rows.append({
            "method": NAMES[method], "device": result["device_name"],
            "s/image (median)": s["median"], "q25": s["q25"], "q75": s["q75"], "n": s["n"],
            "throughput": ", ".join(f"{v['images_per_s']:.3g} img/s @ {b}"
                                    for b, v in entry["throughput"].items()) or "-",
            "ratio to AXAI": ratio, "paper s": paper[method],
            "paper ratio": paper[method] / paper["axai"],
            "parts": ", ".join(f"{k} {v:.3g} s ({100 * entry.get('shares', {}).get(k, float('nan')):.0f}%)"
                               for k, v in entry["parts"].items()) or "-",
        })
    return rows


def format_table(result: dict) -> str:
    """The benchmark as a text table: per-image seconds (median [q25, q75]), throughput,
    ratio to AXAI, the parts, and the paper's seconds and ratios beside them; then the targets
    of AXAI's Table 5 and, when the GPU was timed too, its table."""
    warm = result["warmup"]
    warm = ", ".join(f"{k} {v}" for k, v in warm.items()) if isinstance(warm, dict) else warm
    head = (f"device: {result['device_name']} ({result['device']}), torch {result['torch']}, "
            f"{result['threads']} threads; images {'x'.join(map(str, result['image_size']))}, "
            f"n={result['n_images']}, repeats={result['repeats']}, warm-up calls: {warm}")
    cols = ["method", "s/image median", "[q25, q75]", "img/s @ batch", "ratio to AXAI",
            "paper s", "paper ratio", "parts: median s (share)"]
    rows = [[r["method"], f"{r['s/image (median)']:.3g}", f"[{r['q25']:.3g}, {r['q75']:.3g}]",
             r["throughput"].replace(" img/s", ""),
             "-" if r["ratio to AXAI"] is None else f"{r['ratio to AXAI']:.2f}",
             f"{r['paper s']:g}", f"{r['paper ratio']:.2f}", r["parts"]] for r in table(result)]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    lines = [head, line(cols), line(["-" * w for w in widths]), *map(line, rows)]
    for name, t in result.get("targets", {}).items():
        lines.append(f"target {name} {t['op']} {t['target']:g}: {t['value']:.3g} "
                     f"({'met' if t['met'] else 'NOT met'})")
    if result.get("gpu"):
        lines += ["", format_table(result["gpu"])]
    return "\n".join(lines)


def format_runs(result: dict) -> str:
    """A :func:`run_profile` result as text: each thread budget's table with the load average
    before and after it, then the ratios at every budget side by side."""
    blocks = []
    for run in result["runs"]:
        load = run["load_average_1_5_15"]
        blocks.append(format_table(run) + f"\nload average (1, 5, 15 min): before {load['before']}, "
                                          f"after {load['after']}")
    ratios = "; ".join(f"{run['threads']} thread(s): " + ", ".join(f"{k} {v:.1f}x" for k, v in run["ratios"].items())
                       for run in result["runs"])
    blocks.append(f"ratios at equal thread budgets: {ratios}")
    if result.get("gpu"):
        blocks.append(format_table(result["gpu"]))
    return "\n\n".join(blocks)


def profile_settings(profile: str, **overrides) -> dict:
    """The benchmark settings of ``profile`` (smoke | default | paper), with overrides.

    ``threads``: the thread budgets, each timed in turn (an int overrides them with one); 0
    means every core of the machine, and a budget named twice is timed once. Raises ValueError
    for an unknown profile, a device this machine does not have, repeats that is not an
    integer >= 1 or a budget that is not an integer >= 0 (before any data or model is loaded)."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {tuple(PROFILES)}, got {profile!r}")
    cfg = {k: (dict(v) if isinstance(v, dict) else v) for k, v in PROFILES[profile].items()}
    for key, value in overrides.items():
        if value is not None:
            cfg[key] = value
    if cfg["device"] == "auto":
        cfg["device"] = "cuda" if torch.cuda.is_available() else "cpu"
    check_device(cfg["device"])
    check_int("repeats", cfg["repeats"], low=1)
    budgets = tuple(cfg["threads"]) if isinstance(cfg["threads"], (list, tuple)) else (cfg["threads"],)
    budgets = [check_int("threads", t, low=0) or cpu_cores() for t in budgets]   # 0: every core
    if not budgets:
        raise ValueError("threads must name at least one thread budget")
    cfg["threads"] = tuple(dict.fromkeys(budgets))
    return cfg


def _load_average() -> list[float] | None:
    return list(os.getloadavg()) if hasattr(os, "getloadavg") else None


def run_profile(profile: str = "default", *, progress=None, **overrides) -> dict:
    """Load the profile's model and images and run :func:`bench` at each of its thread budgets
    in turn. Returns {"profile", "model", "data", "runs": [one :func:`bench` dict per budget,
    each with "load_average_1_5_15" {"before", "after"}]}. With the profile's ``gpu_also`` and
    a GPU present, the CPU runs are followed by the same run on the GPU, stored under "gpu"."""
    from axlib import models

    cfg = profile_settings(profile, **overrides)
    if cfg["data"] == "cifar10":
        from axlib.data.cifar import cifar10_test
        x = cifar10_test(cfg["n_images"])[0]
    else:
        from axlib.data.imagenet import imagenet_samples
        x = imagenet_samples(cfg["n_images"])[0]
    model = models.load(cfg["model"], device=cfg["device"])
    settings = {k: cfg[k] for k in ("segment", "axai", "lime", "shap")}
    kw = dict(repeats=cfg["repeats"], warmup=cfg["warmup"], batch_sizes=cfg["batch_sizes"],
              settings=settings, n_background=min(cfg["n_background"], x.shape[0]),
              throughput_methods=cfg["throughput_methods"], progress=progress)
    runs = []
    for threads in cfg["threads"]:
        load_before = _load_average()
        run = bench(model, x, device=cfg["device"], threads=threads, **kw)
        runs.append({"load_average_1_5_15": {"before": load_before, "after": _load_average()}, **run})
    result = {"profile": profile, "model": cfg["model"], "data": cfg["data"], "runs": runs}
    if cfg.get("gpu_also") and cfg["device"] == "cpu" and torch.cuda.is_available():
        # the same run on the GPU, so that one JSON holds both columns of Table 5
        gpu = bench(model, x, device="cuda", threads=None, **kw)
        model.to("cpu")
        result["gpu"] = {"profile": profile, "model": cfg["model"], "data": cfg["data"], **gpu}
    return result


def bench_cli(args) -> int:
    """``axlib bench``: run a profile, print the table, write the JSON; returns 0."""
    start = time.perf_counter()

    def progress(message):
        print(f"[{time.perf_counter() - start:7.1f}s] {message}", file=sys.stderr, flush=True)

    result = run_profile(args.profile, device=getattr(args, "device", None),
                         repeats=getattr(args, "repeats", None), threads=getattr(args, "threads", None),
                         progress=progress)
    result["wall_seconds"] = time.perf_counter() - start
    out = Path(args.out) if getattr(args, "out", None) else REPO_ROOT / "runs" / "bench" / f"{args.profile}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=_json_default))
    print(format_runs(result))
    print(f"wrote {out} ({result['wall_seconds']:.0f} s)")
    return 0


def _json_default(value):
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)
