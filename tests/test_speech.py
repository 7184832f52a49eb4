"""Speech pipeline ((axlib.data.speech_commands, axlib.papers.axai.speech)), LeNet, grid segments and AXAI on spectrograms (issue 7)."""
import io
import tarfile
import wave

import numpy as np
import pytest
import torch

from axlib._util.paths import shared_data_dir
from axlib.data import speech_commands
from axlib.explain import axai
from axlib.models.lenet import LeNetSpeech
from axlib.papers.axai import appendix_c4 as c4
from axlib.papers.axai import speech as axai_speech
from axlib.segment import grid

SR = speech_commands.SAMPLE_RATE


def _tone(freq, start, stop, n=speech_commands.CLIP_SAMPLES, amp=0.5):
    t = np.arange(n) / SR
    w = np.where((t >= start) & (t < stop), amp * np.sin(2 * np.pi * freq * t), 0.0)
    return torch.tensor(w, dtype=torch.float32)


def _wav_bytes(samples: np.ndarray) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(samples.astype("<i2").tobytes())
    return buf.getvalue()


# --------------------------------------------------------------------------- spectrograms
def test_spectrogram_shape_range_and_axes():
    waves = torch.stack([_tone(1000, 0.2, 0.4), _tone(3000, 0.6, 0.8)])
    spec = speech_commands.log_spectrogram(waves)
    F, T = speech_commands.spectrogram_shape()
    assert spec.shape == (2, 1, F, T) == (2, 1, 129, 126)
    assert spec.dtype == torch.float32 and float(spec.min()) >= 0 and float(spec.max()) <= 1
    times, freqs = speech_commands.frame_times(T), speech_commands.bin_frequencies()
    assert times[0] == 0 and times[-1] == pytest.approx(1.0) and np.allclose(np.diff(times), 0.008)
    assert freqs[-1] == pytest.approx(8000) and freqs[1] == pytest.approx(62.5)
    for i, (f0, t0, t1) in enumerate([(1000, 0.2, 0.4), (3000, 0.6, 0.8)]):
        s = spec[i, 0].numpy()
        assert abs(freqs[s.max(1).argmax()] - f0) <= 62.5
        loud = times[s[np.abs(freqs - f0).argmin()] > 0.5]
        assert loud.min() == pytest.approx(t0, abs=0.02) and loud.max() == pytest.approx(t1, abs=0.02)


def test_spectrogram_bound_is_reached_without_clipping():
    # a full-scale DC signal puts all energy in bin 0: the ceiling db_max maps to exactly 1
    spec = speech_commands.log_spectrogram(torch.ones(4000))
    assert float(spec[0, 0, 10]) == pytest.approx(1.0, abs=1e-5)
    silent = speech_commands.log_spectrogram(torch.zeros(4000))
    assert float(silent.max()) == 0.0


@pytest.mark.parametrize("bad", [torch.full((2, 1000), 1.5), torch.tensor([[0.0, float("nan")] * 500])])
def test_spectrogram_rejects_bad_waves(bad):
    with pytest.raises(ValueError, match="waves"):
        speech_commands.log_spectrogram(bad)


def test_spectrogram_rejects_bad_parameters():
    with pytest.raises(ValueError, match="n_fft"):
        speech_commands.log_spectrogram(torch.zeros(1000), n_fft=8)
    with pytest.raises(ValueError, match="db_min"):
        speech_commands.log_spectrogram(torch.zeros(1000), db_min=3.0)


def test_decode_wav_pads_and_rejects_other_formats():
    w = speech_commands.decode_wav(_wav_bytes(np.array([16384, -32768] * 100)))
    assert w.shape == (16000,) and w[0] == 0.5 and w[1] == -1.0 and float(w[200:].abs().max()) == 0
    buf = io.BytesIO()
    with wave.open(buf, "wb") as f:
        f.setnchannels(2), f.setsampwidth(2), f.setframerate(SR), f.writeframes(b"\0" * 400)
    with pytest.raises(ValueError, match="mono"):
        speech_commands.decode_wav(buf.getvalue())


