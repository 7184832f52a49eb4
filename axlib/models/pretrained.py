"""The papers' own pretrained ImageNet models (the ``paper`` profile): where each comes from,
how it is verified, and how it loads as an axlib model (pixels in [0, 1], normalisation inside).

Three kinds of source, each row of :data:`SOURCES` naming its origin, licence and citation:

- ``"torchvision"``: torchvision's ImageNet weights (``torchvision.models.get_weight``): the
  URL, the reported top-1 and the file size come from the installed torchvision. The file name
  carries the first digits of the file's sha256 (``resnet34-b627a593.pth``); the file is
  checked against them on download *and* whenever it is loaded (``torch.hub`` checks only on
  download). AXAI's ResNet34, EXIAA's ResNet-18 and ViT-B/16, the robust study's five vanilla
  models (their top-1 in the paper's Table 1 equals torchvision's to 0.1 point); and AXAI App.
  E.2's detector in the paper profile, torchvision's COCO Faster R-CNN (task "detection": it
  takes a list of (3, H, W) images in [0, 1] and normalises them itself, so it loads unwrapped).
- ``"robustness"``: checkpoints of the MadryLab ``robustness`` library (Salman et al. 2020,
  "Do adversarially robust ImageNet models transfer better?"; L2 PGD training at eps 3, the
  robust study's "PGD [35]" rows with footnote 2's eps 3). Their format is ``{"model":
  state_dict, ...}`` with keys ``module.model.<torchvision key>`` (the network),
  ``module.normalizer.*`` (ImageNet mean / std) and ``module.attacker.*`` (a copy for the
  attack); the network keys are taken and their prefix removed. The upstream publishes no
  checksum: a download is accepted when its keys and shapes equal the torchvision
  architecture's exactly (the list is the architecture's ``state_dict``), and its sha256 is
  then pinned in ``<cache>/pretrained/pins.json``; a later file with another digest is refused.

The paper's four models with no public checkpoint (its robust AlexNet and GoogLeNet, Chen et al.
2020; its two AdvProp ResNet-50s, PGD-1 and PGD-5) are not sources here: they are trained by
their recipes (:mod:`axlib.models.registry`, ``axlib train NAME`` on a local ImageNet copy).

Classifiers are loaded ready for DeepLIFT (Captum records each nonlinear module's input and
output in hooks, so a module must be called once per forward pass and not in place):
torchvision's ResNet blocks, which call one ``relu`` two or three times, get one ReLU per use
(:func:`one_relu_per_use`: the same function and state dict), and every ReLU computes out of
place.

Files live in ``<cache>/pretrained/`` (``$AXLIB_DATA`` or ``~/.cache/axlib``); a torchvision
file already in torch's hub cache (``~/.cache/torch/hub/checkpoints``) is used where it is.
Checkpoints are read with ``torch.load(weights_only=True)``: no code is unpickled.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from axlib._util.paths import cache_dir
from axlib.models.normalize import Normalize

__all__ = ["PretrainedSource", "SOURCES", "IMAGENET_MEAN", "IMAGENET_STD", "locate", "status", "load", "card",
           "one_relu_per_use", "imagenet_classifier", "network_state", "PretrainedUnavailableError"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
_ROBUST_URL = "https://huggingface.co/madrylab/robust-imagenet-models/resolve/main/{}"
_SALMAN = ("Salman, Ilyas, Engstrom, Kapoor, Madry. Do adversarially robust ImageNet models transfer "
           "better? NeurIPS 2020. https://arxiv.org/abs/2007.08489")
_TORCHVISION = "torchvision (BSD-3-Clause code; weights trained by the PyTorch team on ImageNet-1k)"


class PretrainedUnavailableError(FileNotFoundError):
    """A pretrained model is not on this machine (and may not be downloaded)."""


@dataclass(frozen=True)
class PretrainedSource:
    """One pretrained model.

    name: the registry name; kind: "torchvision" or "robustness"; architecture:
    the ``torchvision.models`` builder; weights: torchvision's weights enum name
    ("torchvision" only); file: the checkpoint's file name (robustness); used_by: the paper
    and rows that use it; top1: the upstream's reported ImageNet top-1 (%), where it reports
    one; size_mb: the download size, where known; licence, citation: of the weights;
    note: what else a reader should know; task:
    "classification" (ImageNet logits, loaded behind ImageNet normalisation) or "detection"
    (torchvision's detection interface, loaded as it is)."""

    name: str
    kind: str
    architecture: str
    used_by: str
    licence: str
    citation: str
    weights: str | None = None
    file: str | None = None
    top1: float | None = None
    size_mb: float | None = None
    note: str = ""
    task: str = "classification"

    @property
    def url(self) -> str | None:
        if self.kind == "torchvision":
            return _weights(self).url
        return _ROBUST_URL.format(self.file)

    @property
    def reported_top1(self) -> float | None:
        """The upstream's ImageNet top-1 (%): torchvision's metadata, or the row's ``top1``."""
        if self.kind == "torchvision" and self.task == "classification":
            return float(_weights(self).meta["_metrics"]["ImageNet-1K"]["acc@1"])
        return self.top1

    @property
    def reported_box_map(self) -> float | None:
        """A detector's COCO val2017 box mAP (%, IoU 0.5:0.95) as torchvision reports it, else None."""
        if self.kind == "torchvision" and self.task == "detection":
            return float(_weights(self).meta["_metrics"]["COCO-val2017"]["box_map"])
        return None

    @property
    def download_mb(self) -> float | None:
        """The download's size in MB where the upstream states it (torchvision), else ``size_mb``."""
        if self.kind == "torchvision":
            return float(_weights(self).meta["_file_size"])
        return self.size_mb

    @property
    def file_name(self) -> str | None:
        return Path(self.url).name if self.url else None

    @property
    def hash_prefix(self) -> str | None:
        """torchvision's sha256 prefix from the file name (``-<hex>.``), else None."""
        if self.kind != "torchvision":
            return None
        found = re.search(r"-([a-f0-9]+)\.", self.file_name)
        return found.group(1) if found else None


def _tv(name, architecture, weights, used_by, note="", task="classification"):
    return PretrainedSource(name, "torchvision", architecture, used_by, _TORCHVISION,
                            "torchvision.models, https://pytorch.org/vision/stable/models.html", weights=weights,
                            note=note, task=task)


def _robust(name, architecture, file, used_by, top1, note=""):
    return PretrainedSource(name, "robustness", architecture, used_by,
                            "MIT (microsoft/robust-models-transfer)", _SALMAN, file=file, top1=top1, note=note)


SOURCES: dict[str, PretrainedSource] = {s.name: s for s in (
    _tv("imagenet-resnet34", "resnet34", "ResNet34_Weights.IMAGENET1K_V1", "AXAI Table 5, Fig. 10, App. E.1"),
    _tv("imagenet-resnet18", "resnet18", "ResNet18_Weights.IMAGENET1K_V1", "EXIAA (ResNet-18)"),
    _tv("imagenet-vit-b16", "vit_b_16", "ViT_B_16_Weights.IMAGENET1K_V1", "EXIAA (ViT-B/16)"),
    _tv("imagenet-alexnet", "alexnet", "AlexNet_Weights.IMAGENET1K_V1", "robust study, AlexNet vanilla"),
    _tv("imagenet-googlenet", "googlenet", "GoogLeNet_Weights.IMAGENET1K_V1", "robust study, GoogLeNet vanilla"),
    _tv("imagenet-resnet50", "resnet50", "ResNet50_Weights.IMAGENET1K_V1", "robust study, ResNet-50 vanilla"),
    _tv("imagenet-densenet161", "densenet161", "DenseNet161_Weights.IMAGENET1K_V1",
        "robust study, DenseNet-161 vanilla"),
    _tv("imagenet-mobilenetv2-tv", "mobilenet_v2", "MobileNet_V2_Weights.IMAGENET1K_V1",
        "robust study, MobileNet-v2 vanilla",
        note="the float weights; the embedded imagenet-mobilenetv2 is torchvision's int8 model dequantised"),
    _tv("coco-fasterrcnn-resnet50-fpn-v2", "detection.fasterrcnn_resnet50_fpn_v2",
        "FasterRCNN_ResNet50_FPN_V2_Weights.COCO_V1", "AXAI App. E.2 (paper profile of page 08)", task="detection",
        note="COCO's 80 classes in torchvision's 91-entry label space (label = COCO category id); the paper's "
             "YOLOv3 SpaceNet building detector is not public"),
    _robust("imagenet-resnet50-robust", "resnet50", "resnet50_l2_eps3.ckpt", "robust study, ResNet-50 PGD", 62.83,
            note="the paper's Table 1 gives 56.25 % for its robust ResNet-50, Salman et al. 62.83 %: "
                 "it may have used another L2 eps-3 ResNet-50; this is the public one"),
    _robust("imagenet-densenet161-robust", "densenet161", "densenet_l2_eps3.ckpt",
            "robust study, DenseNet-161 PGD", 66.98,
            note="the paper's Table 1 gives 66.12 %, Salman et al. 66.98 %"),
    _robust("imagenet-mobilenetv2-robust", "mobilenet_v2", "mobilenet_l2_eps3.ckpt",
            "robust study, MobileNet-v2 PGD", 50.40, note="the paper's Table 1 gives the same 50.40 %"),
)}


def _source(name: str) -> PretrainedSource:
    if name not in SOURCES:
        raise ValueError(f"name must be one of {sorted(SOURCES)}, got {name!r}")
    return SOURCES[name]


def _weights(source: PretrainedSource):
    from torchvision.models import get_weight
    return get_weight(source.weights)


def _folder() -> Path:
    return cache_dir() / "pretrained"


def _candidates(source: PretrainedSource) -> list[Path]:
    paths = [_folder() / source.file_name]
    if source.kind == "torchvision":
        paths.append(Path(torch.hub.get_dir()) / "checkpoints" / source.file_name)
    return paths


def locate(name: str) -> Path | None:
    """The checkpoint file of ``name`` on this machine (not verified), or None."""
    source = _source(name)
    return next((p for p in _candidates(source) if p.is_file()), None)


def _architecture(source: PretrainedSource) -> nn.Module:
    import torchvision

    if source.task == "detection":          # no backbone weights: the checkpoint holds every weight
        module, builder_name = source.architecture.split(".")
        return getattr(getattr(torchvision.models, module), builder_name)(weights=None, weights_backbone=None)
    builder = getattr(torchvision.models, source.architecture)
    # torchvision builds its pretrained GoogLeNet with transform_input=True (the weights expect it)
    kwargs = {"aux_logits": False, "transform_input": True, "init_weights": False} \
        if source.architecture == "googlenet" else {}
    return builder(weights=None, **kwargs)


class _BasicBlockOneReluPerUse(nn.Module):
    """Forward of torchvision's ``BasicBlock`` with a separate ReLU at each of its two uses."""

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu_out(self.bn2(self.conv2(out)) + identity)


class _BottleneckOneReluPerUse(nn.Module):
    """Forward of torchvision's ``Bottleneck`` with a separate ReLU at each of its three uses."""

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu_mid(self.bn2(self.conv2(out)))
        return self.relu_out(self.bn3(self.conv3(out)) + identity)


@functools.cache
def _one_relu_class(block: type) -> type:
    """``block`` (BasicBlock or Bottleneck) with the forward that calls one ReLU per use."""
    forward = _BasicBlockOneReluPerUse if block.__name__ == "BasicBlock" else _BottleneckOneReluPerUse
    return type(f"{block.__name__}OneReluPerUse", (forward, block), {})


def one_relu_per_use(net: nn.Module) -> nn.Module:
    """Make ``net`` (in place, returned) callable by Captum's DeepLift: every torchvision
    ``BasicBlock`` / ``Bottleneck`` calls a separate ``nn.ReLU`` at each use (its ``relu``
    first, then ``relu_mid`` and ``relu_out``: new modules without state, so the state dict
    and the function are unchanged), and every ReLU computes out of place (an in-place ReLU
    overwrites the input DeepLift's hook recorded)."""
    from torchvision.models.resnet import BasicBlock, Bottleneck

    for module in list(net.modules()):
        uses = {BasicBlock: ("relu_out",), Bottleneck: ("relu_mid", "relu_out")}.get(type(module))
        if uses is not None:
            for name in uses:
                setattr(module, name, nn.ReLU())
            module.__class__ = _one_relu_class(type(module))
    for module in net.modules():
        if isinstance(module, nn.ReLU):
            module.inplace = False
    return net


def imagenet_classifier(net: nn.Module) -> nn.Module:
    """A torchvision ImageNet classifier as an axlib model: ``Normalize(ImageNet) -> net`` on
    [0, 1] pixels, ``net`` with one ReLU per use (:func:`one_relu_per_use`). The form of every
    ImageNet classifier here, downloaded (:func:`load`) or trained by a registry recipe."""
    return nn.Sequential(Normalize(IMAGENET_MEAN, IMAGENET_STD), one_relu_per_use(net))


_DENSENET_OLD_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var))$")


