"""Rule `evaluate`: one experiment's final samples and their quality, in one TensorFlow start.

- N images from the final generator, from a noise batch shared by every experiment of the
  dataset (so the sheets compare like for like), drawn as evaluation.sampling says (batch norm's
  moving averages, or each batch's statistics: wganlib.judge.sampling): saved (.npz) and drawn as a
  sample sheet;
- FID, KID, classifier score, modes covered, class KL, precision, recall, density and coverage
  (and with Stacked MNIST's per-channel judge its 1,000 modes and their KL from uniform) of those
  images, and of every kept snapshot's (the same smaller N for each), against the test split; for
  a dataset without labels FID, KID, precision, recall, density and coverage on the Inception
  graph's features, which the file names (``wganlib.judge.judges``);
- the snapshots' FIDs for TensorBoard (``quality/fid``), beside the training's scalars.
"""

from wganlib.common.jobs import Job

job = Job.start(globals(), __doc__, tensorflow=True)

import json
import logging
from pathlib import Path

import keras
import numpy as np
from wganlib.common.images import frame_iteration, image_grid, save_png
from wganlib.common.io import atomic_path, write_json
from wganlib.judge.evaluation import (
    generate,
    load_judge,
    load_reference,
    sample_noise,
    sampler,
    score,
    write_fid_events,
)
from wganlib.judge.sampling import MOVING_AVERAGES
from wganlib.train.models import SubPixelConv2DTranspose  # noqa: F401 (registered: the saved generator's layers)
from wganlib.train.runtime import configure_tensorflow

configure_tensorflow(job.threads, gpu=False)
settings, name = job.params["metrics"], job.params["experiment"]
generator = keras.models.load_model(job.input["generator"], compile=False)
z_dim = generator.inputs[0].shape[-1]
sample = sampler(generator, job.params["sampling"])

images = generate(sample, sample_noise(job.params["final_samples"], z_dim))
with atomic_path(job.output["samples"]) as tmp:
    np.savez_compressed(tmp, images=images)
n_sheet = min(job.params["sheet_samples"], len(images))
save_png(job.output["sheet"], image_grid(images[:n_sheet], ncols=int(np.ceil(np.sqrt(n_sheet)))))

judge = load_judge(job.input)
reference = load_reference(job.input["reference"])
final = score(judge, images, reference, settings)
logging.info("%s final: %s", name, json.dumps(final))
# The snapshots are weights of this same network (and dtype policy): loaded into it in turn,
# they are what ``sample`` computes with.
z = sample_noise(job.params["snapshot_samples"], z_dim)
over_training = []
for path in sorted(Path(job.input["snapshots"]).glob("iter_*.weights.h5"), key=frame_iteration):
    generator.load_weights(path)
    row = {"generator_iteration": frame_iteration(path), **score(judge, generate(sample, z), reference, settings)}
    logging.info("%s iteration %d: FID %.2f", name, row["generator_iteration"], row["fid"])
    over_training.append(row)
# As the features, the sampling is named where it is not the default (no name: moving averages).
drawn = {} if job.params["sampling"]["mode"] == MOVING_AVERAGES else {"sampling": job.params["sampling"]}
write_json(job.output["evaluation"], {"final": final, "over_training": over_training, **judge.record, **drawn})
write_fid_events(job.output["tensorboard"], over_training)
