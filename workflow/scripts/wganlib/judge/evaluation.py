"""Sample quality with a classifier trained on the dataset itself.

No Inception weights exist offline, and for 28x28 digits a small dataset classifier is the
better feature extractor anyway (TF-GAN's MNIST metrics do the same). The classifier's
penultimate layer gives the features for FID, KID, precision, recall, density and coverage; its
softmax gives the classifier score and the class histogram. A dataset without labels is judged by
the Inception graph of the FID code instead (``wganlib.judge.judges``, ``wganlib.judge.inception``): FID, KID,
precision, recall, density and coverage on its pool_3 features, no metrics of classes.

A dataset with labels picks its classifier (``DatasetSpec.judge``, one of ``JUDGES``): ``classes``,
a classifier of its labels; or ``digits-per-channel`` (Stacked MNIST), one MNIST digit classifier
applied to each channel, as PacGAN's evaluation does. That one is trained on the distinct single-channel digits of
the training images (each channel's digit is known from the label), so it needs no other dataset;
its features are the channels' feature vectors side by side, and its 1,000 class probabilities the
products of the channels' digit probabilities. It is saved as one Keras model, so the evaluate rule
and the training monitor load either classifier the same way; its record (classifier.json) holds the
confidence threshold of the confident mode count (``modes.confident_modes``), set from the real
test digits when it is trained.
"""

import json
import logging
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from wganlib.common.images import to_uint8, to_unit_range, without_grey_axis
from wganlib.measures import manifold, metrics, modes

from .judges import CLASS_METRICS
from .sampling import MOVING_AVERAGES, noise_batches

log = logging.getLogger(__name__)

SAMPLE_NOISE_SEED = 1701  # one noise batch for every experiment of a dataset: like for like
FEATURES_LAYER = "features"
BATCH = 500


def inference(model: keras.Model):
    """``model`` in inference mode over batches of BATCH, as one compiled function: what
    ``model.predict`` computes, without the data pipeline it builds on every call (most of the
    time of a 500-image call on a CPU). No Python control flow to convert: autograph is off."""
    call = tf.function(lambda x: model(x, training=False), autograph=False)

    def run(x: np.ndarray):
        parts = [call(x[i : i + BATCH]) for i in range(0, len(x), BATCH)]
        return tf.nest.map_structure(lambda *p: np.concatenate([t.numpy() for t in p]), *parts)

    return run


def build_classifier(n_classes: int = 10, image_shape: tuple[int, int, int] = (28, 28, 1)) -> keras.Model:
    """A small CNN for the dataset's images (size and channels) and classes."""
    image = keras.Input(image_shape)
    x = layers.Conv2D(32, 3, activation="relu")(image)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(128, activation="relu", name=FEATURES_LAYER)(x)
    x = layers.Dropout(0.3)(x)
    logits = layers.Dense(n_classes)(x)
    return keras.Model(image, logits, name="classifier")


def train_classifier(data: dict, epochs: int, seed: int, n_classes: int | None = None) -> tuple[keras.Model, float]:
    """Fit on the train split (fixed seed); return the model and its test accuracy. ``n_classes``
    defaults to the largest label plus one."""
    keras.utils.set_random_seed(seed)
    x_train, y_train = to_unit_range(data["x_train"]), data["y_train"].astype(np.int32)
    n_classes = n_classes or int(max(y_train.max(), data["y_test"].max())) + 1
    model = build_classifier(max(n_classes, 2), x_train.shape[1:])
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, batch_size=64, epochs=epochs, shuffle=True, verbose=2)
    _, accuracy = model.evaluate(to_unit_range(data["x_test"]), data["y_test"].astype(np.int32), verbose=0)
    return model, float(accuracy)


@keras.saving.register_keras_serializable(package="wganlib")
class Channel(layers.Layer):
    """Channel ``index`` of an image batch (N, H, W, C), as a one-channel image (N, H, W, 1)."""

    def __init__(self, index: int, **kwargs):
        super().__init__(**kwargs)
        self.index = index

    def call(self, images):
        return images[..., self.index : self.index + 1]

    def get_config(self) -> dict:
        return {**super().get_config(), "index": self.index}


@keras.saving.register_keras_serializable(package="wganlib")
class JointLogits(layers.Layer):
    """Logits of the stacked classes from each channel's digit logits: log p(d1) + log p(d2) + ...,
    ordered as 100 d1 + 10 d2 + d3 (``datasets.stacked``'s labels). Their softmax is the product of
    the channels' digit probabilities: each channel judged on its own, as PacGAN judges them."""

    def call(self, channel_logits):
        joint = keras.ops.log_softmax(channel_logits[0], axis=-1)
        for logits in channel_logits[1:]:
            log_p = keras.ops.log_softmax(logits, axis=-1)
            joint = keras.ops.reshape(joint[:, :, None] + log_p[:, None, :], (-1, joint.shape[-1] * log_p.shape[-1]))
        return joint


