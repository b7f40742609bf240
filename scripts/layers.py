#!/usr/bin/env python3
"""The core's layers, and the check that each module only looks down.

Reads every `crate::…` path under crates/core/src and fails (exit 1) when a module names one
of a higher layer, or when modules of one layer name each other in a circle. The table below
is the one place the layers are written down; a new module must be added to it.
"""

import re
import sys
from pathlib import Path

# Lowest first. A module may name modules of its own layer (without a circle) and below.
LAYERS = [
    ("base", ["error", "secret", "wire", "app", "net", "access"]),
    ("connections", ["mysql", "redis", "ssh", "servers"]),
    # What every capability shares on top of a connection: the one writer of operation_logs
    # and keyset paging with masking.
    ("shared", ["audit", "keyset"]),
    (
        "capabilities",
        [
            "schema",
            "seed",
            "directory",
            "conversations",
            "explain",
            "indexes",
            "backup",
            "replication",
            "monitor",
            "cache",
            "overview",
            "audit::trail",
        ],
    ),
    ("workspace", ["profiles", "fleet", "logs", "diagnostics", "sandbox", "workspace"]),
]

# Modules read as their own unit rather than as part of their parent.
SPLIT = {("audit", "trail"): "audit::trail"}

LAYER_OF = {m: i for i, (_, mods) in enumerate(LAYERS) for m in mods}
NAME_OF = {i: name for i, (name, _) in enumerate(LAYERS)}
PATH = re.compile(r"\bcrate::([a-z_]+)(?:::([a-z_]+))?")


def unit(first, second):
    return SPLIT.get((first, second), first)


def module_of(src, path):
    parts = path.relative_to(src).with_suffix("").parts
    if parts[0] == "lib":
        return None
    return unit(parts[0], parts[1] if len(parts) > 1 else None)


def code_lines(text):
    """The file's lines without comments, so prose naming a module does not count."""
    for number, line in enumerate(text.splitlines(), 1):
        yield number, line.split("//", 1)[0]


def edges(src):
    found = {}
    for path in sorted(src.rglob("*.rs")):
        here = module_of(src, path)
        if here is None:
            continue
        for number, line in code_lines(path.read_text()):
            for m in PATH.finditer(line):
                there = unit(m.group(1), m.group(2))
                if there != here:
                    found.setdefault((here, there), f"{path}:{number}")
    return found


def circles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "crates/core/src")
    found = edges(src)
    problems = []
    modules = {a for a, _ in found} | {b for _, b in found}
    for m in sorted(modules - LAYER_OF.keys()):
        problems.append(f"module `{m}` is in no layer: add it to the table in {__file__}")
    graph = {}
    for (a, b), where in sorted(found.items()):
        graph.setdefault(a, set()).add(b)
        la, lb = LAYER_OF.get(a), LAYER_OF.get(b)
        if la is not None and lb is not None and lb > la:
            problems.append(
                f"{where}: `{a}` ({NAME_OF[la]}) reaches up to `{b}` ({NAME_OF[lb]})"
            )
    for component in circles(graph):
        cycle = " ↔ ".join(component)
        where = [found[(a, b)] for a in component for b in component if (a, b) in found]
        problems.append(f"a circle: {cycle} (at {', '.join(where)})")
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print(f"layers: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"layers: {len(modules)} modules, {len(found)} imports, all looking down, no circle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
