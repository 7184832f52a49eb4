"""Sentence Polarity v1.0 for a word-embedding CNN, and AXAI on the embedding layer (AXAI 4.2).

Data: Pang and Lee's 5,331 positive and 5,331 negative Rotten Tomatoes snippets, one per line,
already lower-cased and tokenised, **Latin-1 encoded** (not UTF-8: é is the byte 0xE9).
Shipped in ``data/text/rt-polarity.{pos,neg}`` (byte copies of the files distributed with
Kim 2014); the ``paper`` profile may read the official tarball of the registry entry
``rt-polarity`` instead (``source="download"``); both give the same lines.

Pipeline (each step a tested function):

* :func:`load_polarity`: sentences, labels (0 negative, 1 positive) and 1-based line numbers;
* :func:`tokenize`: whitespace split, then English clitics split off as their own tokens
  (``it's`` -> ``it``, ``'s``; ``doesn't`` -> ``does``, ``n't``), as Kim's preprocessing does;
* :func:`polarity_split`: the **fixed held-out split** used everywhere in the book: a
  sentence is held out when its 1-based line number in its file is 1 modulo 10 (lines 1, 11,
  21, ...: 534 + 534 sentences), and the paper's two example sentences (negative line 392,
  positive line 671, which is 1 modulo 10 already) are held out as well, so that the model
  explaining them never trained on them: 1,069 held-out sentences, 9,593 for training. Kim reports ten-fold cross-validation;
  one fixed fold is what a book can rerun in minutes;
* :class:`Vocabulary` / :func:`vocabulary`: built on the training split only (every word seen
  there, CNN-rand keeps all), id 0 = padding, id 1 = unknown word;
* :func:`pad`: id sequences -> (B, L) LongTensor, padded at the end with 0, L >= the widest
  convolution (5);
* :func:`token_segments`: one segment per token over the (tokens x embedding dimensions)
  matrix, the text counterpart of QuickShift superpixels;
* :func:`axai_embeddings`: Algorithm 1 on the embeddings: an untargeted L2 PGD on the
  sentence's embedding matrix (no clipping: embeddings have no [0, 1] range, ``bounds=None``
  in :func:`axlib.attacks.pgd`), the two-sided a % tail rule of :func:`axlib.explain.tail_mask`,
  and the attack density per token (attacked embedding entries / dimensions) ranked by
  :func:`axlib.explain.rank_segments`; padding positions are never attacked (a 0/1 mask);
* :func:`embedding_attack_magnitudes`: X' - X of every sentence (its real tokens only), the
  samples of the appendix C.4 statistics;
* :func:`plot_token_explanation`: the tokens x dimensions heatmap of X' - X and the per-token
  density (the paper's Fig. 6 / 9).
"""
from __future__ import annotations

import re
import tarfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from axlib._util.checks import check_int
from axlib._util.paths import repo_data_dir

__all__ = ["ENCODING", "PAPER_EXAMPLES", "MIN_LENGTH", "load_polarity", "tokenize", "polarity_split",
           "Vocabulary", "build_vocabulary", "vocabulary", "encode_sentences", "pad", "polarity_dataset",
           "training_data"]

ENCODING = "latin-1"
PAD, UNK = "<pad>", "<unk>"
MIN_LENGTH = 5  # the widest convolution of Kim's CNN
# The paper's examples (AXAI 4.2): (label, 1-based line number in rt-polarity.{neg,pos}).
PAPER_EXAMPLES = {"negative": (0, 392), "positive": (1, 671)}
_FILES = {0: "rt-polarity.neg", 1: "rt-polarity.pos"}
_CLITIC = re.compile(r"^(.+?)(n't|'s|'ve|'re|'d|'ll|'m)$")


# --------------------------------------------------------------------------- data
def _read_lines(data: bytes) -> list[str]:
    text = data.decode(ENCODING)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    return [line.strip() for line in lines]


