"""The issuer's modules import each other without a cycle (issue 26, item 4). A lazy import in
``issuer/service.py`` (the metrics, which read every lifecycle) once tied 20 modules into one
cycle; import-linter's ``acyclic_siblings`` contract judges packages, not modules, so the
module graph is checked here with grimp, the library import-linter builds on."""

from __future__ import annotations

import grimp
import pytest

pytestmark = pytest.mark.unit


def _cycles(package: str) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    graph = grimp.build_graph(package, include_external_packages=False)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


@pytest.mark.parametrize("package", ["issuer", "custody_mock", "servicekit"])
def test_no_import_cycle_between_modules(package: str) -> None:
    assert _cycles(package) == []


def test_the_check_finds_a_cycle(tmp_path, monkeypatch) -> None:
    """The check itself can fail: two modules importing each other are one cycle."""
    pkg = tmp_path / "cyclic_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from cyclic_pkg import b\n")
    (pkg / "b.py").write_text("from cyclic_pkg import a\n")
    (pkg / "c.py").write_text("from cyclic_pkg import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert _cycles("cyclic_pkg") == [["cyclic_pkg.a", "cyclic_pkg.b"]]
