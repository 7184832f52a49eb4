"""The embedded data for installs without data/ (axlib.data.embedded_archive, axlib._util.paths):
a deterministic archive, fetched (here from a file:// URL), verified, unpacked where
repo_data_dir() finds it; a clear message when nothing is found."""
from __future__ import annotations

import json
import shutil

import pytest

from axlib._util import paths
from axlib.data import embedded_archive, manifest
from axlib.data.registry import ChecksumError, DataUnavailableError


def _small_data(tmp_path):
    data = tmp_path / "src" / "data"
    (data / "text").mkdir(parents=True)
    (data / "text" / "a.txt").write_text("hello")
    manifest.add(data / "text" / "a.txt", origin="test", licence="CC0", description="a", data_dir=data)
    return data


def test_archive_is_deterministic_fetched_verified_and_found(tmp_path, monkeypatch):
    data = _small_data(tmp_path)
    first = embedded_archive.build(data, tmp_path / "a.tar.gz")
    second = embedded_archive.build(data, tmp_path / "b.tar.gz")
    assert first == second and first["files"] == 2                      # the same files, the same bytes
    monkeypatch.setenv("AXLIB_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("AXLIB_EMBEDDED", raising=False)
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path / "site-packages")   # an install without data/
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"version": "0.1.0", "sha256": first["sha256"], "bytes": first["bytes"]}))
    monkeypatch.setattr(embedded_archive, "RECORD_FILE", record)
    with pytest.raises(FileNotFoundError, match=r"the embedded data \(its MANIFEST.json\) was not found; looked in "
                       r".*site-packages/data \(beside the package\) and .*embedded/0.1.0/data \(fetched\)"):
        manifest.verified(paths.repo_data_dir() / "text" / "a.txt")
    folder = embedded_archive.fetch_embedded(url=(tmp_path / "a.tar.gz").as_uri(), progress=False)
    assert folder == paths.fetched_data_dir() == paths.repo_data_dir()
    assert manifest.verified(folder / "text" / "a.txt").read_text() == "hello"


def test_a_wrong_archive_is_refused_and_an_unreleased_version_says_so(tmp_path, monkeypatch):
    data = _small_data(tmp_path)
    built = embedded_archive.build(data, tmp_path / "a.tar.gz")
    monkeypatch.setenv("AXLIB_DATA", str(tmp_path / "cache"))
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"version": "0.1.0", "sha256": "0" * 64, "bytes": built["bytes"]}))
    monkeypatch.setattr(embedded_archive, "RECORD_FILE", record)
    with pytest.raises(ChecksumError):
        embedded_archive.fetch_embedded(url=(tmp_path / "a.tar.gz").as_uri(), progress=False)
    assert not paths.fetched_data_dir().exists()
    record.write_text(json.dumps({"version": "0.1.0", "sha256": None}))
    with pytest.raises(DataUnavailableError, match="not released yet"):
        embedded_archive.fetch_embedded(progress=False)


def test_an_unverified_folder_is_not_archived(tmp_path):
    data = _small_data(tmp_path)
    (data / "text" / "a.txt").write_text("changed")
    with pytest.raises(ValueError, match="does not match its manifest"):
        embedded_archive.build(data, tmp_path / "a.tar.gz")
    shutil.rmtree(tmp_path / "src")


def test_the_repository_url_comes_from_pyproject():
    assert embedded_archive.repository_url().startswith("https://github.com/")


def test_loading_a_model_without_embedded_data_says_where_it_looked_and_how_to_get_it(tmp_path, monkeypatch):
    """A plain `pip install` has no data/: loading a shipped model fails with one message naming
    the places looked in and the two ways to get the data, not a bare missing-file path."""
    import axlib.models

    monkeypatch.setenv("AXLIB_DATA", str(tmp_path / "cache"))
    monkeypatch.delenv("AXLIB_EMBEDDED", raising=False)
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path / "site-packages")
    with pytest.raises(FileNotFoundError) as error:
        axlib.models.load("cifar10-alexnet")
    message = str(error.value)
    assert "cifar10-alexnet.safetensors not found: the embedded data (its MANIFEST.json) was not found" in message
    assert "site-packages/data (beside the package)" in message and "(fetched)" in message
    assert "axlib data fetch embedded" in message and "AXLIB_EMBEDDED" in message
