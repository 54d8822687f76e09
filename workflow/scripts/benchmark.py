"""Rule `benchmark`: steady-state training speed of every model and preset in each precision
(float32, mixed_bfloat16, and their ratio), its FLOP rate against the machine's matmul peaks, and
the same work driven by Keras' fit(), in one process at a training job's threads; then one training
process on all the job's cores against one per core.

By hand (a smoke run of a few seconds' work):
    python workflow/scripts/benchmark.py --threads 2 --param quick=true --param settings={} --param train_threads=1 \\
        --output json=results/debug/benchmark.json --output markdown=results/debug/benchmark.md
"""

from wganlib.common.jobs import Job

job = Job.start(globals(), __doc__, tensorflow=True)

from wganlib.bench import BenchSettings, markdown, run  # noqa: E402
from wganlib.common.io import write_json, write_text  # noqa: E402

# The defaults live in wganlib/bench/settings.py; the rule passes only what differs.
settings = BenchSettings.from_params(job.params.get("settings", {}), quick=job.params.get("quick", False))
report = run(settings, threads=job.params["train_threads"], cores=job.threads)
write_json(job.output["json"], report)
write_text(job.output["markdown"], markdown(report))
