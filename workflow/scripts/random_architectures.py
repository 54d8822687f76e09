"""Rule `random_architectures`: the random architectures of the grid (config `robustness`): their
full definitions as YAML (and which the redraw rule drew again, at which attempt), per architecture
each model's FID reached (runs.fid_reached) and modes covered against the levels of success
(Gulrajani et al. 2017, Table 2), and the success table with the final samples of the
architectures where the models disagree. No TensorFlow."""

from wganlib.common.jobs import Job

job = Job.start(globals(), __doc__)

import yaml
from wganlib.common.io import write_text
from wganlib.plan import architectures
from wganlib.report.plots import plot_robustness, plot_success
from wganlib.verdicts import robustness
from wganlib.verdicts.runs import load_runs, summary_rows, with_samples

random, claims, out = job.params["random"], job.params["claims"], job.output
runs = load_runs(job.params["grid"])  # [{experiment, dataset, model, architecture, seed, dir}]
rows = summary_rows(
    runs,
    good_fid=claims["good_fid"],
    median_window=job.params["median_window"],
    still_improving=claims["still_improving"],
    min_progress=claims["min_progress"],
)
plot_robustness(
    rows,
    out["png"],
    out["pdf"],
    fid_levels=random["fid_levels"],
    min_modes=random["min_modes"],
    models=job.params["models"],
)
# the claim's success (claims.good_fid), as the verdicts read it; samples only where models disagree
cells = robustness.per_model(rows, claims["good_fid"], random["min_modes"], tuple(job.params["models"]))
split = {architecture for (_, architecture), cell in cells.items() if robustness.discordant(cell)}
sheets = [with_samples(run, job.params["sheet_samples"]) for run in runs if run["architecture"] in split]
plot_success(
    rows,
    sheets,
    out["success_png"],
    out["success_pdf"],
    fid_level=claims["good_fid"],
    min_modes=random["min_modes"],
    models=job.params["models"],
)
drawn_from = dict(job.params["robustness"])
attempts = {name: architectures.attempt_of(drawn_from, name, d) for name, d in random["architectures"].items()}
drawn = {"drawn_from": drawn_from, "architectures": dict(random["architectures"])}
drawn["redrawn"] = {name: attempt for name, attempt in attempts.items() if attempt}  # the redraw rule's tries
write_text(out["architectures"], yaml.safe_dump(drawn, sort_keys=False))
