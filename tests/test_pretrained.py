"""The paper profile's pretrained models (axlib.models.pretrained), tested offline on fakes the
tests make in each upstream's exact format: a torchvision state dict whose file name carries its
own sha256 prefix, a robustness-library checkpoint with its module.model. / normalizer /
attacker keys."""
from __future__ import annotations

import hashlib
import types

import pytest
import torch
import torchvision

from axlib.data.registry import ChecksumError
from axlib.models import pretrained as P


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("AXLIB_DATA", str(tmp_path))
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    return tmp_path / "pretrained"


def _resnet18_state(seed=0):
    torch.manual_seed(seed)
    return torchvision.models.resnet18(weights=None).state_dict()


def _fake_torchvision(monkeypatch, cache, state, *, corrupt=False):
    """Save ``state`` as torchvision does and register a source whose URL names its sha256 prefix."""
    cache.mkdir(parents=True, exist_ok=True)
    tmp = cache / "tmp.pth"
    torch.save(state, tmp)
    prefix = hashlib.sha256(tmp.read_bytes()).hexdigest()[:8]
    path = cache / f"resnet18-{prefix}.pth"
    tmp.rename(path)
    if corrupt:
        with open(path, "ab") as f:
            f.write(b"\0")
    fake = types.SimpleNamespace(url=f"https://download.invalid/models/resnet18-{prefix}.pth",
                                 meta={"_metrics": {"ImageNet-1K": {"acc@1": 69.758}}, "_file_size": 44.661})
    monkeypatch.setattr(P, "_weights", lambda source: fake)
    return path


