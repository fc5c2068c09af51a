"""The registry's commands and queries, on every embedded backend."""

from __future__ import annotations

import re
from pathlib import Path

import attrs
import pendulum
import pytest

from aes_membership import (
    AmbiguousDateError,
    BlocFounded,
    Change,
    DateError,
    DecodeError,
    DuplicateEventError,
    EventRetracted,
    FieldError,
    InvariantError,
    Period,
    PostCreated,
    Registry,
    StateJoined,
    StateRegistered,
    StateSuspended,
    Tenure,
    Truth,
    UnknownIdError,
    _pairmap,
)
from aes_membership.datasets import west_africa
from aes_membership.events import new_id
from conftest import splitting_at


def sahel(reg: Registry) -> Registry:
    for code, name in [("MLI", "Mali"), ("NER", "Niger"), ("BFA", "Burkina Faso")]:
        reg.register_state(code, name=name)
    reg.register_person("assimi-goita", name="Assimi Goïta")
    reg.register_person("ibrahim-traore", name="Ibrahim Traoré")
    reg.found("AES", name="Alliance of Sahel States", on="2023-09-16")
    reg.found("ECOWAS", name="Economic Community of West African States", on="1975-05-28")
    for code in ("MLI", "NER", "BFA"):
        reg.join(code, "AES", on="2023-09-16")
        reg.join(code, "ECOWAS", on="1975-05-28")
    reg.create_post("AES/president", bloc="AES", title="President", on="2024-07-06")
    reg.appoint("AES/president", "assimi-goita", on="2024-07-06")
    return reg


def test_intervals_are_half_open(registry: Registry) -> None:
    """A state that withdrew on D is not a member on D; it was on the day before."""
    sahel(registry)
    registry.withdraw("MLI", "ECOWAS", on="2025-01-29", announced="2024-01-28")
    assert registry.snapshot("2025-01-28").is_member("MLI", "ECOWAS")
    assert not registry.snapshot("2025-01-29").is_member("MLI", "ECOWAS")
    assert registry.periods("MLI", "ECOWAS") == [
        Period(pendulum.Date(1975, 5, 28), pendulum.Date(2025, 1, 29))
    ]


def test_single_seat_appointment_replaces_holder(registry: Registry) -> None:
    """Appointing on a single-seat post ends the sitting holder's tenure that day."""
    sahel(registry)
    registry.appoint("AES/president", "ibrahim-traore", on="2025-12-23")
    assert registry.snapshot("2025-12-22").holder("AES/president") == "assimi-goita"
    assert registry.snapshot("2025-12-23").holder("AES/president") == "ibrahim-traore"
    assert registry.tenures("AES/president") == [
        Tenure("assimi-goita", pendulum.Date(2024, 7, 6), pendulum.Date(2025, 12, 23)),
        Tenure("ibrahim-traore", pendulum.Date(2025, 12, 23), None),
    ]
    assert registry.snapshot("2024-07-05").holder("AES/president") is None


def test_leaving_vacates_the_post(registry: Registry) -> None:
    """A holder who left on D does not hold the post on D."""
    sahel(registry)
    registry.leave("AES/president", "assimi-goita", on="2025-01-01")
    assert registry.snapshot("2025-01-01").holder("AES/president") is None
    assert registry.snapshot("2024-12-31").posts_of("assimi-goita") == {"AES/president"}


def test_suspended_members_stay_members(registry: Registry) -> None:
    """Suspension keeps the state in members() and lists it in suspended()."""
    sahel(registry)
    registry.suspend("MLI", "ECOWAS", on="2021-05-30")
    snap = registry.snapshot("2022-01-01")
    assert "MLI" in snap.members("ECOWAS")
    assert snap.suspended("ECOWAS") == {"MLI"}
    registry.reinstate("MLI", "ECOWAS", on="2022-06-01")
    assert registry.snapshot("2022-06-01").suspended("ECOWAS") == frozenset()
    assert registry.suspensions("MLI", "ECOWAS") == [
        Period(pendulum.Date(2021, 5, 30), pendulum.Date(2022, 6, 1))
    ]


def test_kind_changes(registry: Registry) -> None:
    """A member's kind can change; the snapshot reports the kind in force."""
    sahel(registry)
    registry.change_kind("MLI", "AES", kind="observer", on="2025-01-01")
    assert registry.snapshot("2024-12-31").kind("MLI", "AES") == "full"
    assert registry.snapshot("2025-01-01").kind("MLI", "AES") == "observer"
    with pytest.raises(InvariantError, match="already a member of kind 'observer'"):
        registry.change_kind("MLI", "AES", kind="observer", on="2025-02-01")


def test_an_id_whose_creation_is_retracted_is_unknown_and_not_suggested(
        registry: Registry) -> None:
    """An id whose creation was retracted is unknown, says so, and is suggested for no other."""
    sahel(registry)
    founding = registry.found("G5", name="G5 Sahel", on="2014-02-16")
    registry.found("G5S", name="G5 Sahel", on="2014-02-16")
    registry.retract(founding.id, reason="recorded by mistake")
    message = r"unknown bloc 'G5' \(the event that made it was retracted\) — did you mean 'G5S'\?"
    for ask in (lambda: registry.snapshot("2020-01-01").members("G5"),
                lambda: registry.join("MLI", "G5", on="2020-01-01")):
        with pytest.raises(UnknownIdError, match=message) as caught:
            ask()
        assert caught.value.retracted and caught.value.suggestions == ("G5S",)
    with pytest.raises(UnknownIdError) as caught:
        registry.snapshot("2020-01-01").members("g5s")
    assert not caught.value.retracted and caught.value.suggestions == ("G5S",)


def test_names_change_over_time(registry: Registry) -> None:
    """A snapshot knows the name in force on its date."""
    registry.register_state("BFA", name="Upper Volta")
    registry.rename("BFA", name="Burkina Faso", on="1984-08-04")
    assert registry.snapshot("1984-08-03").name("BFA") == "Upper Volta"
    assert registry.snapshot("1984-08-04").name("BFA") == "Burkina Faso"


def test_unknown_ids_suggest_close_matches(registry: Registry) -> None:
    """An unknown id is rejected with the known ids spelt most like it."""
    sahel(registry)
    with pytest.raises(UnknownIdError, match=r"unknown state 'MIL' — did you mean 'MLI'\?") as caught:
        registry.join("MIL", "AES", on="2024-01-01")
    assert caught.value.suggestions == ("MLI",)
    with pytest.raises(UnknownIdError, match="AES/president"):
        registry.snapshot("2025-01-01").holder("AES/presidnt")


def test_is_member_tells_a_pair_without_history_from_an_unknown_id(registry: Registry) -> None:
    """A known state and bloc that never met answer False; an unknown id raises, suggesting."""
    sahel(registry)
    registry.register_state("SEN", name="Senegal")
    registry.found("G5", name="G5 Sahel", on="2014-02-16")
    snap = registry.snapshot("2025-01-01")
    assert not snap.is_member("SEN", "AES") and not snap.is_member("MLI", "G5")
    with pytest.raises(UnknownIdError, match=r"unknown state 'MIL' — did you mean 'MLI'\?"):
        snap.is_member("MIL", "AES")
    with pytest.raises(UnknownIdError, match=r"unknown bloc 'AESS' — did you mean 'AES'\?"):
        snap.is_member("MLI", "AESS")
    with pytest.raises(UnknownIdError, match=r"^unknown state 'AES' — it is the id of a bloc$"):
        snap.is_member("AES", "MLI")  # the arguments swapped
    assert registry.snapshot("2023-09-15").is_member("MLI", "ECOWAS")


