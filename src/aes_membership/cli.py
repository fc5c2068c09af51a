"""The ``aes-membership`` command: a thin layer over the public API.

Bad dates and unknown ids print one clear line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import importlib.metadata
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from .codec import default_codec
from .errors import FieldError, MembershipError, StoreError
from .registry import Registry
from .stores import _is_postgres_target
from .stores.base import redact_dsn
from .stores.sqlite import SQLiteStore

__all__ = ["main"]

DEFAULT_DB = "aes-membership.sqlite"

_STORY_DATES = (
    ("1975-06-01", "ECOWAS is founded by fifteen states"),
    ("2021-06-01", "after the coup in Mali"),
    ("2023-12-01", "the AES exists; the G5 Sahel is falling apart"),
    ("2024-06-01", "the exits from ECOWAS are announced, not yet effective"),
    ("2025-02-01", "the exits have taken effect"),
    ("2026-01-01", "where the bundled history ends"),
)


def _open(args: argparse.Namespace, *, create: bool = False) -> Registry:
    return Registry.open(_target(args, create=create), **_options(args, create=create))


def _no_store(args: argparse.Namespace) -> str:
    """What to tell of a --db that holds no store (a missing or empty file, or a PostgreSQL
    schema without one), in the command line's words rather than the API's."""
    where = (f"in schema {args.schema or 'public'!r} of {redact_dsn(args.db)!r}: give the "
             "schema that holds it with --schema" if _is_postgres_target(args.db)
             else f"at {args.db!r}: give its path with --db")
    return f"no store {where}, or make one with `aes-membership demo` or `aes-membership import`"


def _options(args: argparse.Namespace, *, create: bool = False) -> dict[str, Any]:
    if args.schema is not None and not _is_postgres_target(args.db):
        raise MembershipError(f"--schema is for PostgreSQL stores, and --db "
                              f"{redact_dsn(args.db)!r} is not a PostgreSQL connection string")
    options: dict[str, Any] = {"schema": args.schema} if args.schema else {}
    if not create and args.db != ":memory:":  # (a PostgreSQL schema: see _target for files)
        options["create"] = False
    return options


def _target(args: argparse.Namespace, *, create: bool = False) -> str:
    """``--db``, which only the commands that record may create: a mistyped path must not
    leave an empty store behind and answer from it."""
    db: str = args.db
    if (not create and db != ":memory:" and "://" not in db and not _is_postgres_target(db)
            and not Path(db).exists()):
        raise StoreError(f"there is no store at {db!r}", missing=True)
    return db


def _known_at(text: str) -> str | int:
    """``--as-known-at``: an instant's text, or digits for a log position (with a minus sign,
    refused as a position rather than as a date)."""
    digits = text.removeprefix("-")
    # (isascii: "²" is a digit to str.isdigit, and no position)
    return int(text) if digits.isascii() and digits.isdigit() else text


def _names(registry: Registry, ids: Sequence[str], on: str) -> str:
    snap = registry.snapshot(on)
    return ", ".join(f"{snap.name(i)} ({i})" for i in sorted(ids)) or "—"


def _cmd_demo(args: argparse.Namespace) -> int:
    from .datasets import west_africa

    registry = _open(args, create=True)
    if registry.position == 0:
        west_africa(registry)
    out = sys.stdout
    out.write(f"West Africa history: {registry.position} events in {redact_dsn(args.db)}\n")
    for on, caption in _STORY_DATES:
        snap = registry.snapshot(on)
        out.write(f"\n{on} — {caption}\n")
        for bloc in sorted(snap.blocs()):
            members = snap.members(bloc)
            suspended = snap.suspended(bloc)
            listed = ", ".join(s + ("*" if s in suspended else "") for s in sorted(members))
            out.write(f"  {snap.name(bloc)} ({bloc}): {len(members)} members: {listed}\n")
            for post in sorted(snap.posts(bloc)):
                holder = snap.holder(post)
                who = snap.name(holder, "person") if holder else "vacant"
                out.write(f"    {snap.name(post, 'post')}: {who}\n")
    out.write("\n  * suspended\n")
    g5_early = registry.snapshot("2023-11-30", as_known_at="2023-12-01T00:00:00Z")
    g5_late = registry.snapshot("2023-11-30", as_known_at="2023-12-03T00:00:00Z")
    out.write(
        "\nTwo time axes: was Burkina Faso in the G5 Sahel on 2023-11-30?\n"
        f"  as known on 2023-12-01: {'yes' if g5_early.is_member('BFA', 'G5S') else 'no'}\n"
        f"  as known on 2023-12-03: {'yes' if g5_late.is_member('BFA', 'G5S') else 'no'}"
        " (the withdrawal effective 2023-11-29 was announced on 2023-12-02)\n"
    )
    registry.close()
    return 0


def _speaks_utf8(stream: object) -> bool:
    """Whether ``stream`` writes text as UTF-8 (as a terminal or pipe does where the locale
    says so, and every file format this command writes is)."""
    encoding = getattr(stream, "encoding", None)
    try:
        return isinstance(encoding, str) and codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def _fit_stdout(args: argparse.Namespace) -> None:
    """Standard output as the command needs it under any locale: a file format exported to
    ``-`` is UTF-8, whatever the locale says; text for people writes what the locale's
    encoding cannot (an accent, under an ASCII locale) as an escape rather than failing.
    (The command line is the process's entry point: its standard output is its own.)"""
    out = sys.stdout
    if _speaks_utf8(out) or not isinstance(out, io.TextIOWrapper):
        return
    if args.func is _cmd_export and args.out == "-":
        out.reconfigure(encoding="utf-8")
    else:
        out.reconfigure(errors="backslashreplace")


# Characters that would end a line or a tab-separated cell of the text output (str.splitlines
# breaks lines at some beyond ASCII's controls), written as escapes instead: a name that holds
# one, from an imported file, must not split its row.
_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, 0x85)} | {
    0x2028: "\\u2028", 0x2029: "\\u2029"}