# --------------------------------------------------------------------------- augmentation
def test_augment_is_seeded_bounded_and_shifts_in_time():
    waves = torch.stack([_tone(500, 0.4, 0.6, amp=0.99), _tone(800, 0.1, 0.2)])
    a = speech_commands.augment(waves, torch.Generator().manual_seed(3))
    b = speech_commands.augment(waves, torch.Generator().manual_seed(3))
    c = speech_commands.augment(waves, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == waves.shape and float(a.abs().max()) <= 1.0
    impulse = torch.zeros(1, 16000)
    impulse[0, 8000] = 0.5
    g = torch.Generator().manual_seed(0)
    out = speech_commands.augment(impulse, g, max_shift=0.05, gain_db=(0.0, 0.0), noise_std=0.0)
    shift = int(out[0].abs().argmax()) - 8000
    assert out[0].abs().max() == pytest.approx(0.5) and abs(shift) <= 800
    assert float(out[0].abs().sum()) == pytest.approx(0.5)          # one sample moved, nothing added


def test_augment_rejects_bad_parameters():
    g = torch.Generator()
    with pytest.raises(ValueError, match="max_shift"):
        speech_commands.augment(torch.zeros(1, 1600), g, max_shift=0.2)
    with pytest.raises(ValueError, match="gain_db"):
        speech_commands.augment(torch.zeros(1, 16000), g, gain_db=(3.0, -3.0))
    with pytest.raises(ValueError, match="generator"):
        speech_commands.augment(torch.zeros(1, 16000), 0)


# --------------------------------------------------------------------------- splits and loaders
def test_which_set_groups_speakers():
    files = [f"right/{s}_nohash_{n}.wav" for s in ("a1b2c3d4", "0f0f0f0f", "deadbeef") for n in range(3)]
    sets = [speech_commands.which_set(f) for f in files]
    for k in range(0, 9, 3):
        assert len(set(sets[k:k + 3])) == 1
    with pytest.raises(ValueError, match="nohash"):
        speech_commands.which_set("right/noname.wav")


@pytest.mark.skipif(shared_data_dir() is None or not (shared_data_dir() / "speech-commands-subset").is_dir(),
                    reason="../shared/data/speech-commands-subset not available")
def test_which_set_reproduces_the_official_lists():
    root = shared_data_dir() / "speech-commands-subset"
    files = sorted(str(p.relative_to(root)) for p in root.glob("*/*.wav"))
    lists = {k: set((root / f"{k}_list.txt").read_text().split()) for k in ("validation", "testing")}
    for f in files:
        expected = "validation" if f in lists["validation"] else "testing" if f in lists["testing"] else "training"
        assert speech_commands.which_set(f) == expected, f


def test_embedded_clips_and_speaker_split():
    waves, labels, words, files = speech_commands.embedded_clips()
    assert waves.shape == (300, 16000) and labels.shape == (300,) and len(files) == 300
    assert {"right", "five", "three", "tree"} <= set(words) and len(words) == 30
    assert float(waves.abs().max()) <= 1.0
    parts = speech_commands.split_by_speaker(files)
    train = {speech_commands.speaker_of(files[i]) for i in parts["training"]}
    held = {speech_commands.speaker_of(files[i]) for i in parts["held_out"]}
    assert not train & held
    assert len(parts["training"]) + len(parts["held_out"]) == 300
    with pytest.raises(ValueError, match="words"):
        speech_commands.embedded_clips(["hello"])


def test_full_loader_reads_an_archive(tmp_path):
    archive = tmp_path / "sc.tar.gz"
    names = ["yes/aaaa1111_nohash_0.wav", "yes/bbbb2222_nohash_0.wav", "no/aaaa1111_nohash_1.wav",
             "no/cccc3333_nohash_0.wav", "_background_noise_/x.wav"]
    with tarfile.open(archive, "w:gz") as tar:
        def add(name, data):
            info = tarfile.TarInfo("./" + name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for i, n in enumerate(names):
            add(n, _wav_bytes(np.full(800, 100 * (i + 1))))
        add("validation_list.txt", b"yes/bbbb2222_nohash_0.wav\n")
        add("testing_list.txt", b"no/cccc3333_nohash_0.wav\n")
    w, y, words, files = speech_commands.speech_commands_v002("training", archive=archive)
    assert words == ["no", "yes"] and files == ["no/aaaa1111_nohash_1.wav", "yes/aaaa1111_nohash_0.wav"]
    assert w.dtype == torch.int16 and w.shape == (2, 16000) and y.tolist() == [0, 1] and int(w[0, 0]) == 300
    w, y, _, files = speech_commands.speech_commands_v002("testing", archive=archive)
    assert files == ["no/cccc3333_nohash_0.wav"]
    with pytest.raises(ValueError, match="split"):
        speech_commands.speech_commands_v002("train", archive=archive)


# --------------------------------------------------------------------------- segments, model, AXAI
def test_grid_covers_every_bin_exactly_once():
    F, T = speech_commands.spectrogram_shape()
    cells = (8, 10)
    labels = grid((F, T), cells)
    onehot = torch.nn.functional.one_hot(labels, cells[0] * cells[1])
    assert torch.equal(onehot.sum(-1), torch.ones(F, T, dtype=onehot.dtype))   # exactly one cell per bin
    sizes = onehot.sum((0, 1))
    assert int(sizes.sum()) == F * T and int(sizes.min()) > 0
    for label in (0, 37, 79):
        rows, cols = torch.nonzero(labels == label, as_tuple=True)
        # each cell is one full rectangle
        assert (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1) == len(rows)
        box = axai_speech.segment_interval(label, cells, (F, T))
        times, freqs = speech_commands.frame_times(T), speech_commands.bin_frequencies()
        assert box["t0"] == times[cols.min()] and box["t1"] == times[cols.max()]
        assert box["f0"] == freqs[rows.min()] and box["f1"] == freqs[rows.max()]


def test_lenet_shapes():
    model = LeNetSpeech(30).eval()
    out = model(torch.rand(3, 1, 129, 126))
    assert out.shape == (3, 30)
    with pytest.raises(ValueError, match="input_shape"):
        LeNetSpeech(30, input_shape=(8, 8))


class _PlantedCell(torch.nn.Module):
    """Class 1 iff the energy in one time-frequency box is high: AXAI must point at that box."""

    def __init__(self, rows, cols):
        super().__init__()
        self.rows, self.cols = rows, cols

    def forward(self, x):
        box = x[:, 0, self.rows[0]:self.rows[1], self.cols[0]:self.cols[1]]
        s = 40 * (box.mean((1, 2)) - 0.3) + 0.01 * x.mean((1, 2, 3))
        return torch.stack([-s, s], 1)


def test_axai_on_a_spectrogram_points_at_the_planted_cell():
    F, T = speech_commands.spectrogram_shape()
    cells = (8, 10)
    segments = grid((F, T), cells)
    target_label = 3 * 10 + 6                      # frequency band 3, time 0.6-0.7 s
    rows, cols = torch.nonzero(segments == target_label, as_tuple=True)
    model = _PlantedCell((int(rows.min()), int(rows.max()) + 1), (int(cols.min()), int(cols.max()) + 1))
    g = torch.Generator().manual_seed(0)
    x = 0.2 + 0.5 * torch.rand(2, 1, F, T, generator=g)
    exp = axai(model, x, segments, k=1)
    assert exp.top_k[:, 0].tolist() == [target_label, target_label]


# --------------------------------------------------------------------------- appendix C.4 tables
def test_c4_summary_tables_for_equal_length_samples():
    rng = np.random.default_rng(0)
    deltas = rng.laplace(0, 1e-3, size=(6, 400))
    s = c4.summarise(deltas)
    assert s["pvalues"].loc["t", "pairs"] == 15 and s["skewness"].shape == (6,)
    t6, t7, t8 = c4.table6({"speech": s}), c4.table7({"speech": s}), c4.table8({"speech": s})
    assert t6.loc[(c4.LABELS["speech"], "t-test"), "paper"] == 0.30
    assert t7.loc["q85", (c4.LABELS["speech"], "paper", "high")] == 4.220e-3
    assert len(t8) == 4                              # two rescalings x (p, q)
    shape = c4.shape_table({"speech": s})
    assert shape.loc[(c4.LABELS["speech"], "paper"), "tail"] == pytest.approx(3.6, abs=0.1)
    with pytest.raises(ValueError, match="model"):
        c4.table6({"audio": s})


def test_word_span_and_timing_profile():
    waves = _tone(700, 0.3, 0.6)[None]
    spec = speech_commands.log_spectrogram(waves)[0]
    on, off = axai_speech.word_span(spec)
    t = speech_commands.frame_times(spec.shape[-1])
    assert t[on] == pytest.approx(0.3, abs=0.02) and t[off] == pytest.approx(0.6, abs=0.02)
    mask = torch.zeros(129, 126, dtype=torch.bool)
    third = (off - on + 1) // 3
    mask[:10, on:on + third - 1] = True                         # all in the first third of the word
    prof = axai_speech.timing_profile(mask, (on, off))
    assert prof == {"start": 1.0, "middle": 0.0, "end": 0.0, "outside": 0.0}
    mask[:10, off] = True
    mask[:10, :3] = True                                        # before the word
    prof = axai_speech.timing_profile(mask, (on, off))
    assert prof["end"] > 0 and prof["outside"] > 0 and sum(prof.values()) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="span"):
        axai_speech.timing_profile(mask, (50, 10))


def test_choose_example():
    words = ["five", "right"]
    labels = np.array([1, 1, 1, 0])
    pred = np.array([0, 1, 1, 0])
    assert axai_speech.choose_example("right", words, labels, pred, held_out=[0, 2]) == (2, "held-out, correct")
    assert axai_speech.choose_example("right", words, labels, pred, held_out=[0]) == (1, "training, correct")
    assert axai_speech.choose_example("right", words, labels, np.zeros(4, int), held_out=[0]) == (0, "held-out, misclassified")


def test_speech_magnitudes_clipped_and_unclipped():
    model = LeNetSpeech(3).eval()
    x = torch.rand(2, 1, 129, 126, generator=torch.Generator().manual_seed(0))
    clipped = c4.speech_magnitudes(model, x, steps=2)
    free = c4.speech_magnitudes(model, x, steps=2, clip=False)
    assert clipped.shape == free.shape == (2, 129 * 126)
    assert np.all(x.flatten(1).numpy() + clipped >= -1e-7)
    assert np.linalg.norm(free, axis=1).max() <= 2 / 255 * np.sqrt(129 * 126) * (1 + 1e-5)
