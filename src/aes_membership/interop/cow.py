"""Correlates of War IGO panels (version 3): state-year (format 3.0b) and IGO-year (3.0a).

Pevehouse, Jon C.W., Timothy Nordstrom, Roseanne W. McManus and Anne Spencer Jamison (2020).
"Tracking Organizations in the World: The Correlates of War IGO Version 3.0 datasets."
Journal of Peace Research 57(3): 492–503. doi:10.1177/0022343319881175.
State codes and abbreviations (``cow_states.csv``): Correlates of War Project (2017), "State
System Membership List, v2016"; the ISO 3166-1 alpha-3 column is this library's mapping.

Cell codes: 1 full member, 2 associate, 3 observer, 0 not a member, -9 missing, -1 "not
applicable" (state-year: the IGO did not exist that year; IGO-year: the state was not in the
state system). Importing turns each run of years with the same code into events at year
precision: a spell coded ``k`` over years a…b becomes a join on ``"a"`` with kind ``k`` and a
withdrawal on ``"b+1"``. Missing cells (-9) are never read as membership: a spell stops where
they begin. Exporting codes a year by a selectable rule (see :func:`export_state_year`).

States get ISO 3166-1 alpha-3 ids where one exists (``"MLI"``) and ``"COW-<abbrev>"`` where
none does (historical states such as ``"COW-GFR"``); every state keeps its COW code in
``identifiers["cow"]``. Blocs get the upper-cased COW abbreviation (``"ECOWAS"``) and keep it
in ``identifiers["cow"]``. A state-year import also records each state's years in the COW
state system as membership of the bloc ``"COW-SYSTEM"``, which tells the exporter which rows
the panel has.
"""

from __future__ import annotations

import csv
import io
import operator
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from importlib import resources
from itertools import compress
from typing import Any, TypeVar

import attrs
import pendulum

from .._collector import collector_paused
from ..dates import span
from ..errors import DecodeError, FieldError
from ..events import (
    BlocDissolved,
    BlocFounded,
    Event,
    KindChanged,
    StateJoined,
    StateRegistered,
    StateWithdrew,
    valid_id,
    valid_name,
)
from ..registry import Registry
from ..timeline import Entry, Timeline
from ._files import Source, reading, writing
from ._ids import derived_id
from .progress import Progress, check_progress

__all__ = [
    "SYSTEM_BLOC",
    "CowState",
    "cow_state",
    "cow_states",
    "export_igo_year",
    "export_state_year",
    "import_igo_year",
    "import_state_year",
]

SYSTEM_BLOC = "COW-SYSTEM"
SOURCE = "Correlates of War IGO v3.0 (Pevehouse et al. 2020)"
_KINDS = {1: "full", 2: "associate", 3: "observer"}
_CODES = {kind: code for code, kind in _KINDS.items()}
_VALID = {-9, -1, 0, 1, 2, 3}
_CELL_VALUE = {str(v): v for v in _VALID}
_CELL_TEXTS = frozenset(_CELL_VALUE)
# A panel's cells, a byte each: 0 for -1 (in a state-year panel, the IGO does not exist
# that year), so that the years an IGO exists are picked in C; the codes that are no
# membership are the bytes of _NOT_MEMBER_BYTES, which a state's cells are stripped of to
# see whether any is.
_BYTE_CODE = (-1, -9, 0, 1, 2, 3)
_CELL_BYTE = {str(code): byte for byte, code in enumerate(_BYTE_CODE)}
_NOT_MEMBER_BYTES = bytes(_CELL_BYTE[str(value)] for value in (-1, -9, 0))
_CODE_TEXT = {code: str(code) for code in _VALID}
_IGO_YEAR_LEAD = ("ioname", "orgname", "year")
_LAST_YEAR = 9998



