"""Property tests: the indexed answers equal a brute-force replay of the events."""

from __future__ import annotations

import contextlib
import random
from typing import Any

import pendulum
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aes_membership import (
    BlocDissolved,
    BlocFounded,
    BlocRenamed,
    Event,
    EventRetracted,
    HolderAppointed,
    HolderLeft,
    KindChanged,
    MembershipError,
    Period,
    PersonRegistered,
    PostAbolished,
    PostCreated,
    Registry,
    StateJoined,
    StateRegistered,
    StateReinstated,
    StateSuspended,
    StateWithdrew,
    Truth,
    UnknownIdError,
    _pairmap,
)
from aes_membership.dates import span
from aes_membership.events import KINDS
from aes_membership.stores import MemoryStore
from aes_membership.timeline import BlocIndex, MembershipLine
from conftest import splitting_at

BASE = pendulum.Date(2000, 1, 1).toordinal()
STATES = ("S0", "S1", "S2")
BLOCS = ("B0", "B1")
PERSONS = ("p0", "p1", "p2")
# These histories give a state a line with two blocs at most, far below the library's
# threshold: with 0, every state's row of lines is split, as most are at a million events.
rows_split = pytest.mark.parametrize("rows_split_at", [_pairmap.SPLIT_AT, 0])


def day(offset: int) -> pendulum.Date:
    return pendulum.Date.fromordinal(BASE + offset)


@st.composite
def histories(draw: st.DrawFn) -> list[Event]:
    """A valid history, generated in valid-time order."""
    events: list[Event] = [StateRegistered(state=s, name=s) for s in STATES]
    events += [PersonRegistered(person=p, name=p) for p in PERSONS]
    ends: dict[str, int] = {}
    for bloc in BLOCS:
        events.append(BlocFounded(bloc=bloc, name=bloc, on=day(0)))
        if draw(st.booleans()):
            ends[bloc] = draw(st.integers(1500, 2000))
        if draw(st.booleans()):  # (before any dissolution: a bloc is renamed while it exists)
            events.append(BlocRenamed(bloc=bloc, name=f"{bloc} renamed", on=day(draw(st.integers(1, 1400)))))
    for state in STATES:
        for bloc in BLOCS:
            limit = ends.get(bloc, 2000)
            t = draw(st.integers(0, 200))
            while t < limit and draw(st.booleans()):
                events.append(StateJoined(state=state, bloc=bloc, on=day(t)))
                t += draw(st.integers(1, 300))
                if t < limit and draw(st.booleans()):
                    events.append(StateSuspended(state=state, bloc=bloc, on=day(t)))
                    t += draw(st.integers(1, 100))
                    if t < limit and draw(st.booleans()):
                        events.append(StateReinstated(state=state, bloc=bloc, on=day(t)))
                        t += draw(st.integers(1, 100))
                if t >= limit or draw(st.booleans()):
                    break
                events.append(StateWithdrew(state=state, bloc=bloc, on=day(t)))
                t += draw(st.integers(1, 300))
    events.append(PostCreated(post="P", bloc="B0", title="chair", on=day(0)))
    t = draw(st.integers(0, 100))
    holder: str | None = None
    limit = ends.get("B0", 2000)
    while t < limit and draw(st.booleans()):
        person = draw(st.sampled_from(PERSONS))
        if holder is not None and draw(st.booleans()):
            events.append(HolderLeft(post="P", person=holder, on=day(t)))
            holder = None
        elif person != holder:
            events.append(HolderAppointed(post="P", person=person, on=day(t)))
            holder = person
        t += draw(st.integers(1, 200))
    for bloc, end in ends.items():
        events.append(BlocDissolved(bloc=bloc, on=day(end)))
    return events


