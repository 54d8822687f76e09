"""Rule `make_gif`: the training frames of one experiment, in iteration order, as a GIF with the
iteration on each frame, and a contact sheet PNG that `snakemake --report` can show; the frames
drawn as evaluation.sampling says (wganlib.judge.sampling)."""

from wganlib.common.jobs import Job

job = Job.start(globals(), __doc__)

from wganlib.common.images import frame_paths_in_order, make_contact_sheet, make_gif
from wganlib.judge.sampling import MOVING_AVERAGES, frames_folder

mode = job.params.get("sampling", MOVING_AVERAGES)  # by hand without it: the frames of moving averages
frames = frame_paths_in_order(sorted(frames_folder(job.input["frames"], mode).glob("iter_*.png")))
make_gif(
    frames,
    job.output["gif"],
    frame_duration_s=job.params["frame_duration"],
    last_frame_hold_s=job.params["last_frame_hold"],
    scale=2,
)
make_contact_sheet(frames, job.output["sheet"], max_frames=8, scale=2)
