"""What planning knows of a dataset before it is built (wganlib.datasets.planning): the digest of
its files, which replans it when they change, and its sizes, refused when too small; then the same
through Snakemake: a changed folder replans its dataset, a dataset too small stops the run before
any job, and a failed build's message is on screen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from conftest import TINY, copy_workflow, snakemake
from PIL import Image
from test_bad_data import nothing_left, pictures
from wganlib.datasets import get_spec, materialise, planning


def folder_plan(root: Path, manifest: Path | None = None, **settings) -> planning.Planned:
    return planning.plan("folder", settings, root, manifest or root.parent / "none.json")


def test_the_digest_follows_the_folders_images_and_nothing_else(tmp_path):
    root = pictures(tmp_path / "pictures", 12)
    first = folder_plan(root).contents
    (root / "notes.txt").write_text("not an image")
    (root / ".hidden.png").write_bytes(b"hidden")
    assert folder_plan(root).contents == first  # what the build does not read changes nothing
    pictures(root / "new", 1, start=12)
    added = folder_plan(root).contents
    (root / "new" / "012.png").unlink()
    assert len({first, added}) == 2 and folder_plan(root).contents == first  # added, then removed
    (root / "003.png").write_bytes((root / "003.png").read_bytes() + b"\0")
    grown = folder_plan(root).contents
    stat = (root / "005.png").stat()
    os.utime(root / "005.png", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert len({first, grown, folder_plan(root).contents}) == 3  # changed, then only touched


def test_a_folder_gone_keeps_what_was_built_from_it(tmp_path):
    root = pictures(tmp_path / "pictures", 12)
    out = tmp_path / "out"
    manifest = materialise("folder", out / "f.npz", out / "f.json", local_path=root, settings={"test_images": 6})
    assert manifest["listing"] == folder_plan(root, test_images=6).contents
    root.rename(tmp_path / "moved")
    kept = folder_plan(root, out / "f.json", test_images=6)
    assert kept.contents == manifest["listing"] and kept.counts == {"train": 6, "test": 6, "at_most": False}
    assert f"data.paths.folder: {root} is missing, not a folder" in kept.note
    assert f"{out / 'f.npz'} was built from it and is kept" in kept.note
    unbuilt = folder_plan(root, tmp_path / "other.json")  # a warning at planning: a dry run still plans
    assert (unbuilt.contents, unbuilt.counts) == (None, None) and "its build will fail until then" in unbuilt.note


def test_sizes_known_at_planning_are_checked(tmp_path):
    batches = {"wgan-conv-s0": 64, "wgan-mlp-s0": 32, "dcgan-conv-s0": 64}
    root = pictures(tmp_path / "pictures", 70)  # 7 held out, at most 63 to train
    (problem,) = planning.problems(folder_plan(root), batches)
    assert problem == (
        "folder: at most 63 training images, fewer than one batch of 64 (dcgan-conv-s0, wgan-conv-s0). "
        "Lower training.batch_size (or batch_size in overrides for those experiments) to 63 or less, or give "
        "it more training images: add images, or raise or remove data.settings.folder.max_images, or lower "
        "data.settings.folder.test_images."
    )
    assert planning.problems(folder_plan(root), {"wgan-mlp-s0": 32}) == []
    stacked = planning.plan("stacked-mnist", {"train_images": 40, "test_images": 5}, None, tmp_path / "none.json")
    test_split, batch = planning.problems(stacked, {"wgan-conv-s0": 64})
    assert test_split.startswith("stacked-mnist: 5 evaluation images, too few: the metrics need at least 6")
    assert test_split.endswith("Set data.settings.stacked-mnist.test_images to 6 or more.")
    assert batch.startswith("stacked-mnist: 40 training images, fewer than one batch of 64")
    assert batch.endswith("give it more training images: raise data.settings.stacked-mnist.train_images.")
    cifar = planning.plan("cifar10", {"max_images": 50}, None, tmp_path / "none.json")
    assert "raise or remove data.settings.cifar10.max_images." in planning.problems(cifar, batches)[0]


def test_a_built_datasets_own_counts_are_used_while_its_files_are_unchanged(tmp_path):
    root = pictures(tmp_path / "pictures", 12)
    (root / "000-broken.png").write_text("not a picture")  # first of 13: the seeded split trains on it
    out = tmp_path / "out"
    settings = {"test_images": 6, "unreadable": "skip"}
    materialise("folder", out / "f.npz", out / "f.json", local_path=root, settings=settings)
    built = planning.plan("folder", settings, root, out / "f.json")
    assert built.counts == {"train": 6, "test": 6, "at_most": False}  # 7 listed, 6 decoded
    (problem,) = planning.problems(built, {"wgan-conv-s0": 7})
    assert problem.startswith("folder: 6 training images, fewer than one batch of 7 (wgan-conv-s0)")
    pictures(root, 1, start=12)
    assert planning.plan("folder", settings, root, out / "f.json").counts["at_most"]  # changed: listed again


# ---------------------------------------------------------------------------------------------
# Through Snakemake


def folder_workflow(root: Path, n_pictures: int, batch_size: int = 8) -> Path:
    config = {
        **TINY,
        "datasets": ["folder"],
        "training": {**TINY["training"], "batch_size": batch_size},
        "data": {
            "paths": {"folder": str(root / "pictures")},
            "settings": {"folder": {"image_size": 16, "test_images": 6}},
        },
        # without labels the folder is judged on Inception's 2,048 features: more samples than those
        "evaluation": {**TINY["evaluation"], "final_samples": 2049, "snapshot_samples": 2049},
    }
    pictures(root / "pictures", n_pictures)
    return copy_workflow(root, config)


def planned_build(root: Path) -> str:
    """The dry run of the folder dataset's build alone."""
    return snakemake("-n", "--cores", "1", "resources/datasets/folder.npz", cwd=root).stdout


