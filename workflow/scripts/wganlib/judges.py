"""Which network judges a dataset's samples, and the features each number was computed on. No
TensorFlow.

- ``classifier``: a dataset with labels (the MNIST family, CIFAR-10, Stacked MNIST, a folder with
  ``labels: true``) is judged by a small CNN trained on it (``wganlib.evaluation``): FID, KID,
  precision, recall, density and coverage on
  its penultimate layer, and its classes give the classifier score, the modes covered and the
  class KL.
- ``inception``: a dataset without labels (LSUN, a folder without them) is judged by the standard
  FID network, the Inception graph of the original FID code (TTUR) and most papers
  (``wganlib.inception``): FID, KID, precision, recall, density and coverage on its pool_3
  features. Without classes there is no
  classifier score, no mode and no class KL: they are NaN, and the record says why.

Every record of numbers (``evaluation.json``, ``real_floor.json``) not on the classifier's
features names its features (``features``), and only numbers on the same features are compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .datasets import get_spec

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
# Stacked MNIST's judge (DatasetSpec.judge): a digit classifier per channel, whose record
# (classifier.json) holds the confidence threshold its confident mode count reads.
PER_CHANNEL = "digits-per-channel"


def judge_of(dataset: str, settings: Mapping[str, Any] | None = None) -> str:
    """``classifier`` for a dataset with labels under its data.settings, ``inception`` otherwise."""
    return CLASSIFIER if get_spec(dataset).has_labels(dict(settings or {})) else INCEPTION


def judge_inputs(dataset: str, settings: Mapping[str, Any] | None = None) -> dict[str, str]:
    """What a job that judges ``dataset``'s samples reads (the evaluate rule, a monitored training
    run): the reference features of its test split, and its classifier (with a per-channel one its
    record, ``judge_record``) or the Inception graph."""
    judged = f"results/{dataset}/evaluation"
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
