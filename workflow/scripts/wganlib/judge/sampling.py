"""How samples are drawn from a generator with batch norm (``evaluation.sampling``). No TensorFlow:
the sampler itself is ``evaluation.sampler``; the rules read the settings from here.

- ``moving_averages``: batch norm normalises with the moving averages it kept while training
  (``generator(z, training=False)``), each sample on its own: what this project has always done.
- ``batch_statistics``: as the official code draws them. The official WGAN main.py never calls
  ``netG.eval()`` (its samples, line 236: ``netG(Variable(fixed_noise, volatile=True))`` on a noise
  batch of ``batchSize``), and Gulrajani et al.'s tflib ``Batchnorm`` always normalises by the
  batch. The noise is taken in its order, in consecutive batches of the training batch size, each
  normalised by its own statistics; a last partial batch is completed with the rows before it
  (``noise_batches``), so every sample depends only on the weights, the noise and the batch size.
  Drawing them changes no variable: the moving averages stay as training left them.

A generator without batch norm gives the same samples both ways.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

MOVING_AVERAGES, BATCH_STATISTICS = "moving_averages", "batch_statistics"
MODES = (MOVING_AVERAGES, BATCH_STATISTICS)


def settings(mode: str, batch_size: int) -> dict:
    """What drawing samples depends on (a job's ``sampling`` param): the mode, and with batch
    statistics the run's batch size (``batch_size`` is None with moving averages)."""
    if mode not in MODES:
        raise ValueError(f"sampling must be one of {', '.join(MODES)}, not {mode!r}")
    return {"mode": mode, "batch_size": batch_size if mode == BATCH_STATISTICS else None}


def frames_folder(frames: str | os.PathLike, mode: str) -> Path:
    """Where a run's training frames drawn in ``mode`` are (the training job draws them both ways):
    the frames folder itself for moving averages, its subfolder ``batch_statistics`` otherwise."""
    return Path(frames) if mode == MOVING_AVERAGES else Path(frames) / BATCH_STATISTICS


def noise_batches(z: np.ndarray, batch_size: int) -> list[tuple[np.ndarray, slice]]:
    """The batches ``z``'s rows are drawn in with batch statistics, each with the rows of it whose
    samples are kept: consecutive batches of ``batch_size``; a last partial batch is the
    ``batch_size`` rows ending at the last, of which only those not drawn before are kept; fewer
    rows than a batch make one batch of the rows repeated in order."""
    n = len(z)
    if n < 1 or batch_size < 1:
        raise ValueError(f"need at least one sample and a batch size of at least one, got {n} and {batch_size}")
    if n < batch_size:
        return [(np.resize(z, (batch_size, z.shape[1])), slice(0, n))]
    batches = [
        (z[start : start + batch_size], slice(0, batch_size)) for start in range(0, n - batch_size + 1, batch_size)
    ]
    drawn = len(batches) * batch_size
    if drawn < n:
        batches.append((z[n - batch_size :], slice(drawn - (n - batch_size), batch_size)))
    return batches