def _cell(value: object) -> str:
    """``value`` as one cell of a row of text output."""
    return str(value).translate(_CONTROLS)


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if args.json:
        # JSON is UTF-8 or, where standard output cannot write that, plain ASCII: never
        # the escapes above, which are not JSON.
        json.dump(data, sys.stdout, ensure_ascii=not _speaks_utf8(sys.stdout), indent=2)
        sys.stdout.write("\n")
    elif text:  # (no lines for no answers: `| wc -l` counts 0 members, not 1)
        sys.stdout.write(text + "\n")


def _cmd_members(args: argparse.Namespace) -> int:
    with _open(args) as registry:
        snap = registry.snapshot(args.on, as_known_at=args.as_known_at)
        members = sorted(snap.members(args.bloc))
        suspended = snap.suspended(args.bloc)
        data = [{"state": s, "name": snap.name(s, "state"), "kind": snap.kind(s, args.bloc),
                 "suspended": s in suspended} for s in members]
        text = "\n".join(
            "\t".join(
                [_cell(d["state"]), _cell(d["name"]), _cell(d["kind"])]
                + (["suspended"] if d["suspended"] else [])
            )
            for d in data
        )
        _emit(args, {"bloc": args.bloc, "on": str(snap.on), "members": data}, text)
    return 0


def _cmd_blocs(args: argparse.Namespace) -> int:
    with _open(args) as registry:
        snap = registry.snapshot(args.on, as_known_at=args.as_known_at)
        blocs = sorted(snap.blocs_of(args.state))
        _emit(args, {"state": args.state, "on": str(snap.on), "blocs": blocs},
              "\n".join(f"{b}\t{_cell(snap.name(b, 'bloc'))}" for b in blocs))
    return 0


def _cmd_holder(args: argparse.Namespace) -> int:
    with _open(args) as registry:
        snap = registry.snapshot(args.on, as_known_at=args.as_known_at)
        holders = list(snap.holders(args.post))
        names = [snap.name(h, "person") for h in holders]
        _emit(args, {"post": args.post, "on": str(snap.on), "holders": holders},
              "\n".join(f"{h}\t{_cell(n)}" for h, n in zip(holders, names, strict=True))
              or "vacant")
    return 0


