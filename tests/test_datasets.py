"""wganlib.datasets against a real loopback HTTP server (no mocking) and the real local datasets."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import socket
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import mirror
from wganlib import datasets
from wganlib.datasets import DatasetError, DatasetSpec, IdxFile, materialise
from wganlib.datasets import manifest as manifest_module

NAMES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


# ---------------------------------------------------------------------------------------------
# Fake data: 20 train / 10 test images with correct IDX headers


def idx_bytes(array: np.ndarray) -> bytes:
    magic = bytes([0, 0, 8, array.ndim])
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return magic + dims + array.astype(np.uint8).tobytes()


def fake_arrays(seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(20) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (10, 28, 28), dtype=np.uint8),
        "y_test": np.arange(10, dtype=np.uint8),
    }


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def fake() -> dict:
    arrays = fake_arrays()
    content = {key: idx_bytes(arrays[key]) for key in NAMES}
    gz = {key: gzip.compress(content[key], mtime=0) for key in NAMES}
    other = fake_arrays(seed=2)  # valid gz of different data: a checksum mismatch, nothing else
    npz = npz_bytes(arrays)
    spec = DatasetSpec(
        name="fake",
        idx_files=tuple(
            IdxFile(key, name, hashlib.md5(gz[key]).hexdigest(), hashlib.sha256(content[key]).hexdigest())
            for key, name in NAMES.items()
        ),
        npz_sha256=hashlib.sha256(npz).hexdigest(),
    )
    routes: dict[str, bytes] = {"/npz/fake.npz": npz}
    for key, name in NAMES.items():
        routes[f"/good/{name}"] = gz[key]
        routes[f"/corrupt/{name}"] = gzip.compress(idx_bytes(other[key]), mtime=0)
        routes[f"/truncated/{name}"] = gz[key][: len(gz[key]) // 2]
        routes[f"/short/{name}"] = gz[key]  # Content-Length promises all, half is sent
        routes[f"/resume/{name}"] = gz[key]  # broken off where a test says (Mirror.cut)
    return {"arrays": arrays, "content": content, "gz": gz, "npz": npz, "spec": spec, "routes": routes}


# ---------------------------------------------------------------------------------------------
# Loopback mirror (conftest.Mirror): /good/, /corrupt/, /truncated/, /short/, /resume/, /stall/; else 404


@pytest.fixture(scope="module")
def served(fake: dict):
    """The mirror's base URL and handler class (``cut``, ``served``)."""
    with mirror(fake["routes"]) as (url, handler):
        yield url, handler


@pytest.fixture(scope="module")
def server(served) -> str:
    return served[0]


def run(fake: dict, tmp_path: Path, mirrors: list[str], **kwargs) -> dict:
    """materialise() of the fake dataset into tmp_path/out, with the fake checksums."""
    kwargs = {"spec": fake["spec"], "timeout": 2.0} | kwargs
    out = tmp_path / "out"
    return materialise("fake", out / "fake.npz", out / "fake.json", mirrors=mirrors, **kwargs)


def assert_fake_written(fake: dict, tmp_path: Path) -> None:
    arrays = datasets.load(tmp_path / "out" / "fake.npz")
    for key in NAMES:
        np.testing.assert_array_equal(arrays[key], fake["arrays"][key])
        assert arrays[key].dtype == np.uint8
    datasets.verify_existing(tmp_path / "out" / "fake.npz", tmp_path / "out" / "fake.json")
    stamp = manifest_module.stamp_path(
        tmp_path / "out" / "fake.npz"
    ).name  # kept for a file verified a while after it was written
    left = sorted(p.name for p in (tmp_path / "out").iterdir() if p.name != stamp)
    assert left == ["fake.json", "fake.npz"]  # no temp files


# ---------------------------------------------------------------------------------------------
# Mirrors and fallback


