"""Samples drawn from a generator and scored: which judge a dataset has and its features
(``judges``: the dataset's classifier or Inception), how samples are drawn (``sampling``: batch
norm's moving averages or batch statistics), the Inception graph (``inception_graph``,
``inception``) and the evaluation a run ends with (``evaluation``).

May import ``datasets``, ``measures`` and ``common``; never ``plan``, ``train``, ``verdicts`` or
``report``. ``evaluation`` and ``inception`` import TensorFlow; ``judges``, ``sampling`` and
``inception_graph`` do not (the workflow's rules import them).
"""
