"""Shared code of the WGAN comparison workflow, one package per stage of the pipeline:

- ``datasets``: download, verify and store the images (the ``download_dataset`` rule);
- ``plan``: the config read and checked, the grid of experiments, the model table, the networks'
  shapes, the random architectures, what code each job runs;
- ``train``: the networks, losses and training loop, the run's monitor, devices and progress;
- ``judge``: samples drawn from a generator and scored by the dataset's judge (classifier or
  Inception), the evaluation a run ends with;
- ``measures``: the numbers themselves (FID, KID, precision and recall, modes, a curve's
  convergence), NumPy only;
- ``verdicts``: the runs' files read back, and the paper's claims judged on them;
- ``report``: the summary, its tables and the figures;
- ``bench``: training speed, measured side by side;
- ``common``: files written atomically, images, job logs, number formatting.

Each stage imports only the stages below it (``.importlinter``, checked by
``tests/test_layers.py``): bench and report on top, then verdicts and train (which never import
each other), plan, judge, datasets, measures, common. Modules that import TensorFlow (``train``
but its ``monitor``, ``devices`` and ``progress``; ``judge.evaluation``, ``judge.inception``;
``bench``) are kept apart from the ones the rules that only read files, draw or tabulate import,
so those start in about a second.
"""

import os

# TensorFlow reads these once, when it is first imported; every script imports this package first.
# - C++ info lines off: they would drown the jobs' logs.
# - oneDNN's CPU kernels on: TensorFlow turns them on by itself only on some Intel CPUs. On this
#   project's 2-core AMD machine they train WGAN 1.24x and WGAN-GP 1.13x faster (GAN 1.04x),
#   medians of three interleaved runs each; results stay deterministic run to run.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
