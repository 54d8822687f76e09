"""Rule `evaluate`: FID, KID, classifier score, modes covered and class KL of one experiment's
final samples and of every kept snapshot (the same smaller N for each), against the test split."""

from wganlib.jobs import Job

job = Job.start(globals(), __doc__)

import json
import logging
from pathlib import Path

import keras
import numpy as np

from wganlib.config import Experiment
from wganlib.evaluation import Judge, generate, load_reference, sample_noise, score
from wganlib.images import frame_iteration
from wganlib.io import write_json
from wganlib.models import build_generator
from wganlib.runtime import configure_tensorflow

configure_tensorflow(job.threads, use_gpu=False)
settings = job.params["metrics"]
exp = Experiment.from_json(job.params["settings"])
judge = Judge(keras.models.load_model(job.input["classifier"], compile=False))
reference = load_reference(job.input["reference"])
with np.load(job.input["samples"]) as saved:
    final = score(judge, saved["images"], reference, settings)
logging.info("%s final: %s", exp.name, json.dumps(final))
generator = build_generator(exp.generator, exp.z_dim)
z = sample_noise(job.params["n_samples"], exp.z_dim)
over_training = []
for path in sorted(Path(job.input["snapshots"]).glob("iter_*.weights.h5"), key=frame_iteration):
    generator.load_weights(path)
    row = {"generator_iteration": frame_iteration(path), **score(judge, generate(generator, z), reference, settings)}
    logging.info("%s iteration %d: FID %.2f", exp.name, row["generator_iteration"], row["fid"])
    over_training.append(row)
write_json(job.output["evaluation"], {"final": final, "over_training": over_training})
