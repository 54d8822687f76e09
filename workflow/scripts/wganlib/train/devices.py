"""Which device training uses: `resources.gpu` is auto, true or false; and on a machine with
several GPUs, which one a job takes.

No TensorFlow here: the workflow decides at planning time whether a training job declares
`gpu=1` to Snakemake and SLURM (from the NVIDIA GPUs this machine shows), and the job decides
again from what TensorFlow sees (wganlib.train.runtime).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path


def nvidia_gpus(proc: Path = Path("/proc/driver/nvidia/gpus"), environ: dict | None = None) -> list[str]:
    """The NVIDIA GPUs the driver lists on this machine (none without the driver), less those that
    CUDA_VISIBLE_DEVICES hides ("" or "-1" hides all)."""
    environ = os.environ if environ is None else environ
    try:
        found = sorted(p.name for p in proc.iterdir())
    except OSError:
        return []
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return found
    wanted = [v.strip() for v in visible.split(",") if v.strip() and v.strip() != "-1"]
    return found[: len(wanted)]


def declares_gpu(setting: str | bool, gpus: list[str]) -> bool:
    """Whether a training job asks Snakemake (and SLURM) for a GPU: true, false, or auto (when
    this machine has one)."""
    return bool(gpus) if setting == "auto" else bool(setting)


def use_gpu(setting: str | bool, gpus: list[str]) -> tuple[bool, str]:
    """Whether a job trains on a GPU, given the GPUs TensorFlow sees, and why (for its log)."""
    if setting == "auto":
        if gpus:
            return True, f"resources.gpu is auto and TensorFlow sees {', '.join(gpus)}"
        return False, "resources.gpu is auto and TensorFlow sees no GPU"
    if setting and not gpus:
        return False, "resources.gpu is true but TensorFlow sees no GPU: falling back to the CPU"
    return bool(
        setting
    ), "resources.gpu is true" if setting else "no GPU asked for (resources.gpu false, or a job that runs on the CPU)"


def claim_gpu(count: int, lock_dir: Path | None = None) -> int | None:
    """The first of ``count`` GPUs that no other job on this machine holds, now held by this
    process until it ends, however it ends (an exclusive lock on ``lock_dir/gpu-N.lock`` through a
    descriptor left open); None when every one is held. Snakemake runs at most as many GPU jobs at
    once as the machine has GPUs (workflow/rules/common.smk), so each finds one free."""
    lock_dir = lock_dir or Path(tempfile.gettempdir()) / f"wgan-pipeline-gpus-{os.getuid()}"
    lock_dir.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        descriptor = os.open(lock_dir / f"gpu-{index}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(descriptor)
            continue
        return index  # the descriptor stays open: the lock is this process's until it exits
    return None