def _cmd_history(args: argparse.Namespace) -> int:
    codec = default_codec()
    with _open(args) as registry:
        events = registry.history(args.id, as_known_at=args.as_known_at)
        data = [codec.to_dict(e) for e in events]
        lines = []
        for event, fields in zip(events, data, strict=True):
            detail = ", ".join(
                f"{k}={_cell(v)}" for k, v in fields.items()
                if k not in ("type", "version", "id", "on", "source", "note") and v not in (None, {})
            )
            lines.append(f"{event.effective or '—'}\t{event.TYPE}\t{detail}")
        _emit(args, data, "\n".join(lines))
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from .stores import open_store

    # The store alone: a tampered row may not even decode, and verify must still report it.
    store = open_store(_target(args), **_options(args))
    try:
        report = store.verify()
        _emit(args, {"ok": report.ok, "checked": report.checked, "position": report.position,
                     "detail": report.detail},
              f"ok: {report.checked} events verified" if report.ok
              else f"BROKEN at position {report.position}: {report.detail}")
        return 0 if report.ok else 1
    finally:
        store.close()


def _cmd_checkpoint(args: argparse.Namespace) -> int:
    # Built from the log itself, every row checked: never from an older checkpoint.
    with Registry.open(_target(args), on_tamper="refuse", checkpoint=False,
                       **_options(args)) as registry:
        position = registry.checkpoint()
    _emit(args, {"position": position},
          f"checkpoint of {position} events kept" if position else "the log is empty: nothing kept")
    return 0


FORMATS = ("jsonl", "popolo", "cow-state-year", "cow-igo-year")


# The options of export and import that only some formats take (a COW panel is always written
# from everything recorded, and any file but JSON Lines is recorded now), and those formats:
# an option given to another is refused, not ignored.
_COW_FORMATS = ("cow-state-year", "cow-igo-year")
_EXPORT_OPTIONS = (
    ("on", "--on", ("popolo",)),
    ("as_known_at", "--as-known-at", ("jsonl", "popolo")),
    ("rule", "--rule", _COW_FORMATS),
    ("years", "--years", _COW_FORMATS),
)
_IMPORT_OPTIONS = (
    ("recorded_at", "--recorded-at", ("jsonl",)),
    ("states_file", "--states-file", _COW_FORMATS),
)


def _refuse_options(args: argparse.Namespace,
                    options: tuple[tuple[str, str, tuple[str, ...]], ...]) -> None:
    for name, option, formats in options:
        if getattr(args, name) is not None and args.format not in formats:
            raise MembershipError(f"{option} is for --format {' or '.join(formats)}, "
                                  f"not {args.format}")


def _years(text: str) -> range:
    """``--years FIRST-LAST``: the years, both included, as a panel can hold them."""
    from .interop.cow import _LAST_YEAR

    first, dash, last = text.partition("-")
    if not (dash and first.isascii() and first.isdigit() and last.isascii() and last.isdigit()
            and 1 <= int(first) <= int(last) <= _LAST_YEAR):
        raise argparse.ArgumentTypeError(f"expected FIRST-LAST, years from 1 to {_LAST_YEAR} "
                                         f"such as 1960-2014, got {text!r}")
    return range(int(first), int(last) + 1)