def network_state(source: PretrainedSource, checkpoint: dict) -> dict[str, torch.Tensor]:
    """The network's state dict from a loaded checkpoint file of ``source``'s format.

    torchvision: the file is the state dict; DenseNet's old keys (``norm.1``) are renamed as
    torchvision renames them (``norm1``); GoogLeNet's auxiliary classifiers are dropped (the
    model is built without them, as torchvision builds it for inference). robustness: the
    ``"model"`` entry's ``module.model.`` keys without that prefix (then the same renaming).
    Raises ValueError when the
    checkpoint is not of that format.
    """
    if source.kind == "robustness":
        inner = checkpoint.get("model", checkpoint.get("state_dict")) if isinstance(checkpoint, dict) else None
        if not isinstance(inner, dict):
            raise ValueError(f"{source.name}: not a robustness-library checkpoint (no 'model' state dict)")
        prefix = "module.model."
        checkpoint = {k[len(prefix):]: v for k, v in inner.items() if k.startswith(prefix)}
        if not checkpoint:
            raise ValueError(f"{source.name}: the checkpoint has no '{prefix}*' keys (found e.g. {list(inner)[:3]})")
    if not isinstance(checkpoint, dict):
        raise ValueError(f"{source.name}: not a state dict")
    state = {}
    for key, value in checkpoint.items():
        if source.architecture.startswith("densenet"):
            key = _DENSENET_OLD_KEY.sub(lambda m: m.group(1) + m.group(2), key)
        if source.architecture == "googlenet" and key.startswith(("aux1.", "aux2.")):
            continue
        state[key] = value
    return state