def load_polarity(source: str = "embedded", *, download: bool = True):
    """All 10,662 sentences of Sentence Polarity v1.0.

    source: "embedded" (``data/text``), "shared" (the development copy in ../shared/data) or
    "download" (the verified official tarball of the registry entry ``rt-polarity``;
    ``download=False``: the cached copy only).
    Returns (sentences: list[str], labels: LongTensor (N,) with 0 = negative, 1 = positive,
    lines: LongTensor (N,) the 1-based line number in its file); negatives first, file order.
    """
    raw = {}
    if source in ("embedded", "shared"):
        if source == "embedded":
            folder = repo_data_dir() / "text"
        else:
            from axlib._util.paths import shared_data_dir
            shared = shared_data_dir()
            if shared is None:
                raise FileNotFoundError("source='shared' needs ../shared/data (development machines only)")
            folder = shared / "rt-polarity"
        for label, name in _FILES.items():
            path = folder / name
            if not path.is_file():
                raise FileNotFoundError(f"Sentence Polarity file {path} not found")
            if source == "embedded":
                from axlib.data.manifest import verified
                path = verified(path)
            raw[label] = path.read_bytes()
    elif source == "download":
        from axlib.data import registry
        archive = registry.fetch("rt-polarity", download=download)
        with tarfile.open(archive, "r:*") as tar:
            names = {Path(m.name).name: m for m in tar.getmembers() if m.isfile()}
            for label, name in _FILES.items():
                raw[label] = tar.extractfile(names[name]).read()
    else:
        raise ValueError(f"source must be 'embedded', 'shared' or 'download', got {source!r}")
    sentences, labels, lines = [], [], []
    for label in (0, 1):
        rows = _read_lines(raw[label])
        sentences += rows
        labels += [label] * len(rows)
        lines += range(1, len(rows) + 1)
    return sentences, torch.tensor(labels, dtype=torch.long), torch.tensor(lines, dtype=torch.long)


def tokenize(sentence: str) -> list[str]:
    """Lower-case, split on whitespace, split clitics off (``it's`` -> ``it``, ``'s``)."""
    if not isinstance(sentence, str):
        raise ValueError(f"sentence must be a str, got {type(sentence).__name__}")
    out = []
    for token in sentence.lower().split():
        m = _CLITIC.match(token)
        out += [m.group(1), m.group(2)] if m else [token]
    return out


def polarity_split(labels: torch.Tensor, lines: torch.Tensor) -> dict[str, np.ndarray]:
    """The fixed held-out split (see the module notes): {"train", "test"} -> sorted indices."""
    labels, lines = torch.as_tensor(labels), torch.as_tensor(lines)
    if labels.shape != lines.shape or labels.dim() != 1:
        raise ValueError("labels and lines must be 1-D tensors of equal length")
    held = (lines % 10 == 1).numpy().copy()
    for label, line in PAPER_EXAMPLES.values():
        held |= ((labels == label) & (lines == line)).numpy()
    return {"train": np.flatnonzero(~held), "test": np.flatnonzero(held)}


@dataclass(frozen=True)
class Vocabulary:
    """Word <-> id. ``words[0]`` is the padding token, ``words[1]`` the unknown word."""

    words: tuple[str, ...]

    def __post_init__(self):
        if self.words[:2] != (PAD, UNK):
            raise ValueError(f"words must start with {PAD!r}, {UNK!r}")
        object.__setattr__(self, "_index", {w: i for i, w in enumerate(self.words)})

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, tokens: Sequence[str]) -> list[int]:
        """Token strings -> ids (unknown words -> 1)."""
        return [self._index.get(t, 1) for t in tokens]

    def decode(self, ids) -> list[str]:
        """Ids -> token strings (padding included)."""
        return [self.words[int(i)] for i in ids]


def build_vocabulary(token_lists: Sequence[Sequence[str]], min_count: int = 1) -> Vocabulary:
    """Every token seen at least ``min_count`` (>= 1) times, most frequent first, ties alphabetical."""
    min_count = check_int("min_count", min_count, low=1)
    counts = Counter(t for tokens in token_lists for t in tokens)
    words = sorted((w for w, c in counts.items() if c >= min_count and w not in (PAD, UNK)),
                   key=lambda w: (-counts[w], w))
    return Vocabulary((PAD, UNK, *words))


