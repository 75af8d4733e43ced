"""No import cycles between the parts of `pipelines/`.

A part is a direct child of `pipelines/`: a subpackage (ingest, quality, transform, ...) or a
top-level module (settings, fingerprint, ...). Every import in every module counts, also one
inside a function or under `if TYPE_CHECKING:`: a lazy import hides a cycle from the
interpreter, not from the reader. When part A imports part B, B must not import A, directly or
through other parts; shared code lives below both (docs/architecture.md).
"""

from __future__ import annotations

import ast
import itertools
from collections import deque
from pathlib import Path

PIPELINES = Path(__file__).resolve().parents[2] / "pipelines"


def module_name(path: Path) -> str:
    parts = path.relative_to(PIPELINES.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import in the file, at any depth; `from a import b` yields
    both `a` and `a.b` (b may be a module)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .x import y
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def part_of(module: str) -> str | None:
    """`pipelines.ingest.load` -> `ingest`, `pipelines.settings` -> `settings`; None outside."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "pipelines" else None


def part_graph() -> dict[str, dict[str, str]]:
    """part -> {imported part: one import that makes the edge, as `file:line imports module`}."""
    graph: dict[str, dict[str, str]] = {}
    for path in sorted(PIPELINES.rglob("*.py")):
        source = part_of(module_name(path))
        if source is None:  # pipelines/__init__.py
            continue
        for line, module in imported_modules(path):
            target = part_of(module)
            if target is not None and target != source:
                where = f"{path.relative_to(PIPELINES.parent)}:{line} imports {module}"
                graph.setdefault(source, {}).setdefault(target, where)
    return graph


def cycles(graph: dict[str, dict[str, str]]) -> list[list[str]]:
    """For every edge on a cycle, the shortest cycle through it (as [a, b, ..., a]), without
    repeats."""
    found: dict[tuple[str, ...], list[str]] = {}
    for a in sorted(graph):
        for b in sorted(graph[a]):
            back = {b: None}
            queue = deque([b])
            while queue and a not in back:
                node = queue.popleft()
                for nxt in sorted(graph.get(node, {})):
                    if nxt not in back:
                        back[nxt] = node
                        queue.append(nxt)
            if a not in back:
                continue
            path = [a]
            while path[-1] != b:
                path.append(back[path[-1]])
            ring = [a, *reversed(path)][:-1]  # a, b, ..., (before a)
            start = ring.index(min(ring))
            ring = ring[start:] + ring[:start]
            found[tuple(ring)] = [*ring, ring[0]]
    return [found[k] for k in sorted(found)]


def describe(cycle: list[str], graph: dict[str, dict[str, str]]) -> str:
    steps = "\n".join(f"    {a} -> {b}: {graph[a][b]}" for a, b in itertools.pairwise(cycle))
    return f"  {' -> '.join(cycle)}\n{steps}"


def test_the_graph_sees_the_imports():
    graph = part_graph()
    assert {"ingest", "quality", "transform", "publish"} <= set(graph)
    assert "settings" in graph["ingest"]
    # lazy imports count: pipelines/cli.py imports the demo only inside a function
    assert "demo" in graph["cli"]
    assert cycles({"a": {"b": ""}, "b": {"c": ""}, "c": {"a": ""}, "d": {"a": ""}}) == [["a", "b", "c", "a"]]


def test_no_import_cycles_between_parts_of_pipelines():
    graph = part_graph()
    found = cycles(graph)
    assert not found, "import cycles between parts of pipelines/:\n" + "\n".join(describe(c, graph) for c in found)
