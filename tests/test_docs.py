"""Every Python code block in README.md and docs/ runs without error, and every link resolves."""

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


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def _anchors(document: Path) -> set[str]:
    """The anchors GitHub gives the document's headings (lower case, punctuation dropped,
    spaces to dashes, a repeated heading suffixed -1, -2…)."""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#+ (.*)$", FENCE.sub("", document.read_text(encoding="utf-8")),
                              re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_links_resolve(document: Path) -> None:
    """Every relative link names a file of the repository, and a heading of it after any '#'."""
    text = INLINE_CODE.sub("", FENCE.sub("", document.read_text(encoding="utf-8")))
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        path, _, anchor = target.partition("#")
        linked = (document.parent / path).resolve() if path else document
        if not linked.exists():
            broken.append(f"{target} (no such file)")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target} (no such heading)")
    assert not broken, f"{document.name}: {', '.join(broken)}"
