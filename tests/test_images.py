"""Image grids, frame ordering by iteration, the progress GIF and its contact sheet."""

from __future__ import annotations

import hashlib
import random
import subprocess
import sys
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest
from PIL import Image
from wganlib.common import images

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"


def test_grid_shape_and_padding():
    batch = np.full((10, 28, 28), 255, np.uint8)
    grid = images.image_grid(batch, ncols=4)
    assert grid.dtype == np.uint8
    assert grid.shape == (3 * 28 + 4 * 2, 4 * 28 + 5 * 2)  # 3 rows, 2 px lines
    assert grid[0, 0] == images.PAD_VALUE and grid[2, 2] == 255
    assert grid[-3, -3] == 0  # cells past N stay black


def test_grid_from_tanh_floats():
    batch = np.stack([np.full((28, 28), -1.0), np.full((28, 28), 1.0)])
    grid = images.image_grid(batch[..., None], ncols=2)  # (N, 28, 28, 1) accepted
    assert grid.shape == (28 + 4, 2 * 28 + 6)
    assert grid[2, 2] == 0 and grid[2, 2 + 28 + 2] == 255


def test_grid_rejects_bad_input():
    with pytest.raises(ValueError):
        images.image_grid(np.zeros((28, 28), np.uint8), ncols=4)
    with pytest.raises(TypeError):
        images.image_grid(np.zeros((2, 28, 28), np.int32), ncols=4)


def test_frames_sorted_by_iteration_not_by_string():
    names = ["iter_1000.png", "iter_000999.png", "iter_50.png", "iter_0100.png", "iter_20000.png"]
    shuffled = [Path("frames") / n for n in names]
    random.Random(1).shuffle(shuffled)
    ordered = images.frame_paths_in_order(shuffled)
    assert [images.frame_iteration(p) for p in ordered] == [50, 100, 999, 1000, 20000]
    assert all(isinstance(p, Path) for p in ordered)  # the given objects come back


def test_frame_without_iteration_raises_naming_it():
    with pytest.raises(ValueError, match="final.png"):
        images.frame_paths_in_order(["iter_100.png", "frames/final.png"])
    with pytest.raises(ValueError, match="two frames for iteration 100"):
        images.frame_paths_in_order(["iter_100.png", "iter_0100.png"])


