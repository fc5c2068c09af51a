"""Correlates of War panels: import into events, export back, on a fixture and the real files."""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections import Counter
from pathlib import Path

import attrs
import pytest

from aes_membership import DecodeError, FieldError, Registry, Truth
from aes_membership.interop import cow
from conftest import shared_file

# A hand-made state-year panel: Mali (432) and Niger (436) from 1958, Zanzibar (511, a
# historical state) for 1963-1964; three IGOs. "xigo" exists 1960-1962 only.
STATE_YEAR = """ccode,year,state,ecowas,uemoa,xigo
432,1960,mali,-1,-1,1
432,1961,mali,-1,-1,1
432,1962,mali,-1,-1,0
432,1975,mali,1,-1,-1
432,1976,mali,1,-1,-1
432,1977,mali,-9,-1,-1
432,1978,mali,1,-1,-1
432,1994,mali,1,1,-1
432,1995,mali,1,1,-1
436,1960,niger,-1,-1,3
436,1961,niger,-1,-1,2
436,1962,niger,-1,-1,2
436,1975,niger,1,-1,-1
436,1976,niger,0,-1,-1
436,1977,niger,0,-1,-1
436,1978,niger,1,-1,-1
436,1994,niger,1,1,-1
436,1995,niger,1,0,-1
511,1963,zanzibar,-1,-1,-1
511,1964,zanzibar,-1,-1,-1
"""


def _cells(text: str, lead: int) -> dict[tuple[str, ...], int]:
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    return {(row[0], row[1], row[2], header[i]): int(row[i])
            for row in rows[1:] for i in range(lead, len(header))}


@pytest.fixture
def fixture_registry() -> Registry:
    reg = Registry()
    cow.import_state_year(reg, io.StringIO(STATE_YEAR))
    return reg


def test_state_ids_are_iso_where_possible_and_cow_otherwise(fixture_registry: Registry) -> None:
    """Mali is MLI and Niger NER (ISO alpha-3); Zanzibar, with no ISO code, is COW-ZAN."""
    assert fixture_registry.ids("state") == {"MLI", "NER", "COW-ZAN"}
    registered = fixture_registry.history("COW-ZAN")[0]
    assert registered.identifiers == {"cow": "511", "cow_abbrev": "ZAN"}  # type: ignore[attr-defined]


def test_codes_become_memberships_of_the_right_kind(fixture_registry: Registry) -> None:
    """1/2/3 are full, associate and observer; 0 is not a member; kinds change by year."""
    reg = fixture_registry
    assert reg.snapshot("1960-12-31").kind("NER", "XIGO") == "observer"
    assert reg.snapshot("1961-12-31").kind("NER", "XIGO") == "associate"
    assert reg.snapshot("1961-12-31").kind("MLI", "XIGO") == "full"
    assert not reg.snapshot("1962-12-31").is_member("MLI", "XIGO")
    assert not reg.snapshot("1976-12-31").is_member("NER", "ECOWAS")
    assert reg.snapshot("1978-12-31").is_member("NER", "ECOWAS")


def test_missing_cells_are_never_membership(fixture_registry: Registry) -> None:
    """Mali's -9 for ECOWAS in 1977 ends the spell: no membership is invented that year.

    (The fixture has no rows for 1979-1993: out of the state system, so the spell ends too.)
    """
    reg = fixture_registry
    assert not reg.snapshot("1977-06-30").is_member("MLI", "ECOWAS")
    assert [(str(p.start), str(p.end)) for p in reg.periods("MLI", "ECOWAS")] == [
        ("1975", "1977"), ("1978", "1979"), ("1994", "None")]


def test_years_are_year_precision_with_three_valued_answers(fixture_registry: Registry) -> None:
    """A spell starting "1975" is UNKNOWN during 1975 and YES by its last day."""
    snap = fixture_registry.snapshot("1975-03-01")
    assert snap.truth_member("MLI", "ECOWAS") is Truth.UNKNOWN
    assert fixture_registry.snapshot("1975-12-31").truth_member("MLI", "ECOWAS") is Truth.YES


