"""The registry: dataset name -> its ``DatasetSpec``. A new dataset is a module of its own (its spec,
and a reader if its files are of a new form) and one line here."""

from __future__ import annotations

from .mnist import FASHION_MNIST, MNIST, MNIST_5K
from .specs import DatasetError, DatasetSpec

REGISTRY: dict[str, DatasetSpec] = {
    "mnist": MNIST,
    "fashion-mnist": FASHION_MNIST,
    "mnist-5k": MNIST_5K,
}


def get_spec(dataset: str) -> DatasetSpec:
    """The registry entry for ``dataset``; DatasetError naming the known datasets otherwise."""
    try:
        return REGISTRY[dataset]
    except KeyError:
        raise DatasetError(f"unknown dataset {dataset!r}; known: {', '.join(sorted(REGISTRY))}") from None
