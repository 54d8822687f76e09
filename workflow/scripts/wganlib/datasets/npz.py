"""The whole dataset in one ``.npz`` (x_train, y_train, x_test, y_test): read one a source offers,
write the output byte-for-byte reproducibly, read back a materialised one."""

from __future__ import annotations

import io
import logging
import os
import zipfile
from pathlib import Path

import numpy as np

from .checks import _check_arrays, _file_hash
from .specs import KEYS, DatasetError, DatasetSpec, Loaded, SourceError

log = logging.getLogger(__name__)


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


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Like np.savez_compressed, but with fixed zip timestamps so equal data gives equal bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for key in KEYS:
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(arrays[key]), allow_pickle=False)
            archive.writestr(info, buffer.getvalue())
