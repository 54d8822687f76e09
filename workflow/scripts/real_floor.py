"""Rule `real_floor`: every sample-quality metric for real training images against the test split,
the value a perfect generator would get, so each number of the experiments has a reference."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wganlib.jobs import Job, start_logging  # noqa: E402

job = Job.current(globals(), __doc__)
start_logging(job.log)

import json  # noqa: E402
import logging  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402

from wganlib import datasets  # noqa: E402
from wganlib.evaluation import Judge, load_reference, score  # noqa: E402
from wganlib.io import write_json  # noqa: E402
from wganlib.runtime import configure_tensorflow  # noqa: E402

configure_tensorflow(job.threads, use_gpu=False)
judge = Judge(keras.models.load_model(job.input["classifier"], compile=False))
x_train = datasets.load(job.input["dataset"])["x_train"]
n = min(job.params["n_samples"], len(x_train))
real = x_train[np.random.default_rng(0).permutation(len(x_train))[:n]]
floor = score(judge, real, load_reference(job.input["reference"]), job.params["metrics"])
logging.info("real-data floor: %s", json.dumps(floor))
write_json(job.output["real_floor"], floor)
