"""Pages run on their paper-profile code path, on fakes in the upstreams' formats.

The paper profile needs downloads this machine cannot make. Each test here builds small fakes
in the upstream's exact format (tests/test_detection_page.py's COCO archives, a torchvision
detection checkpoint whose file name carries its own sha256 prefix), points the page at them,
and executes every code cell of the notebook, in order, with the paper profile and sizes
overridden down: the same calls the published page makes, on the paper's names. The cells run
in this process (not a kernel) so that the fakes' registrations apply.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import json
import types
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from test_detection_page import _fake_coco

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run_cells(notebook: str, **parameters) -> dict:
    """Execute the code cells of ``notebook`` but its Colab install cell (IPython syntax, and a
    no-op where axlib is installed); ``parameters`` replace the parameters cell's values (as
    papermill injects them). Returns the namespace."""
    from IPython.display import display

    nb = nbformat.read(NOTEBOOKS / notebook, as_version=4)
    namespace: dict = {"display": display}                 # as an IPython kernel provides it
    for cell in nb.cells:
        if cell.cell_type != "code" or "colab-install" in cell.metadata.get("tags", []):
            continue
        exec(compile(cell.source, f"{notebook}:{cell.get('id', '?')}", "exec"), namespace)
        if "parameters" in cell.metadata.get("tags", []):
            namespace.update(parameters)
    return namespace


def _fake_torchvision_detector(folder: Path, monkeypatch, name: str):
    """A torchvision detection checkpoint of a small architecture registered under ``name``
    (the class-1 bias raised so that the untrained detector finds boxes, at most 3 an image)."""
    import torchvision

    from axlib.models import pretrained as P

    builder = torchvision.models.detection.fasterrcnn_mobilenet_v3_large_320_fpn
    monkeypatch.setattr(torchvision.models.detection, "fasterrcnn_mobilenet_v3_large_320_fpn",
                        functools.partial(builder, box_detections_per_img=3))      # 3 boxes an image: seconds
    torch.manual_seed(0)
    net = builder(weights=None, weights_backbone=None, num_classes=91)
    state = net.state_dict()
    state["roi_heads.box_predictor.cls_score.bias"][1] = 8.0
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(state, folder / "tmp.pth")
    prefix = hashlib.sha256((folder / "tmp.pth").read_bytes()).hexdigest()[:8]
    (folder / "tmp.pth").rename(folder / f"fasterrcnn-fake-{prefix}.pth")
    source = P.PretrainedSource(name, "torchvision", "detection.fasterrcnn_mobilenet_v3_large_320_fpn", "test", "-",
                                "-", weights="x", task="detection")
    fake = types.SimpleNamespace(url=f"https://download.invalid/models/fasterrcnn-fake-{prefix}.pth",
                                 meta={"_metrics": {"COCO-val2017": {"box_map": 22.8}}, "_file_size": 74.2})
    monkeypatch.setattr(P, "_weights", lambda s: fake)
    monkeypatch.setitem(P.SOURCES, name, source)


def test_page_08_paper_path_on_fake_coco_and_a_fake_torchvision_detector(tmp_path, monkeypatch):
    from axlib.companion.sizes import PAGE_SIZES

    paper = PAGE_SIZES["08_detection"]["paper"]
    monkeypatch.setenv("AXLIB_DATA", str(tmp_path / "cache"))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.setenv("AXLIB_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("AXLIB_NOTEBOOK", "08_detection")
    _fake_coco(tmp_path / "coco", monkeypatch)
    _fake_torchvision_detector(tmp_path / "cache" / "pretrained", monkeypatch, paper["detector"])
    monkeypatch.setitem(PAGE_SIZES["08_detection"], "paper", dict(paper, n_scenes=2, n_map_scenes=2, steps=1,
                                                                  random_draws=1, n_figure=1))
    ns = run_cells("08_detection.ipynb", profile="paper")
    cfg, result = ns["cfg"], ns["result"]
    assert cfg.name == "paper" and cfg.data == "coco-val2017" and cfg.detector == paper["detector"]
    assert result["counts"]["scenes"] == 2 and result["counts"]["detections"] > 0
    assert len(ns["data"].class_names) == 91                                   # COCO's label space
    recorded = json.loads((tmp_path / "08_detection.results.json").read_text())["claims"]
    assert {"axai.appE2.on_object", "axai.appE2.beyond_random", "axai.appE2.ignores_background",
            f"models.{paper['detector']}.map50"} <= set(recorded)
    assert {r["profile"] for r in recorded.values()} == {"paper"}


def _fake_torchvision_classifiers(folder: Path, monkeypatch, architectures: dict[str, str]) -> list[str]:
    """ImageNet classifier checkpoints (random weights of each architecture, small so the pages
    run in seconds) in torchvision's file-name format (each with its own sha256 prefix),
    registered under their names: ``architectures`` maps name -> a ``torchvision.models``
    builder. Returns the list that records every pretrained model loaded."""
    import torchvision

    from axlib.models import pretrained as P

    folder.mkdir(parents=True, exist_ok=True)
    weights = {}
    for i, (name, architecture) in enumerate(architectures.items()):
        torch.manual_seed(i)
        torch.save(getattr(torchvision.models, architecture)(weights=None).state_dict(), folder / "tmp.pth")
        prefix = hashlib.sha256((folder / "tmp.pth").read_bytes()).hexdigest()[:8]
        (folder / "tmp.pth").rename(folder / f"{architecture}-fake-{prefix}.pth")
        weights[name] = types.SimpleNamespace(url=f"https://download.invalid/models/{architecture}-fake-{prefix}.pth",
                                              meta={"_metrics": {"ImageNet-1K": {"acc@1": 73.3}}, "_file_size": 83.3})
        monkeypatch.setitem(P.SOURCES, name, P.PretrainedSource(name, "torchvision", architecture, "test", "-", "-",
                                                                weights="x"))
    monkeypatch.setattr(P, "_weights", lambda source: weights[source.name])
    loaded, load = [], P.load
    monkeypatch.setattr(P, "load", lambda model, **kw: loaded.append(model) or load(model, **kw))
    return loaded


@pytest.mark.parametrize("page, size", [("02_attack_distributions", "models"), ("03_quantile_selection", "models"),
                                        ("04_benchmarks", "imagenet_model"),
                                        ("04b_attack_appendices", "imagenet_model")])
def test_axai_pages_paper_path_load_the_papers_resnet34(page, size, tmp_path, monkeypatch):
    """The AXAI pages under the paper profile load the paper's ResNet34 by name (here a fake
    torchvision checkpoint of a small ResNet) and read random ImageNet validation images (a fake
    copy in the official layout), at the smoke profile's sizes."""
    from axlib.companion.sizes import PAGE_SIZES

    paper = PAGE_SIZES[page]["paper"]
    names = paper[size] if isinstance(paper[size], dict) else {"imagenet": paper[size]}
    assert names["imagenet"] == "imagenet-resnet34"
    monkeypatch.setenv("AXLIB_DATA", str(tmp_path / "cache"))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.setenv("AXLIB_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("AXLIB_NOTEBOOK", page)
    loaded = _fake_torchvision_classifiers(tmp_path / "cache" / "pretrained", monkeypatch,
                                           {"imagenet-resnet34": "resnet18"})
    if "cifar100" in names:                                     # page 02: the paper's VGG16 on CIFAR-100 too
        assert names["cifar100"] == "cifar100-vgg16"
        _fake_cifar100_and_vgg16(tmp_path, monkeypatch)
    assert paper["imagenet_source"] == "val"
    labels = fake_imagenet_val(tmp_path / "imagenet", monkeypatch)
    monkeypatch.setitem(PAGE_SIZES[page], "paper", dict(PAGE_SIZES[page]["smoke"], **{size: paper[size]},
                                                        imagenet_source="val"))
    read = []
    from axlib.data import imagenet_val
    random_images = imagenet_val.random_images
    monkeypatch.setattr(imagenet_val, "random_images", lambda n, **kw: read.append(n) or random_images(n, **kw))
    ns = run_cells(f"{page}.ipynb", profile="paper")
    assert read and len(labels) == 3000                     # the ImageNet images came from the validation copy
    assert ns["cfg"].name == "paper" and getattr(ns["cfg"], size) == paper[size]
    assert set(loaded) == {"imagenet-resnet34"}
    recorded = json.loads((tmp_path / f"{page}.results.json").read_text())["claims"]
    assert recorded and {r["profile"] for r in recorded.values()} == {"paper"}
    if "cifar100" in names:                       # Fig. 2, Tables 2 and 3 have a CIFAR-100 column, judged here
        for claim in ("axai.skew_share.cifar100", "axai.quantiles.cifar100", "axai.beta.cifar100"):
            record = recorded[claim]                                     # one estimate, or the parts of AllOf
            assert {part["n"] for part in record.get("parts", {"": record}).values()} == {16}
        assert "16 images, cifar100-vgg16" in recorded["axai.skew_share.cifar100"]["note"]
        assert "axai.ttest.cifar100" not in recorded                 # Table 1 has none: shown, not judged


def _fake_cifar100_and_vgg16(tmp_path: Path, monkeypatch) -> None:
    """A fake official CIFAR-100 tarball behind the data registry and an untrained
    ``cifar100-vgg16`` checkpoint (with its card) where the registry looks for it."""
    from test_data import fake_cifar100_tarball

    from axlib.data import registry as data_registry
    from axlib.models import registry
    from axlib.models.checkpoints import save_state

    tarball = tmp_path / "cifar-100-python.tar.gz"
    fake_cifar100_tarball(tarball)
    fetch = data_registry.fetch
    monkeypatch.setattr(data_registry, "fetch", lambda name, **kw: tarball if name == "cifar100" else fetch(name, **kw))
    path = tmp_path / "models" / "cifar100-vgg16.safetensors"
    torch.manual_seed(0)
    save_state(registry.MODELS["cifar100-vgg16"].build(), path, {"name": "cifar100-vgg16", "test_accuracy": 0.01})
    where = registry.checkpoint_path
    monkeypatch.setattr(registry, "checkpoint_path", lambda name: path if name == "cifar100-vgg16" else where(name))


def fake_imagenet_val(root: Path, monkeypatch, per_class: int = 3, labels: list[int] | None = None) -> list[int]:
    """An extracted ILSVRC2012 validation copy in the official file names: small JPEGs under
    ``root/val`` and their PASCAL VOC box files (one box, 27 % of the image) under
    ``root/bbox/val``, ``per_class`` of each of the 1,000 classes in random order (or one per
    entry of ``labels``); ``$AXLIB_IMAGENET`` points at it. Returns the label of each position."""
    from PIL import Image

    from axlib.data import imagenet_val

    (root / "val").mkdir(parents=True)
    rng = np.random.default_rng(0)
    if labels is None:
        labels = [int(c) for c in rng.permutation(np.repeat(np.arange(1000), per_class))]
    for i in range(len(labels)):
        Image.fromarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)).save(
            root / "val" / f"ILSVRC2012_val_{i + 1:08d}.JPEG")
    write_box_files(root, labels)
    monkeypatch.setenv(imagenet_val.ENV, str(root))
    imagenet_val.validation_images.cache_clear()
    return labels