def _cmd_export(args: argparse.Namespace) -> int:
    from .interop import cow, jsonl, popolo

    _refuse_options(args, _EXPORT_OPTIONS)
    with _open(args) as registry:
        target: Any = sys.stdout if args.out == "-" else args.out
        if args.format == "jsonl":
            count = jsonl.export_events(registry, target, as_known_at=args.as_known_at)
            what = "events"
        elif args.format == "popolo":
            count = popolo.export_popolo(registry, target, on=args.on,
                                         as_known_at=args.as_known_at)
            what = "memberships"
        else:
            export = cow.export_state_year if args.format == "cow-state-year" \
                else cow.export_igo_year
            try:
                count = export(registry, target, rule=args.rule or "any", years=args.years)
            except FieldError as error:
                if error.field != "years" or args.years is not None:
                    raise
                raise MembershipError("this store holds no imported COW panel to take the "
                                      "years from: give them as --years FIRST-LAST, such as "
                                      "--years 1960-2014") from None
            what = "rows"
        if args.out != "-":
            sys.stderr.write(f"exported {count} {what} to {args.out}\n")
        if count == 0 and what == "rows":
            sys.stderr.write("a COW panel holds the states that name their COW code and the "
                             "blocs that name their COW IGO (identifiers 'cow' or 'cow_igo'), "
                             "in the years they were in the state system: none were found\n")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from .interop import cow, jsonl, popolo
    from .interop.progress import TerminalProgress

    if args.file != "-" and not Path(args.file).exists():
        raise MembershipError(f"no such file: {args.file!r}")
    _refuse_options(args, _IMPORT_OPTIONS)
    progress = TerminalProgress()
    # A refused import into a file it made leaves no file: an empty store left behind
    # would be taken for the history by the next command.
    was_there = args.db == ":memory:" or Path(args.db).exists()
    made: Path | None = None
    holds_events = False
    source = _source(args.file)
    try:
        with _open(args, create=True) as registry:
            if not was_there and isinstance(registry.store, SQLiteStore):
                made = registry.store.path
            before = registry.position
            try:
                if args.format == "jsonl":
                    jsonl.import_events(registry, source, progress=progress,
                                        recorded_at=args.recorded_at or "keep")
                elif args.format == "popolo":
                    popolo.import_popolo(registry, source, progress=progress)
                elif args.format == "cow-state-year":
                    cow.import_state_year(registry, source, states_file=args.states_file,
                                          progress=progress)
                else:
                    cow.import_igo_year(registry, source, states_file=args.states_file,
                                        progress=progress)
            finally:
                progress.close()
                holds_events = registry.position > 0
            origin = "standard input" if args.file == "-" else args.file
            sys.stderr.write(f"recorded {registry.position - before} new events from {origin}\n")
    except BaseException:
        if made is not None and not holds_events:
            _remove_store_file(made)
        raise
    return 0


def _source(file: str) -> str | IO[str] | IO[bytes]:
    """The file to import: its path, or for ``-`` standard input's bytes, which the importers
    read as the UTF-8 that every format is whatever the locale says, unpacked if gzip."""
    if file != "-":
        return file
    if sys.stdin is None:  # (a process started without one, as a service may be)
        raise MembershipError("there is no standard input to import from ('-')")
    # (a stream of text only, as an embedding program may give, is read as it is)
    return getattr(sys.stdin, "buffer", sys.stdin)


