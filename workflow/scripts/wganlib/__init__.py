"""Shared code of the WGAN comparison workflow.

Modules that import TensorFlow (``models``, ``training``, ``losses``, ``evaluation``, ``inception``,
``runtime``, ``bench``) are kept apart from the ones that do not (``config``, ``command_line``,
``layout``, ``datasets``, ``images``, ``metrics``, ``judges``, ``sampling``, ``inception_graph``, ``runs``,
``claims``, ``report``, ``plots``, ``io``, ``jobs``, ``progress``, ``devices``, ``provenance``), so
that rules which only read files, draw or tabulate start in about a second.
"""

import os

# TensorFlow reads these once, when it is first imported; every script imports this package first.
# - C++ info lines off: they would drown the jobs' logs.
# - oneDNN's CPU kernels on: TensorFlow turns them on by itself only on some Intel CPUs. On this
#   project's 2-core AMD machine they train WGAN 1.24x and WGAN-GP 1.13x faster (GAN 1.04x),
#   medians of three interleaved runs each; results stay deterministic run to run.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
