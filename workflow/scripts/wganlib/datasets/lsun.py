"""LSUN scene categories (``lsun-bedroom``, ``lsun-church_outdoor``, ...; Yu et al. 2015), read from
the LMDB export that the LSUN download script (github.com/fyu/lsun, ``download.py -c bedroom``)
produces: ``bedroom_train_lmdb.zip``, unzipped into ``bedroom_train_lmdb/`` (data.mdb, lock.mdb).
As the official WGAN code reads it (torchvision's LSUN class): LMDB keys -> encoded image bytes
(WebP), each brought to ``image_size`` by Resize and CenterCrop (``pictures``), in RGB.

``data.paths.lsun-<category>`` is that ``<category>_train_lmdb`` folder, or the folder holding it
(the official code's ``--dataroot``). The evaluation split is ``<category>_val_lmdb`` when it is
beside it (300 images for the scene categories), else the last ``test_images`` keys of the training
LMDB. LSUN publishes no checksums: the manifest records a SHA-256 of every key and value read.
Nothing is held whole: the LMDB is read in key order, a chunk at a time, and ``max_images`` stops it.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .pictures import DECODE_ERRORS, decode
from .specs import DatasetError, DatasetSpec
from .store import Chunk, Request, write_dataset

log = logging.getLogger(__name__)

CHUNK = 1_000


def build_lsun(request: Request) -> dict[str, Any]:
    """Materialise one LSUN category from its LMDB."""
    category = request.spec.name.removeprefix("lsun-")
    train_db, val_db = _databases(request.local_path, category)
    digest = hashlib.sha256()
    unreadable: list[str] = []
    n_test = request.settings["test_images"]
    with _open(train_db) as train_env:
        total = train_env.stat()["entries"]
        if val_db is None and n_test >= total:
            raise DatasetError(f"{train_db} has {total} images: too few to hold out {n_test} for evaluation")
        n_train = total if val_db is not None else total - n_test
        settings = request.settings
        train = _images(train_env, 0, n_train, settings, digest, unreadable)
        if val_db is None:
            test = _images(train_env, n_train, total, settings, digest, unreadable)
            return _write(request, train, test, train_db, None, digest, unreadable)
        with _open(val_db) as val_env:
            test = _images(val_env, 0, val_env.stat()["entries"], settings, digest, unreadable)
            return _write(request, train, test, train_db, val_db, digest, unreadable)


def _write(request, train, test, train_db: Path, val_db: Path | None, digest, unreadable) -> dict[str, Any]:
    files = [{"name": db.name, "path": str(db), "verified_by": "content-sha256"} for db in (train_db, val_db) if db]
    return write_dataset(
        request,
        train,
        test,
        source={"kind": "lmdb", "location": str(train_db)},
        files=files,
        classes=None,
        extra=lambda: {"content_sha256": digest.hexdigest(), "unreadable": unreadable},
    )


def _databases(path: Path | None, category: str) -> tuple[Path, Path | None]:
    """The training LMDB folder, and the evaluation one if it is beside it."""
    name = f"lsun-{category}"
    if path is None:
        raise DatasetError(
            f"{name} is read from the LSUN LMDB export, which is not downloaded here (tens of GB): get it with "
            f"the LSUN download script (python download.py -c {category}; github.com/fyu/lsun), unzip it, "
            f"and set data.paths.{name} in config/config.yaml to the {category}_train_lmdb folder (config/README.md)"
        )
    path = path.expanduser()
    train = path if (path / "data.mdb").is_file() else path / f"{category}_train_lmdb"
    if not (train / "data.mdb").is_file():
        raise DatasetError(
            f"data.paths.{name}: no LMDB at {path} (neither data.mdb nor {category}_train_lmdb/data.mdb)"
        )
    val = train.with_name(f"{category}_val_lmdb")
    return train, val if (val / "data.mdb").is_file() else None


def _open(path: Path):
    """The LMDB read-only, as torchvision's LSUN class opens it (no lock, no read-ahead)."""
    try:
        import lmdb  # imported here: only LSUN needs it (requirements.txt pins it)
    except ImportError:
        raise DatasetError("reading LSUN needs the Python package lmdb (pip install -r requirements.txt)") from None
    try:
        return lmdb.open(str(path), max_readers=1, readonly=True, lock=False, readahead=False, meminit=False)
    except lmdb.Error as exc:
        raise DatasetError(f"{path} is not a readable LMDB ({exc})") from None


def _entries(txn, start: int, stop: int) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) ``start`` to ``stop`` in key order; a tail (stop = all) is found from the end,
    without reading the entries before it."""
    cursor = txn.cursor()
    if start == 0:
        return itertools.islice(cursor.iternext(keys=True, values=True), stop)
    tail = list(itertools.islice(cursor.iterprev(keys=True, values=False), stop - start)) if cursor.last() else []
    return ((key, txn.get(key)) for key in reversed(tail))


def _images(env, start: int, stop: int, settings: dict[str, Any], digest, unreadable: list[str]) -> Iterator[Chunk]:
    """Entries ``start`` to ``stop`` (in key order) decoded, a chunk at a time."""
    size, policy = settings["image_size"], settings["unreadable"]
    with env.begin(write=False) as txn:
        entries = _entries(txn, start, stop)
        while batch := list(itertools.islice(entries, CHUNK)):
            images = []
            for key, value in batch:
                digest.update(len(key).to_bytes(4, "big") + key + len(value).to_bytes(8, "big") + value)
                try:
                    images.append(decode(value, size, 3))
                except DECODE_ERRORS as exc:
                    if policy == "refuse":
                        raise DatasetError(
                            f"LSUN key {key.decode(errors='replace')} is not an image that can be read ({exc}); "
                            "set its data.settings unreadable: skip to leave such entries out"
                        ) from None
                    unreadable.append(key.decode(errors="replace"))
                    log.warning("lsun: skipped key %s, unreadable (%s)", key.decode(errors="replace"), exc)
            if images:
                yield np.stack(images), np.zeros(len(images), np.int64)


def lsun_spec(name: str) -> DatasetSpec:
    """The spec of LSUN category ``lsun-<category>``."""
    return DatasetSpec(
        name=name,
        image_size=64,
        channels=3,
        labelled=False,  # scenes of one category: no classes
        settings={"image_size": 64, "unreadable": "refuse", "test_images": 300, "max_images": None},
        build=build_lsun,
    )
