"""A CIFAR-10-shaped run end to end through Snakemake: a folder of generated 32x32 colour images
(coloured shapes, three classes in nested folders) goes through training, GIFs, evaluation,
figures, summary and report, and every picture on the way keeps its colour."""

import base64
import io
import json
import re

import imageio.v3 as iio
import numpy as np
import pytest
from conftest import TINY, copy_workflow, snakemake
from PIL import Image, ImageDraw

pytestmark = pytest.mark.slow

SHAPES = ("circle", "square", "triangle")
PER_SHAPE = 80
EXPERIMENTS = ("dcgan-conv-s0", "wgan-conv-s0")
SNAPSHOTS = [0, 10, 20, 30, 40]  # generator iterations; 0: the untrained generator


def draw_shape(shape: str, rng: np.random.Generator) -> Image.Image:
    """A warm shape on a blue background, both of random shade, at a random place and size; even
    the mean image is coloured, so a generator a few dozen iterations old draws in colour. A few
    images are larger than 32 pixels and not square, so the folder's resize and crop run."""
    size = (32, 32) if rng.random() < 0.8 else (48, 40)
    background = tuple(int(rng.integers(low, high)) for low, high in ((0, 60), (60, 140), (160, 256)))
    colour = tuple(int(rng.integers(low, high)) for low, high in ((200, 256), (60, 200), (0, 60)))
    image = Image.new("RGB", size, background)
    side = int(rng.integers(12, 24))
    left, top = (int(rng.integers(0, n - side)) for n in size)
    box = (left, top, left + side, top + side)
    draw = ImageDraw.Draw(image)
    if shape == "circle":
        draw.ellipse(box, fill=colour)
    elif shape == "square":
        draw.rectangle(box, fill=colour)
    else:
        draw.polygon([(left, top + side), (left + side, top + side), (left + side // 2, top)], fill=colour)
    return image


@pytest.fixture(scope="module")
def colour_run(tmp_path_factory):
    """The images, a two-model grid of tiny networks on them, and one Snakemake run to the report."""
    root = tmp_path_factory.mktemp("colour")
    pictures = root / "pictures"
    rng = np.random.default_rng(0)
    for shape in SHAPES:
        for index in range(PER_SHAPE):
            path = pictures / shape / f"part{index % 2}" / f"{shape}_{index:03d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            draw_shape(shape, rng).save(path)
    config = {
        **TINY,
        "datasets": ["folder"],
        "models": ["dcgan", "wgan"],
        "training": {**TINY["training"], "generator_iterations": SNAPSHOTS[-1], "snapshot_every": 10},
        # Wider than TINY's and five times the usual learning rates: in 40 iterations the samples
        # move from the untrained generator's plain grey to the data's blues and oranges.
        "architecture_definitions": {
            "conv": {"generator": {"type": "conv", "width": 16}, "critic": {"type": "conv", "width": 16}}
        },
        "model_settings": {
            "dcgan": {"learning_rate": 1.0e-3},
            "wgan": {**TINY["model_settings"]["wgan"], "learning_rate": 1.0e-3},
        },
        "overrides": {},
        "figures": {"sheet_samples": 36},
        "data": {
            "paths": {"folder": str(pictures)},
            "settings": {"folder": {"image_size": 32, "labels": True, "test_images": 60}},
        },
    }
    copy_workflow(root, config)
    snakemake("--cores", "2", cwd=root)
    snakemake("--report", "report.html", cwd=root)
    return root


def rgb(path) -> np.ndarray:
    """The picture at ``path`` as (H, W, 3), after checking it was saved in colour."""
    with Image.open(path) as image:
        assert image.mode == "RGB", f"{path} is {image.mode}"
        return np.asarray(image)


def colourful(pixels: np.ndarray) -> float:
    """The share of pixels whose channels differ by more than 30 of 255: 0 for any grey picture."""
    pixels = pixels[..., :3].reshape(-1, 3).astype(int)
    return float(np.mean(pixels.max(axis=1) - pixels.min(axis=1) > 30))


def test_the_folder_becomes_a_colour_dataset(colour_run):
    with np.load(colour_run / "resources/datasets/folder.npz") as data:
        assert data["x_train"].shape == (len(SHAPES) * PER_SHAPE - 60, 32, 32, 3)
        assert sorted(set(data["y_train"].tolist())) == [0, 1, 2]
        assert colourful(data["x_train"]) > 0.5


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_frames_samples_gif_and_contact_sheet_are_in_colour(colour_run, experiment):
    folder = colour_run / "results" / "folder" / experiment
    assert json.loads((folder / "status.json").read_text())["status"] == "completed"
    frames = sorted((folder / "frames").glob("iter_*.png"))
    assert [f.name for f in frames] == [f"iter_{i:06d}.png" for i in SNAPSHOTS]
    for frame in frames:
        assert rgb(frame).shape == (8 * 32 + 9 * 2, 8 * 32 + 9 * 2, 3)  # 64 samples, 8 a row
    assert colourful(rgb(frames[-1])) > 0.1  # the untrained generator's frame is plain grey
    with np.load(folder / "samples.npz") as saved:
        assert saved["images"].shape == (TINY["evaluation"]["final_samples"], 32, 32, 3)
    sheet = rgb(folder / "samples.png")
    assert sheet.shape == (6 * 32 + 7 * 2, 6 * 32 + 7 * 2, 3)  # the 36 samples of sheet_samples
    assert colourful(sheet) > 0.1

    gif = iio.imread(folder / "training.gif", index=None)
    assert gif.shape[0] == len(frames) and gif.shape[-1] in (3, 4)
    band = gif.shape[1] - 2 * rgb(frames[0]).shape[0]  # make_gif.py doubles the frames
    assert colourful(gif[-1, band:]) > 0.1
    assert colourful(rgb(folder / "training_frames.png")) > 0.05

    evaluation = json.loads((folder / "evaluation.json").read_text())
    assert np.isfinite(evaluation["final"]["fid"])
    assert [row["generator_iteration"] for row in evaluation["over_training"]] == SNAPSHOTS


def test_figures_summary_and_report(colour_run):
    results = colour_run / "results" / "folder"
    for figure in ("em_estimate", "js_estimate", "samples", "summary", "quality_over_compute"):
        for suffix in ("png", "pdf"):
            assert (results / "figures" / f"{figure}.{suffix}").stat().st_size > 1000
    with Image.open(results / "figures" / "samples.png") as figure:
        assert colourful(np.asarray(figure.convert("RGB"))) > 0.05  # the two sheets, not just titles
    assert len((results / "summary.csv").read_text().splitlines()) == 1 + len(EXPERIMENTS)
    assert "folder" in (results / "summary.md").read_text()


def test_the_report_shows_the_samples_in_colour(colour_run):
    """`snakemake --report` embeds the sample sheets, contact sheets and samples figure as they are."""
    report = (colour_run / "report.html").read_text()
    embedded = re.findall(r"data:image/png;charset=utf8;filename=([^;]+);base64,([A-Za-z0-9+/=]+)", report)
    shown = {}
    for name, data in embedded:
        if name in ("samples.png", "training_frames.png"):
            with Image.open(io.BytesIO(base64.b64decode(data))) as picture:
                shown.setdefault(name, []).append(colourful(np.asarray(picture.convert("RGB"))))
    # one sheet and one contact sheet per experiment, and the samples figure
    assert {name: len(values) for name, values in shown.items()} == {"samples.png": 3, "training_frames.png": 2}
    assert min(min(values) for values in shown.values()) > 0.1, shown


def test_tensorboard_sample_images_are_in_colour(colour_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    folder = colour_run / "results" / "folder" / "wgan-conv-s0" / "tensorboard"
    events = EventAccumulator(str(folder), size_guidance={"images": 0, "tensors": 0}).Reload()
    # tf.summary.image writes a tensor: width, height, then the PNG of each image
    encoded = [event.tensor_proto.string_val[2] for event in events.Tensors("samples/wgan-conv-s0")]
    assert len(encoded) == len(SNAPSHOTS)
    with Image.open(io.BytesIO(encoded[-1])) as picture:
        assert picture.mode == "RGB" and colourful(np.asarray(picture)) > 0.1
