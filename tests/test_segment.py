"""axlib.segment: QuickShift labels, grids, validation; axlib.data.natural; axlib.plots smoke."""
import pytest
import torch

from axlib import segment
from axlib.segment import count_segments, grid, quickshift


def _blocks(size=32, seed=0):
    """A CIFAR-sized image: four flat colour quadrants plus a little noise, in [0, 1]."""
    generator = torch.Generator().manual_seed(seed)
    image = torch.zeros(3, size, size)
    half = size // 2
    image[:, :half, :half] = torch.tensor([0.9, 0.1, 0.1])[:, None, None]
    image[:, :half, half:] = torch.tensor([0.1, 0.8, 0.2])[:, None, None]
    image[:, half:, :half] = torch.tensor([0.1, 0.2, 0.9])[:, None, None]
    image[:, half:, half:] = torch.tensor([0.9, 0.9, 0.2])[:, None, None]
    image += 0.05 * torch.randn(image.shape, generator=generator)
    return image.clamp(0, 1)


@pytest.fixture(scope="module")
def batch():
    return torch.stack([_blocks(seed=0), _blocks(seed=1), torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(2))])


def test_quickshift_labels_cover_every_pixel_and_are_consecutive(batch):
    labels = quickshift(batch)
    assert labels.shape == (3, 32, 32) and labels.dtype == torch.int64
    for one in labels:
        present = torch.unique(one)
        assert torch.equal(present, torch.arange(present.numel()))  # 0 .. S-1, every pixel labelled
    assert torch.equal(count_segments(labels), labels.flatten(1).max(1).values + 1)


def test_quickshift_is_deterministic_and_batch_independent(batch):
    first = quickshift(batch, kernel_size=2, max_dist=10, ratio=0.5)
    again = quickshift(batch, kernel_size=2, max_dist=10, ratio=0.5)
    assert torch.equal(first, again)
    assert torch.equal(quickshift(batch[1], kernel_size=2, max_dist=10, ratio=0.5), first[1])


def test_single_image_gives_single_label_map(batch):
    labels = quickshift(batch[0])
    assert labels.shape == (32, 32)
    assert count_segments(labels).dim() == 0


def test_smaller_kernel_gives_at_least_as_many_segments(batch):
    counts = [count_segments(quickshift(batch, kernel_size=k)) for k in (1, 2, 4)]
    assert (counts[0] >= counts[1]).all() and (counts[1] >= counts[2]).all()
    assert (counts[0] > counts[2]).any()


def test_segments_follow_the_colour_quadrants():
    labels = quickshift(_blocks(), kernel_size=2, max_dist=20, ratio=0.5)
    quadrants = [labels[:16, :16], labels[:16, 16:], labels[16:, :16], labels[16:, 16:]]
    majority = [torch.mode(q.flatten()).values.item() for q in quadrants]
    assert len(set(majority)) == 4  # no segment owns two quadrants


def test_segment_entry_point_dispatches(batch):
    assert torch.equal(segment.segment(batch, "quickshift", kernel_size=2), quickshift(batch, kernel_size=2))
    assert torch.equal(segment.segment(batch, "grid", cells=4), grid((3, 32, 32), 4))
    with pytest.raises(ValueError, match="method"):
        segment.segment(batch, "slic")


@pytest.mark.parametrize("params, name", [
    ({"kernel_size": 0.5}, "kernel_size"), ({"kernel_size": -1}, "kernel_size"),
    ({"max_dist": 0}, "max_dist"), ({"ratio": 1.5}, "ratio"), ({"ratio": -0.1}, "ratio"),
    ({"sigma": -1}, "sigma"),
])
def test_invalid_parameters_name_the_parameter(batch, params, name):
    with pytest.raises(ValueError, match=name):
        quickshift(batch, **params)


@pytest.mark.parametrize("images", [
    torch.rand(2, 1, 8, 8), torch.rand(8, 8), torch.rand(1, 3, 8, 8) * 2 - 0.5,
    torch.full((1, 3, 8, 8), float("nan")), torch.zeros(1, 3, 8, 8, dtype=torch.uint8),
])
def test_invalid_images_are_refused(images):
    with pytest.raises(ValueError, match="images"):
        quickshift(images)


@pytest.mark.parametrize("shape, cells, expected", [
    ((32, 32), 4, 16), ((5, 7), (2, 3), 6), ((2, 10, 13), (3, 4), 12), ((4, 4), (4, 4), 16), ((9, 1), (3, 1), 3),
])
def test_grid_covers_every_pixel_once_with_the_right_number_of_cells(shape, cells, expected):
    labels = grid(shape, cells)
    assert labels.shape == shape and labels.dtype == torch.int64
    single = labels if len(shape) == 2 else labels[0]
    assert torch.equal(torch.unique(single), torch.arange(expected))
    counts = torch.bincount(single.flatten())
    assert counts.sum() == single.numel() and counts.max() - counts.min() <= max(shape[-2:])
    if len(shape) == 3:
        assert (labels == labels[0]).all()