def per_channel_classifier(digits: keras.Model, image_shape: tuple[int, int, int]) -> keras.Model:
    """The judge of stacked images (H, W, C) from a digit classifier of one-channel images: the
    channels' features concatenated (``FEATURES_LAYER``) and the stacked classes' logits."""
    two_outputs = keras.Model(
        digits.inputs, [digits.get_layer(FEATURES_LAYER).output, digits.outputs[0]], name="digits"
    )
    image = keras.Input(image_shape)
    judged = [two_outputs(Channel(c, name=f"channel_{c}")(image)) for c in range(image_shape[-1])]
    features = layers.Concatenate(name=FEATURES_LAYER)([f for f, _ in judged])
    return keras.Model(
        image, [JointLogits(name="stacked_logits")([lg for _, lg in judged]), features], name="per_channel"
    )


def _class_judge(data: dict, epochs: int, seed: int) -> tuple[keras.Model, dict]:
    classifier, accuracy = train_classifier(data, epochs, seed)
    return classifier, {"test_accuracy": accuracy}


def _per_channel_judge(data: dict, epochs: int, seed: int) -> tuple[keras.Model, dict]:
    """The digit classifier trained on the training images' distinct channel digits and tested on
    the evaluation images' (``modes.channel_images``); ``test_accuracy`` is the judge's on whole
    stacked images (all channels right), ``digit_accuracy`` the digit classifier's."""
    x_train, y_train = modes.channel_images(data["x_train"], data["y_train"])
    x_test, y_test = modes.channel_images(data["x_test"], data["y_test"])
    digits, digit_accuracy = train_classifier(
        {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}, epochs, seed, modes.DIGITS
    )
    judge = per_channel_classifier(digits, data["x_test"].shape[1:])
    _, probs = Judge(judge)(data["x_test"])
    stacked_accuracy = float(np.mean(np.argmax(probs, axis=1) == np.asarray(data["y_test"], np.int64)))
    report = {"test_accuracy": stacked_accuracy, "digit_accuracy": digit_accuracy}
    report |= {"digits_train": len(x_train), "digits_test": len(x_test)}
    # The probability that keeps CONFIDENT_SHARE of the real test digits: the confident count's bar
    threshold = modes.confidence_threshold(softmax(inference(digits)(to_unit_range(x_test))))
    return judge, report | {"confidence_threshold": threshold, "confident_share": modes.CONFIDENT_SHARE}


# A dataset's judge (``DatasetSpec.judge``) -> (data, epochs, seed) -> (classifier, accuracies).
JUDGES = {"classes": _class_judge, "digits-per-channel": _per_channel_judge}


