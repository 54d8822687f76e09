"""Shared code of the WGAN comparison workflow.

Modules that import TensorFlow (``models``, ``training``, ``sampling``) are kept apart from the
ones that do not (``config``, ``datasets``, ``images``, ``metrics``, ``plots``), so that rules
which only read files, draw or tabulate start in about a second.
"""