@attrs.frozen
class CowState:
    """One state of the COW state system and the id the library gives it."""

    ccode: int
    abbrev: str
    column: str
    iso3: str | None

    @property
    def ident(self) -> str:
        return self.iso3 or f"COW-{self.abbrev}"


@cache
def cow_states() -> tuple[CowState, ...]:
    """Every COW state (ccode, abbreviation, IGO-file column, ISO alpha-3 where one exists)."""
    text = resources.files(__package__).joinpath("cow_states.csv").read_text(encoding="utf-8")
    return tuple(
        CowState(int(r["ccode"]), r["cow_abbrev"], r["igo_column"], r["iso3"] or None)
        for r in csv.DictReader(io.StringIO(text))
    )


@cache
def _by_ccode() -> dict[int, CowState]:
    return {s.ccode: s for s in cow_states()}


@cache
def _by_column() -> dict[str, CowState]:
    return {s.column: s for s in cow_states()}


def cow_state(ccode: int) -> CowState:
    """The state with COW code ``ccode``; ``LookupError`` naming it if COW has no such code."""
    try:
        return _by_ccode()[ccode]
    except KeyError:
        raise LookupError(f"no COW state has the code {ccode}") from None


# A whole number as COW's files write it: "1", "-9" or "1.0". Not float()'s wider grammar,
# which reads "1.5" (cut by int()), "1e3", "1_975", "inf" and other scripts' digits.
_WHOLE_RE = re.compile(r"\s*([+-]?[0-9]{1,18})(?:\.0*)?\s*", re.ASCII)


def _whole(text: str) -> int | None:
    """``text`` as a whole number, written "1" or "1.0" as COW's files have it; None for
    anything else."""
    found = _WHOLE_RE.fullmatch(text)
    return int(found.group(1)) if found else None


def _cell(text: str, line: int, column: str) -> int:
    value = _CELL_VALUE.get(text)
    if value is not None:  # almost every cell: "1", "0", "-9"…
        return value
    value = _whole(text) if text.strip() not in ("", ".") else -1
    if value is None or value not in _VALID:
        raise DecodeError(
            [f"column {column!r}: expected one of 1, 2, 3, 0, -9 or -1, got {text!r}"], line=line
        )
    return value


def _year(text: str, line: int) -> int:
    year = _int(text, line, "year")
    if not 1 <= year <= _LAST_YEAR:  # (a bloc that ends in its last year is dissolved the next)
        raise DecodeError([f"column 'year': expected a year from 1 to {_LAST_YEAR}, got {text!r}"],
                          line=line)
    return year


def _first_time(lines: dict[Any, int], key: Any, line: int, what: str) -> None:
    """Refuse a second row for ``key`` (``what`` names it), else note that ``line`` has it."""
    earlier = lines.setdefault(key, line)
    if earlier != line:
        raise DecodeError([f"{what} again (line {earlier} has it)"], line=line)


def _igo_name(name: str, seen: dict[str, str], line: int, where: str) -> None:
    """Refuse an IGO name that cannot be a bloc id, or that names a bloc of ``seen`` (by bloc
    id, as the names were) again; else add it there."""
    if not valid_id(name.upper()):
        raise DecodeError([f"{where} {name!r}: expected an IGO name without spaces"], line=line)
    if name.upper() in seen:
        raise DecodeError([f"{where} {name!r}: the IGO {seen[name.upper()]!r} again"], line=line)
    seen[name.upper()] = name


def _int(text: str, line: int, column: str) -> int:
    value = _whole(text)
    if value is None:
        raise DecodeError([f"column {column!r}: expected a whole number, got {text!r}"],
                          line=line)
    return value


# -- turning yearly codes into events -----------------------------------------------------


def _state_names(states_file: Source | None) -> dict[int, str]:
    """COW's state names from its state list (``states2016.csv``), when given."""
    if states_file is None:
        return {}
    with reading(states_file) as handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"ccode", "statenme"} <= set(reader.fieldnames):
            raise DecodeError(["states_file: expected COW's state list with columns "
                               "ccode and statenme"], line=1)
        return {int(row["ccode"]): row["statenme"].strip() for row in reader}


