"""How many images a dataset must hold, and what to say when it holds fewer.

Two needs, each checked as early as the numbers are known (at planning, ``planning``; at the
build, ``store``; and by training, for what only the built dataset knows):

- every split at least ``MIN_SAMPLES`` images: precision, recall, density and coverage
  (``wganlib.measures.manifold``) measure each image's distance to its k-th nearest neighbour, k = 3 and 5,
  among the evaluation images and, for the real-data floor, among as many training images;
- the training split at least one batch (``training.batch_size``) of every experiment on it.
"""

from __future__ import annotations

from collections.abc import Mapping

from wganlib.measures.manifold import DENSITY_COVERAGE_K, MIN_SAMPLES

from .specs import DatasetError, DatasetSpec

_USE = {"train": "training", "test": "evaluation"}


def split_problem(spec: DatasetSpec, split: str, count: int, at_most: bool = False) -> str | None:
    """What is wrong with a split of ``count`` images, or None; ``at_most``: the count is an upper
    bound known before the build (files not yet decoded)."""
    if count >= MIN_SAMPLES:
        return None
    return (
        f"{spec.name}: {'at most ' if at_most else ''}{count} {_USE[split]} images, too few: the metrics need "
        f"at least {MIN_SAMPLES} (density and coverage compare each image with its {DENSITY_COVERAGE_K} nearest "
        f"neighbours, and the real-data floor does so with as many training images). {_sentence(_more(spec, split))}."
    )


def batch_problem(spec: DatasetSpec, n_train: int, batch_sizes: Mapping[str, int], at_most: bool = False) -> str | None:
    """What is wrong when experiments (name -> batch_size) train on ``n_train`` images, or None."""
    larger = {name: size for name, size in batch_sizes.items() if size > n_train}
    if not larger:
        return None
    names = sorted(larger)
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (
        f"{spec.name}: {'at most ' if at_most else ''}{n_train} training images, fewer than one batch of "
        f"{max(larger.values())} ({shown}). Lower training.batch_size (or batch_size in overrides for those "
        f"experiments) to {n_train} or less, or give it more training images: {_more(spec, 'train')}."
    )


def check_split(spec: DatasetSpec, split: str, count: int) -> None:
    """DatasetError if the built split is too small."""
    problem = split_problem(spec, split, count)
    if problem:
        raise DatasetError(problem)


def check_batches(spec: DatasetSpec, n_train: int, experiment: str, batch_size: int) -> None:
    """DatasetError if one experiment's batch is larger than the built training split."""
    problem = batch_problem(spec, n_train, {experiment: batch_size})
    if problem:
        raise DatasetError(problem)


def _more(spec: DatasetSpec, split: str) -> str:
    """Which settings give a split more images (a clause: lower case, no full stop)."""
    key = f"data.settings.{spec.name}"
    if split == "test":
        if "test_images" in spec.settings:
            return f"set {key}.test_images to {MIN_SAMPLES} or more" + (", or add images" if spec.own_images else "")
        return "add images"
    if "train_images" in spec.settings:
        return f"raise {key}.train_images"
    ways = ["add images"] if spec.own_images else []
    if "max_images" in spec.settings:
        ways.append(f"raise or remove {key}.max_images")
    if "test_images" in spec.settings:
        ways.append(f"lower {key}.test_images")
    return ", or ".join(ways) or "add images"


def _sentence(clause: str) -> str:
    return clause[:1].upper() + clause[1:]
