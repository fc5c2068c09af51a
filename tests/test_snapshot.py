"""A snapshot's answers, however it reaches them: from a pair's line or from kept members."""

from __future__ import annotations

from collections.abc import Callable

import pendulum
import pytest

from aes_membership import (
    BlocFounded,
    FieldError,
    KindChanged,
    Registry,
    StateJoined,
    StateRegistered,
    StateSuspended,
    StateWithdrew,
    Truth,
    UnknownIdError,
)
from aes_membership.timeline import BlocIndex

STATES = [f"S{n:02d}" for n in range(10)]
ON = pendulum.Date(2000, 1, 1)


@pytest.fixture
def registry() -> Registry:
    """Ten states, six of them members of B on 2000-01-01 (one suspended), one withdrawn,
    three never joined."""
    reg = Registry()
    reg.record(BlocFounded(bloc="B", name="B", on="1990-01-01"),
               BlocFounded(bloc="C", name="C", on="1990-01-01"),
               *(StateRegistered(state=s, name=s) for s in STATES))
    reg.record(*(StateJoined(state=s, bloc="B", on="1995-01-01") for s in STATES[:7]),
               StateSuspended(state="S01", bloc="B", on="1998-01-01"),
               StateWithdrew(state="S06", bloc="B", on="1999-01-01"))
    return reg


def members_of_b(state: str) -> bool:
    return state in STATES[:6]


@pytest.fixture
def codes_on_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The days each bloc index has been asked for its members on, in order."""
    calls: list[int] = []
    codes_on = BlocIndex.codes_on

    def counted(self: BlocIndex, day: int) -> dict[str, int]:
        calls.append(day)
        return codes_on(self, day)

    monkeypatch.setattr(BlocIndex, "codes_on", counted)
    return calls


def test_many_questions_about_a_bloc_give_the_answers_of_its_lines(registry: Registry) -> None:
    """Asked about every state of a bloc over and over, a snapshot gives the same answers
    before and after it keeps the bloc's members."""
    snap = registry.snapshot(ON)
    for _ in range(20):
        assert [snap.is_member(s, "B") for s in STATES] == [members_of_b(s) for s in STATES]


def test_a_built_index_gives_kept_members_after_sixteen_questions_per_bloc(
        registry: Registry, codes_on_calls: list[int]) -> None:
    """Once the bloc's member index is built, a snapshot answers 16 questions per bloc with
    lines (one here) from the lines, then reads the members of a bloc it is asked about
    once, and answers from them."""
    registry.snapshot("1980-01-01").members("B")  # builds the index
    codes_on_calls.clear()
    snap = registry.snapshot(ON)
    for _ in range(16):
        snap.is_member("S00", "B")
    assert codes_on_calls == []
    assert snap.is_member("S09", "B") is False  # the seventeenth
    assert codes_on_calls == [ON.toordinal()]
    for state in STATES * 10:
        assert snap.is_member(state, "B") is members_of_b(state)
    assert codes_on_calls == [ON.toordinal()]


def test_an_unbuilt_index_is_built_after_four_questions_per_membership_line(
        registry: Registry) -> None:
    """Where no snapshot has built the bloc's member index, a snapshot answers four questions
    per membership line of its timeline (seven lines here) from the lines, then builds the
    index, kept for the timeline's other snapshots."""
    snap = registry.snapshot(ON)
    indexes = registry._timeline.bloc_indexes
    for _ in range(4 * 7):
        snap.is_member("S03", "B")
    assert indexes.built("B") is None
    assert snap.is_member("S03", "B") is True
    built = indexes.built("B")
    assert built is not None
    registry.snapshot("1980-01-01").members("B")
    assert indexes.built("B") is built


def test_members_are_kept_for_is_member(registry: Registry, codes_on_calls: list[int]) -> None:
    """After ``members``, ``is_member`` answers from the members it read, without reading the
    index again, and ``suspended`` reads them too."""
    snap = registry.snapshot(ON)
    assert snap.members("B") == set(STATES[:6])
    assert [snap.is_member(s, "B") for s in STATES] == [members_of_b(s) for s in STATES]
    assert snap.suspended("B") == {"S01"}
    assert codes_on_calls == [ON.toordinal()]


