"""The whole dataset in one ``.npz`` (x_train, y_train, x_test, y_test): read one a source offers,
write the output byte-for-byte reproducibly, read back a materialised one."""

from __future__ import annotations

import io
import logging
import mmap
import os
import zipfile
from pathlib import Path

import numpy as np

from .checks import _check_arrays, _file_hash
from .specs import IMAGE_SHAPE, KEYS, DatasetError, DatasetSpec, Loaded, SourceError

log = logging.getLogger(__name__)


def load(npz_path: str | os.PathLike, *, mmap: bool = False) -> dict[str, np.ndarray]:
    """Read a materialised dataset: x_train, y_train, x_test, y_test, checked for shape and range.

    ``mmap``: x_train, when stored uncompressed (the datasets ``store`` writes), is a read-only
    np.memmap of the file, so a dataset larger than memory is read a batch at a time.
    """
    try:
        with np.load(npz_path, allow_pickle=False) as data:
            missing = [key for key in KEYS if key not in data.files]
            if missing:
                raise SourceError(f"it lacks {', '.join(missing)}")
            mapped = _memmap_member(Path(npz_path), "x_train.npy") if mmap else None
            arrays = {key: mapped if key == "x_train" and mapped is not None else data[key] for key in KEYS}
        n_classes = 10 if arrays["x_train"].shape[1:] == IMAGE_SHAPE else None  # the MNIST family: 0-9
        _check_arrays(arrays, None, n_classes)
    except (SourceError, OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DatasetError(f"{npz_path} is not a valid dataset ({exc}); delete it and rerun") from None
    return arrays


def _memmap_member(path: Path, member: str) -> np.memmap | None:
    """The .npy ``member`` of a zip as a read-only memmap, when it is stored uncompressed; else None."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(member)
    if info.compress_type != zipfile.ZIP_STORED:
        return None
    with open(path, "rb") as handle:
        handle.seek(info.header_offset)
        local = handle.read(30)  # the local file header: its name and extra field lengths at 26 and 28
        if local[:4] != b"PK\x03\x04":
            raise SourceError(f"{member}: no local file header at offset {info.header_offset}")
        handle.seek(
            info.header_offset + 30 + int.from_bytes(local[26:28], "little") + int.from_bytes(local[28:30], "little")
        )
        version = np.lib.format.read_magic(handle)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, fortran, dtype = read_header(handle)
        offset = handle.tell()
    mapped = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape, order="F" if fortran else "C")
    if hasattr(mmap, "MADV_RANDOM") and mapped._mmap is not None:  # noqa: SLF001 (numpy keeps its mmap there)
        mapped._mmap.madvise(mmap.MADV_RANDOM)  # noqa: SLF001 batches are random rows: no read-ahead around them
    return mapped


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
