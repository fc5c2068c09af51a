"""Files from outside, changed anywhere: recorded, or refused with the library's own error."""

from __future__ import annotations

import copy
import csv
import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aes_membership import MembershipError, Registry
from aes_membership.datasets import west_africa
from aes_membership.interop import cow, export_events, import_events, import_popolo, to_popolo

# Any JSON value, small: what a hand-edited or generated file may hold in any place.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
FEW = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def popolo() -> dict[str, Any]:
    return to_popolo(west_africa())


@pytest.fixture(scope="module")
def jsonl() -> list[str]:
    out = io.StringIO()
    export_events(west_africa(), out)
    return out.getvalue().splitlines()


def _change(data: st.DataObject, container: Any, value: Any) -> None:
    """Put ``value`` in one place of ``container`` (an object or a list), or one level down."""
    keys = [*sorted(container), "added"] if isinstance(container, dict) else list(range(len(container)))
    key = data.draw(st.sampled_from(keys))
    inner = container[key] if key != "added" else None
    if isinstance(inner, (dict, list)) and inner and data.draw(st.booleans()):
        _change(data, inner, value)
    else:
        container[key] = value


@FEW
@given(collection=st.sampled_from(["persons", "organizations", "memberships", "posts"]),
       value=JSON_VALUES, data=st.data())
def test_a_popolo_file_changed_in_one_place_is_recorded_or_refused(
        popolo: dict[str, Any], collection: str, value: Any, data: st.DataObject) -> None:
    """A Popolo export with any one value changed (a role made a list, say) imports, or is
    refused with the library's error; no other exception, and nothing half-recorded."""
    changed = copy.deepcopy(popolo)
    _change(data, data.draw(st.sampled_from(changed[collection])), value)
    registry = Registry()
    try:
        import_popolo(registry, changed)
    except MembershipError:
        assert registry.position == 0


@FEW
@given(value=JSON_VALUES, data=st.data())
def test_a_json_lines_file_changed_in_one_place_is_recorded_or_refused(
        jsonl: list[str], value: Any, data: st.DataObject) -> None:
    """The library's own JSON Lines, with any one value of one line changed, import or are
    refused with the library's error, naming the line."""
    index = data.draw(st.integers(0, len(jsonl) - 1))
    record = json.loads(jsonl[index])
    _change(data, record, value)
    registry = Registry()
    refused: MembershipError | None = None
    try:
        import_events(registry, io.StringIO("\n".join([*jsonl[:index], json.dumps(record)])))
    except MembershipError as error:
        refused = error
    if refused is not None:
        assert registry.position == 0
        assert getattr(refused, "line", None) in (None, index + 1)


CELLS = st.sampled_from(["1", "0", "-9", "-1", "2", "3", "", " ", "1.0", "x", "1e3", "-0", "+1"]) \
    | st.text(max_size=5)


@FEW
@given(rows=st.lists(st.tuples(st.sampled_from(["ECOWAS", "UEMOA", "ecowas", "A/B", " X", ""]),
                               st.text(max_size=5),
                               st.integers(-5, 10005).map(str) | st.text(max_size=4),
                               st.lists(CELLS, min_size=3, max_size=4)), max_size=6),
       dead=st.booleans())
def test_a_cow_igo_year_panel_of_any_rows_is_recorded_or_refused(
        rows: list[tuple[str, str, str, list[str]]], dead: bool) -> None:
    """An IGO-year panel of odd names, years and cells imports or is refused with the
    library's error."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ioname", "orgname", "year", "mali", "niger", "senegal", *(["dead"] if dead else [])])
    writer.writerows([name, orgname, year, *cells] for name, orgname, year, cells in rows)
    registry = Registry()
    try:
        cow.import_igo_year(registry, io.StringIO(out.getvalue()))
    except MembershipError:
        assert registry.position == 0
