"""The peer: the same job done the idiomatic way with the ``eventsourcing`` library (9.x).

One aggregate per bloc (plus one for the registrations), events carrying their effective date
as ISO text; a batched append to SQLite (one ``save`` of every aggregate, one transaction);
"read + replay" by getting every aggregate from its repository; questions answered from the
replayed aggregates; "all memberships on a date" by a fold over every stored event.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from aes_membership import (
    BlocDissolved,
    BlocFounded,
    Event,
    HolderAppointed,
    KindChanged,
    PersonRegistered,
    PostCreated,
    StateJoined,
    StateRegistered,
    StateReinstated,
    StateSuspended,
    StateWithdrew,
)

__all__ = ["PeerApp", "peer_env"]

_NAMESPACE = uuid.UUID("0b5e3a52-3d0c-4a55-9d43-5a6e1c0f7b21")


class Directory(Aggregate):
    """Who exists: states and persons."""

    @staticmethod
    def create_id() -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, "directory")

    @event("Created")
    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    @event("Registered")
    def register(self, ident: str, name: str) -> None:
        if ident in self.names:
            raise ValueError(f"{ident} is already registered")
        self.names[ident] = name


class Bloc(Aggregate):
    """One bloc: its members' spells and its posts' holders."""

    @staticmethod
    def create_id(code: str, founded: str) -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, code)

    @event("Founded")
    def __init__(self, code: str, founded: str) -> None:
        self.code = code
        self.founded = founded
        self.spells: dict[str, list[list[Any]]] = {}  # state -> [[start, end, [suspensions]]]
        self.holders: dict[str, list[tuple[str, str]]] = {}

    def _open(self, state: str) -> list[Any] | None:
        spells = self.spells.get(state)
        return spells[-1] if spells and spells[-1][1] is None else None

    @event("Joined")
    def join(self, state: str, on: str, kind: str) -> None:
        if self._open(state) is not None:
            raise ValueError(f"{state} is already a member of {self.code}")
        if on < self.founded:
            raise ValueError(f"{self.code} did not exist on {on}")
        self.spells.setdefault(state, []).append([on, None, []])

    @event("Withdrew")
    def withdraw(self, state: str, on: str) -> None:
        spell = self._open(state)
        if spell is None or on <= spell[0]:
            raise ValueError(f"{state} is not a member of {self.code} on {on}")
        spell[1] = on

    @event("Suspended")
    def suspend(self, state: str, on: str) -> None:
        spell = self._open(state)
        if spell is None:
            raise ValueError(f"{state} is not a member of {self.code}")
        spell[2].append([on, None])

    @event("Reinstated")
    def reinstate(self, state: str, on: str) -> None:
        spell = self._open(state)
        if spell is None or not spell[2] or spell[2][-1][1] is not None:
            raise ValueError(f"{state} is not suspended from {self.code}")
        spell[2][-1][1] = on

    @event("KindChanged")
    def change_kind(self, state: str, on: str, kind: str) -> None:
        if self._open(state) is None:
            raise ValueError(f"{state} is not a member of {self.code}")

    @event("Dissolved")
    def dissolve(self, on: str) -> None:
        for spells in self.spells.values():
            if spells[-1][1] is None:
                spells[-1][1] = on

    @event("PostCreated")
    def create_post(self, post: str, on: str) -> None:
        self.holders[post] = []

    @event("Appointed")
    def appoint(self, post: str, person: str, on: str) -> None:
        if post not in self.holders:
            raise ValueError(f"no post {post}")
        self.holders[post].append((person, on))

    def is_member(self, state: str, on: str) -> bool:
        return any(start <= on and (end is None or on < end)
                   for start, end, _ in self.spells.get(state, ()))


def _iso(when: Any) -> str:
    """A sortable day for the peer's comparisons (partial dates: their first day)."""
    return str(getattr(when, "first", when).isoformat())


def peer_env(path: str) -> dict[str, str]:
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30"}


class PeerApp(Application[uuid.UUID]):
    """The peer application: appends, replays and folds."""

    def append(self, events: Sequence[Event]) -> None:
        """Apply our events to the peer's aggregates and save them in one transaction."""
        directory = Directory()
        blocs: dict[str, Bloc] = {}
        post_bloc: dict[str, str] = {}
        for item in events:
            if isinstance(item, (StateRegistered, PersonRegistered)):
                ident = item.state if isinstance(item, StateRegistered) else item.person
                directory.register(ident, item.name)
            elif isinstance(item, BlocFounded):
                blocs[item.bloc] = Bloc(item.bloc, _iso(item.on))
            elif isinstance(item, StateJoined):
                blocs[item.bloc].join(item.state, _iso(item.on), item.kind)
            elif isinstance(item, StateWithdrew):
                blocs[item.bloc].withdraw(item.state, _iso(item.on))
            elif isinstance(item, StateSuspended):
                blocs[item.bloc].suspend(item.state, _iso(item.on))
            elif isinstance(item, StateReinstated):
                blocs[item.bloc].reinstate(item.state, _iso(item.on))
            elif isinstance(item, KindChanged):
                blocs[item.bloc].change_kind(item.state, _iso(item.on), item.kind)
            elif isinstance(item, BlocDissolved):
                blocs[item.bloc].dissolve(_iso(item.on))
            elif isinstance(item, PostCreated):
                assert item.bloc is not None
                post_bloc[item.post] = item.bloc
                blocs[item.bloc].create_post(item.post, _iso(item.on))
            elif isinstance(item, HolderAppointed):
                blocs[post_bloc[item.post]].appoint(item.post, item.person, _iso(item.on))
            else:  # pragma: no cover - the workloads use the types above only
                raise TypeError(f"the peer has no counterpart for {type(item).__name__}")
        self.save(directory, *blocs.values())

    def replay(self, codes: Iterable[str]) -> dict[str, Bloc]:
        """Read and replay every bloc aggregate."""
        return {code: self.repository.get(Bloc.create_id(code, "")) for code in codes}

    def memberships_on(self, on: str) -> list[tuple[str, str]]:
        """Every (state, bloc) membership in force on ``on``: a fold over all stored events."""
        status: dict[tuple[str, str], bool] = {}
        codes: dict[uuid.UUID, str] = {}
        start = 1
        while True:
            page = self.recorder.select_notifications(start=start, limit=10_000)
            if not page:
                break
            for notification in page:
                item: Any = self.mapper.to_domain_event(notification)
                name = type(item).__name__
                if name == "Founded":
                    codes[item.originator_id] = item.code
                elif name in ("Joined", "Withdrew") and item.on <= on:
                    status[(item.state, codes[item.originator_id])] = name == "Joined"
                elif name == "Dissolved" and item.on <= on:
                    code = codes[item.originator_id]
                    for key in [k for k in status if k[1] == code]:
                        status[key] = False
            start = page[-1].id + 1
        return sorted(key for key, member in status.items() if member)
