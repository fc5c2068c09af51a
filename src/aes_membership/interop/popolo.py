"""Popolo JSON (popoloproject.com): export a history or one snapshot, import memberships.

The container is Popolo's ``{"persons", "organizations", "memberships", "posts"}``. States and
blocs are organisations (``classification`` ``"state"`` or ``"bloc"``); a state's membership of
a bloc is a Membership whose ``member`` is an Organization; a post holder is a person with a
Membership on the post. Popolo's ``end_date`` is the *last day* of a membership, so a
half-open end ``E`` is written as the day before ``E`` (partial dates keep their precision:
an end in ``"2025"`` stays ``"2025"``). Kinds are the membership's ``role`` (``"member"``,
``"associate member"``, ``"observer"``). Popolo has no suspension, no uncertainty qualifier and
no recording time: those stay in the JSON Lines export.
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from collections import defaultdict
from typing import Any, Final, TypeVar

from ..dates import PartialDate, When, parse_day, parse_when, span
from ..errors import DateError, DecodeError, FieldError, InvariantError
from ..events import (
    BlocDissolved,
    BlocFounded,
    Event,
    HolderAppointed,
    HolderLeft,
    KindChanged,
    PersonRegistered,
    PostCreated,
    StateJoined,
    StateRegistered,
    StateWithdrew,
)
from ..registry import KnownAt, Registry
from ..timeline import SUBJECT_KINDS
from ._files import Source, parse_json, reading, writing
from ._ids import derived_id
from ._tables import date_text, last_day_text, membership_segments, tenure_rows
from .progress import Progress, check_progress

__all__ = ["export_popolo", "import_popolo", "to_popolo"]

_E = TypeVar("_E", bound=Event)

_ROLES = {"full": "member", "associate": "associate member", "observer": "observer"}
_KINDS = {role: kind for kind, role in _ROLES.items()}
_NAMESPACE = uuid.UUID("6f1c2f0e-5b7a-4c39-9d53-ae5000000001")
_LATEST = _dt.date.max.toordinal()  # "the name in force at the end", for whole-history exports


def _on(event: Event) -> When:
    when = event.effective
    if when is None:  # only registrations lack a date, and they never end anything
        raise ValueError(f"{event.TYPE} has no effective date")
    return when


def _identifiers(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"scheme": scheme, "identifier": value} for scheme, value in sorted(values.items())]


def _sources(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    if text.startswith(("http://", "https://")):
        return {"sources": [{"url": text}]}
    return {"source_note": text}  # Popolo links need a URL; other sources keep their text


def to_popolo(registry: Registry, *, on: _dt.date | str | None = None,
              as_known_at: KnownAt = None) -> dict[str, list[dict[str, Any]]]:
    """The registry as a Popolo container: the whole history, or what held ``on`` a date.

    With ``on``, only memberships and tenures in force that day are listed (with their own
    start and end dates), and only the states, blocs, persons and posts they involve.
    """
    timeline = registry._view(as_known_at)[0]
    day = parse_day(on, field="on").toordinal() if on is not None else None

    def current(start: When, end: When | None) -> bool:
        return day is None or (span(start)[1] <= day and (end is None or day < span(end)[0]))

    def created(kind: str, ident: str) -> Any:
        entry = timeline.lifetime(kind, ident)[0]
        return timeline.event_of(entry) if entry else None

    memberships: list[dict[str, Any]] = []
    used: dict[str, set[str]] = defaultdict(set)
    merged: list[list[Any]] = []  # segments merged across suspensions: Popolo has none
    for seg in membership_segments(registry, as_known_at=as_known_at):
        last = merged[-1] if merged else None
        if last and (last[0], last[1], last[2]) == (seg.state, seg.bloc, seg.kind) \
                and last[4] == seg.start:
            last[4] = seg.end
        else:
            merged.append([seg.state, seg.bloc, seg.kind, seg.start, seg.end])
    for state, bloc, kind, start, end in merged:
        if not current(start, end):
            continue
        used["state"].add(state)
        used["bloc"].add(bloc)
        item: dict[str, Any] = {
            "id": f"{state}@{bloc}/{date_text(start)}",
            "member": {"@type": "Organization", "id": state},
            "organization_id": bloc,
            "role": _ROLES[kind],
            "start_date": date_text(start),
        }
        if end is not None:
            item["end_date"] = last_day_text(end)
        memberships.append(item)
    for row in tenure_rows(registry, as_known_at=as_known_at):
        if not current(row.start, row.end):
            continue
        used["person"].add(row.person)
        used["post"].add(row.post)
        item = {
            "id": f"{row.person}@{row.post}/{date_text(row.start)}",
            "person_id": row.person,
            "post_id": row.post,
            "role": timeline.name_on("post", row.post, span(row.start)[0]) or row.post,
            "start_date": date_text(row.start),
        }
        if row.owner is not None:
            item["organization_id"] = row.owner
            kind_of_owner = "bloc" if timeline.exists("bloc", row.owner) else "state"
            used[kind_of_owner].add(row.owner)
        if row.end is not None:
            item["end_date"] = last_day_text(row.end)
        memberships.append(item)

    def wanted(kind: str) -> list[str]:
        everything = registry.ids(kind, as_known_at=as_known_at)
        return sorted(everything if day is None else everything & used[kind])

    organizations = []
    for kind in ("state", "bloc"):
        for ident in wanted(kind):
            event = created(kind, ident)
            org: dict[str, Any] = {
                "id": ident,
                "name": timeline.name_on(kind, ident, day if day is not None else _LATEST) or ident,
                "classification": kind,
                "identifiers": _identifiers(getattr(event, "identifiers", {}) or {}),
                **_sources(getattr(event, "source", None)),
            }
            if kind == "bloc" and event is not None:
                org["founding_date"] = date_text(event.on)
                ended = timeline.lifetime("bloc", ident)[1]
                if ended is not None:
                    org["dissolution_date"] = last_day_text(_on(timeline.event_of(ended)))
            organizations.append(org)
    persons = []
    for ident in wanted("person"):
        event = created("person", ident)
        persons.append({
            "id": ident,
            "name": timeline.name_on("person", ident, day if day is not None else _LATEST) or ident,
            "identifiers": _identifiers(getattr(event, "identifiers", {}) or {}),
        })
    posts = []
    for ident in wanted("post"):
        event = created("post", ident)
        post: dict[str, Any] = {"id": ident, "label": getattr(event, "title", ident)}
        owner = getattr(event, "bloc", None) or getattr(event, "state", None)
        if owner:
            post["organization_id"] = owner
        if event is not None:
            post["start_date"] = date_text(event.on)
        ended = timeline.lifetime("post", ident)[1]
        if ended is not None:
            post["end_date"] = last_day_text(_on(timeline.event_of(ended)))
        posts.append(post)
    return {"persons": persons, "organizations": organizations, "memberships": memberships,
            "posts": posts}


def export_popolo(registry: Registry, target: Source, *, on: _dt.date | str | None = None,
                  as_known_at: KnownAt = None) -> int:
    """Write :func:`to_popolo` as JSON to a path or open file; returns the membership count."""
    data = to_popolo(registry, on=on, as_known_at=as_known_at)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    with writing(target) as out:
        out.write(text)
    return len(data["memberships"])


# -- import ---------------------------------------------------------------------------------


def _date(value: Any, where: str, field: str) -> When:
    try:
        return parse_when(value, field=field)
    except DateError as error:
        raise DecodeError([f"{where}.{field}: {error}"]) from None


def _day_after(last: When) -> When:
    """The half-open end for a Popolo ``end_date`` (inclusive last day)."""
    if isinstance(last, PartialDate) and last.precision != "day":
        return last
    day = last.first if isinstance(last, PartialDate) else last
    return parse_when((day + _dt.timedelta(days=1)).isoformat())


def _made(where: str, cls: type[_E], **fields: Any) -> _E:
    """``cls(**fields)`` under an id derived from its content (importing the file again, or
    a file that has grown, records each fact once); a value the event does not accept is
    reported at ``where``."""
    try:
        return cls(id=derived_id(_NAMESPACE, cls, fields), **fields)
    except FieldError as error:
        raise DecodeError([f"{where}: {error}"]) from None


def _text_or_none(value: Any, where: str) -> str | None:
    """An id or a reference to one, which Popolo's schemas make a string or null."""
    if value is not None and not isinstance(value, str):
        raise DecodeError([f"{where}: expected an id (text) or null, got {value!r}"])
    return value


