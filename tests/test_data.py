"""axlib.data.registry (verified downloads), axlib.data.manifest (data/ MANIFEST), CIFAR tarball.

Offline and fast: every download is from a ``file://`` URL to archives the tests build, with
``AXLIB_DATA`` pointed at a temporary folder.
"""
import hashlib
import io
import json
import pickle
import re
import shutil
import struct
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch

from axlib._util.paths import repo_data_dir, shared_data_dir
from axlib.companion import cli
from axlib.data import manifest, registry
from axlib.data.cifar import read_python_tarball
from axlib.data.registry import ChecksumError, Dataset, DataUnavailableError, RemoteFile, fetch, is_cached, target_path

HEX64 = re.compile(r"[0-9a-f]{64}")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("AXLIB_DATA", str(folder))
    return folder


@pytest.fixture
def source(tmp_path):
    """A small fake archive served from a file:// URL."""
    folder = tmp_path / "server"
    folder.mkdir()
    payload = io.BytesIO()
    with tarfile.open(fileobj=payload, mode="w:gz") as archive:
        data = b"hello, verified world\n" * 500
        info = tarfile.TarInfo("fake/hello.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    good = payload.getvalue()
    (folder / "fake.tar.gz").write_bytes(good)
    (folder / "truncated.tar.gz").write_bytes(good[: len(good) // 2])
    (folder / "other.tar.gz").write_bytes(b"not the archive you are looking for" * 10)
    return folder, good


def _register(monkeypatch, name, url, data, **kw):
    dataset = Dataset(name=name, url=url, filename="fake.tar.gz", sha256=_sha(data),
                      bytes=len(data), licence="test licence", description="fake", citation="none", **kw)
    monkeypatch.setitem(registry.DATASETS, name, dataset)
    return dataset


# ----------------------------------------------------------------------------- registry entries

def test_required_entries_have_real_looking_hashes():
    for name in ("cifar10", "cifar100", "speech-commands-v0.02", "rt-polarity", "imagenet-samples"):
        assert name in registry.DATASETS, name
    for dataset in registry.DATASETS.values():
        assert dataset.licence and dataset.description and dataset.citation and dataset.bytes > 0
        if dataset.kind == "archive":
            assert HEX64.fullmatch(dataset.sha256), dataset.name
            assert dataset.url.startswith("https://") and dataset.url.endswith(dataset.filename)
    cifar10 = registry.DATASETS["cifar10"]
    assert cifar10.url == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert cifar10.md5 == "c58f30108f718f92721af3b95e74349a"
    assert registry.DATASETS["cifar100"].url.endswith("/~kriz/cifar-100-python.tar.gz")
    assert registry.DATASETS["speech-commands-v0.02"].url.startswith("https://download.tensorflow.org/")


def test_imagenet_samples_are_pinned_to_a_commit():
    dataset = registry.DATASETS["imagenet-samples"]
    assert dataset.kind == "files" and len(dataset.files) == 1000
    commit = re.search(r"/imagenet-sample-images/([0-9a-f]{40})/", dataset.url)
    assert commit, dataset.url
    names = {f.name for f in dataset.files}
    assert len(names) == 1000 and all(n.endswith(".JPEG") for n in names)
    for item in dataset.files:
        assert HEX64.fullmatch(item.sha256) and item.bytes > 0
        assert item.url.startswith(dataset.url) and commit.group(1) in item.url
        assert "'" not in item.url  # names like carpenter's_kit are percent-encoded
    assert dataset.bytes == sum(f.bytes for f in dataset.files)


@pytest.mark.skipif(shared_data_dir() is None or not (shared_data_dir() / "imagenet-samples").is_dir(),
                    reason="development copy of the ImageNet samples not present")
def test_imagenet_sample_hashes_match_the_development_copy():
    folder = shared_data_dir() / "imagenet-samples"
    dataset = registry.DATASETS["imagenet-samples"]
    for item in dataset.files[::50]:  # 20 of them: quick
        assert registry.sha256_file(folder / item.name) == item.sha256, item.name


# ----------------------------------------------------------------------------- archive downloads

def test_fetch_downloads_verifies_and_caches(cache, source, monkeypatch):
    folder, good = source
    _register(monkeypatch, "fake", (folder / "fake.tar.gz").as_uri(), good)
    assert not is_cached("fake")
    path = fetch("fake", progress=True)
    assert path == cache / "fake" / "fake.tar.gz" == target_path("fake")
    assert path.read_bytes() == good
    assert is_cached("fake")
    assert not list(path.parent.glob("*.part"))
    # Later calls work offline from the verified copy.
    (folder / "fake.tar.gz").unlink()
    assert fetch("fake", download=False) == path


def test_corrupted_cached_file_is_reported_and_not_used(cache, source, monkeypatch):
    folder, good = source
    dataset = _register(monkeypatch, "fake", (folder / "fake.tar.gz").as_uri(), good)
    path = fetch("fake", progress=False)
    path.write_bytes(b"X" + good[1:])  # bit rot after verification
    assert not is_cached("fake")
    with pytest.raises(ChecksumError) as error:
        fetch("fake", download=False)
    message = str(error.value)
    assert "'fake'" in message and dataset.sha256 in message and _sha(b"X" + good[1:]) in message
    assert "moved aside" in message and str(path) + ".corrupt" in message
    assert not path.exists(), "a corrupted file must not stay where it would be used"
    assert (path.parent / "fake.tar.gz.corrupt").read_bytes() == b"X" + good[1:]
    # The next fetch downloads a good copy again.
    assert fetch("fake", progress=False).read_bytes() == good


def test_download_with_wrong_content_is_deleted(cache, source, monkeypatch):
    folder, good = source
    dataset = _register(monkeypatch, "fake", (folder / "other.tar.gz").as_uri(), good)
    with pytest.raises(ChecksumError) as error:
        fetch("fake", progress=False)
    message = str(error.value)
    assert "'fake'" in message and dataset.sha256 in message
    assert _sha((folder / "other.tar.gz").read_bytes()) in message and "deleted" in message
    assert not target_path("fake").exists()
    assert not [p for p in target_path("fake").parent.iterdir()], "no temp file left behind"


def test_truncated_download_is_detected(cache, source, monkeypatch):
    folder, good = source
    _register(monkeypatch, "fake", (folder / "truncated.tar.gz").as_uri(), good)
    with pytest.raises(ChecksumError) as error:
        fetch("fake", progress=False)
    assert "truncated" in str(error.value) and f"expected {len(good):,}" in str(error.value)
    assert not target_path("fake").exists()


def test_mirror_is_used_when_the_official_url_fails(cache, source, monkeypatch):
    folder, good = source
    _register(monkeypatch, "fake", (folder / "gone.tar.gz").as_uri(), good,
              mirrors=((folder / "fake.tar.gz").as_uri(),))
    assert fetch("fake", progress=False).read_bytes() == good


@pytest.mark.parametrize("download", [True, False])
def test_missing_offline_error_names_dataset_url_and_manual_path(cache, source, monkeypatch, download):
    folder, good = source
    url = (folder / "nowhere" / "fake.tar.gz").as_uri()
    _register(monkeypatch, "fake", url, good)
    with pytest.raises(DataUnavailableError) as error:
        fetch("fake", download=download, progress=False)
    assert isinstance(error.value, FileNotFoundError)
    message = str(error.value)
    assert "'fake'" in message and url in message
    assert str(cache / "fake" / "fake.tar.gz") in message


def test_manual_copy_is_verified_and_accepted(cache, source, monkeypatch):
    folder, good = source
    _register(monkeypatch, "fake", (folder / "nowhere.tar.gz").as_uri(), good)
    target_path("fake").parent.mkdir(parents=True)
    shutil.copy(folder / "fake.tar.gz", target_path("fake"))
    assert is_cached("fake")
    assert fetch("fake", download=False) == target_path("fake")


def test_wrong_manual_copy_is_rejected(cache, source, monkeypatch):
    folder, good = source
    _register(monkeypatch, "fake", (folder / "nowhere.tar.gz").as_uri(), good)
    target_path("fake").parent.mkdir(parents=True)
    shutil.copy(folder / "truncated.tar.gz", target_path("fake"))
    with pytest.raises(ChecksumError):
        fetch("fake", download=False)
    assert not target_path("fake").exists()


def test_unknown_name_is_a_value_error(cache):
    with pytest.raises(ValueError, match="unknown data set"):
        fetch("no-such-data")


# ----------------------------------------------------------------------------- file-set downloads

def _register_files(monkeypatch, folder, contents):
    for name, data in contents.items():
        (folder / name).write_bytes(data)
    files = tuple(RemoteFile(name=n, url=(folder / n).as_uri(), sha256=_sha(d), bytes=len(d))
                  for n, d in contents.items())
    dataset = Dataset(name="fakeset", url=folder.as_uri() + "/", sha256=None, kind="files",
                      files=files, bytes=sum(len(d) for d in contents.values()), licence="test",
                      description="fake", citation="none")
    monkeypatch.setitem(registry.DATASETS, "fakeset", dataset)
    return dataset


def test_file_set_download_manual_copy_and_corruption(cache, tmp_path, monkeypatch):
    server = tmp_path / "server"
    server.mkdir()
    contents = {"a_one.JPEG": b"first image bytes", "b_two's.JPEG": b"second image bytes"}
    _register_files(monkeypatch, server, contents)
    with pytest.raises(DataUnavailableError, match="fakeset"):
        fetch("fakeset", download=False)
    folder = fetch("fakeset", progress=False)
    assert folder == cache / "fakeset" and is_cached("fakeset")
    assert {p.name: p.read_bytes() for p in folder.glob("*.JPEG")} == contents
    # A corrupted file is rejected and moved aside.
    (folder / "a_one.JPEG").write_bytes(b"tampered")
    assert not is_cached("fakeset")
    with pytest.raises(ChecksumError, match="a_one.JPEG"):
        fetch("fakeset", download=False)
    assert not (folder / "a_one.JPEG").exists() and (folder / "a_one.JPEG.corrupt").exists()
    # A manually populated folder is accepted once verified, without any download.
    shutil.rmtree(server)
    (folder / "a_one.JPEG").write_bytes(contents["a_one.JPEG"])
    assert fetch("fakeset", download=False) == folder


def test_file_set_offline_error_names_url_and_folder(cache, tmp_path, monkeypatch):
    server = tmp_path / "server"
    server.mkdir()
    dataset = _register_files(monkeypatch, server, {"x.JPEG": b"x"})
    (server / "x.JPEG").unlink()
    with pytest.raises(DataUnavailableError) as error:
        fetch("fakeset", progress=False)
    assert dataset.url in str(error.value) and str(cache / "fakeset") in str(error.value)


# ----------------------------------------------------------------------------- manifest

def _copy_of_data(tmp_path) -> Path:
    """A copy of data/ holding the manifest and the files it lists."""
    copy = tmp_path / "data"
    copy.mkdir()
    shutil.copy(manifest.manifest_path(), copy / manifest.MANIFEST_NAME)
    for relpath in manifest.entries():
        if (repo_data_dir() / relpath).is_file():
            (copy / relpath).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(repo_data_dir() / relpath, copy / relpath)
    return copy


def test_manifest_is_clean_on_the_repository():
    assert manifest.verify() == []


def test_manifest_lists_the_embedded_subset_with_provenance():
    recorded = manifest.entries()
    for relpath in ("cifar10/cifar10-test-subset.npz", "README.md"):
        entry = recorded[relpath]
        assert HEX64.fullmatch(entry["sha256"]) and entry["bytes"] > 0
        assert entry["origin"] and entry["licence"] and entry["description"]
    text = manifest.manifest_path().read_text()
    assert text == json.dumps(json.loads(text), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def test_manifest_detects_unlisted_changed_and_missing_files(tmp_path):
    copy = _copy_of_data(tmp_path)
    assert manifest.verify(copy) == []
    (copy / "cifar10" / "extra.npz").write_bytes(b"unlisted")
    (copy / "scratch.work").mkdir()
    (copy / "scratch.work" / "ignored.bin").write_bytes(b"jobs in progress")
    problems = manifest.verify(copy)
    assert problems == ["cifar10/extra.npz: file not in the manifest (add it with axlib.data.manifest.add)"]
    readme = copy / "README.md"
    readme.write_text(readme.read_text() + "changed\n")
    problems = manifest.verify(copy)
    assert any(p.startswith("README.md: sha256") for p in problems)
    assert any(p.startswith("README.md: size") for p in problems)
    readme.unlink()
    assert "README.md: listed in the manifest but missing" in manifest.verify(copy)


def test_manifest_detects_entries_without_origin_or_licence(tmp_path):
    copy = _copy_of_data(tmp_path)
    data = json.loads((copy / manifest.MANIFEST_NAME).read_text())
    data["files"]["README.md"]["licence"] = ""
    del data["files"]["README.md"]["origin"]
    (copy / manifest.MANIFEST_NAME).write_text(json.dumps(data))
    problems = manifest.verify(copy)
    assert "README.md: manifest entry lacks 'licence'" in problems
    assert "README.md: manifest entry lacks 'origin'" in problems


def test_manifest_add_writes_an_entry_that_verifies(tmp_path):
    copy = _copy_of_data(tmp_path)
    (copy / "models").mkdir(exist_ok=True)
    (copy / "models" / "net.bin").write_bytes(b"\x00\x01weights")
    entry = manifest.add("models/net.bin", origin="trained here", licence="MIT",
                         description="a test checkpoint", data_dir=copy)
    assert entry["sha256"] == _sha(b"\x00\x01weights") and entry["bytes"] == 9
    assert manifest.entries(copy)["models/net.bin"] == entry
    assert manifest.verify(copy) == []
    # Absolute paths inside data/ work too; re-adding replaces the entry.
    manifest.add(copy / "models" / "net.bin", origin="retrained", licence="MIT",
                 description="a test checkpoint", data_dir=copy)
    assert manifest.entries(copy)["models/net.bin"]["origin"] == "retrained"
    with pytest.raises(ValueError):
        manifest.add(tmp_path / "elsewhere.bin", origin="x", licence="x", description="x", data_dir=copy)
    with pytest.raises(ValueError):
        manifest.add("models/net.bin", origin="x", licence=" ", description="x", data_dir=copy)
    with pytest.raises(FileNotFoundError):
        manifest.add("models/absent.bin", origin="x", licence="x", description="x", data_dir=copy)


def test_manifest_entry_pointing_outside_data_is_a_problem(tmp_path):
    copy = _copy_of_data(tmp_path)
    (tmp_path / "outside.txt").write_text("x")
    data = json.loads((copy / manifest.MANIFEST_NAME).read_text())
    data["files"]["../outside.txt"] = {"sha256": _sha(b"x"), "bytes": 1, "origin": "o", "licence": "l"}
    (copy / manifest.MANIFEST_NAME).write_text(json.dumps(data))
    assert f"../outside.txt: points outside {copy}" in manifest.verify(copy)


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def test_verified_checks_each_file_once_and_again_when_it_changes(tmp_path):
    copy = _copy_of_data(tmp_path)
    readme = copy / "README.md"
    assert manifest.verified(readme, copy) == readme
    assert manifest.verified(readme, copy) == readme                     # remembered, still fine
    _flip_one_byte(readme)                                                # same size, new mtime
    with pytest.raises(ValueError, match=r"embedded file README.md differs from MANIFEST.json: sha256 "):
        manifest.verified(readme, copy)
    (copy / "new.txt").write_text("x")
    with pytest.raises(ValueError, match=r"embedded file new.txt is not in .*MANIFEST.json"):
        manifest.verified(copy / "new.txt", copy)
    with pytest.raises(ValueError, match="is not inside the embedded data folder"):
        manifest.verified(tmp_path / "elsewhere.txt", copy)
    with pytest.raises(FileNotFoundError, match="embedded file absent.txt not found"):
        manifest.verified(copy / "absent.txt", copy)


@pytest.mark.parametrize("relpath", ["cifar10/cifar10-test-subset.npz", "models/cifar10-alexnet.safetensors",
                                     "imagenet/samples", "speech/cat", "text/rt-polarity.pos", "exiaa"])
def test_a_flipped_byte_in_any_embedded_file_fails_its_next_load(tmp_path, monkeypatch, relpath):
    """Each loader of embedded data refuses a file one byte off, naming it; `axlib data
    verify` reports the same file."""
    from axlib.data.cifar import cifar10_test
    from axlib.data.imagenet import imagenet_samples
    from axlib.data.polarity import load_polarity
    from axlib.data.speech_commands import embedded_clips
    from axlib.models import load
    from axlib.papers.exiaa.paper import paper_tables

    copy = _copy_of_data(tmp_path)
    monkeypatch.setenv("AXLIB_EMBEDDED", str(copy))
    target = copy / relpath
    if target.is_dir():
        target = sorted(p for p in target.rglob("*") if p.is_file())[0]
    _flip_one_byte(target)
    name = target.relative_to(copy).as_posix()
    loaders = {"cifar10": cifar10_test, "models": lambda: load("cifar10-alexnet"),
               "imagenet": lambda: imagenet_samples(), "speech": embedded_clips,
               "text": lambda: load_polarity(source="embedded"), "exiaa": paper_tables}
    with pytest.raises(ValueError, match=rf"embedded file {re.escape(name)} differs from MANIFEST.json"):
        loaders[relpath.split("/")[0]]()
    assert any(p.startswith(f"{name}: sha256") for p in manifest.verify(copy))


def test_a_checkpoint_tampered_with_its_card_does_not_load(tmp_path, monkeypatch):
    from axlib.models import load
    from axlib.models.checkpoints import sha256_of

    copy = _copy_of_data(tmp_path)
    monkeypatch.setenv("AXLIB_EMBEDDED", str(copy))
    weights = copy / "models" / "cifar10-alexnet.safetensors"
    _flip_one_byte(weights)
    card = weights.with_suffix(".json")
    card.write_text(json.dumps(dict(json.loads(card.read_text()), sha256=sha256_of(weights)), indent=1) + "\n")
    with pytest.raises(ValueError, match=r"embedded file models/cifar10-alexnet.safetensors differs"):
        load("cifar10-alexnet")


# ----------------------------------------------------------------------------- CLI

def test_cli_data_list(cache, capsys):
    assert cli.main(["data", "list"]) == 0
    out = capsys.readouterr().out
    for name in registry.DATASETS:
        assert name in out
    assert re.search(r"^cifar10\s+170\.5 MB\s+.*\bno$", out, re.M), out


def test_cli_data_verify_exit_codes(tmp_path, monkeypatch, capsys):
    copy = _copy_of_data(tmp_path)
    monkeypatch.setattr(manifest, "repo_data_dir", lambda: copy)
    assert cli.main(["data", "verify"]) == 0
    (copy / "unlisted.txt").write_text("x")
    assert cli.main(["data", "verify"]) == 1
    assert "unlisted.txt: file not in the manifest" in capsys.readouterr().out


def test_cli_data_verify_rehashes_the_cache_despite_a_stamp(cache, source, monkeypatch, capsys):
    """Bit rot that keeps size, mtime and inode passes the stamp but not `axlib data verify`."""
    import os

    folder, good = source
    _register(monkeypatch, "fake", (folder / "fake.tar.gz").as_uri(), good)
    path = fetch("fake", progress=False)
    assert cli.main(["data", "verify"]) == 0
    stat = path.stat()
    with open(path, "r+b") as handle:                 # same inode and size
        handle.write(b"X")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))   # same mtime
    assert is_cached("fake")                          # the stamp cannot see it
    assert cli.main(["data", "verify"]) == 1
    assert f"cache: fake: {path} differs from its sha256" in capsys.readouterr().out


def test_cli_data_fetch(cache, source, monkeypatch, capsys):
    folder, good = source
    _register(monkeypatch, "fake", (folder / "fake.tar.gz").as_uri(), good)
    assert cli.main(["data", "fetch", "fake"]) == 0
    assert str(target_path("fake")) in capsys.readouterr().out
    _register(monkeypatch, "gone", (folder / "gone.tar.gz").as_uri(), good)
    assert cli.main(["data", "fetch", "gone"]) == 2
    err = capsys.readouterr().err
    assert "'gone'" in err and str(cache / "gone" / "fake.tar.gz") in err


# ----------------------------------------------------------------------------- CIFAR tarball

class _Python2Pickler(pickle._Pickler):
    """Protocol-2 pickler writing bytes as Python 2 ``str`` opcodes, as the official batches do."""

    dispatch = pickle._Pickler.dispatch.copy()

    def save_bytes(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes


def _python2_pickle(obj) -> bytes:
    out = io.BytesIO()
    _Python2Pickler(out, protocol=2).dump(obj)
    return out.getvalue()


def test_read_python_tarball_decodes_the_official_layout(tmp_path):
    rng = np.random.default_rng(0)
    batches = {}
    for i, member in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        images = rng.integers(0, 256, size=(2, 32, 32, 3), dtype=np.uint8)
        rows = images.transpose(0, 3, 1, 2).reshape(2, 3072)  # R plane, G plane, B plane
        batches[member] = (images, [i % 10, (i + 3) % 10], rows)
    path = tmp_path / "cifar-10-python.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for member, (_, labels, rows) in batches.items():
            blob = _python2_pickle({b"batch_label": b"fake", b"labels": labels, b"data": rows})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{member}")
            info.size = len(blob)
            archive.addfile(info, io.BytesIO(blob))
    x, y = read_python_tarball(path, "test")
    images, labels, rows = batches["test_batch"]
    assert x.dtype == np.uint8 and x.shape == (2, 32, 32, 3)
    assert np.array_equal(x, images) and y.tolist() == labels
    # Pixel order: row r holds red at [0:1024], green at [1024:2048], blue at [2048:3072].
    assert x[1, 0, 5, 0] == rows[1, 5] and x[1, 2, 0, 1] == rows[1, 1024 + 64] and x[0, 31, 31, 2] == rows[0, 3071]
    x, y = read_python_tarball(path, "train")
    assert x.shape == (10, 32, 32, 3) and y.dtype == np.int64
    assert np.array_equal(x[:2], batches["data_batch_1"][0]) and np.array_equal(x[8:], batches["data_batch_5"][0])


class _RangeHandler:
    """An HTTP handler serving one payload, honouring ``Range: bytes=N-`` (206) unless told not
    to; records the Range headers it saw."""

    @staticmethod
    def make(payload: bytes, ranges: bool, seen: list):
        import http.server

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                header = self.headers.get("Range")
                seen.append(header)
                start = int(header[len("bytes="):].rstrip("-")) if header and ranges else 0
                body = payload[start:]
                self.send_response(206 if start else 200)
                if start:
                    self.send_header("Content-Range", f"bytes {start}-{len(payload) - 1}/{len(payload)}")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass
        return Handler


@pytest.mark.parametrize("ranges", [True, False])
def test_an_interrupted_download_resumes_from_its_part_file(cache, source, monkeypatch, ranges):
    import http.server
    import threading

    _, good = source
    seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler.make(good, ranges, seen))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _register(monkeypatch, "fake", f"http://127.0.0.1:{server.server_port}/fake.tar.gz", good)
        partial = target_path("fake").parent / ".fake.tar.gz.part"
        partial.parent.mkdir(parents=True)
        partial.write_bytes(good[:100])                      # what a killed download left
        assert fetch("fake", progress=False).read_bytes() == good
    finally:
        server.shutdown()
    assert len(good) > 100 and seen == ["bytes=100-"] and not partial.exists()


@pytest.mark.parametrize("status, requests_made", [(503, 2), (404, 1)])
def test_a_failed_http_download_is_retried_by_pooch_unless_the_file_is_missing(cache, source, monkeypatch,
                                                                               status, requests_made):
    """A server error is tried again (pooch's retry, 1 s later); a 404 is not asked twice."""
    import http.server
    import threading

    _, good = source
    seen = []

    class FailsOnce(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            seen.append(self.path)
            if len(seen) == 1:
                self.send_error(status)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(good)))
            self.end_headers()
            self.wfile.write(good)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FailsOnce)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _register(monkeypatch, "fake", f"http://127.0.0.1:{server.server_port}/fake.tar.gz", good)
        if status == 503:
            assert fetch("fake", progress=False).read_bytes() == good
        else:
            with pytest.raises(DataUnavailableError, match="404"):
                fetch("fake", progress=False)
    finally:
        server.shutdown()
    assert len(seen) == requests_made