@pytest.mark.parametrize("questions", [0, 40], ids=["from lines", "keeping members"])
def test_unknown_ids_are_refused_alike_on_either_path(registry: Registry, questions: int) -> None:
    """A state or bloc never registered is refused with the same error, naming the state
    first, whether the snapshot answers from lines or keeps members."""
    snap = registry.snapshot(ON)
    for _ in range(questions):
        snap.is_member("S00", "B")
    snap.members("B")
    errors = []
    for state, bloc in [("S1", "B"), ("S00", "BB"), ("S1", "BB"), ("S1", "C")]:
        with pytest.raises(UnknownIdError) as raised:
            snap.is_member(state, bloc)
        errors.append((raised.value.kind, raised.value.value, raised.value.suggestions))
    assert [e[:2] for e in errors] == [
        ("state", "S1"), ("bloc", "BB"), ("state", "S1"), ("state", "S1")]
    assert errors[1][2] == ("B",)
    assert snap.is_member("S00", "C") is False  # a known bloc without lines


@pytest.mark.parametrize("questions", [0, 40], ids=["from lines", "keeping members"])
@pytest.mark.parametrize("given", [["S00"], {"B": 1}, 7], ids=["list", "dict", "int"])
def test_ids_that_are_not_text_are_refused_by_name(registry: Registry, questions: int,
                                                   given: object) -> None:
    """An id that is not text, hashable or not, is refused with a FieldError naming the
    argument and the value, by every question that takes ids, on either path."""
    registry.register_person("p", name="P")
    registry.create_post("B/chair", bloc="B", title="Chair", on="1990-01-01")
    snap = registry.snapshot(ON)
    for _ in range(questions):
        snap.is_member("S00", "B")
    asked: list[tuple[str, Callable[[object], object]]] = [
        ("state", lambda v: snap.is_member(v, "B")), ("bloc", lambda v: snap.is_member("S00", v)),
        ("state", lambda v: snap.is_suspended(v, "B")), ("bloc", lambda v: snap.kind("S00", v)),
        ("bloc", snap.members), ("bloc", snap.suspended), ("state", snap.blocs_of),
        ("bloc", snap.members_certain), ("bloc", snap.members_possible),
        ("state", lambda v: snap.truth_member(v, "B")), ("post", snap.holders),
        ("post", snap.holder), ("person", lambda v: snap.truth_holds("B/chair", v)),
        ("person", snap.posts_of), ("bloc", snap.posts), ("id", snap.name),
        ("state", lambda v: registry.periods(v, "B")),
        ("bloc", lambda v: registry.suspensions("S00", v)), ("post", registry.tenures),
        ("id", registry.history),
    ]
    for field, ask in [*asked, ("state", lambda v: snap.is_member(v, 5))]:
        with pytest.raises(FieldError, match="expected an id \\(text\\)") as raised:
            ask(given)
        assert (raised.value.field, raised.value.value) == (field, given)
        assert raised.value.__suppress_context__ or raised.value.__context__ is None


def test_kind_and_suspension_read_kept_members_as_lines(registry: Registry) -> None:
    """``kind`` and ``is_suspended`` answer alike before and after the snapshot keeps the
    bloc's members, and refuse an unknown state alike."""
    registry.record(KindChanged(state="S02", bloc="B", kind="associate", on="1996-01-01"))
    snap = registry.snapshot(ON)

    def answers() -> list[tuple[str | None, bool]]:
        return [(snap.kind(state, "B"), snap.is_suspended(state, "B")) for state in STATES]

    from_lines = answers()
    snap.members("B")
    assert answers() == from_lines
    assert from_lines[:3] == [("full", False), ("full", True), ("associate", False)]
    assert from_lines[6:] == [(None, False)] * 4
    for ask in (snap.kind, snap.is_suspended):
        with pytest.raises(UnknownIdError, match="unknown state 'S1'"):
            ask("S1", "B")


