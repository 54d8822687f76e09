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
    for i in range(9):
        size = (40 + 4 * i, 30 + 2 * i)
        image = Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
        entries[hashlib.sha1(bytes([i])).hexdigest().encode()] = encoded(image, formats[i % 3])
    write_lmdb(tmp_path / "lsun" / "bedroom_train_lmdb", entries)
    return tmp_path / "lsun"


def lsun_run(path, tmp_path, **settings):
    out = tmp_path / "out"
    return materialise("lsun-bedroom", out / "l.npz", out / "l.json", local_path=path, settings=settings)


def test_lsun_from_its_lmdb(lsun_root, tmp_path):
    manifest = lsun_run(lsun_root, tmp_path, image_size=16, test_images=2)  # the folder holding the LMDB
    arrays = datasets.load(tmp_path / "out" / "l.npz", mmap=True)
    assert isinstance(arrays["x_train"], np.memmap)
    assert arrays["x_train"].shape == (7, 16, 16, 3) and arrays["x_test"].shape == (2, 16, 16, 3)
    assert manifest["counts"] == {"train": 7, "test": 2} and len(manifest["content_sha256"]) == 64
    again = lsun_run(lsun_root / "bedroom_train_lmdb", tmp_path / "again", image_size=16, test_images=2)
    assert again["content_sha256"] == manifest["content_sha256"]
    capped = lsun_run(lsun_root, tmp_path / "capped", image_size=32, test_images=2, max_images=3)
    assert capped["counts"] == {"train": 3, "test": 2} and capped["image_size"] == 32


def test_lsun_uses_the_val_lmdb_beside_it(lsun_root, tmp_path):
    write_lmdb(lsun_root / "bedroom_val_lmdb", {b"v1": encoded(Image.new("RGB", (20, 20), "red"), "WEBP")})
    manifest = lsun_run(lsun_root, tmp_path, image_size=16)
    assert manifest["counts"] == {"train": 9, "test": 1} and len(manifest["files"]) == 2


def test_lsun_unreadable_entry_and_missing_path(lsun_root, tmp_path):
    fine = encoded(Image.new("RGB", (9, 9)), "PNG")
    write_lmdb(tmp_path / "bad" / "bedroom_train_lmdb", {b"k1": b"garbage", b"k2": fine, b"k3": fine})
    with pytest.raises(DatasetError, match="LSUN key k1 is not an image"):
        lsun_run(tmp_path / "bad", tmp_path, image_size=16, test_images=1)
    manifest = lsun_run(tmp_path / "bad", tmp_path, image_size=16, test_images=1, unreadable="skip")
    assert manifest["unreadable"] == ["k1"]
    with pytest.raises(DatasetError, match=r"LSUN download script.*data\.paths\.lsun-bedroom"):
        materialise("lsun-bedroom", tmp_path / "l.npz", tmp_path / "l.json")
    with pytest.raises(DatasetError, match="no LMDB"):
        lsun_run(tmp_path, tmp_path / "x")
