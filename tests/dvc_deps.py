"""The code a DVC stage runs: the tlbench modules its entry module imports, transitively (imports
inside functions included), and the templates they name. `python -m tests.dvc_deps` prints them per
stage of dvc.yaml; tests/test_dvc.py checks that dvc.yaml lists exactly these."""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "tlbench"
TEMPLATES = PACKAGE / "templates"


def module_file(name: str) -> Path | None:
    base = REPO.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def has_code(path: Path) -> bool:
    """False for a file with only a docstring and `from __future__` (an empty package marker)."""
    body = ast.parse(path.read_text()).body
    return any(not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
               and not (isinstance(n, ast.ImportFrom) and n.module == "__future__") for n in body)


def imports(name: str, path: Path) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("tlbench")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            if base.startswith("tlbench"):
                found |= {f"{base}.{a.name}" if module_file(f"{base}.{a.name}") else base for a in node.names}
    return found


def closure(entry: str) -> set[str]:
    """Every tlbench module `entry` may import, with the packages above each (when they hold code)."""
    seen, todo = set(), [entry]
    while todo:
        name = todo.pop()
        path = module_file(name)
        if name in seen or path is None:
            continue
        seen.add(name)
        parents = [".".join(name.split(".")[:k]) for k in range(1, name.count(".") + 1)]
        todo += list(imports(name, path)) + parents
    return {m for m in seen if has_code(module_file(m))}


def templates(modules: set[str]) -> set[str]:
    """The templates named by `render_pair("<stem>", ...)` calls in the modules."""
    named = set()
    for m in modules:
        for node in ast.walk(ast.parse(module_file(m).read_text())):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "render_pair"
                    and node.args and isinstance(node.args[0], ast.Constant)):
                named.add(node.args[0].value)
    return {p.relative_to(REPO).as_posix() for s in named for p in TEMPLATES.glob(f"{s}.*.j2")}


def code_deps(entry: str) -> set[str]:
    """Paths relative to the repository: the modules' files and the templates."""
    modules = closure(entry)
    return {module_file(m).relative_to(REPO).as_posix() for m in modules} | templates(modules)


def stage_entries(dvc_yaml: Path = REPO / "dvc.yaml") -> dict[str, tuple[str, list[str]]]:
    """{stage name (unexpanded): (entry module, declared deps)} from the `python -m` commands."""
    out = {}
    for name, stage in yaml.safe_load(dvc_yaml.read_text())["stages"].items():
        body = stage.get("do", stage)
        match = re.search(r"python -m (tlbench[\w.]+)", body["cmd"])
        out[name] = (match.group(1) if match else "", [d for d in body.get("deps", [])])
    return out


if __name__ == "__main__":
    for stage, (entry, _) in stage_entries(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "dvc.yaml").items():
        print(f"{stage}:", *sorted(code_deps(entry)), sep="\n  - ")
