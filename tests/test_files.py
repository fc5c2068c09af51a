"""The files the exchange formats read and write: gzip, streams of bytes, and content that
is not text."""

from __future__ import annotations

import gzip
import io
import json
import tempfile
from pathlib import Path

import pendulum
import pytest

from aes_membership import DecodeError, DuplicateEventError, FieldError, Registry
from aes_membership.datasets import west_africa
from aes_membership.interop import (
    cow,
    export_events,
    export_popolo,
    import_events,
    import_popolo,
    import_state_year,
    read_events,
)

PANEL = "ccode,year,state,ecowas\n432,1975,mali,1\n432,1976,mali,1\n"


@pytest.fixture(scope="module")
def wa() -> Registry:
    return west_africa()


def test_events_round_trip_through_a_gzip_file(wa: Registry, tmp_path: Path) -> None:
    """A JSON Lines path ending in .gz is written compressed and read back whole."""
    path = tmp_path / "wa.jsonl.gz"
    assert export_events(wa, path) == wa.position
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == wa.position
    copy = Registry()
    assert import_events(copy, path) == wa.position
    assert copy.events() == wa.events()


def test_a_line_that_reuses_a_recorded_id_with_other_content_is_named(wa: Registry) -> None:
    """Importing a file whose event has an id recorded with other content, or that gives an id
    twice with different content, is refused naming the line and the id, and records nothing."""
    out = io.StringIO()
    export_events(wa, out)
    lines = out.getvalue().splitlines(keepends=True)
    copy = Registry()
    import_events(copy, io.StringIO("".join(lines)))
    original, edited = lines[5], json.loads(lines[5])
    edited["event"]["name"] = "Somewhere else"
    lines[5] = json.dumps(edited) + "\n"
    with pytest.raises(DuplicateEventError) as caught:
        import_events(copy, io.StringIO("".join(lines)))
    assert str(caught.value).startswith(f"line 6: event id {edited['event']['id']} is already "
                                        "recorded with different content")
    assert caught.value.line == 6 and str(caught.value.event_id) == edited["event"]["id"]
    assert copy.position == wa.position
    twice = Registry()  # the same id twice in one file: named at its second line
    with pytest.raises(DuplicateEventError, match=f"^line 7: event id {edited['event']['id']} "
                                                  "is given twice in one batch"):
        import_events(twice, io.StringIO("".join(lines[:5]) + original + lines[5]))
    assert twice.position == 0


def test_instants_a_registry_cannot_take_are_named_by_line(wa: Registry) -> None:
    """A kept instant before the registry's last one is refused at the first line whose event
    the registry does not hold yet, and nothing is recorded."""
    out = io.StringIO()
    export_events(wa, out)
    lines = out.getvalue().splitlines(keepends=True)
    registry = Registry()
    import_events(registry, io.StringIO("".join(lines[:10])))
    registry.register_state("XYZ", name="Somewhere")
    before = registry.position
    with pytest.raises(DecodeError, match=r"^line 11: recorded_at \S+: expected an instant at or "
                                          r"after the last recorded one .*recorded_at='now'") \
            as caught:
        import_events(registry, io.StringIO("".join(lines)))
    assert caught.value.line == 11 and registry.position == before
    import_events(registry, io.StringIO("".join(lines)), recorded_at="now")
    assert registry.position == wa.position + 1


def test_popolo_round_trips_through_a_gzip_file(wa: Registry, tmp_path: Path) -> None:
    """A Popolo path ending in .gz is written compressed and imported back."""
    path = tmp_path / "wa.popolo.json.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        assert export_popolo(wa, handle) > 0
    expected = gzip.decompress(path.read_bytes())
    export_popolo(wa, path)
    assert gzip.decompress(path.read_bytes()) == expected
    copy = Registry()
    import_popolo(copy, path)
    a, b = wa.snapshot("2025-02-01"), copy.snapshot("2025-02-01")
    assert {x: a.members(x) for x in a.blocs()} == {x: b.members(x) for x in b.blocs()}


def test_a_json_lines_file_that_is_not_utf8_names_the_line_and_records_nothing(
        tmp_path: Path) -> None:
    """A byte that is not UTF-8 is a DecodeError naming its line and column; nothing is kept."""
    path = tmp_path / "bad.jsonl"
    good = '{"type": "state-registered", "event": {"state": "MLI", "name": "Mali"}}\n'
    path.write_bytes(good.encode() * 2 + b'{"type": "state-registered", "event": '
                     b'{"state": "NER", "name": "Ni\xe9ger"}}\n')
    registry = Registry()
    with pytest.raises(DecodeError) as caught:
        import_events(registry, path)
    assert caught.value.line == 3
    assert str(caught.value) == "line 3: not UTF-8 text (byte 0xe9 at column 67)"
    assert registry.position == 0