def record_in_order(reg: Registry, events: list[Event], order: list[int],
                    after_each: Any = None) -> list[int]:
    """Record events one by one in a shuffled order, deferring those that do not fit yet.

    Returns the log positions between batches (the points a reader can observe);
    ``after_each`` is called after every recorded event.
    """
    pending = [events[i] for i in order]
    boundaries = []
    while pending:
        deferred = []
        for event in pending:
            before = reg.position
            try:
                reg.record(event)
                boundaries.append(reg.position)
                if after_each is not None:
                    after_each()
            except MembershipError:
                assert reg.position == before  # rejected events never reach the log
                assert reg.store.last_position() == before
                deferred.append(event)
        if len(deferred) == len(pending):
            reg.record(*deferred)  # valid as a whole, whatever the order
            boundaries.append(reg.position)
            return boundaries
        pending = deferred
    return boundaries


def brute_force(events: list[Event], query: int) -> tuple[dict[Any, tuple[bool, bool]], Any]:
    """Replay the live events dated on or before ``query`` (partial dates: first day)."""
    retracted = {e.target for e in events if isinstance(e, EventRetracted)}
    live = [
        (span(e.effective)[0], i, e)
        for i, e in enumerate(events)
        if e.id not in retracted and e.effective is not None
    ]
    live.sort(key=lambda t: (t[0], t[1]))
    status: dict[Any, tuple[bool, bool]] = {}
    holder: Any = None
    post_bloc = "B0"
    for ordinal, _, event in live:
        if ordinal > query:
            break
        if isinstance(event, StateJoined):
            status[(event.state, event.bloc)] = (True, False)
        elif isinstance(event, StateWithdrew):
            status[(event.state, event.bloc)] = (False, False)
        elif isinstance(event, StateSuspended):
            status[(event.state, event.bloc)] = (True, True)
        elif isinstance(event, StateReinstated):
            status[(event.state, event.bloc)] = (True, False)
        elif isinstance(event, BlocDissolved):
            for key in list(status):
                if key[1] == event.bloc:
                    status[key] = (False, False)
            if event.bloc == post_bloc:
                holder = None
        elif isinstance(event, HolderAppointed):
            holder = event.person
        elif isinstance(event, HolderLeft) and holder == event.person:
            holder = None
    return status, holder


def assert_matches(reg: Registry, events: list[Event], query: int, **known: Any) -> None:
    snap = reg.snapshot(pendulum.Date.fromordinal(query), **known)
    status, holder = brute_force(events, query)
    for state in STATES:
        for bloc in BLOCS:
            member, suspended = status.get((state, bloc), (False, False))
            assert snap.is_member(state, bloc) == member, (state, bloc)
            assert snap.is_suspended(state, bloc) == suspended, (state, bloc)
    for bloc in BLOCS:
        assert snap.members(bloc) == {s for s in STATES if status.get((s, bloc), (False,))[0]}
    for state in STATES:  # now from the members the snapshot kept
        for bloc in BLOCS:
            member, suspended = status.get((state, bloc), (False, False))
            assert snap.is_member(state, bloc) == member, (state, bloc)
            assert snap.is_suspended(state, bloc) == suspended, (state, bloc)
            assert (snap.kind(state, bloc) is not None) == member, (state, bloc)
    assert snap.holder("P") == holder


@rows_split
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    histories(),
    st.randoms(use_true_random=False),
    st.lists(st.integers(-10, 2100), min_size=5, max_size=12),
)
def test_indexed_answers_equal_brute_force(rows_split_at: int, events: list[Event],
                                           rnd: random.Random, queries: list[int]) -> None:
    """Recorded in any order, the indexed answers equal a replay for any date."""
    with splitting_at(_pairmap, rows_split_at):
        order = list(range(len(events)))
        rnd.shuffle(order)
        reg = Registry()
        record_in_order(reg, events, order)
        recorded = [r.event for r in reg.events()]
        for query in queries:
            assert_matches(reg, recorded, BASE + query)