def _check_keys_and_shapes(source: PretrainedSource, net: nn.Module, state: dict) -> None:
    expected = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    missing, extra = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
    wrong = sorted(k for k in set(expected) & set(found) if expected[k] != found[k])
    if missing or extra or wrong:
        raise ValueError(f"{source.name}: the checkpoint does not match torchvision's {source.architecture}: "
                         f"{len(missing)} keys missing (e.g. {missing[:2]}), {len(extra)} unexpected "
                         f"(e.g. {extra[:2]}), {len(wrong)} of another shape (e.g. {wrong[:2]})")


def _pins_path() -> Path:
    return _folder() / "pins.json"


def _pins() -> dict:
    return json.loads(_pins_path().read_text()) if _pins_path().is_file() else {}


@functools.lru_cache(maxsize=32)
def _file_sha256(path: str, size: int, mtime_ns: int) -> str:
    """sha256 of a checkpoint, once per process for a file of this size and modification time
    (a page reads a pretrained model's card and loads it several times; DenseNet-161 is 115 MB)."""
    from axlib.data.registry import sha256_file

    return sha256_file(path)


@functools.lru_cache(maxsize=32)
def _parameter_count(source: PretrainedSource) -> int:
    return sum(p.numel() for p in _architecture(source).parameters())


def _verify(source: PretrainedSource, path: Path) -> str:
    """The file's sha256, after checking it: torchvision's prefix, or the digest pinned for a
    robustness checkpoint when one is. Raises ChecksumError (the file is not used)."""
    from axlib.data.registry import ChecksumError

    stat = Path(path).stat()
    digest = _file_sha256(str(path), stat.st_size, stat.st_mtime_ns)
    if source.kind == "torchvision" and not digest.startswith(source.hash_prefix):
        raise ChecksumError(f"{source.name}: {path} has sha256 {digest}, which does not start with "
                            f"{source.hash_prefix} (the digits in torchvision's file name); the file was not used")
    pinned = _pins().get(source.name)
    if source.kind == "robustness" and pinned is not None and pinned["sha256"] != digest:
        raise ChecksumError(f"{source.name}: {path} has sha256 {digest}, but {pinned['sha256']} was pinned in "
                            f"{_pins_path()} when this model was first verified here; the file was not used. "
                            "Remove the pin only if the upstream really changed the file.")
    return digest