def test_kept_members_are_those_of_the_snapshots_own_timeline(registry: Registry) -> None:
    """A snapshot that keeps a bloc's members answers as before after later events are
    recorded; a new snapshot sees them."""
    snap = registry.snapshot(ON)
    snap.members("B")
    registry.record(StateJoined(state="S08", bloc="B", on="1996-01-01"),
                    StateWithdrew(state="S00", bloc="B", on="1997-01-01"))
    assert snap.is_member("S08", "B") is False
    assert snap.is_member("S00", "B") is True
    again = registry.snapshot(ON)
    again.members("B")
    assert again.is_member("S08", "B") is True
    assert again.is_member("S00", "B") is False


def test_threads_sharing_a_snapshot_get_its_answers(registry: Registry) -> None:
    """Threads asking one snapshot many questions at once, while it starts keeping members,
    all get the answers of the pairs' lines."""
    import sys
    import threading

    snap = registry.snapshot(ON)
    wrong: list[tuple[str, str]] = []
    start = threading.Barrier(4)

    def ask() -> None:
        start.wait()
        for _ in range(300):
            for state in STATES:
                for bloc in ("B", "C"):
                    if snap.is_member(state, bloc) is not (bloc == "B" and members_of_b(state)):
                        wrong.append((state, bloc))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=ask) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert wrong == []
    assert set(snap._kept) == {"B", "C"}


def test_a_notebook_shows_a_snapshot_as_a_table_of_its_memberships() -> None:
    """A snapshot's HTML view lists each membership in force as a row, suspended ones marked,
    with ids escaped."""
    reg = Registry()
    reg.register_state("S<1>", name="S")
    reg.register_state("S2", name="S")
    reg.found("B&", name="B", on="2000-01-01")
    reg.join("S<1>", "B&", on="2000-01-01")
    reg.join("S2", "B&", on="2000-01-01", kind="observer")
    reg.suspend("S2", "B&", on="2001-01-01")
    shown = reg.snapshot("2002-01-01")._repr_html_()
    assert "Memberships on 2002-01-01 (log position 6)" in shown
    assert "<tr><td>B&amp;</td><td>S&lt;1&gt;</td><td>full</td><td></td></tr>" in shown
    assert "<tr><td>B&amp;</td><td>S2</td><td>observer</td><td>suspended</td></tr>" in shown
    assert shown.count("<tr>") == 3  # the heading and two memberships


def test_a_notebook_shows_a_registry_as_the_counts_of_what_it_knows() -> None:
    """A registry's HTML view gives its events and how many blocs, states, posts and persons
    it knows, those whose creation was retracted left out."""
    reg = Registry()
    reg.register_state("S1", name="S")
    reg.register_person("p", name="P")
    reg.found("B1", name="B", on="2000-01-01")
    mistake = reg.found("B2", name="B", on="2000-01-01")
    reg.create_post("B1/chair", bloc="B1", title="Chair", on="2000-01-01")
    reg.retract(mistake.id, reason="recorded by mistake")
    assert reg._repr_html_() == (
        "<p>Registry: 6 events</p><table><tr><th>blocs</th><th>states</th><th>posts</th>"
        "<th>persons</th></tr><tr><td>1</td><td>1</td><td>1</td><td>1</td></tr></table>")