@rows_split
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    histories(),
    st.data(),
    st.booleans(),
    st.lists(st.tuples(st.sampled_from(STATES), st.sampled_from(BLOCS)), min_size=1,
             max_size=120),
)
def test_repeated_questions_on_one_snapshot_equal_brute_force(rows_split_at: int,
        events: list[Event], data: st.DataObject, index_built: bool,
        questions: list[tuple[str, str]]) -> None:
    """Every answer of a snapshot asked the same pairs over and over, before and after it
    keeps a bloc's members, equals a replay, whether the bloc's index was built or not."""
    with splitting_at(_pairmap, rows_split_at):
        changes = sorted({span(e.effective)[0] - BASE + eve for e in events
                          if e.effective is not None for eve in (-1, 0)})
        query = data.draw(st.one_of(st.integers(-10, 2100), st.sampled_from(changes)))
        reg = Registry()
        record_in_order(reg, events, list(range(len(events))))
        if index_built:
            reg.snapshot(day(0)).memberships()
        snap = reg.snapshot(pendulum.Date.fromordinal(BASE + query))
        status, _ = brute_force([r.event for r in reg.events()], BASE + query)
        every_pair = [(state, bloc) for state in STATES for bloc in BLOCS]
        for state, bloc in questions * 3 + every_pair * 10:
            assert snap.is_member(state, bloc) == status.get((state, bloc), (False,))[0]


@rows_split
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    histories(),
    st.randoms(use_true_random=False),
    st.lists(st.integers(-10, 2100), min_size=2, max_size=4),
)
def test_bloc_indexes_stay_true_after_every_retroactive_insert(rows_split_at: int,
        events: list[Event], rnd: random.Random, queries: list[int]) -> None:
    """Members, suspended members and the world's memberships, asked after every single
    insert (so cached bloc indexes are reused), equal a replay of what is recorded so far."""
    with splitting_at(_pairmap, rows_split_at):
        order = list(range(len(events)))
        rnd.shuffle(order)
        reg = Registry()

        def check() -> None:
            recorded = [r.event for r in reg.events()]
            for query in queries:
                snap = reg.snapshot(pendulum.Date.fromordinal(BASE + query))
                status, _ = brute_force(recorded, BASE + query)
                expected = {(s, b) for (s, b), (member, _) in status.items() if member}
                assert {(m.state, m.bloc) for m in snap.memberships()} == expected
                for bloc in BLOCS:
                    if bloc in reg.ids("bloc"):
                        assert snap.members(bloc) == {s for s, b in expected if b == bloc}
                        assert snap.suspended(bloc) == {
                            s for (s, b), (member, held) in status.items() if b == bloc and held}

        record_in_order(reg, events, order, after_each=check)


@rows_split
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    histories(),
    st.randoms(use_true_random=False),
    st.lists(st.integers(0, 2000), min_size=3, max_size=6),
)
def test_as_known_at_equals_replay_of_known_events(rows_split_at: int, events: list[Event],
                                                   rnd: random.Random, queries: list[int]) -> None:
    """With random recording order and retractions, as_known_at answers equal a replay."""
    with splitting_at(_pairmap, rows_split_at):
        reg = Registry()
        order = list(range(len(events)))
        rnd.shuffle(order)
        boundaries = record_in_order(reg, events, order)
        settled = reg.position
        for _ in range(rnd.randint(1, 6)):
            victim = rnd.choice(reg.events()).event
            if not isinstance(victim, (StateJoined, StateWithdrew, StateSuspended, StateReinstated,
                                       HolderAppointed, HolderLeft, BlocDissolved)):
                continue  # retracting who exists would make the queries below unknown-id errors
            before = reg.position
            try:
                reg.retract(victim.id, reason="test")
                boundaries.append(reg.position)
            except MembershipError:
                assert reg.position == before
        log = [r.event for r in reg.events()]
        assert len(log) == reg.store.last_position()  # retractions never remove a stored row
        known = {r.position for r in reg.events() if isinstance(r.event, StateRegistered)}
        first_complete = max(known | {p for p in range(1, settled + 1)
                                      if isinstance(log[p - 1], (BlocFounded, PostCreated))})
        observable = [p for p in boundaries if p >= first_complete]
        for position in sorted({rnd.choice(observable) for _ in range(4)}):
            for query in queries:
                assert_matches(reg, log[:position], BASE + query, as_known_at=position)


