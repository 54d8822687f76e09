"""Rule `random_architectures`: the random architectures of the grid (config `robustness`): their
full definitions as YAML, and per architecture each model's FID reached (runs.fid_reached) and modes
covered against the levels of success (Gulrajani et al. 2017, Table 2). No TensorFlow."""

from wganlib.common.jobs import Job

job = Job.start(globals(), __doc__)

import yaml
from wganlib.common.io import write_text
from wganlib.report.plots import plot_robustness
from wganlib.verdicts.runs import load_runs, summary_rows

random, claims, out = job.params["random"], job.params["claims"], job.output
rows = summary_rows(
    load_runs(job.params["grid"]),
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
drawn = {"drawn_from": dict(job.params["robustness"]), "architectures": dict(random["architectures"])}
write_text(out["architectures"], yaml.safe_dump(drawn, sort_keys=False))
