"""Shared fixtures: registries on every backend, the bundled history, the shared data folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from aes_membership import Registry
from aes_membership.datasets import west_africa

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
POSTGRES_DSN = os.environ.get("AES_MEMBERSHIP_TEST_DSN")


def shared_file(*parts: str) -> Path:
    """A file of the shared reference data, or skip the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared reference data not present: {'/'.join(parts)}")
    return path


@pytest.fixture(params=["memory", "sqlite"])
def registry(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Registry]:
    """An empty registry on each embedded backend."""
    reg = Registry() if request.param == "memory" else Registry.open(tmp_path / "test.sqlite")
    yield reg
    reg.close()


@pytest.fixture(scope="session")
def wa() -> Registry:
    """The bundled West Africa history, in memory (shared: tests must not write to it)."""
    return west_africa()