@rows_split
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.randoms(use_true_random=False))
def test_history_equals_a_scan_of_the_live_log(rows_split_at: int, events: list[Event],
                                               rnd: random.Random) -> None:
    """history(id), derived from the indexes, equals a scan of the log: every event naming the
    id and not retracted, by effective date then position — also after retractions."""
    with splitting_at(_pairmap, rows_split_at):
        reg = Registry()
        order = list(range(len(events)))
        rnd.shuffle(order)
        record_in_order(reg, events, order)
        for _ in range(rnd.randint(0, 5)):
            victim = rnd.choice(reg.events()).event
            if isinstance(victim, (StateJoined, StateWithdrew, StateSuspended, StateReinstated,
                                   HolderAppointed, HolderLeft, BlocDissolved)):
                with contextlib.suppress(MembershipError):
                    reg.retract(victim.id, reason="test")
        retracted = {r.event.target for r in reg.events() if isinstance(r.event, EventRetracted)}
        live = [r for r in reg.events()
                if not isinstance(r.event, EventRetracted) and r.event.id not in retracted]
        for ident in (*STATES, *BLOCS, *PERSONS, "P"):
            naming = [r for r in live
                      if ident in {getattr(r.event, k, None) for k in ("state", "bloc", "post", "person")}]

            def order_key(r: Any) -> tuple[int, int, int]:
                lo, hi = span(r.event.effective) if r.event.effective is not None else (-1, -1)
                return lo, hi, r.position

            assert reg.history(ident) == [r.event for r in sorted(naming, key=order_key)], ident


whens = st.one_of(
    st.integers(0, 3000).map(lambda o: day(o).isoformat()),
    st.integers(2000, 2008).map(str),
    st.tuples(st.integers(2000, 2008), st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}"),
)


@settings(max_examples=150, deadline=None)
@given(whens, st.one_of(st.none(), whens), st.integers(-20, 3300))
def test_three_valued_answers_agree_with_span_ends(join: str, leave: str | None, query: int) -> None:
    """truth_member is YES/NO exactly when every reading of the partial dates agrees."""
    reg = Registry()
    reg.register_state("S", name="S")
    reg.found("B", name="B", on="1999-01-01")
    try:
        reg.join("S", "B", on=join)
        if leave is not None:
            reg.withdraw("S", "B", on=leave)
    except MembershipError:
        return  # an invalid or ambiguous order: nothing to compare
    join_span = span(reg.periods("S", "B")[0].start)
    leave_span = span(reg.periods("S", "B")[0].end) if leave is not None else None
    d = BASE + query
    readings = set()
    for j in join_span:
        for w in leave_span or (None,):
            if w is not None and w < j:
                continue
            readings.add(j <= d and (w is None or d < w))
    truth = reg.snapshot(pendulum.Date.fromordinal(d)).truth_member("S", "B")
    expected = Truth.YES if readings == {True} else Truth.NO if readings == {False} else Truth.UNKNOWN
    assert truth is expected


@settings(max_examples=150, deadline=None)
@given(whens, st.one_of(st.none(), whens), st.integers(-20, 3300))
def test_three_valued_holding_agrees_with_span_ends(appoint: str, leave: str | None,
                                                    query: int) -> None:
    """truth_holds is YES/NO exactly when every reading of the partial dates agrees."""
    reg = Registry()
    reg.register_person("p", name="P")
    reg.register_person("q", name="Q")
    reg.found("B", name="B", on="1999-01-01")
    reg.create_post("P", bloc="B", title="chair", on="1999-01-01")
    try:
        reg.appoint("P", "p", on=appoint)
        if leave is not None:
            reg.leave("P", "p", on=leave)
    except MembershipError:
        return  # an invalid or ambiguous order: nothing to compare
    tenure = reg.tenures("P")[0]
    start_span = span(tenure.start)
    end_span = span(tenure.end) if tenure.end is not None else None
    d = BASE + query
    readings = set()
    for a in start_span:
        for w in end_span or (None,):
            if w is not None and w < a:
                continue
            readings.add(a <= d and (w is None or d < w))
    snap = reg.snapshot(pendulum.Date.fromordinal(d))
    expected = Truth.YES if readings == {True} else Truth.NO if readings == {False} else Truth.UNKNOWN
    assert snap.truth_holds("P", "p") is expected
    assert snap.truth_holds("P", "q") is Truth.NO  # registered, never appointed


