"""docs/architecture.md, checked: the package layout by stage, imports only forward, shared
contracts importing no stage, every artifact name spelled only in artifacts.py."""

from __future__ import annotations

import ast
from pathlib import Path

from agentpprof.artifacts import DIFF_DASHBOARD, DIFF_JSON, FILES

PKG = Path(__file__).resolve().parents[2] / "src" / "agentpprof"
# the stage groups in pipeline order: a module may import its own group and earlier ones
GROUPS = ("sources", "tagging", "profile", "output")
# shared contracts and helpers at the top: anything may import them; they import no stage
CONTRACTS = {
    "__init__",
    "artifacts",
    "console",
    "defaults",
    "errors",
    "fsutil",
    "models",
    "parallel",
    "privacy",
}
# entry points at the top: the command line and what wires the stages (no stage or contract
# imports them)
ENTRIES = {"__main__", "bench", "cli", "commands", "inventory", "options", "pipeline", "schema"}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).with_suffix("")
        out[".".join(rel.parts)] = path
    return out


def _imports(path: Path) -> set[str]:
    """agentpprof modules imported (``from agentpprof import x`` names count as modules)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "agentpprof":
                found.update(a.name for a in node.names)
            elif node.module.startswith("agentpprof."):
                found.add(node.module.removeprefix("agentpprof."))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("agentpprof."):
                    found.add(a.name.removeprefix("agentpprof."))
    return found


def _where(module: str) -> str:
    head = module.split(".", 1)[0]
    if head in GROUPS:
        return head
    if head in CONTRACTS:
        return "contract"
    if head in ENTRIES:
        return "entry"
    return "?"


def test_every_module_has_a_place() -> None:
    unplaced = [m for m in _modules() if _where(m) == "?"]
    assert unplaced == [], f"modules outside the layout of docs/architecture.md: {unplaced}"
    for group in GROUPS:
        assert (PKG / group / "__init__.py").is_file()


def test_imports_only_go_forward() -> None:
    wrong = []
    for module, path in _modules().items():
        here = _where(module)
        for target in _imports(path):
            there = _where(target)
            if there == "contract" or target == "__version__":
                if here == "contract" and target.split(".")[0] not in CONTRACTS | {"__version__"}:
                    wrong.append(f"{module} -> {target}")
                continue
            if there == "entry":
                if here != "entry":
                    wrong.append(f"{module} -> {target} (an entry point)")
                continue
            if here == "contract":
                wrong.append(f"{module} -> {target} (a contract imports a stage)")
            elif here in GROUPS and GROUPS.index(there) > GROUPS.index(here):
                wrong.append(f"{module} -> {target} (backward: {here} before {there})")
    assert wrong == []


def test_artifact_names_are_spelled_only_in_artifacts_py() -> None:
    names = set(FILES.values()) | {DIFF_DASHBOARD, DIFF_JSON}
    spelled = []
    for module, path in _modules().items():
        if module == "artifacts":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and node.value in names:
                spelled.append(f"{module}:{node.lineno} {node.value}")
    assert spelled == [], "use the names in artifacts.py"


def test_no_function_over_80_lines() -> None:
    long = []
    for module, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > 80:
                    long.append(f"{module}.{node.name}: {n} lines")
    assert long == []


def test_cli_is_thin() -> None:
    assert len((PKG / "cli.py").read_text().splitlines()) < 400