_E = TypeVar("_E", bound=Event)
# The namespace of the imported events' ids: fixed, so that a panel gives the same ids in
# every process and every version of the library.
_NAMESPACE = uuid.UUID("6f1c2f0e-5b7a-4c39-9d53-ae5000000002")


def _made(cls: type[_E], **fields: Any) -> _E:
    """``cls(**fields)`` under an id derived from its type and fields: importing a panel
    again records nothing new, and two panels that tell the same fact share its event."""
    return cls(id=derived_id(_NAMESPACE, cls, fields), **fields)


class _Builder:
    """Collects the events of one import, so they can be recorded as one batch."""

    def __init__(self, registry: Registry, names: dict[int, str]) -> None:
        self.events: list[Event] = []
        self.known_states = registry.ids("state")
        self.registered: set[str] = set()
        self.names = names

    def state(self, cow: CowState) -> str:
        ident = cow.ident
        if ident not in self.known_states and ident not in self.registered:
            self.registered.add(ident)
            self.events.append(_made(
                StateRegistered,
                state=ident, name=self.names.get(cow.ccode, cow.column), source=SOURCE,
                identifiers={"cow": str(cow.ccode), "cow_abbrev": cow.abbrev},
            ))
        return ident

    def bloc(self, bloc: str, name: str, cow_id: str, years: Iterable[int], last_year: int,
             dissolved: bool | None = None, ioname: str | None = None) -> tuple[int, int | None]:
        ordered = sorted(years)
        first, last = ordered[0], ordered[-1]
        identifiers = {"cow": cow_id} if ioname is None else {"cow": cow_id, "cow_ioname": ioname}
        if bloc == SYSTEM_BLOC:  # the panel's span, so that exports cover the same years
            identifiers["cow_panel_years"] = f"{first}-{last_year}"
        self.events.append(_made(BlocFounded, bloc=bloc, name=name, on=str(first),
                                 source=SOURCE, identifiers=identifiers))
        ends = last < last_year if dissolved is None else dissolved
        if ends:
            self.events.append(_made(BlocDissolved, bloc=bloc, on=str(last + 1), source=SOURCE))
            return first, last + 1
        return first, None

    def spells(self, state: str, bloc: str, codes: Sequence[tuple[int, int]],
               end_of_bloc: int | None, last_year: int) -> None:
        """Events for one state in one bloc from (year, code) pairs in year order."""
        kind: str | None = None
        previous: int | None = None
        for year, code in codes:
            if kind is not None and previous is not None and year != previous + 1:
                self._leave(state, bloc, previous + 1, end_of_bloc)  # a gap in the rows
                kind = None
            new = _KINDS.get(code)
            if new is not None and kind is None:
                self.events.append(_made(StateJoined, state=state, bloc=bloc, on=str(year),
                                         kind=new, source=SOURCE))
            elif new is not None and new != kind:
                self.events.append(_made(KindChanged, state=state, bloc=bloc, on=str(year),
                                         kind=new, source=SOURCE))
            elif new is None and kind is not None:
                self._leave(state, bloc, year, end_of_bloc)
            kind = new
            previous = year
        if kind is not None and previous is not None and previous < last_year:
            self._leave(state, bloc, previous + 1, end_of_bloc)

    def _leave(self, state: str, bloc: str, year: int, end_of_bloc: int | None) -> None:
        if end_of_bloc is not None and year >= end_of_bloc:
            return  # the bloc's dissolution ends the membership
        self.events.append(_made(StateWithdrew, state=state, bloc=bloc, on=str(year),
                                 source=SOURCE))


def _record(registry: Registry, events: list[Event], progress: Progress | None) -> int:
    if progress is not None:
        progress("recording", 0, len(events))
    before = registry.position
    registry.record(*events)
    recorded = registry.position - before
    if progress is not None:
        progress("recorded", len(events), len(events))
    return recorded