def test_an_igo_that_stopped_existing_is_dissolved(fixture_registry: Registry) -> None:
    """XIGO has cells only for 1960-1962 (-1 after), so it is dissolved in 1963."""
    dissolved = [e for e in fixture_registry.history("XIGO") if e.TYPE == "bloc-dissolved"]
    assert [str(e.effective) for e in dissolved] == ["1963"]


def test_state_year_round_trip_is_exact_apart_from_missing_cells(
        fixture_registry: Registry) -> None:
    """Exporting gives back every cell of the fixture except -9, which comes back as 0."""
    out = io.StringIO()
    rows = cow.export_state_year(fixture_registry, out)
    assert rows == STATE_YEAR.count("\n") - 1
    before, after = _cells(STATE_YEAR, 3), _cells(out.getvalue(), 3)
    assert before.keys() == after.keys()
    changed = [(before[k], after[k]) for k in before if before[k] != after[k]]
    assert changed == [(-9, 0)]


def test_export_rule_on_a_given_day(fixture_registry: Registry) -> None:
    """rule="06-30" codes each year by membership on 30 June, which year precision leaves
    uncertain in the first year of a spell."""
    out = io.StringIO()
    cow.export_state_year(fixture_registry, out, rule="06-30")
    by_year = {(row[0], row[1]): row for row in csv.reader(io.StringIO(out.getvalue()))}
    header = next(csv.reader(io.StringIO(out.getvalue())))
    column = header.index("ecowas")
    assert by_year[("432", "1975")][column] == "0"  # joined "1975": not certain on 30 June
    assert by_year[("432", "1976")][column] == "1"
    for rule in ("June", "02-30", 1231, b"06-30"):
        with pytest.raises(FieldError, match="'any' or a day of the year"):
            cow.export_state_year(fixture_registry, io.StringIO(), rule=rule)  # type: ignore[arg-type]
    for export in (cow.export_state_year, cow.export_igo_year):
        for years in ("1990", range(0, 3), range(9990, 10001), range(2015, 1816), range(1990, 1990)):
            with pytest.raises(FieldError, match=r"years: expected a range of years from 1 to "
                                                 rf"9998, not empty, .*got {re.escape(repr(years))}$"):
                export(fixture_registry, io.StringIO(), years=years)  # type: ignore[arg-type]


def _without_ids(reg: Registry) -> list[tuple[type, dict[str, object]]]:
    return [(type(recorded.event), {name: value for name, value in attrs.asdict(recorded.event).items()
                                    if name != "id"}) for recorded in reg.events()]


def test_odd_spellings_of_cells_import_as_their_plain_spelling(fixture_registry: Registry) -> None:
    """Cells written "1.0", " 2 ", "-9.0", "3.0", "." or empty read as 1, 2, -9, 3 and -1."""
    spelt = {"1": "1.0", "2": " 2 ", "3": "3.0", "-9": "-9.0", "-1": "."}
    rows = [row.split(",") for row in STATE_YEAR.splitlines()]
    odd = [rows[0]] + [row[:3] + [spelt.get(cell, cell) for cell in row[3:]] for row in rows[1:]]
    odd[-1][3] = ""
    reg = Registry()
    cow.import_state_year(reg, io.StringIO("".join(",".join(row) + "\n" for row in odd)))
    assert _without_ids(reg) == _without_ids(fixture_registry)
    exported, expected = io.StringIO(), io.StringIO()
    cow.export_state_year(reg, exported)
    cow.export_state_year(fixture_registry, expected)
    assert exported.getvalue() == expected.getvalue()


def test_bad_cells_name_line_and_column() -> None:
    """A cell outside the code list is reported with its line and column; nothing recorded."""
    reg = Registry()
    bad = STATE_YEAR.replace("432,1976,mali,1,", "432,1976,mali,7,")
    with pytest.raises(DecodeError, match=r"line 6: column 'ecowas': expected one of") as caught:
        cow.import_state_year(reg, io.StringIO(bad))
    assert caught.value.line == 6
    assert reg.position == 0
    with pytest.raises(DecodeError, match="no COW state has the code 999"):
        cow.import_state_year(reg, io.StringIO(STATE_YEAR + "999,1990,atlantis,1,1,1\n"))
    with pytest.raises(DecodeError, match="header"):
        cow.import_state_year(reg, io.StringIO("a,b,c\n1,2,3\n"))
    assert reg.position == 0


