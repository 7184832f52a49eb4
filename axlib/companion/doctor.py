"""``axlib doctor --profile paper``: what the papers' own scale needs, and whether it is here.

One row per model and data set the ``paper`` profile is built around (the papers' pretrained
ImageNet models, the models no upstream publishes that ``axlib train`` trains by their recipe,
ImageNet validation with boxes and the training split, the full public data sets): its source,
size, where it is looked for, its status (``present`` or ``missing``) and the command or manual
step that gets it. The exit status is 1 while anything is missing. ``--fetch`` downloads
(verified) whatever can be downloaded first.

The ``default`` and ``smoke`` profiles need nothing beyond the repository: their rows are empty.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["Need", "PAPER_MODELS", "TRAINED_MODELS", "PAPER_DATA", "pages_naming", "needs", "page_needs", "missing_message", "rows", "doctor_cli"]

PAPER_MODELS = {
    "imagenet-resnet34": "AXAI: Table 5, Fig. 10, App. E.1",
    "imagenet-resnet18": "EXIAA's ResNet-18",
    "imagenet-vit-b16": "EXIAA's ViT-B/16",
    "imagenet-alexnet": "robust study",
    "imagenet-googlenet": "robust study",
    "imagenet-resnet50": "robust study",
    "imagenet-densenet161": "robust study",
    "imagenet-mobilenetv2-tv": "robust study",
    "imagenet-resnet50-robust": "robust study",
    "imagenet-densenet161-robust": "robust study",
    "imagenet-mobilenetv2-robust": "robust study",
    "coco-fasterrcnn-resnet50-fpn-v2": "AXAI App. E.2",
}
"""Pretrained models of :mod:`axlib.models.pretrained` -> what they are for; the pages that
need them are those whose paper sizes name them (:func:`pages_naming`)."""

TRAINED_MODELS = {
    "speech-lenet-v002": "AXAI 4.1 / App. C.4 on all 35 words of Speech Commands v0.02",
    "cifar100-vgg16": "AXAI's VGG16 / CIFAR-100 column",
    "imagenet-alexnet-robust": "robust study: AlexNet-R (no public checkpoint)",
    "imagenet-googlenet-robust": "robust study: GoogLeNet-R (no public checkpoint)",
    "imagenet-resnet50-advprop-pgd1": "robust study: ResNet-50 AdvProp PGD-1 (no public checkpoint)",
    "imagenet-resnet50-advprop-pgd5": "robust study: ResNet-50 AdvProp PGD-5 (no public checkpoint)",
}
"""Models of the paper profile that no upstream publishes and this project does not ship: each is
trained by its registry recipe (``axlib train NAME``, a GPU advised) -> what it is for."""

PAPER_DATA = {
    "imagenet-val": (("02", "03", "04", "04b", "05", "06"), "ILSVRC2012 validation images and boxes, a local copy"),
    "imagenet-train": ((), "ILSVRC2012 training images, a local copy: the training data of the four "
                           "imagenet-* models above that `axlib train` makes"),
    "imagenet-samples": (("06",), "the 1,000 ImageNet sample images, one per class (EXIAA's MobileNetV2 part)"),
    "cifar10": (("02", "03"), "the official CIFAR-10"),
    "cifar100": (("02",), "AXAI's VGG16 / CIFAR-100 column (and the training data of cifar100-vgg16)"),
    "speech-commands-v0.02": (("07",), "AXAI App. C.4"),
    "rt-polarity": (("07",), "AXAI App. C.4"),
    "coco-val2017": (("08",), "AXAI App. E.2: COCO val2017 images and boxes"),
}
"""Data sets (:data:`axlib.data.registry.DATASETS`, ImageNet's and COCO's copies) -> (the pages
whose paper profile reads them today, what they are for)."""


def _pages_text(pages: tuple[str, ...], what: str) -> str:
    return f"{', '.join(pages) or 'no page'} ({what})"


def pages_naming(name: str) -> tuple[str, ...]:
    """The pages (number prefixes) whose paper profile names ``name`` among its sizes."""
    from axlib.companion.sizes import PAGE_SIZES

    return tuple(stem.split("_", 1)[0] for stem, sizes in sorted(PAGE_SIZES.items())
                 if name in _names_in(sizes["paper"]))


@dataclass(frozen=True)
class Need:
    """One row: name, kind ("model" or "data"), pages, source (URL or citation), size (text),
    where it is looked for, status, and how to get it."""

    name: str
    kind: str
    pages: str
    source: str
    size: str
    where: str
    status: str
    how: str


def _model_need(name: str, pages: str) -> Need:
    from axlib.models import pretrained

    source = pretrained.SOURCES[name]
    status = pretrained.status(name)
    found = pretrained.locate(name)
    where = str(found) if found else ", ".join(map(str, pretrained._candidates(source))) if source.url else "-"
    size = f"{source.download_mb:.0f} MB" if source.download_mb else "?"
    how = f"axlib doctor --profile paper --fetch (downloads {source.url})"
    return Need(name, "model", pages, source.url or source.citation, size, where, status, how)


def _trained_need(name: str, pages: str) -> Need:
    import torch

    from axlib.models import registry

    path = registry.checkpoint_path(name)
    spec = registry.MODELS[name]
    with torch.device("meta"):                           # shapes only: no memory, no initialisation
        size = sum(p.numel() for p in spec.build().parameters()) * 4 / 1e6
    return Need(name, "model", pages, "trained here by its recipe (axlib.models.registry)", f"{size:.0f} MB",
                str(path), "present" if path.is_file() else "missing",
                f"axlib train {name} (its recipe: {spec.recipe['epochs']} epochs on {spec.dataset})")


def _data_need(name: str, pages: str) -> Need:
    from axlib.data import registry

    if name in ("imagenet-val", "imagenet-train"):                   # local copies: an account is needed
        from axlib.data import imagenet_train, imagenet_val

        if name == "imagenet-val":
            size, status, how = "6.7 GB", imagenet_val.status(), (
                f"download {imagenet_val.IMAGES_ARCHIVE[0]} and {imagenet_val.BOXES_ARCHIVE[0]} from image-net.org "
                f"into one folder and set {imagenet_val.ENV} to it (axlib.data.imagenet_val)")
        else:
            size, status, how = "138 GB", imagenet_train.status(), (
                f"download {imagenet_train.TRAIN_ARCHIVE[0]} from image-net.org into the folder "
                f"${imagenet_val.ENV} names (read in place; axlib.data.imagenet_train)")
        folder = os.environ.get(imagenet_val.ENV) or f"${imagenet_val.ENV} (not set)"
        return Need(name, "data", pages, "https://image-net.org (an account is needed)", size, folder, status, how)
    if name == "coco-val2017":
        from axlib.data import coco

        return Need(name, "data", pages, "http://images.cocodataset.org (val2017.zip, annotations_trainval2017.zip)",
                    f"{sum(mb for *_, mb in coco.ARCHIVES.values()):,} MB", str(coco.folder()), coco.status(),
                    f"axlib doctor --profile paper --fetch (or put both zips in ${coco.ENV})")
    dataset = registry.DATASETS[name]
    status = "present" if registry.is_cached(name) else "missing"
    return Need(name, "data", pages, dataset.url, registry._human(dataset.bytes), str(registry.target_path(name)),
                status, f"axlib data fetch {name}")


def needs(profile: str) -> list[Need]:
    """Every model and data set ``profile`` needs beyond the repository, with its status."""
    from axlib.companion.profiles import PROFILE_NAMES

    if profile not in PROFILE_NAMES:
        raise ValueError(f"profile must be one of {tuple(PROFILE_NAMES)}, got {profile!r}")
    if profile != "paper":
        return []
    return ([_model_need(n, _pages_text(pages_naming(n), what)) for n, what in PAPER_MODELS.items()]
            + [_trained_need(n, _pages_text(pages_naming(n), what)) for n, what in TRAINED_MODELS.items()]
            + [_data_need(n, _pages_text(*p)) for n, p in PAPER_DATA.items()])


def _names_in(value) -> set[str]:
    """Every string inside a page's sizes or parameters (models are named by registry name)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return set().union(*map(_names_in, value.values())) if value else set()
    if isinstance(value, (list, tuple, set)):
        return set().union(*map(_names_in, value)) if value else set()
    return set()