def test_an_id_unknown_as_known_at_an_earlier_point_is_told_as_such(registry: Registry) -> None:
    """Asked as known at an earlier point, an unknown id is told as unknown at that position,
    and whether it was recorded after it: the history has it, the question's point does not."""
    registry.register_state("MLI", name="Mali")
    early = registry.position
    registry.register_state("SEN", name="Senegal")
    registry.found("AES", name="Alliance of Sahel States", on="2023-09-16")
    past = registry.snapshot("2024-01-01", as_known_at=early)
    with pytest.raises(UnknownIdError, match=rf"^unknown bloc 'AES' as known at position {early} "
                                             r"\(it was recorded after that\)$") as caught:
        past.members("AES")
    assert (caught.value.as_known_at, caught.value.recorded_later) == (early, True)
    with pytest.raises(UnknownIdError, match=rf"^unknown bloc 'XYZ' as known at position {early}$"):
        past.members("XYZ")
    with pytest.raises(UnknownIdError, match=r"^unknown state 'SEN' as known at position \d+ \(it "):
        registry.periods("SEN", "AES", as_known_at=early)
    with pytest.raises(UnknownIdError, match=r"^unknown bloc 'XYZ'$") as caught:
        registry.snapshot("2024-01-01", as_known_at=registry.position).members("XYZ")
    assert caught.value.as_known_at is None  # (as known now: nothing is recorded after)


def test_a_snapshot_of_an_earlier_point_does_not_keep_its_registry() -> None:
    """A snapshot as known at an earlier point, kept after its registry is let go of, does
    not keep the registry (nor its store) alive; it still tells an unknown id's position."""
    import gc
    import weakref

    registry = Registry()
    registry.register_state("MLI", name="Mali")
    registry.found("AES", name="AES", on="2023-09-16")
    past = registry.snapshot("2024-01-01", as_known_at=1)
    gone = weakref.ref(registry)
    del registry
    gc.collect()
    assert gone() is None
    with pytest.raises(UnknownIdError, match=r"^unknown bloc 'AES' as known at position 1$"):
        past.members("AES")


@pytest.mark.parametrize(("command", "message", "known_as"), [
    (lambda r: r.join("AES", "MLI", on="2024-01-01"), "unknown state 'AES' — it is the id of a bloc",
     ("bloc",)),
    (lambda r: r.appoint("AES/president", "MLI", on="2025-01-01"),
     "unknown person 'MLI' — it is the id of a state", ("state",)),
    (lambda r: r.snapshot("2025-01-01").holder("assimi-goita"),
     "unknown post 'assimi-goita' — it is the id of a person", ("person",)),
    (lambda r: r.periods("ECOWAS", "NER"), "unknown state 'ECOWAS' — it is the id of a bloc",
     ("bloc",)),
    (lambda r: r.rename("AES/president", name="Chair", on="2025-01-01"),
     "unknown state, bloc or person 'AES/president' — it is the id of a post", ("post",)),
])
def test_an_id_given_where_another_kind_is_expected_is_named_as_what_it_is(
        registry: Registry, command, message: str, known_as: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    """An id of another kind (arguments swapped, a state for a person) is refused saying
    what it is the id of, in the message and as known_as."""
    sahel(registry)
    with pytest.raises(UnknownIdError, match=f"^{message}$") as caught:
        command(registry)
    assert caught.value.known_as == known_as
    both = UnknownIdError("person", "MLI", ["MLL"], known_as=["state", "bloc"])
    assert str(both) == "unknown person 'MLI' — it is the id of a state and of a bloc; did you mean 'MLL'?"


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (lambda r: r.join("MLI", "ECOWAS", on="2000-01-01"), "already a member since 1975-05-28"),
        (lambda r: r.withdraw("MLI", "AES", on="2020-01-01"), "before the bloc was founded"),
        (lambda r: r.reinstate("MLI", "AES", on="2024-01-01"), "not suspended"),
        (lambda r: r.join("MLI", "AES", on="1990-01-01"), "before the bloc was founded"),
        (lambda r: r.appoint("AES/president", "assimi-goita", on="2025-01-01"), "already holds"),
        (lambda r: r.leave("AES/president", "ibrahim-traore", on="2025-01-01"), "does not hold"),
        (lambda r: r.appoint("AES/president", "ibrahim-traore", on="2024-01-01"),
         "before the post was created"),
        (lambda r: r.found("AES", name="again", on="2024-01-01"), "already founded"),
    ],
)
def test_invariants_reject_with_clear_errors(registry: Registry, command, message: str) -> None:  # type: ignore[no-untyped-def]
    """Events that break an invariant are rejected with a message saying why."""
    sahel(registry)
    before = registry.position
    with pytest.raises(InvariantError, match=message):
        command(registry)
    assert registry.position == before
    assert registry.store.last_position() == before


def test_membership_invariants_reject_with_clear_errors(registry: Registry) -> None:
    """A second suspension, a membership that would end on its first day, and a join after
    the bloc's dissolution are each refused with a message saying why, and nothing is stored."""
    sahel(registry)
    registry.suspend("MLI", "ECOWAS", on="2021-06-01")
    registry.found("G5", name="G5 Sahel", on="2014-02-16")
    registry.dissolve("G5", on="2025-01-01")
    before = registry.position
    refused = [
        (lambda: registry.suspend("MLI", "ECOWAS", on="2022-01-10"),
         "already suspended since 2021-06-01"),
        (lambda: registry.withdraw("NER", "AES", on="2023-09-16"),
         "the membership would end on the day it begins"),
        (lambda: registry.join("BFA", "G5", on="2025-06-01"), "the bloc was dissolved on 2025-01-01"),
    ]
    for command, message in refused:
        with pytest.raises(InvariantError, match=message):
            command()
        assert registry.position == registry.store.last_position() == before


def test_post_invariants_reject_with_clear_errors(registry: Registry) -> None:
    """Appointments and departures that do not fit a post's life, its seats or its bloc's
    are each refused with a message saying why, and nothing is stored."""
    sahel(registry)
    founding = registry.found("LGA", name="Liptako-Gourma Authority", on="1970-12-03")
    registry.create_post("LGA/director", bloc="LGA", title="Director General", on="1971-01-01")
    registry.register_person("abdourahamane-tiani", name="Abdourahamane Tiani")
    registry.create_post("AES/council", bloc="AES", title="Council", seats=2, on="2024-07-06")
    registry.appoint("AES/council", "assimi-goita", on="2024-07-06")
    registry.appoint("AES/council", "ibrahim-traore", on="2024-07-06")
    envoy = registry.create_post("AES/envoy", bloc="AES", title="Envoy", on="2024-01-01")
    registry.abolish_post("AES/envoy", on="2025-01-01")
    registry.found("G5", name="G5 Sahel", on="2014-02-16")
    registry.create_post("G5/secretary", bloc="G5", title="Executive Secretary", on="2014-02-16")
    registry.dissolve("G5", on="2025-01-01")
    before = registry.position
    refused = [
        (lambda: registry.leave("AES/president", "assimi-goita", on="2024-07-06"),
         "the tenure would end on the day it begins"),
        (lambda: registry.appoint("AES/council", "abdourahamane-tiani", on="2025-01-01"),
         "all 2 seats of the post are taken"),
        (lambda: registry.abolish_post("AES/president", on="2024-01-01"),
         "post 'AES/president' would end before it begins"),
        (lambda: registry.create_post("AES/treasurer", bloc="AES", title="Treasurer",
                                      on="2020-01-01"),
         "the post is created before its bloc was founded"),
        (lambda: registry.appoint("AES/envoy", "assimi-goita", on="2025-06-01"),
         "the post was abolished on 2025-01-01"),
        (lambda: registry.appoint("G5/secretary", "assimi-goita", on="2025-06-01"),
         "the post was dissolved with its bloc on 2025-01-01"),
        (lambda: registry.create_post("G5/envoy", bloc="G5", title="Envoy", on="2025-06-01"),
         "the post would be created after its bloc was dissolved on 2025-01-01"),
        (lambda: registry.correct(envoy.id, on="2025-06-01", reason="a later date"),
         "post 'AES/envoy' would end before it begins"),
        # A bloc's founding moved after its posts were created breaks them.
        (lambda: registry.correct(founding.id, on="1972-01-01", reason="a later date"),
         "the post is created before its bloc was founded"),
    ]
    for command, message in refused:
        with pytest.raises(InvariantError, match=message):
            command()
        assert registry.position == registry.store.last_position() == before