@pytest.mark.parametrize(("kind", "panel", "message"), [
    ("state-year", "ccode,year,state,ecowas\n432,1975,mali,1\n432,1975,mali,0\n",
     "line 3: state 432 in 1975 again (line 2 has it)"),
    ("state-year", "ccode,year,state,ecowas\n432,0,mali,1\n",
     "line 2: column 'year': expected a year from 1 to 9998, got '0'"),
    ("state-year", "ccode,year,state,ecowas,ECOWAS\n432,1975,mali,1,1\n",
     "line 1: column 'ECOWAS': the IGO 'ecowas' again"),
    ("state-year", "ccode,year,state,west africa\n432,1975,mali,1\n",
     "line 1: column 'west africa': expected an IGO name without spaces"),
    ("igo-year", "ioname,orgname,year,mali\nECOWAS,Economic,1975,1\nECOWAS,Economic,1975,0\n",
     "line 3: IGO 'ECOWAS' in 1975 again (line 2 has it)"),
    ("igo-year", "ioname,orgname,year,mali\nECOWAS,Economic,1975,1\necowas,Economic,1976,1\n",
     "line 3: ioname 'ecowas': the IGO 'ECOWAS' again"),
    ("igo-year", "ioname,orgname,year,mali\nWest Africa,Economic,1975,1\n",
     "line 2: ioname 'West Africa': expected an IGO name without spaces"),
    ("igo-year", 'ioname,orgname,year,mali\nECOWAS,"Economic\tCommunity",1975,1\n',
     "line 2: orgname 'Economic\\tCommunity': expected a name without control characters, such "
     "as tabs or line breaks"),
    ("igo-year", "ioname,orgname,year,mali\nECO\x00WAS,Economic,1975,1\n",
     "line 2: ioname 'ECO\\x00WAS': expected an IGO name without spaces"),
    ("igo-year", "ioname,orgname,year,mali\nECOWAS,Economic,99999,1\n",
     "line 2: column 'year': expected a year from 1 to 9998, got '99999'"),
    ("state-year", "ccode,year,state,ecowas\n432,1975,mali\n", "line 2: expected 4 cells, got 3"),
    ("state-year", "ccode,year,state,ecowas\nmali,1975,mali,1\n",
     "line 2: column 'ccode': expected a whole number, got 'mali'"),
    ("state-year", "ccode,year,state,ecowas\n432,1975,mali,yes\n",
     "line 2: column 'ecowas': expected one of 1, 2, 3, 0, -9 or -1, got 'yes'"),
    ("state-year", "ccode,year,state,ecowas\n", "line 2: the panel has no rows"),
    ("state-year", "", "line 1: expected a header starting ccode,year,state, got an empty file"),
    ("igo-year", "name,orgname,year,mali\nECOWAS,Economic,1975,1\n",
     "line 1: expected a header starting ioname,orgname,year, got ['name', 'orgname', 'year', 'mali']"),
    ("igo-year", "", "line 1: expected a header starting ioname,orgname,year, got an empty file"),
    ("igo-year", "ioname,orgname,year,atlantis\nECOWAS,Economic,1975,1\n",
     "line 1: the header names no COW state column (such as 'mali')"),
    ("igo-year", "ioname,orgname,year,mali\nECOWAS,Economic,1975\n", "line 2: expected 4 cells, got 3"),
    ("igo-year", "ioname,orgname,year,mali\nECOWAS,Economic,1975,x\n",
     "line 2: column 'mali': expected one of 1, 2, 3, 0, -9 or -1, got 'x'"),
    ("igo-year", "ioname,orgname,year,mali\n", "line 2: the panel has no rows"),
    ("state-year", "ccode,year,state,ecowas\n432,1975,mali,1.5\n",
     "line 2: column 'ecowas': expected one of 1, 2, 3, 0, -9 or -1, got '1.5'"),
    ("state-year", "ccode,year,state,ecowas\n432,1975.5,mali,1\n",
     "line 2: column 'year': expected a whole number, got '1975.5'"),
    ("state-year", "ccode,year,state,ecowas\n" + "9" * 400 + ",1975,mali,1\n",
     "line 2: column 'ccode': expected a whole number, got '" + "9" * 400 + "'"),
    ("igo-year", "ioname,orgname,year,mali\nECOWAS,Economic,1975,inf\n",
     "line 2: column 'mali': expected one of 1, 2, 3, 0, -9 or -1, got 'inf'"),
    ("state-year", "ccode,year,state,ecowas\n432,1_975,mali,1\n",
     "line 2: column 'year': expected a whole number, got '1_975'"),
    ("state-year", "ccode,year,state,ecowas\n4.32e2,1975,mali,1\n",
     "line 2: column 'ccode': expected a whole number, got '4.32e2'"),
    ("igo-year", "ioname,orgname,year,mali\nECOWAS,Economic,1975,\uff11\n",
     "line 2: column 'mali': expected one of 1, 2, 3, 0, -9 or -1, got '\uff11'"),
])
def test_a_panel_that_cannot_be_read_is_refused_naming_the_line(
        kind: str, panel: str, message: str) -> None:
    """A repeated row or IGO, a year out of range, an IGO name no bloc can take, a row of
    the wrong length, a code outside the list (a fraction of one too), a number that is not
    whole, a header that is not a panel's, or no rows at all: refused naming the line, and
    nothing recorded."""
    reg = Registry()
    importer = cow.import_state_year if kind == "state-year" else cow.import_igo_year
    with pytest.raises(DecodeError) as caught:
        importer(reg, io.StringIO(panel))
    assert str(caught.value) == message
    assert reg.position == 0