def test_a_popolo_file_that_is_not_json_or_not_text_is_a_decode_error(tmp_path: Path) -> None:
    """Popolo input that is not JSON, or not UTF-8, is refused as a DecodeError saying which."""
    path = tmp_path / "bad.json"
    path.write_text('{"memberships": [}', encoding="utf-8")
    with pytest.raises(DecodeError, match=r"not valid JSON: .* \(line 1, column 18\)"):
        import_popolo(Registry(), path)
    path.write_bytes(b'{"memberships": [], "x": "\xff"}')
    with pytest.raises(DecodeError, match=r"not UTF-8 text \(invalid start byte\)"):
        import_popolo(Registry(), path)


def test_a_panel_is_unpacked_by_its_content_whatever_its_name(tmp_path: Path) -> None:
    """A gzip panel is unpacked whatever its name, and a plain one named .gz read as it is."""
    expected = Registry()
    import_state_year(expected, io.StringIO(PANEL))
    for name, content in (("packed.csv", gzip.compress(PANEL.encode())),
                          ("plain.csv.gz", PANEL.encode())):
        path = tmp_path / name
        path.write_bytes(content)
        registry = Registry()
        import_state_year(registry, path)
        assert registry.periods("MLI", "ECOWAS") == expected.periods("MLI", "ECOWAS") != []


def test_a_gzip_file_cut_short_is_a_decode_error(tmp_path: Path) -> None:
    """A gzip file cut short is refused as a DecodeError, and nothing is recorded."""
    path = tmp_path / "panel.csv.gz"
    path.write_bytes(gzip.compress(PANEL.encode())[:-12])
    registry = Registry()
    with pytest.raises(DecodeError, match="not a whole gzip file"):
        import_state_year(registry, path)
    assert registry.position == 0


def test_a_panel_that_is_not_text_is_a_decode_error(tmp_path: Path) -> None:
    """Panel bytes that are not UTF-8, or a cell larger than CSV allows, are DecodeErrors."""
    path = tmp_path / "panel.csv"
    path.write_bytes(PANEL.encode() + b"436,1975,niger\xff,1\n")
    with pytest.raises(DecodeError, match=r"not UTF-8 text \(invalid start byte\)"):
        import_state_year(Registry(), path)
    path.write_text(PANEL + '436,1975,"' + "x" * 200_000 + '",1\n', encoding="utf-8")
    with pytest.raises(DecodeError, match="not CSV text"):
        import_state_year(Registry(), path)


def test_something_that_is_neither_a_path_nor_a_file_is_a_type_error(wa: Registry) -> None:
    """Reading from or writing to what is neither a path nor an open file is a TypeError."""
    with pytest.raises(TypeError, match="expected a path or an open file, got int 5"):
        export_events(wa, 5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected a path or an open file, got list"):
        import_events(Registry(), ["{}"])  # type: ignore[arg-type]


class _Trickle(io.RawIOBase):
    """An unbuffered stream that takes or gives at most a few bytes a call, as a pipe may."""

    def __init__(self, content: bytes = b"") -> None:
        self.content, self.taken = content, bytearray()

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        given, self.content = self.content[:3], self.content[3:]
        buffer[: len(given)] = given
        return len(given)

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.taken += bytes(data[:7])
        return min(len(data), 7)


class _Duck(io.IOBase):
    """A stream of bytes as an HTTP client may give one: an IOBase, but neither raw nor
    buffered, and no mode."""

    def __init__(self, content: bytes) -> None:
        self._content, self.written = io.BytesIO(content), bytearray()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._content.read(size)

    def write(self, data: bytes) -> int:  # type: ignore[override]
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"a bytes-like object is required, not {type(data).__name__!r}")
        self.written += data
        return len(data)