def test_good_mirror(fake, server, tmp_path):
    manifest = run(fake, tmp_path, [f"{server}/good/"])
    assert_fake_written(fake, tmp_path)
    assert manifest["source"] == {"kind": "mirror", "location": f"{server}/good/"}
    assert manifest["counts"] == {"train": 20, "test": 10}
    assert manifest["class_counts"]["test"] == [1] * 10
    assert [f["name"] for f in manifest["files"]] == list(NAMES.values())
    assert all(f["verified_by"] == "md5-gz" for f in manifest["files"])
    assert manifest["files"][0]["url"] == f"{server}/good/{NAMES['x_train']}"
    on_disk = json.loads((tmp_path / "out" / "fake.json").read_text())
    assert on_disk == manifest
    npz_bytes_on_disk = (tmp_path / "out" / "fake.npz").read_bytes()
    assert manifest["npz"]["sha256"] == hashlib.sha256(npz_bytes_on_disk).hexdigest()


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("missing", "HTTP 404"),
        ("corrupt", "checksum mismatch"),
        ("truncated", "truncated"),
        ("short", "broke off"),
    ],
)
def test_bad_mirror_then_good(fake, server, tmp_path, bad, reason):
    manifest = run(fake, tmp_path, [f"{server}/{bad}/", f"{server}/good/"])
    assert_fake_written(fake, tmp_path)
    first, second = manifest["attempts"]
    assert first["location"] == f"{server}/{bad}/" and reason in first["error"]
    assert second == {"kind": "mirror", "location": f"{server}/good/", "error": None}


def test_stalling_mirror_times_out(fake, server, tmp_path):
    start = time.monotonic()
    manifest = run(fake, tmp_path, [f"{server}/stall/", f"{server}/good/"], timeout=0.5)
    assert time.monotonic() - start < 5
    assert "timed out" in manifest["attempts"][0]["error"]
    assert_fake_written(fake, tmp_path)


def test_all_sources_fail(fake, server, tmp_path):
    with socket.socket() as sock:  # a port nothing listens on: connection refused
        sock.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{sock.getsockname()[1]}/"
    bad = ["missing", "corrupt", "truncated", "stall"]
    mirrors = [f"{server}/{b}/" for b in bad] + [refused]
    with pytest.raises(DatasetError) as caught:
        run(fake, tmp_path, mirrors, local_path=tmp_path / "nowhere", timeout=0.5)
    message = str(caught.value)
    for location, reason in zip(
        [str(tmp_path / "nowhere")] + mirrors,
        ["not a folder", "HTTP 404", "checksum mismatch", "truncated", "timed out", "cannot reach"],
        strict=True,
    ):
        line = next(line for line in message.splitlines() if location in line)
        assert reason in line, line
    assert "data.paths.fake" in message and "config/config.yaml" in message and "network" in message
    out = tmp_path / "out"
    assert not out.exists() or list(out.iterdir()) == []


def test_remote_npz(fake, server, tmp_path):
    manifest = run(fake, tmp_path, [f"{server}/missing/", f"{server}/npz/fake.npz"])
    assert_fake_written(fake, tmp_path)
    assert manifest["source"]["kind"] == "mirror-npz"
    assert manifest["files"][0]["verified_by"] == "sha256"


def test_remote_npz_needs_its_checksum(fake, server, tmp_path):
    spec = DatasetSpec(name="fake", idx_files=fake["spec"].idx_files, npz_sha256="0" * 64)
    with pytest.raises(DatasetError, match="checksum mismatch"):
        run(fake, tmp_path, [f"{server}/npz/fake.npz"], spec=spec)


def test_file_url_mirror(fake, tmp_path):
    folder = write_idx_dir(tmp_path / "mirror", fake["gz"], compressed=True)
    manifest = run(fake, tmp_path, [folder.as_uri()])
    assert_fake_written(fake, tmp_path)
    assert manifest["source"]["kind"] == "mirror"


def test_cache_reused_offline(fake, server, tmp_path):
    cache = tmp_path / "cache"
    run(fake, tmp_path, [f"{server}/good/"], cache_dir=cache)
    assert sorted(p.name for p in (cache / "fake").iterdir()) == sorted(NAMES.values())
    assert [p.name for p in cache.iterdir()] == ["fake"]  # the download folder is gone
    manifest = run(fake, tmp_path, [f"{server}/missing/"], cache_dir=cache)
    assert manifest["source"]["kind"] == "cache"
    assert_fake_written(fake, tmp_path)


