"""Popolo JSON: exports validate against the official schemas; imports give the same answers."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pendulum
import pytest

from aes_membership import DecodeError, InvariantError, Registry
from aes_membership.datasets import west_africa
from aes_membership.interop.popolo import export_popolo, import_popolo, to_popolo
from conftest import shared_file

KINDS = {"persons": "person", "organizations": "organization", "memberships": "membership",
         "posts": "post"}


def _validators() -> dict[str, Any]:
    jsonschema = pytest.importorskip("jsonschema")
    referencing = pytest.importorskip("referencing")
    folder = shared_file("popolo-schemas", "membership.json").parent
    resources = []
    for path in folder.glob("*.json"):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resource = referencing.Resource.from_contents(
            schema, default_specification=referencing.jsonschema.DRAFT3)
        resources.append((schema["id"].rstrip("#"), resource))
        resources.append((schema["id"], resource))
    registry = referencing.Registry().with_resources(resources)
    return {
        kind: jsonschema.Draft3Validator(
            json.loads((folder / f"{name}.json").read_text(encoding="utf-8")),
            registry=registry, format_checker=jsonschema.Draft3Validator.FORMAT_CHECKER)
        for kind, name in KINDS.items()
    }


def _assert_valid(data: dict[str, list[dict[str, Any]]]) -> None:
    validators = _validators()
    for kind, items in data.items():
        for item in items:
            errors = list(validators[kind].iter_errors(item))
            assert not errors, f"{kind} {item.get('id')}: {errors[0].message}"


def test_whole_history_validates_against_the_popolo_schemas(wa: Registry) -> None:
    """Every person, organisation, membership and post exported is valid Popolo."""
    data = to_popolo(wa)
    assert {k: bool(v) for k, v in data.items()} == dict.fromkeys(KINDS, True)
    _assert_valid(data)


def test_snapshot_export_validates_and_lists_only_that_day(wa: Registry) -> None:
    """A snapshot export lists the memberships in force that day, and is valid Popolo."""
    data = to_popolo(wa, on="2025-02-01")
    _assert_valid(data)
    ecowas = {m["member"]["id"] for m in data["memberships"]
              if m.get("organization_id") == "ECOWAS" and "member" in m}
    assert ecowas == wa.snapshot("2025-02-01").members("ECOWAS")
    assert "MLI" not in ecowas


def test_end_dates_are_last_days(wa: Registry) -> None:
    """Popolo's end_date is the last day: Mali's ECOWAS membership ends 2025-01-29 → 2025-01-28."""
    data = to_popolo(wa)
    mali = [m for m in data["memberships"]
            if m.get("organization_id") == "ECOWAS" and m.get("member", {}).get("id") == "MLI"]
    assert [m["end_date"] for m in mali] == ["2025-01-28"]
    assert wa.periods("MLI", "ECOWAS")[-1].end.isoformat() == "2025-01-29"


def test_partial_dates_keep_their_precision(wa: Registry) -> None:
    """Cape Verde joined ECOWAS "in 1977": Popolo says start_date "1977"."""
    data = to_popolo(wa)
    cape_verde = [m for m in data["memberships"] if m.get("member", {}).get("id") == "CPV"]
    assert cape_verde[0]["start_date"] == "1977"


def test_import_gives_the_same_answers_and_is_idempotent(wa: Registry) -> None:
    """Importing an export answers like the original on any date; a second import adds nothing."""
    data = to_popolo(wa)
    copy = Registry()
    assert import_popolo(copy, data) > 0
    for on in ("1975-06-01", "1977-12-31", "2001-01-01", "2024-06-01", "2025-02-01", "2026-01-01"):
        a, b = wa.snapshot(on), copy.snapshot(on)
        assert {x: a.members(x) for x in a.blocs()} == {x: b.members(x) for x in b.blocs()}
        assert {p: a.holders(p) for p in a.posts()} == {p: b.holders(p) for p in b.posts()}
    assert import_popolo(copy, data) == 0
    assert to_popolo(copy)["memberships"] == data["memberships"]


def test_a_file_that_has_grown_or_been_reordered_records_only_what_is_new(wa: Registry) -> None:
    """Imported events are named by their content: a file in another order records nothing,
    one that has grown records only its new facts, and one that says a fact otherwise is
    refused naming the conflict (not as an id recorded with other content)."""
    whole = to_popolo(wa)
    memberships = whole["memberships"]
    first = next(i for i, m in enumerate(memberships) if "member" in m)
    smaller = {**whole, "memberships": memberships[:first] + memberships[first + 1:]}
    reg = Registry()
    import_popolo(reg, smaller)
    assert import_popolo(reg, {**whole, "memberships": memberships[::-1]}) == 1
    assert to_popolo(reg)["memberships"] == memberships
    changed = json.loads(json.dumps(whole))
    changed["memberships"][first]["start_date"] = "1975-05-29"
    before = reg.position
    with pytest.raises(InvariantError, match="already a member"):
        import_popolo(reg, changed)
    assert reg.position == before


def test_a_file_imported_before_under_another_source_note_is_told_as_such(wa: Registry) -> None:
    """A fact's imported id is derived from its source too: imported again under another
    source_note, a file's facts conflict with themselves, and the error names the note they
    were recorded with. The same fact recorded otherwise (by hand) gets no such advice."""
    data = to_popolo(wa)
    reg = Registry()
    import_popolo(reg, data, source_note="Wikipedia, November 2026")
    with pytest.raises(InvariantError, match=r"already a member since .*; it is the same fact, "
                                             r"recorded before with source 'Wikipedia, November "
                                             r"2026': import the file with source_note="
                                             r"'Wikipedia, November 2026' to record only its new "
                                             r"facts \(conflicts with "):
        import_popolo(reg, data)
    assert import_popolo(reg, data, source_note="Wikipedia, November 2026") == 0
    with pytest.raises(InvariantError) as caught:
        import_popolo(west_africa(), data)  # (the bundled history, recorded with its sources)
    assert "already a member" in str(caught.value) and "same fact" not in str(caught.value)


def test_export_to_a_file_and_back(wa: Registry, tmp_path: Any) -> None:
    """export_popolo writes JSON that import_popolo reads from a path."""
    path = tmp_path / "wa.popolo.json"
    count = export_popolo(wa, path)
    assert count == len(json.loads(path.read_text(encoding="utf-8"))["memberships"])
    copy = Registry()
    import_popolo(copy, path)
    assert copy.snapshot("2024-01-01").members("AES") == {"BFA", "MLI", "NER"}


def test_bad_popolo_is_refused_with_the_item_named() -> None:
    """A membership with a bad date or an unknown organisation names itself; nothing recorded."""
    reg = Registry()
    data = {
        "organizations": [{"id": "MLI", "name": "Mali"},
                          {"id": "AES", "name": "AES", "founding_date": "2023-09-16"}],
        "memberships": [{"member": {"@type": "Organization", "id": "MLI"},
                         "organization_id": "AES", "start_date": "16/09/2023"}],
    }
    with pytest.raises(DecodeError, match=r"\$\.memberships\[0\]\.start_date"):
        import_popolo(reg, data)
    data["memberships"][0]["start_date"] = "2023-09-16"
    data["memberships"][0]["organization_id"] = "ECOWAS"
    with pytest.raises(DecodeError, match="unknown organization 'ECOWAS'"):
        import_popolo(reg, data)
    with pytest.raises(DecodeError, match="container"):
        import_popolo(reg, io.StringIO("[1, 2]"))
    data["memberships"][0]["organization_id"] = "AES"
    data["memberships"][0]["end_date"] = "2023-08"  # ends before it starts
    with pytest.raises(DecodeError, match=r"\$\.memberships\[0\]\.end_date: 2023-08 is before "
                                          r"the start_date, 2023-09-16"):
        import_popolo(reg, data)
    del data["memberships"][0]["end_date"]
    data["organizations"][0]["id"] = data["memberships"][0]["member"]["id"] = "M LI"
    with pytest.raises(DecodeError, match=r"\$\.organizations\[id=M LI\]: state: expected a "
                                          r"non-empty id without spaces, got 'M LI'"):
        import_popolo(reg, data)
    assert reg.position == 0


@pytest.mark.parametrize(("text", "got"), [
    ('{"type": "state-registered", "state": "MLI", "name": "Mali", "v": 1}',
     "an object whose keys are 'name', 'state', 'type', 'v'"),
    ("{}", "an empty object"),
])
def test_an_object_that_is_no_popolo_container_is_refused_rather_than_imported_as_nothing(
        text: str, got: str) -> None:
    """A JSON object with none of Popolo's lists (a one-line JSON Lines file of events, given
    the wrong --format) is refused naming the lists expected and the keys it has."""
    reg = Registry()
    with pytest.raises(DecodeError, match=r"^expected a Popolo container, with one or more of "
                                          r"areas, events, memberships, .*vote_events; "
                                          f"got {re.escape(got)}$"):
        import_popolo(reg, io.StringIO(text))
    assert reg.position == 0
    assert import_popolo(reg, to_popolo(Registry(), on="2024-01-01")) == 0  # (empty, but Popolo)


def test_the_schema_check_itself_catches_bad_items() -> None:
    """The validators used above reject a date Popolo does not allow and a link without URL."""
    validators = _validators()
    assert list(validators["memberships"].iter_errors({"start_date": "16/09/2023"}))
    assert list(validators["organizations"].iter_errors({"sources": [{"note": "no url"}]}))


def test_kind_changes_and_an_abolished_post_round_trip() -> None:
    """A membership whose kind changed, and a post abolished with a holder sitting, come back
    from Popolo with the same kinds, tenures and post end."""
    reg = Registry()
    for state in ("MRT", "CPV"):
        reg.register_state(state, name=state)
    reg.register_person("p", name="P")
    reg.found("ECOWAS", name="ECOWAS", on="1975-05-28")
    reg.join("MRT", "ECOWAS", on="1975-05-28")
    reg.change_kind("MRT", "ECOWAS", kind="associate", on="2017-08-09")
    reg.withdraw("MRT", "ECOWAS", on="2020-12-01")
    reg.join("CPV", "ECOWAS", on="1977-01-01", kind="observer")
    reg.create_post("ECOWAS/envoy", bloc="ECOWAS", title="Envoy", on="2000-01-01")
    reg.appoint("ECOWAS/envoy", "p", on="2001-01-01")
    reg.abolish_post("ECOWAS/envoy", on="2010-01-01")
    data = to_popolo(reg)
    envoy = next(p for p in data["posts"] if p["id"] == "ECOWAS/envoy")
    assert envoy["end_date"] == "2009-12-31"  # Popolo's end dates are last days
    copy = Registry()
    import_popolo(copy, data)
    assert copy.kinds("MRT", "ECOWAS") == reg.kinds("MRT", "ECOWAS") == [
        (pendulum.Date(1975, 5, 28), "full"), (pendulum.Date(2017, 8, 9), "associate")]
    assert copy.periods("MRT", "ECOWAS") == reg.periods("MRT", "ECOWAS")
    assert copy.kinds("CPV", "ECOWAS") == [(pendulum.Date(1977, 1, 1), "observer")]
    assert copy.tenures("ECOWAS/envoy") == reg.tenures("ECOWAS/envoy")


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ("not an object", r"\$\.memberships\[0\]: expected an object"),
        ({"member": {"@type": "Organization", "id": "MLI"}, "organization_id": "AES"},
         r"\$\.memberships\[0\]\.start_date: required \(the membership's first day\)"),
        ({"member": {"@type": "Organization", "id": "XYZ"}, "organization_id": "AES",
          "start_date": "2023-09-16"}, r"\$\.memberships\[0\]\.member\.id: unknown organization 'XYZ'"),
        ({"member": {"@type": "Organization", "id": "MLI"}, "organization_id": "AES",
          "start_date": "2023-09-16", "role": "chair"},
         r"\$\.memberships\[0\]\.role: expected one of \['associate member', 'member', 'observer'\], "
         r"got 'chair'"),
        ({"member": {"@type": "Organization", "id": "MLI"}, "organization_id": "AES",
          "start_date": "2023-09-16", "role": ["member"]},
         r"\$\.memberships\[0\]\.role: expected one of \['associate member', 'member', 'observer'\], "
         r"got \['member'\]"),
        ({"person_id": "nobody", "post_id": "AES/president", "start_date": "2024-07-06"},
         r"\$\.memberships\[0\]\.person_id: unknown person 'nobody'"),
        ({"person_id": "assimi-goita", "post_id": "AES/none", "start_date": "2024-07-06"},
         r"\$\.memberships\[0\]\.post_id: unknown post 'AES/none'"),
        ({"person_id": "assimi-goita", "start_date": "2024-07-06"},
         r"\$\.memberships\[0\]: expected an Organization member, or a person_id with a post_id"),
    ],
)
def test_a_membership_that_cannot_be_read_is_refused_naming_it(item: Any, problem: str) -> None:
    """Each kind of unreadable membership is a DecodeError naming the item and the field."""
    reg = Registry()
    data = {
        "organizations": [{"id": "MLI", "name": "Mali"},
                          {"id": "AES", "name": "AES", "founding_date": "2023-09-16"}],
        "persons": [{"id": "assimi-goita", "name": "Assimi Goïta"}],
        "posts": [{"id": "AES/president", "label": "President", "organization_id": "AES"}],
        "memberships": [item],
    }
    with pytest.raises(DecodeError, match=problem):
        import_popolo(reg, data)
    assert reg.position == 0


def _container() -> dict[str, Any]:
    return {
        "organizations": [{"id": "MLI", "name": "Mali"},
                          {"id": "AES", "name": "AES", "founding_date": "2023-09-16"}],
        "persons": [{"id": "assimi-goita", "name": "Assimi Goïta"}],
        "posts": [{"id": "AES/president", "label": "President", "organization_id": "AES"}],
        "memberships": [{"member": {"@type": "Organization", "id": "MLI"},
                         "organization_id": "AES", "start_date": "2023-09-16"},
                        {"person_id": "assimi-goita", "post_id": "AES/president",
                         "start_date": "2024-07-06"}],
    }


@pytest.mark.parametrize(
    ("where", "value", "problem"),
    [
        (("organizations",), 5, r"\$\.organizations: expected a list, got int"),
        (("persons",), {"id": "x"}, r"\$\.persons: expected a list, got dict"),
        (("organizations", 0), "MLI", r"\$\.organizations\[0\]: expected an object, got 'MLI'"),
        (("organizations", 0, "id"), ["MLI"],
         r"\$\.organizations\[0\]\.id: expected an id \(text\) or null, got \['MLI'\]"),
        (("posts", 0, "organization_id"), ["AES"],
         r"\$\.posts\[id=AES/president\]\.organization_id: expected an id \(text\) or null"),
        (("memberships", 0, "member", "id"), ["MLI"],
         r"\$\.memberships\[0\]\.member\.id: expected an id \(text\) or null, got \['MLI'\]"),
        (("memberships", 0, "organization_id"), {"id": "AES"},
         r"\$\.memberships\[0\]\.organization_id: expected an id \(text\) or null"),
        (("memberships", 1, "person_id"), 7,
         r"\$\.memberships\[1\]\.person_id: expected an id \(text\) or null, got 7"),
        (("organizations", 0, "identifiers"), {"scheme": "iso3166", "identifier": "MLI"},
         r"\$\.organizations\[id=MLI\]\.identifiers: expected a list, got dict"),
    ],
)
def test_a_container_of_the_wrong_shape_is_refused_naming_the_place(
        where: tuple[Any, ...], value: Any, problem: str) -> None:
    """A list, item, id or reference of a kind Popolo's schemas do not allow is a DecodeError
    naming its place, and nothing is recorded."""
    data = _container()
    import_popolo(Registry(), data)  # as given, it is read
    parent: Any = data
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    reg = Registry()
    with pytest.raises(DecodeError, match=problem):
        import_popolo(reg, data)
    assert reg.position == 0


def test_items_without_an_id_are_left_out_and_null_lists_are_empty() -> None:
    """Popolo allows a null id (the item cannot be referred to) and the importer reads a
    null list as an empty one."""
    data = _container()
    data["organizations"].append({"id": None, "name": "Nameless"})
    reg = Registry()
    import_popolo(reg, data)
    assert reg.ids("bloc") == {"AES"} and reg.ids("state") == {"MLI"}
    data["persons"] = None
    with pytest.raises(DecodeError, match=r"person_id: unknown person 'assimi-goita'"):
        import_popolo(Registry(), data)


def test_a_bloc_without_a_founding_date_is_refused() -> None:
    """An organization that members join must say when it was founded."""
    data = {
        "organizations": [{"id": "MLI", "name": "Mali"}, {"id": "AES", "name": "AES"}],
        "memberships": [{"member": {"@type": "Organization", "id": "MLI"},
                         "organization_id": "AES", "start_date": "2023-09-16"}],
    }
    with pytest.raises(DecodeError, match=r"\$\.organizations\[id=AES\]\.founding_date: required "
                                          r"for a bloc"):
        import_popolo(Registry(), data)
