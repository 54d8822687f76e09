"""CIFAR-10 from its authors' archive (cifar-10-python.tar.gz, MD5 as published on
https://www.cs.toronto.edu/~kriz/cifar.html), read from its own pickled batches: no framework's
dataset loader.

Sources, in order, as the MNIST family's: the user's ``data.paths.cifar10`` (the archive, a folder
holding it, or its extracted ``cifar-10-batches-py`` folder, which has no published checksum and is
accepted on structure alone), the cache of verified downloads, then the mirrors. A download is
verified before it enters the cache, and one that breaks off is resumed by the next attempt
(``downloads``): the archive is 170 MB.

The batches are Python pickles; they are read with an unpickler that builds numpy arrays and
nothing else, so a file that is not what it claims cannot run code.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import logging
import pickle
import tarfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .downloads import fetch_verified
from .specs import DatasetError, DatasetSpec, SourceError
from .store import Request, write_dataset

log = logging.getLogger(__name__)

ARCHIVE = "cifar-10-python.tar.gz"
ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def build_cifar10(request: Request) -> dict[str, Any]:
    """Materialise CIFAR-10 from the first source that passes every check."""
    attempts: list[dict[str, Any]] = []
    for kind, location in _sources(request):
        log.info("cifar10: trying %s %s", kind, location)
        try:
            batches, record = _read_source(kind, location, request)
        except (SourceError, OSError, EOFError, zlib.error, tarfile.TarError, pickle.UnpicklingError) as exc:
            log.warning("cifar10: %s %s failed: %s", kind, location, exc)
            attempts.append({"kind": kind, "location": location, "error": str(exc)})
            continue
        attempts.append({"kind": kind, "location": location, "error": None})
        train = (batches[name] for name in TRAIN_BATCHES)
        return write_dataset(
            request,
            train,
            [batches[TEST_BATCH]],
            source={"kind": kind, "location": location},
            files=[record],
            classes=CLASSES,
            extra={"attempts": attempts},
        )
    lines = [f"  {i}. {a['kind']} {a['location']}: {a['error']}" for i, a in enumerate(attempts, 1)]
    raise DatasetError(
        "could not obtain dataset 'cifar10'; every source failed:\n" + "\n".join(lines) + "\n"
        f"What you can do: download {ARCHIVE} (MD5 {ARCHIVE_MD5}) from https://www.cs.toronto.edu/~kriz/cifar.html "
        "and set data.paths.cifar10 in config/config.yaml to it (or to the folder holding it)."
    )


def _sources(request: Request) -> list[tuple[str, str]]:
    sources = [("local", str(request.local_path))] if request.local_path else []
    if request.cache is not None and (request.cache / ARCHIVE).is_file():
        sources.append(("cache", str(request.cache / ARCHIVE)))
    return sources + [("mirror", url) for url in request.mirrors]


def _read_source(kind: str, location: str, request: Request) -> tuple[dict, dict[str, Any]]:
    """The six batches as (images, labels) and the record of the file they came from."""
    if kind == "mirror":
        return _download_archive(location, request)
    path = Path(location).expanduser()
    if path.is_dir() and (path / ARCHIVE).is_file():
        path = path / ARCHIVE
    elif path.is_dir() and (path / FOLDER).is_dir():
        path = path / FOLDER
    if path.is_dir():  # the extracted batches: no published checksum for them
        log.warning("cifar10: %s has no published checksum; accepted on structure checks only", path)
        batches = {name: _read_batch_file(path / name) for name in (*TRAIN_BATCHES, TEST_BATCH)}
        return batches, {"name": path.name, "path": str(path), "verified_by": "structure-only"}
    if not path.is_file():
        raise SourceError(f"{path} is neither {ARCHIVE}, a folder holding it, nor {FOLDER}")
    return _read_archive(path, {"path": str(path)}, request.spec.archive_md5)


def _read_batch_file(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch of the extracted folder; SourceError naming the file and what to do."""
    if not path.is_file():
        raise SourceError(f"{path} is missing; extract {ARCHIVE} again, or point data.paths.cifar10 at the archive")
    try:
        return _parse_batch(path.read_bytes(), str(path))
    except SourceError as exc:
        raise SourceError(f"{exc}; extract {ARCHIVE} again, or point data.paths.cifar10 at the archive") from None