def test_a_broken_off_download_resumes_where_it_stopped(fake, served, tmp_path):
    """The third of the four files breaks off half-way: the next attempt reads the two files
    already verified from the cache and fetches only the rest of the third, then the fourth."""
    url, handler = served
    names = list(NAMES.values())
    cut_at = len(fake["gz"]["x_test"]) // 2
    handler.cut[f"/resume/{names[2]}"] = cut_at
    cache = tmp_path / "cache" / "fake"
    with pytest.raises(DatasetError) as caught:
        run(fake, tmp_path, [f"{url}/resume/"], cache_dir=tmp_path / "cache")
    assert f"broke off after {cut_at:,} of {len(fake['gz']['x_test']):,} bytes" in str(caught.value)
    assert "kept in" in str(caught.value) and "for the next attempt" in str(caught.value)
    (partial,) = cache.glob("*.partial")
    assert partial.name.startswith(names[2]) and partial.read_bytes() == fake["gz"]["x_test"][:cut_at]
    assert sorted(p.name for p in cache.iterdir() if p != partial) == sorted(names[:2])  # verified, kept
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())

    before = dict(handler.served)
    manifest = run(fake, tmp_path, [f"{url}/resume/"], cache_dir=tmp_path / "cache")
    sent = [handler.served.get(f"/resume/{n}", 0) - before.get(f"/resume/{n}", 0) for n in names]
    assert sent == [0, 0, len(fake["gz"]["x_test"]) - cut_at, len(fake["gz"]["y_test"])]
    assert_fake_written(fake, tmp_path)
    assert manifest["source"]["kind"] == "mirror" and all(f["verified_by"] == "md5-gz" for f in manifest["files"])
    assert sorted(p.name for p in cache.iterdir()) == sorted(names)  # no partial left


# ---------------------------------------------------------------------------------------------
# The user's own files


def write_idx_dir(folder: Path, files: dict[str, bytes], compressed: bool) -> Path:
    folder.mkdir()
    for key, data in files.items():
        name = NAMES[key] if compressed else NAMES[key].removesuffix(".gz")
        (folder / name).write_bytes(data)
    return folder


@pytest.mark.parametrize("compressed", [True, False])
def test_local_dir(fake, tmp_path, compressed):
    folder = write_idx_dir(tmp_path / "mine", fake["gz"] if compressed else fake["content"], compressed)
    manifest = run(fake, tmp_path, [], local_path=str(folder))
    assert_fake_written(fake, tmp_path)
    assert manifest["source"] == {"kind": "local-dir", "location": str(folder)}
    expected = "md5-gz" if compressed else "content-sha256"
    assert all(f["verified_by"] == expected for f in manifest["files"])


def gz_md5_only(spec: DatasetSpec) -> DatasetSpec:
    """Like MNIST's registry entry: the .gz MD5s are known, the content SHA-256s are not."""
    return DatasetSpec(spec.name, idx_files=tuple(IdxFile(i.key, i.name, i.md5_gz) for i in spec.idx_files))


def test_local_dir_without_known_checksum_is_checked_by_structure(fake, tmp_path):
    folder = write_idx_dir(tmp_path / "mine", fake["content"], compressed=False)
    manifest = run(fake, tmp_path, [], local_path=folder, spec=gz_md5_only(fake["spec"]))
    assert all(f["verified_by"] == "structure-only" for f in manifest["files"])


def test_local_dir_rejects_non_idx_then_falls_back(fake, server, tmp_path):
    files = dict(fake["content"], y_test=b"<html>not idx</html>")
    folder = write_idx_dir(tmp_path / "mine", files, compressed=False)
    manifest = run(fake, tmp_path, [f"{server}/good/"], local_path=folder, spec=gz_md5_only(fake["spec"]))
    assert "not an IDX" in manifest["attempts"][0]["error"]
    assert manifest["source"]["kind"] == "mirror"


def test_local_npz(fake, tmp_path):
    path = tmp_path / "mine.npz"
    path.write_bytes(npz_bytes(dict(fake["arrays"], y_train=fake["arrays"]["y_train"].astype(np.int64))))
    manifest = run(fake, tmp_path, [], local_path=path)
    assert_fake_written(fake, tmp_path)  # int64 labels stored as uint8
    assert manifest["source"]["kind"] == "local-npz"
    assert manifest["files"][0]["verified_by"] == "structure-only"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"y_test": np.arange(1, 11, dtype=np.uint8)}, "outside 0-9"),
        ({"y_train": np.zeros(19, dtype=np.uint8)}, "20 images but 19 labels"),
        ({"x_test": np.zeros((10, 28, 27), dtype=np.uint8)}, "expected uint8 (N, 28, 28)"),
        ({"x_test": np.zeros((10, 28, 28), dtype=np.float32)}, "expected uint8 (N, 28, 28)"),
    ],
)
def test_local_npz_structure_checks(fake, tmp_path, change, reason):
    path = tmp_path / "mine.npz"
    path.write_bytes(npz_bytes(dict(fake["arrays"], **change)))
    with pytest.raises(DatasetError) as caught:
        run(fake, tmp_path, [], local_path=path)
    assert reason in str(caught.value)
    assert not (tmp_path / "out" / "fake.npz").exists()


