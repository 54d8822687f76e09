"""TensorFlow's set-up for a job: its thread pools' size, deterministic ops, the device, and the
numeric precision of training.

What a run's numbers depend on (measured: docs/reruns.md): its config, seed and code, the pools'
size (oneDNN and Eigen split sums by it) and the CPU's kernels (oneDNN picks them from the CPU's
instructions and caches: bfloat16 training differs between CPU models; the float32 judges
agreed on the three CPUs compared). Not the load: runs beside busy processes, or on fewer cores
than threads, are bit-identical."""

import logging
from pathlib import Path

import tensorflow as tf

from .devices import claim_gpu, use_gpu

# CPU instructions that run bfloat16 matrix products natively; without them TensorFlow emulates
# bfloat16 and trains slower than in float32 (TensorFlow's mixed-precision guide).
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")
BF16_GPU_CAPABILITY = (8, 0)  # NVIDIA Ampere and later

log = logging.getLogger(__name__)


def configure_tensorflow(threads: int, gpu: str | bool) -> str:
    """``threads`` in each of TensorFlow's pools (``Job.tensorflow_threads``), deterministic ops, and
    the device (``gpu``: auto, true or false, as resources.gpu). Call before building anything.
    Returns "GPU" or "CPU".

    On a GPU the job takes one GPU (the first free one where the machine has several) and its
    memory as it needs it, not all of it at once: jobs that share a GPU do not starve each other."""
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    tf.config.experimental.enable_op_determinism()
    gpus = tf.config.list_physical_devices("GPU")
    on_gpu, reason = use_gpu(gpu, [d.name for d in gpus])
    if not on_gpu and gpus:
        tf.config.set_visible_devices([], "GPU")
    if on_gpu and len(gpus) > 1:
        index = claim_gpu(len(gpus))
        if index is None:
            log.warning("every GPU is held by another job: sharing %s", gpus[0].name)
        gpus = [gpus[index or 0]]
        tf.config.set_visible_devices(gpus, "GPU")
        reason += f"; this job takes {gpus[0].name}"
    for device in gpus if on_gpu else ():
        tf.config.experimental.set_memory_growth(device, True)
    (log.warning if gpu is True and not on_gpu else log.info)("device: %s (%s)", "GPU" if on_gpu else "CPU", reason)
    return "GPU" if on_gpu else "CPU"


def choose_precision(
    requested: str, device: str, cpu_flags: set[str], gpu_capability: tuple[int, int] | None
) -> tuple[str, str]:
    """The Keras dtype policy for ``requested`` (float32, mixed_bfloat16 or auto), and why."""
    if requested != "auto":
        return requested, "as configured (training.precision)"
    if device == "GPU":
        if gpu_capability is not None and gpu_capability >= BF16_GPU_CAPABILITY:
            return (
                "mixed_bfloat16",
                f"auto: the GPU's compute capability {gpu_capability[0]}.{gpu_capability[1]} has bfloat16 units",
            )
        return "float32", "auto: the GPU has no bfloat16 units (compute capability below 8.0)"
    native = sorted(set(BF16_CPU_FLAGS) & cpu_flags)
    if native:
        return "mixed_bfloat16", f"auto: the CPU has {', '.join(native)}"
    return "float32", f"auto: the CPU has none of {', '.join(BF16_CPU_FLAGS)}, so bfloat16 would be emulated (slower)"


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU's feature flags (Linux); empty where /proc/cpuinfo does not exist."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return set()
    return {flag for line in text.splitlines() if line.startswith("flags") for flag in line.partition(":")[2].split()}


def gpu_capability(device: str) -> tuple[int, int] | None:
    """The compute capability of the first GPU TensorFlow sees, when training on one."""
    if device != "GPU":
        return None
    return tf.config.experimental.get_device_details(tf.config.list_physical_devices("GPU")[0]).get(
        "compute_capability"
    )


def training_precision(requested: str, device: str) -> str:
    """Resolve ``requested`` on this machine, and say in the job's log what was chosen and why."""
    capability = gpu_capability(device)
    policy, reason = choose_precision(requested, device, cpu_flags(), capability)
    log.info("precision: %s (%s)", policy, reason)
    if requested == "mixed_bfloat16" and choose_precision("auto", device, cpu_flags(), capability)[0] != requested:
        log.warning("this %s has no native bfloat16: mixed_bfloat16 will train slower than float32", device)
    return policy