def write_box_files(root: Path, labels: list[int]) -> None:
    """(Re)write the box file of each image of a :func:`fake_imagenet_val` copy with ``labels``."""
    from axlib.data.imagenet import IMAGENET_WNIDS

    (root / "bbox" / "val").mkdir(parents=True, exist_ok=True)
    for i, label in enumerate(labels):
        stem = f"ILSVRC2012_val_{i + 1:08d}"
        (root / "bbox" / "val" / f"{stem}.xml").write_text(
            f"<annotation><filename>{stem}</filename><size><width>40</width><height>30</height></size><object>"
            f"<name>{IMAGENET_WNIDS[label]}</name><bndbox><xmin>5</xmin><ymin>4</ymin><xmax>25</xmax><ymax>20</ymax>"
            "</bndbox></object></annotation>")


def _tiny_vit(**kw):
    """torchvision's VisionTransformer (the ViT-B/16 class) at a tiny size: 224 px, patch 32, one
    layer; its head drawn at random (torchvision initialises it to zeros: constant logits, zero maps)."""
    from torchvision.models.vision_transformer import VisionTransformer

    vit = VisionTransformer(image_size=224, patch_size=32, num_layers=1, num_heads=2, hidden_dim=32, mlp_dim=64)
    torch.nn.init.normal_(vit.heads.head.weight, std=0.5)
    return vit