def import_state_year(registry: Registry, source: Source, *, states_file: Source | None = None,
                      progress: Progress | None = None) -> int:
    """Import a COW state-year panel (format 3.0b: ``ccode, year, state, <igo>…``).

    States already registered are reused; new ones are named from COW's state list
    ``states_file`` (``states2016.csv``) when given, else by their COW column name. All or
    nothing: a bad cell raises :class:`DecodeError` with its line and column, and
    nothing is recorded. Returns the number of events recorded.
    """
    check_progress(progress)
    with collector_paused():  # millions of cells, none of them in a cycle
        build = _read_state_year(registry, source, states_file, progress)
    return _record(registry, build.events, progress)


def _read_state_year(registry: Registry, source: Source, states_file: Source | None,
                     progress: Progress | None) -> _Builder:
    """The events of a state-year panel, built but not recorded."""
    keyed: list[tuple[int, int, bytes]] = []
    with reading(source) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [h.strip().lower() for h in header[:3]] != ["ccode", "year", "state"]:
            got = repr(header) if header is not None else "an empty file"
            raise DecodeError([f"expected a header starting ccode,year,state, got {got}"],
                              line=1)
        igos = [h.strip() for h in header[3:]]
        seen: dict[str, str] = {}
        for igo in igos:
            _igo_name(igo, seen, 1, "column")
        lines: dict[tuple[int, int], int] = {}  # (ccode, year) → its line
        cell_byte = _CELL_BYTE.__getitem__
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise DecodeError([f"expected {len(header)} cells, got {len(row)}"], line=line)
            ccode = _int(row[0], line, "ccode")
            if ccode not in _by_ccode():
                raise DecodeError([f"column 'ccode': no COW state has the code {ccode}"], line=line)
            year = _year(row[1], line)
            _first_time(lines, (ccode, year), line, f"state {ccode} in {year}")
            cells = row[3:]
            if not _CELL_TEXTS.issuperset(cells):  # rare: odd spellings such as "1.0", or errors
                cells = [str(_cell(v, line, igos[i])) for i, v in enumerate(cells)]
            keyed.append((ccode, year, bytes(map(cell_byte, cells))))
            if progress is not None and line % 1000 == 0:
                progress("reading", line, None)
    if not keyed:
        raise DecodeError(["the panel has no rows"], line=2)
    keyed.sort(key=lambda r: (r[0], r[1]))
    years = [year for _, year, _ in keyed]
    first_year, last_year = min(years), max(years)
    ranges: dict[int, tuple[int, int]] = {}
    for index, (ccode, _, _) in enumerate(keyed):
        begin, _ = ranges.get(ccode, (index, index))
        ranges[ccode] = (begin, index + 1)
    # The cells in one block, a row after another: a column is a slice with a step.
    table, width = b"".join(cells for _, _, cells in keyed), len(igos)

    build = _Builder(registry, _state_names(states_file))
    system_end = build.bloc(SYSTEM_BLOC, "Correlates of War state system", "state-system",
                            (first_year,), last_year, dissolved=False)[1]
    states = {ccode: build.state(_by_ccode()[ccode]) for ccode in sorted(ranges)}
    for ccode, (begin, stop) in sorted(ranges.items()):
        build.spells(states[ccode], SYSTEM_BLOC, [(y, 1) for y in years[begin:stop]],
                     system_end, last_year)
    for index, column in enumerate(igos):
        column_cells = table[index::width]
        existing = set(compress(years, column_cells))  # the years of its cells that are not -1
        if not existing:
            continue
        bloc = column.upper()
        _, end = build.bloc(bloc, bloc, column, existing, last_year)
        for ccode, (begin, stop) in ranges.items():
            chunk = column_cells[begin:stop]
            if chunk.translate(None, _NOT_MEMBER_BYTES):  # a member in some year
                build.spells(states[ccode], bloc,
                             [(y, _BYTE_CODE[c]) for y, c in zip(years[begin:stop], chunk,
                                                                 strict=True)],
                             end, last_year)
    return build


