"""The manifest beside each materialised ``.npz``: what was read from where, the checksums that
verified it, the counts, every source tried; and the later check that the ``.npz`` is unchanged
(``verify_existing``, which hashes a file once and stamps it)."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from wganlib.common.io import atomic_path, write_json

from .checks import _file_hash
from .npz import _write_npz
from .specs import DatasetError, DatasetSpec, Loaded, Source

log = logging.getLogger(__name__)

MANIFEST_VERSION = 1


# A stamp is kept only for a file last changed this long before its hash began (see verify_existing).
STAMP_MARGIN_NS = 2_000_000_000


def verify_existing(npz: str | os.PathLike, manifest: str | os.PathLike) -> None:
    """Raise DatasetError unless ``npz`` still has the SHA-256 its manifest recorded.

    Every training job checks its dataset before it starts, and hashing all of it each time costs
    minutes for a large memory-mapped one (LSUN bedrooms: tens of GB). So the whole file is hashed
    once: a hash that matches leaves a stamp beside it (``stamp_path``: the digest with the file's
    size, mtime, ctime, inode and device), and a later check whose file still shows exactly these
    (and whose manifest the same digest) is done without reading it. The trade-off: anything that
    writes the file, truncates it, replaces it or copies it elsewhere changes its size, ctime or
    inode (setting the old mtime back with ``touch`` or ``os.utime`` changes the ctime), so it is
    still caught at the next start; what is no longer caught at every start is damage that bypasses
    the file system, such as a disk's silent corruption of an unchanged file. Delete the stamp to
    have the next start hash the file again. As git does for its index, a file changed less than
    STAMP_MARGIN_NS before its hash began gets no stamp, since a second change within the same
    timestamp tick would not show in its stat; its next check hashes it again.
    """
    npz, manifest = Path(npz), Path(manifest)
    fix = f"delete {npz} and {manifest} and rerun the workflow to download it again"
    try:
        recorded = json.loads(manifest.read_text(encoding="utf-8"))["npz"]
        expected = recorded["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"cannot read the checksum in {manifest} ({exc}); {fix}") from None
    if not npz.is_file():
        raise DatasetError(f"{npz} is missing; {fix}")
    before = _identity(npz)
    if recorded.get("bytes") not in (None, before["bytes"]):
        raise DatasetError(
            f"{npz} is corrupt or was changed: {before['bytes']} bytes, its manifest says {recorded['bytes']}; {fix}"
        )
    if _read_stamp(npz) == {"sha256": expected, **before}:
        return
    started = time.time_ns()
    actual = _file_hash(npz, "sha256")
    if actual != expected:
        raise DatasetError(f"{npz} is corrupt or was changed: sha256 {actual}, its manifest says {expected}; {fix}")
    if _identity(npz) == before and max(before["mtime_ns"], before["ctime_ns"]) < started - STAMP_MARGIN_NS:
        try:
            write_json(stamp_path(npz), {"sha256": expected, **before})
        except OSError as exc:  # a read-only dataset folder: every start hashes the file
            log.warning("%s verified, but its stamp cannot be kept (%s): the next start hashes it again", npz, exc)


def stamp_path(npz: Path) -> Path:
    """The stamp of a verified ``.npz``, beside it."""
    return npz.with_name(f".{npz.name}.verified.json")


def _identity(path: Path) -> dict[str, int]:
    """What any write to, or replacement of, the file changes."""
    st = path.stat()
    return {
        "bytes": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "ctime_ns": st.st_ctime_ns,
        "inode": st.st_ino,
        "device": st.st_dev,
    }


def _read_stamp(npz: Path) -> dict[str, Any] | None:
    try:
        return json.loads(stamp_path(npz).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_outputs(
    spec: DatasetSpec,
    source: Source,
    loaded: Loaded,
    attempts: list[dict[str, str]],
    out_npz: Path,
    out_manifest: Path,
    listing: str | None = None,
) -> dict[str, Any]:
    with atomic_path(out_npz) as tmp:
        _write_npz(tmp, loaded.arrays)
        npz_sha256, npz_bytes = _file_hash(tmp, "sha256"), tmp.stat().st_size
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "dataset": spec.name,
        "source": {"kind": source.kind, "location": source.location},
        "listing": listing,
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
