"""The layout shows the architecture: folders import one way only, and no
product module grows past what a reader takes in at once."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
FOLDERS = ("cli", "gateway", "worker", "workflows", "activities", "client", "store", "warroom")
MAX_LINES = 400


def modules() -> list[Path]:
    return sorted(path for folder in FOLDERS for path in (ROOT / folder).rglob("*.py"))


def imported_folders(path: Path) -> set[str]:
    """The project folders a module imports from, at any depth of the module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.partition(".")[0] for name in names if name.partition(".")[0] in FOLDERS)
    return found


def folder_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {folder: set() for folder in FOLDERS}
    for path in modules():
        folder = path.relative_to(ROOT).parts[0]
        graph[folder] |= imported_folders(path) - {folder}
    return graph


def test_no_two_folders_import_each_other():
    """Not directly, and not around a cycle."""
    graph = folder_graph()

    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})) for nxt in graph[start])

    cycles = sorted(folder for folder in FOLDERS if reaches(folder, folder))
    assert cycles == [], f"folders on an import cycle: {cycles}; imports: {graph}"


def test_the_domain_imports_no_other_folder():
    assert folder_graph()["warroom"] == set()


def test_the_layers_are_as_the_readme_draws_them():
    graph = folder_graph()
    assert graph["client"] <= {"warroom"}
    assert graph["store"] <= {"warroom"}
    assert graph["activities"] <= {"client", "store", "warroom"}
    assert graph["workflows"] <= {"activities", "client", "warroom"}


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_above_400_lines(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES
