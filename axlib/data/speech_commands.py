"""Speech Commands as images: waveforms, log-spectrograms in [0, 1], augmentation, splits, figures.

AXAI section 4.1 and appendix E.3 explain a LeNet that classifies spoken words from their
spectrograms. This module turns one-second 16 kHz clips into the (1, F, T) "images" that model
sees, and back into axes a reader can read (time in seconds, frequency in Hz on a log scale).

Pipeline (every step a function here, each tested):

1. :func:`read_wav`: a 16-bit mono 16 kHz WAVE file -> float waveform in [-1, 1] (int16 / 32768),
   zero-padded at the end (or cut) to exactly one second, 16,000 samples. Speech Commands clips
   shorter than one second exist; padding with silence is how the data set's own tools do it.
2. :func:`log_spectrogram`: ``torch.stft`` (Hann window of ``n_fft`` = 256 samples = 16 ms,
   hop 128 samples = 8 ms, centred frames with reflect padding) -> power |X|^2 ->
   ``10 log10(|X|^2 + a_min)`` dB -> mapped linearly to [0, 1] by
   ``(dB - db_min) / (db_max - db_min)``, where ``a_min = 10^(db_min / 10)`` (default
   db_min = -60 dB) and ``db_max = 10 log10(sum(w)^2 + a_min)`` is the largest value a waveform
   in [-1, 1] can reach (|X_k| <= sum |w| |x| <= sum w). The map is therefore into [0, 1]
   *without any clipping*: the floor is the additive a_min, the ceiling is a bound, not a clamp.
   Output (B, 1, F, T) = (B, 1, 129, 126) for the defaults: 129 frequency bins 0 .. 8 kHz
   (62.5 Hz apart), 126 frames 8 ms apart (frame t is centred at t * 8 ms).
3. :func:`augment`: random time shift (zero fill), gain (dB) and Gaussian noise, from a seeded
   ``torch.Generator``; a clip whose peak would exceed 1 is scaled down as a whole to peak 1
   (a stated rescaling, never a clip of samples).
4. :func:`which_set`: the data set's own speaker split (sha1 of the speaker id, the part of the
   file name before ``_nohash_``; Warden 2018 README), so no speaker is in two partitions.
5. Loaders: :func:`embedded_clips` (the 300 clips shipped in ``data/speech``: 30 words x 10)
   and :func:`speech_commands_v002` (the full data set of the ``paper`` profile, read from the
   verified archive of the registry entry ``speech-commands-v0.02``).
6. Figures: :func:`plot_spectrogram` (time in s, log-frequency axis) and
   :func:`plot_explanations` (spectrogram beside its AXAI explanation, as the paper's Fig. 5/8).
"""
from __future__ import annotations

import hashlib
import io
import math
import re
import tarfile
import wave
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from axlib._util.checks import check_int, check_number
from axlib._util.paths import repo_data_dir, shared_data_dir

__all__ = ["SAMPLE_RATE", "CLIP_SAMPLES", "N_FFT", "HOP", "DB_MIN", "WORDS_V001", "read_wav", "decode_wav",
           "log_spectrogram", "spectrogram_shape", "frame_times", "bin_frequencies", "augment", "speaker_of",
           "which_set", "split_by_speaker", "embedded_clips", "speech_commands_v002", "training_data"]

SAMPLE_RATE = 16_000
CLIP_SAMPLES = 16_000
N_FFT = 256
HOP = 128
DB_MIN = -60.0
_MAX_WAVS_PER_CLASS = 2 ** 27 - 1  # the data set's split constant (README, "Partitioning")

# The 30 words of Speech Commands v0.01 (the version of the embedded clips), sorted.
WORDS_V001 = ("bed", "bird", "cat", "dog", "down", "eight", "five", "four", "go", "happy",
              "house", "left", "marvin", "nine", "no", "off", "on", "one", "right", "seven",
              "sheila", "six", "stop", "three", "tree", "two", "up", "wow", "yes", "zero")


# --------------------------------------------------------------------------- waveforms
def _fit_length(samples: np.ndarray, length: int) -> np.ndarray:
    if samples.size >= length:
        return samples[:length]
    return np.concatenate([samples, np.zeros(length - samples.size, dtype=samples.dtype)])


