"""Timeline charts with matplotlib (``plot`` extra).

:func:`chart` draws a bloc (one row per state that was ever a member, bars coloured by kind,
suspensions hatched, and a band on top with the holders of the bloc's posts) or a state (one
row per bloc it ever belonged to). Dates known only to a year or a month are drawn from their
first possible day, with the uncertain stretch lighter.
"""

from __future__ import annotations

import datetime as _dt
import os
import textwrap
from typing import Any

from ..dates import When, parse_day, span, utc_now
from ..errors import FieldError
from ..registry import KnownAt, Registry
from ._tables import Segment, membership_segments, tenure_rows

__all__ = ["chart"]

_COLOURS = {"full": "#2b6ca3", "associate": "#7fb0d9", "observer": "#c5d9ea"}
_SUSPENDED = "#d9822b"
_BAND = ("#4c9a6a", "#9ccfa9")


_EPOCH = _dt.date(1970, 1, 1).toordinal()  # matplotlib's default date epoch


def _x(ordinal: int) -> float:
    """A day as matplotlib's date number (days since its epoch)."""
    return float(ordinal - _EPOCH)


def _figure(rows: int, band: bool) -> tuple[Any, Any, Any]:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("charts need matplotlib: install aes_membership[plot]") from None
    height = max(2.5, 0.32 * rows + (1.2 if band else 0) + 1.2)
    figure = Figure(figsize=(11, height), layout="constrained")
    if band:
        grid = figure.add_gridspec(2, 1, height_ratios=[1.1, max(1.0, rows * 0.32)])
        top = figure.add_subplot(grid[0])
        main = figure.add_subplot(grid[1], sharex=top)
        return figure, main, top
    return figure, figure.add_subplot(), None


def _bar(axes: Any, y: int, start: When, end: When | None, today: int, colour: str,
         hatch: str | None = None) -> None:
    first, last_start = span(start)
    stop = span(end)[0] if end is not None else today
    stop_hi = span(end)[1] if end is not None else today
    if stop <= first:
        stop = first + 1
    sure_from, sure_to = last_start, stop
    # the certain stretch, then the uncertain edges drawn lighter
    if sure_to > sure_from:
        axes.barh(y, _x(sure_to) - _x(sure_from), left=_x(sure_from), height=0.7, color=colour, hatch=hatch,
                  edgecolor="white" if hatch else colour, linewidth=0)
    for lo, hi in ((first, min(last_start, stop)), (stop, stop_hi)):
        if hi > lo:
            axes.barh(y, _x(hi) - _x(lo), left=_x(lo),
                      height=0.7, color=colour, alpha=0.35, linewidth=0)


def chart(registry: Registry, subject: str, out: str | os.PathLike[str] | None = None, *,
          as_known_at: KnownAt = None, until: _dt.date | str | None = None) -> Any:
    """Draw ``subject`` (a bloc or a state id); save to ``out`` (``.png``/``.svg``) if given.

    Returns the matplotlib ``Figure``. Open memberships run to ``until`` (default: today,
    UTC).
    """
    if out is not None and not isinstance(out, (str, os.PathLike)):  # (before drawing it all)
        raise FieldError("out", out, "a file path ending in a picture format, such as .png or "
                         ".svg, or None")
    timeline = registry._view(as_known_at)[0]
    is_bloc = timeline.exists("bloc", subject)
    if not is_bloc and not timeline.exists("state", subject):
        raise timeline.unknown(subject, ("bloc", "state"), "bloc or state")
    # (today in UTC, as Registry.snapshot() takes it: not the machine's own date)
    today = (utc_now().date() if until is None else parse_day(until, field="until")).toordinal()
    segments = [s for s in membership_segments(registry, as_known_at=as_known_at)
                if (s.bloc if is_bloc else s.state) == subject and s.bloc != "COW-SYSTEM"]
    latest = today

    def label_of(segment: Segment) -> str:
        other = segment.state if is_bloc else segment.bloc
        name = timeline.name_on("state" if is_bloc else "bloc", other, latest) or other
        return f"{name} ({other})" if name != other else other

    labels = sorted({label_of(s) for s in segments}, key=lambda text: text.lower())
    rows = {label: index for index, label in enumerate(reversed(labels))}
    tenures = [t for t in tenure_rows(registry, as_known_at=as_known_at) if t.owner == subject]
    figure, axes, band = _figure(len(rows), bool(tenures))
    for segment in segments:
        colour = _SUSPENDED if segment.suspended else _COLOURS[segment.kind]
        _bar(axes, rows[label_of(segment)], segment.start, segment.end, today, colour,
             hatch="///" if segment.suspended else None)
    axes.set_yticks(list(rows.values()), [textwrap.fill(k, 32) for k in rows], fontsize=8)
    axes.set_ylim(-0.7, max(len(rows), 1) - 0.3)
    axes.xaxis_date()
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    name = timeline.name_on("bloc" if is_bloc else "state", subject, latest) or subject
    title = f"{name}: members over time" if is_bloc else f"{name}: blocs over time"
    (band if band is not None else axes).set_title(title, fontsize=11, loc="left")

    from matplotlib.patches import Patch

    legend = [Patch(color=_COLOURS[k], label=f"{k} member" if k != "observer" else k)
              for k in _COLOURS if any(s.kind == k for s in segments)]
    if any(s.suspended for s in segments):
        legend.append(Patch(facecolor=_SUSPENDED, hatch="///", edgecolor="white",
                            label="suspended"))
    legend.append(Patch(color="#999999", alpha=0.35, label="date known to year/month only"))
    axes.legend(handles=legend, loc="upper left", bbox_to_anchor=(0, -0.04), ncol=len(legend),
                fontsize=8, frameon=False)

    if band is not None:
        posts = sorted({t.post for t in tenures})
        band.set_yticks(range(len(posts)),
                        [textwrap.fill(timeline.name_on("post", p, latest) or p, 28)
                         for p in posts], fontsize=8)
        earliest = min([span(s.start)[0] for s in segments]
                       + [span(t.start)[0] for t in tenures])
        room = max(today - earliest, 1)
        for row, post in enumerate(posts):
            for index, tenure in enumerate(t for t in tenures if t.post == post):
                colour = _BAND[index % 2]
                _bar(band, row, tenure.start, tenure.end, today, colour)
                person = timeline.name_on("person", tenure.person, latest) or tenure.person
                start = span(tenure.start)[0]
                stop = span(tenure.end)[0] if tenure.end is not None else today
                if (stop - start) / room < 0.03:
                    continue  # too short to label legibly; the bar still shows
                middle = (_x(start) + _x(stop)) / 2
                band.text(middle, row, person.split()[-1], ha="center", va="center",
                          fontsize=6.5, clip_on=True)
        band.set_ylim(-0.6, len(posts) - 0.4)
        band.tick_params(labelbottom=False)
        band.grid(axis="x", color="#dddddd", linewidth=0.6)
    if out is not None:
        path = os.fspath(out)
        formats = figure.canvas.get_supported_filetypes()
        if os.path.splitext(path)[1][1:].lower() not in formats:
            raise FieldError("out", path, "a file name ending in a picture format: ."
                             + ", .".join(sorted(formats)))
        figure.savefig(path, dpi=150)
    return figure
