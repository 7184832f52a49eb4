"""Registry of the external data sets: official URL, sha256, licence, and a verifying download.

Every data set the ``paper`` profile needs but the repository does not ship is listed in
``DATASETS`` with the address of its official copy and the sha256 of that copy. ``fetch(name)``
returns a verified local copy, downloading it when asked:

- kind ``"archive"``: one file, cached at ``cache_dir() / name / <file name>``;
  ``fetch`` returns the file's path.
- kind ``"files"``: a set of files, each with its own URL and sha256, cached in the folder
  ``cache_dir() / name``; ``fetch`` returns the folder.

``cache_dir()`` is ``$AXLIB_DATA`` or ``~/.cache/axlib`` (see ``axlib._util.paths``).

Guarantees:

- Downloads go through pooch (``pooch.core.stream_download``): to a temporary file beside the
  target, hashed, and only a copy whose sha256 matches is moved into place; an http(s) download
  that fails is tried twice more. What pooch lacks is kept here: mirrors, resuming, locks, the
  stamps below and the messages saying where a manual copy goes.
- A file whose sha256 differs (corrupted, truncated, the wrong file) is never used: a failed
  download is deleted; a file found in the cache (a manual copy, or one that changed since it
  was verified) is moved aside to ``<file>.corrupt`` and a ``ChecksumError`` names the data set,
  the expected and actual hashes, and where the file went.
- Offline, or ``download=False`` with no copy: a ``DataUnavailableError`` (a
  ``FileNotFoundError``) names the data set, its URL and the exact path where a manually
  downloaded copy should be placed. A copy placed there is verified like a download.
- Verified files get a small stamp (``<file>.verified``, or ``.verified.json`` in a ``files``
  folder) recording size, modification time, inode and hash, so later calls do not rehash
  gigabytes; a file whose size, modification time or inode changed is hashed again.
- Downloads go to ``.<file>.part`` beside the target; an interrupted one is resumed with an
  HTTP range request on the next call (started over when the server ignores ranges).

Where the hashes come from (none computed from an unverified guess):

- ``cifar10``: sha256 as pinned by Keras (``keras/datasets/cifar10.py``, ``file_hash``), size
  170,498,071 bytes; the official md5 ``c58f30108f718f92721af3b95e74349a`` is recorded too.
- ``cifar100``: sha256 as pinned by Keras (``keras/datasets/cifar100.py``) and torchvision's
  prototype datasets (``_SHA256``); size 169,001,437 bytes; official md5
  ``eb9058c3a382ffc7106e4002c42a8d85``.
- ``speech-commands-v0.02``: sha256 and size (2,428,923,189 bytes) from TensorFlow Datasets
  (``tensorflow_datasets/url_checksums/speech_commands.txt``), equal to torchaudio's
  ``_CHECKSUMS``.
- ``rt-polarity``: sha256 and size (487,770 bytes) from Hugging Face ``datasets``
  (``datasets/rotten_tomatoes/dataset_infos.json``), recorded there for the Seldon mirror of the
  same tarball. That the Cornell copy is byte-identical was not checked here (no network); the
  mirror is tried when the Cornell copy is unreachable or differs.
- ``imagenet-samples``: each file's sha256 computed from a byte copy of the repository's files,
  stored in ``imagenet_samples_sha256.json`` beside this module, with the pinned commit
  ``22d0a5c9c5c76d13532da2d29ea7fa2e9e034387`` of ``EliSchwartz/imagenet-sample-images`` (the
  commit at which a public code index recorded the images).
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from axlib._util.paths import cache_dir

__all__ = [
    "Dataset", "RemoteFile", "DATASETS", "DataUnavailableError", "ChecksumError",
    "is_cached", "fetch", "target_path", "sha256_file", "data_cli",
]

_CHUNK = 1 << 20
_USER_AGENT = "axlib (the axai-companion package; data registry)"
_TIMEOUT_S = 60
_RETRIES = 2   # further tries of a failed http(s) download (pooch waits 1 s, then 2 s)


class DataUnavailableError(FileNotFoundError):
    """A registered data set is not in the cache and could not (or may not) be downloaded."""


class ChecksumError(ValueError):
    """A file's sha256 differs from the registry's; the file was not used."""


@dataclass(frozen=True)
class RemoteFile:
    """One file of a ``files`` data set: its name in the cache folder, URL, sha256, size."""

    name: str
    url: str
    sha256: str
    bytes: int | None = None


@dataclass(frozen=True)
class Dataset:
    """An external data set.

    name: registry key. url: the official download (kind ``archive``) or the base of the files
    (kind ``files``). sha256: of the archive (``archive``), or None (``files``: see ``files``).
    bytes: approximate size in bytes (exact for archives). kind: ``"archive"`` or ``"files"``.
    filename: the archive's file name in the cache. mirrors: further URLs of the very same
    archive, tried in order when the official one fails. files: the ``RemoteFile`` entries of a
    ``files`` data set. md5: the publisher's md5 where one is published (informative only).
    """

    name: str
    url: str
    sha256: str | None
    bytes: int
    licence: str
    description: str
    citation: str
    kind: str = "archive"
    filename: str | None = None
    mirrors: tuple[str, ...] = ()
    files: tuple[RemoteFile, ...] = field(default=(), repr=False)
    md5: str | None = None
    homepage: str | None = None

    def __post_init__(self):
        if self.kind not in ("archive", "files"):
            raise ValueError(f"kind must be 'archive' or 'files', got {self.kind!r}")
        if self.kind == "archive" and not (self.sha256 and self.filename):
            raise ValueError(f"archive data set {self.name!r} needs a sha256 and a filename")
        if self.kind == "files" and not self.files:
            raise ValueError(f"files data set {self.name!r} needs at least one file")

    @property
    def urls(self) -> tuple[str, ...]:
        """The official URL, then the mirrors."""
        return (self.url, *self.mirrors)


def _imagenet_samples() -> Dataset:
    table = json.loads((Path(__file__).with_name("imagenet_samples_sha256.json")).read_text())
    commit = table["commit"]
    base = f"https://raw.githubusercontent.com/{table['repository']}/{commit}/"
    files = tuple(
        RemoteFile(name=name, url=base + urllib.parse.quote(name), sha256=digest,
                   bytes=table["bytes"].get(name))
        for name, digest in sorted(table["files"].items()))
    return Dataset(
        name="imagenet-samples",
        url=base,
        sha256=None,
        bytes=sum(f.bytes or 0 for f in files),
        licence="ImageNet terms of access (non-commercial research and education); "
                "the repository states no licence",
        description="1,000 ImageNet images, one per class, named <wnid>_<class>.JPEG "
                    f"(GitHub {table['repository']} at commit {commit})",
        citation="Russakovsky et al., ImageNet Large Scale Visual Recognition Challenge, IJCV 2015; "
                 f"images collected in github.com/{table['repository']}",
        kind="files",
        files=files,
        homepage=f"https://github.com/{table['repository']}",
    )


DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset(
        name="cifar10",
        url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        filename="cifar-10-python.tar.gz",
        sha256="6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
        md5="c58f30108f718f92721af3b95e74349a",
        bytes=170_498_071,
        licence="CIFAR-10 terms (Krizhevsky 2009): free for research, cite the report",
        description="CIFAR-10, python version: 50,000 train + 10,000 test 32x32 RGB images, 10 classes",
        citation="Krizhevsky, Learning Multiple Layers of Features from Tiny Images, tech. report, 2009",
        homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    ),
    Dataset(
        name="cifar100",
        url="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        filename="cifar-100-python.tar.gz",
        sha256="85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
        md5="eb9058c3a382ffc7106e4002c42a8d85",
        bytes=169_001_437,
        licence="CIFAR-100 terms (Krizhevsky 2009): free for research, cite the report",
        description="CIFAR-100, python version: 50,000 train + 10,000 test 32x32 RGB images, "
                    "100 fine / 20 coarse classes",
        citation="Krizhevsky, Learning Multiple Layers of Features from Tiny Images, tech. report, 2009",
        homepage="https://www.cs.toronto.edu/~kriz/cifar.html",
    ),
    Dataset(
        name="speech-commands-v0.02",
        url="https://download.tensorflow.org/data/speech_commands_v0.02.tar.gz",
        filename="speech_commands_v0.02.tar.gz",
        sha256="af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58",
        bytes=2_428_923_189,
        licence="CC BY 4.0",
        description="Speech Commands v0.02: 105,829 one-second 16 kHz utterances of 35 words",
        citation="Warden, Speech Commands: A Dataset for Limited-Vocabulary Speech Recognition, "
                 "arXiv:1804.03209, 2018",
        homepage="https://arxiv.org/abs/1804.03209",
    ),
    Dataset(
        name="rt-polarity",
        url="https://www.cs.cornell.edu/people/pabo/movie-review-data/rt-polaritydata.tar.gz",
        mirrors=("https://storage.googleapis.com/seldon-datasets/sentence_polarity_v1/"
                 "rt-polaritydata.tar.gz",),
        filename="rt-polaritydata.tar.gz",
        sha256="a05befe52aafda71d458d188a1c54506a998b1308613ba76bbda2e5029409ce9",
        bytes=487_770,
        licence="research use, freely distributed by the authors (no formal licence stated)",
        description="Sentence Polarity v1.0: 5,331 positive + 5,331 negative Rotten Tomatoes "
                    "snippets (Latin-1)",
        citation="Pang and Lee, Seeing stars: Exploiting class relationships for sentiment "
                 "categorization with respect to rating scales, ACL 2005",
        homepage="https://www.cs.cornell.edu/people/pabo/movie-review-data/",
    ),
    _imagenet_samples(),
)}


# ----------------------------------------------------------------------------- helpers

def _get(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        raise ValueError(f"unknown data set {name!r}; registered: {', '.join(sorted(DATASETS))}") from None


def sha256_file(path) -> str:
    """Hex sha256 of a file (pooch's :func:`pooch.file_hash`)."""
    import pooch

    return pooch.file_hash(str(path), alg="sha256")


def target_path(name: str) -> Path:
    """Where the verified copy of data set ``name`` lives (or should be placed by hand).

    kind ``archive``: ``cache_dir()/<name>/<file name>``; kind ``files``: ``cache_dir()/<name>``.
    """
    dataset = _get(name)
    folder = cache_dir() / dataset.name
    return folder if dataset.kind == "files" else folder / dataset.filename


def _stat_key(path: Path) -> list[int]:
    """Size, mtime and inode: a stamp is valid while none of them changes."""
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _stamped(path: Path, sha256: str) -> bool:
    """True when ``path`` carries a stamp for ``sha256`` and has not changed since."""
    stamp = _stamp_path(path)
    try:
        record = json.loads(stamp.read_text())
        return record["sha256"] == sha256 and record["stat"] == _stat_key(path)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _write_stamp(path: Path, sha256: str) -> None:
    _stamp_path(path).write_text(json.dumps({"sha256": sha256, "stat": _stat_key(path)}) + "\n")


def _move_aside(path: Path) -> Path:
    """Rename a rejected file to ``<file>.corrupt`` (replacing an older one); return the new path."""
    aside = path.with_name(path.name + ".corrupt")
    os.replace(path, aside)
    _stamp_path(path).unlink(missing_ok=True)
    return aside


def _mismatch_message(dataset: str, what: str, expected: str, actual: str, fate: str,
                      size: int | None = None, expected_size: int | None = None) -> str:
    sizes = ""
    if size is not None and expected_size is not None and size != expected_size:
        sizes = f" ({size:,} bytes, expected {expected_size:,}: truncated or wrong file?)"
    return (f"data set {dataset!r}: sha256 mismatch for {what}{sizes}\n"
            f"  expected sha256: {expected}\n  actual sha256:   {actual}\n  {fate}")


def _check_existing(dataset: str, path: Path, sha256: str, expected_size: int | None) -> bool:
    """Verify a file already at ``path``: True when good (stamped), False when absent.

    A file that does not match is moved aside and a ChecksumError raised.
    """
    if not path.is_file():
        return False
    if _stamped(path, sha256):
        return True
    actual = sha256_file(path)
    if actual == sha256:
        _write_stamp(path, sha256)
        return True
    size = path.stat().st_size
    aside = _move_aside(path)
    raise ChecksumError(_mismatch_message(
        dataset, str(path), sha256, actual,
        f"The file was NOT used; it was moved aside to {aside}. Place a correct copy at {path} "
        f"or run `axlib data fetch {dataset}` to download it again.", size, expected_size))


def _download(url: str, dest: Path, *, sha256: str | None, dataset: str, expected_size: int | None,
              progress: bool, label: str, stamp: bool = True) -> None:
    """Download ``url`` to ``dest`` through pooch: verified, atomic, retried, resumable.

    ``sha256``: the file's hex digest, or a prefix of it (torchvision's file names carry the
    first 8 digits and nothing else is published), or None where the upstream publishes none
    (the caller then checks the content and pins the digest itself); only a full digest is
    stamped.

    pooch (:func:`pooch.core.stream_download`) writes the download to a temporary file beside
    ``dest``, checks a full digest, moves the file into place only when it matches and retries
    an http(s) download up to ``_RETRIES`` times. What pooch lacks is added here: the bytes
    arrive through :class:`_ResumingDownloader`, which keeps ``.<name>.part`` beside ``dest`` so
    that a download cut off (Ctrl-C, a lost connection, a killed process) continues with an HTTP
    range request on the next call; downloads of one file are serialised by a lock; a digest
    prefix is checked here. Raises ChecksumError (nothing kept) or OSError / urllib errors
    (network; the part file is kept to resume).
    """
    import pooch.core
    from filelock import FileLock

    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.parent / f".{dest.name}.part"
    full_digest = sha256 if sha256 is not None and len(sha256) == 64 else None
    downloader = _ResumingDownloader(partial, expected_size, progress, label)
    retries = _RETRIES if urllib.parse.urlsplit(url).scheme in ("http", "https") else 0
    key = hashlib.sha256(str(partial.resolve()).encode()).hexdigest()[:16]
    with FileLock(Path(tempfile.gettempdir()) / f"axlib-download-{key}.lock"):
        try:
            pooch.core.stream_download(url, dest, f"sha256:{full_digest}" if full_digest else None,
                                       downloader, retry_if_failed=retries)
        except ValueError:
            if not downloader.completed:                # not pooch's digest check: a bad URL, say
                raise
            digest_mismatch = True                      # pooch: the digest differs (file deleted)
        else:
            digest_mismatch = sha256 is not None and not downloader.sha256.startswith(sha256)
            if digest_mismatch:
                dest.unlink(missing_ok=True)
        if digest_mismatch:
            resumed = f" (resumed at byte {downloader.resumed_at:,})" if downloader.resumed_at else ""
            raise ChecksumError(_mismatch_message(
                dataset, f"the download from {url}{resumed}", sha256, downloader.sha256,
                "The downloaded file was NOT used; it was deleted.", downloader.received, expected_size))
        os.chmod(dest, 0o644)
        if stamp and full_digest is not None:
            _write_stamp(dest, full_digest)


class _ResumingDownloader:
    """A pooch downloader (``downloader(url, output_file, pooch)``) that resumes.

    The bytes go to ``partial``, a stable file beside the target, continuing after its present
    bytes when the server answers a range request with 206 for exactly that offset (an HTTP 416,
    a part file that is no prefix of the file, starts it over); once complete, the part file
    becomes pooch's ``output_file``. Serves http(s) and file:// URLs (urllib). A network error of
    an http(s) download is raised as a ``requests`` ConnectionError so that pooch retries it.

    After a call: ``completed`` (the whole file was handed to pooch), ``sha256`` (hex digest of
    the whole file), ``received`` (its size in bytes), ``resumed_at`` (the byte the download
    continued at; 0: from the start).
    """

    def __init__(self, partial: Path, expected_size: int | None, progress: bool, label: str):
        self.partial, self.expected_size, self.progress, self.label = partial, expected_size, progress, label
        self.sha256, self.received, self.resumed_at, self.completed = "", 0, 0, False

    def __call__(self, url: str, output_file: str, pooch_object=None) -> None:
        import requests.exceptions

        self.completed = False
        try:
            try:
                self._fetch(url)
            except urllib.error.HTTPError as error:
                if error.code != 416:                   # 416: the part file is not a prefix
                    raise
                self.partial.unlink(missing_ok=True)
                self._fetch(url)
        except urllib.error.HTTPError as error:
            if error.code < 500:                        # 4xx: asking again will not help
                raise
            raise requests.exceptions.ConnectionError(f"{url}: {error}") from error
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
                raise
            raise requests.exceptions.ConnectionError(f"{url}: {error}") from error
        os.replace(self.partial, output_file)
        self.completed = True

    def _fetch(self, url: str) -> None:
        have = self.partial.stat().st_size if self.partial.is_file() else 0
        headers = {"User-Agent": _USER_AGENT} | ({"Range": f"bytes={have}-"} if have else {})
        digest = hashlib.sha256()
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=_TIMEOUT_S) as response:
            resumed = have > 0 and getattr(response, "status", None) == 206 and \
                response.headers.get("Content-Range", "").startswith(f"bytes {have}-")
            if resumed:
                with open(self.partial, "rb") as done:
                    for chunk in iter(lambda: done.read(_CHUNK), b""):
                        digest.update(chunk)
            else:
                have = 0
            length = response.headers.get("Content-Length")
            total = have + int(length) if length and length.isdigit() else self.expected_size
            received = have
            bar = _progress_bar(total, self.label, self.progress)
            bar.update(have)
            try:
                with open(self.partial, "ab" if resumed else "wb") as out:
                    for chunk in iter(lambda: response.read(_CHUNK), b""):
                        out.write(chunk)
                        digest.update(chunk)
                        received += len(chunk)
                        bar.update(len(chunk))
            finally:
                bar.close()
        self.sha256, self.received, self.resumed_at = digest.hexdigest(), received, have