def page_needs(stems: list[str], profile: str, parameters: dict | None = None) -> list[Need]:
    """What the pages ``stems`` (notebook file stems) need under ``profile``: the pretrained
    models their sizes (or ``parameters``) name, and the data sets :data:`PAPER_DATA` lists for
    them. Empty for every profile but ``paper``."""
    from axlib.companion.sizes import PAGE_SIZES

    if profile != "paper":
        return []
    pages = {stem.split("_", 1)[0] for stem in stems}
    named = _names_in(parameters or {}).union(*(_names_in(PAGE_SIZES[s]["paper"]) for s in stems if s in PAGE_SIZES))
    return ([_model_need(n, _pages_text(pages_naming(n), what)) for n, what in PAPER_MODELS.items() if n in named]
            + [_trained_need(n, _pages_text(pages_naming(n), what)) for n, what in TRAINED_MODELS.items()
               if n in named]
            + [_data_need(n, _pages_text(*p)) for n, p in PAPER_DATA.items() if pages & set(p[0])])


def missing_message(found: list[Need]) -> str | None:
    """The text ``axlib run --profile paper`` stops with when some of ``found`` is not here
    (None when everything is): one line per missing item with how to get it."""
    short = [n for n in found if n.status != "present"]
    if not short:
        return None
    lines = [f"  {n.name} ({n.kind}, {n.status}, {n.size}, pages {n.pages}): {n.how}" for n in short]
    return ("the paper profile needs what is not on this machine:\n" + "\n".join(lines)
            + "\n`axlib doctor --profile paper` lists everything; `--fetch` downloads what can be downloaded")