def test_lifecycle_invariants_reject_with_clear_errors(registry: Registry) -> None:
    """A second dissolution, a rename after the end or before the founding, and a
    dissolution on the day a state joined are each refused with a message saying why."""
    sahel(registry)
    registry.found("G5", name="G5 Sahel", on="2014-02-16")
    registry.dissolve("G5", on="2025-01-01")
    registry.found("LGA", name="Liptako-Gourma Authority", on="1970-12-03")
    registry.join("NER", "LGA", on="2024-01-01")
    before = registry.position
    refused = [
        (lambda: registry.dissolve("G5", on="2025-06-01"), "bloc 'G5' already ended"),
        (lambda: registry.rename("G5", name="G5", on="2025-06-01"),
         "bloc 'G5' is renamed after it ended"),
        (lambda: registry.rename("G5", name="G5", on="2010-01-01"),
         "bloc 'G5' is renamed before it was founded"),
        (lambda: registry.dissolve("LGA", on="2024-01-01"),
         "the membership would end on the day it begins"),
    ]
    for command, message in refused:
        with pytest.raises(InvariantError, match=message):
            command()
        assert registry.position == registry.store.last_position() == before


def test_retroactive_event_naming_the_later_event_it_breaks(registry: Registry) -> None:
    """A retroactive withdrawal that would invalidate a later suspension names that event."""
    sahel(registry)
    suspension = registry.suspend("MLI", "ECOWAS", on="2021-05-30")
    with pytest.raises(InvariantError) as caught:
        registry.withdraw("MLI", "ECOWAS", on="2000-01-01")
    assert caught.value.conflicting == suspension
    assert str(suspension.id) in str(caught.value)


def test_dissolution_ends_memberships_and_tenures(registry: Registry) -> None:
    """Dissolving a bloc ends its memberships and its posts' tenures that day."""
    sahel(registry)
    registry.dissolve("AES", on="2030-01-01")
    snap = registry.snapshot("2030-01-01")
    assert snap.members("AES") == frozenset()
    assert snap.holder("AES/president") is None
    assert registry.periods("MLI", "AES")[0].end == pendulum.Date(2030, 1, 1)
    assert "AES" not in snap.blocs()
    with pytest.raises(InvariantError, match="dissolved"):
        registry.join("MLI", "AES", on="2031-01-01")


def test_dissolution_before_recorded_events_is_rejected(registry: Registry) -> None:
    """A dissolution dated before recorded membership events is rejected."""
    sahel(registry)
    registry.suspend("NER", "AES", on="2025-01-01")
    with pytest.raises(InvariantError, match="would invalidate"):
        registry.dissolve("AES", on="2024-01-01")


def test_same_day_events_apply_in_recorded_order(registry: Registry) -> None:
    """Two events on one date apply in the order they were recorded."""
    sahel(registry)
    registry.suspend("MLI", "AES", on="2025-03-01")
    registry.reinstate("MLI", "AES", on="2025-03-01")
    assert not registry.snapshot("2025-03-01").is_suspended("MLI", "AES")


def test_idempotent_ids(registry: Registry) -> None:
    """Recording the same event twice stores it once; reusing its id otherwise is an error."""
    sahel(registry)
    event = StateJoined(state="MLI", bloc="AES", on="2030-01-01")
    registry.withdraw("MLI", "AES", on="2029-01-01")
    registry.record(event)
    position = registry.position
    registry.record(event)
    assert registry.position == position
    with pytest.raises(DuplicateEventError, match=f"^event id {event.id} is already recorded "
                                                  "with different content") as caught:
        registry.record(StateJoined(id=event.id, state="NER", bloc="AES", on="2030-01-01"))
    assert caught.value.event_id == event.id and not caught.value.in_batch


def test_a_batch_of_recorded_and_new_events_appends_only_the_new(registry: Registry) -> None:
    """Recorded events in a batch, live or retracted, are skipped; the new ones, given twice,
    are appended once each in the batch's order."""
    sahel(registry)
    registry.found("G5", name="G5 Sahel", on="2014-02-16")
    wrong = registry.join("MLI", "G5", on="2014-02-17")
    retraction = registry.retract(wrong.id, reason="the convention was signed on the 16th")
    live = registry.join("NER", "G5", on="2014-02-16")
    before = registry.position
    new = StateJoined(state="BFA", bloc="G5", on="2014-02-16")
    registry.record(wrong, new, live, retraction, new)
    assert registry.position == before + 1
    assert registry.get(new.id).position == before + 1
    assert registry.get(wrong.id).position < registry.get(retraction.id).position < before
    with pytest.raises(DuplicateEventError):
        registry.record(StateJoined(id=retraction.id, state="BFA", bloc="AES",
                                    on="2030-01-01"))


def test_a_first_batch_keeps_an_event_given_twice_once_and_refuses_a_reused_id(
        registry: Registry) -> None:
    """On a store with nothing recorded, an event given twice in the first batch is appended
    once, and an id given to two different events refuses the whole batch."""
    mali = StateRegistered(state="MLI", name="Mali")
    registry.record(mali, StateRegistered(state="NER", name="Niger"), mali)
    assert registry.position == 2
    other = Registry()
    with pytest.raises(DuplicateEventError, match=f"^event id {mali.id} is given twice in one "
                                                  "batch with different content") as caught:
        other.record(mali, StateRegistered(id=mali.id, state="BFA", name="Burkina Faso"))
    assert caught.value.in_batch
    assert other.position == 0


def test_a_first_batch_keeps_repeated_events_of_every_kind_once(registry: Registry) -> None:
    """A first batch that repeats a membership event and a retraction records each once, and
    one that repeats nothing but breaks a rule is refused for that rule."""
    mali = StateRegistered(state="MLI", name="Mali")
    aes = BlocFounded(bloc="AES", name="Alliance of Sahel States", on="2023-09-16")
    joined = StateJoined(state="MLI", bloc="AES", on="2023-09-16")
    typo = StateJoined(state="MLI", bloc="AES", on="2023-09-17", kind="observer")
    retraction = EventRetracted(target=typo.id, reason="a typo")
    registry.record(mali, aes, joined, joined, typo, retraction, retraction, mali)
    assert [r.event for r in registry.events()] == [mali, aes, joined, typo, retraction]
    assert registry.periods("MLI", "AES") == [Period(pendulum.Date(2023, 9, 16), None)]
    other = Registry()
    with pytest.raises(InvariantError, match="already a member"):
        other.record(mali, aes, joined, StateJoined(state="MLI", bloc="AES", on="2024-01-01"))
    with pytest.raises(InvariantError, match="already a member"):  # the repeat taken out first
        other.record(mali, aes, joined, joined, StateJoined(state="MLI", bloc="AES", on="2024-01-01"))
    assert other.position == 0


def test_batch_is_all_or_nothing(registry: Registry) -> None:
    """A batch with one invalid event records none of its events."""
    sahel(registry)
    before = registry.position
    good = StateJoined(state="MLI", bloc="AES", on="2030-01-01")
    with pytest.raises(InvariantError):
        registry.record(good, StateJoined(state="NER", bloc="AES", on="2030-01-01"))
    assert registry.position == before


