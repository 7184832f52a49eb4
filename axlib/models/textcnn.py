"""Kim's (2014) CNN for sentence classification, "CNN-rand": the AXAI paper's text model (4.2).

Word embeddings initialised at random, uniform in [-0.25, 0.25] as in Kim's code (so that their
variance is about that of pretrained word2vec vectors), and trained with the network,
convolutions of widths 3, 4 and 5 with 100 feature maps each, max-over-time pooling, dropout 0.5
and a linear classifier (Kim 2014, section 2 and 3.1). Differences from Kim, stated: the
embedding has 128 dimensions instead of 300 (training on two shared CPU cores), the rows of the
classifier are not max-norm constrained (weight decay instead), and the optimiser is the one of
:func:`axlib.models.train.fit` (SGD with Nesterov momentum, one-cycle schedule) instead of
Adadelta; the recipe in the model registry records it all.

For AXAI the model splits in two: :meth:`TextCNN.embed` maps token ids (B, L) to embeddings
(B, L, D), :meth:`TextCNN.forward_embedded` maps embeddings to logits; the attack works on the
embeddings (:func:`axlib.papers.axai.text.axai_embeddings`). Index 0 is the padding token: its embedding is
the zero vector and it is never trained.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class TextCNN(nn.Module):
    """tokens: (B, L) int64 ids (0 = padding), L >= max(widths) -> logits (B, num_classes).

    vocab_size: ids 0 .. vocab_size-1 (>= 2); dim: embedding size; widths: convolution widths
    in tokens; maps: feature maps per width; dropout: before the classifier (training only).
    """

    def __init__(self, vocab_size: int, num_classes: int = 2, *, dim: int = 128,
                 widths: tuple[int, ...] = (3, 4, 5), maps: int = 100, dropout: float = 0.5):
        super().__init__()
        if vocab_size < 2:
            raise ValueError(f"vocab_size must be >= 2, got {vocab_size}")
        if not widths or min(widths) < 1:
            raise ValueError(f"widths must be positive integers, got {widths}")
        self.widths = tuple(int(w) for w in widths)
        self.embedding = nn.Embedding(vocab_size, dim, padding_idx=0)
        with torch.no_grad():
            self.embedding.weight.uniform_(-0.25, 0.25)
            self.embedding.weight[0].zero_()
        self.convs = nn.ModuleList([nn.Conv1d(dim, maps, w) for w in self.widths])
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(maps * len(self.widths), num_classes)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token ids (B, L) -> embeddings (B, L, D)."""
        if tokens.dim() != 2 or tokens.is_floating_point():
            raise ValueError(f"tokens must be an integer tensor (B, L), got {tuple(tokens.shape)} {tokens.dtype}")
        if tokens.shape[1] < max(self.widths):
            raise ValueError(f"tokens must be padded to at least {max(self.widths)} positions, got {tokens.shape[1]}")
        return self.embedding(tokens)

    def forward_embedded(self, emb: torch.Tensor) -> torch.Tensor:
        """Embeddings (B, L, D) (or (B, 1, L, D), the 4-D form attacks use) -> logits (B, classes)."""
        if emb.dim() == 4 and emb.shape[1] == 1:
            emb = emb[:, 0]
        h = emb.transpose(1, 2)                                   # (B, D, L)
        pooled = [F.relu(conv(h)).amax(dim=2) for conv in self.convs]
        return self.fc(self.dropout(torch.cat(pooled, dim=1)))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.forward_embedded(self.embed(tokens))