def _progress_bar(total, label, enabled):
    from tqdm.std import tqdm

    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
                disable=not enabled, leave=False)


def _unavailable(dataset: Dataset, reason: str) -> DataUnavailableError:
    where = target_path(dataset.name)
    if dataset.kind == "archive":
        manual = (f"To install it by hand, download {dataset.url}\n"
                  f"  and place the file exactly at: {where}\n"
                  f"  (it is verified against sha256 {dataset.sha256} before use).")
    else:
        manual = (f"To install it by hand, copy its {len(dataset.files)} files (from {dataset.url}"
                  f"<file name>) into the folder: {where}\n"
                  f"  (each file is verified against its sha256 before use).")
    return DataUnavailableError(
        f"data set {dataset.name!r} is not available: {reason}\n"
        f"  URL: {dataset.url}\n  {manual}\n"
        f"  Cache folder: $AXLIB_DATA, else ~/.cache/axlib (now {cache_dir()}).")


# ----------------------------------------------------------------------------- public API

def is_cached(name: str) -> bool:
    """True when a verified copy of data set ``name`` is in the cache.

    Hashes files that carry no valid verification stamp (and stamps the good ones); never
    downloads, moves or deletes.
    """
    dataset = _get(name)
    where = target_path(name)
    if dataset.kind == "archive":
        if not where.is_file():
            return False
        if _stamped(where, dataset.sha256):
            return True
        if sha256_file(where) != dataset.sha256:
            return False
        _write_stamp(where, dataset.sha256)  # a good copy: do not hash it again
        return True
    stamps = _read_folder_stamps(where)
    for item in dataset.files:
        path = where / item.name
        if not path.is_file():
            return False
        if stamps.get(item.name) != [item.sha256, *_stat_key(path)] and sha256_file(path) != item.sha256:
            return False
    return True


