#!/usr/bin/env python3
"""Fails when Azora's code has a circle between modules.

Reads the "uses" edges of `cargo modules dependencies` (cargo-modules, a rust-analyzer based
graph of the crate's items) and collapses every item to the module that owns it, at two
levels:
  - units: `http`, `state`, `authz`, `events`, ... and each feature module `modules::<m>`;
  - submodules of one feature module: `modules::<m>::<file>`.
A cycle at either level fails the check. A module's `dto` is left out at the second level:
cargo-modules names the methods of `impl From<Row> for XResponse` (written in the service
file) after the DTO type, so they would look like uses from `dto`. The composition roots (the crate root `lib.rs`,
`modules` itself with `configure`/`hooks`, `startup`, `openapi`, `seed`) assemble everything
and are left out; so are uses of a module's own items from inside it.

(cargo-modules' own `--acyclic` works on items, so it reports a type and its own methods as a
cycle; that is why the edges are collapsed to modules here.)

Also checks the layering rules: `http` uses no feature module, and a feature module uses
`http` only from its `routes` (a file or folder).
"""
import re
import sys
from collections import defaultdict

ROOTS = {"", "modules", "startup", "openapi", "seed"}
EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)" \[label="uses"')


def unit(path):
    """The unit an item belongs to, and its submodule inside a feature module (or None)."""
    parts = path.split("::")[1:]  # drop the crate name
    if not parts:
        return "", None
    if parts[0] == "modules":
        if len(parts) < 2:
            return "modules", None
        sub = parts[2] if len(parts) > 2 else None
        return "modules::" + parts[1], sub
    return parts[0], None


def cycles(edges):
    """Strongly connected components with more than one node (Tarjan)."""
    graph = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
        graph.setdefault(b, set())
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
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

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def main(dot_path):
    unit_edges, sub_edges, evidence, layering = set(), defaultdict(set), defaultdict(list), []
    for line in open(dot_path):
        m = EDGE.match(line)
        if not m:
            continue
        src, dst = m.groups()
        (su, ss), (du, ds) = unit(src), unit(dst)
        if su in ROOTS or du in ROOTS:
            continue
        if su == "http" and du.startswith("modules::"):
            layering.append(f"http uses a feature module: {src} -> {dst}")
        if su.startswith("modules::") and du == "http" and ss != "routes":
            layering.append(f"a module uses http outside its routes: {src} -> {dst}")
        if su != du:
            unit_edges.add((su, du))
            evidence[(su, du)].append(f"{src} -> {dst}")
        elif su.startswith("modules::") and ss and ds and ss != ds and "dto" not in (ss, ds):
            sub_edges[su].add((ss, ds))
            evidence[(f"{su}::{ss}", f"{su}::{ds}")].append(f"{src} -> {dst}")
    problems = list(layering)
    for comp in cycles(unit_edges):
        problems.append("circle between " + ", ".join(comp))
        for a in comp:
            for b in comp:
                if (a, b) in evidence:
                    problems.append(f"    {evidence[(a, b)][0]}")
    for module, edges in sub_edges.items():
        for comp in cycles(edges):
            names = [f"{module}::{c}" for c in comp]
            problems.append("circle between " + ", ".join(names))
            for a in names:
                for b in names:
                    if (a, b) in evidence:
                        problems.append(f"    {evidence[(a, b)][0]}")
    if problems:
        print("module check failed:")
        print("\n".join(problems))
        return 1
    print(f"module check: no circles ({len(unit_edges)} edges between units)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
