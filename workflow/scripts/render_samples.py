"""Rule `render_samples`: the final sample sheet of one experiment and N generated images (.npz),
from a noise batch shared by every experiment of the dataset, so the sheets compare like for like."""

from wganlib.jobs import Job

job = Job.start(globals(), __doc__)

import keras
import numpy as np

from wganlib.evaluation import generate, sample_noise
from wganlib.images import image_grid, save_png
from wganlib.io import atomic_path
from wganlib.runtime import configure_tensorflow

configure_tensorflow(job.threads, use_gpu=False)
generator = keras.models.load_model(job.input["generator"], compile=False)
z_dim = generator.inputs[0].shape[-1]
images = generate(generator, sample_noise(job.params["n_samples"], z_dim))
with atomic_path(job.output["npz"]) as tmp:
    np.savez_compressed(tmp, images=images)
n_sheet = min(job.params["sheet_samples"], len(images))
save_png(job.output["sheet"], image_grid(images[:n_sheet], ncols=int(np.ceil(np.sqrt(n_sheet)))))
