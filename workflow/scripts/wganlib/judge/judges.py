"""Which network judges a dataset's samples, and the features each number was computed on. No
TensorFlow.

- ``classifier``: a dataset with labels (the MNIST family, CIFAR-10, Stacked MNIST, a folder with
  ``labels: true``) is judged by a small CNN trained on it (``wganlib.judge.evaluation``): FID, KID,
  precision, recall, density and coverage on
  its penultimate layer, and its classes give the classifier score, the modes covered and the
  class KL.
- ``inception``: a dataset without labels (LSUN, a folder without them) is judged by the standard
  FID network, the Inception graph of the original FID code (TTUR) and most papers
  (``wganlib.judge.inception``): FID, KID, precision, recall, density and coverage on its pool_3
  features. Without classes there is no
  classifier score, no mode and no class KL: they are NaN, and the record says why.

Every record of numbers (``evaluation.json``, ``real_floor.json``) not on the classifier's
features names its features (``features``), and only numbers on the same features are compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from wganlib.datasets import get_spec

CLASSIFIER, INCEPTION = "classifier", "inception"
FEATURES = {CLASSIFIER: "dataset classifier", INCEPTION: "Inception pool_3 (TTUR)"}
# What the summary says under its table about the numbers on each kind of features.
MEANING = {
    FEATURES[CLASSIFIER]: (
        "on the penultimate layer of a classifier trained on the dataset, whose classes give the classifier "
        "score, modes and class KL: comparable between runs of this dataset, not with published FIDs"
    ),
    FEATURES[INCEPTION]: (
        "on the 2,048 pool_3 features of the Inception graph of the original FID code (TTUR, "
        "inception-2015-12-05): the dataset has no labels, so no classifier score, modes or class KL"
    ),
}
CLASS_METRICS = ("classifier_score", "modes_covered", "class_kl")
# Where the workflow keeps the Inception graph (rule download_inception) and each dataset's judge.
INCEPTION_GRAPH = "resources/inception/classify_image_graph_def.pb"
INCEPTION_MANIFEST = "resources/inception/classify_image_graph_def.manifest.json"
NO_CLASSES = "the dataset has no labels: no classifier score, modes covered or class KL"
# FID's Gaussians on pool_3's features: TTUR's README asks for more samples than the 2,048 features
# (fewer give a covariance of less than full rank) and recommends at least 10,000; its published
# statistics of a dataset are computed on the training images.
INCEPTION_FEATURES = 2048
REFERENCE_IMAGES = 10_000
# Stacked MNIST's judge (DatasetSpec.judge): a digit classifier per channel, whose record
# (classifier.json) holds the confidence threshold its confident mode count reads.
PER_CHANNEL = "digits-per-channel"


def judge_of(dataset: str, settings: Mapping[str, Any] | None = None) -> str:
    """``classifier`` for a dataset with labels under its data.settings, ``inception`` otherwise."""
    return CLASSIFIER if get_spec(dataset).has_labels(dict(settings or {})) else INCEPTION


def judge_inputs(dataset: str, settings: Mapping[str, Any] | None = None, results: str = "results") -> dict[str, str]:
    """What a job that judges ``dataset``'s samples reads (the evaluate rule, a monitored training
    run): the reference features (a classifier's of the test split, Inception's of training images),
    and its classifier (with a per-channel one its record, ``judge_record``) or the Inception graph
    (``results``: the run's results folder, config ``results``)."""
    judged = f"{results}/{dataset}/evaluation"
    if judge_of(dataset, settings) == CLASSIFIER:
        inputs = {"classifier": f"{judged}/classifier.keras", "reference": f"{judged}/reference.npz"}
        if get_spec(dataset).judge == PER_CHANNEL:  # its confidence threshold (``modes.confident_modes``)
            inputs["judge_record"] = f"{judged}/classifier.json"
        return inputs
    return {
        "inception": INCEPTION_GRAPH,
        "inception_manifest": INCEPTION_MANIFEST,
        "reference": f"{judged}/reference.npz",
    }


def features_of(record: Mapping | None) -> str | None:
    """The features a record's numbers were computed on: its ``features``, or the dataset
    classifier's for a record without one (a labelled dataset's, and every record written before
    there were other features); None without a record (a run not evaluated yet)."""
    if record is None:
        return None
    return record.get("features") or FEATURES[CLASSIFIER]


def too_few_for_inception(config: Mapping[str, Any]) -> tuple[str, str] | None:
    """(key, why) when a dataset of the grid is judged on Inception's features and an evaluation
    count gives FID fewer samples than it has features (final and snapshot samples alike: the
    monitor and the snapshots' FIDs are the claims' too); None otherwise."""
    judged = [d for d in config["datasets"] if judge_of(d, config["data"]["settings"].get(d)) == INCEPTION]
    for key in ("final_samples", "snapshot_samples") if judged else ():
        n = config["evaluation"][key]
        if n <= INCEPTION_FEATURES:
            return f"evaluation.{key}", (
                f"{n:,} samples are too few for {judged[0]}, judged on the Inception graph's {INCEPTION_FEATURES:,} "
                f"pool_3 features: FID's covariance over {INCEPTION_FEATURES:,} features has full rank only from "
                f"{INCEPTION_FEATURES + 1:,} samples on (TTUR's README; it recommends at least {REFERENCE_IMAGES:,}). "
                f"Set it to {INCEPTION_FEATURES + 1} or more"
            )
    return None


def inception_reference_images(
    n_train: int, reference_images: int, floor_samples: int
) -> tuple[np.ndarray, np.ndarray]:
    """Which training images make an Inception-judged dataset's reference, and which are held out
    for its real-data floor, as sorted indices: a fixed permutation (seed 0) of the training split,
    its first ``reference_images`` (all, where there are fewer) the reference, the next
    ``floor_samples`` held out (the floor tops them up from the test split where too few remain)."""
    order = np.random.default_rng(0).permutation(n_train)
    n_reference = min(reference_images, n_train)
    return np.sort(order[:n_reference]), np.sort(order[n_reference : n_reference + floor_samples])