def import_igo_year(registry: Registry, source: Source, *, states_file: Source | None = None,
                    progress: Progress | None = None) -> int:
    """Import a COW IGO-year panel (format 3.0a: ``ioname, orgname, year, …, <state>…``).

    State columns are COW's lower-case state names (``mali``, ``burkinafaso``). All or nothing;
    returns the number of events recorded.
    """
    check_progress(progress)
    with collector_paused():  # millions of cells, none of them in a cycle
        build = _read_igo_year(registry, source, states_file, progress)
    return _record(registry, build.events, progress)


# A cell's byte → 1 if it says the state was in the state system that year, else 0: -1 says
# it was not, and -9 (missing) is written for states outside it too.
_IN_SYSTEM = bytes(int(code >= 0) for code in _BYTE_CODE).ljust(256, b"\0")


def _read_igo_year(registry: Registry, source: Source, states_file: Source | None,
                   progress: Progress | None) -> _Builder:
    with reading(source) as handle:
        reader = csv.reader(handle)
        first = next(reader, None)
        header: list[str] = [h.strip() for h in first or []]
        if header[:3] != list(_IGO_YEAR_LEAD):
            got = repr(header) if first is not None else "an empty file"
            raise DecodeError([f"expected a header starting ioname,orgname,year, got {got}"],
                              line=1)
        columns = {i: _by_column()[h] for i, h in enumerate(header) if h in _by_column()}
        if not columns:
            raise DecodeError(["the header names no COW state column (such as 'mali')"], line=1)
        # A row's state cells, a byte each (as in a state-year panel), picked out in C.
        places = list(columns)
        pick: Callable[[list[str]], Sequence[str]] = (
            operator.itemgetter(*places) if len(places) > 1 else lambda row: [row[places[0]]])
        cell_byte = _CELL_BYTE.__getitem__
        dead = header.index("dead") if "dead" in header else None
        igos: dict[str, dict[str, Any]] = {}
        seen: dict[str, str] = {}
        for line, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise DecodeError([f"expected {len(header)} cells, got {len(row)}"], line=line)
            name = row[0].strip()
            year = _year(row[2], line)
            igo = igos.get(name)
            if igo is None:  # (an IGO's first row: its name and orgname are checked once)
                _igo_name(name, seen, line, "ioname")
                orgname = row[1].strip()
                if orgname and not valid_name(orgname):
                    raise DecodeError([f"orgname {orgname!r}: expected a name without control "
                                       f"characters, such as tabs or line breaks"], line=line)
                igo = igos[name] = {"orgname": orgname, "years": {}, "dead": False, "lines": {}}
            _first_time(igo["lines"], year, line, f"IGO {name!r} in {year}")
            if dead is not None:
                igo["dead"] = igo["dead"] or row[dead].strip() in ("1", "1.0")
            cells = pick(row)
            if not _CELL_TEXTS.issuperset(cells):  # rare: odd spellings such as "1.0", or errors
                cells = [str(_cell(v, line, header[i])) for i, v in zip(places, cells, strict=True)]
            igo["years"][year] = bytes(map(cell_byte, cells))
            if progress is not None and line % 1000 == 0:
                progress("reading", line, None)
    if not igos:
        raise DecodeError(["the panel has no rows"], line=2)
    build = _Builder(registry, _state_names(states_file))
    place_of = {i: place for place, i in enumerate(places)}
    # For each year, which states were in the state system: the rows' bytes, as 0 or 1,
    # or-ed as one number.
    in_system: dict[int, int] = {}
    for igo in igos.values():
        for year, cells in igo["years"].items():
            in_system[year] = in_system.get(year, 0) | int.from_bytes(cells.translate(_IN_SYSTEM))
    system_years = [(year, in_system[year].to_bytes(len(places))) for year in sorted(in_system)]
    first_year, last_year = system_years[0][0], system_years[-1][0]
    states = {i: build.state(cow) for i, cow in sorted(columns.items(), key=lambda c: c[1].ccode)}
    system_end = build.bloc(SYSTEM_BLOC, "Correlates of War state system", "state-system",
                            (first_year,), last_year, dissolved=False)[1]
    for i, state in states.items():
        place = place_of[i]
        build.spells(state, SYSTEM_BLOC, [(y, 1) for y, present in system_years if present[place]],
                     system_end, last_year)
    for name, igo in igos.items():
        years = sorted(igo["years"])
        _, end = build.bloc(name.upper(), igo["orgname"] or name, name.lower(), years, last_year,
                            dissolved=igo["dead"] or None, ioname=name)
        by_state = list(zip(*(igo["years"][y] for y in years), strict=True))  # columns, in C
        for i, state in states.items():
            column = bytes(by_state[place_of[i]])
            if column.translate(None, _NOT_MEMBER_BYTES):  # a member in some year
                build.spells(state, name.upper(),
                             [(y, _BYTE_CODE[c]) for y, c in zip(years, column, strict=True)],
                             end, last_year)
    return build


