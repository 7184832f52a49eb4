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

import math
import re
import tarfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from . import attacks as _attacks
from .explain.axai import AxaiExplanation, rank_segments, segment_density, tail_mask
from .paths import repo_data_dir

__all__ = ["ENCODING", "PAPER_EXAMPLES", "PAD", "UNK", "MIN_LENGTH", "load_polarity", "tokenize",
           "polarity_split", "Vocabulary", "build_vocabulary", "vocabulary", "encode_sentences", "pad",
           "polarity_dataset", "token_segments", "embedding_attack_params", "axai_embeddings",
           "embedding_attack_magnitudes", "plot_token_explanation", "training_data", "KIM_CNN_RAND",
           "verdict_accuracy", "verdict_top_token"]

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
            from .paths import shared_data_dir
            shared = shared_data_dir()
            if shared is None:
                raise FileNotFoundError("source='shared' needs ../shared/data (development machines only)")
            folder = shared / "rt-polarity"
        for label, name in _FILES.items():
            path = folder / name
            if not path.is_file():
                raise FileNotFoundError(f"Sentence Polarity file {path} not found")
            raw[label] = path.read_bytes()
    elif source == "download":
        from .data import registry
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
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise ValueError(f"min_count must be an integer >= 1, got {min_count!r}")
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
    if isinstance(L, bool) or not isinstance(L, int) or L < 1:
        raise ValueError(f"length must be None or an integer >= 1, got {length!r}")
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


# --------------------------------------------------------------------------- AXAI on embeddings
def token_segments(n_tokens: int, dim: int) -> torch.Tensor:
    """One segment per token: (n_tokens, dim) int64 labels, row i = i (the token's position)."""
    if isinstance(n_tokens, bool) or not isinstance(n_tokens, int) or n_tokens < 1:
        raise ValueError(f"n_tokens must be an integer >= 1, got {n_tokens!r}")
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        raise ValueError(f"dim must be an integer >= 1, got {dim!r}")
    return torch.arange(n_tokens, dtype=torch.long)[:, None].expand(n_tokens, dim).clone()