def test_new_states_are_named_from_cow_state_list_when_given() -> None:
    """With states_file, new states take COW's names; without, their column names; a file
    that is not COW's state list is refused, and nothing recorded."""
    states = "stateabb,ccode,statenme\nMLI,432,Mali\nNIR,436,Niger\n"
    named = Registry()
    cow.import_state_year(named, io.StringIO(STATE_YEAR), states_file=io.StringIO(states))
    assert [named.snapshot("1995-12-31").name(s) for s in ("MLI", "NER", "COW-ZAN")] == [
        "Mali", "Niger", "zanzibar"]
    plain = Registry()
    cow.import_state_year(plain, io.StringIO(STATE_YEAR))
    assert plain.snapshot("1995-12-31").name("MLI") == "mali"
    refused = Registry()
    with pytest.raises(DecodeError, match="line 1: states_file: expected COW's state list with "
                                          "columns ccode and statenme"):
        cow.import_state_year(refused, io.StringIO(STATE_YEAR), states_file=io.StringIO("a,b\n1,2\n"))
    assert refused.position == 0


def test_a_cow_code_that_names_no_state_is_a_lookup_error() -> None:
    """cow_state knows every code of COW's list, and names a code it does not have."""
    assert (cow.cow_state(432).ident, cow.cow_state(511).ident) == ("MLI", "COW-ZAN")
    with pytest.raises(LookupError, match=r"^no COW state has the code 999$"):
        cow.cow_state(999)


def test_a_rule_of_29_february_reads_28_february_in_other_years(fixture_registry: Registry) -> None:
    """rule="02-29" codes a year that has no 29 February by its 28 February."""
    leap, plain = io.StringIO(), io.StringIO()
    cow.export_state_year(fixture_registry, leap, rule="02-29")
    cow.export_state_year(fixture_registry, plain, rule="02-28")
    assert leap.getvalue() == plain.getvalue() and "432,1961,mali" in leap.getvalue()


def test_exporting_a_registry_without_a_panel_needs_years() -> None:
    """A registry that holds no imported panel cannot say which years to write: years= is
    asked for by name."""
    with pytest.raises(FieldError, match=r"^years: expected a range of years, such as "
                                         r"range\(1816, 2015\), since this registry holds no "
                                         r"imported COW panel to take them from, got None$"):
        cow.export_state_year(Registry(), io.StringIO())


