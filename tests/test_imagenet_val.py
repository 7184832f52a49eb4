"""ImageNet validation from a local copy (axlib.data.imagenet_val), on fakes the tests make in
the official layout: a tar of ILSVRC2012_val_*.JPEG files and a tgz of val/*.xml PASCAL VOC
boxes."""
from __future__ import annotations

import hashlib
import io
import tarfile

import pytest
from PIL import Image

from axlib.data import boxes, imagenet_val
from axlib.data.registry import ChecksumError, DataUnavailableError

WNID = "n01440764"            # the first ILSVRC2012 class (tench)
XML = """<annotation><filename>{stem}</filename><size><width>64</width><height>48</height><depth>3</depth></size>
<object><name>{wnid}</name><bndbox><xmin>10</xmin><ymin>8</ymin><xmax>30</xmax><ymax>28</ymax></bndbox></object>
</annotation>"""


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def _fake_archives(folder, n=3):
    stems = [f"ILSVRC2012_val_{i:08d}" for i in range(1, n + 1)]
    with tarfile.open(folder / imagenet_val.IMAGES_ARCHIVE[0], "w") as tar:
        for i, stem in enumerate(stems):
            buffer = io.BytesIO()
            Image.new("RGB", (64, 48), (40 * i, 100, 200)).save(buffer, format="JPEG")
            _add(tar, f"{stem}.JPEG", buffer.getvalue())
    with tarfile.open(folder / imagenet_val.BOXES_ARCHIVE[0], "w:gz") as tar:
        for stem in stems:
            _add(tar, f"val/{stem}.xml", XML.format(stem=stem, wnid=WNID).encode())
    return hashlib.md5((folder / imagenet_val.IMAGES_ARCHIVE[0]).read_bytes()).hexdigest()


@pytest.fixture()
def copy(tmp_path, monkeypatch):
    monkeypatch.setenv("AXLIB_DATA", str(tmp_path / "cache"))
    root = tmp_path / "imagenet"
    root.mkdir()
    md5 = _fake_archives(root)
    monkeypatch.setattr(imagenet_val, "IMAGES_ARCHIVE", (imagenet_val.IMAGES_ARCHIVE[0], md5))
    monkeypatch.setattr(imagenet_val, "VALIDATION_IMAGES", 3)
    monkeypatch.setenv(imagenet_val.ENV, str(root))
    return root


def test_archives_are_verified_extracted_once_and_load_as_the_localisation_set(copy):
    images, box_dir = imagenet_val.imagenet_val_dirs()
    assert sorted(p.name for p in images.iterdir())[0] == "ILSVRC2012_val_00000001.JPEG"
    assert (box_dir / "ILSVRC2012_val_00000003.xml").is_file()
    data = boxes.imagenet_localisation(images, box_dir, n=None)
    assert len(data) == 3 and data.x.shape == (3, 3, 224, 224) and data.y.tolist() == [0, 0, 0]
    assert imagenet_val.imagenet_val_dirs() == (images, box_dir)        # extracted once, reused
    assert imagenet_val.status() == "present"


def test_an_images_archive_with_another_md5_is_refused(copy, monkeypatch):
    monkeypatch.setattr(imagenet_val, "IMAGES_ARCHIVE", (imagenet_val.IMAGES_ARCHIVE[0], "0" * 32))
    with pytest.raises(ChecksumError, match=r"has md5 [0-9a-f]{32}, the official ILSVRC2012_img_val.tar has 0{32}"):
        imagenet_val.imagenet_val_dirs()
    assert not (copy.parent / "cache" / "imagenet-val" / "images").exists()    # nothing partial left


def test_the_boxes_archive_is_pinned_on_first_extraction(copy):
    imagenet_val.imagenet_val_dirs()
    pinned = imagenet_val._state()["pins"][imagenet_val.BOXES_ARCHIVE[0]]
    assert pinned == hashlib.sha256((copy / imagenet_val.BOXES_ARCHIVE[0]).read_bytes()).hexdigest()
    with tarfile.open(copy / imagenet_val.BOXES_ARCHIVE[0], "w:gz") as tar:     # another file, same name
        for i in range(1, 4):
            _add(tar, f"val/ILSVRC2012_val_{i:08d}.xml", XML.format(stem=f"ILSVRC2012_val_{i:08d}", wnid=WNID).encode()
                 + b"\n")
    with pytest.raises(ChecksumError, match="was pinned"):
        imagenet_val.imagenet_val_dirs()