_VOCAB_CACHE: dict[str, Vocabulary] = {}


def vocabulary(source: str = "embedded") -> Vocabulary:
    """The vocabulary of the shipped model: every token of the training split of ``source``."""
    if source not in _VOCAB_CACHE:
        sentences, labels, lines = load_polarity(source)
        train = polarity_split(labels, lines)["train"]
        _VOCAB_CACHE[source] = build_vocabulary([tokenize(sentences[i]) for i in train])
    return _VOCAB_CACHE[source]


def pad(sequences: Sequence[Sequence[int]], length: int | None = None, min_length: int = MIN_LENGTH) -> torch.Tensor:
    """Id sequences -> (B, L) int64, right-padded with 0.

    length: L (None: the longest sequence, at least min_length); a sequence longer than an
    explicit L is an error (nothing is cut silently).
    """
    if not sequences:
        raise ValueError("sequences must not be empty")
    longest = max(len(s) for s in sequences)
    L = max(longest, min_length) if length is None else length
    L = check_int("length", L, low=1)
    if longest > L:
        raise ValueError(f"length={L} is shorter than the longest sequence ({longest})")
    out = torch.zeros(len(sequences), L, dtype=torch.long)
    for i, s in enumerate(sequences):
        out[i, :len(s)] = torch.as_tensor(list(s), dtype=torch.long)
    return out


def encode_sentences(sentences: Sequence[str], vocab: Vocabulary, length: int | None = None) -> torch.Tensor:
    """Sentences -> (B, L) padded ids with :func:`tokenize`, ``vocab`` and :func:`pad`."""
    return pad([vocab.encode(tokenize(s)) or [1] for s in sentences], length)


def polarity_dataset(source: str = "embedded"):
    """Everything a training run or a notebook needs, in one call.

    Returns a dict: sentences, labels, lines, split ({"train", "test"} indices), vocab, tokens
    (N, L_max) padded ids of all sentences (L_max = the longest sentence, 63 tokens).
    """
    sentences, labels, lines = load_polarity(source)
    split = polarity_split(labels, lines)
    vocab = vocabulary(source)
    return {"sentences": sentences, "labels": labels, "lines": lines, "split": split, "vocab": vocab,
            "tokens": encode_sentences(sentences, vocab)}


# --------------------------------------------------------------------------- training data
def training_data(recipe: dict, source: str = "embedded", device: str = "cpu") -> dict:
    """Tensors and the batch step for :func:`axlib.models.train.fit` (``axlib train``).

    The fixed split of :func:`polarity_split` (9,593 training, 1,069 held-out sentences);
    ``batch_step`` drops the padding columns that are padding in the whole batch (keeping at
    least :data:`MIN_LENGTH`), so a batch costs its longest sentence, not the corpus's.
    Returns {"x_train" (N, L), "y_train", "x_val", "y_val", "batch_step", "vocab", "held_out",
    "parts": {"testing": (x, y)}}.
    """
    import torch.nn.functional as F

    data = polarity_dataset(source)
    smoothing = float(recipe.get("label_smoothing", 0.0))

    def batch_step(model, xb, yb):
        used = int((xb != 0).any(0).nonzero().max()) + 1 if bool((xb != 0).any()) else 1
        return F.cross_entropy(model(xb[:, :max(used, MIN_LENGTH)]), yb, label_smoothing=smoothing)

    tr, te = data["split"]["train"], data["split"]["test"]
    x, y = data["tokens"], data["labels"]
    return {"x_train": x[tr].to(device), "y_train": y[tr].to(device), "x_val": x[te].to(device),
            "y_val": y[te].to(device), "batch_step": batch_step, "vocab": data["vocab"],
            "held_out": f"{len(te)} sentences: 1-based line number = 1 mod 10 in each file, plus the "
                        "paper's two examples (neg 392, pos 671); never trained on",
            "parts": {"testing": (x[te], y[te])}}


