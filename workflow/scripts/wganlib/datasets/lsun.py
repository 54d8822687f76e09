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
An entry that is not a readable image is handled as ``folder`` handles such a file (``unreadable``);
an LMDB whose pages are damaged is refused, naming it.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .pictures import SHOWN, Unreadable, decode, unreadable_message
from .specs import DatasetError, DatasetSpec
from .store import Chunk, Request, write_dataset

log = logging.getLogger(__name__)

CHUNK = 1_000


def build_lsun(request: Request) -> dict[str, Any]:
    """Materialise one LSUN category from its LMDB."""
    category = request.spec.name.removeprefix("lsun-")
    train_db, val_db = _databases(request.local_path, category)
    digest = hashlib.sha256()
    unreadable: dict[str, str] = {}
    n_test = request.settings["test_images"]
    with _open(train_db) as train_env:
        total = _entries_in(train_env, train_db)
        if val_db is None and n_test >= total:
            raise DatasetError(
                f"{train_db} has {total} images: too few to hold out {n_test} for evaluation; "
                f"lower data.settings.{request.spec.name}.test_images, or put {category}_val_lmdb beside it"
            )
        n_train = total if val_db is not None else total - n_test
        read = functools.partial(_images, settings=request.settings, digest=digest, unreadable=unreadable)
        train = read(train_env, train_db, 0, n_train)
        if val_db is None:
            test = read(train_env, train_db, n_train, total)
            return _write(request, train, test, train_db, None, digest, unreadable)
        with _open(val_db) as val_env:
            test = read(val_env, val_db, 0, _entries_in(val_env, val_db))
            return _write(request, train, test, train_db, val_db, digest, unreadable)


def _write(request, train, test, train_db: Path, val_db: Path | None, digest, unreadable) -> dict[str, Any]:
    files = [{"name": db.name, "path": str(db), "verified_by": "content-sha256"} for db in (train_db, val_db) if db]

    def finish() -> dict[str, Any]:
        if unreadable and request.settings["unreadable"] == "refuse":
            where = " and ".join(str(db) for db in (train_db, val_db) if db)
            raise DatasetError(unreadable_message(f"entries of {where} (by key)", unreadable, request.spec.name))
        return {"content_sha256": digest.hexdigest(), "unreadable": sorted(unreadable)}

    return write_dataset(
        request,
        train,
        test,
        source={"kind": "lmdb", "location": str(train_db)},
        files=files,
        classes=None,
        extra=finish,
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
        zipped = path if path.suffix == ".zip" else path / f"{category}_train_lmdb.zip"
        if zipped.is_file():
            raise DatasetError(
                f"data.paths.{name}: {zipped} is still zipped; unzip it (unzip {zipped.name}) and set "
                f"data.paths.{name} to the {category}_train_lmdb folder it makes"
            )
        where = f"no LMDB at {path}" if path.exists() else f"{path} does not exist"
        raise DatasetError(
            f"data.paths.{name}: {where} (neither data.mdb nor {category}_train_lmdb/data.mdb); set it to "
            f"the {category}_train_lmdb folder of the LSUN download"
        )
    val = train.with_name(f"{category}_val_lmdb")
    return train, val if (val / "data.mdb").is_file() else None


def _listing(path: Path, settings: dict[str, Any], category: str) -> list[Path]:
    """The files the build reads (the spec's ``listing``): each LMDB's data.mdb."""
    return [db / "data.mdb" for db in _databases(path, category) if db is not None]


def _counts(path: Path | None, settings: dict[str, Any], files: list[Path] | None, category: str) -> dict | None:
    """The splits' sizes before the build, from the LMDBs' entry counts (at most: some may not
    decode); None where they cannot be opened (the build says why)."""
    if path is None or not files:
        return None
    try:
        train_db, val_db = _databases(path, category)
        with _open(train_db) as env:
            total = _entries_in(env, train_db)
        if val_db is not None:
            with _open(val_db) as env:
                n_train, n_test = total, _entries_in(env, val_db)
        else:
            n_test = min(settings["test_images"], total)
            n_train = total - n_test
    except DatasetError:
        return None
    cap = settings["max_images"]
    return {"train": n_train if cap is None else min(cap, n_train), "test": n_test, "at_most": True}


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


def _entries_in(env, db: Path) -> int:
    try:
        return env.stat()["entries"]
    except _lmdb_errors() as exc:
        raise DatasetError(_damaged(db, exc, 0)) from None


def _entries(txn, start: int, stop: int) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) ``start`` to ``stop`` in key order; a tail (stop = all) is found from the end,
    without reading the entries before it."""
    cursor = txn.cursor()
    if start == 0:
        return itertools.islice(cursor.iternext(keys=True, values=True), stop)
    tail = list(itertools.islice(cursor.iterprev(keys=True, values=False), stop - start)) if cursor.last() else []
    return ((key, txn.get(key)) for key in reversed(tail))


def _images(
    env, db: Path, start: int, stop: int, *, settings: dict[str, Any], digest, unreadable: dict[str, str]
) -> Iterator[Chunk]:
    """Entries ``start`` to ``stop`` (in key order) of the LMDB ``db``, decoded a chunk at a time."""
    size, read = settings["image_size"], 0
    with env.begin(write=False) as txn:
        try:
            entries = _entries(txn, start, stop)
            while batch := list(itertools.islice(entries, CHUNK)):
                images = []
                for key, value in batch:
                    digest.update(len(key).to_bytes(4, "big") + key + len(value).to_bytes(8, "big") + value)
                    try:
                        images.append(decode(value, size, 3))
                    except Unreadable as why:
                        name = key.decode(errors="replace")
                        unreadable[name] = str(why)
                        if settings["unreadable"] == "skip" and len(unreadable) <= SHOWN:
                            log.warning("lsun: skipped key %s of %s: %s", name, db, why)
                read += len(batch)
                if images:
                    yield np.stack(images), np.zeros(len(images), np.int64)
        except _lmdb_errors() as exc:
            raise DatasetError(_damaged(db, exc, start + read)) from None


def _damaged(db: Path, exc: Exception, position: int) -> str:
    return (
        f"{db} is a damaged LMDB: reading it failed after {position:,} entries ({exc}). Download "
        f"{db.name}.zip again with the LSUN download script and unzip it over this folder"
    )


def _lmdb_errors() -> tuple[type[Exception], ...]:
    import lmdb  # installed wherever an LMDB was opened (``_open``)

    return (lmdb.Error,)


def lsun_spec(name: str) -> DatasetSpec:
    """The spec of LSUN category ``lsun-<category>``."""
    category = name.removeprefix("lsun-")
    return DatasetSpec(
        name=name,
        image_size=64,
        channels=3,
        labelled=False,  # scenes of one category: no classes
        settings={"image_size": 64, "unreadable": "refuse", "test_images": 300, "max_images": None},
        own_images=True,
        needs_path=f"the {category}_train_lmdb folder of the LSUN download (config/README.md, Datasets)",
        build=build_lsun,
        listing=functools.partial(_listing, category=category),
        counts=functools.partial(_counts, category=category),
    )
