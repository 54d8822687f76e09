"""The mirrors: stream each file into the cache (``cache_dir/<dataset>/``), resuming a download an
earlier attempt left unfinished, verify it, and keep it there so the next run need not fetch it.

A download in progress is ``<name>.<digest of its URL>.partial`` in the cache: one per URL, so
that one mirror's bytes never complete another's file. The next attempt asks for the rest
(``Range: bytes=N-``) and appends what a 206 whose ``Content-Range`` starts at N brings; a server
that answers 200 (no byte ranges) sends the whole file, which replaces the partial one. A partial
file longer than the server's file is discarded and downloaded again, with a warning.

A complete download moves under its own name into a temporary folder beside the cache, is
verified there, and only then moves into the cache: the cache never holds a file that has not
passed its checksum. A download that fails its checksum is discarded, and the error says so.
Without a cache the partial file lives in that temporary folder, and nothing is resumed.
"""

from __future__ import annotations

import glob
import hashlib
import http.client
import logging
import os
import re
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .idx import _read_idx
from .npz import _load_npz
from .specs import CHUNK_BYTES, DatasetSpec, IdxFile, Loaded, SourceError

log = logging.getLogger(__name__)

T = TypeVar("T")


class _StartOver(Exception):
    """The partial download cannot be continued (why: the message); it is discarded."""


def partial_path(folder: Path, name: str, url: str) -> Path:
    """Where the unfinished download of ``url`` (saved as ``name``) is kept."""
    return folder / f"{name}.{hashlib.sha256(url.encode()).hexdigest()[:12]}.partial"


def fetch_verified(
    url: str, name: str, timeout: float, cache: Path | None, verify: Callable[[Path], T], keep: bool = True
) -> T:
    """Download ``url`` (resuming its partial download in ``cache``), check it with ``verify``
    under its own ``name``, then keep it in ``cache`` (when given and ``keep``); verify's result.
    SourceError on any failure: a break-off keeps what arrived, a failed check discards it."""
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
    # Beside the cache: the same filesystem, so files move in and out by rename.
    with tempfile.TemporaryDirectory(prefix=".download-", dir=cache.parent if cache else None) as work:
        partial = partial_path(cache if cache is not None else Path(work), name, url)
        try:
            kept = _download(url, partial, timeout)
        except SourceError as exc:
            if cache is None or not partial.is_file():
                raise
            size = partial.stat().st_size
            raise SourceError(f"{exc}; its first {size:,} bytes are kept in {partial} for the next attempt") from None
        path = Path(work) / name
        os.replace(partial, path)
        try:
            result = verify(path)
        except SourceError as exc:
            earlier = f", {kept:,} bytes of it from an earlier attempt," if kept else ""
            raise SourceError(f"{exc}; the download{earlier} was discarded: the next attempt fetches it anew") from None
        if cache is not None and keep:
            os.replace(path, cache / name)
            log.info("verified download of %s kept in %s", url, cache)
    if cache is not None:  # partial downloads of the same file from other mirrors: no longer needed
        for stale in cache.glob(f"{glob.escape(name)}.*.partial"):
            stale.unlink(missing_ok=True)
    return result


def _download(url: str, partial: Path, timeout: float) -> int:
    """Bring ``partial`` to the whole of ``url``; return how many of its bytes an earlier attempt
    had fetched. SourceError on any failure, with the bytes received left in ``partial``."""
    have = partial.stat().st_size if partial.is_file() else 0
    try:
        return _request(url, partial, have, timeout)
    except _StartOver as why:
        log.warning("%s: discarded, downloading it again from the start", why)
        partial.unlink(missing_ok=True)
        return _request(url, partial, 0, timeout)
    finally:
        if partial.is_file() and partial.stat().st_size == 0:
            partial.unlink()


