"""The manifest beside each materialised ``.npz``: what was read from where, the checksums that
verified it, the counts, every source tried; and the later check that the ``.npz`` is unchanged."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from wganlib.io import atomic_path, write_json

from .checks import _file_hash
from .npz import _write_npz
from .specs import DatasetError, DatasetSpec, Loaded, Source

log = logging.getLogger(__name__)

MANIFEST_VERSION = 1


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
