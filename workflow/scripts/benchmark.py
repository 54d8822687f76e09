"""Rule `benchmark`: steady-state training speed of every model and preset, its FLOP rate against
the machine's matmul peak, and the same work driven by Keras' fit(), all in one process.

By hand (a smoke run of a few seconds' work):
    python workflow/scripts/benchmark.py --threads 2 --param quick=true --param settings={} \\
        --output json=results/debug/benchmark.json --output markdown=results/debug/benchmark.md
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")  # TensorFlow C++ info lines would drown the log

from wganlib.jobs import Job, start_logging  # noqa: E402

job = Job.current(globals(), __doc__)
start_logging(job.log)

from wganlib import bench  # noqa: E402
from wganlib.io import write_json, write_text  # noqa: E402

settings = bench.BenchSettings.from_params(job.params["settings"], quick=job.params.get("quick", False))
report = bench.run(settings, job.threads)
write_json(job.output["json"], report)
write_text(job.output["markdown"], bench.markdown(report))
