"""The runs' files read back and the paper's claims judged on them: the runs as summary rows
(``runs``), intervals and tests (``intervals``), per-seed comparisons (``verdicts``), the tracking
claims (``tracking``), the mode-collapse claims (``mode_claims``), success on random
architectures (``robustness``), the claim table (``claims``) and the same verdicts at smaller
budgets (``budgets``).

May import ``plan``, ``judge``, ``datasets``, ``measures`` and ``common``; never ``train``,
``report`` or ``bench``. No TensorFlow.
"""