def test_grid_cells_are_rectangles():
    labels = grid((10, 13), (3, 4))
    for label in range(12):
        rows, cols = torch.nonzero(labels == label, as_tuple=True)
        height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert rows.numel() == height * width


@pytest.mark.parametrize("cells, name", [((0, 2), "rows"), ((2, 20), "cols"), (11, "rows")])
def test_grid_refuses_bad_cells(cells, name):
    with pytest.raises(ValueError, match=name):
        grid((10, 13), cells)


def test_boundary_length_counts_label_changes_between_neighbours():
    assert int(segment.boundary_length(torch.zeros(5, 5, dtype=torch.long))) == 0
    halves = grid((4, 6), (1, 2))                      # one vertical cut of 4 pixel edges
    assert int(segment.boundary_length(halves)) == 4
    assert segment.boundary_length(grid((2, 4, 6), (2, 2))).tolist() == [10, 10]


def test_colour_spread_is_zero_for_flat_segments_and_grows_when_merged():
    image = torch.zeros(3, 8, 8)
    image[0, :, 4:] = 1.0                              # left black, right red
    halves = grid((8, 8), (1, 2))
    assert float(segment.colour_spread(image, halves)) < 1e-6
    assert float(segment.colour_spread(image, torch.zeros(8, 8, dtype=torch.long))) > 10
    with pytest.raises(ValueError, match="labels"):
        segment.colour_spread(image, torch.zeros(4, 4, dtype=torch.long))


def test_sweep_returns_one_row_per_image_and_setting(batch):
    frame = segment.sweep(batch[:2], ["a", "b"], kernel_size=[1, 2], ratio=[0.2, 0.8])
    assert len(frame) == 8
    assert set(frame.columns) >= {"image", "kernel_size", "max_dist", "ratio", "segments", "seconds"}
    assert (frame.seconds > 0).all()
    with pytest.raises(ValueError, match="unknown"):
        segment.sweep(batch[:1], kernel=[1])


def test_match_count_picks_the_closest_count(batch):
    kernels = [1, 2, 4]
    found = segment.match_count(batch[2], 20, ratio=0.2, kernel_sizes=kernels)
    counts = [int(count_segments(quickshift(batch[2], kernel_size=k))) for k in kernels]
    assert abs(found["segments"] - 20) == min(abs(c - 20) for c in counts)
    assert found["labels"].shape == (32, 32)


def test_natural_images_load_offline_and_crop_like_imagenet():
    from axlib.data.natural import natural_images

    images, names = natural_images(("chelsea", "coffee"), size=64)
    assert images.shape == (2, 3, 64, 64) and names == ("chelsea", "coffee")
    assert images.min() >= 0 and images.max() <= 1
    single, _ = natural_images("chelsea")
    assert single.shape == (1, 3, 300, 451)
    with pytest.raises(ValueError, match="different shapes"):
        natural_images(("chelsea", "coffee"))
    with pytest.raises(ValueError, match="names: 'no_such_image' is neither a skimage.data image"):
        natural_images(("no_such_image",))


def test_natural_images_read_the_embedded_imagenet_samples_by_file_stem():
    from axlib.data.imagenet import imagenet_samples
    from axlib.data.natural import natural_images

    images, names = natural_images(("chelsea", "n01440764_tench"), size=224)
    assert images.shape == (2, 3, 224, 224) and names == ("chelsea", "n01440764_tench")
    x, y, _ = imagenet_samples(1)                          # the same file through the classifier's preprocessing
    assert int(y[0]) == 0 and torch.allclose(images[1], x[0], atol=2 / 255)


def test_plots_return_figures(batch):
    import pandas as pd
    from matplotlib.figure import Figure

    from axlib import plots

    plots.use_style()
    labels = quickshift(batch)
    assert isinstance(plots.show_images(batch, ["a", "b", "c"]), Figure)
    assert isinstance(plots.show_segments(batch, labels, ncols=2), Figure)
    assert isinstance(plots.show_segments(batch[0], labels[0]), Figure)
    frame = pd.DataFrame({"k": [1, 2, 1, 2], "n": [10, 5, 12, 6], "img": ["a", "a", "b", "b"]})
    assert isinstance(plots.line_plot(frame, "k", ["n", "n"], hue="img", logy=[True, False]), Figure)
    assert isinstance(plots.hist_plot(frame, "n"), Figure)
