"""Atomic file writing: a killed job never leaves a half-written file at an output path."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class WriteError(OSError):
    """A file could not be written (disk full, read-only or missing folder): say which and what to do."""


def _write_error(path: Path, err: OSError) -> WriteError:
    reason = err.strerror or str(err)
    return WriteError(
        err.errno,
        f"cannot write {path}: {reason}. Free some disk space or make the folder writable, then run the "
        "same command again: finished results and checkpoints are kept.",
    )


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only if the block succeeds.

    The temporary name ends like the final name (``.weights.h5``, ``.png``), so writers that
    pick a format from the name (numpy, imageio, matplotlib, Keras) still work.
    """
    path = Path(path)
    suffix = "".join(path.suffixes[-2:])
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{suffix}")
        os.close(fd)
    except OSError as err:
        raise _write_error(path, err) from err
    tmp = Path(name)
    try:
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are meant to be shared
        yield tmp
        with open(tmp, "rb+") as handle:  # data on disk before the rename makes it visible
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except WriteError:
        raise
    except OSError as err:
        raise _write_error(path, err) from err
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text(path: str | os.PathLike, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike, obj: Any) -> None:
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, allow_nan=True) + "\n")