def test_streams_of_bytes_are_read_and_written_as_utf8_and_left_open(wa: Registry) -> None:
    """A stream of bytes, buffered or not, is read as UTF-8 (unpacked if gzip) and written as
    UTF-8, as a file is, and left open for its owner."""
    text = io.StringIO()
    export_events(wa, text)
    expected = text.getvalue().encode("utf-8")
    written = io.BytesIO()
    assert export_events(wa, written) == wa.position
    assert written.getvalue() == expected and not written.closed
    trickle = _Trickle()
    export_events(wa, trickle)
    assert bytes(trickle.taken) == expected and not trickle.closed
    # Streams of bytes that derive from none of io's classes for bytes.
    duck = _Duck(expected)
    copy = Registry()
    assert import_events(copy, duck) == wa.position and copy.events() == wa.events()
    export_events(wa, duck)
    assert bytes(duck.written) == expected
    with tempfile.SpooledTemporaryFile(mode="w+b") as spooled:
        export_events(wa, spooled)
        spooled.seek(0)
        assert spooled.read() == expected
        spooled.seek(0)
        assert import_events(Registry(), spooled) == wa.position and not spooled.closed
    for given in (io.BytesIO(expected), io.BytesIO(gzip.compress(expected)), _Trickle(expected),
                  io.BufferedReader(io.BytesIO(b"\xef\xbb\xbf" + expected))):  # a byte-order mark
        copy = Registry()
        assert import_events(copy, given) == wa.position
        assert copy.events() == wa.events() and not given.closed
    popolo = io.BytesIO()
    export_popolo(wa, popolo)
    copy = Registry()
    import_popolo(copy, io.BytesIO(popolo.getvalue()))
    assert copy.snapshot("2025-02-01").members("ECOWAS") == wa.snapshot("2025-02-01").members("ECOWAS")


def test_a_codecs_stream_is_text_though_its_mode_says_binary(wa: Registry, tmp_path: Path) -> None:
    """A codecs.open() stream, whose mode is its file's ("rb", "wb"), is written and read as
    the text it takes and gives."""
    import codecs
    import warnings

    path = tmp_path / "wa.jsonl"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # (codecs.open, from Python 3.14)
        with codecs.open(str(path), "w", encoding="utf-8") as out:
            assert "b" in out.mode
            assert export_events(wa, out) == wa.position
        with codecs.open(str(path), "r", encoding="utf-8") as source:
            copy = Registry()
            assert import_events(copy, source) == wa.position
    assert copy.events() == wa.events()


def test_a_stream_of_bytes_that_is_not_utf8_names_the_line(wa: Registry) -> None:
    """A byte that is not UTF-8 in a stream of bytes is named by line and column, as in a file."""
    good = b'{"type": "state-registered", "event": {"state": "MLI", "name": "Mali"}}\n'
    registry = Registry()
    with pytest.raises(DecodeError, match=r"^line 2: not UTF-8 text \(byte 0xe9 at column 3\)$"):
        import_events(registry, io.BytesIO(good + b"{\"\xe9\n"))
    assert registry.position == 0


@pytest.mark.parametrize(("json_text", "cause"), [
    ('{"type": "state-registered", "version": ' + "9" * 5000 + "}", "integer string conversion"),
    ("[" * 100_000 + "]" * 100_000, "maximum recursion depth"),
], ids=["a-number-too-long", "arrays-nested-too-deeply"])
def test_json_that_parses_but_cannot_be_read_is_a_decode_error(json_text: str, cause: str) -> None:
    """A number too long for Python's int() or arrays nested too deeply are DecodeErrors at
    their line (JSON Lines) or for the file (Popolo), not the parser's own exceptions."""
    registry = Registry()
    with pytest.raises(DecodeError, match=f"^line 2: JSON that cannot be read: .*{cause}"):
        import_events(registry, io.StringIO(_line("MLI") + json_text + "\n"))
    with pytest.raises(DecodeError, match=f"^JSON that cannot be read: .*{cause}"):
        import_popolo(registry, io.StringIO(json_text))
    assert registry.position == 0


def test_a_progress_callback_or_codec_of_the_wrong_kind_is_refused_before_reading(
        wa: Registry) -> None:
    """Every importer names a progress that cannot be called, and the JSON Lines functions a
    codec that is not one, before a line is read; nothing is recorded."""
    registry = Registry()
    importers = [
        lambda **options: import_events(registry, io.StringIO(_line("MLI")), **options),
        lambda **options: import_popolo(registry, io.StringIO("{}"), **options),
        lambda **options: import_state_year(registry, io.StringIO(PANEL), **options),
        lambda **options: cow.import_igo_year(registry, io.StringIO(""), **options),
    ]
    for importer in importers:
        with pytest.raises(TypeError, match=r"^progress: expected a function of \(stage, done, "
                                            r"total\), got str 'bar'$"):
            importer(progress="bar")
    for call in (lambda: import_events(registry, io.StringIO(_line("MLI")), codec="utf-8"),
                 lambda: list(read_events(io.StringIO(_line("MLI")), codec="utf-8")),
                 lambda: export_events(wa, io.StringIO(), codec="utf-8")):
        with pytest.raises(TypeError, match=r"^codec: expected an aes_membership Codec, got "
                                            r"str 'utf-8'$"):
            call()
    assert registry.position == 0


def _line(state: str, at: str | None = None, **envelope: object) -> str:
    data: dict[str, object] = {"type": "state-registered",
                               "event": {"state": state, "name": state.title()}, **envelope}
    if at is not None:
        data["recorded_at"] = at
    return json.dumps(data) + "\n"