def test_a_batch_checks_the_ids_each_event_names_unless_the_batch_retracts_it(
    registry: Registry,
) -> None:
    """An event the same batch retracts is not held to the ids it names; every other one is,
    though it names what the retracted one named."""
    sahel(registry)
    stray = StateJoined(state="GIN", bloc="AES", on="2030-01-01")
    registry.record(stray, EventRetracted(target=stray.id, reason="Guinea is not registered"))
    assert registry.is_retracted(stray.id)
    before = registry.position
    again = StateJoined(state="GIN", bloc="AES", on="2031-01-01")
    with pytest.raises(UnknownIdError, match="unknown state 'GIN'"):
        registry.record(again, StateJoined(state="GIN", bloc="AES", on="2030-01-01"),
                        EventRetracted(target=again.id, reason="the first of two"))
    assert registry.position == before


@pytest.mark.parametrize("membership_first", [True, False])
def test_a_batch_names_the_first_unknown_id_in_its_order(registry: Registry,
                                                         membership_first: bool) -> None:
    """Of two unknown ids in one batch, the error names the one its earlier event names."""
    sahel(registry)
    joined = StateJoined(state="GIN", bloc="AES", on="2030-01-01")
    created = PostCreated(post="XYZ/chair", title="Chair", bloc="XYZ", on="2030-01-01")
    batch = [joined, created] if membership_first else [created, joined]
    with pytest.raises(UnknownIdError, match="unknown state 'GIN'" if membership_first
                       else "unknown bloc 'XYZ'"):
        registry.record(*batch)


def test_an_event_that_does_not_fit_stays_findable_after_a_replay(registry: Registry) -> None:
    """An event another writer stored that does not fit (a join before the bloc was founded)
    is kept by the replay: found at its position, changing no answer, a no-op to record again."""
    sahel(registry)
    misfit = StateJoined(state="MLI", bloc="AES", on="2020-01-01")
    registry.store.append([misfit], expected_position=registry.position)
    assert registry.refresh() == 1
    assert registry.get(misfit.id).position == registry.position
    assert not registry.is_retracted(misfit.id)
    assert not registry.snapshot("2021-01-01").is_member("MLI", "AES")
    before = registry.position
    registry.record(misfit)
    assert registry.position == before


def test_every_command_keeps_source_and_note(registry: Registry) -> None:
    """Commands record source and note with the event, and return it."""
    registry.register_state("MLI", name="Mali", source="ISO 3166-1", note="n")
    bloc = registry.found("AES", name="AES", on="2023-09-16", source="Liptako-Gourma Charter")
    assert bloc.source == "Liptako-Gourma Charter"
    assert registry.events()[-1].event == bloc
    assert registry.history("MLI")[0].note == "n"


def test_events_envelope(registry: Registry) -> None:
    """events() lists every event with its position and UTC recorded instant."""
    sahel(registry)
    recorded = registry.events()
    assert [r.position for r in recorded] == list(range(1, len(recorded) + 1))
    assert all(r.recorded_at.timezone_name == "UTC" for r in recorded)


def test_multi_seat_posts(registry: Registry) -> None:
    """A post with several seats holds several people and refuses one more."""
    sahel(registry)
    registry.register_person("a", name="A")
    registry.create_post("AES/commission", bloc="AES", title="Commission", seats=2, on="2024-01-01")
    registry.appoint("AES/commission", "a", on="2024-02-01")
    registry.appoint("AES/commission", "assimi-goita", on="2024-02-01")
    assert registry.snapshot("2024-03-01").holders("AES/commission") == ("a", "assimi-goita")
    with pytest.raises(InvariantError, match="all 2 seats"):
        registry.appoint("AES/commission", "ibrahim-traore", on="2024-03-01")


def test_certain_and_possible_members_bound_the_members_of_a_partial_date(registry: Registry) -> None:
    """A join on an exact date is certain, one known to the year only possible, inside it."""
    sahel(registry)
    registry.register_state("CPV", name="Cape Verde")
    registry.join("CPV", "ECOWAS", on="1977")
    snap = registry.snapshot("1977-03-01")
    assert snap.members_certain("ECOWAS") == {"MLI", "NER", "BFA"}
    assert snap.members_possible("ECOWAS") == {"MLI", "NER", "BFA", "CPV"}
    assert snap.members_certain("AES") == snap.members_possible("AES") == frozenset()


def test_partial_dates_and_three_valued_answers(registry: Registry) -> None:
    """A join known only to the year is UNKNOWN inside that year and YES after it."""
    registry.register_state("CPV", name="Cape Verde")
    registry.found("ECOWAS", name="ECOWAS", on="1975-05-28")
    registry.join("CPV", "ECOWAS", on="1977")
    assert registry.snapshot("1977-03-01").truth_member("CPV", "ECOWAS") is Truth.UNKNOWN
    assert registry.snapshot("1978-01-01").truth_member("CPV", "ECOWAS") is Truth.YES
    assert registry.snapshot("1976-12-31").truth_member("CPV", "ECOWAS") is Truth.NO
    snap = registry.snapshot("1977-03-01")
    assert snap.members("ECOWAS") == {"CPV"}  # boolean rule: a partial date counts from its first day
    assert snap.members_certain("ECOWAS") == frozenset()
    assert snap.members_possible("ECOWAS") == {"CPV"}
    with pytest.raises(TypeError, match="ambiguous"):
        bool(snap.truth_member("CPV", "ECOWAS"))


def test_partial_date_ordering_rules(registry: Registry) -> None:
    """Nested partial dates that share an end are ordered; strictly nested ones are ambiguous."""
    registry.register_state("MRT", name="Mauritania")
    registry.found("X", name="X", on="1990-01-01")
    registry.join("MRT", "X", on="2000")
    registry.withdraw("MRT", "X", on="2000-12")  # accepted: the withdrawal can follow the join
    registry.register_state("SEN", name="Senegal")
    registry.join("SEN", "X", on="1995-01-01")
    registry.withdraw("SEN", "X", on="2000")
    before = registry.position
    with pytest.raises(AmbiguousDateError, match="cannot be known"):
        registry.join("SEN", "X", on="2000-06-01")
    assert registry.position == before


def test_ambiguous_dates_can_be_allowed() -> None:
    """With ambiguous='allow' nested partial dates are ordered by their first day."""
    reg = Registry(ambiguous="allow")
    reg.register_state("SEN", name="Senegal")
    reg.found("X", name="X", on="1990-01-01")
    reg.join("SEN", "X", on="1995-01-01")
    reg.withdraw("SEN", "X", on="2000")
    reg.join("SEN", "X", on="2000-06-01")
    assert reg.snapshot("2000-07-01").is_member("SEN", "X")


def test_bundled_history_facts(wa: Registry) -> None:
    """The bundled West Africa history answers the reference questions."""
    june = wa.snapshot("2024-06-01")
    assert len(june.members("ECOWAS")) == 15
    assert june.suspended("ECOWAS") == {"MLI", "BFA", "NER", "GIN"}
    assert len(wa.snapshot("2025-02-01").members("ECOWAS")) == 12
    assert wa.snapshot("2025-01-01").holder("AES/president") == "assimi-goita"
    assert wa.snapshot("2026-01-01").holder("AES/president") == "ibrahim-traore"
    assert len(wa.snapshot("2026-01-01").members("WAEMU")) == 8
    assert wa.snapshot("1980-01-01").name("BFA") == "Upper Volta"
    assert all(r.event.source for r in wa.events())


def test_bundled_history_records_late_facts_late(wa: Registry) -> None:
    """Burkina Faso's G5 Sahel withdrawal is only known from its announcement on 2023-12-02."""
    assert wa.snapshot("2023-11-30", as_known_at="2023-12-01T00:00:00Z").is_member("BFA", "G5S")
    assert not wa.snapshot("2023-11-30", as_known_at="2023-12-03T00:00:00Z").is_member("BFA", "G5S")
    assert wa.snapshot("1977-06-01").truth_member("CPV", "ECOWAS") is Truth.UNKNOWN
    assert wa.snapshot("2000-12-15").truth_member("MRT", "ECOWAS") is Truth.UNKNOWN
    assert wa.snapshot("2001-01-01").truth_member("MRT", "ECOWAS") is Truth.NO