# -- exporting ----------------------------------------------------------------------------


def _year_rule(rule: str) -> tuple[int, int] | None:
    """``"any"`` → None; ``"MM-DD"`` → (month, day)."""
    if rule == "any":
        return None
    try:
        month, day = (int(part) for part in rule.split("-"))
        pendulum.date(2000, month, day)  # a leap year, so 02-29 is allowed
    except (AttributeError, TypeError, ValueError):  # (the first two: not text)
        raise FieldError("rule", rule,
                         "'any' or a day of the year as 'MM-DD' (such as '12-31')") from None
    return month, day


def _day_in(year: int, month_day: tuple[int, int]) -> int:
    month, day = month_day
    if (month, day) == (2, 29) and not pendulum.Date(year, 1, 1).is_leap_year():
        day = 28
    return pendulum.Date(year, month, day).toordinal()


@attrs.frozen
class _Line:
    """One state's certain membership days in one bloc, and its kinds."""

    spells: tuple[tuple[int, int], ...]  # [first certain day, first day surely not) pairs
    kinds: tuple[tuple[int, str], ...]  # (last day it may have begun, kind), in order


_FAR = pendulum.Date(9999, 12, 31).toordinal() + 1


def _line(timeline: Timeline, state: str, bloc: str) -> _Line | None:
    line = timeline.memberships.get((state, bloc))
    if line is None:
        return None
    spells = []
    kinds: list[tuple[int, str]] = []
    for spell in timeline.spells_of(line, bloc):
        start_hi = span(spell.start)[1]
        end_lo = span(spell.end)[0] if spell.end is not None else _FAR
        if start_hi < end_lo:
            spells.append((start_hi, end_lo))
    for entry in line.entries:
        event = timeline.event_of(entry)
        kind = getattr(event, "kind", None)
        if isinstance(event, (StateJoined, KindChanged)) and kind is not None:
            kinds.append((entry[1], kind))
    return _Line(tuple(spells), tuple(kinds))


# A year's first and last days (ordinals), and the day a rule reads (None: any day).
_YearDays = tuple[int, int, int | None]


def _year_days(years: Iterable[int], month_day: tuple[int, int] | None) -> dict[int, _YearDays]:
    """Each year's days, made once: a panel asks for them millions of times."""
    return {year: (pendulum.Date(year, 1, 1).toordinal(), pendulum.Date(year, 12, 31).toordinal(),
                   None if month_day is None else _day_in(year, month_day)) for year in years}