def _request(url: str, partial: Path, have: int, timeout: float) -> int:
    """One request: the bytes after the ``have`` in ``partial`` (all of them when 0)."""
    log.info("downloading %s%s", url, f" from byte {have:,} on (resuming)" if have else "")
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    start = received = total = 0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            start, total = _continues_at(response, have, url, partial)
            with open(partial, "r+b" if start else "wb") as out:
                out.seek(start)
                out.truncate()
                received = start + _copy_with_progress(response, out, start, total, url)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # nothing after byte `have`: complete, or longer than the file
            size = _content_range(exc.headers.get("Content-Range"))[2]
            if size == have:
                log.info("%s: the partial download %s is complete", url, partial.name)
                return have
            raise _StartOver(
                f"the partial download {partial} ({have:,} bytes) is longer than {url} "
                + (f"({size:,} bytes)" if size else "(its size not given)")
            ) from None
        raise SourceError(f"HTTP {exc.code} {exc.reason} for {url}") from None
    except TimeoutError:
        raise SourceError(f"timed out: no data for {timeout:g} s from {url}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise SourceError(f"timed out: no answer in {timeout:g} s from {url}") from None
        raise SourceError(f"cannot reach {url}: {exc.reason}") from None
    except (http.client.HTTPException, OSError) as exc:  # a reset connection, a broken chunk
        raise SourceError(f"download of {url} broke off: {exc!r}") from None
    if total and received != total:
        raise SourceError(f"download of {url} broke off after {received:,} of {total:,} bytes")
    return start


def _continues_at(response: Any, have: int, url: str, partial: Path) -> tuple[int, int]:
    """(the byte the response starts at, the file's size or 0 if unknown) for a request of the
    bytes after ``have``."""
    length = int(response.headers.get("Content-Length") or 0)
    if not have:
        return 0, length
    if getattr(response, "status", None) != 206:
        log.info("%s does not send parts of files (status %s): downloading it whole", url, response.status)
        return 0, length
    first, _, size = _content_range(response.headers.get("Content-Range"))
    if first != have:
        raise _StartOver(f"{url} answered the request for the bytes of {partial} from {have:,} on with byte {first}")
    return have, size or have + length


def _content_range(header: str | None) -> tuple[int | None, int | None, int | None]:
    """(first, last, size) of ``bytes first-last/size`` or ``bytes */size``; None where absent."""
    match = re.fullmatch(r"bytes (?:(\d+)-(\d+)|\*)/(\d+|\*)", (header or "").strip())
    if match is None:
        return None, None, None
    return tuple(int(v) if v and v != "*" else None for v in match.groups())  # type: ignore[return-value]


def _copy_with_progress(response: Any, out: Any, start: int, total: int, url: str) -> int:
    """Copy in CHUNK_BYTES pieces, the file's first ``start`` bytes already there; log every 10%
    (or every 8 MiB when the size is unknown). The bytes copied."""
    received, next_report = start, (int(10 * start / total) + 1) / 10 if total else 0.1
    while chunk := response.read(CHUNK_BYTES):
        out.write(chunk)
        received += len(chunk)
        if total and received >= next_report * total:
            log.info("  %s: %3.0f%% of %.1f MB", url, 100 * received / total, total / 1e6)
            next_report = (int(10 * received / total) + 1) / 10
        elif not total and received % (8 * CHUNK_BYTES) < len(chunk):
            log.info("  %s: %.1f MB", url, received / 1e6)
    return received - start


def _load_idx_mirror(base_url: str, spec: DatasetSpec, timeout: float, cache: Path | None) -> Loaded:
    """The four IDX files from ``base_url``; each verified file stays in the cache at once, so an
    attempt that breaks off at a later file fetches only what is still missing the next time."""
    if not spec.idx_files:
        raise SourceError(f"{spec.name} is not made of IDX files")
    loaded = Loaded({}, [])
    for idx in spec.idx_files:
        url = base_url.rstrip("/") + "/" + idx.name
        found = _cached_idx(cache, idx) if cache is not None else None
        if found is not None:
            array, record = found
        else:
            array, record = fetch_verified(
                url, idx.name, timeout, cache, lambda p, i=idx: _read_idx(p, i, allow_unverified=False)
            )
            record["url"] = url
        loaded.arrays[idx.key] = array
        loaded.files.append(record)
    return loaded


def _cached_idx(cache: Path, idx: IdxFile) -> tuple[Any, dict[str, Any]] | None:
    """A file an earlier attempt verified and kept, verified again; None (and it is removed) if
    it is not there or no longer passes."""
    path = cache / idx.name
    if not path.is_file():
        return None
    try:
        array, record = _read_idx(path, idx, allow_unverified=False)
    except SourceError as exc:
        log.warning("%s: %s; removed from the cache, fetching it again", path, exc)
        path.unlink()
        return None
    return array, record | {"path": str(path)}


def _load_npz_mirror(url: str, spec: DatasetSpec, timeout: float, cache: Path | None) -> Loaded:
    """The whole dataset as one ``.npz``; resumed in the cache, not kept (the materialised
    ``.npz`` is the dataset)."""
    if spec.npz_sha256 is None:
        raise SourceError(f"no known SHA-256 for a downloaded .npz of {spec.name}")
    name = Path(urllib.parse.urlparse(url).path).name or f"{spec.name}.npz"
    loaded = fetch_verified(
        url, name, timeout, cache, lambda path: _load_npz(path, spec, require_checksum=True), keep=False
    )
    (record,) = loaded.files
    record.pop("path")  # the temporary download path means nothing later
    record["url"] = url
    return loaded