def scanned_spells(events: list[Event]) -> dict[tuple[str, str], list[tuple[Period, list[Period]]]]:
    """Each membership's spells with their suspensions, by a walk of the live log by date
    (a bloc's dissolution last on its day)."""
    retracted = {e.target for e in events if isinstance(e, EventRetracted)}
    live = sorted(
        (span(e.effective)[0], isinstance(e, BlocDissolved), i, e)
        for i, e in enumerate(events)
        if e.id not in retracted and e.effective is not None
    )
    spells: dict[tuple[str, str], list[tuple[Period, list[Period]]]] = {}
    opened: dict[tuple[str, str], tuple[Any, list[Period], Any]] = {}

    def close(key: tuple[str, str], on: Any) -> None:
        start, suspensions, since = opened.pop(key)
        if since is not None:
            suspensions.append(Period(since, on))
        spells.setdefault(key, []).append((Period(start, on), suspensions))

    for _, _, _, event in live:
        if isinstance(event, BlocDissolved):
            for key in [k for k in opened if k[1] == event.bloc]:
                close(key, event.on)
            continue
        key = (getattr(event, "state", None), getattr(event, "bloc", None))
        if isinstance(event, StateJoined):
            opened[key] = (event.on, [], None)
        elif isinstance(event, StateSuspended):
            opened[key] = (opened[key][0], opened[key][1], event.on)
        elif isinstance(event, StateReinstated):
            start, suspensions, since = opened[key]
            opened[key] = (start, [*suspensions, Period(since, event.on)], None)
        elif isinstance(event, StateWithdrew):
            close(key, event.on)
    for key in list(opened):
        start, suspensions, since = opened.pop(key)
        if since is not None:
            suspensions.append(Period(since, None))
        spells.setdefault(key, []).append((Period(start, None), suspensions))
    return spells


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.randoms(use_true_random=False))
def test_spells_derived_on_first_use_equal_a_scan(events: list[Event], rnd: random.Random) -> None:
    """Periods and suspensions, asked for between retroactive inserts, equal a walk of the log."""
    order = list(range(len(events)))
    rnd.shuffle(order)
    reg = Registry()

    def ask_all() -> None:  # spells kept on lines that later inserts replace
        for state in STATES:
            for bloc in BLOCS:
                if state in reg.ids("state") and bloc in reg.ids("bloc"):
                    reg.periods(state, bloc)

    record_in_order(reg, events, order, after_each=ask_all)
    expected = scanned_spells([r.event for r in reg.events()])
    for state in STATES:
        for bloc in BLOCS:
            spells = expected.get((state, bloc), [])
            assert reg.periods(state, bloc) == [period for period, _ in spells]
            assert reg.suspensions(state, bloc) == [p for _, held in spells for p in held]


@st.composite
def step_functions(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """A membership line's steps: strictly increasing days, each with a code (0 for none)."""
    days = sorted(draw(st.sets(st.integers(0, 400), max_size=40)))
    codes = [draw(st.sampled_from((0, 1, 2, 3, 5, 6, 7))) for _ in days]
    return tuple(days), tuple(codes)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from([f"S{n}" for n in range(12)]), step_functions(),
                       max_size=12),
       st.lists(st.integers(-1, 401), min_size=1, max_size=30))
def test_a_bloc_index_answers_as_its_lines_do(
        steps: dict[str, tuple[tuple[int, ...], tuple[int, ...]]], days: list[int]) -> None:
    """A bloc's merged index, across many of its checkpoints, gives each line's code on any day."""
    lines = {state: MembershipLine((), points, codes) for state, (points, codes) in steps.items()}
    index = BlocIndex(lines.items(), {})
    for on in days + [day for points, _ in steps.values() for day in points]:
        expected = {state: line.code_on(on) for state, line in lines.items() if line.code_on(on)}
        assert index.codes_on(on) == expected


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from(["state", "bloc"]), st.integers(0, 3),
                                   st.booleans()), min_size=1, max_size=5),
                min_size=1, max_size=6))
