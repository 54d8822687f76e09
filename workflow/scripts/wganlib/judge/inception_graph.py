"""The standard FID network's file, fetched once: ``classify_image_graph_def.pb``, the Inception graph
that the original FID code (TTUR, bioinf-jku/TTUR ``fid.py``) and most papers compute FID with, from
TensorFlow's ``inception-2015-12-05.tgz``. No TensorFlow: ``wganlib.judge.inception`` loads it.

Sources, in order: the user's copy (``evaluation.inception.path``: the ``.tgz``, the ``.pb`` it
holds, or a folder holding either), then ``evaluation.inception.url`` (TTUR's URL; a mirror may
serve the ``.tgz`` or the ``.pb``). A download must arrive whole (its Content-Length); one that
breaks off keeps its bytes beside the output (a ``.partial`` file), and the next attempt resumes
it with a byte range. The graph is taken out of the archive by name (nothing else is extracted).
When ``evaluation.inception.sha256`` is set the graph must have that SHA-256; the graph is renamed
into place only then, and its manifest (SHA-256, source, every source tried) is written last. A
failed source leaves nothing behind but a broken-off download's bytes, and the next one is tried;
when all fail, one error says what to download and where to put it.

No checksum is published with the graph (TTUR, pytorch-fid and torch-fidelity pin none for the
``.pb``, only for their PyTorch ports), so none is built in. Without ``sha256`` the graph is
accepted on its structure, which the evaluation jobs check when they load it (the input and
pool_3 tensors of TTUR's graph, their shapes), and the log gives its SHA-256 to pin. Either way the
manifest's SHA-256 is what every later job verifies the file against (``verify_existing``).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import tarfile
import tempfile
import zlib
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlparse

from wganlib.common.io import WriteError, write_json
from wganlib.datasets.checks import _file_hash
from wganlib.datasets.downloads import fetch_verified
from wganlib.datasets.specs import CHUNK_BYTES, SourceError

from .judges import FEATURES, INCEPTION

log = logging.getLogger(__name__)

URL = "http://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz"
ARCHIVE = "inception-2015-12-05.tgz"
GRAPH = "classify_image_graph_def.pb"
ARCHIVE_SUFFIXES = (".tgz", ".tar.gz")


class InceptionError(RuntimeError):
    """The Inception graph could not be obtained, is not the graph FID is computed with, or was
    changed since it was fetched."""


def fetch(
    out_graph: str | os.PathLike,
    out_manifest: str | os.PathLike,
    *,
    path: str | os.PathLike | None = None,
    url: str | None = URL,
    sha256: str | None = None,
    timeout: float = 60.0,
) -> dict[str, Any]:
    """Write the graph from the first source that passes every check, then its manifest; return it."""
    out_graph, out_manifest = Path(out_graph), Path(out_manifest)
    out_graph.parent.mkdir(parents=True, exist_ok=True)
    sources = [("local", str(Path(path).expanduser()))] if path else []
    sources += [("url", url)] if url else []
    attempts: list[dict[str, Any]] = []
    for kind, location in sources:
        log.info("inception: trying %s %s", kind, location)
        try:
            digest, size = _install(kind, location, out_graph, sha256, timeout)
        except WriteError:
            raise  # a full disk is no reason to try the next source
        except (SourceError, OSError, EOFError, zlib.error, tarfile.TarError) as exc:
            log.warning("inception: %s %s failed: %s", kind, location, exc)
            attempts.append({"kind": kind, "location": location, "error": str(exc)})
            continue
        attempts.append({"kind": kind, "location": location, "error": None})
        if sha256 is None:
            log.warning(
                "inception: no SHA-256 is pinned for %s (none is published); its structure is checked when it is "
                "loaded. Its SHA-256 is %s: set evaluation.inception.sha256 to it to require these bytes",
                GRAPH,
                digest,
            )
        manifest = {
            "file": GRAPH,
            "path": str(out_graph),
            "sha256": digest,
            "bytes": size,
            "verified_by": "sha256" if sha256 else "structure, when loaded",
            "source": {"kind": kind, "location": location},
            "attempts": attempts,
            "features": FEATURES[INCEPTION],
        }
        write_json(out_manifest, manifest)  # written last: a manifest means the graph is complete
        log.info("inception: %s from %s %s (sha256 %s)", out_graph, kind, location, digest)
        return manifest
    raise InceptionError(_every_source_failed(attempts))


def _every_source_failed(attempts: list[dict[str, Any]]) -> str:
    lines = [f"  {i}. {a['kind']} {a['location']}: {a['error']}" for i, a in enumerate(attempts, 1)]
    return (
        "could not obtain the Inception graph that FID is computed with (a dataset without labels is judged "
        "by it); " + ("every source failed:\n" + "\n".join(lines) if lines else "no source is configured") + "\n"
        f"What you can do: on a machine with internet access download {URL} (the file TTUR's fid.py takes "
        f"{GRAPH} from), then set evaluation.inception.path in your config to that {ARCHIVE} or to the {GRAPH} "
        "it holds (config/README.md, evaluation); it is copied into resources/inception/ once. "
        "Or set evaluation.inception.url to a mirror of it."
    )


def _install(kind: str, location: str, out_graph: Path, sha256: str | None, timeout: float) -> tuple[str, int]:
    """Bring the graph from one source to ``out_graph`` (a rename, once verified): (SHA-256, bytes).
    A download that breaks off keeps its bytes beside the graph, and the next attempt asks only for
    the rest (``downloads.fetch_verified``); one that arrives whole but fails a check is discarded."""
    if kind == "url":  # a mirror may serve the archive or the graph itself
        name = Path(urlparse(location).path).name or ARCHIVE
        take = functools.partial(_take_graph, out_graph=out_graph, sha256=sha256)
        return fetch_verified(location, name, timeout, out_graph.parent, take, keep=False)
    return _take_graph(_local_file(Path(location)), out_graph, sha256)


def _take_graph(source: Path, out_graph: Path, sha256: str | None) -> tuple[str, int]:
    """The graph out of ``source`` (the archive, by name, or the graph), checked, to ``out_graph``."""
    with tempfile.TemporaryDirectory(prefix=".graph-", dir=out_graph.parent) as work:
        graph = Path(work) / GRAPH
        with _graph_stream(source) as stream, open(graph, "wb") as out:
            digest, size = _copy_hashing(stream, out)
        if sha256 is not None and digest != sha256:
            raise SourceError(f"checksum mismatch: sha256 {digest}, expected {sha256} (evaluation.inception.sha256)")
        os.chmod(graph, 0o644)
        os.replace(graph, out_graph)  # the same filesystem: the graph appears whole or not at all
    return digest, size


def _local_file(path: Path) -> Path:
    """The user's archive or graph: ``path`` itself, or the one in the folder ``path``."""
    if path.is_dir():
        for name in (GRAPH, ARCHIVE):
            if (path / name).is_file():
                return path / name
        raise SourceError(f"{path} holds neither {GRAPH} nor {ARCHIVE}")
    if not path.is_file():
        raise SourceError(f"{path} does not exist")
    return path


