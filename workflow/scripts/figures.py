"""Rule `figures`: the paper-style figures of one dataset (PNG and PDF): Figure 3 (EM estimate
against generator iterations, FID on a second axis, and the between-seed statistic the tracking
verdicts read), Figure 4 (the DCGAN's JS estimate), Figures
5-7 (samples, architectures by models) and a summary across the grid. No TensorFlow."""

from wganlib.common.jobs import Job

job = Job.start(globals(), __doc__)

from wganlib.report import plots
from wganlib.verdicts.runs import load_json, load_runs, summary_rows, with_samples

models, architectures = job.params["models"], job.params["architectures"]
runs = load_runs(job.params["grid"])  # [{experiment, dataset, model, architecture, seed, dir}]
real_floor = load_json(job.input["real_floor"])
window = job.params["median_window"]
out = job.output

rows = summary_rows(
    runs,
    real_floor,
    good_fid=job.params["good_fid"],
    median_window=window,
    still_improving=job.params["still_improving"],
    min_progress=job.params["min_progress"],
)
plots.plot_em_estimate(runs, out["em_png"], out["em_pdf"], median_window=window, architectures=architectures, rows=rows)
plots.plot_js_estimate(runs, out["js_png"], out["js_pdf"], median_window=window, architectures=architectures, rows=rows)
sheets = [with_samples(run, job.params["sheet_samples"]) for run in runs]
plots.plot_sample_sheet(sheets, out["samples_png"], out["samples_pdf"], models=models, architectures=architectures)
plots.plot_summary(
    rows, out["summary_png"], out["summary_pdf"], real_floor=real_floor, models=models, architectures=architectures
)
plots.plot_quality_over_compute(
    runs, out["compute_png"], out["compute_pdf"], models=models, architectures=architectures
)
