"""Rows changed behind the library's back are found by verify, and flagged on opening."""

from __future__ import annotations

import random
import warnings

import pytest

from aes_membership import DecodeError, FieldError, Registry, TamperError, TamperWarning
from aes_membership.cli import main
from aes_membership.datasets import west_africa
from aes_membership.stores import open_store
from conftest import Backend

COLUMNS = ("event_id", "type", "version", "recorded_at", "payload", "hash")


@pytest.fixture
def filled(durable: Backend) -> Backend:
    """A durable store holding the bundled West Africa history."""
    with durable.open() as reg:
        west_africa(reg)
    return durable


def _first_broken(backend: Backend) -> int | None:
    store = open_store(backend.target, **backend.options)
    report = store.verify()
    store.close()
    assert report.ok == (report.position is None)
    return report.position


def test_untouched_store_verifies(filled: Backend) -> None:
    """A store only the library wrote verifies, event by event."""
    with filled.open() as reg:
        report = reg.verify()
        assert report.ok and report.checked == reg.position


@pytest.mark.parametrize("column", COLUMNS)
def test_editing_any_column_of_any_row_is_found(filled: Backend, column: str) -> None:
    """Changing one column of a random row breaks the chain at exactly that row."""
    position = random.Random(column).randint(1, 103)
    change = {
        "version": "{c} = {c} + 1",
        "event_id": "{c} = '00000000-0000-4000-8000-000000000000'",
    }.get(column, "{c} = {c} || 'x'")
    filled.execute(f"UPDATE {{events}} SET {change.format(c=column)} WHERE position = ?", position)
    assert _first_broken(filled) == position


def test_deleting_a_row_is_found(filled: Backend) -> None:
    """A removed row is reported at the position that went missing."""
    filled.execute("DELETE FROM {events} WHERE position = ?", 10)
    assert _first_broken(filled) == 10


def test_deleting_the_last_rows_is_not_provable_but_the_rest_verifies(filled: Backend) -> None:
    """Truncating the tail leaves a shorter valid chain: verify reports how many it checked."""
    filled.execute("DELETE FROM {events} WHERE position > ?", 100)
    with filled.open() as reg:
        report = reg.verify()
    assert report.ok and report.checked == 100


def test_swapping_two_rows_is_found(filled: Backend) -> None:
    """Exchanging the contents of two rows (a reordering) breaks the chain at the first."""
    rows = filled.execute(
        "SELECT position, event_id, type, version, effective, recorded_at, payload, hash"
        " FROM {events} WHERE position IN (?, ?) ORDER BY position", 20, 21,
    )
    filled.execute("DELETE FROM {events} WHERE position IN (?, ?)", 20, 21)
    for (position, *_), (_, *content) in zip(rows, reversed(rows), strict=True):
        filled.execute("INSERT INTO {events} VALUES (?, ?, ?, ?, ?, ?, ?, ?)", position, *content)
    assert _first_broken(filled) == 20


def test_inserting_a_forged_row_is_found(filled: Backend) -> None:
    """A row slipped into the middle (later rows renumbered) breaks the chain there."""
    forged = filled.execute(
        "SELECT type, version, effective, recorded_at, payload, hash FROM {events}"
        " WHERE position = ?", 50,
    )[0]
    for position in range(103, 49, -1):  # one by one: the primary key must stay unique
        filled.execute("UPDATE {events} SET position = position + 1 WHERE position = ?", position)
    filled.execute("INSERT INTO {events} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   50, "forged-id", *forged)
    assert _first_broken(filled) == 50


def test_recomputed_hash_does_not_hide_an_edit_further_on(filled: Backend) -> None:
    """Editing a row and its own hash still breaks the chain at the next row."""
    from aes_membership.stores.base import chain_hash

    rows = filled.execute(
        "SELECT position, event_id, type, version, recorded_at, payload, hash FROM {events}"
        " WHERE position IN (?, ?) ORDER BY position", 29, 30,
    )
    previous = rows[0][6]
    position, event_id, type_tag, version, recorded_at, payload, _ = rows[1]
    payload += " "
    forged = chain_hash(previous, f"{position}|{event_id}|{type_tag}|{version}|{recorded_at}|{payload}")
    filled.execute("UPDATE {events} SET payload = ?, hash = ? WHERE position = ?",
                   payload, forged, 30)
    assert _first_broken(filled) == 31


def test_opening_a_tampered_store_warns_refuses_or_skips(filled: Backend) -> None:
    """on_tamper='warn' (the default) warns, 'refuse' raises, 'skip' opens silently."""
    filled.execute("UPDATE {events} SET payload = payload || ' ' WHERE position = ?", 7)
    with pytest.warns(TamperWarning, match="position 7"), filled.open() as reg:
        assert reg.position == 103
    with pytest.raises(TamperError) as caught:
        filled.open(on_tamper="refuse")
    assert caught.value.position == 7
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        filled.open(on_tamper="skip").close()


def test_on_tamper_must_be_known() -> None:
    """An unknown on_tamper value is refused, naming the choices."""
    with pytest.raises(FieldError, match="'warn', 'refuse' or 'skip'"):
        Registry.open(":memory:", on_tamper="ignore")


def test_cli_verify_reports_the_broken_position(filled: Backend,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """`aes-membership verify` exits 1 and names the first broken position."""
    assert main(["verify", "--db", filled.target, *_cli_schema(filled)]) == 0
    filled.execute("DELETE FROM {events} WHERE position = ?", 60)
    assert main(["verify", "--db", filled.target, *_cli_schema(filled)]) == 1
    assert "BROKEN at position 60" in capsys.readouterr().out


def _cli_schema(backend: Backend) -> list[str]:
    return ["--schema", backend.options["schema"]] if "schema" in backend.options else []


def test_an_unreadable_row_names_its_position(filled: Backend) -> None:
    """A row edited into something that is not an event is reported at its position."""
    filled.execute("UPDATE {events} SET payload = '{{not json' WHERE position = ?", 12)
    with pytest.raises(DecodeError, match="position 12") as caught:
        filled.open(on_tamper="skip")
    assert caught.value.position == 12
