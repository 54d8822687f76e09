"""Rule `train_classifier`: the evaluation network of one dataset (a small CNN trained on its train
split with a fixed seed), its test accuracy, and the test split's features and labels: the
reference that every sample-quality metric compares against."""

from wganlib.jobs import Job

job = Job.start(globals(), __doc__, tensorflow=True)

import logging

import numpy as np
from wganlib import datasets
from wganlib.evaluation import Judge, train_classifier
from wganlib.io import atomic_path, write_json
from wganlib.runtime import configure_tensorflow

configure_tensorflow(job.threads, gpu=False)
datasets.verify_existing(job.input["dataset"], job.input["manifest"])
data = datasets.load(job.input["dataset"])
classifier, accuracy = train_classifier(data, job.params["epochs"], job.params["seed"])
logging.info("classifier test accuracy: %.4f", accuracy)
with atomic_path(job.output["classifier"]) as tmp:
    classifier.save(tmp)
features, _ = Judge(classifier)(data["x_test"])
with atomic_path(job.output["reference"]) as tmp:
    np.savez(tmp, features=features, labels=data["y_test"].astype(np.int64))
write_json(
    job.output["accuracy"],
    {
        "test_accuracy": accuracy,
        "n_train": len(data["x_train"]),
        "n_test": len(data["x_test"]),
        "epochs": job.params["epochs"],
        "seed": job.params["seed"],
    },
)
