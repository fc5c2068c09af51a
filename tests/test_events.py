"""Events: the ids the library makes, and the values their fields accept."""

from __future__ import annotations

import time
import uuid

import pytest

from aes_membership import (
    DateError,
    EventRetracted,
    FieldError,
    MembershipError,
    PostCreated,
    StateJoined,
    StateRegistered,
    StateWithdrew,
)
from aes_membership.events import new_id


def test_a_new_id_is_a_version_7_uuid_carrying_the_time_it_was_made() -> None:
    """new_id() gives an RFC 9562 version 7 UUID whose first 48 bits are now, in milliseconds."""
    before = time.time_ns() // 1_000_000
    made = new_id()
    after = time.time_ns() // 1_000_000
    assert made.version == 7
    assert made.variant == uuid.RFC_4122
    assert before <= made.int >> 80 <= after


def test_ids_made_a_millisecond_apart_sort_in_the_order_they_were_made() -> None:
    """Ids made in turn, a millisecond or more apart, sort in that order, as text too."""
    made = []
    for _ in range(5):
        made.append(new_id())
        time.sleep(0.002)
    assert sorted(made) == made
    assert sorted(str(one) for one in made) == [str(one) for one in made]


def test_events_built_without_an_id_get_distinct_new_ones() -> None:
    """Each event built without an id gets its own version 7 id."""
    events = [StateRegistered(state=f"S{n}", name=f"State {n}") for n in range(1000)]
    assert len({event.id for event in events}) == 1000
    assert {event.id.version for event in events} == {7}


def test_a_clock_set_before_1970_still_gives_a_valid_id(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the system clock before the Unix epoch, new_id() gives a version 7 id of time zero."""
    monkeypatch.setattr(time, "time_ns", lambda: -86_400 * 10**9)
    made = new_id()
    assert made.version == 7
    assert made.int >> 80 == 0


@pytest.mark.parametrize(
    ("make", "field", "value", "expected"),
    [
        (lambda: StateRegistered(state="", name="Mali"), "state", "", "a non-empty id without spaces"),
        (lambda: StateRegistered(state=432, name="Mali"), "state", 432, "a non-empty id without spaces"),
        (lambda: StateRegistered(state="MLI", name=" "), "name", " ", "non-empty text"),
        (lambda: StateRegistered(state="MLI", name="Mali", note=5), "note", 5, "text or None"),
        (lambda: StateRegistered(state="MLI", name="Mali", identifiers=["cow"]), "identifiers",
         ["cow"], "a mapping of scheme to id"),
        (lambda: StateRegistered(state="MLI", name="Mali", identifiers={"cow": ""}), "identifiers",
         {"cow": ""}, "non-empty text scheme and id"),
        (lambda: StateRegistered(id="not-a-uuid", state="MLI", name="Mali"), "id", "not-a-uuid",
         "a UUID"),
        (lambda: EventRetracted(target="not-a-uuid", reason="wrong"), "target", "not-a-uuid",
         "a UUID"),
        (lambda: EventRetracted(target=new_id(), reason="wrong", replacement=5), "replacement", 5,
         "a UUID"),
        (lambda: StateJoined(state="MLI", bloc="AES", kind="member", on="2023-09-16"), "kind",
         "member", "one of full, associate, observer"),
        (lambda: PostCreated(post="AES/president", title="President", bloc="AES", seats=0,
                             on="2024-07-06"), "seats", 0, "a whole number of seats from 1 to 1,000,000"),
    ],
)
def test_a_bad_field_value_raises_a_field_error_naming_it(make, field: str, value: object,  # type: ignore[no-untyped-def]
                                                          expected: str) -> None:
    """A field given a value it does not accept raises FieldError with the field, value and form."""
    with pytest.raises(FieldError) as caught:
        make()
    error = caught.value
    assert (error.field, error.value, error.expected) == (field, value, expected)
    assert str(error) == f"{field}: expected {expected}, got {value!r}"
    assert isinstance(error, MembershipError) and isinstance(error, ValueError)


def test_a_post_attached_to_both_or_neither_is_refused() -> None:
    """A post names exactly one of a bloc and a state."""
    for where in ({}, {"bloc": "AES", "state": "MLI"}):
        with pytest.raises(FieldError, match="exactly one of bloc= or state= for post 'P'"):
            PostCreated(post="P", title="President", on="2024-07-06", **where)


def test_a_bad_announcement_date_names_its_own_field() -> None:
    """A withdrawal's announcement date that cannot be read is named as announced, not on."""
    with pytest.raises(DateError, match=r"^announced: invalid date 'soon'"):
        StateWithdrew(state="MLI", bloc="AES", on="2025-01-29", announced="soon")


@pytest.mark.parametrize(("make", "field", "value", "expected"), [
    (lambda v: StateRegistered(state="MLI", name=v), "name", "Ma\tli",
     "text without control characters, such as tabs or line breaks"),
    (lambda v: PostCreated(post="P", title=v, bloc="B", on="2000"), "title", "Chair\n",
     "text without control characters, such as tabs or line breaks"),
    (lambda v: StateRegistered(state=v, name="Mali"), "state", "MLI\x00",
     "an id without control characters"),
    (lambda v: StateJoined(state="MLI", bloc=v, on="2000"), "bloc", "AES\x7f",
     "an id without control characters"),
])
def test_a_new_name_or_id_with_a_control_character_is_refused(make, field: str, value: str,  # type: ignore[no-untyped-def]
                                                               expected: str) -> None:
    """A tab, a line break, a NUL or DEL in a new event's name, title or id is refused by
    name: it would print as nothing, break a table's row, or make "MLI\\x00" another id."""
    with pytest.raises(FieldError) as caught:
        make(value)
    assert (caught.value.field, caught.value.value, caught.value.expected) == (field, value, expected)


def test_free_text_may_run_to_several_lines_and_names_may_hold_other_letters() -> None:
    """A reason, a source and a note may hold line breaks; a name may hold any letter, and
    the C1 range that old encodings leave in real data (COW's "Nordens V\\x8alf\\x8ardscenter")."""
    note = StateRegistered(state="MLI", name="Côte d'Ivoire V\x8alf", note="line one\nline two",
                           source="a\tb")
    assert note.note == "line one\nline two"
    assert EventRetracted(target=new_id(), reason="wrong:\nsee the decree").reason.endswith("decree")


def test_events_as_recorded_keep_the_control_characters_they_were_recorded_with() -> None:
    """An event recorded before such characters were refused is taken as it was: decoded by
    the codec (from a store or a JSON Lines file), or built inside as_recorded()."""
    from aes_membership.codec import Codec
    from aes_membership.events import as_recorded

    codec = Codec()
    payload = {**codec.to_dict(StateRegistered(state="MLI", name="Mali")), "name": "Ma\tli"}
    assert codec.from_dict(payload).name == "Ma\tli"
    with as_recorded():
        assert StateRegistered(state="MLI\x00", name="x").state == "MLI\x00"
    with pytest.raises(FieldError):  # (and only there)
        StateRegistered(state="MLI\x00", name="x")

