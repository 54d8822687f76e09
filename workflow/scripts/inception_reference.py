"""Rule `inception_reference`: what every sample-quality metric of a dataset without labels compares
against, in one TensorFlow start (the train_classifier rule's outputs, with the Inception graph of
the FID code as the judge and no classifier to train):

- the reference: the Inception pool_3 features of the test split;
- the real-data floor: FID, KID, precision, recall, density and coverage of real training images
  against the test split, the values a perfect generator would get. Without labels there is no classifier score, mode or class KL:
  they are NaN, and the file says why.
"""

from wganlib.jobs import Job

job = Job.start(globals(), __doc__, tensorflow=True)

import json
import logging

import numpy as np
from wganlib import datasets
from wganlib.evaluation import load_judge, score
from wganlib.io import atomic_path, write_json
from wganlib.runtime import configure_tensorflow

configure_tensorflow(job.tensorflow_threads(), gpu=False)
datasets.verify_existing(job.input["dataset"], job.input["manifest"])
data = datasets.load(job.input["dataset"], mmap=True)  # LSUN's training split need not fit in memory
judge = load_judge(job.input)
features, _ = judge(data["x_test"])
reference = {"features": features}
with atomic_path(job.output["reference"]) as tmp:
    np.savez(tmp, **reference)
x_train = data["x_train"]
n = min(job.params["floor_samples"], len(x_train))
real = x_train[np.sort(np.random.default_rng(0).permutation(len(x_train))[:n])]
floor = score(judge, real, reference, job.params["metrics"])
logging.info("real-data floor: %s", json.dumps(floor))
write_json(job.output["real_floor"], floor | judge.record)
