"""The LLM package stays in small modules with no import cycle: the pieces of a model call
(settings, failures, turns, request, streaming) never import the caller that uses them."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "assistant" / "llm"
PIECES = ("config", "failures", "turns", "request", "streaming")


def imports(path: Path) -> set[str]:
    """The modules of this package that `path` imports (at any depth of the file)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found.update(n.split(".")[2] for n in names if n.startswith("assistant.llm."))
    return found


def graph() -> dict[str, set[str]]:
    return {path.stem: imports(path) for path in PACKAGE.glob("*.py")}


def test_no_import_cycle_in_the_llm_package() -> None:
    edges = graph()
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module in done:
            return
        for target in edges.get(module, set()):
            visit(target, (*path, module))
        done.add(module)

    for module in edges:
        visit(module, ())


def test_the_pieces_of_a_call_do_not_import_the_caller() -> None:
    edges = graph()
    for piece in PIECES:
        assert "client" not in edges[piece], piece


def test_no_module_of_the_package_is_long() -> None:
    lengths = {
        p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.glob("*.py")
    }
    assert max(lengths.values()) <= 350, lengths