class _EmbeddedHead(nn.Module):
    """The model from embeddings (B, 1, L, D) to logits, as a module (attacks set eval mode)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, emb: torch.Tensor) -> torch.Tensor:
        return self.model.forward_embedded(emb[:, 0])


def embedding_attack_params(model: nn.Module, n_tokens: int, *, rel: float = 0.1, steps: int = 20) -> dict:
    """L2 PGD budget on a sentence's (n_tokens, D) embedding matrix.

    eps = rel * sigma * sqrt(n_tokens * D), sigma the RMS of the model's embedding entries
    (padding row excluded): a change of rel standard deviations in every entry, the embedding
    counterpart of the images' 2/255 of the pixel range per feature. step = 2.5 eps / steps.
    Returns {"eps", "step"}.
    """
    if not (isinstance(rel, (int, float)) and rel > 0):
        raise ValueError(f"rel must be > 0, got {rel!r}")
    w = model.embedding.weight.detach()[1:]
    sigma = float(w.pow(2).mean().sqrt())
    eps = rel * sigma * math.sqrt(n_tokens * w.shape[1])
    return {"eps": eps, "step": 2.5 * eps / _attacks._check_steps(steps)}


def _sentence_ids(tokens) -> torch.Tensor:
    ids = torch.as_tensor(tokens, dtype=torch.long)
    if ids.dim() == 2 and ids.shape[0] == 1:
        ids = ids[0]
    if ids.dim() != 1:
        raise ValueError("tokens must be one sentence: a 1-D sequence of ids")
    ids = ids[ids != 0]
    if ids.numel() == 0:
        raise ValueError("tokens must hold at least one non-padding id")
    return ids


def _attack_embeddings(model: nn.Module, ids: torch.Tensor, target, *, rel: float, eps, step, steps: int):
    """L2 PGD on the embeddings of B sentences of n real tokens each, ids (B, n) without padding.

    The batch is padded to the widest convolution with positions the attack never changes.
    Returns (delta (B, 1, n, D) on the real tokens, attacked labels (B,), adversarial labels (B,)).
    """
    b, n = ids.shape
    L = max(n, max(getattr(model, "widths", (1,))))
    padded = torch.zeros(b, L, dtype=torch.long)
    padded[:, :n] = ids
    head = _EmbeddedHead(model)
    with torch.no_grad():
        x = model.embed(padded)[:, None].detach()                # (B, 1, L, D)
    mask = torch.zeros_like(x)
    mask[:, :, :n] = 1
    if target is None:
        y = _attacks.predicted_labels(head, x)
    else:
        y = torch.as_tensor(target, dtype=torch.long).reshape(b)
    params = embedding_attack_params(model, n, rel=rel, steps=steps)
    eps = params["eps"] if eps is None else eps
    step = (2.5 * eps / steps if eps > 0 else params["step"]) if step is None else step
    x_adv = _attacks.pgd(head, x, y, eps=eps, step=step, steps=steps, mask=mask, bounds=None)
    return (x_adv - x)[:, :, :n], y, _attacks.predicted_labels(head, x_adv)


def axai_embeddings(model: nn.Module, tokens, *, target: int | None = None, k: int = 3, a: float = 15.0,
                    rel: float = 0.1, eps: float | None = None, step: float | None = None,
                    steps: int = 20) -> AxaiExplanation:
    """AXAI (Algorithm 1) on the embedding layer of one sentence.

    model: a :class:`axlib.models.textcnn.TextCNN` (``embed`` / ``forward_embedded``).
    tokens: 1-D ids of one sentence (padding ids 0 are dropped, then the sentence is padded to
    the widest convolution with positions that are never attacked).
    target: label to move away from (None: the model's prediction). k: tokens to keep (>= 1).
    a: tail percentage in (0, 50). rel / eps / step / steps: the L2 PGD budget
    (:func:`embedding_attack_params`; explicit eps / step override).
    Returns an :class:`axlib.explain.AxaiExplanation` for B = 1 with "pixels" = (token,
    dimension) entries: density (1, n_tokens) = attacked entries / D per token, ranking /
    top_k token positions, mask and attacked (1, n_tokens, D), delta (1, 1, n_tokens, D) the
    change of the embeddings (real tokens only).
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    ids = _sentence_ids(tokens)
    n = ids.numel()
    delta, y, adv_label = _attack_embeddings(model, ids[None], None if target is None else [int(target)],
                                             rel=rel, eps=eps, step=step, steps=steps)
    D = delta.shape[-1]
    attacked = tail_mask(delta, a)[:, 0]                          # (1, n, D)
    segments = token_segments(n, D)[None]
    density, sizes, _ = segment_density(attacked, segments)
    ranking = rank_segments(density, sizes)
    top_k = ranking[:, :k] if n >= k else torch.cat([ranking, ranking.new_full((1, k - n), -1)], 1)
    chosen = torch.zeros(1, n, dtype=torch.bool)
    chosen[0, top_k[0][top_k[0] >= 0]] = True
    keep = chosen[:, :, None].expand(1, n, D)
    return AxaiExplanation(ranking=ranking, density=density.float(), sizes=sizes, top_k=top_k,
                           mask=keep, attacked=attacked, delta=delta, target=y, adv_label=adv_label)


def embedding_attack_magnitudes(model: nn.Module, token_rows, *, rel: float = 0.1, steps: int = 20,
                                target=None, batch_size: int = 64) -> list[np.ndarray]:
    """X' - X on the embeddings of each sentence (real tokens only), flattened.

    token_rows: (N, L) padded ids or a list of id sequences. target: None (the model's
    prediction) or (N,) labels. Sentences of equal length are attacked together, up to
    ``batch_size`` at a time (the budget depends on the length only), the same attack as
    :func:`axai_embeddings`. Returns a list of N float64 arrays of n_tokens_i * D values in the
    input order (the per-sentence samples of the appendix C.4 statistics).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    rows = [_sentence_ids(r) for r in token_rows]
    if target is not None and len(target) != len(rows):
        raise ValueError(f"target must hold {len(rows)} labels, got {len(target)}")
    by_length: dict[int, list[int]] = {}
    for i, r in enumerate(rows):
        by_length.setdefault(r.numel(), []).append(i)
    out: list[np.ndarray | None] = [None] * len(rows)
    for n in sorted(by_length):
        members = by_length[n]
        for c in range(0, len(members), batch_size):
            chunk = members[c:c + batch_size]
            ids = torch.stack([rows[i] for i in chunk])
            t = None if target is None else [int(target[i]) for i in chunk]
            delta, _, _ = _attack_embeddings(model, ids, t, rel=rel, eps=None, step=None, steps=steps)
            for j, i in enumerate(chunk):
                out[i] = delta[j].flatten().numpy().astype(np.float64)
    return out


def plot_token_explanation(tokens: Sequence[str], exp: AxaiExplanation, *, title: str | None = None,
                           label_names: Sequence[str] = ("negative", "positive")):
    """The paper's Fig. 6 / 9 layout for one sentence: X' - X as a tokens x dimensions heatmap
    (rows = tokens, columns = embedding dimensions, only the explanation's top-k tokens shown in
    colour in the middle panel) and the per-token attack density as bars.

    tokens: the sentence's n token strings; exp: :func:`axai_embeddings` result.
    Returns a Figure with three panels.
    """
    delta = exp.delta[0, 0].numpy()
    n = delta.shape[0]
    if len(tokens) != n:
        raise ValueError(f"tokens must hold {n} strings, got {len(tokens)}")
    dens = exp.density[0, :n].numpy()
    keep = exp.mask[0, :, 0].numpy()
    lim = float(np.abs(delta).max()) or 1.0
    fig = Figure(figsize=(12.0, 0.32 * n + 1.6))
    ax = fig.subplots(1, 3, gridspec_kw={"width_ratios": [3, 3, 1.4]})
    for axis, data, name in ((ax[0], delta, "X' - X (all tokens)"),
                             (ax[1], np.where(keep[:, None], delta, np.nan), "AXAI: top-k tokens")):
        im = axis.imshow(data, aspect="auto", cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
        axis.set_yticks(range(n), tokens)
        axis.set_xlabel("embedding dimension")
        axis.set_title(name)
        axis.grid(False)
    fig.colorbar(im, ax=ax[:2].tolist(), label="change of the embedding", shrink=0.8)
    colors = ["C3" if keep[i] else "C7" for i in range(n)]
    ax[2].barh(range(n), dens, color=colors)
    ax[2].set_ylim(n - 0.5, -0.5)
    ax[2].set_yticks(range(n), tokens)
    ax[2].set_xlabel("attack density")
    ax[2].set_title("per token")
    target, adv = int(exp.target[0]), int(exp.adv_label[0])
    fig.suptitle((title + "\n" if title else "") +
                 f"predicted {label_names[target]}, after the attack {label_names[adv]}")
    return fig


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


# --------------------------------------------------------------------------- verdict rules
KIM_CNN_RAND = 0.761  # Kim (2014), Table 2, CNN-rand on MR (ten-fold cross-validation)


def verdict_accuracy(ours: float, paper: float = KIM_CNN_RAND) -> str:
    """Held-out accuracy against Kim's: reproduced within 2 points, partly within 5, else not."""
    if not 0 <= ours <= 1:
        raise ValueError(f"ours must be an accuracy in [0, 1], got {ours!r}")
    gap = abs(ours - paper)
    return "reproduced" if gap <= 0.02 else "partly" if gap <= 0.05 else "not reproduced"


def verdict_top_token(ranked_tokens: Sequence[str], expected: str) -> str:
    """The paper's reading of its Fig. 6: ``expected`` is the most attacked token.
    reproduced: ranked first; partly: among the first three; else not reproduced."""
    ranked = list(ranked_tokens)
    if ranked[:1] == [expected]:
        return "reproduced"
    return "partly" if expected in ranked[:3] else "not reproduced"
