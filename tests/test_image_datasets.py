"""The datasets of any size and colour (wganlib.datasets: cifar10, folder; lsun-* and stacked-mnist
have their own files), on data the tests make: a CIFAR-10 archive in its real format served on
loopback, folders of mixed images; and the store they share (uncompressed, memory-mapped)."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import pickle
import tarfile
from pathlib import Path

import numpy as np
import pytest
from conftest import mirror
from PIL import Image
from wganlib import datasets
from wganlib.datasets import DatasetError, materialise
from wganlib.datasets.cifar10 import ARCHIVE, CIFAR10
from wganlib.datasets.downloads import partial_path
from wganlib.datasets.pictures import center_crop, resize_shorter

# ---------------------------------------------------------------------------------------------
# CIFAR-10: an archive in the real format (pickled dicts of bytes keys, rows of 1,024 R, G, B)


def cifar_batch(rng: np.random.Generator, n: int) -> dict:
    return {
        b"batch_label": b"fake batch",
        b"labels": [int(v) for v in rng.integers(0, 10, n)],
        b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        b"filenames": [f"img_{i}.png".encode() for i in range(n)],
    }


def cifar_archive(seed: int, n: int = 6, extra: dict[str, bytes] | None = None) -> tuple[bytes, dict]:
    """A cifar-10-python.tar.gz of five training batches and a test batch of ``n`` images each."""
    rng = np.random.default_rng(seed)
    batches = {f"data_batch_{i}": cifar_batch(rng, n) for i in range(1, 6)} | {"test_batch": cifar_batch(rng, n)}
    members = {name: pickle.dumps(batch, protocol=2) for name, batch in batches.items()}
    members["batches.meta"] = pickle.dumps({b"label_names": [b"airplane"] * 10}, protocol=2)
    members |= extra or {}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue(), batches


@pytest.fixture(scope="module")
def cifar():
    good, batches = cifar_archive(seed=1)
    other, _ = cifar_archive(seed=2)  # a valid archive of other data: a checksum mismatch, nothing else
    flipped = bytearray(good)
    flipped[len(flipped) // 2] ^= 0xFF
    routes = {
        f"/good/{ARCHIVE}": good,
        f"/wrong/{ARCHIVE}": other,
        f"/corrupt/{ARCHIVE}": bytes(flipped),
        f"/truncated/{ARCHIVE}": good[: len(good) // 2],
        f"/short/{ARCHIVE}": good,  # Content-Length promises all, half is sent
        f"/resume/{ARCHIVE}": good,  # broken off where a test says (conftest.Mirror.cut)
        f"/norange/{ARCHIVE}": good,  # a server that ignores Range: bytes=N-
    }
    spec = dataclasses.replace(CIFAR10, archive_md5=hashlib.md5(good).hexdigest())
    with mirror(routes) as (url, handler):
        yield {"url": url, "spec": spec, "batches": batches, "good": good, "other": other, "mirror": handler}


def cifar_run(cifar, tmp_path, mirrors, **kwargs):
    out = tmp_path / "out"
    urls = [f"{cifar['url']}/{m}/{ARCHIVE}" for m in mirrors]
    kwargs = {"spec": cifar["spec"], "timeout": 2.0, "cache_dir": tmp_path / "cache"} | kwargs
    return materialise("cifar10", out / "cifar10.npz", out / "cifar10.manifest.json", mirrors=urls, **kwargs)


def expected_cifar(batches: dict, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    data = np.concatenate([batches[n][b"data"] for n in names])
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return images, np.concatenate([batches[n][b"labels"] for n in names])


def test_cifar10_from_a_mirror(cifar, tmp_path):
    manifest = cifar_run(cifar, tmp_path, ["good"])
    arrays = datasets.load(tmp_path / "out" / "cifar10.npz")
    images, labels = expected_cifar(cifar["batches"], [f"data_batch_{i}" for i in range(1, 6)])
    np.testing.assert_array_equal(arrays["x_train"], images)
    np.testing.assert_array_equal(arrays["y_train"], labels)
    assert arrays["x_train"].shape == (30, 32, 32, 3)
    # pixel (row 0, column 1) of image 0: entries 1, 1025 and 2049 of its row (red, green, blue planes)
    row = cifar["batches"]["data_batch_1"][b"data"][0]
    assert arrays["x_train"][0, 0, 1].tolist() == [row[1], row[1025], row[2049]]
    test_images, _ = expected_cifar(cifar["batches"], ["test_batch"])
    np.testing.assert_array_equal(arrays["x_test"], test_images)
    assert manifest["files"][0]["md5"] == cifar["spec"].archive_md5
    assert manifest["files"][0]["verified_by"] == "md5"
    assert (manifest["image_size"], manifest["channels"], manifest["counts"]) == (32, 3, {"train": 30, "test": 6})
    datasets.verify_existing(tmp_path / "out" / "cifar10.npz", tmp_path / "out" / "cifar10.manifest.json")
    assert (tmp_path / "cache" / "cifar10" / ARCHIVE).read_bytes() == cifar["good"]  # kept, verified
    # the next run reads the cache: no network at all
    cifar_run(cifar, tmp_path / "again", [], cache_dir=tmp_path / "cache")
    again = datasets.load(tmp_path / "again" / "out" / "cifar10.npz")
    np.testing.assert_array_equal(again["x_train"], arrays["x_train"])


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("wrong", "checksum mismatch"),
        ("corrupt", "checksum mismatch"),
        ("truncated", "checksum mismatch"),
        ("short", "broke off"),
        ("missing", "HTTP 404"),
    ],
)
def test_cifar10_bad_mirror_then_good(cifar, tmp_path, bad, reason):
    manifest = cifar_run(cifar, tmp_path, [bad, "good"])
    assert reason in manifest["attempts"][0]["error"]
    assert manifest["attempts"][1]["error"] is None
    assert not list((tmp_path / "cache").glob("**/.download-*"))  # no temporary download left


def test_cifar10_every_source_fails_with_one_message(cifar, tmp_path):
    with pytest.raises(DatasetError) as err:
        cifar_run(cifar, tmp_path, ["wrong", "truncated"], local_path=tmp_path / "nowhere.tar.gz")
    message = str(err.value)
    assert message.count("\n  ") == 3 and "checksum mismatch" in message and "data.paths.cifar10" in message
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())  # nothing half-written
    assert not any((tmp_path / "cache" / "cifar10").glob("*"))  # nothing unverified cached


def test_cifar10_local_archive_and_extracted_folder(cifar, tmp_path):
    archive = tmp_path / ARCHIVE
    archive.write_bytes(cifar["good"])
    manifest = cifar_run(cifar, tmp_path, [], local_path=tmp_path)  # the folder holding the archive
    assert manifest["source"]["kind"] == "local" and manifest["files"][0]["verified_by"] == "md5"
    with tarfile.open(archive) as opened:
        opened.extractall(tmp_path / "x", filter="data")
    manifest = cifar_run(cifar, tmp_path / "y", [], local_path=tmp_path / "x")
    assert manifest["files"][0]["verified_by"] == "structure-only"
    assert manifest["counts"] == {"train": 30, "test": 6}


def test_cifar10_pickles_may_only_build_arrays(cifar, tmp_path):
    """A batch whose pickle asks for anything but numpy arrays is refused, not run."""

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    for name, batch in cifar["batches"].items():
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": Evil()}, protocol=2))
    with pytest.raises(DatasetError, match=r"refused: the batch asks for __builtin__\.print"):
        cifar_run(cifar, tmp_path, [], local_path=folder)


def test_cifar10_max_images(cifar, tmp_path):
    manifest = cifar_run(cifar, tmp_path, ["good"], settings={"max_images": 8})
    assert manifest["counts"] == {"train": 8, "test": 6}
    images, _ = expected_cifar(cifar["batches"], ["data_batch_1", "data_batch_2"])
    np.testing.assert_array_equal(datasets.load(tmp_path / "out" / "cifar10.npz")["x_train"], images[:8])


def served(cifar, route: str) -> int:
    return cifar["mirror"].served.get(f"/{route}/{ARCHIVE}", 0)


def partials(tmp_path) -> list:
    return sorted((tmp_path / "cache" / "cifar10").glob("*.partial"))


def test_cifar10_download_broken_off_resumes(cifar, tmp_path):
    """The connection closes after 60% of the archive: the bytes stay in the cache as a partial
    download, and the next attempt asks for the rest alone (Range) and completes the archive."""
    good, cut_at = cifar["good"], int(0.6 * len(cifar["good"]))
    cifar["mirror"].cut[f"/resume/{ARCHIVE}"] = cut_at
    before = served(cifar, "resume")
    with pytest.raises(DatasetError) as err:
        cifar_run(cifar, tmp_path, ["resume"])
    assert f"broke off after {cut_at:,} of {len(good):,} bytes" in str(err.value) and "kept in" in str(err.value)
    (partial,) = partials(tmp_path)
    assert partial.name.startswith(f"{ARCHIVE}.") and partial.read_bytes() == good[:cut_at]
    assert not (tmp_path / "cache" / "cifar10" / ARCHIVE).exists()  # nothing unverified under its own name
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())

    manifest = cifar_run(cifar, tmp_path, ["resume"])
    assert served(cifar, "resume") - before == len(good)  # 60%, then the other 40%: nothing twice
    assert (tmp_path / "cache" / "cifar10" / ARCHIVE).read_bytes() == good and partials(tmp_path) == []
    assert manifest["files"][0]["md5"] == cifar["spec"].archive_md5
    images, _ = expected_cifar(cifar["batches"], [f"data_batch_{i}" for i in range(1, 6)])
    np.testing.assert_array_equal(datasets.load(tmp_path / "out" / "cifar10.npz")["x_train"], images)


def test_cifar10_download_from_a_server_without_ranges_starts_over(cifar, tmp_path, caplog):
    """A server that answers the request for the rest with the whole file (200): the partial
    download is replaced by it, not appended to."""
    good, cut_at = cifar["good"], len(cifar["good"]) // 3
    cifar["mirror"].cut[f"/norange/{ARCHIVE}"] = cut_at
    before = served(cifar, "norange")
    with pytest.raises(DatasetError, match="broke off"):
        cifar_run(cifar, tmp_path, ["norange"])
    assert [p.stat().st_size for p in partials(tmp_path)] == [cut_at]
    with caplog.at_level("INFO", logger="wganlib.datasets.downloads"):
        cifar_run(cifar, tmp_path, ["norange"])
    assert "does not send parts of files (status 200): downloading it whole" in caplog.text
    assert served(cifar, "norange") - before == cut_at + len(good)
    assert (tmp_path / "cache" / "cifar10" / ARCHIVE).read_bytes() == good and partials(tmp_path) == []


def test_cifar10_corrupt_partial_download_is_discarded(cifar, tmp_path):
    """A partial download that was not the start of this archive completes to a file whose MD5
    fails: it is discarded with one message saying so, and the next attempt downloads it whole."""
    good = cifar["good"]
    cache = tmp_path / "cache" / "cifar10"
    cache.mkdir(parents=True)
    url = f"{cifar['url']}/good/{ARCHIVE}"
    start = len(good) // 2
    partial_path(cache, ARCHIVE, url).write_bytes(cifar["other"][:start])  # an earlier attempt's, of other data
    manifest = cifar_run(cifar, tmp_path, ["good", "good"])
    first, second = manifest["attempts"]
    assert "checksum mismatch" in first["error"] and f"{start:,} bytes of it from an earlier attempt" in first["error"]
    assert "was discarded: the next attempt fetches it anew" in first["error"]
    assert second["error"] is None
    assert (cache / ARCHIVE).read_bytes() == good and partials(tmp_path) == []


def test_cifar10_partial_download_longer_than_the_file_is_discarded(cifar, tmp_path, caplog):
    cache = tmp_path / "cache" / "cifar10"
    cache.mkdir(parents=True)
    good, url = cifar["good"], f"{cifar['url']}/resume/{ARCHIVE}"
    partial_path(cache, ARCHIVE, url).write_bytes(good + b"more")
    before = served(cifar, "resume")
    with caplog.at_level("WARNING", logger="wganlib.datasets.downloads"):
        manifest = cifar_run(cifar, tmp_path, ["resume"])
    assert f"({len(good) + 4:,} bytes) is longer than {url} ({len(good):,} bytes): discarded" in caplog.text
    assert served(cifar, "resume") - before == len(good) and manifest["attempts"][0]["error"] is None
    assert (cache / ARCHIVE).read_bytes() == good and partials(tmp_path) == []


def test_cifar10_complete_partial_download_is_verified_not_fetched_again(cifar, tmp_path):
    """An attempt killed after the last byte arrived but before it was verified: the server has
    nothing after it (416), so the partial download is verified as it is."""
    cache = tmp_path / "cache" / "cifar10"
    cache.mkdir(parents=True)
    partial_path(cache, ARCHIVE, f"{cifar['url']}/resume/{ARCHIVE}").write_bytes(cifar["good"])
    before = served(cifar, "resume")
    manifest = cifar_run(cifar, tmp_path, ["resume"])
    assert served(cifar, "resume") == before and manifest["files"][0]["verified_by"] == "md5"
    assert (cache / ARCHIVE).read_bytes() == cifar["good"] and partials(tmp_path) == []


# ---------------------------------------------------------------------------------------------
# Folders of images


def save(path: Path, image: Image.Image, **options) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, **options)


@pytest.fixture
def mixed_folder(tmp_path) -> Path:
    """Two classes in nested folders, every mode the issue names, and sizes of both orientations."""
    root = tmp_path / "pictures"
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8))
    save(root / "cats" / "rgb.png", rgb)
    save(root / "cats" / "deep" / "deeper" / "photo.jpg", rgb.resize((50, 70)), quality=90)
    save(root / "cats" / "grey.png", Image.fromarray(rng.integers(0, 256, (20, 50), dtype=np.uint8)))
    save(root / "dogs" / "palette.png", rgb.convert("P"))
    alpha = rgb.convert("RGBA")
    alpha.putalpha(0)  # fully transparent: white whatever the colour underneath
    save(root / "dogs" / "alpha.png", alpha)
    save(root / "dogs" / "sixteen.png", Image.fromarray(np.full((24, 24), 65535, np.uint16)))
    save(root / "dogs" / "image.webp", rgb, lossless=True)
    save(root / "dogs" / "la.png", Image.fromarray(rng.integers(0, 256, (16, 16), dtype=np.uint8)).convert("LA"))
    for i in range(6):  # plain ones: splits of at least the 6 images the metrics need
        save(root / "dogs" / "plain" / f"{i}.png", Image.new("RGB", (12, 10), (40 * i, 0, 0)))
    (root / "dogs" / "notes.txt").write_text("not an image, and not named like one: ignored")
    (root / "dogs" / ".hidden.png").write_bytes(b"ignored: hidden")
    return root


def folder_run(root: Path, tmp_path: Path, **settings):
    out = tmp_path / "out"
    return materialise("folder", out / "f.npz", out / "f.json", local_path=root, settings=settings)


def test_folder_of_mixed_images_with_labels(mixed_folder, tmp_path):
    manifest = folder_run(mixed_folder, tmp_path, image_size=16, labels=True, test_images=6)
    arrays = datasets.load(tmp_path / "out" / "f.npz")
    assert arrays["x_train"].shape == (8, 16, 16, 3) and arrays["x_test"].shape == (6, 16, 16, 3)
    assert manifest["classes"] == ["cats", "dogs"]
    assert sum(manifest["class_counts"]["train"]) + sum(manifest["class_counts"]["test"]) == 14
    assert manifest["counts"] == {"train": 8, "test": 6} and manifest["unreadable"] == []
    assert len(manifest["content_sha256"]) == 64
    again = folder_run(mixed_folder, tmp_path / "again", image_size=16, labels=True, test_images=6)
    assert again["content_sha256"] == manifest["content_sha256"]
    assert (tmp_path / "out" / "f.npz").read_bytes() == (tmp_path / "again" / "out" / "f.npz").read_bytes()


def test_folder_modes_are_converted(mixed_folder, tmp_path):
    from wganlib.datasets.pictures import decode

    white = decode((mixed_folder / "dogs" / "alpha.png").read_bytes(), 8, 3)
    assert (white == 255).all()  # transparency over white
    sixteen = decode((mixed_folder / "dogs" / "sixteen.png").read_bytes(), 8, 1)
    assert sixteen.shape == (8, 8) and (sixteen == 255).all()  # 16-bit full scale -> 255
    grey = decode((mixed_folder / "cats" / "grey.png").read_bytes(), 8, 3)
    assert grey.shape == (8, 8, 3) and (grey[..., 0] == grey[..., 1]).all()
    manifest = folder_run(mixed_folder, tmp_path, image_size=16, channels=1, test_images=6)
    assert datasets.load(tmp_path / "out" / "f.npz")["x_train"].shape == (8, 16, 16)  # greyscale: (N, H, W)
    assert manifest["classes"] is None and manifest["channels"] == 1


def test_resize_and_center_crop_as_torchvision():
    """torchvision's Resize(8) then CenterCrop(8) of a 40x20 (w x h) image: 16x8, columns 4 to 11."""
    stripes = np.repeat(np.arange(40, dtype=np.uint8)[None, :] * 6, 20, axis=0)
    resized = resize_shorter(Image.fromarray(stripes), 8)
    assert resized.size == (16, 8)
    cropped = np.asarray(center_crop(resized, 8))
    np.testing.assert_array_equal(cropped, np.asarray(resized)[:, 4:12])
    assert resize_shorter(Image.fromarray(stripes.T.copy()), 8).size == (8, 16)  # tall: the width goes to 8


# ---------------------------------------------------------------------------------------------
# Settings, registry and the store


def test_settings_a_dataset_does_not_read_are_refused(tmp_path):
    with pytest.raises(DatasetError, match="cifar10 has no setting image_size"):
        materialise("cifar10", tmp_path / "c.npz", tmp_path / "c.json", mirrors=[], settings={"image_size": 64})
    assert datasets.image_shape("lsun-church_outdoor", {"image_size": 128}) == (128, 3)
    assert datasets.image_shape("stacked-mnist") == (28, 3)
    with pytest.raises(DatasetError, match="known: .*lsun-<name>"):
        datasets.get_spec("imagenet")


def test_store_is_an_npz_and_a_memory_map(cifar, tmp_path):
    cifar_run(cifar, tmp_path, ["good"])
    path = tmp_path / "out" / "cifar10.npz"
    with np.load(path) as plain:  # still an ordinary .npz
        np.testing.assert_array_equal(plain["x_train"], datasets.load(path, mmap=True)["x_train"])
    mapped = datasets.load(path, mmap=True)["x_train"]
    assert isinstance(mapped, np.memmap) and not mapped.flags.writeable
