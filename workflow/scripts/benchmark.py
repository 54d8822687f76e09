"""Rule `benchmark`: steady-state training speed of every model and preset, its FLOP rate against
the machine's matmul peak, and the same work driven by Keras' fit(), in one process at a training
job's threads; then one training process on all the job's cores against one per core.

By hand (a smoke run of a few seconds' work):
    python workflow/scripts/benchmark.py --threads 2 --param quick=true --param settings={} --param train_threads=1 \\
        --output json=results/debug/benchmark.json --output markdown=results/debug/benchmark.md
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wganlib.jobs import Job, start_logging  # noqa: E402

job = Job.current(globals(), __doc__)
start_logging(job.log)

from wganlib import bench  # noqa: E402
from wganlib.io import write_json, write_text  # noqa: E402

settings = bench.BenchSettings.from_params(job.params["settings"], quick=job.params.get("quick", False))
report = bench.run(settings, threads=job.params["train_threads"], cores=job.threads)
write_json(job.output["json"], report)
write_text(job.output["markdown"], bench.markdown(report))