def test_igo_year_round_trip_on_a_fixture() -> None:
    """An IGO-year panel (format 3.0a) imports and exports back cell for cell."""
    states = [s.column for s in sorted(cow.cow_states(), key=lambda s: s.column)]
    header = ["ioname", "orgname", "year", *states]
    rows = []
    for year in (1994, 1995, 1996):
        cells = {s: (-1 if s == "zanzibar" else 0) for s in states}
        cells["mali"] = 1
        cells["niger"] = 1 if year < 1996 else 0
        cells["senegal"] = 3 if year == 1994 else 2
        rows.append(["UEMOA", "West African Economic and Monetary Union", year,
                     *(cells[s] for s in states)])
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([header, *rows])
    reg = Registry()
    cow.import_igo_year(reg, io.StringIO(text.getvalue()))
    assert reg.snapshot("1995-12-31").members("UEMOA") == {"MLI", "NER", "SEN"}
    assert reg.snapshot("1994-12-31").kind("SEN", "UEMOA") == "observer"
    out = io.StringIO()
    assert cow.export_igo_year(reg, out, years=range(1994, 1997)) == 3
    assert out.getvalue() == text.getvalue()


def test_an_igo_year_panel_tells_the_state_system_by_its_cells() -> None:
    """In an IGO-year panel a state is in the state system in the years some cell of it is
    0 to 3: -1 says it was not, and -9 (missing) is no evidence that it was."""
    panel = ("ioname,orgname,year,mali,niger,senegal\n"
             "UEMOA,Union,1994,1,-9,-1\nUEMOA,Union,1995,1,0,0\nUEMOA,Union,1996,1,0,-9\n")
    reg = Registry()
    cow.import_igo_year(reg, io.StringIO(panel))
    spans = {state: [(str(p.start), str(p.end) if p.end else None)
                     for p in reg.periods(state, cow.SYSTEM_BLOC)]
             for state in ("MLI", "NER", "SEN")}
    assert spans == {"MLI": [("1994", None)], "NER": [("1995", None)],
                     "SEN": [("1995", "1996")]}
    assert [str(p.start) for p in reg.periods("MLI", "UEMOA")] == ["1994"]
    assert reg.periods("NER", "UEMOA") == []
    spelt = Registry()  # odd spellings read as their plain ones: "1.0", " 0 ", "." for -1
    cow.import_igo_year(spelt, io.StringIO(
        panel.replace(",1,-9,-1", ",1.0,-9.0,.").replace(",1,0,0", ",1, 0 ,0")))
    assert [r.event for r in spelt.events()] == [r.event for r in reg.events()]


def test_importing_a_panel_again_records_nothing_new() -> None:
    """Event ids come from the panel's content: a second import of the same panel records
    nothing, and another registry gets the same ids."""
    reg = Registry()
    first = cow.import_state_year(reg, io.StringIO(STATE_YEAR))
    assert first == reg.position > 0
    assert cow.import_state_year(reg, io.StringIO(STATE_YEAR)) == 0
    assert reg.position == first
    other = Registry()
    cow.import_state_year(other, io.StringIO(STATE_YEAR))
    assert [r.event.id for r in other.events()] == [r.event.id for r in reg.events()]
    assert len({r.event.id for r in reg.events()}) == first


# -- the real Correlates of War files (skipped where absent) --------------------------------


@pytest.fixture(scope="module")
def cow_registry() -> Registry:
    reg = Registry()
    cow.import_state_year(reg, shared_file("cow-igo-v3", "state_year_format3.csv.gz"))
    return reg


def _real_rows() -> tuple[list[str], list[list[str]]]:
    path = shared_file("cow-igo-v3", "state_year_format3.csv.gz")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


@pytest.mark.slow
def test_mali_in_1990_agrees_with_the_file(cow_registry: Registry) -> None:
    """The IGOs Mali belonged to during 1990 are exactly those the file codes 1, 2 or 3."""
    header, rows = _real_rows()
    mali = next(r for r in rows if r[0] == "432" and r[1] == "1990")
    expected = {header[i].upper() for i in range(3, len(header)) if mali[i] in ("1", "2", "3")}
    answer = cow_registry.snapshot("1990-12-31").blocs_of("MLI") - {cow.SYSTEM_BLOC}
    assert answer == expected
    assert len(expected) > 50


