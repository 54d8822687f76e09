"""The stacked-mnist dataset (wganlib.datasets.stacked): three MNIST digits as the channels of one
image, built deterministically from the digits it is set to, labelled by them, refused when they
change."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from wganlib import datasets
from wganlib.datasets import DatasetError, materialise

# ---------------------------------------------------------------------------------------------
# Stacked MNIST, from an MNIST materialised the usual way


@pytest.fixture
def mnist_npz(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, (50, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(50) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(20) % 10).astype(np.uint8),
    }
    np.savez(tmp_path / "given.npz", **arrays)
    out = tmp_path / "datasets"
    materialise("mnist", out / "mnist.npz", out / "mnist.manifest.json", mirrors=[], local_path=tmp_path / "given.npz")
    return out / "mnist.npz"


def test_stacked_mnist_is_deterministic_and_labelled_by_its_digits(mnist_npz, tmp_path):
    settings = {"train_images": 300, "test_images": 40}
    paths = []
    for run in ("a", "b"):
        out = tmp_path / run
        materialise("stacked-mnist", out / "s.npz", out / "s.json", settings=settings, inputs={"mnist": mnist_npz})
        paths.append(out / "s.npz")
    assert paths[0].read_bytes() == paths[1].read_bytes()  # built twice: the same bytes
    stacked, mnist = datasets.load(paths[0]), datasets.load(mnist_npz)
    assert stacked["x_train"].shape == (300, 28, 28, 3) and stacked["x_test"].shape == (40, 28, 28, 3)
    assert stacked["y_train"].dtype == np.uint16
    for split in ("train", "test"):
        for image, label in zip(stacked[f"x_{split}"][:25], stacked[f"y_{split}"][:25], strict=True):
            digits = []
            for channel in range(3):  # each channel is one MNIST digit of the same split
                (match,) = np.flatnonzero((mnist[f"x_{split}"] == image[..., channel]).all(axis=(1, 2)))
                digits.append(int(mnist[f"y_{split}"][match]))
            assert label == 100 * digits[0] + 10 * digits[1] + digits[2]
    manifest = json.loads((tmp_path / "a" / "s.json").read_text())
    assert len(manifest["classes"]) == 1000 and manifest["files"][0]["verified_by"] == "manifest"


def test_stacked_mnist_is_built_from_the_digits_it_is_set_to(mnist_npz, tmp_path):
    """Offline, from mnist-5k's digits (digits: mnist-5k): its manifest is the one checked, and the
    spec names the one dataset it is built from; a dataset it cannot stack is refused by name."""
    five_k = mnist_npz.with_name("mnist-5k.npz")
    five_k.write_bytes(mnist_npz.read_bytes())
    manifest = json.loads(mnist_npz.with_name("mnist.manifest.json").read_text())
    mnist_npz.with_name("mnist-5k.manifest.json").write_text(json.dumps(manifest))
    mnist_npz.unlink()  # nothing of full MNIST is there
    settings = {"train_images": 30, "test_images": 10, "digits": "mnist-5k"}
    out = tmp_path / "out"
    materialise("stacked-mnist", out / "s.npz", out / "s.json", settings=settings, inputs={"mnist-5k": five_k})
    assert datasets.load(out / "s.npz")["x_train"].shape == (30, 28, 28, 3)
    assert json.loads((out / "s.json").read_text())["files"][0]["name"] == "mnist-5k.npz"
    spec = datasets.get_spec("stacked-mnist")
    assert spec.sources({"digits": "mnist-5k"}) == ("mnist-5k",) and spec.sources(None) == ("mnist",)
    with pytest.raises(DatasetError, match="built from one of mnist, mnist-5k, not 'fashion-mnist'"):
        spec.sources({"digits": "fashion-mnist"})
    with pytest.raises(DatasetError, match="built from mnist-5k: its resources/datasets/mnist-5k.npz"):
        materialise("stacked-mnist", out / "t.npz", out / "t.json", settings=settings, inputs={})


def test_stacked_mnist_refuses_a_changed_mnist(mnist_npz, tmp_path):
    data = bytearray(mnist_npz.read_bytes())
    data[-100] ^= 1
    mnist_npz.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match="corrupt or was changed"):
        materialise("stacked-mnist", tmp_path / "s.npz", tmp_path / "s.json", inputs={"mnist": mnist_npz})
    assert not (tmp_path / "s.npz").exists()
