"""IDX files (the format MNIST is published in): find them in a folder, verify each by the MD5 of
its ``.gz`` or the SHA-256 of its content, and parse it into an array."""

from __future__ import annotations

import gzip
import hashlib
import logging
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .specs import IMAGE_SHAPE, DatasetSpec, IdxFile, Loaded, SourceError

log = logging.getLogger(__name__)


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