def test_a_diff_names_every_kind_of_change_and_is_false_when_nothing_changed() -> None:
    """Between two dates, a diff names the joins, exits, suspensions, reinstatements, kind
    changes and holders' changes; between two snapshots of the same answers it is empty and
    false."""
    reg = Registry()
    reg.found("B", name="B", on="1990-01-01")
    for state in ("JOINS", "LEAVES", "SUSPENDED", "REINSTATED", "CHANGES"):
        reg.register_state(state, name=state)
    for person in ("p1", "p2"):
        reg.register_person(person, name=person)
    for state in ("LEAVES", "SUSPENDED", "REINSTATED", "CHANGES"):
        reg.join(state, "B", on="1990-01-01", kind="observer" if state == "CHANGES" else "full")
    reg.suspend("REINSTATED", "B", on="1995-01-01")
    reg.create_post("B/chair", bloc="B", title="Chair", on="1990-01-01")
    reg.create_post("B/envoy", bloc="B", title="Envoy", on="1990-01-01")  # never filled
    reg.appoint("B/chair", "p1", on="1990-01-01")
    reg.join("JOINS", "B", on="2001-01-01")
    reg.withdraw("LEAVES", "B", on="2001-01-01")
    reg.suspend("SUSPENDED", "B", on="2001-01-01")
    reg.reinstate("REINSTATED", "B", on="2001-01-01")
    reg.change_kind("CHANGES", "B", kind="full", on="2001-01-01")
    reg.appoint("B/chair", "p2", on="2001-01-01")
    before, after = reg.snapshot("2000-06-01"), reg.snapshot("2002-06-01")
    change = before.diff(after)
    assert (change.joined, change.left, change.suspended, change.reinstated,
            change.kind_changed) == ({("JOINS", "B")}, {("LEAVES", "B")}, {("SUSPENDED", "B")},
                                     {("REINSTATED", "B")}, {("CHANGES", "B")})
    assert change.holders_changed == (("B/chair", ("p1",), ("p2",)),)
    assert change and not before.diff(reg.snapshot("2000-12-31"))
    assert after.diff(before).joined == {("LEAVES", "B")}


def test_questions_about_what_has_no_history_answer_no_and_unknown_ids_are_refused(
        registry: Registry) -> None:
    """A known pair with no membership is NO, a post never filled has no holders and holds
    no one; an id nothing names is refused by name; a snapshot shows its basis."""
    registry.register_person("p1", name="p1")
    registry.create_post("B/chair", bloc="B", title="Chair", on="1990-01-01")
    snap = registry.snapshot(ON)
    assert snap.truth_member("S09", "C") is Truth.NO
    assert snap.holders("B/chair") == () and snap.holder("B/chair") is None
    assert snap.truth_holds("B/chair", "p1") is Truth.NO
    assert snap.name("B/chair") == "Chair"
    with pytest.raises(UnknownIdError, match="unknown id 'NOWHERE'"):
        snap.name("NOWHERE")
    assert repr(snap) == f"<Snapshot on=2000-01-01 position={registry.position}>"


def test_a_snapshot_is_its_own_copy_and_is_refused_by_pickle_saying_what_to_send(
        registry: Registry) -> None:
    """copy and deepcopy give the snapshot itself; pickle refuses it with a TypeError that
    gives its basis, from which a registry elsewhere makes the same snapshot."""
    import copy
    import pickle

    snap = registry.snapshot(ON)
    assert copy.copy(snap) is snap and copy.deepcopy({"june": snap})["june"] is snap
    with pytest.raises(TypeError, match=r"^a Snapshot cannot be pickled: .* here on='2000-01-01', "
                                        rf"as_known_at={registry.position}$"):
        pickle.dumps(snap)
    basis = pickle.loads(pickle.dumps(snap.basis))
    again = registry.snapshot(basis.on, as_known_at=basis.position)
    assert again.members("B") == snap.members("B") == {f"S0{n}" for n in range(6)}


def test_a_registry_is_refused_by_pickle_and_copy_naming_its_open_store(registry: Registry) -> None:
    """A registry holds an open store: pickling or copying it is a TypeError saying to open
    the store again, rather than one about a lock deep inside."""
    import copy
    import pickle

    for attempt in (pickle.dumps, copy.copy, copy.deepcopy):
        with pytest.raises(TypeError, match=r"^a Registry cannot be pickled or copied: it holds an "
                                            r"open store\. Open the same store again .*Registry\.open"):
            attempt(registry)
