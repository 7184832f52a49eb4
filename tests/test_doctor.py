"""axlib doctor: the paper profile's needs, listed with status, on an empty cache and with a
model and a data folder present."""
from __future__ import annotations

import pytest
import torch

from axlib.companion import cli, doctor
from axlib.data import imagenet_val
from axlib.models import pretrained


@pytest.fixture()
def empty(tmp_path, monkeypatch):
    monkeypatch.setenv("AXLIB_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv(imagenet_val.ENV, raising=False)
    monkeypatch.delenv("AXLIB_COCO", raising=False)
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    return tmp_path


def test_paper_profile_lists_every_need_and_fails_while_they_are_missing(empty, capsys):
    assert cli.main(["doctor", "--profile", "paper"]) == 1
    out = capsys.readouterr().out
    for name in [*doctor.PAPER_MODELS, *doctor.TRAINED_MODELS, *doctor.PAPER_DATA]:
        assert name in out
    assert "26 of 26 are not here; profile 'paper' cannot run" in out
    assert "axlib train imagenet-resnet50-advprop-pgd5 (its recipe: 105 epochs on imagenet-train)" in out
    assert "put both zips in $AXLIB_COCO" in out
    assert "axlib data fetch speech-commands-v0.02" in out and "set AXLIB_IMAGENET" in out
    assert "https://download.pytorch.org/models/resnet34-b627a593.pth" in out


def test_a_models_pages_are_those_whose_paper_sizes_name_it(empty):
    found = {n.name: n for n in doctor.needs("paper")}
    assert found["imagenet-resnet34"].pages == "02, 03, 04, 04b (AXAI: Table 5, Fig. 10, App. E.1)"
    assert found["imagenet-resnet18"].pages == "06 (EXIAA's ResNet-18)"
    assert found["coco-fasterrcnn-resnet50-fpn-v2"].pages == "08 (AXAI App. E.2)"
    assert found["imagenet-vit-b16"].pages == "06 (EXIAA's ViT-B/16)"
    assert found["imagenet-resnet50"].pages == "05 (robust study)"
    assert found["imagenet-alexnet-robust"].pages == "05 (robust study: AlexNet-R (no public checkpoint))"
    assert found["imagenet-train"].pages.startswith("no page (")           # read by axlib train only
    assert found["imagenet-val"].pages.startswith("02, 03, 04, 04b, 05, 06 (")
    vgg = found["cifar100-vgg16"]                                   # no upstream: trained by its recipe
    assert (vgg.status, vgg.size, vgg.how) == ("missing", "59 MB", "axlib train cifar100-vgg16 (its recipe: 60 epochs "
                                                                    "on cifar100)")
    assert {n.name for n in doctor.page_needs(["04_benchmarks"], "paper")} == {"imagenet-resnet34", "imagenet-val"}


def test_other_profiles_need_nothing(empty, capsys):
    assert cli.main(["doctor", "--profile", "default"]) == 0
    assert "needs nothing beyond the repository" in capsys.readouterr().out


def test_present_things_are_reported_where_they_are(empty, monkeypatch):
    source = pretrained.SOURCES["imagenet-resnet34"]
    hub = empty / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / source.file_name).write_bytes(b"not verified by the listing")
    (empty / "val").mkdir()
    (empty / "val" / "ILSVRC2012_val_00000001.JPEG").write_bytes(b"")
    (empty / "val" / "ILSVRC2012_val_00000001.xml").write_text("")
    monkeypatch.setenv(imagenet_val.ENV, str(empty / "val"))
    found = {n.name: n for n in doctor.needs("paper")}
    assert found["imagenet-resnet34"].status == "present" and found["imagenet-resnet34"].where == str(hub / source.file_name)
    assert found["imagenet-val"].status == "present" and found["imagenet-resnet18"].status == "missing"
    assert found["imagenet-alexnet-robust"].status == "missing" and found["coco-val2017"].status == "missing"
    assert found["imagenet-train"].status == "missing"
    (empty / "val" / "n01440764").mkdir()                               # an extracted training folder
    (empty / "val" / "n01440764" / "n01440764_1.JPEG").write_bytes(b"")
    assert {n.name: n for n in doctor.needs("paper")}["imagenet-train"].status == "present"
    (empty / "coco").mkdir()
    for name in ("val2017.zip", "annotations_trainval2017.zip"):
        (empty / "coco" / name).write_bytes(b"")
    monkeypatch.setenv("AXLIB_COCO", str(empty / "coco"))
    assert {n.name: n for n in doctor.needs("paper")}["coco-val2017"].status == "present"
    with pytest.raises(ValueError, match="profile must be one of"):
        doctor.needs("huge")


def test_paper_run_stops_up_front_naming_what_its_pages_need(empty, tmp_path):
    from axlib.companion.runner import run_notebooks

    needed = {n.name for n in doctor.page_needs(["07_speech_text"], "paper")}
    assert needed == {"speech-lenet-v002", "speech-commands-v0.02", "rt-polarity"}   # a model trained by its recipe too
    assert {n.name for n in doctor.page_needs(["06_exiaa"], "paper")} == {
        "imagenet-vit-b16", "imagenet-resnet18", "imagenet-samples", "imagenet-val"}
    assert {n.name for n in doctor.page_needs(["06_exiaa"], "paper", {"models": ["imagenet-resnet50"]})} == {
        "imagenet-vit-b16", "imagenet-resnet18", "imagenet-resnet50", "imagenet-samples",
        "imagenet-val"}                                                     # a parameter naming a model adds it
    assert doctor.page_needs(["07_speech_text"], "default") == []
    with pytest.raises(FileNotFoundError, match=r"(?s)the paper profile needs what is not on this machine:\n"
                       r"  speech-lenet-v002 \(model, missing, .*axlib train speech-lenet-v002 .*\n"
                       r"  speech-commands-v0.02 \(data, missing, .*axlib data fetch speech-commands-v0.02.*"
                       r"rt-polarity .*--fetch` downloads what can be downloaded"):
        run_notebooks(["07"], "paper", out=tmp_path / "out")
    assert not (tmp_path / "out" / "07_speech_text.ipynb").exists()        # nothing ran