def _pin(source: PretrainedSource, digest: str) -> None:
    """Record ``digest`` for a robustness checkpoint that passed its key and shape check."""
    pins = _pins()
    if source.kind != "robustness" or source.name in pins:
        return
    pins[source.name] = {"sha256": digest, "file": source.file_name, "url": source.url}
    _pins_path().parent.mkdir(parents=True, exist_ok=True)
    _pins_path().write_text(json.dumps(pins, indent=1, sort_keys=True) + "\n")


def card(name: str) -> dict:
    """A card for pretrained model ``name`` with the fields the pages read from a shipped
    model's card: name, description, architecture, parameters (counted on the architecture),
    dataset ("imagenet" or "coco"), test_accuracy (the upstream's reported ImageNet top-1 as a
    fraction, *not measured here*; None where it reports none), accuracy_source, source (URL or
    citation), licence, sha256 (of the checkpoint on this machine, verified as :func:`load`
    verifies it; None when it is not here) and recipe / train_wall_seconds None (trained
    elsewhere)."""
    source = _source(name)
    top1 = source.reported_top1
    path = locate(name)
    return {"name": name, "description": f"{source.architecture}, {source.used_by} ({source.kind})",
            "architecture": source.architecture,
            "parameters": _parameter_count(source),
            "dataset": "coco" if source.task == "detection" else "imagenet",
            "test_accuracy": None if top1 is None else top1 / 100.0,
            "accuracy_source": "the upstream's reported ImageNet top-1, not measured here",
            "source": source.url or source.citation, "licence": source.licence,
            "sha256": None if path is None else _verify(source, path), "recipe": None,
            "train_wall_seconds": None}