def _graph_stream(source: Path):
    """The graph's bytes: the archive's member named GRAPH, or the file itself."""
    if not source.name.endswith(ARCHIVE_SUFFIXES):
        return open(source, "rb")
    archive = tarfile.open(source, "r:gz")
    try:
        member = next((m for m in archive if m.isfile() and Path(m.name).name == GRAPH), None)
        if member is None:
            raise SourceError(f"{source.name} holds no {GRAPH}")
        stream = archive.extractfile(member)
    except BaseException:
        archive.close()
        raise
    return _Closing(stream, archive)


class _Closing:
    """A member's stream that closes its archive with it."""

    def __init__(self, stream: BinaryIO, archive: tarfile.TarFile):
        self.stream, self.archive = stream, archive

    def __enter__(self) -> BinaryIO:
        return self.stream

    def __exit__(self, *exc: object) -> None:
        self.stream.close()
        self.archive.close()


def _copy_hashing(stream: BinaryIO, out: BinaryIO) -> tuple[str, int]:
    """Copy in CHUNK_BYTES pieces, to disk before returning; (SHA-256, bytes)."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK_BYTES):
        out.write(chunk)
        digest.update(chunk)
        size += len(chunk)
    out.flush()
    os.fsync(out.fileno())
    if size == 0:
        raise SourceError(f"{GRAPH} is empty")
    return digest.hexdigest(), size


def verify_existing(graph: str | os.PathLike, manifest: str | os.PathLike) -> dict[str, Any]:
    """The manifest, once ``graph`` is found to have the SHA-256 it records; InceptionError otherwise."""
    graph, manifest = Path(graph), Path(manifest)
    fix = f"delete {graph} and {manifest} and rerun the workflow to fetch it again"
    try:
        record = json.loads(manifest.read_text(encoding="utf-8"))
        expected = record["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InceptionError(f"cannot read the checksum in {manifest} ({exc}); {fix}") from None
    if not graph.is_file():
        raise InceptionError(f"{graph} is missing; {fix}")
    actual = _file_hash(graph, "sha256")
    if actual != expected:
        raise InceptionError(f"{graph} is corrupt or was changed: sha256 {actual}, its manifest says {expected}; {fix}")
    return record
