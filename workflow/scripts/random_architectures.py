"""Rule `random_architectures`: the random architectures of the grid (config `robustness`): their
full definitions as YAML (and which the redraw rule drew again, at which attempt), per architecture
each model's FID reached (runs.fid_reached) and modes covered against the levels of success
(Gulrajani et al. 2017, Table 2), and the success table with the final samples of the
architectures where the models disagree (wganlib.report.figure_sets). No TensorFlow."""

from wganlib.common.jobs import Job

job = Job.start(globals(), __doc__)

from wganlib.common.io import write_text
from wganlib.report.figure_sets import drawn_architectures, sweep_figures
from wganlib.verdicts.runs import load_runs

random = job.params["random"]
sweep_figures(
    load_runs(job.params["grid"]),  # [{experiment, dataset, model, architecture, seed, dir}]
    job.output,
    models=job.params["models"],
    claims=job.params["claims"],
    random=random,
    median_window=job.params["median_window"],
    sheet_samples=job.params["sheet_samples"],
)
write_text(job.output["architectures"], drawn_architectures(job.params["robustness"], random["architectures"]))