def test_torchvision_file_loads_as_an_axlib_model(cache, monkeypatch):
    state = _resnet18_state()
    _fake_torchvision(monkeypatch, cache, state)
    model = P.load("imagenet-resnet18")
    reference = torchvision.models.resnet18(weights=None)
    reference.load_state_dict(state)
    reference.eval()
    x = torch.rand(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    mean, std = torch.tensor(P.IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(P.IMAGENET_STD).view(1, 3, 1, 1)
    with torch.no_grad():
        assert torch.allclose(model(x), reference((x - mean) / std), atol=1e-5)
    assert not model.training and P.status("imagenet-resnet18") == "present"


def test_torchvision_file_whose_digest_does_not_match_its_name_is_refused(cache, monkeypatch):
    _fake_torchvision(monkeypatch, cache, _resnet18_state(), corrupt=True)
    with pytest.raises(ChecksumError, match=r"does not start with [0-9a-f]{8} \(the digits in torchvision's file name\)"):
        P.load("imagenet-resnet18")


def test_missing_file_names_where_it_is_looked_for_and_the_url(cache):
    assert P.status("imagenet-resnet34") == "missing"
    with pytest.raises(P.PretrainedUnavailableError, match=r"imagenet-resnet34 is not on this machine: looked for "
                       r".*resnet34-b627a593.pth and .*hub/checkpoints/resnet34-b627a593.pth.*"
                       r"https://download.pytorch.org/models/resnet34-b627a593.pth"):
        P.load("imagenet-resnet34")


def test_models_without_public_source_are_trained_by_recipe_not_downloaded():
    from axlib.models import registry

    for name in ("imagenet-alexnet-robust", "imagenet-googlenet-robust", "imagenet-resnet50-advprop-pgd1",
                 "imagenet-resnet50-advprop-pgd5"):
        assert name not in P.SOURCES and registry.MODELS[name].dataset == "imagenet-train"
    assert registry.MODELS["imagenet-alexnet-robust"].recipe["adversarial"] == {
        "method": "pgd", "norm": "l2", "eps": 3.0, "steps": 3, "step": 2.0}
    assert registry.MODELS["imagenet-resnet50-advprop-pgd5"].recipe["adversarial"]["steps"] == 5


def _robustness_checkpoint(state):
    model = {f"module.model.{k}": v for k, v in state.items()}
    model |= {f"module.attacker.model.{k}": v for k, v in state.items()}
    model |= {"module.normalizer.new_mean": torch.tensor(P.IMAGENET_MEAN).view(3, 1, 1),
              "module.normalizer.new_std": torch.tensor(P.IMAGENET_STD).view(3, 1, 1)}
    return {"model": model, "optimizer": {"state": {}, "param_groups": []}, "schedule": None, "epoch": 90}


def _fake_robust(monkeypatch, cache, checkpoint):
    source = P.PretrainedSource("fake-robust", "robustness", "resnet18", "test", "-", "-", file="resnet18_l2_eps3.ckpt")
    monkeypatch.setitem(P.SOURCES, "fake-robust", source)
    cache.mkdir(parents=True, exist_ok=True)
    torch.save(checkpoint, cache / source.file_name)
    return cache / source.file_name


def test_robustness_checkpoint_loads_and_its_digest_is_pinned(cache, monkeypatch):
    state = _resnet18_state(1)
    path = _fake_robust(monkeypatch, cache, _robustness_checkpoint(state))
    model = P.load("fake-robust")
    assert torch.equal(model[1].conv1.weight, state["conv1.weight"])
    pins = P._pins()
    assert pins["fake-robust"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    torch.save(_robustness_checkpoint(_resnet18_state(2)), path)        # another file later: refused
    with pytest.raises(ChecksumError, match="was pinned in .*pins.json when this model was first verified"):
        P.load("fake-robust")


def test_robustness_checkpoint_with_other_keys_is_refused_and_not_pinned(cache, monkeypatch):
    state = _resnet18_state()
    del state["fc.bias"]
    state["fc.weight"] = torch.zeros(10, 512)
    _fake_robust(monkeypatch, cache, _robustness_checkpoint(state))
    with pytest.raises(ValueError, match=r"1 keys missing \(e.g. \['fc.bias'\]\), 0 unexpected .*1 of another shape"):
        P.load("fake-robust")
    assert "fake-robust" not in P._pins()
    _fake_robust(monkeypatch, cache, {"state": 1})
    with pytest.raises(ValueError, match="not a robustness-library checkpoint"):
        P.load("fake-robust")


def test_a_checkpoint_holding_code_is_not_unpickled(cache, monkeypatch):
    checkpoint = _robustness_checkpoint(_resnet18_state())
    checkpoint["args"] = types.SimpleNamespace(arch="resnet18")       # an object, not tensors
    _fake_robust(monkeypatch, cache, checkpoint)
    with pytest.raises(Exception, match="Weights only load failed"):
        P.load("fake-robust")


def test_densenet_old_keys_and_googlenet_auxiliaries_are_mapped_as_torchvision_maps_them():
    dense = P.network_state(P.SOURCES["imagenet-densenet161"], {
        "features.denseblock1.denselayer1.norm.1.weight": torch.ones(1),
        "features.denseblock1.denselayer1.conv.2.weight": torch.ones(1), "classifier.bias": torch.ones(1)})
    assert sorted(dense) == ["classifier.bias", "features.denseblock1.denselayer1.conv2.weight",
                             "features.denseblock1.denselayer1.norm1.weight"]
    google = P.network_state(P.SOURCES["imagenet-googlenet"], {"aux1.fc1.weight": torch.ones(1), "fc.bias": torch.ones(1)})
    assert list(google) == ["fc.bias"]


def test_every_source_names_its_origin_and_every_torchvision_file_its_hash():
    for name, source in P.SOURCES.items():
        assert source.used_by and source.citation and source.licence, name
        if source.kind == "torchvision":
            assert source.url.startswith("https://download.pytorch.org/models/") and len(source.hash_prefix) >= 8
            reported = source.reported_top1 if source.task == "classification" else source.reported_box_map
            assert reported > 40 and source.download_mb > 10
        elif source.kind == "robustness":
            assert source.url.startswith("https://huggingface.co/madrylab/robust-imagenet-models/resolve/main/")
        else:
            assert source.url is None and "no public" in source.note


def test_registry_load_reaches_the_pretrained_models(cache):
    from axlib.models import load

    with pytest.raises(P.PretrainedUnavailableError, match="imagenet-vit-b16 is not on this machine"):
        load("imagenet-vit-b16")
