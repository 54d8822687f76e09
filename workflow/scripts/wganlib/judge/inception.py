"""The standard FID network as the original FID code runs it (bioinf-jku/TTUR, ``fid.py``): the
judge of a dataset without labels (``wganlib.judge.judges``).

TTUR imports TensorFlow's Inception GraphDef (``classify_image_graph_def.pb``, fetched by
``wganlib.judge.inception_graph``) and feeds a batch of images to its ``ExpandDims:0`` tensor, at their
own size, as float32 RGB values in [0, 255]: the graph itself resizes them to 299x299 (its
``ResizeBilinear``) and scales them to [-1, 1] (its ``Sub`` and ``Mul``). Its ``pool_3:0``
activations, (N, 1, 1, 2048), are the features of FID and KID, and here of precision, recall,
density and coverage too. Here the same graph is imported into a wrapped function
(``tf.compat.v1.wrap_function``) with ``ExpandDims:0`` mapped to an input of any batch size, so the
graph's batch-of-one shapes (the JPEG decoder before ``ExpandDims``, the reshape to (1, 2048) after
``pool_3``) never run. Greyscale images get their one channel three times, as the FID libraries
do. Every image is used (TTUR drops a last partial batch).
"""

from __future__ import annotations

import logging
import os

import numpy as np
import tensorflow as tf
from google.protobuf.message import DecodeError

from .inception_graph import GRAPH, InceptionError, verify_existing
from .judges import FEATURES, INCEPTION, NO_CLASSES

log = logging.getLogger(__name__)

INPUT, OUTPUT = "ExpandDims:0", "pool_3:0"  # TTUR's FID_Inception_Net/ExpandDims:0 and /pool_3:0
DIMS = 2048
BATCH = 50  # images per call, TTUR's default batch_size


class InceptionJudge:
    """Inception pool_3 features of images; no class probabilities (``Judge``'s interface, with None)."""

    # What every record of its numbers says of them (``judges.features_of``).
    record = {"features": FEATURES[INCEPTION], "no_class_metrics": NO_CLASSES}
    joint_modes = None  # no classes: no Stacked MNIST modes (``evaluation.Judge``)

    def __init__(self, graph_def: tf.compat.v1.GraphDef):
        def imported(images):
            (pool3,) = tf.compat.v1.import_graph_def(
                graph_def, input_map={INPUT: images}, return_elements=[OUTPUT], name="FID_Inception_Net"
            )
            return pool3

        try:
            self.pool3 = tf.compat.v1.wrap_function(imported, [tf.TensorSpec([None, None, None, 3], tf.float32)])
        except (ValueError, TypeError, tf.errors.OpError) as exc:
            raise InceptionError(f"{GRAPH} is not the FID Inception graph: {exc}") from None
        shape = tuple(self.pool3.outputs[0].shape)
        if shape[1:] != (1, 1, DIMS):
            raise InceptionError(
                f"{GRAPH} is not the FID Inception graph: {OUTPUT} has shape {shape}, not (N, 1, 1, {DIMS})"
            )

    @classmethod
    def load(cls, graph: str | os.PathLike, manifest: str | os.PathLike) -> InceptionJudge:
        """The graph fetched by the workflow, once it is found unchanged since (its manifest's SHA-256)."""
        verify_existing(graph, manifest)
        graph_def = tf.compat.v1.GraphDef()
        try:
            with open(graph, "rb") as handle:
                graph_def.ParseFromString(handle.read())
        except DecodeError as exc:
            raise InceptionError(f"{graph} is not a TensorFlow GraphDef ({exc}); delete it and its manifest") from None
        return cls(graph_def)

    def __call__(self, images: np.ndarray) -> tuple[np.ndarray, None]:
        """images: uint8 (N, H, W) or (N, H, W, C) -> (pool_3 features (N, 2048) in float64, None)."""
        if images.ndim == 3 or images.shape[-1] == 1:
            images = np.repeat(images.reshape(*images.shape[:3], 1), 3, axis=-1)
        if len(images) < DIMS:
            log.info("FID of %d images on %d Inception features: biased upward below %d", len(images), DIMS, DIMS)
        parts = [
            self.pool3(tf.constant(images[i : i + BATCH].astype(np.float32))).numpy()
            for i in range(0, len(images), BATCH)
        ]
        return np.concatenate(parts).reshape(len(images), DIMS).astype(np.float64), None