def decode_wav(data: bytes, *, length: int = CLIP_SAMPLES, name: str = "wav") -> torch.Tensor:
    """Decode the bytes of a 16-bit PCM mono 16 kHz WAVE file to a float32 waveform.

    Returns (length,) float32 in [-1, 1) (int16 / 32768), zero-padded at the end or cut.
    Raises ValueError if the file is not 16-bit mono at 16 kHz or length < 1.
    """
    length = check_int("length", length, low=1)
    with wave.open(io.BytesIO(data), "rb") as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1 or w.getframerate() != SAMPLE_RATE:
            raise ValueError(f"{name}: expected 16-bit mono {SAMPLE_RATE} Hz PCM, got "
                             f"{8 * w.getsampwidth()}-bit, {w.getnchannels()} channel(s), {w.getframerate()} Hz")
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    return torch.from_numpy(_fit_length(samples, length).astype(np.float32) / 32768.0)


def read_wav(path, *, length: int = CLIP_SAMPLES) -> torch.Tensor:
    """Read a 16-bit mono 16 kHz WAVE file: (length,) float32 in [-1, 1) (see :func:`decode_wav`)."""
    path = Path(path)
    return decode_wav(path.read_bytes(), length=length, name=str(path))


# --------------------------------------------------------------------------- spectrograms
def spectrogram_shape(n_samples: int = CLIP_SAMPLES, n_fft: int = N_FFT, hop: int = HOP) -> tuple[int, int]:
    """(F, T) of :func:`log_spectrogram` for a clip of n_samples: (n_fft // 2 + 1, 1 + n_samples // hop)."""
    return n_fft // 2 + 1, 1 + n_samples // hop


