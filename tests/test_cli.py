"""The aes-membership command line."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import sqlite3
import sys
from pathlib import Path

import pytest

from aes_membership import BlocFounded, Event, PersonRegistered, Registry, StateRegistered
from aes_membership.cli import main
from aes_membership.stores.base import redact_dsn


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


def test_questions_without_a_date_are_asked_of_today(
        db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """members, blocs and holder without --on answer for today's date, UTC, as the API does."""
    with Registry.open(db) as reg:
        today = reg.snapshot()
        expected = {
            "members": ("ECOWAS", sorted(today.members("ECOWAS"))),
            "blocs": ("MLI", sorted(today.blocs_of("MLI"))),
            "holder": ("AES/president", list(today.holders("AES/president"))),
        }
    for command, (subject, answer) in expected.items():
        assert main([command, subject, "--db", db, "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["on"] == str(today.on)
        found = data[{"members": "members", "blocs": "blocs", "holder": "holders"}[command]]
        assert (sorted(m["state"] for m in found) if command == "members" else found) == answer


def test_blocs_holder_history(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """blocs, holder and history answer from the stored history."""
    assert main(["blocs", "MLI", "--on", "2026-01-01", "--db", db]) == 0
    assert capsys.readouterr().out.split()[0] == "AES"
    assert main(["holder", "AES/president", "--on", "2025-01-01", "--db", db]) == 0
    assert "assimi-goita" in capsys.readouterr().out
    assert main(["history", "CPV", "--db", db]) == 0
    assert "1977\tstate-joined" in capsys.readouterr().out
    assert main(["verify", "--db", db]) == 0


def test_checkpoint_keeps_the_replayed_state(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """checkpoint keeps the state of every event, and later commands open from it."""
    assert main(["checkpoint", "--db", db, "--json"]) == 0
    kept = json.loads(capsys.readouterr().out)["position"]
    with Registry.open(db) as reg:
        assert kept == reg.position
        found = reg.store.load_checkpoint()
        assert found is not None and found[0] == kept
    assert main(["blocs", "MLI", "--on", "2026-01-01", "--db", db]) == 0
    assert capsys.readouterr().out.split()[0] == "AES"


def test_checkpoint_refuses_a_broken_chain(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """checkpoint reads the whole log and keeps nothing when a row was edited."""
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as conn:
        conn.execute("UPDATE aes_events SET payload = payload || ' ' WHERE position = 3")
    assert main(["checkpoint", "--db", db]) == 2
    assert "position 3" in capsys.readouterr().err
    with Registry.open(db, on_tamper="skip") as reg:
        assert reg.store.load_checkpoint() is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["members", "ECOWAS", "--on", "2024-13-01"], "invalid date '2024-13-01'"),
        (["holder", "AES/presidnt", "--on", "2025-01-01"], "did you mean 'AES/president'"),
        (["blocs", "MIL", "--on", "2025-01-01"], "did you mean 'MLI'"),
        (["members", "ECOWAS", "--on", "2025-01-01", "--as-known-at", "²"],
         "as_known_at: invalid date '²'"),
        (["members", "ECOWAS", "--as-known-at", "-5"],
         "as_known_at: expected a log position from 0 to 103, got -5"),
    ],
)
def test_errors_are_one_line_and_exit_2(db: str, capsys: pytest.CaptureFixture[str],
                                        argv: list[str], message: str) -> None:
    """Bad dates (a digit of another kind too), positions below 0 and unknown ids print one
    clear line on stderr and exit with 2."""
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


def test_a_history_imported_into_a_newer_store_needs_recorded_at_now(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A JSON Lines history older than a store's last event is refused naming its first line,
    and --recorded-at now records it at the current instant."""
    out = tmp_path / "events.jsonl"
    assert main(["export", "--db", db, "--out", str(out)]) == 0
    target = str(tmp_path / "newer.sqlite")
    with Registry.open(target) as registry:
        registry.register_state("XYZ", name="Somewhere")
    capsys.readouterr()
    assert main(["import", str(out), "--db", target]) == 2
    err = capsys.readouterr().err
    assert err.startswith("aes-membership: error: line 1: recorded_at ") and "expected an " \
        "instant at or after the last recorded one" in err and err.count("\n") == 1
    assert main(["import", str(out), "--db", target, "--recorded-at", "now"]) == 0
    with Registry.open(target) as registry, Registry.open(db) as source:
        assert registry.position == source.position + 1
    assert main(["import", str(out), "--db", target, "--format", "popolo",
                 "--recorded-at", "now"]) == 2
    assert "--recorded-at is for --format jsonl" in capsys.readouterr().err
    fresh = tmp_path / "fresh.sqlite"
    assert main(["import", str(out), "--db", str(fresh), "--states-file", str(out)]) == 2
    assert capsys.readouterr().err == ("aes-membership: error: --states-file is for --format "
                                       "cow-state-year or cow-igo-year, not jsonl\n")
    assert not fresh.exists()


def test_popolo_export_and_import(db: str, tmp_path: Path) -> None:
    """export --format popolo writes a container that import --format popolo reads back."""
    out = tmp_path / "wa.popolo.json"
    assert main(["export", "--format", "popolo", "--db", db, "--out", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert {"persons", "organizations", "memberships", "posts"} <= data.keys()
    target = str(tmp_path / "popolo.sqlite")
    assert main(["import", str(out), "--format", "popolo", "--db", target]) == 0
    assert main(["members", "AES", "--on", "2025-01-01", "--db", target]) == 0
    snapshot = tmp_path / "day.json"
    assert main(["export", "--format", "popolo", "--on", "2025-02-01", "--db", db,
                 "--out", str(snapshot)]) == 0
    states = {m["member"]["id"] for m in json.loads(snapshot.read_text())["memberships"]
              if m.get("organization_id") == "ECOWAS" and "member" in m}
    assert len(states) == 12


def test_cow_panel_import_export_and_chart(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A COW state-year panel imports, exports back unchanged, and charts from the CLI."""
    panel = tmp_path / "panel.csv"
    panel.write_text("ccode,year,state,ecowas\n432,1975,mali,1\n432,1976,mali,1\n"
                     "436,1975,niger,0\n436,1976,niger,1\n", encoding="utf-8")
    db = str(tmp_path / "cow.sqlite")
    assert main(["import", str(panel), "--format", "cow-state-year", "--db", db]) == 0
    assert "recorded" in capsys.readouterr().err
    again = tmp_path / "again.csv"
    assert main(["export", "--format", "cow-state-year", "--db", db, "--out", str(again)]) == 0
    assert again.read_text(encoding="utf-8") == panel.read_text(encoding="utf-8")
    picture = tmp_path / "ecowas.png"
    assert main(["chart", "ECOWAS", "--out", str(picture), "--db", db]) == 0
    assert picture.read_bytes()[:4] == b"\x89PNG"


def test_import_of_a_bad_panel_is_one_line_and_leaves_no_new_store(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad cell in a panel is reported with its line, and the file the import made is gone."""
    panel = tmp_path / "bad.csv"
    panel.write_text("ccode,year,state,ecowas\n432,1975,mali,1\n432,1976,mali,yes\n",
                     encoding="utf-8")
    db = str(tmp_path / "bad.sqlite")
    assert main(["import", str(panel), "--format", "cow-state-year", "--db", db]) == 2
    err = capsys.readouterr().err
    assert "line 3: column 'ecowas'" in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]
    assert main(["export", "--db", db]) == 2  # no store, rather than an empty one
    assert "no store at" in capsys.readouterr().err


def test_a_refused_import_leaves_an_existing_store_as_it_was(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An import refused into a store that was there keeps the store and every event in it."""
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{}\n", encoding="utf-8")
    with Registry.open(db) as registry:
        before = list(registry.events())
    assert main(["import", str(bad), "--db", db]) == 2
    capsys.readouterr()
    with Registry.open(db) as registry:
        assert list(registry.events()) == before and before


def test_an_empty_import_into_a_new_file_makes_an_empty_store(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An import that succeeds with no events leaves the new store it asked for."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    db = tmp_path / "new.sqlite"
    assert main(["import", str(empty), "--db", str(db)]) == 0
    assert "recorded 0 new events" in capsys.readouterr().err
    with Registry.open(db) as registry:
        assert registry.position == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["import", "{tmp}"], "Is a directory: '{tmp}'"),
        (["import", "{db}", "--format", "popolo"], "not UTF-8 text"),
        (["import", "{db}"], "line 1: not valid JSON"),
        (["export", "--out", "{tmp}/no/such/folder/x.jsonl"],
         "No such file or directory: '{tmp}/no/such/folder/x.jsonl'"),
        (["export", "--format", "cow-state-year", "--out", "{tmp}/x.csv"],
         "give them as --years FIRST-LAST"),
        (["export", "--format", "cow-igo-year", "--rule", "13-45", "--out", "{tmp}/x.csv"],
         "rule: expected 'any' or a day of the year as 'MM-DD'"),
    ],
)
def test_file_and_option_errors_are_one_line_and_exit_2(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
        message: str) -> None:
    """Files that cannot be read or written, or hold no text, and bad options: one line, exit 2."""
    argv = [a.format(tmp=tmp_path, db=db) for a in argv]
    assert main([*argv, "--db", db]) == 2
    err = capsys.readouterr().err
    assert message.format(tmp=tmp_path) in err and err.count("\n") == 1, err
    assert err.startswith("aes-membership: error: ") and "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ["members", "ECOWAS", "--on", "2024-01-01"], ["blocs", "MLI", "--on", "2024-01-01"],
    ["holder", "AES/president", "--on", "2025-01-01"], ["history", "MLI"], ["verify"],
    ["checkpoint"], ["export"], ["chart", "ECOWAS", "--out", "x.png"],
])
def test_a_command_that_reads_does_not_make_a_store_where_there_is_none(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """Reading from a mistyped --db is one clear line and exit 2, and leaves no empty store."""
    missing = tmp_path / "typo.sqlite"
    assert main([*argv, "--db", str(missing)]) == 2
    err = capsys.readouterr().err
    assert err == (f"aes-membership: error: no store at {str(missing)!r}: give its path with "
                   "--db, or make one with `aes-membership demo` or `aes-membership import`\n")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["members", "ECOWAS"], ["verify"], ["checkpoint"]])