def test_an_archive_with_too_few_files_is_refused(copy, monkeypatch):
    monkeypatch.setattr(imagenet_val, "VALIDATION_IMAGES", 50_000)
    with pytest.raises(ValueError, match=r"3 .JPEG files, the official archive has 50000"):
        imagenet_val.imagenet_val_dirs()


def test_extracted_folders_are_used_where_they_are(tmp_path, monkeypatch):
    root = tmp_path / "extracted"
    (root / "val").mkdir(parents=True)
    (root / "bbox" / "val").mkdir(parents=True)
    Image.new("RGB", (64, 48)).save(root / "val" / "ILSVRC2012_val_00000001.JPEG")
    (root / "bbox" / "val" / "ILSVRC2012_val_00000001.xml").write_text(XML.format(stem="ILSVRC2012_val_00000001", wnid=WNID))
    monkeypatch.setenv(imagenet_val.ENV, str(root))
    assert imagenet_val.imagenet_val_dirs() == (root / "val", root / "bbox" / "val")


def test_missing_copy_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.delenv(imagenet_val.ENV, raising=False)
    with pytest.raises(DataUnavailableError, match=r"\$AXLIB_IMAGENET is not set. Download ILSVRC2012_img_val.tar"):
        imagenet_val.imagenet_val_dirs()
    assert imagenet_val.status() == "missing"
    with pytest.raises(DataUnavailableError, match="neither ILSVRC2012_img_val.tar nor a folder"):
        imagenet_val.imagenet_val_dirs(tmp_path)


def test_validation_images_load_only_the_positions_asked_for_with_labels_from_the_box_files(tmp_path, monkeypatch):
    from axlib.data.imagenet import IMAGENET_WNIDS, preprocess

    root = tmp_path / "extracted"
    (root / "val").mkdir(parents=True)
    (root / "bbox" / "val").mkdir(parents=True)
    position_labels = [3, 0, 999]                                  # the label of each position, by its box file
    for i, label in enumerate(position_labels, start=1):
        stem = f"ILSVRC2012_val_{i:08d}"
        Image.new("RGB", (64, 48), (80 * i, 20, 200)).save(root / "val" / f"{stem}.JPEG")
        (root / "bbox" / "val" / f"{stem}.xml").write_text(XML.format(stem=stem, wnid=IMAGENET_WNIDS[label]))
    monkeypatch.setenv(imagenet_val.ENV, str(root))
    imagenet_val.validation_images.cache_clear()
    split = imagenet_val.validation_images()
    assert len(split) == 3 and split.labels.tolist() == position_labels
    x = split[[2, 0]]
    with Image.open(root / "val" / "ILSVRC2012_val_00000003.JPEG") as image:
        assert x.shape == (2, 3, 224, 224) and x[0].equal(preprocess(image))
    with pytest.raises(IndexError, match=r"positions in \[0, 2\]"):
        split[[3]]
    from axlib.data.imagenet import imagenet_images

    x2, y2, classes = imagenet_images(2, "val")                          # AXAI's pages, paper profile
    assert x2.shape == (2, 3, 224, 224) and set(y2.tolist()) <= set(position_labels) and len(classes) == 1000
    assert imagenet_val.random_images(2)[1].tolist() == y2.tolist()      # seeded: the same draw
    with pytest.raises(ValueError, match="n must be"):
        imagenet_val.random_images(4)
    with pytest.raises(ValueError, match="source must be one of .'samples', 'val'., got 'test'"):
        imagenet_images(2, "test")
    (root / "bbox" / "val" / "ILSVRC2012_val_00000002.xml").unlink()
    imagenet_val.validation_images.cache_clear()
    with pytest.raises(FileNotFoundError, match="ILSVRC2012_val_00000002.JPEG has no box file"):
        imagenet_val.validation_images()
    imagenet_val.validation_images.cache_clear()