def _rule_days(years: range, month_day: tuple[int, int] | None
               ) -> tuple[dict[int, _YearDays], dict[int, _YearDays]]:
    """Each year's days for the rule, and for "any" (which a bloc's existence and the state
    system's rows always follow)."""
    days = _year_days(years, month_day)
    return days, days if month_day is None else _year_days(years, None)


def _code(line: _Line | None, days: _YearDays) -> int:
    if line is None:
        return 0
    first_day, last_day, rule_day = days
    for start, end in line.spells:
        if rule_day is None:
            lo, hi = max(start, first_day), min(end - 1, last_day)
            if lo > hi:
                continue
            day = hi  # the kind on the last certain day of the year
        else:
            day = rule_day
            if not start <= day < end:
                continue
        kind = "full"
        for begun, each in line.kinds:
            if begun <= day:
                kind = each
        return _CODES[kind]
    return 0


def _existed(lifetime: tuple[Entry | None, Entry | None], days: _YearDays) -> bool:
    """Whether a bloc of that lifetime existed on some day of the year."""
    created, ended = lifetime
    if created is None:
        return False
    first_day, last_day, _ = days
    return created[0] <= last_day and (ended is None or ended[0] > first_day)


def _ioname(timeline: Timeline, bloc: str, column: str) -> str:
    created, _ = timeline.lifetime("bloc", bloc)
    identifiers = getattr(timeline.event_of(created), "identifiers", {}) if created else {}
    return str(identifiers.get("cow_ioname") or column.upper())


def _cow_blocs(timeline: Timeline) -> list[tuple[str, str]]:
    """(column, bloc id) of every bloc with a COW identifier, by column."""
    found = []
    for bloc in timeline.ids.get("bloc") or ():
        created, _ = timeline.lifetime("bloc", bloc)
        if created is None or bloc == SYSTEM_BLOC:
            continue
        identifiers = getattr(timeline.event_of(created), "identifiers", {})
        # An import records the column as "cow"; a history recorded by hand (the bundled one)
        # may name COW's abbreviation as "cow_igo", whose lower case is the column.
        column = identifiers.get("cow") or str(identifiers.get("cow_igo") or "").lower()
        if column:
            found.append((column, bloc))
    return sorted(found)


def _cow_states(timeline: Timeline) -> list[tuple[CowState, str]]:
    found = []
    for state in timeline.ids.get("state") or ():
        created, _ = timeline.lifetime("state", state)
        code = (getattr(timeline.event_of(created), "identifiers", {}).get("cow")
                if created else None)
        if code and code.isdigit() and int(code) in _by_ccode():
            found.append((_by_ccode()[int(code)], state))
    return sorted(found, key=lambda pair: pair[0].ccode)


def _system_years(timeline: Timeline, state: str, years: range,
                  days: dict[int, _YearDays]) -> list[int]:
    """The years in which ``state`` was in the state system on any day: all of ``years`` if
    the registry does not say (no panel was imported into it)."""
    if not timeline.exists("bloc", SYSTEM_BLOC):
        return list(years)
    line = _line(timeline, state, SYSTEM_BLOC)
    if line is None:
        return []
    return [y for y in years if _code(line, days[y]) != 0]


def _year_range(timeline: Timeline, years: range | None) -> range:
    if years is not None:
        # (an empty range, range(2015, 1816) say, would write a panel of no rows)
        if not isinstance(years, range) or not years or not (
                min(years) >= 1 and max(years) <= _LAST_YEAR):
            raise FieldError("years", years, f"a range of years from 1 to {_LAST_YEAR}, not "
                             "empty, such as range(1816, 2015)")
        return years
    created, _ = timeline.lifetime("bloc", SYSTEM_BLOC)
    panel = (getattr(timeline.event_of(created), "identifiers", {}).get("cow_panel_years")
             if created else None)
    if not panel:
        raise FieldError("years", None, "a range of years, such as range(1816, 2015), since "
                         "this registry holds no imported COW panel to take them from")
    first, last = (int(part) for part in panel.split("-"))
    return range(first, last + 1)


