"""The codec: events to plain data and back, strictly."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import pendulum
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aes_membership import DecodeError, FieldError, StateJoined, StateWithdrew, events
from aes_membership import codec as codec_module
from aes_membership.codec import Codec, canonical_json, make_converter
from aes_membership.events import PostCreated, StateRegistered, event_classes
from aes_membership.stores.base import encode_rows, verify_rows
from conftest import from_threads

ids = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ-/", min_size=1, max_size=8).filter(
    lambda s: not s.startswith("/")
)
whens = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.integers(1000, 9999).map(str),
    st.tuples(st.integers(1000, 9999), st.integers(1, 12)).map(lambda t: f"{t[0]}-{t[1]:02d}"),
)


@st.composite
def membership_events(draw: st.DrawFn) -> Any:
    cls = draw(st.sampled_from([StateJoined, StateWithdrew]))
    extra = {"kind": draw(st.sampled_from(["full", "associate", "observer"]))} if cls is StateJoined else {}
    if cls is StateWithdrew:
        extra = {"announced": draw(st.one_of(st.none(), whens))}
    return cls(
        state=draw(ids), bloc=draw(ids), on=draw(whens),
        source=draw(st.one_of(st.none(), st.text(max_size=30))), **extra,
    )


@given(membership_events())
def test_round_trip_through_json(event: Any) -> None:
    """Encoding to JSON text and decoding gives back an equal event."""
    codec = Codec()
    type_tag, version, payload = codec.encode(event)
    assert codec.encode_text(event) == (type_tag, version, canonical_json(payload))
    again = codec.decode(type_tag, version, json.loads(canonical_json(payload)))
    assert again == event
    assert again.on.isoformat() == event.on.isoformat()


def test_type_tags_are_fixed_and_unique() -> None:
    """Every event class has its own fixed tag, independent of its class name."""
    tags = [cls.TYPE for cls in event_classes()]
    assert len(tags) == len(set(tags))
    assert StateJoined.TYPE == "state-joined"


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"on": "2023-13-01"}, "invalid date '2023-13-01'"),
        ({"on": 20230916}, "@ $.on"),
        ({"kind": "member"}, "@ $.kind"),
        ({"state": 5}, "@ $.state"),
        ({"extra": 1}, "unexpected field(s) extra"),
        ({"id": "not-a-uuid"}, "@ $.id"),
    ],
)
def test_bad_payloads_name_the_field(change: dict[str, Any], fragment: str) -> None:
    """A bad payload raises DecodeError naming the field at fault."""
    codec = Codec()
    _, version, payload = codec.encode(StateJoined(state="MLI", bloc="AES", on="2023-09-16"))
    with pytest.raises(DecodeError) as caught:
        codec.decode("state-joined", version, {**payload, **change})
    assert fragment in str(caught.value)


def test_no_silent_coercion() -> None:
    """Numbers are not read as text and text is not read as numbers."""
    codec = Codec()
    _, version, payload = codec.encode(PostCreated(post="P", title="t", bloc="B", on="2000"))
    with pytest.raises(DecodeError, match="seats"):
        codec.decode("post-created", version, {**payload, "seats": "2"})
    with pytest.raises(DecodeError, match="seats"):
        codec.decode("post-created", version, {**payload, "seats": True})


@pytest.mark.parametrize("method", ["encode", "encode_text", "to_dict"])
@pytest.mark.parametrize("value", ["MLI", {"type": "state-registered", "state": "MLI"}, None])
def test_encoding_something_that_is_no_event_is_a_type_error_naming_it(method: str,
                                                                        value: object) -> None:
    """A codec given something other than an event to encode says so, naming what it got,
    rather than failing on a missing TYPE."""
    with pytest.raises(TypeError, match=f"^{method}\\(\\) takes an event, got "
                                        f"{type(value).__name__} {re.escape(repr(value))}$"):
        getattr(Codec(), method)(value)


def test_unknown_type_and_newer_version_are_refused() -> None:
    """Unknown tags and versions newer than the library are errors, not guesses."""
    codec = Codec()
    with pytest.raises(DecodeError, match="unknown event type 'state-exploded'"):
        codec.decode("state-exploded", 1, {})
    with pytest.raises(DecodeError, match="newer"):
        codec.decode("state-joined", 99, {})


def test_upcasters_upgrade_old_payloads() -> None:
    """A registered upcaster turns an older payload into the current shape before decoding."""
    codec = Codec()
    old = {"id": str(uuid.uuid4()), "state": "MLI", "label": "Mali"}
    StateRegistered.VERSION = 2  # type: ignore[misc]
    try:
        with pytest.raises(DecodeError, match="no upcaster"):
            codec.decode("state-registered", 1, old)
        codec.register_upcaster(
            "state-registered", 1,
            lambda d: {**{k: v for k, v in d.items() if k != "label"}, "name": d["label"]},
        )
        event = codec.decode("state-registered", 1, dict(old))
        assert isinstance(event, StateRegistered) and event.name == "Mali"
    finally:
        StateRegistered.VERSION = 1  # type: ignore[misc]


def test_an_upcaster_that_could_never_run_is_refused() -> None:
    """Upcasters name a known event type, a version below its current one, and a function."""
    codec = Codec()
    with pytest.raises(FieldError, match=r"type_tag: expected an event type .*state-joined"):
        codec.register_upcaster("state-exploded", 1, dict)
    with pytest.raises(FieldError, match="from_version: expected a version below state-joined's"):
        codec.register_upcaster("state-joined", 1, dict)
    StateRegistered.VERSION = 3  # type: ignore[misc]
    try:
        for version in (0, 3, "1"):
            with pytest.raises(FieldError, match=r"from 1 to 2 .*the current one is 3"):
                codec.register_upcaster("state-registered", version, dict)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="upcaster: expected a function of the payload"):
            codec.register_upcaster("state-registered", 1, "rename label")  # type: ignore[arg-type]
    finally:
        StateRegistered.VERSION = 1  # type: ignore[misc]


def test_an_upcaster_that_fails_makes_a_decode_error_naming_it() -> None:
    """What an upcaster raises, or a result that is not a dict, is a DecodeError naming its step."""
    codec = Codec()
    old = {"id": str(uuid.uuid4()), "state": "MLI", "label": "Mali"}
    StateRegistered.VERSION = 2  # type: ignore[misc]
    try:
        codec.register_upcaster("state-registered", 1, lambda d: {"name": d["nom"]})
        with pytest.raises(DecodeError, match=r"upcaster of state-registered from version 1 "
                                              r"failed: KeyError\('nom'\)"):
            codec.decode("state-registered", 1, dict(old))
        codec.register_upcaster("state-registered", 1, lambda d: None)
        with pytest.raises(DecodeError, match="returned NoneType None, not a dict"):
            codec.decode("state-registered", 1, dict(old))
    finally:
        StateRegistered.VERSION = 1  # type: ignore[misc]


ONE_OF_EACH = [
    StateRegistered(state="MLI", name="Mali \"Ségou\" \u2028 \\", identifiers={"iso": "MLI", "a": "é"},
                    on="1960-09-22", note="line\nbreak"),
    events.StateRenamed(state="CIV", name="Côte d'Ivoire", on="1985-10"),
    events.PersonRegistered(person="p", name="P", identifiers={"wikidata": "Q1"}),
    events.PersonRenamed(person="p", name="Q", on="2001"),
    events.BlocFounded(bloc="AES", name="AES", on="2023-09-16", source="charter"),
    events.BlocRenamed(bloc="AES", name="Confederation", on="2024-07-06"),
    events.BlocDissolved(bloc="G5S", on="2025?", note="uncertain"),
    StateJoined(state="MLI", bloc="AES", kind="observer", on="2023-09-16"),
    events.KindChanged(state="MLI", bloc="AES", kind="full", on="2024"),
    events.StateSuspended(state="MLI", bloc="ECOWAS", on="2021-05-30"),
    events.StateReinstated(state="MLI", bloc="ECOWAS", on="2024-02-24"),
    StateWithdrew(state="MLI", bloc="ECOWAS", on="2025-01-29", announced="2024-01-28"),
    PostCreated(post="AES/president", title="President", bloc="AES", seats=2, on="2024-07-06"),
    events.PostAbolished(post="AES/president", on="2030"),
    events.HolderAppointed(post="AES/president", person="p", on="2024-07-06"),
    events.HolderLeft(post="AES/president", person="p", on="2025-12-22"),
    events.EventRetracted(target=uuid.uuid4(), reason="typo", replacement=uuid.uuid4()),
    events.EventRetracted(target=uuid.uuid4(), reason="wrong"),
]


def test_fast_path_agrees_with_cattrs_for_every_event_type() -> None:
    """The stores' fast encoder and decoder give exactly what the validating cattrs path gives."""
    assert {type(e) for e in ONE_OF_EACH} == set(event_classes())
    fast, slow = Codec(), Codec(make_converter())
    for event in ONE_OF_EACH:
        assert fast.encode(event) == slow.encode(event)
        type_tag, version, payload = slow.encode(event)
        assert fast.encode_text(event) == (type_tag, version, canonical_json(payload))
        effective = event.effective.isoformat() if event.effective is not None else None
        for codec in (fast, slow):  # the row's effective date, written with the payload
            assert codec._encode_row(event, str(event.id)) == (
                type_tag, version, canonical_json(payload), effective)
        stored = json.loads(canonical_json(payload))
        assert fast.decode_stored(type_tag, version, stored) == event
        assert slow.decode(type_tag, version, stored) == event


