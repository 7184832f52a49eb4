"""The scaling figure's timings (axlib.papers.axai.scaling) on a tiny fully convolutional model."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from axlib.papers.axai import scaling


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(4, 3)).eval()


def test_every_method_is_timed_on_both_axes_and_the_figure_draws_them():
    generator = torch.Generator().manual_seed(0)
    image, background = torch.rand(1, 3, 40, 40, generator=generator), torch.rand(2, 3, 40, 40, generator=generator)
    rows = scaling.scaling(_model(), image, background, sizes=(16, 32), ks=(1, 3), k_size=16, lime_samples=10,
                           shap_samples=2)
    size_rows = [(r["side"], r["method"]) for r in rows if r["axis"] == "size"]
    assert size_rows == [(16, m) for m in ("axai", "lime", "shap")] + [(32, m) for m in ("axai", "lime", "shap")]
    k_rows = [(r["k"], r["method"]) for r in rows if r["axis"] == "k"]
    assert k_rows == [(1, "axai"), (1, "lime"), (1, "shap"), (3, "axai"), (3, "lime")]   # SHAP has no K
    assert all(r["seconds"] > 0 and r["pixels"] == r["side"] ** 2 for r in rows)
    fig = scaling.plot_scaling(rows)
    by_size, by_k = fig.axes
    assert len(by_size.lines) == 3 and len(by_k.lines) == 3 and by_size.get_xscale() == "log"


def test_baselines_stop_at_their_side_and_axai_goes_on():
    image, background = torch.rand(1, 3, 40, 40), torch.rand(2, 3, 40, 40)
    rows = scaling.scaling(_model(), image, background, sizes=(16, 32), ks=(1,), k_size=16, lime_samples=10,
                           shap_samples=2, baselines_up_to=16)
    size_rows = [(r["side"], r["method"]) for r in rows if r["axis"] == "size"]
    assert size_rows == [(16, "axai"), (16, "lime"), (16, "shap"), (32, "axai")]
    assert len(scaling.plot_scaling(rows).axes[0].lines) == 3
    table = scaling.scaling_table(rows)
    assert list(table.columns) == ["axai", "lime", "shap"] and len(table) == 3      # sides 16, 32; K 1
    assert table.loc[("size", 32, 10), "lime"] != table.loc[("size", 32, 10), "lime"]   # NaN: not timed
    assert table.loc[("size", 32, 10), "axai"] == next(r["seconds"] for r in rows if r["side"] == 32)


@pytest.mark.parametrize("kw, param", [(dict(sizes=(8,)), "sizes"), (dict(ks=(0,)), "ks"), (dict(k_size=4), "k_size"),
                                       (dict(baselines_up_to=8), "baselines_up_to")])
def test_bad_axes_are_refused(kw, param):
    with pytest.raises(ValueError, match=param):
        scaling.scaling(_model(), torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32), **kw)


def test_one_image_only():
    with pytest.raises(ValueError, match="one image"):
        scaling.scaling(_model(), torch.rand(2, 3, 32, 32), torch.rand(1, 3, 32, 32))