def fetch(name: str, *, download: bool = True, progress: bool = True) -> Path:
    """A verified local copy of data set ``name``: the archive's path, or the folder of files.

    download: fetch missing files from the official URL (then mirrors); with False, only a copy
    already in the cache (downloaded earlier or placed by hand) is accepted.
    progress: show a tqdm progress bar.

    Raises ValueError for an unknown name, ChecksumError when a file's sha256 differs (the file
    is deleted or moved aside, never used), DataUnavailableError (a FileNotFoundError) when the
    data set is missing and cannot be downloaded; its message says where to put a manual copy.
    """
    dataset = _get(name)
    if dataset.kind == "files":
        return _fetch_files(dataset, download=download, progress=progress)
    dest = target_path(name)
    if _check_existing(dataset.name, dest, dataset.sha256, dataset.bytes):
        return dest
    if not download:
        raise _unavailable(dataset, f"no copy at {dest} and download=False")
    failures, mismatches = [], []
    for url in dataset.urls:
        try:
            _download(url, dest, sha256=dataset.sha256, dataset=dataset.name,
                      expected_size=dataset.bytes, progress=progress, label=dataset.filename)
            return dest
        except ChecksumError as error:
            mismatches.append(str(error))
        except (OSError, urllib.error.URLError, ValueError) as error:
            failures.append(f"{url}: {error}")
    if mismatches:
        raise ChecksumError("\n".join(mismatches))
    raise _unavailable(dataset, "download failed (offline?):\n    " + "\n    ".join(failures))