def frame_times(n_frames: int, hop: int = HOP, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Centre time in seconds of each of n_frames centred STFT frames: t * hop / sample_rate."""
    check_int("n_frames", n_frames, low=1)
    return np.arange(n_frames) * hop / sample_rate


def bin_frequencies(n_fft: int = N_FFT, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Centre frequency in Hz of each of the n_fft // 2 + 1 STFT bins: k * sample_rate / n_fft."""
    check_int("n_fft", n_fft, low=2)
    return np.arange(n_fft // 2 + 1) * sample_rate / n_fft


def log_spectrogram(waves: torch.Tensor, *, n_fft: int = N_FFT, hop: int = HOP,
                    db_min: float = DB_MIN) -> torch.Tensor:
    """Log-power spectrograms mapped to [0, 1] (see the module notes for the exact map).

    waves: (B, N) or (N,) float waveforms in [-1, 1], N >= n_fft // 2 + 1.
    n_fft: window and FFT length in samples (>= 16); hop: frame step in samples (>= 1);
    db_min: the floor in dB (< 0): powers below 10^(db_min/10) all map near 0.
    Returns (B, 1, F, T) float32 in [0, 1] (or (1, F, T) for one waveform), F = n_fft // 2 + 1
    frequency bins (row 0 = 0 Hz), T = 1 + N // hop frames (column t centred at t * hop samples).
    Raises ValueError for waveforms outside [-1, 1], non-finite values, or bad parameters.
    """
    n_fft = check_int("n_fft", n_fft, low=16)
    hop = check_int("hop", hop, low=1)
    db_min = check_number("db_min", db_min, -200, 0, high_open=True)
    if not isinstance(waves, torch.Tensor) or waves.dim() not in (1, 2) or not waves.is_floating_point():
        raise ValueError("waves must be a float tensor of shape (B, N) or (N,)")
    single = waves.dim() == 1
    w2 = waves[None] if single else waves
    if w2.shape[-1] <= n_fft // 2:
        raise ValueError(f"waves must hold more than n_fft // 2 = {n_fft // 2} samples, got {w2.shape[-1]}")
    if not bool(torch.isfinite(w2).all()):
        raise ValueError("waves must be finite (no NaN/inf)")
    lo, hi = float(w2.min()), float(w2.max())
    if lo < -1 or hi > 1:
        raise ValueError(f"waves must lie in [-1, 1], got values in [{lo:g}, {hi:g}]")
    window = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)
    spec = torch.stft(w2.to(torch.float64), n_fft=n_fft, hop_length=hop, window=window, center=True,
                      pad_mode="reflect", return_complex=True)
    power = spec.real ** 2 + spec.imag ** 2
    a_min = 10.0 ** (db_min / 10.0)
    db_max = 10.0 * math.log10(float(window.sum()) ** 2 + a_min)
    out = ((10.0 * torch.log10(power + a_min) - db_min) / (db_max - db_min)).to(torch.float32)
    out = out[:, None]                                   # (B, 1, F, T)
    return out[0] if single else out


# --------------------------------------------------------------------------- augmentation
def augment(waves: torch.Tensor, generator: torch.Generator, *, max_shift: float = 0.1,
            gain_db: tuple[float, float] = (-6.0, 6.0), noise_std: float = 0.005) -> torch.Tensor:
    """Random time shift, gain and additive noise for a batch of waveforms, seeded.

    waves: (B, N) in [-1, 1]. generator: torch.Generator, the only randomness used.
    max_shift: largest shift in seconds, in [0, N / SAMPLE_RATE): each clip moves by a uniform
    integer number of samples in [-max_shift, max_shift] * SAMPLE_RATE, vacated samples are 0.
    gain_db: (low, high) dB, low <= high: each clip is multiplied by 10^(g / 20), g uniform.
    noise_std: >= 0, the largest noise level: each clip gets N(0, s^2) noise with s uniform
    in [0, noise_std].
    Returns (B, N) float32 in [-1, 1]: clips whose peak exceeds 1 after this are divided by
    their peak (the whole clip, so its shape is kept; no sample is clipped).
    """
    if not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator, got {type(generator).__name__}")
    if not isinstance(waves, torch.Tensor) or waves.dim() != 2 or not waves.is_floating_point():
        raise ValueError("waves must be a float tensor of shape (B, N)")
    b, n = waves.shape
    max_shift = check_number("max_shift", max_shift, 0, n / SAMPLE_RATE, high_open=True)
    g_lo, g_hi = (float(v) for v in gain_db)
    if not g_lo <= g_hi:
        raise ValueError(f"gain_db must be (low, high) with low <= high, got {gain_db!r}")
    noise_std = check_number("noise_std", noise_std, low=0)
    s_max = int(round(max_shift * SAMPLE_RATE))
    shifts = torch.randint(-s_max, s_max + 1, (b,), generator=generator)
    gains = 10.0 ** ((g_lo + (g_hi - g_lo) * torch.rand(b, generator=generator)) / 20.0)
    levels = noise_std * torch.rand(b, generator=generator)
    noise = torch.randn(b, n, generator=generator) * levels[:, None]
    idx = torch.arange(n)[None, :] - shifts[:, None]                 # source index of each sample
    valid = (idx >= 0) & (idx < n)
    shifted = torch.where(valid, waves.gather(1, idx.clamp(0, n - 1)), torch.zeros((), dtype=waves.dtype))
    out = (shifted * gains[:, None].to(waves.dtype) + noise.to(waves.dtype)).to(torch.float32)
    peak = out.abs().amax(1, keepdim=True)
    return torch.where(peak > 1, out / peak.clamp_min(1), out)


# --------------------------------------------------------------------------- splits
def speaker_of(filename: str) -> str:
    """The speaker id of a Speech Commands file name ``<speaker>_nohash_<n>.wav``."""
    base = Path(filename).name
    if "_nohash_" not in base:
        raise ValueError(f"filename must look like <speaker>_nohash_<n>.wav, got {filename!r}")
    return re.sub(r"_nohash_.*$", "", base)


def which_set(filename: str, validation_percentage: float = 10.0, testing_percentage: float = 10.0) -> str:
    """'training', 'validation' or 'testing': the data set's own hash split (Warden 2018).

    The sha1 of the speaker id (file name up to ``_nohash_``) decides, so every clip of one
    speaker lands in the same partition. Percentages in [0, 100] with a sum <= 100; 10 / 10
    reproduce the data set's ``validation_list.txt`` and ``testing_list.txt``.
    """
    for name, v in (("validation_percentage", validation_percentage), ("testing_percentage", testing_percentage)):
        check_number(name, v, 0, 100)
    if validation_percentage + testing_percentage > 100:
        raise ValueError("validation_percentage + testing_percentage must be <= 100")
    digest = hashlib.sha1(speaker_of(filename).encode("utf-8")).hexdigest()
    percentage = (int(digest, 16) % (_MAX_WAVS_PER_CLASS + 1)) * (100.0 / _MAX_WAVS_PER_CLASS)
    if percentage < validation_percentage:
        return "validation"
    if percentage < validation_percentage + testing_percentage:
        return "testing"
    return "training"


def split_by_speaker(files: Sequence[str]) -> dict[str, np.ndarray]:
    """Indices of ``files`` in each partition of :func:`which_set` (10 % / 10 %).

    Returns {"training", "validation", "testing", "held_out"} -> sorted int arrays; held_out is
    validation and testing together (no speaker of it is in training).
    """
    sets = np.array([which_set(f) for f in files])
    out = {name: np.flatnonzero(sets == name) for name in ("training", "validation", "testing")}
    out["held_out"] = np.sort(np.concatenate([out["validation"], out["testing"]]))
    return out


# --------------------------------------------------------------------------- loaders
def _clip_folder(source: str) -> Path:
    if source == "embedded":
        return repo_data_dir() / "speech"
    if source == "shared":
        shared = shared_data_dir()
        if shared is None:
            raise FileNotFoundError("source='shared' needs ../shared/data (development machines only)")
        return shared / "speech-commands-subset"
    raise ValueError(f"source must be 'embedded' or 'shared', got {source!r}")


def embedded_clips(words: Sequence[str] | None = None, *, source: str = "embedded"):
    """The Speech Commands v0.01 clips shipped in ``data/speech/<word>/*.wav``.

    words: the classes to load (default: all 30 of :data:`WORDS_V001`), label = index in
    ``words``. source: "embedded" (``data/speech``) or "shared" (the development copy).
    Returns (waves (N, 16000) float32 in [-1, 1], labels (N,) int64, words (list), files (list
    of ``<word>/<file>.wav``)), in word order then file-name order.
    Raises ValueError for an unknown word, FileNotFoundError when the folder is missing.
    """
    folder = _clip_folder(source)
    words = list(WORDS_V001 if words is None else words)
    unknown = [w for w in words if w not in WORDS_V001]
    if unknown:
        raise ValueError(f"words must be among the 30 Speech Commands v0.01 words, got {unknown}")
    if not folder.is_dir():
        raise FileNotFoundError(f"embedded speech clips not found in {folder}")
    from axlib.data.manifest import verified

    waves, labels, files = [], [], []
    for label, word in enumerate(words):
        paths = sorted((folder / word).glob("*.wav"))
        if not paths:
            raise FileNotFoundError(f"no clips for word {word!r} in {folder / word}")
        for p in paths:
            waves.append(read_wav(verified(p) if source == "embedded" else p))
            labels.append(label)
            files.append(f"{word}/{p.name}")
    return torch.stack(waves), torch.tensor(labels, dtype=torch.long), words, files


def speech_commands_v002(split: str = "testing", *, words: Sequence[str] | None = None,
                         archive=None, limit: int | None = None, download: bool = True):
    """Clips of the full Speech Commands v0.02 (the ``paper`` profile), read from the archive.

    split: "training", "validation" or "testing" (the archive's own lists, which are
    :func:`which_set`'s split). words: classes (default: all 35 word folders, sorted).
    archive: path of ``speech_commands_v0.02.tar.gz``; None fetches the verified copy of the
    registry entry ``speech-commands-v0.02`` (2.4 GB; ``download=False``: cached copy only).
    limit: keep at most that many clips (in archive order), None for all.
    Returns (waves (N, 16000) int16 tensor (divide by 32768 for [-1, 1]), labels (N,) int64,
    words, files). int16 keeps the 105,829 clips in 3.4 GB.
    """
    if split not in ("training", "validation", "testing"):
        raise ValueError(f"split must be 'training', 'validation' or 'testing', got {split!r}")
    if limit is not None:
        check_int("limit", limit, low=1)
    if archive is None:
        from axlib.data import registry
        archive = registry.fetch("speech-commands-v0.02", download=download)
    with tarfile.open(archive, "r:*") as tar:
        members = [m for m in tar.getmembers() if m.isfile()]
        by_name = {m.name.removeprefix("./"): m for m in members}
        lists = {}
        for key in ("validation", "testing"):
            data = tar.extractfile(by_name[f"{key}_list.txt"]).read().decode()
            lists[key] = {line.strip() for line in data.splitlines() if line.strip()}
        wavs = sorted(n for n in by_name if n.endswith(".wav") and "/" in n and not n.startswith("_"))
        all_words = sorted({n.split("/")[0] for n in wavs})
        words = list(all_words if words is None else words)
        unknown = [w for w in words if w not in all_words]
        if unknown:
            raise ValueError(f"words must be among the archive's {all_words}, got {unknown}")
        index = {w: i for i, w in enumerate(words)}
        out_w, out_y, out_f = [], [], []
        for name in wavs:
            word = name.split("/")[0]
            if word not in index:
                continue
            part = ("validation" if name in lists["validation"] else
                    "testing" if name in lists["testing"] else "training")
            if part != split:
                continue
            raw = tar.extractfile(by_name[name]).read()
            out_w.append(torch.round(decode_wav(raw, name=name) * 32768).to(torch.int16))
            out_y.append(index[word])
            out_f.append(name)
            if limit is not None and len(out_f) >= limit:
                break
    if not out_f:
        raise ValueError(f"no clips of the requested words in split {split!r}")
    return torch.stack(out_w), torch.tensor(out_y, dtype=torch.long), words, out_f


# --------------------------------------------------------------------------- training data
def training_data(recipe: dict, source: str = "embedded", device: str = "cpu") -> dict:
    """Tensors and the batch step for :func:`axlib.models.train.fit` (``axlib train``).

    source: "embedded" (the 300 shipped clips, 30 words, speaker split of :func:`which_set`:
    205 training clips, 95 held out) or "v002" (the full Speech Commands v0.02 of the paper
    profile, 35 words, the archive's own lists).
    The training tensor holds waveforms; ``batch_step`` augments them (:func:`augment`,
    seeded by ``recipe["seed"]``, parameters from ``recipe["waveform_augment"]``), turns them
    into spectrograms and returns the cross-entropy (with ``recipe["label_smoothing"]``).
    Returns {"x_train" (N, 16000), "y_train", "x_val" (M, 1, F, T) held-out spectrograms,
    "y_val", "batch_step", "words", "held_out": description, "parts": {name: (x, y)}}.
    """
    import torch.nn.functional as F

    aug = dict(recipe.get("waveform_augment") or {})
    gen = torch.Generator().manual_seed(int(recipe.get("seed", 0)) + 1)
    smoothing = float(recipe.get("label_smoothing", 0.0))

    def to_float(w: torch.Tensor) -> torch.Tensor:
        return w.float() / 32768.0 if w.dtype == torch.int16 else w

    def batch_step(model, xb, yb):
        w = to_float(xb.cpu())
        if aug:
            w = augment(w, gen, max_shift=aug["max_shift"], gain_db=tuple(aug["gain_db"]),
                        noise_std=aug["noise_std"])
        spec = log_spectrogram(w).to(yb.device)
        return F.cross_entropy(model(spec), yb, label_smoothing=smoothing)

    if source == "embedded":
        waves, labels, words, files = embedded_clips()
        parts = split_by_speaker(files)
        specs = log_spectrogram(waves)
        held = parts["held_out"]
        return {"x_train": waves[parts["training"]].to(device), "y_train": labels[parts["training"]].to(device),
                "x_val": specs[held].to(device), "y_val": labels[held].to(device), "batch_step": batch_step,
                "words": words,
                "held_out": f"{len(held)} clips of {len(set(speaker_of(files[i]) for i in held))} speakers "
                            f"none of whom is in the {len(parts['training'])} training clips "
                            "(Speech Commands' own sha1 speaker split: validation + testing lists)",
                "parts": {name: (specs[parts[name]], labels[parts[name]]) for name in ("validation", "testing")}}
    if source == "v002":
        x_tr, y_tr, words, _ = speech_commands_v002("training")
        x_va, y_va, _, _ = speech_commands_v002("validation", words=words)
        x_te, y_te, _, _ = speech_commands_v002("testing", words=words)
        spec_va = torch.cat([log_spectrogram(to_float(x_va[i:i + 512])) for i in range(0, len(x_va), 512)])
        spec_te = torch.cat([log_spectrogram(to_float(x_te[i:i + 512])) for i in range(0, len(x_te), 512)])
        return {"x_train": x_tr, "y_train": y_tr.to(device), "x_val": spec_va.to(device), "y_val": y_va.to(device),
                "batch_step": batch_step, "words": words,
                "held_out": f"Speech Commands v0.02 validation list ({len(y_va)} clips)",
                "parts": {"validation": (spec_va, y_va), "testing": (spec_te, y_te)}}
    raise ValueError(f"source must be 'embedded' or 'v002', got {source!r}")


