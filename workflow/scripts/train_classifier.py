"""Rule `train_classifier`: what every sample-quality metric of a dataset compares against, in one
TensorFlow start:

- the evaluation network (a small CNN trained on the train split with a fixed seed; for Stacked
  MNIST a digit classifier applied to each channel, the dataset's `judge`) and its test accuracy
  (for Stacked MNIST also the confidence threshold of its confident mode count);
- the reference: the test split's features and labels;
- the real-data floor: every metric for real training images against the test split, the value a
  perfect generator would get, so each number of the experiments has a reference (with a
  per-channel judge, also its digit accuracy, which bounds the modes it can count).
"""

from wganlib.common.jobs import Job

job = Job.start(globals(), __doc__, tensorflow=True)

import json
import logging

import numpy as np
from wganlib import datasets
from wganlib.common.io import atomic_path, write_json
from wganlib.judge.evaluation import Judge, score, train_judge
from wganlib.train.runtime import configure_tensorflow

configure_tensorflow(job.tensorflow_threads(), gpu=False)
datasets.verify_existing(job.input["dataset"], job.input["manifest"])
data = datasets.load(job.input["dataset"])
classifier, accuracy = train_judge(data, job.params["judge"], job.params["epochs"], job.params["seed"])
logging.info("classifier (%s) test accuracy: %s", job.params["judge"], json.dumps(accuracy))
with atomic_path(job.output["classifier"]) as tmp:
    classifier.save(tmp)
judge = Judge(classifier, accuracy.get("confidence_threshold"))  # a per-channel judge's, for its floor
features, _ = judge(data["x_test"])
reference = {"features": features, "labels": data["y_test"].astype(np.int64)}
with atomic_path(job.output["reference"]) as tmp:
    np.savez(tmp, **reference)
write_json(
    job.output["accuracy"],
    {
        **accuracy,
        "n_train": len(data["x_train"]),
        "n_test": len(data["x_test"]),
        "epochs": job.params["epochs"],
        "seed": job.params["seed"],
    },
)
x_train = data["x_train"]
n = min(job.params["floor_samples"], len(x_train))
real = x_train[np.random.default_rng(0).permutation(len(x_train))[:n]]
floor = score(judge, real, reference, job.params["metrics"])
if "digit_accuracy" in accuracy:
    floor["digit_accuracy"] = accuracy["digit_accuracy"]
logging.info("real-data floor: %s", json.dumps(floor))
write_json(job.output["real_floor"], floor)
