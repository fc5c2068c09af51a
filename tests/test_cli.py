"""The aes-membership command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aes_membership.cli import main


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = str(tmp_path / "cli.sqlite")
    assert main(["demo", "--db", path]) == 0
    capsys.readouterr()
    return path


def test_demo_tells_the_story(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo loads the history into an SQLite file and prints members and leaders."""
    assert main(["demo", "--db", str(tmp_path / "d.sqlite")]) == 0
    out = capsys.readouterr().out
    assert "12 members" in out and "Ibrahim Traoré" in out
    assert "as known on 2023-12-01: yes" in out and "as known on 2023-12-03: no" in out


def test_members_json(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """members --json lists the bloc's members with kind and suspension."""
    assert main(["members", "ECOWAS", "--on", "2024-06-01", "--db", db, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["members"]) == 15
    assert {m["state"] for m in data["members"] if m["suspended"]} == {"MLI", "BFA", "NER", "GIN"}


def test_blocs_holder_history(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """blocs, holder and history answer from the stored history."""
    assert main(["blocs", "MLI", "--on", "2026-01-01", "--db", db]) == 0
    assert capsys.readouterr().out.split()[0] == "AES"
    assert main(["holder", "AES/president", "--on", "2025-01-01", "--db", db]) == 0
    assert "assimi-goita" in capsys.readouterr().out
    assert main(["history", "CPV", "--db", db]) == 0
    assert "1977\tstate-joined" in capsys.readouterr().out
    assert main(["verify", "--db", db]) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["members", "ECOWAS", "--on", "2024-13-01"], "invalid date '2024-13-01'"),
        (["holder", "AES/presidnt", "--on", "2025-01-01"], "did you mean 'AES/president'"),
        (["blocs", "MIL", "--on", "2025-01-01"], "did you mean 'MLI'"),
    ],
)
def test_errors_are_one_line_and_exit_2(db: str, capsys: pytest.CaptureFixture[str],
                                        argv: list[str], message: str) -> None:
    """Bad dates and unknown ids print one clear line on stderr and exit with 2."""
    assert main([*argv, "--db", db]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_export_import_round_trip(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """export then import into a new store reproduces every event."""
    out = tmp_path / "events.jsonl"
    assert main(["export", "--db", db, "--out", str(out)]) == 0
    target = str(tmp_path / "copy.sqlite")
    assert main(["import", str(out), "--db", target]) == 0
    assert main(["export", "--db", target, "--out", str(tmp_path / "again.jsonl")]) == 0
    assert out.read_text() == (tmp_path / "again.jsonl").read_text()