def test_recording_instants_that_go_back_name_the_line_when_they_are_kept() -> None:
    """Kept instants must not go back; with recorded_at="now", or a line without one, they are not kept."""
    text = _line("MLI", "2024-01-02T00:00Z") + _line("NER", "2024-01-01T00:00Z")
    registry = Registry()
    with pytest.raises(DecodeError) as caught:
        import_events(registry, io.StringIO(text))
    assert caught.value.line == 2 and "is before the previous event's" in str(caught.value)
    assert registry.position == 0
    assert import_events(registry, io.StringIO(text), recorded_at="now") == 2
    assert import_events(Registry(), io.StringIO(text + _line("BFA"))) == 3


def test_envelope_faults_are_pinned_on_the_envelope_and_payload_faults_on_the_event() -> None:
    """$.type and $.version name the envelope's fields; the payload's fields are under $.event."""
    cases = [
        (_line("MLI", version="1"), "invalid schema version '1' @ $.version"),
        (json.dumps({"event": {"state": "MLI", "name": "Mali"}}) + "\n", "@ $.type (known:"),
        (json.dumps({"type": "state-registered", "event": {"state": "MLI"}}) + "\n",
         "@ $.event.name"),
    ]
    for text, pinned in cases:
        with pytest.raises(DecodeError) as caught:
            import_events(Registry(), io.StringIO(text))
        assert pinned in str(caught.value), str(caught.value)


def test_lines_that_are_not_an_event_envelope_name_their_line_and_what_was_expected() -> None:
    """A line that is not an object, has fields an envelope does not, or a recording instant
    that is not one, is a DecodeError naming its line; nothing is recorded."""
    cases = [
        ("[1, 2]\n", "expected an object, got [1, 2] @ $"),
        (json.dumps({"type": "state-registered", "event": {"state": "MLI", "name": "Mali"},
                     "extra": 1, "also": 2}) + "\n", "unexpected field(s) also, extra @ $"),
        (_line("MLI", "yesterday"), "invalid date 'yesterday'"),
        ("{not json\n", "not valid JSON: Expecting property name enclosed in double quotes"),
    ]
    for bad, pinned in cases:
        registry = Registry()
        with pytest.raises(DecodeError) as caught:
            import_events(registry, io.StringIO(_line("NER") + "\n" + bad))
        assert caught.value.line == 3 and pinned in str(caught.value), str(caught.value)
        assert registry.position == 0


def test_events_are_read_lazily_with_their_recording_instants() -> None:
    """read_events yields each line's event and instant (None without one) before it reads
    the next line, so a fault further on is raised only when reached."""
    read = read_events(io.StringIO(_line("MLI", "2024-01-02T00:00Z") + _line("NER")
                                   + "[]\n"))
    event, instant = next(read)
    assert (event.state, instant) == ("MLI", pendulum.datetime(2024, 1, 2))  # type: ignore[attr-defined]
    event, instant = next(read)
    assert (event.state, instant) == ("NER", None)  # type: ignore[attr-defined]
    with pytest.raises(DecodeError, match="expected an object"):
        next(read)


def test_recorded_at_is_keep_or_now() -> None:
    """Any other choice of recording instants is a FieldError naming the value."""
    with pytest.raises(FieldError, match="recorded_at: expected 'keep' or 'now', got 'later'"):
        import_events(Registry(), io.StringIO(_line("MLI")), recorded_at="later")  # type: ignore[arg-type]


def test_a_byte_order_mark_is_not_part_of_the_text(tmp_path: Path) -> None:
    """A file or stream that starts with a byte-order mark, as some editors write, reads as text."""
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + _line("MLI").encode())
    assert import_events(Registry(), path) == 1
    assert import_events(Registry(), io.StringIO("\ufeff" + _line("MLI"))) == 1
    panel = tmp_path / "bom.csv"
    panel.write_bytes(b"\xef\xbb\xbf" + PANEL.encode())
    assert import_state_year(Registry(), panel) > 0


def test_a_line_of_a_newer_schema_version_asks_for_a_newer_library() -> None:
    """A line written at a schema version newer than the library's is refused as a version
    mismatch naming its line, not read as it might be; nothing is recorded."""
    registry = Registry()
    with pytest.raises(DecodeError) as caught:
        import_events(registry, io.StringIO(_line("NER") + _line("MLI", version=2)))
    assert caught.value.line == 2 and caught.value.version_mismatch
    assert str(caught.value) == ("line 2: state-registered schema version 2 is newer than this "
                                 "library reads (1); upgrade aes_membership")
    assert registry.position == 0