def test_parse_idx_rejects_bad_files():
    images = idx_bytes(np.zeros((2, 28, 28), dtype=np.uint8))
    assert datasets.parse_idx(images).shape == (2, 28, 28)
    with pytest.raises(datasets.SourceError, match="not an IDX"):
        datasets.parse_idx(b"PK\x03\x04" + images)
    with pytest.raises(datasets.SourceError, match="expected 28x28"):
        datasets.parse_idx(idx_bytes(np.zeros((2, 32, 32), dtype=np.uint8)))
    with pytest.raises(datasets.SourceError, match="implies"):
        datasets.parse_idx(images[:-1])


def test_verify_existing_detects_flipped_byte(fake, server, tmp_path):
    run(fake, tmp_path, [f"{server}/good/"])
    npz, manifest = tmp_path / "out" / "fake.npz", tmp_path / "out" / "fake.json"
    datasets.verify_existing(npz, manifest)
    data = bytearray(npz.read_bytes())
    data[len(data) // 2] ^= 0xFF
    npz.write_bytes(bytes(data))
    with pytest.raises(DatasetError) as caught:
        datasets.verify_existing(npz, manifest)
    assert str(npz) in str(caught.value) and "delete" in str(caught.value)
    with pytest.raises(DatasetError, match="delete it and rerun"):
        datasets.load(npz)


@pytest.fixture
def hashes(monkeypatch) -> list[Path]:
    """The files verify_existing hashes whole, in order."""
    calls: list[Path] = []

    def counted(path, algorithm):
        calls.append(Path(path))
        return datasets.checks._file_hash(path, algorithm)

    monkeypatch.setattr(manifest_module, "_file_hash", counted)
    return calls


def test_verify_existing_hashes_an_unchanged_file_once(fake, server, tmp_path, hashes, monkeypatch):
    """A stamp beside the file spares later starts the hash; an edit of the same size with a new
    mtime is still caught, and so is one whose old mtime was put back (its ctime moved)."""
    monkeypatch.setattr(manifest_module, "STAMP_MARGIN_NS", 0)  # the file is only milliseconds old
    run(fake, tmp_path, [f"{server}/good/"])
    npz, manifest = tmp_path / "out" / "fake.npz", tmp_path / "out" / "fake.json"
    hashes.clear()  # the one materialise made of what it wrote
    time.sleep(0.05)  # a new tick of the file-system clock: the hash starts after the last change
    datasets.verify_existing(npz, manifest)
    assert hashes == [npz] and manifest_module.stamp_path(npz).is_file()
    datasets.verify_existing(npz, manifest)
    datasets.verify_existing(npz, manifest)
    assert hashes == [npz]  # untouched: not read again

    original = npz.read_bytes()
    old = npz.stat()
    time.sleep(0.05)
    edited = bytearray(original)
    edited[len(edited) // 2] ^= 0xFF
    npz.write_bytes(bytes(edited))  # same size, new bytes
    os.utime(npz, ns=(old.st_atime_ns, old.st_mtime_ns))  # and the old mtime put back
    assert npz.stat().st_size == old.st_size and npz.stat().st_mtime_ns == old.st_mtime_ns
    with pytest.raises(DatasetError, match="corrupt or was changed: sha256"):
        datasets.verify_existing(npz, manifest)
    assert len(hashes) == 2

    npz.write_bytes(bytes(edited))  # same size, new bytes, new mtime
    with pytest.raises(DatasetError, match="corrupt or was changed: sha256"):
        datasets.verify_existing(npz, manifest)
    assert len(hashes) == 3

    npz.write_bytes(original[:-1])  # shorter: caught by its size alone
    with pytest.raises(DatasetError, match=f"{len(original) - 1} bytes, its manifest says {len(original)}"):
        datasets.verify_existing(npz, manifest)
    assert len(hashes) == 3


def test_verify_existing_stamps_no_file_changed_just_before(fake, server, tmp_path, hashes):
    """A file changed less than STAMP_MARGIN_NS before its hash began gets no stamp (a second
    change in the same timestamp tick would not show): the next check hashes it again."""
    run(fake, tmp_path, [f"{server}/good/"])
    npz, manifest = tmp_path / "out" / "fake.npz", tmp_path / "out" / "fake.json"
    hashes.clear()
    datasets.verify_existing(npz, manifest)
    assert not manifest_module.stamp_path(npz).exists()
    datasets.verify_existing(npz, manifest)
    assert hashes == [npz, npz]