def test_bundled_history_loads_only_into_a_registry() -> None:
    """Something other than a registry given to load the bundled history into is a TypeError
    that names it."""
    with pytest.raises(TypeError, match="west_africa\\(\\) loads into a Registry, got int 5"):
        west_africa(5)  # type: ignore[arg-type]


def test_the_bundled_history_loads_now_into_a_registry_that_has_moved_on() -> None:
    """Into a registry with later events the bundled history, which keeps its instants, is
    refused naming its first line and recorded_at="now"; with recorded_at="now" it loads."""
    registry = Registry()
    registry.register_state("XYZ", name="Somewhere")
    with pytest.raises(DecodeError, match=r"^line 1: recorded_at .*recorded_at='now'"):
        west_africa(registry)
    assert registry.position == 1
    west_africa(registry, recorded_at="now")
    assert registry.snapshot("2024-06-01").members("AES") == {"BFA", "MLI", "NER"}
    assert registry.position == west_africa().position + 1
    with pytest.raises(FieldError, match="recorded_at: expected 'keep' or 'now', got 'later'"):
        west_africa(registry, recorded_at="later")  # type: ignore[arg-type]


def test_retracted_and_retracting_events_keep_their_positions(registry: Registry) -> None:
    """get() finds a retracted event and its retraction at their positions; recording either
    again is an idempotent no-op; a correction's replacement is found too."""
    registry.register_state("MLI", name="Mali")
    registry.found("AES", name="AES", on="2023-09-16")
    wrong = registry.join("MLI", "AES", on="2023-09-17")
    retraction = registry.retract(wrong.id, reason="the charter was signed on the 16th")
    assert registry.get(wrong.id).position == 3
    assert registry.get(retraction.id).position == 4
    assert registry.is_retracted(wrong.id)
    before = registry.position
    registry.record(wrong, retraction)  # the same ids, the same content: nothing new
    assert registry.position == before
    again = registry.join("MLI", "AES", on="2023-09-16")
    fixed = registry.correct(again.id, reason="a later day after all", on="2023-09-18")
    assert registry.get(again.id).position == 5
    assert registry.get(fixed.id).position > 5
    assert registry.periods("MLI", "AES")[0].start.isoformat() == "2023-09-18"


def test_a_second_correction_of_one_event_points_to_its_replacement(registry: Registry) -> None:
    """Correcting or retracting an event already corrected is refused naming the event that
    replaced it; one merely retracted is refused without such a pointer; nothing is recorded."""
    sahel(registry)
    registry.register_state("SEN", name="Senegal")
    joined = registry.join("SEN", "AES", on="2023-09-17")
    fixed = registry.correct(joined.id, reason="a day late", on="2023-09-16")
    before = registry.position
    for attempt in (lambda: registry.correct(joined.id, reason="again", on="2023-09-15"),
                    lambda: registry.retract(joined.id, reason="again")):
        with pytest.raises(InvariantError) as caught:
            attempt()
        assert str(caught.value).split(": ", 1)[1].startswith(
            f"event {joined.id} is already retracted; it was replaced by {fixed.id}: correct "
            "or retract that event instead (conflicts with event-retracted")
    dropped = registry.join("SEN", "ECOWAS", on="1975-05-28")
    registry.retract(dropped.id, reason="never joined")
    with pytest.raises(InvariantError, match=rf": event {dropped.id} is already retracted "
                                             r"\(conflicts with"):
        registry.retract(dropped.id, reason="again")
    assert registry.position == before + 2


def test_a_correction_that_cannot_be_made_says_why_and_records_nothing(registry: Registry) -> None:
    """correct() refuses unknown fields, bad values, no change, two kinds of change, a retraction."""
    sahel(registry)
    registry.register_state("SEN", name="Senegal")
    joined = registry.join("SEN", "AES", on="2023-09-17", source="a charter")
    retraction = registry.retract(joined.id, reason="wrong day")
    again = registry.join("SEN", "AES", on="2023-09-16")
    before = registry.position
    with pytest.raises(FieldError, match=r"changes: expected fields of state-joined \(") as caught:
        registry.correct(again.id, reason="r", day="2023-09-18")
    assert caught.value.value == ["day"] and "on" in caught.value.expected
    with pytest.raises(FieldError, match="kind: expected one of full"):
        registry.correct(again.id, reason="r", kind="member")
    with pytest.raises(FieldError, match="a replacement event or fields to change"):
        registry.correct(again.id, reason="r")
    replacement = StateJoined(state="SEN", bloc="AES", on="2023-09-18")
    with pytest.raises(FieldError, match="changes: expected none when a replacement"):
        registry.correct(again.id, replacement, reason="r", on="2023-09-18")
    with pytest.raises(InvariantError, match=r"^a retraction cannot be corrected; record the "
                                             r"event again instead \(conflicts with event-retracted"
                       ) as caught:
        registry.correct(retraction.id, reason="r", reason_text="x")
    assert caught.value.conflicting == retraction and caught.value.event is None
    assert registry.position == before


def test_a_correction_must_change_something_and_replace_with_a_new_event(
        registry: Registry) -> None:
    """correct() refuses a replacement that changes nothing, is recorded already (the event
    itself among them), is a retraction or is no event; nothing is recorded."""
    sahel(registry)
    registry.register_state("SEN", name="Senegal")
    joined = registry.join("SEN", "AES", on="2023-09-16", source="a charter")
    other = registry.register_state("CIV", name="Côte d'Ivoire")
    before = registry.position
    with pytest.raises(FieldError, match=r"^changes: expected at least one value that differs "
                                         r"from the recorded state-joined's, got \{'on': "):
        registry.correct(joined.id, reason="r", on="2023-09-16")
    with pytest.raises(FieldError, match=r"^replacement: expected an event that differs from the "
                                         r"one it corrects, not only in its id, got StateJoined"):
        registry.correct(joined.id, attrs.evolve(joined, id=new_id()), reason="r")
    for recorded in (joined, other):
        with pytest.raises(FieldError, match="^replacement: expected an event not recorded yet, "
                                             f"under a new id, got the recorded event {recorded.id}$"):
            registry.correct(joined.id, recorded, reason="r")
    with pytest.raises(FieldError, match=r"^replacement: expected an event that is not a retraction"):
        registry.correct(joined.id, EventRetracted(target=joined.id, reason="x"), reason="r")
    with pytest.raises(TypeError, match=r"^correct\(\) takes an event as its replacement, got str"):
        registry.correct(joined.id, "2023-09-18", reason="r")  # type: ignore[arg-type]
    assert registry.position == before
    sourced = registry.correct(joined.id, reason="cited", on="2023-09-16", source="the treaty")
    assert sourced.source == "the treaty" and registry.is_retracted(joined.id)


def test_a_retraction_cannot_itself_be_retracted(registry: Registry) -> None:
    """Retracting a retraction, by retract() or a recorded event, says so and how to restore
    the event, rather than calling the retraction an unknown event; nothing is recorded."""
    sahel(registry)
    registry.register_state("SEN", name="Senegal")
    joined = registry.join("SEN", "AES", on="2023-09-17")
    retraction = registry.retract(joined.id, reason="never happened")
    before = registry.position
    with pytest.raises(InvariantError, match=r"\]: a retraction cannot itself be retracted; record "
                                             "the retracted event again, under a new id") as caught:
        registry.retract(retraction.id, reason="it did happen")
    assert isinstance(caught.value.event, EventRetracted)
    assert caught.value.event.target == retraction.id
    assert caught.value.conflicting == retraction
    with pytest.raises(InvariantError, match="a retraction cannot itself be retracted"):
        registry.record(EventRetracted(target=retraction.id, reason="it did happen"))
    assert registry.position == before


