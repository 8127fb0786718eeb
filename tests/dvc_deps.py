"""The code a DVC stage runs: the tlbench modules its entry module imports, transitively (imports
inside functions included), and the templates they name. `python -m tests.dvc_deps [--write]` prints them per
stage of dvc.yaml; tests/pipeline/test_dvc.py checks that dvc.yaml lists exactly these."""
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


def write_code_deps(dvc_yaml: Path) -> None:
    """Rewrite each stage's tlbench/ deps in dvc.yaml to the computed ones, other lines untouched."""
    entries, out, stage, pending = stage_entries(dvc_yaml), [], None, None
    for line in dvc_yaml.read_text().splitlines():
        head = re.match(r"^  (\w+):$", line)
        if head:
            stage = head.group(1)
        dep = re.match(r"^(\s+)- (tlbench/\S+)$", line)
        if dep and stage in entries:
            if pending != stage:  # the first code dep of the stage: put them all here
                out += [f"{dep.group(1)}- {d}" for d in sorted(code_deps(entries[stage][0]))]
                pending = stage
            continue
        out.append(line)
    dvc_yaml.write_text("\n".join(out) + "\n")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--write"]
    target = Path(args[0]) if args else REPO / "dvc.yaml"
    if "--write" in sys.argv:
        write_code_deps(target)
    for stage, (entry, _) in stage_entries(target).items():
        print(f"{stage}:", *sorted(code_deps(entry)), sep="\n  - ")
