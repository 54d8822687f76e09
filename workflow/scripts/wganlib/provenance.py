"""Which source files a script really runs, and a digest of their content.

Each rule passes the digest of its script (and of the package modules the script imports,
followed transitively) as a param: editing the model code reruns training, editing plotting code
reruns only the figures, and new file times (a fresh clone, a `touch`) rerun nothing.
"""

import ast
import hashlib
from pathlib import Path

PACKAGE = "wganlib"


def imported_modules(path: Path, scripts_dir: Path, _seen: set[Path] | None = None) -> dict[str, Path | None]:
    """Every module `path` imports -> its file in the package, or None for outside modules."""
    seen = _seen if _seen is not None else set()
    seen.add(path)
    found: dict[str, Path | None] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:  # a relative import inside the package
                module = f"{PACKAGE}.{module}" if module else PACKAGE
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            local = scripts_dir / (name.replace(".", "/") + ".py")
            if name.split(".")[0] == PACKAGE and local.exists():
                found[name] = local
                if local not in seen:
                    found.update(imported_modules(local, scripts_dir, seen))
            elif name.split(".")[0] != PACKAGE:
                found.setdefault(name, None)
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