def test_a_recorded_retraction_links_only_to_an_event_of_the_log(registry: Registry) -> None:
    """A retraction's replacement must be another event, recorded before it or in its batch,
    and no retraction; a chain of corrections read back as one batch keeps its links."""
    sahel(registry)
    registry.register_state("SEN", name="Senegal")
    joined = registry.join("SEN", "AES", on="2023-09-16")
    later = StateJoined(state="SEN", bloc="AES", on="2023-09-18")
    before = registry.position
    with pytest.raises(InvariantError, match=r"\]: an event cannot be its own replacement$"):
        registry.record(EventRetracted(target=joined.id, reason="r", replacement=joined.id))
    with pytest.raises(InvariantError, match=f"its replacement {later.id} is not an event "
                                             "recorded before it or in its batch$"):
        registry.record(EventRetracted(target=joined.id, reason="r", replacement=later.id))
    extra = registry.register_state("CIV", name="Côte d'Ivoire")
    gone = registry.retract(extra.id, reason="not in this history")
    before = registry.position
    with pytest.raises(InvariantError, match="its replacement is a retraction, which cannot take "
                                             "an event's place") as caught:
        registry.record(EventRetracted(target=joined.id, reason="r", replacement=gone.id))
    assert caught.value.conflicting == gone
    assert registry.position == before
    registry.record(EventRetracted(target=joined.id, reason="r", replacement=later.id), later)
    fixed = registry.correct(later.id, reason="the 17th", on="2023-09-17")
    copy = Registry()
    copy.record(*(recorded.event for recorded in registry.events()))
    assert copy.periods("SEN", "AES")[0].start == fixed.on


def test_a_correction_gets_a_time_ordered_id(registry: Registry) -> None:
    """The replacement made from changed fields gets a new id of the library's kind (version 7)."""
    sahel(registry)
    registry.register_state("SEN", name="Senegal")
    joined = registry.join("SEN", "AES", on="2023-09-17")
    fixed = registry.correct(joined.id, reason="the 16th", on="2023-09-16")
    assert fixed.id != joined.id and fixed.id.version == 7


@pytest.mark.parametrize("ident", [432, None, 4.32])
def test_an_id_that_is_not_text_is_a_field_error(registry: Registry, ident: object) -> None:
    """Queries given an id that is not text at all name the argument, not a missing id."""
    sahel(registry)
    snap = registry.snapshot("2025-01-01")
    asks = [
        ("state", lambda: snap.is_member(ident, "AES")),  # type: ignore[arg-type]
        ("bloc", lambda: snap.is_member("MLI", ident)),  # type: ignore[arg-type]
        ("bloc", lambda: snap.members(ident)),  # type: ignore[arg-type]
        ("post", lambda: snap.holder(ident)),  # type: ignore[arg-type]
        ("id", lambda: snap.name(ident)),  # type: ignore[arg-type]
        ("id", lambda: registry.history(ident)),  # type: ignore[arg-type]
        ("state, bloc or person", lambda: registry.rename(ident, name="x", on="2025-01-01")),  # type: ignore[arg-type]
    ]
    for field, ask in asks:
        with pytest.raises(FieldError) as caught:
            ask()
        assert str(caught.value) == f"{field}: expected an id (text), got {ident!r}"


def test_an_event_id_that_is_not_a_uuid_is_a_field_error(registry: Registry) -> None:
    """get(), retract() and correct() name a malformed event id; a well-formed unknown one is unknown."""
    sahel(registry)
    for ask in (registry.get, lambda i: registry.retract(i, reason="r"),
                lambda i: registry.correct(i, reason="r", on="2024-01-01")):
        with pytest.raises(FieldError, match="event_id: expected an event id \\(a UUID\\), got 'xyz'"):
            ask("xyz")
    with pytest.raises(UnknownIdError, match="unknown event '00000000-0000-7000-8000-000000000000'"):
        registry.get("00000000-0000-7000-8000-000000000000")


def test_a_diff_with_something_else_than_a_snapshot_is_a_type_error(registry: Registry) -> None:
    """diff() compares two snapshots, and says so when given a date."""
    sahel(registry)
    with pytest.raises(TypeError, match="diff\\(\\) takes a Snapshot, got str '2023-01-01'"):
        registry.snapshot("2024-01-01").diff("2023-01-01")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"got int <a whole number of 16610 bits>$"):
        registry.snapshot("2024-01-01").diff(10**5000)  # type: ignore[arg-type]


