"""LSUN categories (wganlib.datasets.lsun) from an LMDB of encoded images the tests write, as the
LSUN download script exports them."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from wganlib import datasets
from wganlib.datasets import DatasetError, materialise

# ---------------------------------------------------------------------------------------------
# LSUN: an LMDB of encoded images, as the LSUN download script's export


def encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def write_lmdb(path: Path, entries: dict[bytes, bytes]) -> None:
    lmdb = pytest.importorskip("lmdb")
    path.mkdir(parents=True)
    with lmdb.open(str(path), map_size=1 << 26) as env, env.begin(write=True) as txn:
        for key, value in entries.items():
            txn.put(key, value)


@pytest.fixture
def lsun_root(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    formats = ["WEBP", "JPEG", "PNG"]
    entries = {}
    for i in range(14):
        size = (40 + 4 * i, 30 + 2 * i)
        image = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
        entries[hashlib.sha1(bytes([i])).hexdigest().encode()] = encoded(image, formats[i % 3])
    write_lmdb(tmp_path / "lsun" / "bedroom_train_lmdb", entries)
    return tmp_path / "lsun"


def lsun_run(path, tmp_path, **settings):
    out = tmp_path / "out"
    return materialise("lsun-bedroom", out / "l.npz", out / "l.json", local_path=path, settings=settings)


def test_lsun_from_its_lmdb(lsun_root, tmp_path):
    manifest = lsun_run(lsun_root, tmp_path, image_size=16, test_images=6)  # the folder holding the LMDB
    arrays = datasets.load(tmp_path / "out" / "l.npz", mmap=True)
    assert isinstance(arrays["x_train"], np.memmap)
    assert arrays["x_train"].shape == (8, 16, 16, 3) and arrays["x_test"].shape == (6, 16, 16, 3)
    assert manifest["counts"] == {"train": 8, "test": 6} and len(manifest["content_sha256"]) == 64
    again = lsun_run(lsun_root / "bedroom_train_lmdb", tmp_path / "again", image_size=16, test_images=6)
    assert again["content_sha256"] == manifest["content_sha256"]
    capped = lsun_run(lsun_root, tmp_path / "capped", image_size=32, test_images=6, max_images=7)
    assert capped["counts"] == {"train": 7, "test": 6} and capped["image_size"] == 32


def test_lsun_uses_the_val_lmdb_beside_it(lsun_root, tmp_path):
    red = encoded(Image.new("RGB", (20, 20), "red"), "WEBP")
    write_lmdb(lsun_root / "bedroom_val_lmdb", {f"v{i}".encode(): red for i in range(6)})
    manifest = lsun_run(lsun_root, tmp_path, image_size=16)
    assert manifest["counts"] == {"train": 14, "test": 6} and len(manifest["files"]) == 2


def nothing_left(out: Path) -> bool:
    """No output a rerun could take as valid, and no spool."""
    return not out.exists() or not any(out.iterdir())


def test_lsun_unreadable_entries_all_named_then_skipped(tmp_path):
    fine = encoded(Image.new("RGB", (9, 9)), "PNG")
    entries = {f"k{i:02d}".encode(): fine for i in range(14)} | {b"k03": b"garbage", b"k05": b""}
    write_lmdb(tmp_path / "bad" / "bedroom_train_lmdb", entries)
    with pytest.raises(DatasetError) as err:
        lsun_run(tmp_path / "bad", tmp_path, image_size=16, test_images=6)
    message = str(err.value)
    assert f"2 of the entries of {tmp_path / 'bad' / 'bedroom_train_lmdb'} (by key) cannot be read" in message
    assert "  k03: not a picture in a format Pillow reads" in message and "  k05: empty (0 bytes)" in message
    assert "data.settings.lsun-bedroom.unreadable: skip" in message and nothing_left(tmp_path / "out")
    manifest = lsun_run(tmp_path / "bad", tmp_path, image_size=16, test_images=6, unreadable="skip")
    assert manifest["unreadable"] == ["k03", "k05"] and manifest["counts"] == {"train": 6, "test": 6}


def test_lsun_missing_zipped_or_not_an_lmdb(tmp_path):
    with pytest.raises(DatasetError, match=r"LSUN download script.*data\.paths\.lsun-bedroom"):
        materialise("lsun-bedroom", tmp_path / "l.npz", tmp_path / "l.json")
    with pytest.raises(DatasetError, match=f"no LMDB at {tmp_path} "):
        lsun_run(tmp_path, tmp_path / "x")
    with pytest.raises(DatasetError, match=f"{tmp_path / 'gone'} does not exist"):
        lsun_run(tmp_path / "gone", tmp_path / "x")
    (tmp_path / "bedroom_train_lmdb.zip").write_bytes(b"PK\x03\x04")
    for path in (tmp_path, tmp_path / "bedroom_train_lmdb.zip"):  # the folder holding the zip, or the zip
        with pytest.raises(DatasetError, match=r"bedroom_train_lmdb\.zip is still zipped; unzip it"):
            lsun_run(path, tmp_path / "x")
    assert nothing_left(tmp_path / "x")


def test_lsun_damaged_pages_are_refused_naming_the_lmdb(lsun_root, tmp_path):
    """A valid header (the first two pages, LMDB's meta pages) over pages of zeros: opening works,
    reading fails; the LMDB is named, with what to do."""
    data = lsun_root / "bedroom_train_lmdb" / "data.mdb"
    content = bytearray(data.read_bytes())
    content[2 * 4096 :] = bytes(len(content) - 2 * 4096)
    data.write_bytes(bytes(content))
    with pytest.raises(DatasetError) as err:
        lsun_run(lsun_root, tmp_path, image_size=16, test_images=6)
    message = str(err.value)
    assert f"{lsun_root / 'bedroom_train_lmdb'} is a damaged LMDB: reading it failed" in message
    assert "MDB_CORRUPTED" in message and "Download bedroom_train_lmdb.zip again" in message
    assert nothing_left(tmp_path / "out")