def status(name: str) -> str:
    """"present" or "missing" for model ``name`` (not verified)."""
    _source(name)
    return "present" if locate(name) is not None else "missing"


def load(name: str, *, download: bool = False, device: str = "cpu", progress: bool = True) -> nn.Module:
    """Pretrained model ``name`` as an axlib model: ``Normalize(ImageNet) -> network``, eval mode.

    Parameters
    ----------
    name : str
        A key of :data:`SOURCES`.
    download : bool, default False
        Download the checkpoint when it is not on this machine (with a progress bar; verified).
    device : str, default "cpu"
        Where the model goes.
    progress : bool, default True
        Show the download's progress bar.

    Returns
    -------
    torch.nn.Module
        Takes (B, 3, 224, 224) pixels in [0, 1] (ImageNet preprocessing:
        :func:`axlib.data.imagenet.preprocess`), returns (B, 1000) logits; a detector (task
        "detection") takes a list of (3, H, W) images in [0, 1] and returns torchvision's
        detection dicts.

    Raises
    ------
    PretrainedUnavailableError
        When the file is absent and ``download`` is False (the message says where it is looked
        for and the URL).
    ChecksumError
        When the file fails verification (see the module docstring).
    ValueError
        For an unknown name, or a checkpoint whose keys or shapes differ from the architecture's.
    """
    from axlib._util.checks import check_device
    from axlib.data.registry import _download

    source = _source(name)
    device = check_device(device)
    path = locate(name)
    if path is None:
        target = _folder() / source.file_name
        if not download:
            raise PretrainedUnavailableError(
                f"{name} is not on this machine: looked for {' and '.join(map(str, _candidates(source)))}. "
                f"Download it with axlib.models.pretrained.load({name!r}, download=True) (or "
                f"`axlib doctor --profile paper --fetch`), or place a copy of {source.url} at {target}")
        _download(source.url, target, sha256=source.hash_prefix, dataset=name, expected_size=None,
                  progress=progress, label=name)
        path = target
    digest = _verify(source, path)
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    net = _architecture(source)
    state = network_state(source, checkpoint)
    _check_keys_and_shapes(source, net, state)
    net.load_state_dict(state)
    _pin(source, digest)
    if source.task == "detection":
        return net.to(device).eval()
    return imagenet_classifier(net).to(device).eval()
