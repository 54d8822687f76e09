"""Bad data, as people's own files bring it, built from small generated files: each case asserts
that the message names the file (or path) and says what to do, and that nothing is left that a
rerun would take as valid (no .npz, no manifest, no spool).

The rest of the suite, where a case is tested elsewhere: an LMDB's unreadable entries, damaged
pages, missing or still zipped (tests/test_lsun_dataset.py); a CIFAR-10 archive of the wrong
checksum or cut short, and every source failing, offline included (tests/test_image_datasets.py,
``test_cifar10_every_source_fails_with_one_message``); MNIST offline, naming the offline digits
(tests/test_dataset_sources.py, ``test_script_by_hand_failure_is_one_clear_error``); config
mistakes for colour data: a setting a dataset does not read (tests/test_image_datasets.py), an
image size the conv networks cannot take, a setting of a dataset that has none, a choice it does
not offer (tests/test_sized_networks.py); a changed folder replanned, sizes refused at planning,
and a failed build's message on screen (tests/test_dataset_planning.py).
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_image_datasets import cifar_batch, folder_run, save
from wganlib import datasets
from wganlib.datasets import DatasetError, materialise
from wganlib.datasets.cifar10 import TEST_BATCH, TRAIN_BATCHES
from wganlib.plan.config import ConfigError, validate

JPEG_START = b"\xff\xd8\xff\xe0"


def pictures(root: Path, n: int, start: int = 0) -> Path:
    """``n`` small PNGs of different colours in ``root``."""
    for i in range(start, start + n):
        save(root / f"{i:03d}.png", Image.new("RGB", (12, 10), (i % 256, 7 * i % 256, 0)))
    return root


def nothing_left(out: Path) -> bool:
    """No .npz, manifest or spool under ``out``: nothing a rerun could take as valid."""
    return not out.exists() or not any(out.iterdir())


def refused(root: Path, tmp_path: Path, **settings) -> str:
    with pytest.raises(DatasetError) as err:
        folder_run(root, tmp_path, image_size=16, **settings)
    assert nothing_left(tmp_path / "out")
    return str(err.value)


# ---------------------------------------------------------------------------------------------
# A folder of images


def test_refusing_names_every_unreadable_file_in_one_run(tmp_path):
    root = pictures(tmp_path / "pictures", 40)
    for i in range(25):
        (root / "broken" / f"{i:02d}.png").parent.mkdir(exist_ok=True)
        (root / "broken" / f"{i:02d}.png").write_text("not a picture")
    message = refused(root, tmp_path, test_images=20)
    assert message.startswith(f"25 of the files under {root} cannot be read as images:")
    named = [line for line in message.splitlines() if line.startswith("  broken/")]
    assert [line.split(":")[0].strip() for line in named] == [f"broken/{i:02d}.png" for i in range(20)]
    assert "  ... and 5 more" in message and "BytesIO" not in message
    assert "Delete or fix them, or set data.settings.folder.unreadable: skip" in message
    manifest = folder_run(root, tmp_path, image_size=16, test_images=20, unreadable="skip")
    assert manifest["unreadable"] == [f"broken/{i:02d}.png" for i in range(25)]
    assert sum(manifest["counts"].values()) == 40


def jpeg_cut_short() -> bytes:
    encoded = io.BytesIO()
    Image.new("RGB", (40, 40), "blue").save(encoded, "JPEG")
    return encoded.getvalue()[:200]


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("cut-short", "damaged or cut short ("),
        ("empty", "empty (0 bytes)"),
        ("text", "not a picture in a format Pillow reads (PNG, JPEG, WebP, BMP)"),
        ("dangling-link", "a link to missing.png, which does not exist"),
        ("over-the-warning", "1,600 pixels, more than the 1,000 Pillow decodes from one file"),
        ("over-the-error", "3,600 pixels, more than the 2,000 Pillow decodes from one file"),
        ("no-permission", "not readable by this user (permission denied)"),
    ],
)
def test_each_kind_of_unreadable_file_is_named_with_why(tmp_path, monkeypatch, kind, reason):
    """Pillow's guard against decompression bombs warns over MAX_IMAGE_PIXELS and fails over twice
    that (89 and 179 megapixels by default): made small here, so a 40x40 and a 60x60 picture pass it."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    root = pictures(tmp_path / "pictures", 14)
    bad = root / "bad.jpg"
    if kind == "cut-short":
        bad.write_bytes(jpeg_cut_short())
    elif kind == "empty":
        bad.write_bytes(b"")
    elif kind == "text":
        bad.write_text("<html>a web page saved as .jpg</html>")
    elif kind == "dangling-link":
        bad.symlink_to("missing.png")
    elif kind.startswith("over"):
        Image.new("RGB", (40, 40) if kind == "over-the-warning" else (60, 60)).save(bad, "PNG")
    else:  # root reads any file whatever its mode: the refusal to read it is made here
        bad.write_bytes(JPEG_START)
        read_bytes = Path.read_bytes

        def denied(path: Path) -> bytes:
            if path == bad:
                raise PermissionError(13, "Permission denied", str(path))
            return read_bytes(path)

        monkeypatch.setattr(Path, "read_bytes", denied)
    message = refused(root, tmp_path, test_images=6)
    assert f"1 of the files under {root} cannot be read as images:\n  bad.jpg: {reason}" in message