def train_judge(data: dict, kind: str, epochs: int, seed: int) -> tuple[keras.Model, dict]:
    """The judge of a dataset, ``kind`` one of ``JUDGES``, and its accuracies on the test split."""
    return JUDGES[kind](data, epochs, seed)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Class probabilities (float64) from logits (N, classes)."""
    logits = np.asarray(logits, np.float64)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    return probs / probs.sum(axis=1, keepdims=True)


class Judge:
    """Features and class probabilities of images, from the classifier. ``joint_modes``: the
    number of stacked classes when the classifier is a per-channel one (``per_channel_classifier``),
    whose samples are also counted by Stacked MNIST's mode metric; None otherwise.
    ``confidence_threshold``: a per-channel judge's, from its record (``modes.confident_modes``);
    None where there is none (a judge trained before it existed: no confident count)."""

    record: dict = {}  # its numbers' records name no features: the classifier's (``judges.features_of``)

    def __init__(self, classifier: keras.Model, confidence_threshold: float | None = None):
        self.model = keras.Model(
            classifier.inputs, [classifier.get_layer(FEATURES_LAYER).output, classifier.outputs[0]]
        )
        self.predict = inference(self.model)
        per_channel = any(isinstance(layer, JointLogits) for layer in classifier.layers)
        self.joint_modes = int(classifier.outputs[0].shape[-1]) if per_channel else None
        self.confidence_threshold = confidence_threshold if per_channel else None

    def __call__(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """images: uint8 (N, H, W) or (N, H, W, C) -> (features (N, D), probabilities (N, classes))."""
        features, logits = self.predict(to_unit_range(images))
        return features.astype(np.float64), softmax(logits)


def sample_noise(n: int, z_dim: int) -> np.ndarray:
    return np.random.default_rng(SAMPLE_NOISE_SEED).standard_normal((n, z_dim)).astype(np.float32)


def sampler(generator: keras.Model, sampling: Mapping | None = None):
    """``z -> samples`` of ``generator``, drawn as ``sampling`` says (``wganlib.judge.sampling``): with
    batch norm's moving averages (``inference``; also when ``sampling`` is None), or with each
    batch's statistics through Keras' ``stateless_call``, which hands back the moving averages a
    training call would assign instead of assigning them: no variable of the generator changes.
    The variables are read at every call, so weights loaded later (a snapshot) are the ones used."""
    if sampling is None or sampling["mode"] == MOVING_AVERAGES:
        return inference(generator)

    def batch_statistics(z):
        trainable = [v.value for v in generator.trainable_variables]
        moving = [v.value for v in generator.non_trainable_variables]
        samples, _ = generator.stateless_call(trainable, moving, z, training=True)
        return samples

    call = tf.function(batch_statistics, autograph=False)  # every batch has one shape: one trace

    def run(z: np.ndarray) -> np.ndarray:
        drawn = [call(tf.constant(batch)).numpy()[keep] for batch, keep in noise_batches(z, sampling["batch_size"])]
        return np.concatenate(drawn)

    return run


def generate(sample, z: np.ndarray) -> np.ndarray:
    """uint8 images from ``sample = sampler(generator, sampling)``."""
    return without_grey_axis(to_uint8(sample(z)))


def load_judge(inputs: Mapping):
    """The judge a job's inputs name: the dataset's ``classifier`` (with its ``judge_record``, a
    per-channel judge's classifier.json, its confidence threshold), or, for a dataset without
    labels, the Inception graph (``inception`` and its ``inception_manifest``)."""
    if "inception" in inputs:
        from .inception import InceptionJudge

        return InceptionJudge.load(inputs["inception"], inputs["inception_manifest"])
    record = json.loads(Path(inputs["judge_record"]).read_text()) if "judge_record" in inputs else {}
    return Judge(keras.models.load_model(inputs["classifier"], compile=False), record.get("confidence_threshold"))


def load_reference(path) -> dict:
    """The test split's features and labels, written by the train_classifier rule."""
    with np.load(path) as saved:
        return {key: saved[key] for key in saved.files}


def score(judge, images: np.ndarray, reference: dict, settings: dict) -> dict:
    """All metrics of ``images`` against the reference (test split) features and labels: those of
    ``metrics.evaluate_features`` (without class probabilities, the Inception judge's, FID and KID,
    and NaN for the metrics of classes), precision, recall, density and coverage on the same
    features (``manifold.prdc``), and with a per-channel judge Stacked MNIST's modes
    (``modes.stacked_modes``) and, where it has a confidence threshold, the confident count
    (``modes.confident_modes``)."""
    features, probs = judge(images)
    if probs is None:
        kid, kid_std = metrics.kid(
            features, reference["features"], n_subsets=settings["kid_subsets"], subset_size=settings["kid_subset_size"]
        )
        result = {
            "fid": metrics.fid(features, reference["features"]),
            "kid": kid,
            "kid_std": kid_std,
            **dict.fromkeys(CLASS_METRICS, math.nan),
            "n_samples": len(features),
        }
    else:
        result = metrics.evaluate_features(
            features,
            probs,
            reference["features"],
            reference["labels"],
            kid_subsets=settings["kid_subsets"],
            kid_subset_size=settings["kid_subset_size"],
            min_share=settings["mode_min_share"],
            seed=0,
        )
    result |= manifold.prdc(reference["features"], features, seed=0)
    if judge.joint_modes:
        result |= modes.stacked_modes(probs)
        if judge.confidence_threshold is not None:
            result |= modes.confident_modes(probs, judge.confidence_threshold)
    return result


def fid_measure(judge, reference: dict, n: int, z_dim: int, sampling: Mapping | None = None):
    """(generator, iteration) -> FID of ``n`` of its samples from the shared evaluation noise, drawn
    as ``sampling`` says: what the evaluate rule computes at a snapshot when ``n`` is its
    snapshot_samples (the training monitor's measure; the iteration is not used)."""
    z = sample_noise(n, z_dim)
    compiled: dict = {}

    def measure(generator: keras.Model, iteration: int) -> float:
        sample = compiled.setdefault(id(generator), sampler(generator, sampling))
        features, _ = judge(generate(sample, z))
        return metrics.fid(features, reference["features"])

    return measure


def write_fid_events(path: str | os.PathLike, over_training: list[dict]) -> None:
    """FID at each snapshot as TensorBoard's scalar ``quality/fid``, a tag every model shares, in one
    event file at ``path`` (TensorBoard reads any file whose name holds "tfevents")."""
    with tempfile.TemporaryDirectory(dir=Path(path).parent) as folder:
        writer = tf.summary.create_file_writer(folder)
        with writer.as_default():
            for row in over_training:
                tf.summary.scalar("quality/fid", row["fid"], step=int(row["generator_iteration"]))
        writer.close()
        (events,) = Path(folder).glob("*tfevents*")
        os.replace(events, path)
