"""Training a run: the networks (``models``), losses (``losses``), one model's updates (``gan``),
the loop with its snapshots and checkpoints (``training``), the budget that ends at convergence
(``monitor``), TensorFlow's device, threads and precision (``runtime``, ``devices``) and the
progress line (``progress``).

May import ``plan``, ``judge``, ``datasets``, ``measures`` and ``common``; never ``verdicts``,
``report`` or ``bench``. ``monitor``, ``devices`` and ``progress`` import no TensorFlow (the
workflow's rules read them); the rest do.
"""
