"""From the config to the jobs: the config file read and checked (``configfile``, ``config``,
``command_line``), where results go (``layout``), the model table (``objectives``), the
networks' shapes (``shapes``), the random architectures (``architectures``), and which code a
job runs (``provenance``, whose digest reruns a job when its code changes).

May import ``judge`` (which judge a dataset has), ``datasets``, ``measures`` and ``common``;
never ``train``, ``verdicts`` or ``report``. No TensorFlow: the workflow imports it to plan.
"""