@pytest.mark.slow
def test_a_changed_folder_replans_its_dataset(tmp_path):
    root = folder_workflow(tmp_path, 14)
    snakemake("--cores", "1", "resources/datasets/folder.npz", cwd=root)
    assert "Nothing to be done" in planned_build(root)
    Image.new("RGB", (12, 10), "green").save(root / "pictures" / "added.png")
    plan = snakemake("-n", "--cores", "1", cwd=root).stdout  # the whole run: the dataset, then all after it
    build = next(block for block in plan.split("\n\n") if "rule download_dataset:" in block)
    assert "reason: Params have changed since last execution" in build
    (root / "pictures" / "added.png").unlink()
    assert "Nothing to be done" in planned_build(root)  # the same files as it was built from


@pytest.mark.slow
def test_a_failed_build_shows_its_message_on_screen_and_too_small_stops_planning(tmp_path):
    root = folder_workflow(tmp_path, 14)
    (root / "pictures" / "broken.png").write_text("not a picture")
    run = snakemake("--cores", "1", "resources/datasets/folder.npz", cwd=root, check=False)
    screen = run.stdout + run.stderr
    assert run.returncode != 0 and "Traceback" not in screen
    assert f"1 of the files under {root / 'pictures'} cannot be read as images:" in screen
    assert "  broken.png: not a picture in a format Pillow reads" in screen
    assert nothing_left(root / "resources" / "datasets")

    config = yaml.safe_load((root / "config" / "config.yaml").read_text())
    config["training"]["batch_size"] = 32
    (root / "config" / "config.yaml").write_text(yaml.safe_dump(config))
    run = snakemake("-n", "--cores", "1", cwd=root, check=False)
    assert run.returncode != 0 and "Traceback" not in run.stdout + run.stderr
    assert "Error: folder: at most 9 training images, fewer than one batch of 32" in run.stderr
    assert "rule " not in run.stdout  # refused before any job was planned


@pytest.mark.parametrize("name", ["folder", "lsun-bedroom"])
def test_a_dataset_read_only_from_its_path_without_one_is_refused_at_planning(name):
    message = get_spec(name).missing_path(None)
    assert message.startswith(f"data.paths.{name} is not set")
    assert f"--config 'data={{paths: {{{name}: /path/to/it}}}}'" in message
    assert get_spec(name).missing_path("/a/placeholder") is None  # a wrong path: a warning (issue 39)
    assert get_spec("mnist").missing_path(None) is None  # it has sources of its own


@pytest.mark.slow
def test_the_paper_config_without_its_lsun_path_stops_before_any_job(tmp_path):
    run = snakemake("-n", "--configfile", "config/paper.yaml", cwd=copy_workflow(tmp_path), check=False)
    output = run.stdout + run.stderr
    assert run.returncode != 0 and "Traceback" not in output
    assert "Error: data.paths.lsun-bedroom is not set, and lsun-bedroom is read only from there" in output