def test_the_default_codec_makes_its_converter_only_for_a_row_it_must_validate(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing and reading current rows makes no converter; a malformed row makes one, once."""
    made: list[object] = []

    def recorded() -> object:
        made.append(make_converter())
        return made[-1]

    monkeypatch.setattr(codec_module, "make_converter", recorded)
    codec = Codec()
    for event in ONE_OF_EACH:
        type_tag, version, text = codec.encode_text(event)
        assert codec.decode_stored(type_tag, version, json.loads(text)) == event
    assert made == []
    for _ in range(2):
        with pytest.raises(DecodeError, match="kind"):
            codec.decode_stored("state-joined", 1, {"id": str(uuid.uuid4()), "state": "MLI",
                                                    "bloc": "AES", "on": "2024-01-01", "kind": 7})
    assert len(made) == 1 and codec.converter is made[0]


def test_threads_that_first_ask_for_the_default_codec_at_once_share_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Threads that make the default codec at the same moment all get the same one."""
    made = 0

    class SlowCodec(Codec):
        def __init__(self) -> None:
            nonlocal made
            made += 1
            time.sleep(0.05)  # long enough for every thread to arrive while it is made
            super().__init__()

    monkeypatch.setattr(codec_module, "_DEFAULT", None)
    monkeypatch.setattr(codec_module, "Codec", SlowCodec)
    found = from_threads(codec_module.default_codec)
    assert made == 1
    assert len(found) == 8 and all(codec is found[0] for codec in found)


def test_threads_that_first_ask_a_codec_for_its_converter_at_once_share_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Threads that make a codec's converter at the same moment all get the same one."""
    made: list[object] = []

    def slow() -> object:
        time.sleep(0.05)
        made.append(make_converter())
        return made[-1]

    monkeypatch.setattr(codec_module, "make_converter", slow)
    codec = Codec()
    found = from_threads(lambda: codec.converter)
    assert len(made) == 1
    assert len(found) == 8 and all(converter is made[0] for converter in found)


def test_rows_are_the_same_from_the_fast_and_the_cattrs_codec_and_chain() -> None:
    """A batch of every event type encodes to the same rows either way, hashes chained."""
    stamps = [pendulum.datetime(2024, 1, 1, tz="UTC")] * 3 + [pendulum.datetime(2024, 1, 2, tz="UTC")] * (
        len(ONE_OF_EACH) - 3)
    fast, slow = (encode_rows(ONE_OF_EACH, first_position=5, recorded_at=stamps, previous_hash="ab" * 32,
                              codec=codec) for codec in (Codec(), Codec(make_converter())))
    assert fast == slow
    assert [row.position for row in fast] == list(range(5, 5 + len(ONE_OF_EACH)))
    assert [row.recorded_at[:10] for row in fast] == [str(s.date()) for s in stamps]
    for row, event in zip(fast, ONE_OF_EACH, strict=True):
        assert (row.event_id, row.payload) == (str(event.id), canonical_json(Codec().encode(event)[2]))
    report = verify_rows(iter([(r.position, r.event_id, r.type, r.version, r.recorded_at, r.payload, r.hash)
                               for r in fast]), after=4, previous="ab" * 32)
    assert (report.ok, report.checked) == (True, len(ONE_OF_EACH))


def test_fast_decode_falls_back_to_the_validating_path() -> None:
    """A stored payload of an unexpected shape gets the full path's error, naming the field."""
    codec = Codec()
    _, version, payload = codec.encode(StateJoined(state="MLI", bloc="AES", on="2023-09-16"))
    with pytest.raises(DecodeError, match=r"@ \$\.on"):
        codec.decode_stored("state-joined", version, {**payload, "on": "2023-13-45"})
    with pytest.raises(DecodeError, match="unexpected field"):
        codec.decode_stored("state-joined", version, {**payload, "extra": 1})
