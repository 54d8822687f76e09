"""Rule `figures`: the paper-style figures of one dataset (PNG and PDF): Figure 3 (EM estimate
against generator iterations, FID on a second axis, and the between-seed statistic the tracking
verdicts read), Figure 4 (the DCGAN's JS estimate), Figures
5-7 (samples, architectures by models), a summary across the grid and quality over compute
(wganlib.report.figure_sets). No TensorFlow."""

from wganlib.common.jobs import Job

job = Job.start(globals(), __doc__)

from wganlib.report.figure_sets import dataset_figures
from wganlib.verdicts.runs import load_json, load_runs

dataset_figures(
    load_runs(job.params["grid"]),  # [{experiment, dataset, model, architecture, seed, dir}]
    load_json(job.input["real_floor"]),
    job.output,
    models=job.params["models"],
    architectures=job.params["architectures"],
    claims={key: job.params[key] for key in ("good_fid", "still_improving", "min_progress")},
    median_window=job.params["median_window"],
    sheet_samples=job.params["sheet_samples"],
)