def export_state_year(registry: Registry, target: Source, *, rule: str = "any",
                      years: range | None = None) -> int:
    """Write the registry as a COW state-year panel (format 3.0b); returns the row count.

    Rows are the states with a COW code (``identifiers["cow"]``), in the years each spent in
    the COW state system (membership of ``"COW-SYSTEM"``, on any day of the year; every year
    where no panel was imported to say so), columns the blocs with a COW identifier
    (``"cow"``, the column, or ``"cow_igo"``, COW's abbreviation), by name. ``rule`` decides
    how a year is coded: ``"any"`` (the default) codes a state a member if it was certainly a
    member on at least one day of the year, with its kind on the last such day; ``"MM-DD"``
    (such as ``"12-31"``) codes the membership on that day of each year. Years in which the
    bloc did not exist are -1. ``years`` chooses the rows (default: the imported panel's).
    """
    month_day = _year_rule(rule)
    timeline = registry._view(None)[0]
    span_years = _year_range(timeline, years)
    blocs = _cow_blocs(timeline)
    days, any_day = _rule_days(span_years, month_day)
    # Each year's row before any state's lines: -1 where the bloc did not exist, else 0 (as
    # text, which the writer need not make from a number 8 million times).
    lifetimes = [timeline.lifetime("bloc", bloc) for _, bloc in blocs]
    empty = {year: ["0" if _existed(lifetime, any_day[year]) else "-1" for lifetime in lifetimes]
             for year in span_years}
    count = 0
    with writing(target) as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["ccode", "year", "state", *(column for column, _ in blocs)])
        for cow, state in _cow_states(timeline):
            # A state has lines with few of the blocs: only those cells need working out.
            lined = [(index, line) for index, (_, bloc) in enumerate(blocs)
                     if (line := _line(timeline, state, bloc)) is not None]
            for year in _system_years(timeline, state, span_years, any_day):  # rows: any day
                row = empty[year].copy()
                for index, line in lined:
                    if row[index] == "0":  # (-1: the bloc did not exist that year)
                        row[index] = _CODE_TEXT[_code(line, days[year])]
                writer.writerow([cow.ccode, year, cow.column, *row])
                count += 1
    return count


def export_igo_year(registry: Registry, target: Source, *, rule: str = "any",
                    years: range | None = None) -> int:
    """Write the registry as a COW IGO-year panel (format 3.0a); returns the row count.

    One row per bloc with a COW identifier and year of its existence; one column per COW state
    (-1 where the state was not in the state system that year). ``rule`` as for
    :func:`export_state_year`.
    """
    month_day = _year_rule(rule)
    timeline = registry._view(None)[0]
    span_years = _year_range(timeline, years)
    days, any_day = _rule_days(span_years, month_day)
    known = dict((cow.ccode, state) for cow, state in _cow_states(timeline))
    columns = sorted(cow_states(), key=lambda c: c.column)
    in_system = {cow.ccode: set(_system_years(timeline, known[cow.ccode], span_years, any_day))
                 for cow in columns if cow.ccode in known}
    count = 0
    with writing(target) as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*_IGO_YEAR_LEAD, *(c.column for c in columns)])
        for column, bloc in _cow_blocs(timeline):
            name = timeline.name_on("bloc", bloc, 0) or bloc
            ioname = _ioname(timeline, bloc, column)
            lines = {c.ccode: _line(timeline, known[c.ccode], bloc) for c in columns
                     if c.ccode in known}
            lifetime = timeline.lifetime("bloc", bloc)
            for year in span_years:
                if not _existed(lifetime, any_day[year]):
                    continue
                writer.writerow([ioname, name, year, *(
                    _code(lines[c.ccode], days[year]) if year in in_system.get(c.ccode, ())
                    else -1
                    for c in columns
                )])
                count += 1
    return count
