"""Rule `real_floor`: every sample-quality metric for real training images against the test split,
the value a perfect generator would get, so each number of the experiments has a reference."""

from wganlib.jobs import Job

job = Job.start(globals(), __doc__, tensorflow=True)

import json
import logging

import keras
import numpy as np
from wganlib import datasets
from wganlib.evaluation import Judge, load_reference, score
from wganlib.io import write_json
from wganlib.runtime import configure_tensorflow

configure_tensorflow(job.threads, gpu=False)
judge = Judge(keras.models.load_model(job.input["classifier"], compile=False))
x_train = datasets.load(job.input["dataset"])["x_train"]
n = min(job.params["n_samples"], len(x_train))
real = x_train[np.random.default_rng(0).permutation(len(x_train))[:n]]
floor = score(judge, real, load_reference(job.input["reference"]), job.params["metrics"])
logging.info("real-data floor: %s", json.dumps(floor))
write_json(job.output["real_floor"], floor)
