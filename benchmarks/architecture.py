#!/usr/bin/env python3
"""The package's shape, as issue 10 measures it: circles, upward imports, sizes.

Prints, for ``src/kerio_watch``:

- import circles (strongly connected components of the module import graph, counting
  every import: top level, deferred inside functions, and ``TYPE_CHECKING`` ones);
- upward imports: a module importing from a layer above its own, by the layer map
  below (the same layers ``tests/test_architecture.py`` enforces once they hold);
- modules over 400 lines, functions over 50 and over 60 lines, the longest function;
- the methods of the largest store protocol (``typing.Protocol`` classes in ``store/``).

Usage::

    python benchmarks/architecture.py [--src src/kerio_watch] [--list]
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

LAYERS: tuple[tuple[str, ...], ...] = (
    ("cli", "web", "__main__"),
    ("app", "service"),
    ("respond", "report"),
    ("pipeline", "native"),
    ("alerts",),
    ("incidents",),
    ("detect",),
    ("enrich",),
    ("store",),
    ("sources", "simulate"),
    ("formats",),
    ("settings", "config"),
    (
        "events",
        "values",
        "timebase",
        "severity",
        "errors",
        "exitcodes",
        "textsafe",
        "masking",
        "log",
        "timerange",
        "gcpace",
        "__init__",
    ),
)
"""Top-level parts of the package, highest layer first. A part may import from its own
layer's other parts only where noted in docs/architecture.md, and from any layer below."""


def _module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _imports(tree: ast.AST, name: str, is_package: bool, pkg: str) -> set[str]:
    deps: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            deps |= {a.name for a in node.names if a.name.startswith(pkg)}
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            base = node.module
            if node.level:
                parts = name.split(".")
                keep = len(parts) - node.level + (1 if is_package else 0)
                base = ".".join([*parts[:keep], node.module])
            if base.startswith(pkg):
                deps.add(base)
                deps |= {f"{base}.{a.name}" for a in node.names}
    return deps


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _layer(part: str) -> int | None:
    for i, names in enumerate(LAYERS):
        if part in names:
            return i
    return None


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def _protocol_methods(tree: ast.AST) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(
            (isinstance(b, ast.Name) and b.id == "Protocol")
            or (isinstance(b, ast.Attribute) and b.attr == "Protocol")
            for b in node.bases
        ):
            methods = [
                n for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
            found.append((node.name, len(methods)))
    return found


def main() -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--src", type=Path, default=Path(__file__).parent.parent / "src" / "kerio_watch"
    )
    parser.add_argument("--list", action="store_true", help="List every offending item.")
    args = parser.parse_args()
    root: Path = args.src
    pkg = root.name
    graph: dict[str, set[str]] = {}
    long_modules: list[tuple[int, str]] = []
    functions: list[tuple[int, str]] = []
    protocols: list[tuple[int, str]] = []
    for path in sorted(root.rglob("*.py")):
        name = _module_name(path, root)
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        lines = len(text.splitlines())
        if lines > 400:
            long_modules.append((lines, name))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                functions.append((length, f"{name}:{node.name}"))
        graph[name] = _imports(tree, name, path.name == "__init__.py", pkg)
        if _part(name) == "store":
            protocols += [(n, f"{name}.{cls}") for cls, n in _protocol_methods(tree)]
    names = set(graph)
    graph = {k: {d for d in v if d in names and d != k} for k, v in graph.items()}
    upward: dict[tuple[str, str], list[str]] = defaultdict(list)
    unmapped: set[str] = set()
    for module, deps in graph.items():
        src = _part(module)
        src_layer = _layer(src)
        if src_layer is None:
            unmapped.add(src)
            continue
        for dep in deps:
            dst = _part(dep)
            dst_layer = _layer(dst)
            if dst_layer is None:
                unmapped.add(dst)
            elif dst_layer < src_layer:
                upward[(src, dst)].append(f"{module} -> {dep}")
    circles = _circles(graph)
    over50 = sorted((f for f in functions if f[0] > 50), reverse=True)
    over60 = [f for f in over50 if f[0] > 60]
    longest = max(functions)
    biggest = max(protocols) if protocols else (0, "-")
    print(
        f"import circles: {len(circles)} ({', '.join(str(len(c)) for c in circles) or '-'} modules)"
    )
    print(f"upward imports: {sum(len(v) for v in upward.values())} in {len(upward)} pairs of parts")
    for (src, dst), where in sorted(upward.items()):
        print(f"  {src} -> {dst}: {len(where)}")
        if args.list:
            for w in sorted(where):
                print(f"      {w}")
    if unmapped:
        print(f"parts not in the layer map: {', '.join(sorted(unmapped))}")
    print(f"modules over 400 lines: {len(long_modules)}")
    if args.list:
        for n, m in sorted(long_modules, reverse=True):
            print(f"  {n} {m}")
    print(f"functions over 50 lines: {len(over50)}; over 60: {len(over60)}")
    if args.list:
        for n, f in over50:
            print(f"  {n} {f}")
    print(f"longest function: {longest[1]} ({longest[0]} lines)")
    print(f"largest store protocol: {biggest[1]} ({biggest[0]} methods)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
