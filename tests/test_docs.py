"""Every Python code block in README.md and docs/ runs without error."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_code_blocks_run(document: Path, tmp_path: Path) -> None:
    """The document's python blocks run in order, sharing one namespace, in an empty folder."""
    blocks = BLOCK.findall(document.read_text(encoding="utf-8"))
    namespace: dict[str, object] = {"__name__": f"docs_{document.stem}"}
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        for number, code in enumerate(blocks, start=1):
            try:
                exec(compile(code, f"{document.name}[block {number}]", "exec"), namespace)
            except Exception as error:  # pragma: no cover - reported with the block number
                pytest.fail(f"{document.name}, block {number}: {type(error).__name__}: {error}")
    finally:
        os.chdir(cwd)
