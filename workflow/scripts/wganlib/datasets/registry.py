"""The registry: dataset name -> its ``DatasetSpec``. A new dataset is a module of its own (its spec,
and a reader if its files are of a new form) and one line here; a family of datasets named by a
prefix (every LSUN category, ``lsun-<category>``) is one line in ``FAMILIES``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .cifar10 import CIFAR10
from .folder import FOLDER
from .lsun import lsun_spec
from .mnist import FASHION_MNIST, MNIST, MNIST_5K
from .specs import DatasetError, DatasetSpec
from .stacked import STACKED_MNIST

REGISTRY: dict[str, DatasetSpec] = {
    "mnist": MNIST,
    "fashion-mnist": FASHION_MNIST,
    "mnist-5k": MNIST_5K,
    "cifar10": CIFAR10,
    "stacked-mnist": STACKED_MNIST,
    "folder": FOLDER,
}
FAMILIES: dict[str, Callable[[str], DatasetSpec]] = {"lsun-": lsun_spec}


def get_spec(dataset: str) -> DatasetSpec:
    """The registry entry for ``dataset``; DatasetError naming the known datasets otherwise."""
    if dataset in REGISTRY:
        return REGISTRY[dataset]
    for prefix, make in FAMILIES.items():
        if dataset.startswith(prefix) and len(dataset) > len(prefix):
            return make(dataset)
    known = ", ".join([*sorted(REGISTRY), *(f"{prefix}<name>" for prefix in FAMILIES)])
    raise DatasetError(f"unknown dataset {dataset!r}; known: {known}")


def image_shape(dataset: str, given: dict[str, Any] | None = None) -> tuple[int, int]:
    """(image_size, channels) of ``dataset`` under its data.settings ``given``."""
    return get_spec(dataset).image_shape(given)