def _remove_store_file(path: Path) -> None:
    """Remove an SQLite store's file and SQLite's own files beside it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):  # (the import's own error is the one to report)
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def _cmd_chart(args: argparse.Namespace) -> int:
    with _open(args) as registry:
        try:
            registry.chart(args.subject, args.out, as_known_at=args.as_known_at)
        except ImportError as error:  # the plot extra is not installed: its error says so
            raise MembershipError(str(error)) from None
    sys.stderr.write(f"wrote {args.out}\n")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aes-membership",
        description="Who belonged to which bloc, and who led what, on any date.",
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, help_text: str, *, answers: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--db", default=DEFAULT_DB,
                         help=f"SQLite file or PostgreSQL connection string (default: {DEFAULT_DB})")
        sub.add_argument("--schema", default=None,
                         help="PostgreSQL only: the schema holding the store (default: public)")
        if answers:  # (a command that writes a file or tells a story has no JSON to give)
            sub.add_argument("--json", action="store_true", help="print JSON")
        return sub

    def dated(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--on", default=None,
                         help="the valid date, YYYY-MM-DD (default: today, UTC)")
        sub.add_argument("--as-known-at", default=None, type=_known_at,
                         help="an ISO instant, or a log position: answer with what was "
                              "recorded by then")

    demo = command("demo", "load the bundled West Africa history and tell its story", answers=False)
    demo.set_defaults(func=_cmd_demo)
    for name, argument, help_text, func in (
        ("members", "bloc", "the members of a bloc on a date", _cmd_members),
        ("blocs", "state", "the blocs a state belongs to on a date", _cmd_blocs),
        ("holder", "post", "who holds a post on a date", _cmd_holder),
    ):
        query = command(name, help_text)
        query.add_argument(argument)
        dated(query)
        query.set_defaults(func=func)
    history = command("history", "the events concerning a state, bloc, person or post")
    history.add_argument("id")
    history.add_argument("--as-known-at", default=None, type=_known_at)
    history.set_defaults(func=_cmd_history)
    verify = command("verify", "check the stored log's hash chain")
    verify.set_defaults(func=_cmd_verify)
    keep = command("checkpoint", "keep the replayed state in the store, so opening is fast")
    keep.set_defaults(func=_cmd_checkpoint)
    export = command("export", "write the history as JSON Lines, Popolo or a COW panel", answers=False)
    export.add_argument("--format", choices=FORMATS, default="jsonl",
                        help="jsonl (default: every event, lossless), popolo, cow-state-year, "
                             "cow-igo-year")
    export.add_argument("--out", default="-", help="file to write (default: standard output)")
    export.add_argument("--on", default=None,
                        help="popolo only: export the snapshot of this date, not the history")
    export.add_argument("--rule", default=None,
                        help="COW panels: code a year by membership on 'any' day (default) or "
                             "on a day of the year given as MM-DD")
    export.add_argument("--years", default=None, type=_years,
                        help="COW panels: the years to write, FIRST-LAST (default: those of "
                             "the imported panel)")
    export.add_argument("--as-known-at", default=None, type=_known_at,
                        help="jsonl and popolo: write what was recorded by then")
    export.set_defaults(func=_cmd_export)
    imported = command("import", "record a file's events, all or nothing", answers=False)
    imported.add_argument("file", help="the file to read, or - for standard input")
    imported.add_argument("--format", choices=FORMATS, default="jsonl",
                          help="jsonl (default), popolo, cow-state-year, cow-igo-year")
    imported.add_argument("--states-file", default=None,
                          help="COW panels: COW's state list (states2016.csv) for state names")
    imported.add_argument("--recorded-at", choices=("keep", "now"), default=None,
                          help="jsonl: keep the file's recording instants (default), or record "
                               "it all now, as the other formats are")
    imported.set_defaults(func=_cmd_import)
    chart = command("chart", "draw a bloc's members or a state's blocs over time (PNG or SVG)",
                    answers=False)
    chart.add_argument("subject", help="a bloc id (ECOWAS) or a state id (MLI)")
    chart.add_argument("--out", required=True, help="the picture to write: .png or .svg")
    chart.add_argument("--as-known-at", default=None, type=_known_at)
    chart.set_defaults(func=_cmd_chart)
    return parser


class _VersionAction(argparse.Action):
    """``--version``: the installed release, looked up only when asked for (a few
    milliseconds that every other command would pay)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **_: Any) -> None:
        super().__init__(option_strings, dest, nargs=0,
                         help="show the installed release and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        try:
            version = importlib.metadata.version("aes_membership")
        except importlib.metadata.PackageNotFoundError:  # (the source tree run in place)
            version = "(not installed)"
        sys.stdout.write(f"{parser.prog} {version}\n")
        parser.exit()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    _fit_stdout(args)
    try:
        status: int = args.func(args)
    except MembershipError as error:
        missing = isinstance(error, StoreError) and error.missing  # (every command has --db)
        sys.stderr.write(f"aes-membership: error: {_no_store(args) if missing else error}\n")
        return 2
    except BrokenPipeError:
        # The reader went away (`aes-membership demo | head`): stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as error:  # a file to read or write: missing, a folder, not allowed…
        where = f": {error.filename!r}" if error.filename is not None else ""
        sys.stderr.write(f"aes-membership: error: {error.strerror or error}{where}\n")
        return 2
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
