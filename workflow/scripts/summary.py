"""Rule `summary`: one row per experiment (settings, status, final metrics, wall time) as CSV, and
a Markdown page whose table checks the paper's claims, each verdict computed from the numbers
and the thresholds of the config's `claims` section. No TensorFlow."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wganlib.jobs import Job, start_logging  # noqa: E402

job = Job.current(globals(), __doc__)
start_logging(job.log)

import json  # noqa: E402

from wganlib.claims import evaluate_claims, load_run, summary_rows, write_summary_csv, write_summary_markdown  # noqa: E402

thresholds = job.params["claims"]
runs = [load_run(cell["dir"], **{k: v for k, v in cell.items() if k != "dir"}) for cell in job.params["grid"]]
real_floor = json.loads(Path(job.input["real_floor"]).read_text())
rows = summary_rows(runs, real_floor, good_fid=thresholds["good_fid"], median_window=job.params["median_window"])
write_summary_csv(rows, job.output["csv"])
write_summary_markdown(rows, evaluate_claims(rows, thresholds), real_floor, job.output["markdown"], thresholds=thresholds)