def write_frames(directory: Path, iterations: list[int]) -> list[Path]:
    """Frames whose brightness grows with the iteration, names with mixed zero padding."""
    paths = []
    for it in iterations:
        width = 4 if it % 2 else 6
        path = directory / f"iter_{it:0{width}d}.png"
        images.save_png(path, images.image_grid(np.full((16, 28, 28), it // 10, np.uint8), 4))
        paths.append(path)
    random.Random(0).shuffle(paths)
    return paths


def test_save_png_roundtrip(tmp_path):
    grid = images.image_grid(np.arange(4 * 28 * 28, dtype=np.uint8).reshape(4, 28, 28), 2)
    images.save_png(tmp_path / "g.png", grid)
    assert np.array_equal(iio.imread(tmp_path / "g.png"), grid)
    assert [p.name for p in tmp_path.iterdir()] == ["g.png"]  # no temp file left


def test_gif_frames_durations_and_order(tmp_path):
    iterations = [100, 200, 500, 999, 1000, 1500, 2000]
    paths = write_frames(tmp_path, iterations)
    out = tmp_path / "progress.gif"
    images.make_gif(paths, out, frame_duration_s=0.2, last_frame_hold_s=1.5)

    frames = iio.imread(out, index=None)
    assert len(frames) == len(iterations)
    durations = [iio.immeta(out, index=i)["duration"] for i in range(len(frames))]
    assert durations[:-1] == [200] * (len(iterations) - 1)  # milliseconds
    assert durations[-1] == 1500 > durations[0]
    assert iio.immeta(out, index=0).get("loop") == 0

    grid_height = Image.open(paths[0]).size[1]
    band = frames.shape[1] - grid_height
    assert band > 0
    grey = frames[..., 0] if frames.ndim == 4 else frames
    brightness = [frame[band:].astype(float).mean() for frame in grey]
    assert all(a < b for a, b in zip(brightness, brightness[1:], strict=False)), brightness
    assert grey[0, :band].mean() > 200  # the label band is white with dark text
    assert grey[0, :band].min() < 100


def test_gif_needs_frames(tmp_path):
    with pytest.raises(ValueError):
        images.make_gif([], tmp_path / "x.gif", frame_duration_s=0.1, last_frame_hold_s=1)


def test_contact_sheet_picks_first_and_last(tmp_path):
    paths = write_frames(tmp_path, list(range(100, 1100, 100)))
    chosen = images.evenly_chosen(images.frame_paths_in_order(paths), 4)
    assert [images.frame_iteration(p) for p in chosen] == [100, 400, 700, 1000]
    out = tmp_path / "sheet.png"
    images.make_contact_sheet(paths, out, max_frames=4, ncols=2)
    sheet = iio.imread(out)
    tile_w = Image.open(paths[0]).size[0]
    assert sheet.ndim == 2 and sheet.shape[1] == 2 * tile_w + 3 * 8
    assert sheet.shape[0] > 2 * Image.open(paths[0]).size[1]


def test_modules_import_without_tensorflow():
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "import wganlib.common.images, wganlib.verdicts.runs, wganlib.report.plots, wganlib.verdicts.claims, wganlib.report.report; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')]; "
        "assert not bad, bad; "
        "assert 'matplotlib.pyplot' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code, str(SCRIPTS)], check=True, timeout=60)


def test_gif_of_a_single_frame(tmp_path):
    """A run that diverged before its first snapshot has one frame; it still makes a GIF."""
    frame = tmp_path / "iter_000002.png"
    images.save_png(frame, np.zeros((30, 30), np.uint8))
    images.make_gif([frame], tmp_path / "one.gif", frame_duration_s=0.2, last_frame_hold_s=1.0)
    assert (tmp_path / "one.gif").stat().st_size > 0


# -- colour: grids, frames, GIFs and contact sheets keep RGB -------------------------------------
PRIMARIES = {100: (220, 30, 30), 200: (30, 220, 30), 300: (30, 30, 220)}  # iteration -> tile colour


def write_colour_frames(directory: Path) -> list[Path]:
    """32x32 colour frames, each of one primary colour, as the training job writes them."""
    paths = []
    for iteration, colour in PRIMARIES.items():
        batch = np.broadcast_to(np.array(colour, np.uint8), (16, 32, 32, 3))
        path = directory / f"iter_{iteration:06d}.png"
        images.save_png(path, images.image_grid(batch, ncols=4))
        paths.append(path)
    return paths


def test_colour_grid_roundtrips_as_rgb(tmp_path):
    batch = np.random.default_rng(0).integers(0, 256, (6, 32, 32, 3), dtype=np.uint8)
    grid = images.image_grid(batch, ncols=3)
    assert grid.shape == (2 * 32 + 3 * 2, 3 * 32 + 4 * 2, 3)
    images.save_png(tmp_path / "g.png", grid)
    with Image.open(tmp_path / "g.png") as saved:
        assert saved.mode == "RGB"
    assert np.array_equal(images.read_grid(tmp_path / "g.png"), grid)
    images.save_png(tmp_path / "grey.png", images.image_grid(batch[..., 0], ncols=3))
    assert images.read_grid(tmp_path / "grey.png").ndim == 2


def test_colour_gif_and_contact_sheet_keep_each_frames_colour(tmp_path):
    paths = write_colour_frames(tmp_path)
    images.make_gif(paths, tmp_path / "c.gif", frame_duration_s=0.2, last_frame_hold_s=1.0, scale=2)
    frames = iio.imread(tmp_path / "c.gif", index=None)[..., :3]
    assert len(frames) == len(PRIMARIES)
    band = frames.shape[1] - 2 * Image.open(paths[0]).size[1]
    for frame, colour in zip(frames, PRIMARIES.values(), strict=True):
        tile = frame[band + 8 : band + 40, 8:40].reshape(-1, 3).astype(int)  # inside the first tile
        assert np.abs(tile - colour).max() <= 8, (tile.mean(axis=0), colour)
        label = frame[:band].astype(int)
        assert label.mean() > 200 and label.min() < 100  # white band, dark text
        assert np.abs(label[..., 0] - label[..., 2]).max() <= 8  # the label stays black on white

    images.make_contact_sheet(paths, tmp_path / "sheet.png", ncols=3)
    with Image.open(tmp_path / "sheet.png") as saved:
        assert saved.mode == "RGB"
    sheet = images.read_grid(tmp_path / "sheet.png").astype(int)
    tile_w = Image.open(paths[0]).size[0]
    for column, colour in enumerate(PRIMARIES.values()):  # one tile per frame, left to right
        left = 8 + column * (tile_w + 8)
        row = sheet[-8 - 4, left + 2 : left + 34]  # a line through the bottom-left image of each tile
        assert np.array_equal(row, np.broadcast_to(colour, row.shape)), (column, row[0])


def test_colour_gif_label_stays_black_on_white_beside_many_colours(tmp_path):
    """Frames of more colours than a GIF holds: the label keeps its black, not the nearest blue."""
    rng = np.random.default_rng(1)
    path = tmp_path / "iter_000040.png"
    blues = rng.integers(0, 256, (64, 32, 32, 3)) * [0.1, 0.3, 1.0] + [0, 40, 0]
    images.save_png(path, images.image_grid(blues.astype(np.uint8), ncols=8))
    images.make_gif([path], tmp_path / "b.gif", frame_duration_s=0.2, last_frame_hold_s=1.0, scale=2)
    frame = iio.imread(tmp_path / "b.gif", index=None)[0, ..., :3].astype(int)
    band = frame[: frame.shape[0] - 2 * Image.open(path).size[1]]
    assert (band.max(axis=-1) - band.min(axis=-1)).max() <= 8  # neutral: black, greys and white
    assert band.max(axis=-1).min() <= 16 and band.max() >= 247  # black text on white


def test_a_grey_frame_among_colour_ones_becomes_grey_rgb(tmp_path):
    paths = write_colour_frames(tmp_path)
    grey = tmp_path / "iter_000400.png"
    images.save_png(grey, images.image_grid(np.full((16, 32, 32), 90, np.uint8), ncols=4))
    images.make_contact_sheet([*paths, grey], tmp_path / "sheet.png", ncols=4)
    sheet = images.read_grid(tmp_path / "sheet.png")
    assert sheet.ndim == 3
    tile_w = Image.open(grey).size[0]
    left = 8 + 3 * (tile_w + 8)
    assert np.array_equal(sheet[-8 - 4, left + 2 : left + 34], np.full((32, 3), 90))


# -- greyscale outputs unchanged by colour support ------------------------------------------------
# SHA-256 of what the grey (28x28) path draws, computed with the code before colour reached the
# GIFs, contact sheets and figures (commit 0f430fa): a training frame, the evaluation's sample
# sheet, the GIF and the contact sheet of make_gif.py (scale 2), and the samples figure. PNGs
# are compared by their pixels and mode, the GIF by its bytes (Pillow's own encoder).
GREY_DIGESTS = {
    "frame": "aa9a3f4420ca6e1367cd0631af9b09f0c7d4f6008659e7ec6babf695a1f00886",
    "sheet": "5e69ed64729d1d089f975b0583e3fbf77a7c2767f89c64ea531f1c9cccef5dc5",
    "gif": "c112e6d755e1ca16f4d1609cf5154286daeb559a1bf3895db9784d535ccffdac",
    "contact_sheet": "813e7d8fd0c3907131e40436ced899bed96be9903f9fadb29b67dc8e0b9bda48",
    "figure": "f7df015989d5992decb82073a9997f9cdc1c6271dfbf9cfaf9a580f4842504cd",
}


def pixel_digest(path: Path) -> str:
    with Image.open(path) as image:
        return hashlib.sha256(f"{image.mode} {image.size}".encode() + image.tobytes()).hexdigest()


def grey_outputs(folder: Path) -> dict[str, str]:
    """The grey outputs of fixed random digits-sized samples, as digests."""
    from wganlib.report import plots

    rng = np.random.default_rng(26)
    frames = []
    for iteration in (0, 5, 10):
        path = folder / "frames" / f"iter_{iteration:06d}.png"
        images.save_png(path, images.image_grid(rng.uniform(-1, 1, (64, 28, 28, 1)), ncols=8))
        frames.append(path)
    samples = rng.integers(0, 256, (64, 28, 28), dtype=np.uint8)
    images.save_png(folder / "samples.png", images.image_grid(samples, ncols=8))
    images.make_gif(frames, folder / "training.gif", frame_duration_s=0.5, last_frame_hold_s=2.0, scale=2)
    images.make_contact_sheet(frames, folder / "training_frames.png", max_frames=8, scale=2)
    sheets = [
        {"model": m, "architecture": "conv", "experiment": f"{m}-conv-s0", "seed": 0, "images": samples}
        for m in ("wgan", "dcgan")
    ]
    plots.plot_sample_sheet(sheets, folder / "figure.png", folder / "figure.pdf")
    return {
        "frame": pixel_digest(frames[-1]),
        "sheet": pixel_digest(folder / "samples.png"),
        "gif": hashlib.sha256((folder / "training.gif").read_bytes()).hexdigest(),
        "contact_sheet": pixel_digest(folder / "training_frames.png"),
        "figure": pixel_digest(folder / "figure.png"),
    }


def test_grey_outputs_are_those_drawn_before_colour(tmp_path):
    assert grey_outputs(tmp_path) == GREY_DIGESTS