def test_too_small_is_refused_before_any_file_is_decoded(tmp_path):
    """With the numbers and the settings that change them; a broken file among them is not
    reached: the sizes are known from the listing."""
    root = pictures(tmp_path / "pictures", 44)
    (root / "broken.png").write_text("not a picture")
    message = refused(root, tmp_path)  # a tenth of 45 held out: 4
    assert message == (
        "folder: 4 evaluation images, too few: the metrics need at least 6 (density and coverage compare "
        "each image with its 5 nearest neighbours, and the real-data floor does so with as many training "
        "images). Set data.settings.folder.test_images to 6 or more, or add images."
    )
    message = refused(root, tmp_path, test_images=40)
    assert message.startswith("folder: 5 training images, too few: the metrics need at least 6")
    assert message.endswith(
        "Add images, or raise or remove data.settings.folder.max_images, or lower data.settings.folder.test_images."
    )


def test_too_few_left_after_skipping_is_refused_at_the_build(tmp_path):
    """13 files, 6 held out, 7 to train: the two broken ones, one in each split as the seeded split
    puts them, leave 5 for evaluation, known only once they are decoded."""
    root = pictures(tmp_path / "pictures", 11)
    (root / "broken.png").write_text("not a picture")
    (root / "empty.png").write_bytes(b"")
    message = refused(root, tmp_path, test_images=6, unreadable="skip")
    assert message.startswith("folder: 5 evaluation images, too few: the metrics need at least 6")


@pytest.mark.parametrize("key", ["final_samples", "snapshot_samples"])
def test_too_few_generated_samples_for_the_metrics_is_a_config_mistake(key):
    with pytest.raises(ConfigError, match=f"evaluation.{key}: 5 is out of range: it must be at least 6"):
        validate({"evaluation": {key: 5}})


def test_folder_path_mistakes(tmp_path):
    with pytest.raises(DatasetError, match="set data.paths.folder in config/config.yaml"):
        materialise("folder", tmp_path / "out" / "f.npz", tmp_path / "out" / "f.json")
    gone = tmp_path / "gone"
    assert f"{gone} is missing, not a folder; set it to your folder of images" in refused(gone, tmp_path)
    (tmp_path / "one.png").write_bytes(b"")
    assert f"{tmp_path / 'one.png'} is a file, not a folder" in refused(tmp_path / "one.png", tmp_path)
    (tmp_path / "pictures.zip").write_bytes(b"PK\x03\x04")
    message = refused(tmp_path / "pictures.zip", tmp_path)
    assert f"{tmp_path / 'pictures.zip'} is an archive; unpack it (e.g. unzip pictures.zip)" in message
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    (tmp_path / "empty" / "readme.txt").write_text("only files that are not images")
    assert f"{tmp_path / 'empty'} holds no images (.png, .jpg" in refused(tmp_path / "empty", tmp_path)
    loose = pictures(tmp_path / "loose", 12)
    message = refused(loose, tmp_path, labels=True, test_images=6)
    assert f"12 images are in no subfolder of {loose} (e.g. 000.png)" in message and "labels: false" in message


def test_a_killed_builds_leftovers_are_removed_at_the_next_start(tmp_path):
    out = tmp_path / "out"
    spool = out / ".f.npz.k1ll3d"
    spool.mkdir(parents=True)
    (spool / "x_train").write_bytes(bytes(1000))
    half_written = out / ".f.npz.a1b2c3.tmp.npz"
    half_written.write_bytes(b"PK")
    stamp = out / ".f.npz.verified.json"  # the stamp of a verified .npz: not the build's
    stamp.write_text("{}")
    folder_run(pictures(tmp_path / "pictures", 12), tmp_path, image_size=16, test_images=6)
    assert sorted(p.name for p in out.iterdir()) == [".f.npz.verified.json", "f.json", "f.npz"]


# ---------------------------------------------------------------------------------------------
# CIFAR-10's extracted batches


@pytest.mark.parametrize("damage", ["garbage", "cut-short", "missing"])
def test_a_damaged_cifar10_batch_file_is_named(tmp_path, damage):
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for name in (*TRAIN_BATCHES, TEST_BATCH):
        (folder / name).write_bytes(pickle.dumps(cifar_batch(rng, 6), protocol=2))
    batch = folder / "data_batch_2"
    if damage == "garbage":
        batch.write_bytes(b"\x00garbage, not a pickle")
    elif damage == "cut-short":
        batch.write_bytes(batch.read_bytes()[:1000])
    else:
        batch.unlink()
    out = tmp_path / "out"
    with pytest.raises(DatasetError) as err:
        materialise("cifar10", out / "c.npz", out / "c.json", local_path=folder, mirrors=[])
    message = str(err.value)
    what = "is missing" if damage == "missing" else "is not a CIFAR-10 batch: damaged or cut short"
    assert f"{batch} {what}" in message
    assert "extract cifar-10-python.tar.gz again, or point data.paths.cifar10 at the archive" in message
    assert nothing_left(out)
    assert datasets.get_spec("cifar10").archive_md5 in message  # and where to get the archive
