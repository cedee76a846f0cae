"""JSON Schemas of the contract, generated from the pydantic models and the inventory structs.

``python -m agentpprof.schema docs/`` rewrites them; a test checks the committed copies are
current.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from agentpprof.inventory import InventoryRow
from agentpprof.models import BenchResult, Report
from agentpprof.output.diff import DiffReport
from agentpprof.tagging.tags import TagsFile

SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "agentpprof.schema.json": lambda: Report.model_json_schema(),
    "sessions.schema.json": lambda: msgspec.json.schema(list[InventoryRow]),
    "benchmarks.schema.json": lambda: BenchResult.model_json_schema(),
    "diff.schema.json": lambda: DiffReport.model_json_schema(),
    "tags.schema.json": lambda: msgspec.json.schema(TagsFile),
}


def render_schemas() -> dict[str, str]:
    return {name: json.dumps(fn(), indent=2, sort_keys=True) + "\n" for name, fn in SCHEMAS.items()}


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "docs")
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render_schemas().items():
        (out / name).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