def test_ids_known_after_each_batch_equal_a_fresh_scan(
        batches: list[list[tuple[str, int, bool]]]) -> None:
    """After batches that create and retract states and blocs, the ids a snapshot knows are
    exactly those whose creation stands, as if worked out afresh."""
    from aes_membership import UnknownIdError

    reg = Registry()
    standing: dict[tuple[str, str], Event] = {}
    for batch in batches:
        events: list[Event] = []
        for kind, number, create in batch:
            key = (kind, f"{kind[0].upper()}{number}")
            if create and key not in standing:
                made: Event = (StateRegistered(state=key[1], name=key[1]) if kind == "state"
                               else BlocFounded(bloc=key[1], name=key[1], on=day(0)))
                standing[key] = made
                events.append(made)
            elif not create and key in standing and standing[key] not in events:
                events.append(EventRetracted(target=standing.pop(key).id, reason="test"))
        if not events:
            continue
        reg.record(*events)
        snap = reg.snapshot(day(10))  # the snapshot's sets come from the timeline's
        for state in ("S0", "S1", "S2", "S3"):
            for bloc in ("B0", "B1", "B2", "B3"):
                if ("state", state) in standing and ("bloc", bloc) in standing:
                    assert snap.is_member(state, bloc) is False
                else:
                    with contextlib.suppress(UnknownIdError):
                        snap.is_member(state, bloc)
                        raise AssertionError(f"{state} in {bloc}: an unknown id was not refused")
        timeline = reg._timeline
        for kind in ("state", "bloc"):
            assert timeline.known(kind) == {i for k, i in standing if k == kind}
            assert timeline.known(kind) == {i for i in timeline.ids.get(kind) or ()
                                            if timeline.exists(kind, i)}


def _answers(reg: Registry, days: list[int]) -> dict[tuple[str, ...], list[Any]]:
    """Each subject's answers on each of ``days`` (offsets from BASE), asked of snapshots."""
    answers: dict[tuple[str, ...], list[Any]] = {}
    for offset in days:
        snap = reg.snapshot(day(offset))
        for state in STATES:
            for bloc in BLOCS:
                try:
                    answer = (snap.is_member(state, bloc), snap.is_suspended(state, bloc),
                              snap.kind(state, bloc))
                except UnknownIdError:
                    # A bloc whose founding is retracted (only one that no event names can
                    # be): no membership, as before.
                    answer = (False, False, None)
                answers.setdefault(("membership", state, bloc), []).append(answer)
        try:
            holder = snap.holder("P")
        except UnknownIdError:
            holder = None
        answers.setdefault(("post", "P"), []).append(holder)
        for kind, ids in (("state", STATES), ("bloc", BLOCS), ("person", PERSONS), ("post", ("P",))):
            for ident in ids:
                try:
                    name = snap.name(ident, kind)
                except UnknownIdError:  # (a creation retracted)
                    name = None
                answers.setdefault(("name", kind, ident), []).append(name)
    return answers


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories(), st.data())
def test_an_impact_names_exactly_the_dates_whose_answers_changed(events: list[Event],
                                                                  data: st.DataObject) -> None:
    """A retraction's impact, and a correction's, cover the dates on which an answer changed
    and no other, as asking snapshots before and after on every date finds."""
    reg = Registry()
    reg.record(*events)
    dated = [e for e in events if e.effective is not None]
    target = data.draw(st.sampled_from(dated))
    # The answers are step functions that change only on an event's day: comparing them on
    # every such day, and on the day before the first, compares them on every date.
    days = sorted({span(e.effective)[0] - BASE for e in dated} | {-1})
    before = _answers(reg, days)
    retracted = data.draw(st.booleans())
    try:
        if retracted:
            reg.retract(target.id, reason="wrong")
        else:
            shift = data.draw(st.integers(-150, 150).filter(bool))
            moved = span(target.effective)[0] - BASE + shift
            days = sorted(set(days) | {moved})
            before = _answers(reg, days)
            reg.correct(target.id, on=day(moved), reason="another date")
    except MembershipError:
        return  # the history refuses it: nothing recorded, nothing to compare
    after = _answers(reg, days)
    changed = {(subject, offset) for subject, answers in after.items()
               for offset, old, new in zip(days, before[subject], answers, strict=True)
               if old != new}
    covered = set()
    for change in reg.last_impact.changes:
        start = change.start.toordinal() - BASE
        end = change.end.toordinal() - BASE if change.end is not None else days[-1] + 1
        covered |= {(change.subject, offset) for offset in days if start <= offset < end}
    assert covered == changed
    if retracted:  # one event recorded: its impact, asked later, is the call's
        assert reg.impact(reg.events()[-1].event.id) == reg.last_impact


