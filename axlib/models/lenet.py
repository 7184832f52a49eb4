"""LeNet-5 for spoken words: the AXAI paper's speech model (section 4.1, appendix E.3).

LeCun et al.'s LeNet-5 layout (two 5x5 convolutions with 6 and 16 channels, each followed by
2x2 max-pooling, then fully connected layers of 120 and 84 units) on a one-channel
log-spectrogram "image" in [0, 1] (:func:`axlib.data.speech_commands.log_spectrogram`, (1, 129, 126) for a
one-second clip). ReLU replaces the original tanh/sigmoid units, and the normalisation lives
inside the model as a non-affine batch norm of the input (its running mean and variance are the
training spectrograms' statistics), so the inputs stay [0, 1] like every axlib model.
Dropout 0.3 before the classifier, because the embedded training set is tiny (205 clips).
"""
from __future__ import annotations

import torch
from torch import nn

from axlib.data.speech_commands import spectrogram_shape


class LeNetSpeech(nn.Module):
    """x: (B, 1, F, T) log-spectrograms in [0, 1] -> logits (B, num_classes).

    input_shape: (F, T) of the spectrograms (default: a one-second clip, (129, 126)).
    About 1.6M parameters for the defaults, most of them in the first fully connected layer.
    """

    def __init__(self, num_classes: int = 30, input_shape: tuple[int, int] | None = None):
        super().__init__()
        f, t = input_shape if input_shape is not None else spectrogram_shape()
        if f < 16 or t < 16:
            raise ValueError(f"input_shape must be at least (16, 16), got {(f, t)}")
        if num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {num_classes}")
        self.normalize = nn.BatchNorm2d(1, affine=False)
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        )
        fh, ft = ((f - 4) // 2 - 4) // 2, ((t - 4) // 2 - 4) // 2
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(16 * fh * ft, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Dropout(0.3), nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(self.normalize(x)))