def _listing(path: Path, settings: dict[str, Any]) -> list[Path]:
    """The files a local source reads (the spec's ``listing``): the archive, or the six batches."""
    if path.is_dir() and (path / ARCHIVE).is_file():
        return [path / ARCHIVE]
    folder = path / FOLDER if path.is_dir() and (path / FOLDER).is_dir() else path
    if folder.is_dir():
        return [folder / name for name in (*TRAIN_BATCHES, TEST_BATCH)]
    return [path] if path.is_file() else []


def _download_archive(url: str, request: Request) -> tuple[dict, dict[str, Any]]:
    """Download (resuming an unfinished download in the cache), verify, read, keep in the cache."""
    md5 = request.spec.archive_md5
    return fetch_verified(url, ARCHIVE, request.timeout, request.cache, lambda p: _read_archive(p, {"url": url}, md5))


def _read_archive(path: Path, where: dict[str, str], expected: str | None) -> tuple[dict, dict[str, Any]]:
    """Verify the archive's MD5 (the spec's: the published one), then read its batches."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    md5 = digest.hexdigest()
    if md5 != expected:
        raise SourceError(f"checksum mismatch for {path.name}: md5 {md5}, expected {expected}")
    batches = {}
    with tarfile.open(path, "r:gz") as archive:
        for name in (*TRAIN_BATCHES, TEST_BATCH):
            try:
                member = archive.extractfile(f"{FOLDER}/{name}")
            except KeyError:
                member = None
            if member is None:
                raise SourceError(f"{path.name} has no {FOLDER}/{name}")
            batches[name] = _parse_batch(member.read(), f"{path.name}: {FOLDER}/{name}")
    record = {"name": ARCHIVE, **where, "bytes": path.stat().st_size, "md5": md5, "verified_by": "md5"}
    return batches, record


class _Refused(pickle.UnpicklingError):
    """A batch whose pickle asks for something other than numpy arrays."""


class _ArraysOnly(pickle.Unpickler):
    """Unpickles dicts, lists, bytes and numpy arrays; refuses every other global."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"): ("numpy", "ndarray"),
        ("numpy", "dtype"): ("numpy", "dtype"),
        # bytes as Python 3 writes them in protocol 2 (a str re-encoded): a data transform, no code
        ("_codecs", "encode"): ("_codecs", "encode"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.ALLOWED:
            raise _Refused(f"refused: the batch asks for {module}.{name}, not a numpy array")
        target_module, target_name = self.ALLOWED[(module, name)]
        return getattr(importlib.import_module(target_module), target_name)


def _parse_batch(content: bytes, name: str) -> tuple[np.ndarray, np.ndarray]:
    """One pickled batch -> uint8 (N, 32, 32, 3) images and labels 0-9 (rows: 1,024 red, green, blue)."""
    try:
        batch = _ArraysOnly(io.BytesIO(content), encoding="bytes").load()
    except _Refused as exc:
        raise SourceError(f"{name} is not a CIFAR-10 batch ({exc})") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        raise SourceError(f"{name} is not a CIFAR-10 batch: damaged or cut short ({exc})") from None
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        raise SourceError(f"{name} is not a CIFAR-10 batch (no data and labels)")
    data, labels = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"])
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
        raise SourceError(f"{name}: data is {data.dtype} {data.shape}, expected uint8 (N, 3072)")
    if labels.shape != (len(data),) or not np.issubdtype(labels.dtype, np.integer):
        raise SourceError(f"{name}: {labels.shape} labels for {len(data)} images")
    if len(labels) and (labels.min() < 0 or labels.max() > 9):
        raise SourceError(f"{name}: labels outside 0-9")
    return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1), labels


CIFAR10 = DatasetSpec(
    name="cifar10",
    mirrors=(f"https://www.cs.toronto.edu/~kriz/{ARCHIVE}",),
    archive_md5=ARCHIVE_MD5,
    image_size=32,
    channels=3,
    settings={"max_images": None},
    build=build_cifar10,
    listing=_listing,
    counts=lambda path, settings, files: {
        "train": min(50_000, settings["max_images"] or 50_000),
        "test": 10_000,
        "at_most": False,
    },
)