class _Position:
    """A whole number of another type than int, as NumPy's are (a position from a frame)."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


@pytest.mark.parametrize("bad", [-1, "3", 2.0, True, None, 10_000])
@pytest.mark.parametrize("field", ["after", "position"])
def test_a_position_that_is_not_one_of_the_log_is_a_field_error(
        registry: Registry, bad: object, field: str) -> None:
    """events(after=…) and recorded_at(…) take a position from 0 to the last, and name the
    range rather than slicing from the end or failing deep."""
    sahel(registry)
    last = registry.position
    asked = ((lambda value: registry.events(after=value)) if field == "after"
             else registry.recorded_at)
    with pytest.raises(FieldError, match=f"^{field}: expected a log position from 0 to {last}, "
                                         f"got {re.escape(repr(bad))}$") as caught:
        asked(bad)
    assert caught.value.value == bad


def test_a_number_too_large_to_write_is_refused_by_its_size(registry: Registry) -> None:
    """A whole number of thousands of digits, which Python will not write as text, is refused
    with the library's error naming its size, wherever it is given, rather than a ValueError
    raised while writing the message."""
    sahel(registry)
    huge = 10**5000
    shown = "<a whole number of 16610 bits>"
    for ask in (lambda: registry.events(after=huge), lambda: registry.snapshot(huge),
                lambda: registry.snapshot("2024-01-01").members(huge),
                lambda: registry.create_post("AES/x", bloc="AES", title="X", on="2024-01-01", seats=huge)):
        with pytest.raises(FieldError, match=f"got {re.escape(shown)}$|invalid date {re.escape(shown)}"):
            ask()
    for misuse in (lambda: Registry(huge), lambda: registry.record(huge)):  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=f"got int {re.escape(shown)}"):
            misuse()


def test_a_position_of_another_integer_type_is_taken(registry: Registry) -> None:
    """A whole number of another type (NumPy's) stands for its position everywhere."""
    sahel(registry)
    last = registry.position
    assert registry.events(after=_Position(last - 2)) == registry.events(after=last - 2)
    assert len(registry.events(after=_Position(last - 2))) == 2
    assert registry.recorded_at(_Position(last)) == registry.recorded_at(last) is not None
    assert registry.recorded_at(_Position(0)) is None
    snap = registry.snapshot("2024-01-01", as_known_at=_Position(1))  # type: ignore[arg-type]
    assert snap.basis.position == 1 and type(snap.basis.position) is int


@pytest.mark.parametrize(("bad", "expected"), [
    (-1, "a log position from 0 to"), (10_000, "a log position from 0 to"),
    (2.5, "an instant, ISO instant text or log position"),
    (True, "an instant, ISO instant text or log position"),
])
def test_an_as_known_at_that_is_no_point_of_the_log_is_a_field_error(
        registry: Registry, bad: object, expected: str) -> None:
    """as_known_at outside the log, or of no usable kind, names the range or the forms."""
    sahel(registry)
    with pytest.raises(FieldError, match=f"as_known_at: expected {expected}"):
        registry.snapshot("2024-01-01", as_known_at=bad)  # type: ignore[arg-type]


def test_a_name_asked_for_a_kind_there_is_not_is_a_field_error(registry: Registry) -> None:
    """Snapshot.name(kind=…) takes state, bloc, person or post."""
    sahel(registry)
    snap = registry.snapshot("2024-01-01")
    assert snap.name("MLI", kind="state") == "Mali"
    with pytest.raises(FieldError, match="kind: expected state, bloc, person or post, got 'country'"):
        snap.name("MLI", kind="country")


@pytest.mark.parametrize("retries", [0, -1, 2.0, "8", None])
def test_a_number_of_retries_that_is_not_a_whole_number_from_1_is_refused(retries: object) -> None:
    """max_retries must let a batch be tried at least once."""
    with pytest.raises(FieldError, match="max_retries: expected a whole number ≥ 1"):
        Registry(max_retries=retries)  # type: ignore[arg-type]
    with pytest.raises(FieldError, match="max_retries: expected a whole number ≥ 1"):
        Registry.open(":memory:", max_retries=retries)
    assert Registry(max_retries=1).record() == []


def test_a_registry_over_something_that_is_not_a_store_is_a_type_error() -> None:
    """Registry(store) takes a store, and says so when given something else; given a path or
    a connection string, it points to Registry.open and does not echo it (a password)."""
    with pytest.raises(TypeError, match=r"store: expected a Store .*, got int 5$"):
        Registry(5)  # type: ignore[arg-type]
    for target in ("file.sqlite", Path("file.sqlite"), "postgresql://u:secret@h/m"):
        with pytest.raises(TypeError) as caught:
            Registry(target)  # type: ignore[arg-type]
        assert str(caught.value) == (
            f"store: expected a Store (see aes_membership.stores), got "
            f"{type(target).__name__}: to open a file or a connection string, use "
            f"Registry.open(target)")


@pytest.mark.parametrize(("options", "message"), [
    ({"poll": 0}, "poll: expected a number > 0, got 0"),
    ({"poll": "1"}, "poll: expected a number > 0, got '1'"),
    ({"timeout": -1}, "timeout: expected a number ≥ 0, got -1"),
])
def test_follow_refuses_a_poll_or_timeout_that_is_no_time_when_called(
        registry: Registry, options: dict[str, object], message: str) -> None:
    """follow() checks its times when it is called, not when it is first iterated."""
    with pytest.raises(FieldError, match=message):
        registry.follow(**options)  # type: ignore[arg-type]


def test_a_list_given_to_record_says_how_to_record_it(registry: Registry) -> None:
    """record() takes events as arguments; a list of them gets a hint to unpack it."""
    from aes_membership import StateRegistered

    events = [StateRegistered(state="MLI", name="Mali")]
    with pytest.raises(TypeError, match=r"unpack it: record\(\*events\)"):
        registry.record(events)  # type: ignore[arg-type]
    assert registry.position == 0


def test_the_last_impact_is_that_of_the_last_call(registry: Registry) -> None:
    """A call that records nothing new changes no answer, so its impact is empty."""
    sahel(registry)
    registry.register_state("SEN", name="Senegal")
    joined = registry.join("SEN", "ECOWAS", on="1975-05-28")
    assert registry.last_impact.blocs == {"ECOWAS"}
    registry.record(joined)  # an idempotent retry
    assert not registry.last_impact
    registry.withdraw("SEN", "ECOWAS", on="2000-01-01")
    registry.record()
    assert not registry.last_impact


def test_a_bloc_dissolved_changes_the_answers_of_its_members_from_then_on(registry: Registry) -> None:
    """Dissolving a bloc changes the membership answers of the states still in it, from the
    dissolution on, and of no state that had left."""
    sahel(registry)
    registry.withdraw("MLI", "ECOWAS", on="2025-01-29")
    registry.dissolve("ECOWAS", on="2025-06-01")
    changes = {change.subject: (change.start, change.end) for change in registry.last_impact.changes}
    dissolved = (pendulum.Date(2025, 6, 1), None)
    assert changes == {("membership", "NER", "ECOWAS"): dissolved,
                       ("membership", "BFA", "ECOWAS"): dissolved}


def test_an_impact_covers_names_and_titles_from_the_day_they_change(registry: Registry) -> None:
    """A rename changes the name answers from its day on, and moving it changes them between
    the two days; a first name holds on every earlier date too, so a registration's impact
    starts at the first date there is."""
    registry.register_state("BFA", name="Upper Volta")
    assert registry.last_impact.changes == (Change(("name", "state", "BFA"), pendulum.Date(1, 1, 1), None),)
    renamed = registry.rename("BFA", name="Burkina Faso", on="1984-08-05")
    assert registry.last_impact.names == {"BFA"}
    assert registry.last_impact.changes == (
        Change(("name", "state", "BFA"), pendulum.Date(1984, 8, 5), None),)
    fixed = registry.correct(renamed.id, on="1984-08-04", reason="the decree took effect on 4 August")
    assert registry.last_impact.changes == (
        Change(("name", "state", "BFA"), pendulum.Date(1984, 8, 4), pendulum.Date(1984, 8, 5)),)
    assert registry.impact(fixed.id).changes == (
        Change(("name", "state", "BFA"), pendulum.Date(1984, 8, 4), None),)
    registry.found("AES", name="Alliance of Sahel States", on="2023-09-16")
    registry.create_post("AES/president", bloc="AES", title="President", on="2024-07-06")
    assert registry.last_impact.names == {"AES/president"} and not registry.last_impact.posts


def test_the_last_impact_when_another_writer_stored_part_of_the_batch_first() -> None:
    """The impact covers what changed from before the call to after it."""
    from aes_membership.stores import MemoryStore

    class Racing(MemoryStore):  # another writer stores the batch's first event just before
        def append(self, events, *, expected_position, recorded_at=None):  # type: ignore[no-untyped-def]
            if len(events) > 1:
                super().append(events[:1], expected_position=expected_position)
                expected_position += 1
            return super().append(events, expected_position=expected_position,
                                  recorded_at=recorded_at)

    from aes_membership import BlocFounded, StateRegistered

    registry = Registry(Racing())
    batch = [StateRegistered(state="SEN", name="Senegal"),
             BlocFounded(bloc="ECOWAS", name="ECOWAS", on="1975-05-28"),
             StateJoined(state="SEN", bloc="ECOWAS", on="1975-05-28")]
    registry.record(*batch)
    assert registry.position == 3
    assert registry.last_impact.blocs == {"ECOWAS"}


def test_post_questions_refuse_unknown_blocs_and_persons(registry: Registry) -> None:
    """posts(bloc=…) and truth_holds(post, person) name an unknown bloc or person, as the rest do."""
    sahel(registry)
    snap = registry.snapshot("2025-01-01")
    assert snap.posts(bloc="AES") == {"AES/president"}
    assert snap.truth_holds("AES/president", "ibrahim-traore") is Truth.NO
    with pytest.raises(UnknownIdError, match="unknown bloc 'AESS' — did you mean 'AES'"):
        snap.posts(bloc="AESS")
    with pytest.raises(UnknownIdError, match="unknown person 'assimi-goit' — did you mean"):
        snap.truth_holds("AES/president", "assimi-goit")


def test_a_large_load_leaves_the_collector_as_it_found_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Recording a large batch restores the collector, and leaves a program's frozen objects frozen."""
    import gc

    import aes_membership._collector
    from aes_membership import StateRegistered

    monkeypatch.setattr(aes_membership._collector, "_MANY_OBJECTS", 0)  # every batch is "large"
    events = [StateRegistered(state=f"S{n}", name=f"State {n}") for n in range(300)]
    kept = [[n] for n in range(10)]  # objects a program froze before forking, say
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        Registry().record(*events)
        assert gc.isenabled()
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
    assert kept
    gc.disable()
    try:
        Registry().record(*events)
        assert not gc.isenabled()  # a program that turned it off keeps it off
    finally:
        gc.enable()


def test_what_a_large_batch_built_goes_to_the_oldest_generation() -> None:
    """The objects a large batch built skip the young collections, which would walk them for nothing."""
    import gc

    from aes_membership import StateRegistered

    def oldest() -> set[int]:
        gc.disable()  # (looking must not make a collection, which would move objects on)
        try:
            return {id(o) for o in gc.get_objects(generation=2)}
        finally:
            gc.enable()

    reg = Registry()
    reg.record(*[StateRegistered(state=f"S{n}", name=f"State {n}") for n in range(5_000)])
    assert {id(reg._timeline), id(reg._timeline.live)} <= oldest()
    small = Registry()
    small.record(StateRegistered(state="MLI", name="Mali"))  # a small one is left to them
    assert id(small._timeline) not in oldest()


def test_a_batch_recorded_at_several_instants_keeps_each(registry: Registry) -> None:
    """A batch given an instant per event keeps each, and as_known_at sees the batch in parts."""
    first, second = pendulum.datetime(2020, 1, 1, tz="UTC"), pendulum.datetime(2021, 1, 1, tz="UTC")
    registry.record(StateRegistered(state="MLI", name="Mali"), StateRegistered(state="NER", name="Niger"),
                    StateRegistered(state="BFA", name="Burkina Faso"), recorded_at=[first, first, second])
    assert [registry.recorded_at(p) for p in (1, 2, 3)] == [first, first, second]
    assert registry.ids("state", as_known_at="2020-06-01T00:00Z") == {"MLI", "NER"}
    assert registry.ids("state", as_known_at="2021-06-01T00:00Z") == {"MLI", "NER", "BFA"}


def test_recording_instants_that_cannot_be_are_refused_by_name(registry: Registry) -> None:
    """An instant in the future, one before the last recorded, something that is no instant,
    or a count of instants that is not one per event is refused naming recorded_at; nothing
    is stored, and the next batch is recorded as if the refused one had never been given."""
    registry.record(StateRegistered(state="MLI", name="Mali"), recorded_at="2021-01-01T00:00Z")
    niger = StateRegistered(state="NER", name="Niger")
    refused = [
        ({"recorded_at": "2999-01-01T00:00Z"}, DateError, "recorded_at: .*not in the future"),
        ({"recorded_at": "2020-01-01T00:00Z"}, DateError,
         "recorded_at: .*at or after the last recorded one"),
        ({"recorded_at": ["2022-01-01T00:00Z"] * 2}, FieldError,
         r"recorded_at: expected one instant per event \(1\), got 2 instants$"),
        ({"recorded_at": 1609459200}, FieldError,
         r"^recorded_at: expected an instant \(an aware datetime or ISO text\), or one per "
         r"event, got 1609459200$"),
    ]
    for options, error, message in refused:
        with pytest.raises(error, match=message):
            registry.record(niger, **options)
        assert registry.position == registry.store.last_position() == 1
    registry.record(niger, recorded_at="2022-01-01T00:00Z")
    assert registry.ids("state") == {"MLI", "NER"} and registry.position == 2


def test_learned_lists_the_events_recorded_in_a_window_of_instants_or_positions(
        registry: Registry) -> None:
    """learned(since, until) gives the events recorded after since and up to until, each
    given as an instant or a position."""
    instants = [f"202{n}-01-01T00:00Z" for n in range(4)]
    for code, instant in zip(("MLI", "NER", "BFA", "TCD"), instants, strict=True):
        registry.record(StateRegistered(state=code, name=code), recorded_at=instant)
    states = lambda found: [r.event.state for r in found]  # noqa: E731
    assert states(registry.learned(since=instants[0], until=instants[2])) == ["NER", "BFA"]
    assert states(registry.learned(since=1, until="2022-06-01T00:00Z")) == ["NER", "BFA"]
    assert states(registry.learned(since=3)) == ["TCD"]
    assert states(registry.learned(until=1)) == ["MLI"]
    assert registry.learned(since=2, until=2) == []


@pytest.mark.parametrize(("since", "until"), [
    (3, 1), ("2023-01-01T00:00Z", "2020-06-01T00:00Z"),
    # (no event was recorded between these two, but they are still the wrong way round)
    ("2022-03-01T00:00Z", "2022-02-01T00:00Z"), ("2022-06-01T00:00Z", 1),
])
def test_a_window_that_ends_before_it_begins_is_refused(
        registry: Registry, since: object, until: object) -> None:
    """learned() with until before since names until and since, rather than answering with
    an empty list that reads as nothing having been learned."""
    for code, year in (("MLI", 2020), ("NER", 2021), ("BFA", 2023)):
        registry.record(StateRegistered(state=code, name=code), recorded_at=f"{year}-01-01T00:00Z")
    with pytest.raises(FieldError, match=f"^until: expected an instant or position not before "
                                         f"since, {re.escape(repr(since))}, got "
                                         f"{re.escape(repr(until))}$"):
        registry.learned(since=since, until=until)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["since", "until"])
