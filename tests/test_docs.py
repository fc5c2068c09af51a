"""Every Python code block in README.md and docs/ runs without error."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import POSTGRES_DSN, postgres_dsn

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
NEEDS_POSTGRES = "# needs: postgres"
DOCS_SCHEMA = "membership_docs"  # the schema the PostgreSQL examples write to


def _drop_docs_schema() -> None:
    if POSTGRES_DSN:
        import psycopg

        with psycopg.connect(POSTGRES_DSN, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {DOCS_SCHEMA} CASCADE")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_code_blocks_run(document: Path, tmp_path: Path) -> None:
    """The document's python blocks run in order, sharing one namespace, in an empty folder.

    Blocks starting with ``# needs: postgres`` get ``DSN``, the test server's connection string.
    """
    blocks = BLOCK.findall(document.read_text(encoding="utf-8"))
    namespace: dict[str, object] = {"__name__": f"docs_{document.stem}"}
    if any(code.startswith(NEEDS_POSTGRES) for code in blocks):
        namespace["DSN"] = postgres_dsn()
        _drop_docs_schema()
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
        _drop_docs_schema()
