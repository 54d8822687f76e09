"""Rule `render_samples`: the final sample sheet of one experiment and N generated images (.npz),
from a noise batch shared by every experiment of the dataset, so the sheets compare like for like."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wganlib.jobs import Job, start_logging  # noqa: E402

job = Job.current(globals(), __doc__)
start_logging(job.log)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from wganlib.evaluation import generate, sample_noise  # noqa: E402
from wganlib.images import image_grid, save_png  # noqa: E402
from wganlib.io import atomic_path  # noqa: E402
from wganlib.runtime import configure_tensorflow  # noqa: E402

configure_tensorflow(job.threads, use_gpu=False)
generator = keras.models.load_model(job.input["generator"], compile=False)
z_dim = generator.inputs[0].shape[-1]
images = generate(generator, sample_noise(job.params["n_samples"], z_dim))
with atomic_path(job.output["npz"]) as tmp:
    np.savez_compressed(tmp, images=images)
n_sheet = min(job.params["sheet_samples"], len(images))
save_png(job.output["sheet"], image_grid(images[:n_sheet], ncols=int(np.ceil(np.sqrt(n_sheet)))))