def rows(found: list[Need]) -> list[tuple[str, ...]]:
    """The table ``doctor_cli`` prints: name, kind, status, size, pages, where / how."""
    return [(n.name, n.kind, n.status, n.size, n.pages,
             n.where if n.status == "present" else n.how) for n in found]


def _fetch(found: list[Need]) -> None:
    from axlib.data import registry
    from axlib.models import pretrained

    for need in found:
        if need.status != "missing" or need.name in TRAINED_MODELS:      # trained, not downloaded
            continue
        if need.kind == "model":
            pretrained.load(need.name, download=True)
        elif need.name in registry.DATASETS:
            registry.fetch(need.name)
        elif need.name == "coco-val2017":
            from axlib.data import coco
            coco.archive_paths(download=True)


def doctor_cli(args) -> int:
    """``axlib doctor [--profile P] [--fetch]``: print the table; 1 while something is missing."""
    found = needs(args.profile)
    if args.fetch:
        _fetch(found)
        found = needs(args.profile)
    if not found:
        print(f"profile {args.profile!r} needs nothing beyond the repository.")
        return 0
    table = rows(found)
    header = ("name", "kind", "status", "size", "pages", "where it is / how to get it")
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(5)]
    for row in [header, tuple("-" * w for w in widths) + ("-" * 26,), *table]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:5], widths)) + "  " + row[5])
    short = [n for n in found if n.status != "present"]
    if short:
        print(f"\n{len(short)} of {len(found)} are not here; profile {args.profile!r} cannot run at the "
              "papers' scale yet.")
        return 1
    print(f"\nall {len(found)} models and data sets of profile {args.profile!r} are here.")
    return 0
