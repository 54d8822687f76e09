"""Rule `summary`: one row per experiment (settings, status, final metrics, wall time) as CSV, and
a Markdown page whose table checks the paper's claims, each verdict computed from the numbers
and the thresholds of the config's `claims` section. No TensorFlow."""

from wganlib.common.jobs import Job

job = Job.start(globals(), __doc__)

from wganlib.report.summary import write_summary
from wganlib.verdicts.runs import load_json, load_runs

write_summary(
    load_runs(job.params["grid"]),
    load_json(job.input["real_floor"]),
    job.params["claims"],
    job.params["median_window"],
    job.output["csv"],
    job.output["markdown"],
    job.params["random_architectures"],
)
