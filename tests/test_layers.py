"""The tree shows the pipeline: contract -> plan -> send -> judge -> record -> report -> run, and imports only
point down it (lazy and type-only imports included), so a stage never reaches for one that comes after it."""

from __future__ import annotations

import ast
from pathlib import Path

import conformance

# A stage may import the foundations (rank 0: the modules at the package's top) and any stage ranked at or
# below its own. The emulator sits beside the pipeline, started by the send stage; the tools beside it
# (parity, contract watch) and the entry points may import anything, and nothing in the pipeline imports them.
RANKS = {
    "contract": 1,
    "plan": 2,
    "emulator": 2.5,
    "send": 3,
    "judge": 4,
    "record": 5,
    "report": 6,
    "run": 7,
    "parity": 8,
    "contract_watch": 8,
    "cli": 9,
    "pytest_plugin": 9,
    "schemathesis": 9,
    "suite": 9,
}
FOUNDATIONS = {"__init__", "kinds", "vendor", "settings", "templating", "interrupts"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(conformance.PACKAGE_DIR.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _rank(module: str) -> float:
    parts = module.split(".")
    return 0 if len(parts) == 1 else RANKS.get(parts[1], 0)


def _imports(path: Path, module: str) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("conformance.") or name == "conformance"}


def _modules() -> list[Path]:
    return sorted(conformance.PACKAGE_DIR.rglob("*.py"))


def test_the_package_top_holds_only_the_foundations_and_the_entry_points() -> None:
    top = {path.stem for path in conformance.PACKAGE_DIR.glob("*.py")}
    assert top <= FOUNDATIONS | {name for name, rank in RANKS.items() if rank >= 9}, top


def test_every_folder_is_a_stage_or_a_tool_beside_the_pipeline() -> None:
    folders = {path.name for path in conformance.PACKAGE_DIR.iterdir() if (path / "__init__.py").is_file()}
    assert folders <= set(RANKS), folders - set(RANKS)


def test_imports_only_point_down_the_pipeline() -> None:
    upward = [
        f"{module} imports {name}"
        for path in _modules()
        for module in [_module_name(path)]
        for name in sorted(_imports(path, module))
        if _rank(name) > _rank(module)
    ]
    assert upward == []


def test_the_layer_check_sees_an_upward_import(tmp_path: Path) -> None:
    fake = tmp_path / "fake.py"
    fake.write_text("def f():\n    from conformance.run.runner import Runner\n", encoding="utf-8")
    assert "conformance.run.runner" in _imports(fake, "conformance.plan.fake")
    assert _rank("conformance.run.runner") > _rank("conformance.plan.fake")
    assert _rank("conformance.kinds") < _rank("conformance.contract.schemas")