def test_page_06_paper_path_on_a_fake_imagenet_validation_split(tmp_path, monkeypatch):
    """EXIAA's main grid under the paper profile: the paper's ResNet-18 and ViT-B/16 by name
    (fakes: a random ResNet-18 and a one-layer torchvision ViT) on the ImageNet validation split
    (a fake in the official layout), Fig. 5 and A.1 on CIFAR-10 as the paper."""
    import torchvision

    from axlib.companion.sizes import PAGE_SIZES

    paper = PAGE_SIZES["06_exiaa"]["paper"]
    assert paper["models"] == {"resnet18": "imagenet-resnet18", "vit": "imagenet-vit-b16"}
    assert paper["grid_data"] == "imagenet-val" and paper["n_classes"] == 500
    monkeypatch.setenv("AXLIB_DATA", str(tmp_path / "cache"))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.setenv("AXLIB_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("AXLIB_NOTEBOOK", "06_exiaa")
    labels = fake_imagenet_val(tmp_path / "imagenet", monkeypatch)
    monkeypatch.setattr(torchvision.models, "tiny_vit", _tiny_vit, raising=False)
    loaded = _fake_torchvision_classifiers(tmp_path / "cache" / "pretrained", monkeypatch,
                                           {"imagenet-resnet18": "resnet18", "imagenet-vit-b16": "tiny_vit"})
    sizes = {k: paper[k] for k in ("models", "grid_data", "n_classes", "side_models", "imagenet_model")}
    monkeypatch.setitem(PAGE_SIZES["06_exiaa"], "paper", dict(PAGE_SIZES["06_exiaa"]["smoke"], **sizes))
    ns = run_cells("06_exiaa.ipynb", profile="paper")
    main, grid = ns["main"], ns["grid"]
    assert ns["cfg"].name == "paper" and main.data == "imagenet-val" and ns["side"].data == "cifar10"
    assert set(loaded) == {"imagenet-resnet18", "imagenet-vit-b16"}
    originals = main.orig_positions.tolist()
    assert len({labels[i] for i in originals}) == len(originals) == ns["cfg"].n_originals    # one image a class
    assert set(grid["model"]) == {"resnet18", "vit"} and set(grid["data"]) == {"imagenet-val"}
    for key in main.names:                       # each attack image is labelled its original's running-up class
        runner = main.p_orig[key].argsort(1, descending=True)[:, 1]
        assert set(main.pool_y.tolist()) >= set(runner.tolist())
    recorded = json.loads((tmp_path / "06_exiaa.results.json").read_text())["claims"]
    assert {"exiaa.above_baseline", "exiaa.model_accuracy.vit", "exiaa.running_up_best"} <= set(recorded)
    assert recorded["exiaa.model_accuracy.vit"]["unit"].startswith("top-1 on the upstream's reported ImageNet")
    assert {r["profile"] for r in recorded.values()} == {"paper"}


def test_page_05_paper_path_on_a_fake_validation_split(tmp_path, monkeypatch):
    """The robust study under the paper profile: the paper's ImageNet CNNs by name (fakes: a
    random ResNet-18 as the vanilla ResNet-50, the same with perturbed classifiers as the robust
    ResNet-50 and the vanilla DenseNet-161) on the filtered validation split (a fake in the official
    layout whose labels are the vanilla model's predictions, so that ImageNet-CL is not empty);
    Table 1's fields measured for pretrained models; every cell runs."""

    from axlib.companion.sizes import PAGE_SIZES
    from axlib.models import pretrained as P
    from axlib.papers.robust import study

    paper = PAGE_SIZES["05_robust_study"]["paper"]
    assert paper["data"] == "imagenet-val" and paper["models"] == paper["tune_models"]
    assert {study.MODEL_ROLES[m] for m in paper["models"]} >= {("resnet50", "vanilla"), ("resnet50", "robust")}
    assert paper["models"] == list(study.IMAGENET_STUDY_MODELS)                # the paper's twelve, Table 1's order
    monkeypatch.setenv("AXLIB_DATA", str(tmp_path / "cache"))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.setenv("AXLIB_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("AXLIB_NOTEBOOK", "05_robust_study")
    models = ["imagenet-resnet50", "imagenet-resnet50-robust", "imagenet-densenet161"]
    folder = tmp_path / "cache" / "pretrained"
    loaded = _fake_torchvision_classifiers(folder, monkeypatch, dict.fromkeys(models, "resnet18"))
    vanilla = P.load("imagenet-resnet50")     # the other fakes: the vanilla one, its classifier perturbed
    urls = {}
    for i, name in enumerate(models[1:], start=1):
        state = vanilla[1].state_dict()
        state["fc.weight"] = state["fc.weight"] + 1e-3 * torch.randn(state["fc.weight"].shape,
                                                                     generator=torch.Generator().manual_seed(i))
        torch.save(state, folder / "tmp.pth")
        prefix = hashlib.sha256((folder / "tmp.pth").read_bytes()).hexdigest()[:8]
        (folder / "tmp.pth").rename(folder / f"resnet18-perturbed-{prefix}.pth")
        urls[name] = f"https://download.invalid/models/resnet18-perturbed-{prefix}.pth"
    weights = P._weights
    monkeypatch.setattr(P, "_weights", lambda source: types.SimpleNamespace(
        url=urls[source.name], meta=weights(source).meta) if source.name in urls else weights(source))
    fake_imagenet_val(tmp_path / "imagenet", monkeypatch, labels=[0] * 48)
    from axlib.data.imagenet_val import validation_images
    with torch.no_grad():
        predicted = vanilla(validation_images()[list(range(48))]).argmax(1).tolist()
    write_box_files(tmp_path / "imagenet", predicted)                      # labels the vanilla model gets right
    # a model with no public checkpoint, trained here by its recipe: the saved output of `axlib
    # train imagenet-resnet50-advprop-pgd1` (a ResNet-18's weights: the vanilla fake's, as written
    # by save_state with a card), read from the registry's checkpoint folder
    from axlib.models import registry
    from axlib.models.checkpoints import save_state
    trained = "imagenet-resnet50-advprop-pgd1"
    spec = registry.MODELS[trained]
    monkeypatch.setitem(registry.MODELS, trained, dataclasses.replace(spec, build=lambda: copy.deepcopy(vanilla)))
    monkeypatch.setattr(registry, "checkpoint_path", lambda name: tmp_path / "trained" / f"{name}.safetensors")
    save_state(vanilla, tmp_path / "trained" / f"{trained}.safetensors",
               {"name": trained, "recipe": spec.recipe, "train_wall_seconds": 1.0, "test_accuracy": 0.5,
                "parameters": sum(p.numel() for p in vanilla.parameters())})
    models.append(trained)
    study.benchmark.cache_clear()
    sizes = {k: paper[k] for k in ("data", "shard_device")}
    monkeypatch.setitem(PAGE_SIZES["05_robust_study"], "paper", dict(
        PAGE_SIZES["05_robust_study"]["smoke"], **sizes, models=models, tune_models=models[:2], n_pool=48,
        card_images=4, causal_step=224 * 224 // 4))
    try:
        ns = run_cells("05_robust_study.ipynb", profile="paper")
    finally:
        study.benchmark.cache_clear()
    cfg, table, cards = ns["cfg"], ns["table"], ns["cards"]
    assert cfg.name == "paper" and cfg.data == "imagenet-val" and set(loaded) >= set(models[:3])
    assert set(table["model"]) == set(models) and table["image"].str.startswith("ILSVRC2012_val_").all()
    assert cards["imagenet-resnet50"]["recipe"] is None and cards["imagenet-resnet50"]["robustness"]["n"] == 4
    assert cards["imagenet-resnet50"]["robustness"]["attack"]["eps"] == study.IMAGENET_PGD["eps"]
    # the trained model: measured here as the downloaded ones, its training card kept
    assert cards[trained]["recipe"] == spec.recipe and cards[trained]["robustness"]["n"] == 4
    assert cards[trained]["reported_top1"] is None and cards["imagenet-resnet50"]["reported_top1"] is not None
    recorded = json.loads((tmp_path / "05_robust_study.results.json").read_text())["claims"]
    assert recorded["robust.table1.advprop_accuracy"]["n"] > 0                   # the AdvProp role is filled
    assert {r["profile"] for r in recorded.values()} == {"paper"}


@pytest.mark.parametrize("page", ["00_models", "01_quickshift"])
def test_pages_that_need_nothing_downloaded_run_their_paper_path(page, tmp_path, monkeypatch):
    """Pages 00 and 01 read only the repository's data under every profile (their paper
    profile changes sizes alone: more repeats, all 2,000 CIFAR-10 images): every cell runs
    under the paper profile at the smoke sizes, and `axlib doctor` asks nothing for them."""
    from axlib.companion import doctor
    from axlib.companion.sizes import PAGE_SIZES

    assert doctor.page_needs([page], "paper") == []
    assert set(PAGE_SIZES[page]["paper"]) == set(PAGE_SIZES[page]["smoke"])
    monkeypatch.setenv("AXLIB_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("AXLIB_NOTEBOOK", page)
    monkeypatch.setitem(PAGE_SIZES[page], "paper", PAGE_SIZES[page]["smoke"])
    ns = run_cells(f"{page}.ipynb", profile="paper")
    assert ns["cfg"].name == "paper"
    results = tmp_path / f"{page}.results.json"
    if results.is_file():                                     # page 00 records the models' accuracies
        assert {r["profile"] for r in json.loads(results.read_text())["claims"].values()} == {"paper"}


V002_WORDS = ("backward", "bed", "bird", "cat", "dog", "down", "eight", "five", "follow", "forward", "four", "go",
              "happy", "house", "learn", "left", "marvin", "nine", "no", "off", "on", "one", "right", "seven",
              "sheila", "six", "stop", "three", "tree", "two", "up", "visual", "wow", "yes", "zero")
"""The 35 words of Speech Commands v0.02."""


def _fake_speech_commands_v002(path: Path, clips_per_word: int = 8) -> None:
    """``speech_commands_v0.02.tar.gz`` in the official layout: ``./<word>/<speaker>_nohash_<n>.wav``
    (16 kHz, 16-bit mono: a tone whose pitch and onset depend on the word, over noise), the validation and
    testing lists (one clip of each word in each), and a ``_background_noise_`` file."""
    import io
    import tarfile
    import wave

    def wav(samples: np.ndarray) -> bytes:
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(samples.astype("<i2").tobytes())
        return buffer.getvalue()

    def add(tar, name: str, data: bytes) -> None:
        info = tarfile.TarInfo("./" + name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))

    t = np.arange(16000) / 16000
    rng = np.random.default_rng(0)
    lists = {"validation": [], "testing": []}
    with tarfile.open(path, "w:gz") as tar:
        for w_i, word in enumerate(V002_WORDS):
            for n in range(clips_per_word):
                name = f"{word}/{n:04x}beef_nohash_0.wav"
                onset = 0.1 + 0.02 * (n % 5)
                tone = np.sin(2 * np.pi * (200 + 60 * w_i) * t) * ((t > onset) & (t < onset + 0.5))
                add(tar, name, wav(8000 * tone + rng.normal(0, 300, t.shape)))    # a noise floor, as recordings have
                if n == 0:
                    lists["validation"].append(name)
                elif n == 1:
                    lists["testing"].append(name)
        for key, names in lists.items():
            add(tar, f"{key}_list.txt", ("\n".join(names) + "\n").encode())
        add(tar, "_background_noise_/white_noise.wav", wav(np.zeros(16000)))


def _fake_rt_polarity(path: Path) -> None:
    """``rt-polarity.tar.gz`` in the official layout (``rt-polaritydata/rt-polarity.{neg,pos}``),
    holding the embedded copy's bytes (the same 10,662 lines, so the shipped TextCNN's vocabulary fits)."""
    import io
    import tarfile

    from axlib._util.paths import repo_data_dir

    with tarfile.open(path, "w:gz") as tar:
        for name in ("rt-polarity.neg", "rt-polarity.pos"):
            data = (repo_data_dir() / "text" / name).read_bytes()
            info = tarfile.TarInfo(f"rt-polaritydata/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def test_page_07_paper_path_on_fake_speech_commands_v002_and_a_fake_polarity_download(tmp_path, monkeypatch):
    """Page 07 under the paper profile: the full Speech Commands v0.02 testing list (a fake
    archive of the 35 words in the official layout), the 35-word LeNet trained by its recipe
    because no checkpoint is there (into a temporary folder), and Sentence Polarity from the
    downloaded tarball (a fake with the official layout); every cell runs."""
    from axlib.companion.sizes import PAGE_SIZES
    from axlib.data import registry as data_registry
    from axlib.models import registry

    paper = PAGE_SIZES["07_speech_text"]["paper"]
    assert (paper["speech_data"], paper["speech_model"], paper["text_source"]) == (
        "v002-testing", "speech-lenet-v002", "download")
    archives = {"speech-commands-v0.02": tmp_path / "speech_commands_v0.02.tar.gz",
                "rt-polarity": tmp_path / "rt-polarity.tar.gz"}
    _fake_speech_commands_v002(archives["speech-commands-v0.02"])
    _fake_rt_polarity(archives["rt-polarity"])
    monkeypatch.setattr(data_registry, "fetch", lambda name, **kw: archives[name])
    where = registry.checkpoint_path
    monkeypatch.setattr(registry, "checkpoint_path", lambda name: tmp_path / "models" / f"{name}.safetensors"
                        if name == "speech-lenet-v002" else where(name))
    monkeypatch.setenv("AXLIB_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("AXLIB_NOTEBOOK", "07_speech_text")
    sizes = {k: paper[k] for k in ("speech_data", "speech_model", "text_source")}
    monkeypatch.setitem(PAGE_SIZES["07_speech_text"], "paper", dict(PAGE_SIZES["07_speech_text"]["smoke"], **sizes))
    ns = run_cells("07_speech_text.ipynb", profile="paper")
    assert ns["cfg"].name == "paper" and len(ns["clips"]["words"]) == 35 and len(ns["clips"]["held"]) == 35
    assert (tmp_path / "models" / "speech-lenet-v002.safetensors").is_file()          # trained by its recipe
    assert len(ns["tdata"]["sentences"]) == 10_662
    recorded = json.loads((tmp_path / "07_speech_text.results.json").read_text())["claims"]
    assert {"speech.lenet.held_out_accuracy", "c4.skew_share.speech", "c4.beta.text"} <= set(recorded)
    assert {r["profile"] for r in recorded.values()} == {"paper"}
