"""AXAI on word embeddings (section 4.2, appendix E.3): one segment per token, the attack on the
embedding matrix, per-token densities, the figure, and the page's sentences (the paper's two
examples of Fig. 6, held-out ones for Fig. 9) with the model's accuracy.

The verdict rule of these claims is in :mod:`axlib.papers.axai.claims` (``TOP_TOKEN_RULE``);
Kim's CNN-rand accuracy, an external reference value shown as context beside ours (not an AXAI
claim), is :data:`axlib.papers.axai.paper.KIM_CNN_RAND`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from torch import nn

from axlib import attacks as _attacks
from axlib._util.checks import check_int, check_number, model_device
from axlib.companion.rules import Estimate
from axlib.data import polarity
from axlib.explain.axai import AxaiExplanation, rank_segments, segment_density, tail_mask
from axlib.papers.axai import paper

__all__ = ["LABEL_NAMES", "token_segments", "embedding_attack_params", "axai_embeddings",
           "embedding_attack_magnitudes", "plot_token_explanation", "predict", "model_row", "accuracy_fields",
           "sentence_of", "explain_sentence", "explain_paper_examples", "examples_table", "top_token_fields",
           "held_out_examples"]

LABEL_NAMES = ("negative", "positive")


# --------------------------------------------------------------------------- AXAI on embeddings
def token_segments(n_tokens: int, dim: int) -> torch.Tensor:
    """One segment per token: (n_tokens, dim) int64 labels, row i = i (the token's position)."""
    n_tokens = check_int("n_tokens", n_tokens, low=1)
    dim = check_int("dim", dim, low=1)
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
    rel = check_number("rel", rel, low=0, low_open=True)
    w = model.embedding.weight.detach()[1:]
    sigma = float(w.pow(2).mean().sqrt())
    eps = rel * sigma * math.sqrt(n_tokens * w.shape[1])
    return {"eps": eps, "step": 2.5 * eps / check_int("steps", steps, low=1)}


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
    device = model_device(model, ids.device)
    padded = torch.zeros(b, L, dtype=torch.long, device=device)
    padded[:, :n] = ids.to(device)
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
    change of the embeddings (real tokens only), segments (1, n_tokens, D) each entry's token.
    """
    k = check_int("k", k, low=1)
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
                           mask=keep, attacked=attacked, delta=delta, target=y, adv_label=adv_label,
                           segments=segments)


def embedding_attack_magnitudes(model: nn.Module, token_rows, *, rel: float = 0.1, steps: int = 20,
                                target=None, batch_size: int = 64) -> list[np.ndarray]:
    """X' - X on the embeddings of each sentence (real tokens only), flattened.

    token_rows: (N, L) padded ids or a list of id sequences. target: None (the model's
    prediction) or (N,) labels. Sentences of equal length are attacked together, up to
    ``batch_size`` at a time (the budget depends on the length only), the same attack as
    :func:`axai_embeddings`. Returns a list of N float64 arrays of n_tokens_i * D values in the
    input order (the per-sentence samples of the appendix C.4 statistics).
    """
    batch_size = check_int("batch_size", batch_size, low=1)
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
                           label_names: Sequence[str] = LABEL_NAMES):
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


# --------------------------------------------------------------------------- the model on the held-out split
def predict(model: nn.Module, tokens: torch.Tensor, device: str = "cpu") -> torch.Tensor:
    """Predicted labels (N,) int64 on the CPU for padded ids ``tokens`` (N, L), in eval mode."""
    with torch.no_grad():
        return model.eval()(tokens.to(device)).argmax(1).cpu()


def model_row(name: str, data: dict, predictions) -> dict:
    """One row of the page's model table: name, classes, parameters, held-out sentences,
    held-out accuracy (share in [0, 1]), chance, Kim's accuracy (an external reference, not the
    AXAI paper's), training wall time (s). data: :func:`axlib.data.polarity.polarity_dataset`;
    predictions: (H,) labels of the held-out sentences ``data["split"]["test"]``."""
    from axlib import models

    test = data["split"]["test"]
    card = models.card(name)
    accuracy = float((torch.as_tensor(predictions) == data["labels"][test]).float().mean())
    return {"model": name, "classes": len(LABEL_NAMES), "parameters": card["parameters"],
            "held out": f"{len(test)} sentences", "held-out accuracy": accuracy, "chance": 1 / len(LABEL_NAMES),
            "paper": f"{paper.KIM_CNN_RAND:.1%} (Kim, CNN-rand, 10-fold CV)",
            "training wall time (s)": card["train_wall_seconds"]}


def accuracy_fields(data: dict, accuracy: float) -> dict:
    """``ours``, ``paper`` (Kim 2014's CNN-rand, context only), ``note`` and ``unit`` of the
    reference record ``models.rt_polarity_textcnn.accuracy``."""
    return {"ours": round(accuracy, 4), "unit": "held-out accuracy",
            "paper": f"{paper.KIM_CNN_RAND:.1%} (Kim 2014, CNN-rand: context, not an AXAI claim)",
            "note": (f"{len(data['split']['test'])} held-out sentences (fixed split, not Kim's 10-fold CV); 128-d "
                     "embeddings instead of 300, SGD one-cycle instead of Adadelta, 10 epochs")}


# --------------------------------------------------------------------------- Fig. 6 and 9: sentences
def sentence_of(data: dict, label: int, line: int) -> str:
    """The sentence of ``data`` (:func:`~axlib.data.polarity.polarity_dataset`) with ``label``
    (0 negative, 1 positive) at ``line`` of its file (1-based, as in ``rt-polarity.neg/pos``)."""
    found = ((data["labels"] == label) & (data["lines"] == line)).nonzero()
    if len(found) != 1:
        raise ValueError(f"(label, line) must name one sentence, got ({label!r}, {line!r})")
    return data["sentences"][int(found)]


def explain_sentence(model: nn.Module, vocab, sentence: str, *, k: int = 3, steps: int = 20) -> dict:
    """AXAI (:func:`axai_embeddings`) on one sentence.

    Returns {"tokens": its n tokens, "shown": the tokens with ``*`` marking those out of the
    training vocabulary (seen as ``<unk>``), "exp": the explanation, "ranked": the tokens by
    attack density, densest first}.
    """
    toks = polarity.tokenize(sentence)
    ids = vocab.encode(toks)
    exp = axai_embeddings(model, ids, k=k, steps=steps)
    shown = [t + ("*" if i == 1 else "") for t, i in zip(toks, ids)]
    ranked = [toks[int(r)] for r in exp.ranking[0] if int(r) >= 0]
    return {"tokens": toks, "shown": shown, "exp": exp, "ranked": ranked}


def explain_paper_examples(model: nn.Module, data: dict, *, k: int = 3, steps: int = 20) -> dict:
    """:func:`explain_sentence` on the paper's two sentences of Fig. 6
    (:data:`axlib.data.polarity.PAPER_EXAMPLES`). Returns {"negative" / "positive": its result
    with "sentence", "expected" (the paper's main token), "title" (of the figure) added}."""
    out = {}
    for name, (label, line) in polarity.PAPER_EXAMPLES.items():
        sentence = sentence_of(data, label, line)
        e = explain_sentence(model, data["vocab"], sentence, k=k, steps=steps)
        e.update(sentence=sentence, expected=str(paper.TEXT_TOP_TOKENS[name]),
                 title=f"AXAI Fig. 6 ({name}, rt-polarity.{'neg' if label == 0 else 'pos'} line {line})")
        out[name] = e
    return out


def examples_table(examples: dict) -> pd.DataFrame:
    """One row per sentence of :func:`explain_paper_examples`: the sentence, the label predicted
    before and after the attack, the top 3 tokens and the paper's token."""
    rows = [{"label": name, "sentence": e["sentence"], "predicted": LABEL_NAMES[int(e["exp"].target[0])],
             "after attack": LABEL_NAMES[int(e["exp"].adv_label[0])], "top 3 tokens": ", ".join(e["ranked"][:3]),
             "paper": e["expected"]} for name, e in examples.items()]
    return pd.DataFrame(rows).set_index("label")


def top_token_fields(example: dict, *, steps: int) -> dict:
    """:meth:`~axlib.companion.results.Recorder.judge` keywords of ``text.<label>.top_token``: the
    rank of the paper's word by attack density (1 = densest; one deterministic explanation, so
    no sampling interval), ``ours`` the densest token."""
    exp = example["exp"]
    ranked = list(example["ranked"])
    rank = ranked.index(example["expected"]) + 1 if example["expected"] in ranked else len(ranked) + 1
    return {"estimate": Estimate(float(rank), float(rank), float(rank), 1, "sentence",
                                 "none: one deterministic explanation"),
            "ours": example["ranked"][0], "unit": "most densely attacked token",
            "note": (f"ranking {example['ranked'][:5]}; predicted {LABEL_NAMES[int(exp.target[0])]}, "
                     f"{LABEL_NAMES[int(exp.adv_label[0])]} after L2 PGD-{steps} on the embeddings "
                     "(eps 0.1 sigma sqrt(nD)); held-out sentence")}


def held_out_examples(data: dict, *, per_label: int = 2, min_tokens: int = 6, max_tokens: int = 15) -> list[int]:
    """The first ``per_label`` negative, then positive, held-out sentences of ``min_tokens`` to
    ``max_tokens`` tokens (Fig. 9). Returns sentence indices into ``data``."""
    per_label = check_int("per_label", per_label, low=0)
    picked: list[int] = []
    for label in range(len(LABEL_NAMES)):
        cand = [i for i in data["split"]["test"] if int(data["labels"][i]) == label
                and min_tokens <= len(polarity.tokenize(data["sentences"][i])) <= max_tokens]
        picked += [int(i) for i in cand[:per_label]]
    return picked
