"""The mirrors: stream each file into a temporary folder, verify it, and keep verified IDX
downloads in the cache (``cache_dir/<dataset>/``) so the next run need not fetch them again."""

from __future__ import annotations

import http.client
import logging
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from .idx import _read_idx
from .npz import _load_npz
from .specs import CHUNK_BYTES, DatasetSpec, Loaded, SourceError

log = logging.getLogger(__name__)


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