def _by_id(data: dict[str, Any], key: str) -> dict[str, dict[str, Any]]:
    """The container's ``key`` list, by id (an item without one cannot be referred to)."""
    items = data.get(key) or []
    if not isinstance(items, list):
        raise DecodeError([f"$.{key}: expected a list, got {type(items).__name__}"])
    found: dict[str, dict[str, Any]] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise DecodeError([f"$.{key}[{index}]: expected an object, got {item!r}"])
        ident = _text_or_none(item.get("id"), f"$.{key}[{index}].id")
        if ident is not None:
            found[ident] = item
    return found


# The lists a Popolo container (popoloproject.com's export format) may hold.
_POPOLO_COLLECTIONS: Final = frozenset({"areas", "events", "memberships", "motions",
                                        "organizations", "persons", "posts", "speeches",
                                        "vote_events"})


def import_popolo(registry: Registry, source: Source | dict[str, Any], *,
                  source_note: str | None = None, progress: Progress | None = None) -> int:
    """Record the memberships of a Popolo container as events; returns how many were new.

    Organisations that are members of others become states, the others blocs (a bloc's
    ``founding_date`` is required); person memberships with a ``post_id`` become posts and
    tenures. All or nothing: a bad item raises :class:`DecodeError` naming it.
    """
    check_progress(progress)
    if isinstance(source, dict):
        data = source
    else:
        with reading(source) as handle:
            data = parse_json(handle.read())
    if not isinstance(data, dict) or not isinstance(data.get("memberships", []), list):
        raise DecodeError(["expected a Popolo container with a 'memberships' list"])
    if _POPOLO_COLLECTIONS.isdisjoint(data):
        # (an event of a JSON Lines file, say, which would otherwise import as nothing)
        keys = sorted(repr(key) for key in data)
        got = (f"an object whose keys are {', '.join(keys[:8])}{', …' if keys[8:] else ''}"
               if keys else "an empty object")
        raise DecodeError([f"expected a Popolo container, with one or more of "
                           f"{', '.join(sorted(_POPOLO_COLLECTIONS))}; got {got}"])
    organizations = _by_id(data, "organizations")
    persons = _by_id(data, "persons")
    posts = _by_id(data, "posts")
    for post_id, post_item in posts.items():
        _text_or_none(post_item.get("organization_id"), f"$.posts[id={post_id}].organization_id")
    note = source_note or "Popolo import"
    # What each event was made from, to tell a fact imported before under another note.
    derived: dict[uuid.UUID, dict[str, Any]] = {}

    def made(where: str, cls: type[_E], **fields: Any) -> _E:
        event = _made(where, cls, **fields)
        derived[event.id] = fields
        return event

    state_spells: dict[tuple[str, str], list[tuple[When, When | None, str, int]]] = defaultdict(list)
    tenures: list[tuple[str, str, When, When | None, int]] = []
    for index, item in enumerate(data.get("memberships", [])):
        where = f"$.memberships[{index}]"
        if not isinstance(item, dict):
            raise DecodeError([f"{where}: expected an object"])
        if "start_date" not in item:
            raise DecodeError([f"{where}.start_date: required (the membership's first day)"])
        start = _date(item["start_date"], where, "start_date")
        end = _date(item["end_date"], where, "end_date") if item.get("end_date") else None
        if end is not None and span(end)[1] < span(start)[0]:
            raise DecodeError([f"{where}.end_date: {end} is before the start_date, {start}"])
        member = item.get("member") or {}
        if isinstance(member, dict) and member.get("@type") == "Organization":
            bloc = _text_or_none(item.get("organization_id"), f"{where}.organization_id")
            if bloc not in organizations:
                raise DecodeError([f"{where}.organization_id: unknown organization {bloc!r}"])
            state = _text_or_none(member.get("id"), f"{where}.member.id")
            if state not in organizations:
                raise DecodeError([f"{where}.member.id: unknown organization {state!r}"])
            role = item.get("role") or "member"
            if not isinstance(role, str) or role not in _KINDS:
                raise DecodeError([f"{where}.role: expected one of {sorted(_KINDS)}, got {role!r}"])
            state_spells[(state, bloc)].append(
                (start, _day_after(end) if end else None, _KINDS[role], index))
        elif (_text_or_none(item.get("person_id"), f"{where}.person_id")
              and _text_or_none(item.get("post_id"), f"{where}.post_id")):
            if item["person_id"] not in persons:
                raise DecodeError([f"{where}.person_id: unknown person {item['person_id']!r}"])
            if item["post_id"] not in posts:
                raise DecodeError([f"{where}.post_id: unknown post {item['post_id']!r}"])
            tenures.append((item["post_id"], item["person_id"], start,
                            _day_after(end) if end else None, index))
        else:
            raise DecodeError([f"{where}: expected an Organization member, or a person_id "
                               f"with a post_id"])

    events: list[Event] = []
    known = {kind: registry.ids(kind) for kind in SUBJECT_KINDS}
    states = {s for s, _ in state_spells}
    blocs = {b for _, b in state_spells} | {
        p.get("organization_id") for p in posts.values() if p.get("organization_id") in
        organizations and p.get("organization_id") not in states}

    def identifiers(item: dict[str, Any], where: str) -> dict[str, str]:
        given = item.get("identifiers") or []
        if not isinstance(given, list):
            raise DecodeError([f"{where}.identifiers: expected a list, got {type(given).__name__}"])
        return {str(i.get("scheme") or "id"): str(i["identifier"])
                for i in given if isinstance(i, dict) and "identifier" in i}

    for state in sorted(states - known["state"]):
        org = organizations[state]
        where = f"$.organizations[id={state}]"
        events.append(made(where, StateRegistered, state=state, name=org.get("name") or state,
                           identifiers=identifiers(org, where), source=note))
    ends: dict[str, When | None] = {}  # each bloc's half-open end, from its inclusive date
    for bloc in sorted(b for b in blocs if b is not None):
        last = organizations[bloc].get("dissolution_date")
        ends[bloc] = _day_after(_date(last, f"$.organizations[id={bloc}]", "dissolution_date")) \
            if last else None
    for bloc in sorted(b for b in blocs - known["bloc"] if b is not None):
        org = organizations[bloc]
        where = f"$.organizations[id={bloc}]"
        if not org.get("founding_date"):
            raise DecodeError([f"{where}.founding_date: required for a bloc"])
        events.append(made(where, BlocFounded, bloc=bloc,
                           name=org.get("name") or bloc, identifiers=identifiers(org, where),
                           on=_date(org["founding_date"], where, "founding_date"),
                           source=note))
        end = ends[bloc]
        if end is not None:
            events.append(made(where, BlocDissolved, bloc=bloc, source=note, on=end))
    for (state, bloc), spells in sorted(state_spells.items()):
        spells.sort(key=lambda s: span(s[0]))
        dissolved = ends[bloc]
        for number, (start, end, kind, index) in enumerate(spells):
            where = f"$.memberships[{index}]"
            previous = spells[number - 1] if number else None
            following = spells[number + 1] if number + 1 < len(spells) else None
            if previous is not None and previous[1] is not None \
                    and span(previous[1]) == span(start):  # the same membership, another kind
                events.append(made(where, KindChanged, state=state, bloc=bloc, kind=kind,
                                   on=start, source=note))
            else:
                events.append(made(where, StateJoined, state=state, bloc=bloc, kind=kind,
                                   on=start, source=note))
            continued = following is not None and end is not None \
                and span(following[0]) == span(end)
            ended_by_dissolution = dissolved is not None and end is not None \
                and span(end) == span(dissolved)
            if end is not None and not continued and not ended_by_dissolution:
                events.append(made(where, StateWithdrew, state=state, bloc=bloc, on=end,
                                   source=note))
    for person in sorted({t[1] for t in tenures} - known["person"]):
        item = persons[person]
        where = f"$.persons[id={person}]"
        events.append(made(where, PersonRegistered, person=person,
                           name=item.get("name") or person,
                           identifiers=identifiers(item, where), source=note))
    for post in sorted({t[0] for t in tenures} - known["post"]):
        item = posts[post]
        owner = item.get("organization_id")
        first = min((t[2] for t in tenures if t[0] == post), key=lambda w: span(w))
        on = _date(item["start_date"], f"$.posts[id={post}]", "start_date") \
            if item.get("start_date") else first
        owner_field = {"state": owner} if owner in states else {"bloc": owner}
        events.append(made(f"$.posts[id={post}]", PostCreated, post=post,
                           title=item.get("label") or post, on=on, source=note,
                           **owner_field))
    for post, person, start, end, index in tenures:
        where = f"$.memberships[{index}]"
        events.append(made(where, HolderAppointed, post=post, person=person, on=start,
                           source=note))
        if end is not None:
            events.append(made(where, HolderLeft, post=post, person=person, on=end,
                               source=note))
    if progress is not None:
        progress("recording", 0, len(events))
    before = registry.position
    try:
        registry.record(*events)
    except InvariantError as error:
        raise _imported_before(error, derived) from error
    if progress is not None:
        progress("recorded", len(events), len(events))
    return registry.position - before


def _imported_before(error: InvariantError,
                     derived: dict[uuid.UUID, dict[str, Any]]) -> InvariantError:
    """``error``, told as a fact imported before under another ``source_note`` where it is
    one: the ids of imported events are derived from all they say, their source included, so
    such a fact reads as a second, conflicting one. (Only where the recorded event is the one
    this import makes with that note: the same fact recorded otherwise gets no such advice.)"""
    event, conflicting = error.event, error.conflicting
    fields = derived.get(getattr(event, "id", None))  # type: ignore[arg-type]
    if (fields is None or conflicting is None or type(event) is not type(conflicting)
            or event.source == conflicting.source
            or derived_id(_NAMESPACE, type(event), {**fields, "source": conflicting.source})
            != conflicting.id):
        return error
    return InvariantError(
        f"{error.reason}; it is the same fact, recorded before with source "
        f"{conflicting.source!r}: import the file with source_note={conflicting.source!r} to "
        f"record only its new facts", event=event, conflicting=conflicting)
