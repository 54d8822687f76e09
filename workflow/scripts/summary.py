"""Rule `summary`: one row per experiment (settings, status, final metrics, wall time) as CSV, and
a Markdown page whose table checks the paper's claims, each verdict computed from the numbers
and the thresholds of the config's `claims` section. No TensorFlow."""

from wganlib.jobs import Job

job = Job.start(globals(), __doc__)

from wganlib.claims import evaluate_claims
from wganlib.report import write_summary_csv, write_summary_markdown
from wganlib.runs import load_json, load_runs, summary_rows

thresholds = job.params["claims"]
runs = load_runs(job.params["grid"])
real_floor = load_json(job.input["real_floor"])
rows = summary_rows(
    runs,
    real_floor,
    good_fid=thresholds["good_fid"],
    median_window=job.params["median_window"],
    still_improving=thresholds["still_improving"],
    min_progress=thresholds["min_progress"],
)
write_summary_csv(rows, job.output["csv"])
write_summary_markdown(
    rows, evaluate_claims(rows, thresholds), real_floor, job.output["markdown"], thresholds=thresholds
)
