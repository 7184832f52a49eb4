"""The shared argument checks and context managers (axlib._util.checks)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from axlib._util.checks import (
    check_choice,
    check_device,
    check_images,
    check_int,
    check_labels,
    check_number,
    eval_mode,
    model_device,
    torch_threads,
)


def test_check_int_accepts_integers_in_range_and_names_the_parameter():
    assert check_int("steps", 3, low=1) == 3 and check_int("n", np.int64(2), low=0, high=2) == 2
    for bad in (0, 1.0, True, "3", None):
        with pytest.raises(ValueError, match=r"steps must be an integer >= 1, got"):
            check_int("steps", bad, low=1)
    with pytest.raises(ValueError, match=r"n must be an integer in \[1, 5\], got 6"):
        check_int("n", 6, low=1, high=5)


def test_check_number_bounds_open_and_closed():
    assert check_number("eps", 0, low=0) == 0.0
    with pytest.raises(ValueError, match=r"step must be a finite number > 0, got 0"):
        check_number("step", 0, low=0, low_open=True)
    with pytest.raises(ValueError, match=r"alpha must be a finite number in \[0, 1\), got 1"):
        check_number("alpha", 1, low=0, high=1, high_open=True)
    for bad in (float("nan"), float("inf"), True, "1"):
        with pytest.raises(ValueError, match="eps must be a finite number"):
            check_number("eps", bad, low=0)


def test_check_choice_is_case_insensitive_and_lists_the_choices():
    assert check_choice("norm", "L2", ("l2", "linf")) == "l2"
    with pytest.raises(ValueError, match=r"norm must be one of \('l2', 'linf'\), got 'l1'"):
        check_choice("norm", "l1", ("l2", "linf"))
    with pytest.raises(ValueError, match="must be one of"):
        check_choice("norm", "L2", ("l2",), case_sensitive=True)


def test_images_and_labels():
    x = torch.rand(2, 3, 4, 4)
    assert check_images(x) is x
    with pytest.raises(ValueError, match=r"x must lie in \[0, 1\]"):
        check_images(x + 1)
    with pytest.raises(ValueError, match="finite"):
        check_images(torch.full((1, 1, 2, 2), float("nan")), bounds=None)
    assert check_labels(3, x).tolist() == [3, 3]
    with pytest.raises(ValueError, match=r"y must be an integer tensor of shape \(B,\) = \(2,\)"):
        check_labels(torch.zeros(3, dtype=torch.long), x)


def test_check_device():
    assert check_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="device must be 'cpu', 'cuda' or 'cuda:N', got 'banana'"):
        check_device("banana")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            check_device("cuda")


def test_model_device_falls_back_to_the_default():
    assert model_device(nn.Linear(2, 2), "cuda:0") == torch.device("cpu")
    assert model_device(nn.ReLU(), "cpu") == torch.device("cpu")          # no parameters
    assert model_device(lambda t: t, torch.device("cpu")) == torch.device("cpu")  # a plain function


def test_eval_mode_restores_every_flag_and_threads_are_restored():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout())
    model.train()
    model[1].eval()                        # mixed flags come back as they were
    with eval_mode(model) as inside:
        assert inside is model and not any(m.training for m in model.modules())
    assert model.training and model[0].training and not model[1].training
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="threads must be an integer >= 1"):
        with torch_threads(0):
            pass


def test_compute_layout_switches_large_batches_to_channels_last_and_keeps_values():
    from axlib._util.layout import CHANNELS_LAST_MIN_PIXELS, InComputeLayout, compute_layout

    small, large = torch.rand(1, 3, 32, 32), torch.rand(16, 3, 32, 32)    # 1,024 and 16,384 pixels
    assert large.shape[0] * 32 * 32 >= CHANNELS_LAST_MIN_PIXELS > small.shape[0] * 32 * 32
    assert compute_layout(small) is small
    assert compute_layout(large).is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(compute_layout(large), large)
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append(x.is_contiguous(memory_format=torch.channels_last))
            return x.flatten(1).sum(1, keepdim=True)

    wrapped = InComputeLayout(Probe())
    assert torch.equal(wrapped(large), large.flatten(1).sum(1, keepdim=True)) and seen == [True]
    wrapped(small)
    assert seen == [True, False]
