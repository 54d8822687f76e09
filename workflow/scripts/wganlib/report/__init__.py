"""What a run ends with: the summary (``summary``, ``report``, ``mode_report``), each model's
budget beside its numbers (``trained``) and the paper's figures (``plots``).

May import every stage but ``train`` and ``bench``; no TensorFlow (Matplotlib's Agg canvas).
"""
