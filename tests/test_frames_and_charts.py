"""pandas frames and matplotlib charts of a history."""

from __future__ import annotations

import datetime as dt
import io
import sys
from pathlib import Path

import pendulum
import pytest

from aes_membership import DateError, FieldError, Registry, UnknownIdError
from aes_membership.interop import TerminalProgress

pd = pytest.importorskip("pandas")


def test_memberships_frame_is_tidy_with_date_dtypes(wa: Registry) -> None:
    """One row per stretch of membership, with datetime64 dates and their precision."""
    frame = wa.memberships_frame()
    assert list(frame.columns) == ["state", "state_name", "bloc", "bloc_name", "kind",
                                   "suspended", "start", "end", "start_precision",
                                   "end_precision"]
    assert str(frame["start"].dtype).startswith("datetime64")
    assert str(frame["end"].dtype).startswith("datetime64")
    cape_verde = frame[(frame.state == "CPV") & (frame.bloc == "ECOWAS")].iloc[0]
    assert cape_verde.start == pd.Timestamp("1977-01-01")
    assert cape_verde.start_precision == "year" and pd.isna(cape_verde.end)
    mali = frame[(frame.state == "MLI") & (frame.bloc == "ECOWAS")]
    assert list(mali.suspended) == [False, True]
    assert mali.iloc[-1].end == pd.Timestamp("2025-01-29")


def test_frame_answers_agree_with_snapshots(wa: Registry) -> None:
    """Filtering the frame on a date gives the snapshot's members (groupby-ready)."""
    frame = wa.memberships_frame()
    day = pd.Timestamp("2024-06-01")
    current = frame[(frame.start <= day) & (frame.end.isna() | (frame.end > day))]
    by_bloc = current.groupby("bloc")["state"].apply(set).to_dict()
    snap = wa.snapshot("2024-06-01")
    assert by_bloc == {bloc: snap.members(bloc) for bloc in snap.blocs() if snap.members(bloc)}


def test_tenures_frame(wa: Registry) -> None:
    """One row per tenure, with the post's title and the person's name."""
    frame = wa.tenures_frame()
    aes = frame[frame.post == "AES/president"]
    assert list(aes.person) == ["assimi-goita", "ibrahim-traore"]
    assert aes.iloc[0].person_name == "Assimi Goïta"
    assert aes.iloc[0].owner == "AES"


def test_snapshot_to_frame(wa: Registry) -> None:
    """A snapshot's frame lists its memberships with the date in a datetime column."""
    snap = wa.snapshot("2024-06-01")
    frame = snap.to_frame()
    assert len(frame) == len(snap.memberships())
    assert set(frame[frame.bloc == "ECOWAS"].state) == snap.members("ECOWAS")
    assert (frame.on == pd.Timestamp("2024-06-01")).all()


def test_frames_as_known_at(wa: Registry) -> None:
    """Frames can be asked as known at an earlier instant, like every query."""
    early = wa.memberships_frame(as_known_at="2023-12-01T00:00:00Z")
    late = wa.memberships_frame()
    row = {"state": "BFA", "bloc": "G5S"}
    assert early[(early.state == row["state"]) & (early.bloc == row["bloc"])].end.isna().all()
    assert late[(late.state == row["state"]) & (late.bloc == row["bloc"])].end.notna().all()