_FOLDER_STAMPS = ".verified.json"


def _read_folder_stamps(folder: Path) -> dict:
    try:
        stamps = json.loads((folder / _FOLDER_STAMPS).read_text())
        return stamps if isinstance(stamps, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_folder_stamps(folder: Path, stamps: dict) -> None:
    tmp = folder / (_FOLDER_STAMPS + ".tmp")
    tmp.write_text(json.dumps(stamps, sort_keys=True) + "\n")
    os.replace(tmp, folder / _FOLDER_STAMPS)


def _fetch_files(dataset: Dataset, *, download: bool, progress: bool) -> Path:
    """Verify (and download where missing) each file of a ``files`` data set."""
    folder = target_path(dataset.name)
    folder.mkdir(parents=True, exist_ok=True)
    stamps = _read_folder_stamps(folder)
    missing, rejected = [], []
    for item in dataset.files:
        path = folder / item.name
        if not path.is_file():
            missing.append(item)
            continue
        if stamps.get(item.name) == [item.sha256, *_stat_key(path)]:
            continue
        actual = sha256_file(path)
        if actual == item.sha256:
            stamps[item.name] = [item.sha256, *_stat_key(path)]
        else:
            aside = _move_aside(path)
            stamps.pop(item.name, None)
            rejected.append(_mismatch_message(
                dataset.name, str(path), item.sha256, actual,
                f"The file was NOT used; it was moved aside to {aside}.",
                aside.stat().st_size, item.bytes))
    _write_folder_stamps(folder, stamps)
    if rejected:
        raise ChecksumError("\n".join(rejected) + f"\n{len(rejected)} file(s) rejected; run "
                            f"`axlib data fetch {dataset.name}` to download correct copies.")
    if not missing:
        return folder
    if not download:
        raise _unavailable(dataset, f"{len(missing)} of {len(dataset.files)} files missing in "
                                    f"{folder} (first: {missing[0].name}) and download=False")
    from tqdm.std import tqdm

    failures, mismatches, done = [], [], 0
    for item in tqdm(missing, desc=dataset.name, unit="file", disable=not progress):
        try:
            _download(item.url, folder / item.name, sha256=item.sha256, dataset=dataset.name,
                      expected_size=item.bytes, progress=False, label=item.name, stamp=False)
            stamps[item.name] = [item.sha256, *_stat_key(folder / item.name)]
            done += 1
        except ChecksumError as error:
            mismatches.append(str(error))
        except (OSError, urllib.error.URLError, ValueError) as error:
            failures.append(f"{item.url}: {error}")
            if len(failures) >= 3 and done == 0 and not mismatches:
                break  # the first files all failed: offline; do not try a thousand more
    _write_folder_stamps(folder, stamps)
    if mismatches:
        raise ChecksumError("\n".join(mismatches))
    if failures:
        raise _unavailable(dataset, "download failed (offline?):\n    " + "\n    ".join(failures[:3]))
    return folder


# ----------------------------------------------------------------------------- CLI

def _human(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"


def rehash_cache() -> list[str]:
    """Hash every cached download again, stamps ignored (bit rot keeps size, mtime and inode);
    one line per file that differs from its registered sha256 (nothing is moved: the next
    :func:`fetch` moves it aside). Returns [] when every cached file is good."""
    problems = []
    for dataset in DATASETS.values():
        where = target_path(dataset.name)
        items = [(where, dataset.sha256)] if dataset.kind == "archive" else \
            [(where / item.name, item.sha256) for item in dataset.files]
        for path, expected in items:
            if path.is_file() and sha256_file(path) != expected:
                problems.append(f"cache: {dataset.name}: {path} differs from its sha256 {expected}; "
                                f"`axlib data fetch {dataset.name}` replaces it")
    return problems


def data_cli(args) -> int:
    """``axlib data list | fetch NAME ... | verify`` (verify: data/ against its manifest, and
    every cached download re-hashed); returns the exit status."""
    action = args.action
    if action == "list":
        rows = [(d.name, _human(d.bytes), d.licence.split(";")[0].split(":")[0],
                 "yes" if is_cached(d.name) else "no") for d in DATASETS.values()]
        header = ("name", "size", "licence", "cached")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
        for row in [header, tuple("-" * w for w in widths), *rows]:
            print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        print(f"cache: {cache_dir()}")
        return 0
    if action == "fetch":
        for name in args.names:                 # every name known before anything is downloaded
            if name != "embedded":
                _get(name)
        for name in args.names:
            if name == "embedded":              # the repository's data/ as one archive (pip installs)
                from axlib.data.embedded_archive import fetch_embedded
                print(f"{name}: {fetch_embedded()}")
            else:
                print(f"{name}: {fetch(name)}")
        return 0
    if action == "verify":
        from axlib.data import manifest

        problems = manifest.verify() + rehash_cache()
        for problem in problems:
            print(problem)
        if problems:
            print(f"{len(problems)} problem(s) in {manifest.manifest_path()} or the cache {cache_dir()}",
                  file=sys.stderr)
            return 1
        print(f"data/ matches {manifest.manifest_path().name}: {len(manifest.entries())} files verified; "
              f"cached downloads in {cache_dir()} re-hashed")
        return 0
    raise ValueError(f"unknown data action {action!r}")