@pytest.mark.slow
def test_full_state_year_round_trip(cow_registry: Registry, tmp_path: Path) -> None:
    """Every cell comes back except the documented ones: -9 (as 0) and -1 inside an IGO's life."""
    header, rows = _real_rows()
    out = tmp_path / "state_year.csv"
    assert cow.export_state_year(cow_registry, out) == len(rows)
    with out.open(encoding="utf-8") as handle:
        again = list(csv.reader(handle))
    assert sorted(again[0][3:]) == sorted(header[3:])  # columns sorted by name on export
    where = [again[0].index(column) for column in header]
    changes: Counter[tuple[str, str]] = Counter()
    for old, new in zip(rows, again[1:], strict=True):
        assert old[:3] == new[:3]
        for a, b in zip(old[3:], (new[i] for i in where[3:]), strict=True):
            if a != b:
                changes[(a, b)] += 1
    assert set(changes) <= {("-9", "0"), ("-1", "0")}
    assert changes[("-1", "0")] == 2345  # gaps inside an IGO's life (docs/interop.md)
    assert changes[("-9", "0")] == sum(r[3:].count("-9") for r in rows)


@pytest.mark.slow
def test_full_igo_year_round_trip(tmp_path: Path) -> None:
    """The IGO-year file comes back cell for cell apart from the documented kinds of cells."""
    source = shared_file("cow-igo-v3", "igo_year_format3.csv.gz")
    reg = Registry()
    cow.import_igo_year(reg, source)
    out = tmp_path / "igo_year.csv"
    cow.export_igo_year(reg, out)
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    states = {s.column for s in cow.cow_states()}
    before = {(r[0], r[2], c): v for r in rows[1:]
              for c, v in zip(rows[0], r, strict=True) if c in states}
    with out.open(encoding="utf-8") as handle:
        again = list(csv.reader(handle))
    after = {(r[0], r[2], c): v for r in again[1:]
             for c, v in zip(again[0], r, strict=True) if c in states}
    changes: Counter[tuple[str | None, str | None]] = Counter(
        (before.get(k), after.get(k)) for k in before.keys() | after.keys()
        if before.get(k) != after.get(k))
    assert set(changes) <= {("-9", "0"), ("-9", "-1"), ("-1", "0"), (None, "0"), (None, "-1")}
    assert changes[("-1", "0")] == 907
    missing_rows = changes[(None, "0")] + changes[(None, "-1")]
    assert missing_rows % len(states) == 0  # whole rows: years the file skips in an IGO's life


def test_a_history_recorded_by_hand_exports_by_its_cow_codes() -> None:
    """A registry no panel was imported into exports its states with a COW code, every year,
    and its blocs named by a COW column or a COW abbreviation (cow_igo), in both shapes."""
    reg = Registry()
    reg.register_state("MLI", name="Mali", identifiers={"cow": "432"})
    reg.register_state("XYZ", name="Nowhere")  # no COW code: no row, no column
    reg.found("ECOWAS", name="ECOWAS", on="1975-05-28", identifiers={"cow_igo": "ECOWAS"})
    reg.found("UEMOA", name="UEMOA", on="1994-01-10", identifiers={"cow": "uemoa"})
    reg.found("OTHER", name="Other", on="1990-01-01")
    reg.join("MLI", "ECOWAS", on="1975-05-28")
    reg.withdraw("MLI", "ECOWAS", on="2025-01-29")
    reg.join("MLI", "UEMOA", on="1994-01-10")
    out = io.StringIO()
    assert cow.export_state_year(reg, out, years=range(1993, 1995)) == 2
    assert out.getvalue() == "ccode,year,state,ecowas,uemoa\n432,1993,mali,1,-1\n432,1994,mali,1,1\n"
    out = io.StringIO()
    assert cow.export_igo_year(reg, out, years=range(2025, 2027)) == 4
    rows = {(row["ioname"], row["year"]): row["mali"] for row in csv.DictReader(io.StringIO(out.getvalue()))}
    assert rows == {("ECOWAS", "2025"): "1", ("ECOWAS", "2026"): "0",
                    ("UEMOA", "2025"): "1", ("UEMOA", "2026"): "1"}
