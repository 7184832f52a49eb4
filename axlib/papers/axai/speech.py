"""AXAI on spectrograms (section 4.1, appendix E.3): grid cells in seconds and hertz, figures of an
explanation beside its spectrogram, and reading an explanation in time (word span, timing).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from axlib.data.speech_commands import HOP, N_FFT, SAMPLE_RATE, bin_frequencies, frame_times

__all__ = ["plot_spectrogram", "plot_explanations", "segment_interval", "word_span", "timing_profile",
           "verdict_start_and_end", "verdict_start", "verdict_neighbour", "choose_example"]


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
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise ValueError(f"level must be in (0, 1), got {level!r}")
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


def verdict_start_and_end(profile: dict) -> str:
    """The paper's reading of "right" (4.1): the start and the end of the word matter, the
    middle does not. reproduced: start > middle and end > middle; partly: one of them; else
    not reproduced."""
    wins = (profile["start"] > profile["middle"]) + (profile["end"] > profile["middle"])
    return "reproduced" if wins == 2 else "partly" if wins == 1 else "not reproduced"


def verdict_start(profile: dict) -> str:
    """The paper's reading of "three" (4.1): the start ("thr") matters most. reproduced: start
    is the largest of start / middle / end; partly: start is not the smallest; else not
    reproduced."""
    parts = [profile["start"], profile["middle"], profile["end"]]
    if parts[0] >= max(parts) and parts[0] > 0:
        return "reproduced"
    return "partly" if parts[0] > min(parts) else "not reproduced"


def verdict_neighbour(adv_words: Sequence[str], expected: str) -> str:
    """The paper's neighbour class (appendix D): the label an untargeted attack moves a word to.

    adv_words: the adversarial labels of clips of one word. reproduced: ``expected`` is the
    most frequent (ties included); partly: it occurs; else not reproduced.
    """
    words = list(adv_words)
    if not words:
        raise ValueError("adv_words must not be empty")
    counts = {w: words.count(w) for w in set(words)}
    if counts.get(expected, 0) == max(counts.values()):
        return "reproduced"
    return "partly" if expected in counts else "not reproduced"


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