_MEMBERSHIP_CHANGES = (StateJoined, StateWithdrew, StateSuspended, StateReinstated, KindChanged)


@st.composite
def unchecked_logs(draw: st.DrawFn) -> list[Event]:
    """A log no validation wrote: membership events and appointments of any kind, on any
    day (before a bloc's founding or a post's creation, after either ends), and retractions
    of earlier, later, retracted or unknown events."""
    log: list[Event] = [StateRegistered(state=s, name=s) for s in STATES]
    log += [PersonRegistered(person=p, name=p) for p in PERSONS]
    log += [BlocFounded(bloc=b, name=b, on=day(0)) for b in BLOCS]
    log.append(PostCreated(post="P", bloc="B0", title="chair", seats=draw(st.integers(1, 2)),
                           on=day(draw(st.integers(-20, 300)))))
    changes: list[Event] = []
    for _ in range(draw(st.integers(0, 12))):
        cls = draw(st.sampled_from((HolderAppointed, HolderLeft)))
        changes.append(cls(post="P", person=draw(st.sampled_from(PERSONS)),
                           on=day(draw(st.integers(-50, 2100)))))
    if draw(st.booleans()):
        changes.append(PostAbolished(post="P", on=day(draw(st.integers(1, 2000)))))
    for _ in range(draw(st.integers(0, 40))):
        cls = draw(st.sampled_from(_MEMBERSHIP_CHANGES))
        options: dict[str, Any] = {"state": draw(st.sampled_from(STATES)),
                                   "bloc": draw(st.sampled_from(BLOCS)),
                                   "on": day(draw(st.integers(-50, 2100)))}
        if cls in (StateJoined, KindChanged):
            options["kind"] = draw(st.sampled_from(KINDS))
        changes.append(cls(**options))
    for bloc in BLOCS:
        if draw(st.booleans()):
            changes.append(BlocDissolved(bloc=bloc, on=day(draw(st.integers(1, 2000)))))
    for _ in range(draw(st.integers(0, 6)) if changes else 0):
        target = draw(st.one_of(st.sampled_from(changes).map(lambda e: e.id), st.uuids()))
        changes.insert(draw(st.integers(0, len(changes))), EventRetracted(target=target, reason="test"))
    return log + changes


def live_positions(log: list[Event]) -> dict[Any, int]:
    """The position of each event left live: a retraction takes out only an event recorded
    before it and not retracted yet (retractions themselves are never live)."""
    live: dict[Any, int] = {}
    for position, event in enumerate(log):
        if isinstance(event, EventRetracted):
            live.pop(event.target, None)
        else:
            live[event.id] = position
    return live


