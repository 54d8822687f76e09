"""Which source files a script really runs, and a digest of their content.

Each rule passes the digest of its script (and of the package modules the script imports,
followed transitively) as a param: editing the model code reruns training, editing plotting code
reruns only the figures, and new file times (a fresh clone, a `touch`) rerun nothing.
"""

import ast
import hashlib
from pathlib import Path

PACKAGE = "wganlib"


def module_file(name: str, scripts_dir: Path) -> Path | None:
    """The file that defines module `name`: `a/b.py`, or `a/b/__init__.py` for a package."""
    base = scripts_dir.joinpath(*name.split("."))
    for candidate in (base.with_name(base.name + ".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _absolute(node: ast.ImportFrom, path: Path, scripts_dir: Path) -> str | None:
    """The module a `from ... import` names; a relative one counts from the package of `path`."""
    if not node.level:
        return node.module
    try:
        package = list(path.relative_to(scripts_dir).parent.parts)  # a package's __init__ is its own
    except ValueError:
        return None
    if node.level > len(package):
        return None  # above the top package (or in a script): Python refuses it too
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imported_modules(path: Path, scripts_dir: Path, _seen: set[Path] | None = None) -> dict[str, Path | None]:
    """Every module `path` imports -> its file in the package, or None for outside modules.

    Importing `wganlib.a.b` runs `wganlib/__init__.py` and `wganlib/a/__init__.py` first: they count too.
    """
    seen = _seen if _seen is not None else set()
    seen.add(path)
    found: dict[str, Path | None] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, path, scripts_dir)
            if module is None:
                continue
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] != PACKAGE:
                found.setdefault(name, None)
                continue
            for depth in range(1, len(parts) + 1):  # the package, its subpackages, then the module
                prefix = ".".join(parts[:depth])
                local = module_file(prefix, scripts_dir)
                if local is not None:
                    found[prefix] = local
                    if local not in seen:
                        found.update(imported_modules(local, scripts_dir, seen))
    return found


def source_files(script: Path) -> list[Path]:
    """The script and the package modules it runs, sorted."""
    script = Path(script)
    local = {p for p in imported_modules(script, script.parent).values() if p is not None}
    return sorted({script, *local})


def code_digest(script: str | Path) -> str:
    """SHA-256 over the content (not the times) of everything `script` runs."""
    script = Path(script)
    digest = hashlib.sha256()
    for path in source_files(script):
        digest.update(path.relative_to(script.parent).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