def fake_cifar100_tarball(path, n_train: int = 256, n_test: int = 20, seed: int = 0) -> dict:
    """A ``cifar-100-python.tar.gz`` in the official layout (python-2 pickles of ``train``,
    ``test`` and ``meta`` under ``cifar-100-python/``) holding random images; returns the
    images (N, 32, 32, 3) and fine labels of each split, and the label names."""
    rng = np.random.default_rng(seed)
    names = [f"class{i:02d}".encode() for i in range(100)]
    splits = {}
    with tarfile.open(path, "w:gz") as archive:
        for split, n in (("train", n_train), ("test", n_test)):
            images = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
            fine = [int(v) for v in rng.integers(0, 100, n)]
            splits[split] = (images, fine)
            blob = _python2_pickle({b"filenames": [b"x.png"] * n, b"batch_label": b"fake", b"fine_labels": fine,
                                    b"coarse_labels": [f // 5 for f in fine],
                                    b"data": images.transpose(0, 3, 1, 2).reshape(n, 3072)})
            info = tarfile.TarInfo(f"cifar-100-python/{split}")
            info.size = len(blob)
            archive.addfile(info, io.BytesIO(blob))
        blob = _python2_pickle({b"fine_label_names": names, b"coarse_label_names": [b"c"] * 20})
        info = tarfile.TarInfo("cifar-100-python/meta")
        info.size = len(blob)
        archive.addfile(info, io.BytesIO(blob))
    return {"splits": splits, "names": tuple(n.decode() for n in names)}


def test_cifar100_is_read_from_the_official_layout_and_vgg16_trains_on_it(tmp_path, monkeypatch):
    """AXAI's CIFAR-100 column (paper profile): the official tarball's fine labels and names,
    and one epoch of `axlib train cifar100-vgg16` (two batches of 128) on a fake of it writes
    weights and a card."""
    from axlib.data import cifar
    from axlib.data import registry as data_registry
    from axlib.models import registry

    path = tmp_path / "cifar-100-python.tar.gz"
    fake = fake_cifar100_tarball(path)
    x, y, names = cifar.read_cifar100_tarball(path, "test")
    images, fine = fake["splits"]["test"]
    assert np.array_equal(x, images) and y.tolist() == fine and names == fake["names"] and len(names) == 100
    monkeypatch.setattr(data_registry, "fetch", lambda name, **kw: path if name == "cifar100" else 1 / 0)
    xt, yt, classes = cifar.cifar100("train")
    assert xt.shape == (256, 3, 32, 32) and xt.dtype == torch.float32 and float(xt.max()) <= 1.0
    assert yt.tolist() == fake["splits"]["train"][1] and classes == fake["names"]
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'val'"):
        cifar.cifar100("val")
    card = registry.train("cifar100-vgg16", epochs=1, out=tmp_path / "out")
    assert card["dataset"] == "cifar100" and card["test_set"].startswith("CIFAR-100 test split, 20 images")
    assert 0.0 <= card["validation_accuracy"] <= 1.0 and card["parameters"] == 14_770_212
    assert (tmp_path / "out" / "cifar100-vgg16.safetensors").is_file()