def test_an_empty_file_given_as_the_store_is_told_as_no_store_and_left_empty(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    """An empty --db (made by touch, say) is told as a missing store is, in the command
    line's words rather than the API's create=False, and stays empty."""
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    assert main([*command, "--db", str(empty)]) == 2
    assert capsys.readouterr().err == (
        f"aes-membership: error: no store at {str(empty)!r}: give its path with --db, or make "
        "one with `aes-membership demo` or `aes-membership import`\n")
    assert empty.stat().st_size == 0


def test_a_command_that_reads_does_not_make_a_postgres_store_where_there_is_none(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Reading from a PostgreSQL schema that holds no store is one line, exit 2, and no schema."""
    import uuid

    from conftest import postgres_dsn

    dsn, schema = postgres_dsn(), f"t_{uuid.uuid4().hex[:16]}"  # (skips without a server)
    psycopg = pytest.importorskip("psycopg")
    assert main(["members", "AES", "--on", "2025-01-01", "--db", dsn, "--schema", schema]) == 2
    assert capsys.readouterr().err == (
        f"aes-membership: error: no store in schema {schema!r} of {redact_dsn(dsn)!r}: give the "
        "schema that holds it with --schema, or make one with `aes-membership demo` or "
        "`aes-membership import`\n")
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT count(*) FROM information_schema.schemata"
                            " WHERE schema_name = %s", (schema,)).fetchone() == (0,)


def test_as_known_at_takes_an_instant_or_a_log_position(db: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """--as-known-at answers from the events recorded by an instant, or up to a position."""
    assert main(["members", "ECOWAS", "--on", "2025-01-01", "--db", db, "--json"]) == 0
    now = json.loads(capsys.readouterr().out)["members"]
    assert main(["members", "ECOWAS", "--on", "2025-01-01", "--db", db, "--json",
                 "--as-known-at", "0"]) == 2  # nothing was known: no such bloc yet
    assert "unknown bloc 'ECOWAS'" in capsys.readouterr().err
    registry = Registry.open(db)
    last = registry.position
    registry.close()
    assert main(["members", "ECOWAS", "--on", "2025-01-01", "--db", db, "--json",
                 "--as-known-at", str(last)]) == 0
    assert json.loads(capsys.readouterr().out)["members"] == now
    assert main(["members", "ECOWAS", "--on", "2025-01-01", "--db", db,
                 "--as-known-at", str(last + 1)]) == 2
    assert f"a log position from 0 to {last}" in capsys.readouterr().err


def test_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    """When the reader of the output goes away (`demo | head`), the command ends quietly."""
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "aes_membership.cli", "demo", "--db", str(tmp_path / "p.sqlite")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # gone before the first line is written: every write fails
    with process.stderr:
        err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err


def _run_into(encoding: str, monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, bytes]:
    """main(argv) writing to a standard output of ``encoding``: its exit status and bytes."""
    written = io.BytesIO()
    out = io.TextIOWrapper(written, encoding=encoding, newline="")
    monkeypatch.setattr(sys, "stdout", out)
    status = main(list(argv))
    out.flush()
    return status, written.getvalue()


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_output_for_people_fits_any_locale(db: str, encoding: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Text for people is written in standard output's encoding, what it lacks escaped, not a traceback."""
    status, written = _run_into(encoding, monkeypatch, "members", "ECOWAS", "--on", "2024-06-01",
                                "--db", db)
    assert status == 0
    line = next(line for line in written.decode(encoding).splitlines() if line.startswith("CIV"))
    expected = "C\\xf4te d'Ivoire" if encoding == "ascii" else "Côte d'Ivoire"
    assert line.split("\t")[1] == expected
    status, written = _run_into(encoding, monkeypatch, "demo", "--db", db)
    assert status == 0 and b"Ibrahim Traor" in written


def test_json_and_exports_are_whole_under_an_ascii_locale(
        db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--json is valid JSON, and an export to '-' UTF-8, whatever standard output's encoding."""
    status, written = _run_into("ascii", monkeypatch, "members", "ECOWAS", "--on", "2024-06-01",
                                "--db", db, "--json")
    assert status == 0
    names = {m["state"]: m["name"] for m in json.loads(written.decode("ascii"))["members"]}
    assert names["CIV"] == "Côte d'Ivoire"
    assert main(["export", "--db", db, "--out", str(tmp_path / "events.jsonl")]) == 0
    for format_ in ("jsonl", "popolo"):
        status, written = _run_into("ascii", monkeypatch, "export", "--db", db,
                                    "--format", format_, "--out", "-")
        assert status == 0 and "Côte d'Ivoire" in written.decode("utf-8")
    status, written = _run_into("ascii", monkeypatch, "export", "--db", db, "--out", "-")
    assert written == (tmp_path / "events.jsonl").read_bytes()


def _stdin_of(data: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard input giving ``data``, under an ASCII locale (as a pipe's is: buffered)."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data)),
                                                       encoding="ascii"))


def test_import_reads_standard_input_as_utf8_or_gzip(
        db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """import - reads standard input as UTF-8 whatever the locale, and gunzips gzip."""
    exported = tmp_path / "events.jsonl"
    assert main(["export", "--db", db, "--out", str(exported)]) == 0
    data = exported.read_bytes()
    assert "Côte d'Ivoire".encode() in data
    for name, given in (("plain", data), ("packed", gzip.compress(data))):
        _stdin_of(given, monkeypatch)
        copy = str(tmp_path / f"{name}.sqlite")
        assert main(["import", "-", "--db", copy]) == 0
        assert "recorded 103 new events from standard input" in capsys.readouterr().err
        assert main(["export", "--db", copy, "--out", str(tmp_path / f"{name}.jsonl")]) == 0
        assert (tmp_path / f"{name}.jsonl").read_bytes() == data


def test_import_of_a_cut_gzip_stream_is_one_line_and_leaves_no_store(
        db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A gzip stream cut short on standard input is refused in one line, and no store is made."""
    exported = tmp_path / "events.jsonl"
    assert main(["export", "--db", db, "--out", str(exported)]) == 0
    packed = gzip.compress(exported.read_bytes())
    _stdin_of(packed[: len(packed) // 2], monkeypatch)
    capsys.readouterr()
    target = tmp_path / "cut.sqlite"
    assert main(["import", "-", "--db", str(target)]) == 2
    assert capsys.readouterr().err.startswith("aes-membership: error: not a whole gzip file")
    assert not target.exists()


def test_import_unpacks_a_gzip_file_whatever_its_name(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """import unpacks a gzip file not named .gz, rather than refusing its bytes as not UTF-8."""
    exported = tmp_path / "events.jsonl"
    assert main(["export", "--db", db, "--out", str(exported)]) == 0
    packed = tmp_path / "packed.jsonl"
    packed.write_bytes(gzip.compress(exported.read_bytes()))
    assert main(["import", str(packed), "--db", str(tmp_path / "copy.sqlite")]) == 0
    assert f"recorded 103 new events from {packed}" in capsys.readouterr().err


def test_import_names_the_line_of_standard_input_that_is_not_utf8(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A byte of standard input that is not UTF-8 is named by line and column, as in a file."""
    _stdin_of(b'{"type": "state-registered", "event": {"state": "MLI", "name": "Ma\xefli"}}\n',
              monkeypatch)
    assert main(["import", "-", "--db", str(tmp_path / "x.sqlite")]) == 2
    assert capsys.readouterr().err == ("aes-membership: error: line 1: not UTF-8 text "
                                       "(byte 0xef at column 67)\n")


def test_version_names_the_installed_release(capsys: pytest.CaptureFixture[str]) -> None:
    """--version prints the installed release and exits 0."""
    import importlib.metadata

    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0
    expected = importlib.metadata.version("aes_membership")
    assert capsys.readouterr().out == f"aes-membership {expected}\n"


def test_import_from_standard_input_that_is_not_there_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """import - in a process without standard input is refused in one line, and no store is made."""
    monkeypatch.setattr(sys, "stdin", None)
    target = tmp_path / "x.sqlite"
    assert main(["import", "-", "--db", str(target)]) == 2
    assert capsys.readouterr().err == ("aes-membership: error: there is no standard input to "
                                       "import from ('-')\n")
    assert not target.exists()


def test_chart_without_matplotlib_says_which_extra_in_one_line(
        db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """chart where matplotlib is not installed names the extra to install, in one line, exit 2."""
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # (importing it now fails)
    assert main(["chart", "ECOWAS", "--out", str(tmp_path / "e.png"), "--db", db]) == 2
    assert capsys.readouterr().err == ("aes-membership: error: charts need matplotlib: install "
                                       "aes_membership[plot]\n")
    assert not (tmp_path / "e.png").exists()


def test_commands_that_read_take_libpq_keyword_connection_strings(
        capsys: pytest.CaptureFixture[str]) -> None:
    """A --db of libpq's host=… dbname=… pairs is a PostgreSQL store for every command, not
    a missing file."""
    import uuid

    from conftest import postgres_dsn

    url, schema = postgres_dsn(), f"t_{uuid.uuid4().hex[:16]}"  # (skips without a server)
    conninfo = pytest.importorskip("psycopg.conninfo")
    keywords = conninfo.make_conninfo(**conninfo.conninfo_to_dict(url))
    assert "://" not in keywords
    try:
        assert main(["demo", "--db", keywords, "--schema", schema]) == 0
        capsys.readouterr()
        assert main(["members", "AES", "--on", "2025-01-01", "--db", keywords,
                     "--schema", schema]) == 0
        rows = capsys.readouterr().out.splitlines()
        assert [row.split("\t")[0] for row in rows] == ["BFA", "MLI", "NER"]
    finally:
        psycopg = pytest.importorskip("psycopg")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_schema_with_an_sqlite_store_is_refused_in_one_line(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--schema with an SQLite --db is refused in one line, exit 2, and makes no file."""
    assert main(["members", "AES", "--db", db, "--schema", "s"]) == 2
    assert capsys.readouterr().err == (f"aes-membership: error: --schema is for PostgreSQL "
                                       f"stores, and --db {db!r} is not a PostgreSQL connection "
                                       "string\n")
    target = tmp_path / "new.sqlite"
    assert main(["demo", "--db", str(target), "--schema", "s"]) == 2
    assert not target.exists()


def test_a_password_in_db_is_never_printed(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The demo's report and the --schema refusal show --db with its password hidden."""
    import uuid

    from conftest import postgres_dsn

    assert main(["members", "AES", "--db", "mysql://u:secret@h/m", "--schema", "s"]) == 2
    assert capsys.readouterr().err == ("aes-membership: error: --schema is for PostgreSQL "
                                       "stores, and --db 'mysql://u:***@h/m' is not a "
                                       "PostgreSQL connection string\n")
    url, schema = postgres_dsn(), f"t_{uuid.uuid4().hex[:16]}"  # (skips without a server)
    conninfo = pytest.importorskip("psycopg.conninfo")
    # (the test server trusts its clients: a password given is not checked, only carried)
    with_password = conninfo.make_conninfo(url, password="secret")
    try:
        assert main(["demo", "--db", with_password, "--schema", schema]) == 0
        out = capsys.readouterr().out
        assert "password=***" in out and "secret" not in out
    finally:
        psycopg = pytest.importorskip("psycopg")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_no_answers_print_no_lines(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """members and blocs with nothing to list print nothing, not an empty line."""
    assert main(["members", "ECOWAS", "--on", "1900-01-01", "--db", db]) == 0
    assert main(["blocs", "MLI", "--on", "1900-01-01", "--db", db]) == 0
    assert capsys.readouterr().out == ""


def test_a_name_with_a_tab_or_a_line_break_keeps_its_row_whole(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Text output writes a name's tabs and line breaks as escapes, one row per answer, so
    that cut and wc read it right; --json keeps the name as it is. (Names are refused such
    characters now; a store written before may hold them.)"""
    def earlier(event: Event, name: str) -> Event:  # (as a version that took them recorded it)
        object.__setattr__(event, "name", name)
        return event

    db = str(tmp_path / "odd.sqlite")
    with Registry.open(db) as reg:
        reg.record(earlier(StateRegistered(state="XYZ", name="x"), "Upper\tVolta\nand more\u2028still"),
                   earlier(PersonRegistered(person="p", name="x"), "A\r\nB"),
                   earlier(BlocFounded(bloc="B1", name="x", on="2000-01-01"), "Bloc\x0bOne"))
        reg.join("XYZ", "B1", on="2000-01-01")
        reg.create_post("B1/chair", bloc="B1", title="Chair", on="2000-01-01")
        reg.appoint("B1/chair", "p", on="2000-01-01")
    for argv, row in (
        (["members", "B1"], "XYZ\tUpper\\x09Volta\\x0aand more\\u2028still\tfull"),
        (["blocs", "XYZ"], "B1\tBloc\\x0bOne"),
        (["holder", "B1/chair"], "p\tA\\x0d\\x0aB"),
    ):
        assert main([*argv, "--on", "2001-01-01", "--db", db]) == 0
        assert capsys.readouterr().out == row + "\n"
    assert main(["history", "XYZ", "--db", db]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2  # registered, joined
    assert main(["members", "B1", "--on", "2001-01-01", "--db", db, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["members"][0]["name"] == (
        "Upper\tVolta\nand more\u2028still")
    # Such a history moves to another store whole: JSON Lines are taken as recorded.
    exported = tmp_path / "odd.jsonl"
    assert main(["export", "--db", db, "--out", str(exported)]) == 0
    moved = str(tmp_path / "moved.sqlite")
    assert main(["import", str(exported), "--db", moved]) == 0
    capsys.readouterr()
    assert main(["blocs", "XYZ", "--on", "2001-01-01", "--db", moved]) == 0
    assert capsys.readouterr().out == "B1\tBloc\\x0bOne\n"


@pytest.mark.parametrize(("options", "message"), [
    (["--rule", "12-31"], "--rule is for --format cow-state-year or cow-igo-year, not jsonl"),
    (["--years", "1990-1991"], "--years is for --format cow-state-year or cow-igo-year, not jsonl"),
    (["--on", "2024-01-01"], "--on is for --format popolo, not jsonl"),
    (["--format", "cow-state-year", "--as-known-at", "5"],
     "--as-known-at is for --format jsonl or popolo, not cow-state-year"),
])
def test_export_refuses_an_option_its_format_does_not_take(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], options: list[str],
        message: str) -> None:
    """An export option given with a format that does not take it is refused, not ignored."""
    out = tmp_path / "out"
    assert main(["export", "--db", db, "--out", str(out), *options]) == 2
    assert capsys.readouterr().err == f"aes-membership: error: {message}\n"
    assert not out.exists()


def test_export_of_a_cow_panel_takes_its_years(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A COW export writes the imported panel's years, or those of --years; a store with no
    imported panel asks for --years, and says why its panel is empty if nothing in it has a
    COW code."""
    panel = tmp_path / "panel.csv"
    panel.write_text("ccode,year,state,ecowas\n432,1990,mali,1\n432,1991,mali,1\n"
                     "432,1992,mali,1\n", encoding="utf-8")
    cow_db = str(tmp_path / "cow.sqlite")
    assert main(["import", str(panel), "--format", "cow-state-year", "--db", cow_db]) == 0
    out = tmp_path / "out.csv"
    for years, rows in ((None, ["1990", "1991", "1992"]), ("1991-1991", ["1991"])):
        assert main(["export", "--format", "cow-state-year", "--db", cow_db, "--out", str(out),
                     *(["--years", years] if years else [])]) == 0
        assert [line.split(",")[1] for line in out.read_text().splitlines()[1:]] == rows
    capsys.readouterr()
    assert main(["export", "--format", "cow-igo-year", "--db", db, "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        "aes-membership: error: this store holds no imported COW panel to take the years "
        "from: give them as --years FIRST-LAST, such as --years 1960-2014\n")
    assert main(["export", "--format", "cow-state-year", "--db", db, "--out", str(out),
                 "--years", "1976-1978"]) == 0  # (the bundled history names COW's codes)
    assert "402,1977,capeverde,1,-1" in out.read_text().splitlines()
    plain = str(tmp_path / "plain.sqlite")
    with Registry.open(plain) as reg:
        reg.register_state("XYZ", name="Nowhere")
    capsys.readouterr()
    assert main(["export", "--format", "cow-state-year", "--db", plain, "--out", str(out),
                 "--years", "1960-2026"]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"exported 0 rows to {out}\n") and err.endswith("none were found\n")


@pytest.mark.parametrize("command", [["demo"], ["export"], ["import", "x.jsonl"],
                                     ["chart", "ECOWAS", "--out", "x.png"]])
def test_commands_with_no_answer_to_give_refuse_json(
        command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """demo, export, import and chart, which write files or tell a story, refuse --json
    rather than ignore it, and write nothing."""
    monkeypatch.chdir(tmp_path)  # (where the default store would be made)
    with pytest.raises(SystemExit) as caught:
        main([*command, "--json"])
    assert caught.value.code == 2
    assert "unrecognized arguments: --json" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