def unchecked_fold(log: list[Event], query: int
                   ) -> dict[tuple[str, str], tuple[bool, bool, str | None]]:
    """(member, suspended, kind) of each pair on ``query``, by the rule a replay keeps: an
    event that does not fit where it falls is left out, and so is a retraction of an event
    not recorded before it, or retracted already."""
    live = live_positions(log)
    dissolved = {e.bloc: e.on.toordinal() for e in log  # type: ignore[attr-defined]
                 if isinstance(e, BlocDissolved) and e.id in live}
    status = {}
    for state in STATES:
        for bloc in BLOCS:
            changes = sorted((e.on.toordinal(), live[e.id], e)  # type: ignore[attr-defined]
                             for e in log if isinstance(e, _MEMBERSHIP_CHANGES) and e.id in live
                             and (e.state, e.bloc) == (state, bloc))  # type: ignore[attr-defined]
            member, suspended, kind = False, False, None
            for ordinal, _, event in changes:
                if ordinal > query or ordinal < day(0).toordinal() or ordinal > dissolved.get(bloc, ordinal):
                    continue
                if isinstance(event, StateJoined):
                    if not member:
                        member, suspended, kind = True, False, event.kind
                elif not member:
                    continue
                elif isinstance(event, StateWithdrew):
                    member, suspended, kind = False, False, None
                elif isinstance(event, StateSuspended):
                    suspended = True
                elif isinstance(event, StateReinstated):
                    suspended = False
                elif isinstance(event, KindChanged):
                    kind = event.kind
            if dissolved.get(bloc, query + 1) <= query:
                member, suspended, kind = False, False, None
            status[(state, bloc)] = (member, suspended, kind)
    return status


def unchecked_holders(log: list[Event], query: int) -> tuple[str, ...]:
    """The holders of post "P" on ``query``, by the same rule as :func:`unchecked_fold`."""
    live = live_positions(log)
    creation = next(e for e in log if isinstance(e, PostCreated))
    ends = [e.on.toordinal() for e in log if e.id in live  # type: ignore[attr-defined]
            and (isinstance(e, PostAbolished) or (isinstance(e, BlocDissolved) and e.bloc == "B0"))]
    end = min(ends, default=None)
    changes = sorted((e.on.toordinal(), live[e.id], e) for e in log  # type: ignore[attr-defined]
                     if isinstance(e, (HolderAppointed, HolderLeft)) and e.id in live)
    sitting: list[str] = []
    for ordinal, _, event in changes:
        if ordinal > query or ordinal < creation.on.toordinal() or (end is not None and ordinal > end):
            continue
        if isinstance(event, HolderAppointed):
            if event.person in sitting:
                continue
            if len(sitting) == creation.seats:
                if creation.seats > 1:
                    continue
                sitting.clear()  # one seat: the new holder takes it
            sitting.append(event.person)
        elif event.person in sitting:
            sitting.remove(event.person)
    if end is not None and end <= query:
        sitting.clear()
    return tuple(sorted(sitting))


@rows_split
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unchecked_logs(), st.data(), st.lists(st.integers(-60, 2110), min_size=3, max_size=8))
def test_a_log_no_validation_wrote_is_replayed_leaving_out_what_does_not_fit(
        rows_split_at: int, log: list[Event], data: st.DataObject, queries: list[int]) -> None:
    """Opened, or caught up with in a second part, a log of events that do not all fit answers
    as a fold that leaves out each event that does not fit where it falls: memberships and
    a post's holders."""
    with splitting_at(_pairmap, rows_split_at):
        store = MemoryStore()
        split = data.draw(st.integers(len(STATES) + len(BLOCS), len(log)))
        store.append(log[:split], expected_position=0)
        reg = Registry(store)
        store.append(log[split:], expected_position=split)
        reg.refresh()
        assert reg.position == len(log)
        for query in queries:
            snap = reg.snapshot(day(query))
            expected = unchecked_fold(log, day(query).toordinal())
            for (state, bloc), (member, suspended, kind) in expected.items():
                assert snap.is_member(state, bloc) == member, (state, bloc)
                assert snap.is_suspended(state, bloc) == suspended, (state, bloc)
                assert snap.kind(state, bloc) == kind, (state, bloc)
            for bloc in BLOCS:
                assert snap.members(bloc) == {s for (s, b), v in expected.items() if b == bloc and v[0]}
            assert snap.holders("P") == unchecked_holders(log, day(query).toordinal())
