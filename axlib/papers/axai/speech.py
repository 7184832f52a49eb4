"""AXAI on spectrograms (section 4.1, appendix E.3): the clips and the model of a profile, grid
cells in seconds and hertz, figures of an explanation beside its spectrogram, reading an
explanation in time (word span, timing), and the neighbour classes an attack moves words to.

The verdict rules of these claims are in :mod:`axlib.papers.axai.claims` (``speech_*``).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from axlib._util.checks import check_int, check_number
from axlib.companion.rules import Estimate
from axlib.data import speech_commands
from axlib.data.speech_commands import HOP, N_FFT, SAMPLE_RATE, bin_frequencies, frame_times
from axlib.papers.axai import paper

__all__ = ["SPEECH_DATA", "load_clips", "load_model", "model_row", "accuracy_fields", "plot_spectrogram",
           "plot_explanations", "segment_interval", "word_span", "timing_profile", "choose_example",
           "explain_examples", "plot_examples", "timing_table", "timing_fields", "neighbour_attacks",
           "neighbour_table", "neighbour_fields", "more_examples", "plot_more_examples"]

SPEECH_DATA = ("embedded", "v002-testing")


# --------------------------------------------------------------------------- figures
def segment_interval(label: int, cells: tuple[int, int], shape: tuple[int, int], *,
                     hop: int = HOP, n_fft: int = N_FFT, sample_rate: int = SAMPLE_RATE) -> dict:
    """Time (s) and frequency (Hz) extent of grid cell ``label`` of :func:`axlib.segment.grid`.

    cells: (rows, cols) of the grid over a (F, T) spectrogram. Returns {"t0", "t1", "f0", "f1"}:
    the centres of the first and last frame / bin of the cell (t1, f1 inclusive).
    """
    rows, cols = cells
    f_count, t_count = shape
    if not 0 <= label < rows * cols:
        raise ValueError(f"label must be in [0, {rows * cols}), got {label!r}")
    r, c = divmod(int(label), cols)
    f_idx = np.flatnonzero(np.arange(f_count) * rows // f_count == r)
    t_idx = np.flatnonzero(np.arange(t_count) * cols // t_count == c)
    times, freqs = frame_times(t_count, hop, sample_rate), bin_frequencies(n_fft, sample_rate)
    return {"t0": float(times[t_idx[0]]), "t1": float(times[t_idx[-1]]),
            "f0": float(freqs[f_idx[0]]), "f1": float(freqs[f_idx[-1]])}


def _draw(ax, spec: np.ndarray, *, hop: int, n_fft: int, sample_rate: int, cmap: str = "magma"):
    times = frame_times(spec.shape[1], hop, sample_rate)
    freqs = bin_frequencies(n_fft, sample_rate)
    # log-frequency axis: bin 0 (0 Hz) has no place on it and is not drawn
    dt = hop / sample_rate
    t_edges = np.concatenate([times - dt / 2, [times[-1] + dt / 2]])
    df = sample_rate / n_fft
    f_edges = np.concatenate([freqs[1:] - df / 2, [freqs[-1] + df / 2]])
    mesh = ax.pcolormesh(t_edges, f_edges, spec[1:], cmap=cmap, vmin=0.0, vmax=1.0, shading="flat")
    ax.set_yscale("log")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    return mesh


def plot_spectrogram(spec, *, title: str | None = None, hop: int = HOP, n_fft: int = N_FFT,
                     sample_rate: int = SAMPLE_RATE):
    """One spectrogram (1, F, T) or (F, T) in [0, 1]: time in seconds, log-frequency axis.

    Returns a matplotlib Figure (made outside pyplot) with a colour bar of the [0, 1] level.
    """
    spec = _as_2d(spec)
    fig = Figure(figsize=(5.0, 3.2))
    ax = fig.subplots()
    mesh = _draw(ax, spec, hop=hop, n_fft=n_fft, sample_rate=sample_rate)
    fig.colorbar(mesh, ax=ax, label="log power, scaled to [0, 1]")
    if title:
        ax.set_title(title)
    return fig


def _as_2d(spec) -> np.ndarray:
    if isinstance(spec, torch.Tensor):
        spec = spec.detach().cpu().numpy()
    spec = np.asarray(spec, dtype=np.float64)
    if spec.ndim == 3 and spec.shape[0] == 1:
        spec = spec[0]
    if spec.ndim != 2:
        raise ValueError(f"spec must have shape (1, F, T) or (F, T), got {spec.shape}")
    return spec


def plot_explanations(specs, masks, titles: Sequence[str] | None = None, *, hop: int = HOP,
                      n_fft: int = N_FFT, sample_rate: int = SAMPLE_RATE, suptitle: str | None = None):
    """Spectrograms and their AXAI explanations side by side (the layout of AXAI Fig. 5 / 8).

    specs: (B, 1, F, T) in [0, 1]; masks: (B, F, T) bool, True where the explanation keeps the
    spectrogram (its top-k segments); everything else is shown masked out (black), as the
    paper's explanations are. titles: B strings (the explanation panel gets "AXAI: " + title).
    Returns a Figure with B rows and 2 columns.
    """
    specs = torch.as_tensor(specs)
    masks = torch.as_tensor(masks)
    if specs.dim() != 4 or masks.shape != (specs.shape[0], *specs.shape[-2:]):
        raise ValueError(f"specs must be (B, 1, F, T) and masks (B, F, T); got {tuple(specs.shape)} "
                         f"and {tuple(masks.shape)}")
    b = specs.shape[0]
    titles = list(titles) if titles is not None else [f"clip {i}" for i in range(b)]
    if len(titles) != b:
        raise ValueError(f"titles must hold {b} strings, got {len(titles)}")
    fig = Figure(figsize=(9.0, 2.8 * b))
    axes = np.atleast_2d(fig.subplots(b, 2))
    mesh = None
    for i in range(b):
        s = _as_2d(specs[i])
        m = masks[i].cpu().numpy().astype(bool)
        mesh = _draw(axes[i, 0], s, hop=hop, n_fft=n_fft, sample_rate=sample_rate)
        axes[i, 0].set_title(titles[i])
        _draw(axes[i, 1], np.where(m, s, 0.0), hop=hop, n_fft=n_fft, sample_rate=sample_rate)
        axes[i, 1].set_title("AXAI: " + titles[i])
    fig.colorbar(mesh, ax=axes.ravel().tolist(), label="log power, scaled to [0, 1]", shrink=0.8)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


# --------------------------------------------------------------------------- reading an explanation in time
def word_span(spec, *, level: float = 0.5) -> tuple[int, int]:
    """First and last frame of the spoken word in a spectrogram (1, F, T) or (F, T).

    Each frame's level is its mean over frequency; the background is the 10th percentile of
    the frame levels (robust to a few silent frames). A frame belongs to the word when its
    level is at least ``background + level * (max - background)`` (level in (0, 1); 0.5: half
    way between the background and the loudest frame). Returns (onset, offset) frame
    indices, inclusive: the first and last such frame.
    """
    level = check_number("level", level, 0, 1, low_open=True, high_open=True)
    s = _as_2d(spec)
    e = s.mean(0)
    background = np.percentile(e, 10)
    loud = np.flatnonzero(e >= background + level * (e.max() - background))
    return int(loud[0]), int(loud[-1])


def timing_profile(mask, span: tuple[int, int]) -> dict:
    """Where in the word an explanation lies: shares of its kept bins per part of the word.

    mask: (F, T) bool (the explanation); span: (onset, offset) frames of :func:`word_span`.
    The word is cut into three equal parts in time. Returns {"start", "middle", "end",
    "outside"} shares of the kept bins (summing to 1; all 0 for an empty mask).
    """
    m = np.asarray(torch.as_tensor(mask).cpu().numpy(), dtype=bool)
    if m.ndim != 2:
        raise ValueError(f"mask must have shape (F, T), got {m.shape}")
    on, off = span
    if not 0 <= on <= off < m.shape[1]:
        raise ValueError(f"span must be (onset, offset) with 0 <= onset <= offset < {m.shape[1]}, got {span}")
    per_frame = m.sum(0).astype(float)
    total = per_frame.sum()
    if total == 0:
        return {"start": 0.0, "middle": 0.0, "end": 0.0, "outside": 0.0}
    edges = np.linspace(on, off + 1, 4)
    frames = np.arange(m.shape[1])
    part = np.digitize(frames, edges[1:3])                      # 0 start, 1 middle, 2 end
    inside = (frames >= on) & (frames <= off)
    out = {name: float(per_frame[inside & (part == i)].sum() / total)
           for i, name in enumerate(("start", "middle", "end"))}
    out["outside"] = float(per_frame[~inside].sum() / total)
    return out


def choose_example(word: str, words: Sequence[str], labels, predictions, held_out) -> tuple[int, str]:
    """The clip of ``word`` a figure explains, chosen by a fixed rule (no looking at explanations).

    In order: the first held-out clip the model classifies as ``word``; else the first clip of
    any partition it classifies correctly; else the first held-out clip of the word.
    labels, predictions: (N,) class ids; held_out: indices of held-out clips.
    Returns (index, why) with why one of "held-out, correct", "training, correct",
    "held-out, misclassified".
    """
    if word not in words:
        raise ValueError(f"word must be one of the model's classes, got {word!r}")
    c = list(words).index(word)
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    held = set(int(i) for i in held_out)
    mine = np.flatnonzero(labels == c)
    for pool, why in (([i for i in mine if i in held and predictions[i] == c], "held-out, correct"),
                      ([i for i in mine if predictions[i] == c], "training, correct"),
                      ([i for i in mine if i in held], "held-out, misclassified")):
        if pool:
            return int(pool[0]), why
    raise ValueError(f"no clip of {word!r} to choose from")


# --------------------------------------------------------------------------- the clips and the model of a profile
def load_clips(source: str = "embedded", *, batch_size: int = 512) -> dict:
    """The clips a profile explains, as spectrograms, with the indices of the held-out ones.

    source: "embedded" (the 300 shipped Speech Commands v0.01 clips; held out: the data set's
    speaker split, :func:`axlib.data.speech_commands.split_by_speaker`) or "v002-testing" (the
    testing list of the full v0.02 archive, 2.4 GB download; every clip held out).
    batch_size: clips per :func:`~axlib.data.speech_commands.log_spectrogram` call.
    Returns {"specs": (N, 1, 129, 126) float32 in [0, 1], "labels": (N,) int64, "words": list of
    class names, "files": N names ``<word>/<file>.wav``, "held": (H,) int indices of held-out clips}.
    """
    if source == "embedded":
        waves, labels, words, files = speech_commands.embedded_clips()
        held = speech_commands.split_by_speaker(files)["held_out"]
    elif source == "v002-testing":
        waves, labels, words, files = speech_commands.speech_commands_v002("testing")
        waves = waves.float() / 32768.0
        held = np.arange(len(labels))
    else:
        raise ValueError(f"source must be one of {SPEECH_DATA}, got {source!r}")
    batch_size = check_int("batch_size", batch_size, low=1)
    specs = torch.cat([speech_commands.log_spectrogram(waves[i:i + batch_size])
                       for i in range(0, len(waves), batch_size)])
    return {"specs": specs, "labels": labels, "words": words, "files": files, "held": held}


def load_model(name: str, device: str = "cpu"):
    """The speech model ``name`` of the registry on ``device``, in eval mode; trained by its
    recipe first when its checkpoint is not on this machine (``speech-lenet-v002``: downloads
    2.4 GB, GPU advised)."""
    from axlib import models
    from axlib.models.registry import checkpoint_path

    if not checkpoint_path(name).exists():
        models.train(name, device=device)
    return models.load(name, device=device)


def model_row(name: str, clips: dict, predictions) -> dict:
    """One row of the page's model table: name, classes, parameters, held-out clips, held-out
    accuracy (share in [0, 1]), chance, the paper's accuracy (none reported), training wall
    time (s). clips: :func:`load_clips`; predictions: (N,) predicted labels of all clips."""
    held, labels = clips["held"], clips["labels"]
    card = _card(name)
    accuracy = float((torch.as_tensor(predictions)[held] == labels[held]).float().mean())
    return {"model": name, "classes": len(clips["words"]), "parameters": card["parameters"],
            "held out": f"{len(held)} clips", "held-out accuracy": accuracy, "chance": 1 / len(clips["words"]),
            "paper": "not reported", "training wall time (s)": card["train_wall_seconds"]}


def _card(name: str) -> dict:
    from axlib import models
    return models.card(name)


def accuracy_fields(name: str, clips: dict, accuracy: float) -> dict:
    """``ours``, ``note`` and ``unit`` of the record ``speech.lenet.held_out_accuracy``."""
    return {"ours": round(accuracy, 4), "unit": "share of held-out clips",
            "note": (f"{name} on {len(clips['held'])} held-out clips ({len(clips['words'])} words, speakers unseen "
                     "in training); the paper reports no accuracy; the embedded default learns from 205 clips, "
                     "about 7 a word")}


# --------------------------------------------------------------------------- Fig. 5: the paper's two words
def explain_examples(model, clips: dict, predictions, segments: torch.Tensor, *, words: Sequence[str] | None = None,
                     k: int = 10, steps: int = 20, device: str = "cpu") -> dict:
    """AXAI on one clip of each word of Fig. 5, chosen by :func:`choose_example`.

    words: the words (default: the paper's, "right" and "three"); segments: (F, T) grid labels;
    k: cells kept; steps: PGD iterations. Returns {word: {"idx", "why", "exp" (AXAI
    explanation, B = 1), "span" (onset, offset frames, :func:`word_span`), "timing"
    (:func:`timing_profile` of the explanation)}}.
    """
    from axlib.explain import axai

    specs = clips["specs"]
    out = {}
    for word in (tuple(paper.SPEECH_KEPT_INTERVALS) if words is None else words):
        idx, why = choose_example(word, clips["words"], clips["labels"], predictions, clips["held"])
        exp = axai(model, specs[idx:idx + 1].to(device), segments, k=k, steps=steps)
        span = word_span(specs[idx])
        out[word] = {"idx": idx, "why": why, "exp": exp, "span": span,
                     "timing": timing_profile(exp.mask[0].cpu(), span)}
    return out


def plot_examples(examples: dict, clips: dict, *, suptitle: str | None = None) -> Figure:
    """Fig. 5 layout for :func:`explain_examples`: each clip and its explanation, titled with the
    predicted word and the word the attack turns it into."""
    words = clips["words"]
    titles = [f"\"{w}\": predicted {words[int(e['exp'].target[0])]}, attacked to {words[int(e['exp'].adv_label[0])]}"
              for w, e in examples.items()]
    specs = clips["specs"]
    return plot_explanations(torch.cat([specs[e["idx"]:e["idx"] + 1] for e in examples.values()]),
                             torch.cat([e["exp"].mask.cpu() for e in examples.values()]), titles, suptitle=suptitle)


def timing_table(examples: dict, clips: dict, cells: tuple[int, int]) -> pd.DataFrame:
    """Where each Fig. 5 explanation lies in time: one row per word with the clip, why it was
    chosen, the word's span (s), the time slots of the kept cells (s) and the shares of the
    explanation in the start / middle / end third of the word and outside it."""
    specs = clips["specs"]
    frame_t = frame_times(specs.shape[-1])
    rows = []
    for word, e in examples.items():
        kept = [segment_interval(int(s), cells, tuple(specs.shape[-2:])) for s in e["exp"].top_k[0]]
        slots = sorted({(round(c["t0"], 2), round(c["t1"], 2)) for c in kept})
        rows.append({"word": word, "clip": clips["files"][e["idx"]], "chosen as": e["why"],
                     "word spoken (s)": (frame_t[e["span"][0]], frame_t[e["span"][1]]),
                     "time slots kept (s)": ", ".join(f"{a:.2f}-{b:.2f}" for a, b in slots),
                     **{f"share {k}": round(v, 2) for k, v in e["timing"].items()}})
    return pd.DataFrame(rows).set_index("word")


def timing_fields(word: str, result: dict, example: dict, clips: dict, *, k: int, cells: tuple[int, int]) -> dict:
    """:meth:`~axlib.companion.results.Recorder.judge` keywords of ``speech.<word>.explanation_timing``:
    over every correctly classified clip of ``word`` (``result``, one entry of
    :func:`neighbour_attacks`), the mean per-clip difference between the share of the explanation
    in the start (and, for "right", the end) third of the word and in its middle ("three": the
    larger of middle and end), bootstrap over clips; ``example``: the Fig. 5 clip shown."""
    t = pd.DataFrame(result["timing"], columns=["start", "middle", "end", "outside"])
    if t.empty:                              # no clip of the word classified correctly: nothing to measure
        nothing = Estimate.nothing("clips", f"no correctly classified clip of '{word}'")
        estimate = {"start - middle": nothing, "end - middle": nothing} if word == "right" else nothing
    elif word == "right":
        estimate = {"start - middle": Estimate.mean((t.start - t.middle).to_numpy(), "clips"),
                    "end - middle": Estimate.mean((t.end - t.middle).to_numpy(), "clips")}
    else:
        estimate = Estimate.mean((t.start - t[["middle", "end"]].max(axis=1)).to_numpy(), "clips")
    shown = example["timing"]
    return {"estimate": estimate, "unit": "share of the explanation per third of the word",
            "ours": (f"no correctly classified clip of '{word}'" if t.empty else
                     f"mean start {t.start.mean():.2f}, middle {t.middle.mean():.2f}, end {t.end.mean():.2f}"),
            "note": (f"{len(t)} correctly classified clips of '{word}', top {k} of {cells[0] * cells[1]} grid cells; the "
                     f"Fig. 5 clip {clips['files'][example['idx']]}: start {shown['start']:.2f}, middle "
                     f"{shown['middle']:.2f}, end {shown['end']:.2f}; the paper's axis is not the clip's 0-1 s, so the "
                     "position within the word is compared, not seconds")}


# --------------------------------------------------------------------------- the neighbour classes
def neighbour_attacks(model, clips: dict, predictions, segments: torch.Tensor, *, k: int = 10, steps: int = 20,
                      device: str = "cpu", neighbours: dict | None = None) -> dict:
    """AXAI on every correctly classified clip of each word: where the untargeted attack sends
    it, and where in the word its top-``k`` explanation lies.

    neighbours: {word: the paper's neighbour} (default: the paper's, "right" -> "five", "three"
    -> "tree"). Returns {word: {"expected", "attacked" (clips attacked), "adv" (their
    adversarial words, a list), "timing" (:func:`timing_profile` of each clip's explanation, a
    list), "confused" (the model's predictions of the word's held-out clips, a list)}}.
    """
    from axlib.explain import axai

    words, labels, specs = clips["words"], clips["labels"], clips["specs"]
    predictions = torch.as_tensor(predictions)
    neighbours = {w: str(q) for w, q in paper.SPEECH_NEIGHBOURS.items()} if neighbours is None else neighbours
    out = {}
    for word, expected in neighbours.items():
        c = words.index(word)
        mine = np.flatnonzero((labels == c).numpy() & (predictions == c).numpy())
        adv, timing = [], []
        if len(mine):
            exp = axai(model, specs[mine].to(device), segments, k=k, steps=steps)
            adv = [words[int(a)] for a in exp.adv_label.cpu()]
            timing = [timing_profile(m, word_span(specs[i])) for m, i in zip(exp.mask.cpu(), mine)]
        confused = [words[int(predictions[i])] for i in clips["held"] if int(labels[i]) == c]
        out[word] = {"expected": expected, "attacked": len(mine), "adv": adv, "timing": timing, "confused": confused}
    return out


def neighbour_table(neighbours: dict) -> pd.DataFrame:
    """One row per word of :func:`neighbour_attacks`: the paper's neighbour, clips attacked, the
    attack's destinations and the held-out predictions (counts)."""
    return pd.DataFrame([{"word": word, "paper's neighbour": n["expected"], "clips attacked": n["attacked"],
                          "attack destinations": pd.Series(n["adv"]).value_counts().to_dict(),
                          "held-out predictions": pd.Series(n["confused"]).value_counts().to_dict()}
                         for word, n in neighbours.items()]).set_index("word")


def neighbour_fields(word: str, result: dict, *, steps: int) -> dict:
    """:meth:`~axlib.companion.results.Recorder.judge` keywords of ``speech.<word>.neighbour``: the
    share of attacked clips the attack sends to the paper's neighbour (Clopper-Pearson over
    clips); result: one entry of :func:`neighbour_attacks`."""
    adv = pd.Series(result["adv"], dtype=object).value_counts()
    if result["adv"]:
        estimate = Estimate.proportion(int(adv.get(result["expected"], 0)), len(result["adv"]), "clips")
    else:
        estimate = Estimate(0.0, 0.0, 0.0, 0, "clips", "no clip attacked")     # n = 0: the rule says inconclusive
    return {"estimate": estimate,
            "ours": adv.index[0] if len(adv) else "", "unit": "share of attacked clips sent to the paper's neighbour",
            "note": (f"L2 PGD-{steps} on the {result['attacked']} correctly classified clips of '{word}': "
                     f"{adv.to_dict()}; held-out predictions of '{word}': "
                     f"{pd.Series(result['confused'], dtype=object).value_counts().to_dict()}")}


# --------------------------------------------------------------------------- Fig. 8: more words
def more_examples(clips: dict, predictions, *, exclude=(), n: int = 4) -> list[int]:
    """The first held-out, correctly classified clip of each of the first ``n`` words (in the
    model's class order, skipping ``exclude``) that has one. Returns clip indices."""
    n = check_int("n", n, low=0)
    words, labels = clips["words"], clips["labels"]
    more: list[int] = []
    for word in words:
        if word in exclude or len(more) == n:
            continue
        c = words.index(word)
        ok = [i for i in clips["held"] if int(labels[i]) == c and int(predictions[i]) == c]
        if ok:
            more.append(int(ok[0]))
    return more


def plot_more_examples(model, clips: dict, indices: Sequence[int], segments: torch.Tensor, *, k: int = 10,
                       steps: int = 20, device: str = "cpu", suptitle: str | None = None) -> Figure | None:
    """Fig. 8: AXAI on the clips ``indices`` (one batch), each beside its explanation and titled
    with its word and the word the attack turns it into. None when ``indices`` is empty."""
    from axlib.explain import axai

    if not len(indices):
        return None
    specs, words = clips["specs"], clips["words"]
    exp = axai(model, specs[indices].to(device), segments, k=k, steps=steps)
    titles = [f"\"{words[int(clips['labels'][i])]}\": attacked to {words[int(a)]}"
              for i, a in zip(indices, exp.adv_label.cpu())]
    return plot_explanations(specs[indices], exp.mask.cpu(), titles, suptitle=suptitle)