@pytest.mark.parametrize(("bad", "expected"), [
    ("2020-01-01", "invalid date '2020-01-01': expected an aware datetime"),
    (-1, "expected a log position from 0 to 1"), (2.5, "expected an instant, ISO instant text"),
])
def test_a_window_bound_that_is_no_point_of_the_log_is_named_as_given(
        registry: Registry, field: str, bad: object, expected: str) -> None:
    """A bound of learned() that is no instant or position is refused under its own name."""
    registry.register_state("MLI", name="Mali")
    with pytest.raises(FieldError, match=f"^{field}: {expected}"):
        registry.learned(**{field: bad})


@pytest.mark.parametrize("ident", [["MLI"], None, 432])
def test_renaming_something_that_is_no_id_is_a_field_error(registry: Registry, ident: object) -> None:
    """rename() given a list, None or a number names it as no id, rather than failing on
    looking it up."""
    sahel(registry)
    with pytest.raises(FieldError, match=f"^state, bloc or person: expected an id \\(text\\), "
                                         f"got {re.escape(repr(ident))}$"):
        registry.rename(ident, name="Mali", on="2024-01-01")  # type: ignore[arg-type]


@pytest.mark.parametrize("rows_split_at", [_pairmap.SPLIT_AT, 0])
def test_a_creation_a_membership_still_names_cannot_be_retracted(rows_split_at: int) -> None:
    """Retracting a state's registration or a bloc's founding that a membership names is
    refused, naming the subject and the membership; once that is retracted, it may go."""
    with splitting_at(_pairmap, rows_split_at):  # 0: every state's row of lines is split
        reg = Registry()
        mali = reg.register_state("MLI", name="Mali")
        niger = reg.register_state("NER", name="Niger")
        aes = reg.found("AES", name="AES", on="2023-09-16")
        joined = reg.join("MLI", "AES", on="2023-09-16")
        before = reg.position
        with pytest.raises(InvariantError, match="would leave state 'MLI' unknown") as caught:
            reg.retract(mali.id, reason="registered by mistake")
        assert caught.value.conflicting == joined
        with pytest.raises(InvariantError, match="would leave bloc 'AES' unknown") as caught:
            reg.retract(aes.id, reason="founded by mistake")
        assert caught.value.conflicting == joined
        # A batch that both names the state and retracts its registration names an unknown id.
        with pytest.raises(UnknownIdError):
            reg.record(StateSuspended(state="MLI", bloc="AES", on="2024-01-01"),
                       EventRetracted(target=mali.id, reason="registered by mistake"))
        assert reg.position == before
        reg.retract(niger.id, reason="nothing names it")
        reg.retract(joined.id, reason="joined by mistake")
        reg.retract(mali.id, reason="registered by mistake")
        assert reg.ids("state") == frozenset() and reg.ids("bloc") == {"AES"}