def test_chart_of_a_bloc_and_a_state(wa: Registry, tmp_path: Path) -> None:
    """Charts are written as PNG and SVG, with one row per member state (or per bloc)."""
    pytest.importorskip("matplotlib")
    figure = wa.chart("ECOWAS", tmp_path / "ecowas.png")
    assert (tmp_path / "ecowas.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    main = figure.axes[-1]
    labels = [t.get_text() for t in main.get_yticklabels()]
    assert len(labels) == 16 and "Mali (MLI)" in labels
    assert len(figure.axes) == 2  # the members, and a band with the chairpersons
    wa.chart("MLI", tmp_path / "mali.svg")
    assert b"<svg" in (tmp_path / "mali.svg").read_bytes()[:500]
    with pytest.raises(UnknownIdError, match="did you mean 'ECOWAS'"):
        wa.chart("ECOWA")


def test_a_chart_runs_open_memberships_to_the_day_asked(wa: Registry) -> None:
    """until= takes a date or its ISO text, and the chart's time axis ends there."""
    pytest.importorskip("matplotlib")
    import matplotlib.dates

    for until in ("2030-06-30", dt.date(2030, 6, 30)):
        figure = wa.chart("AES", until=until)
        right = matplotlib.dates.num2date(figure.axes[-1].get_xlim()[1]).date()
        assert dt.date(2030, 6, 30) <= right <= dt.date(2032, 1, 1)
    with pytest.raises(DateError, match="until: invalid date 'soon'"):
        wa.chart("AES", until="soon")


def test_a_charts_open_memberships_run_to_today_in_utc(wa: Registry,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Without until, open memberships run to today as Registry.snapshot() takes it (UTC),
    whatever the machine's own date: here a clock at 2030-01-01T02:00Z draws as until does."""
    pytest.importorskip("matplotlib")
    import aes_membership.interop.charts as charts

    monkeypatch.setattr(charts, "utc_now", lambda: pendulum.datetime(2030, 1, 1, 2, tz="UTC"))
    drawn = wa.chart("AES").axes[0].dataLim
    asked = wa.chart("AES", until="2030-01-01").axes[0].dataLim
    assert (drawn.x0, drawn.x1) == (asked.x0, asked.x1)


def test_a_chart_file_name_without_a_picture_format_is_refused(wa: Registry, tmp_path: Path) -> None:
    """A chart's file name must end in a picture format; nothing is written otherwise."""
    pytest.importorskip("matplotlib")
    with pytest.raises(FieldError, match=r"out: expected a file name ending in a picture format: .*\.png"):
        wa.chart("ECOWAS", tmp_path / "ecowas.txt")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(FieldError, match=r"^out: expected a file path ending in a picture format, "
                                         r"such as \.png or \.svg, or None, got 5$"):
        wa.chart("ECOWAS", 5)  # type: ignore[arg-type]


@pytest.mark.parametrize(("options", "error", "message"), [
    ({"delay": "1"}, FieldError, "^delay: expected a number ≥ 0, got '1'$"),
    ({"delay": -1}, FieldError, "^delay: expected a number ≥ 0, got -1$"),
    ({"columns": -3}, FieldError, "^columns: expected a whole number of columns ≥ 1, or None, got -3$"),
    ({"columns": 40.0}, FieldError, "^columns: expected a whole number of columns ≥ 1, or None, got 40.0$"),
    ({"stream": 5}, TypeError, r"^stream: expected a text stream to write to \(such as sys\.stderr\), "
                               "got int 5$"),
])
def test_a_progress_line_refuses_options_it_could_not_use_when_made(
        options: dict[str, object], error: type[Exception], message: str) -> None:
    """TerminalProgress refuses a delay, a width or a stream it could not use when it is made,
    rather than at the first report of a long import, or never."""
    with pytest.raises(error, match=message):
        TerminalProgress(**options)  # type: ignore[arg-type]


class Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal() -> None:
    """The progress bar writes to a terminal after its delay, and never to a pipe."""
    screen = Terminal()
    bar = TerminalProgress(screen, delay=0)
    bar("reading", 5000, None)
    bar("recorded", 10, 10)
    assert "reading" in screen.getvalue() and "10/10" in screen.getvalue()
    pipe = io.StringIO()
    quiet = TerminalProgress(pipe, delay=0)
    quiet("reading", 5000, None)
    quiet("recorded", 10, 10)
    assert pipe.getvalue() == ""


@pytest.mark.parametrize("columns", [12, 30, 50, 80, 200])
def test_the_progress_line_fits_the_terminal_and_ends_once(columns: int) -> None:
    """Every progress line fits in the terminal's width (a bar only where there is room for
    one), and the last line is ended once, close() adding no empty line."""
    screen = Terminal()
    bar = TerminalProgress(screen, delay=0, columns=columns)
    bar("reading", 123_456, None)
    bar._last = 0.0  # (the bar redraws at most every tenth of a second)
    bar("recording", 0, 23_885)
    bar("recorded", 23_885, 23_885)
    bar.close()
    written = screen.getvalue()
    assert written.endswith("\n") and written.count("\n") == 1
    lines = [part.removesuffix("\033[K") for part in written.rstrip("\n").split("\r")[1:]]
    assert len(lines) == 3 and all(len(line) <= columns - 1 for line in lines)
    assert ("[" in lines[-1]) == (columns >= 50)
    if columns >= 50:
        assert lines[-1].startswith("recorded") and "23,885/23,885" in lines[-1]


def test_frames_and_charts_without_their_extra_name_the_extra_to_install(
        wa: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pandas a frame, and without matplotlib a chart, raises ImportError naming the
    extra that brings it."""
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now fails
    with pytest.raises(ImportError, match=r"^frames need pandas: install aes_membership\[pandas\]$"):
        wa.memberships_frame()
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"^charts need matplotlib: install aes_membership\[plot\]$"):
        wa.chart("ECOWAS")


def test_a_progress_bar_ends_its_line_once_and_only_if_it_showed_something() -> None:
    """close() ends a line the bar drew (once); a bar that drew nothing writes nothing."""
    screen = Terminal()
    bar = TerminalProgress(screen, delay=0)
    bar("reading", 5000, None)
    bar.close()
    bar.close()
    assert screen.getvalue().endswith("\n") and screen.getvalue().count("\n") == 1
    unused = Terminal()
    TerminalProgress(unused, delay=0).close()
    assert unused.getvalue() == ""
