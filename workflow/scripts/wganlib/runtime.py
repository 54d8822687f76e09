"""TensorFlow's set-up for a job: the threads Snakemake gives it, deterministic ops, the device."""

import logging

import tensorflow as tf

log = logging.getLogger(__name__)


def configure_tensorflow(threads: int, use_gpu: bool) -> str:
    """Threads from Snakemake, deterministic ops, and the device. Call before building anything."""
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.config.experimental.enable_op_determinism()
    gpus = tf.config.list_physical_devices("GPU")
    if not use_gpu and gpus:
        tf.config.set_visible_devices([], "GPU")
        gpus = []
    if use_gpu and not gpus:
        log.warning("resources.gpu is true but TensorFlow sees no GPU: training on the CPU")
    return "GPU" if gpus else "CPU"
