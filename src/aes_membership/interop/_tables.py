"""Flat views of a registry's history, shared by the Popolo, pandas and chart exports."""

from __future__ import annotations

import datetime as _dt

import attrs

from ..dates import PartialDate, When, span
from ..registry import KnownAt, Registry

__all__ = ["Segment", "TenureRow", "date_text", "last_day_text", "membership_segments",
           "tenure_rows"]


@attrs.frozen
class Segment:
    """A stretch of one membership with one kind and one suspension status: ``[start, end)``."""

    state: str
    bloc: str
    kind: str
    suspended: bool
    start: When
    end: When | None


@attrs.frozen
class TenureRow:
    """One person's tenure of one post: ``[start, end)``."""

    post: str
    person: str
    owner: str | None  # the bloc (or state) the post belongs to
    start: When
    end: When | None


def _lo(when: When) -> int:
    return span(when)[0]


def membership_segments(registry: Registry, *, as_known_at: KnownAt = None,
                        blocs: set[str] | None = None) -> list[Segment]:
    """Every membership cut where its kind or suspension changes, by bloc, state and date."""
    timeline = registry._view(as_known_at)[0]
    segments: list[Segment] = []
    for state, bloc in sorted(timeline.memberships.keys()):
        if blocs is not None and bloc not in blocs:
            continue
        spells = timeline.spells(state, bloc)
        kinds = [k for s in spells for k in s.kinds]
        suspensions = [p for s in spells for p in s.suspensions]
        for spell in spells:
            end_lo = _lo(spell.end) if spell.end is not None else None
            cuts: dict[int, When] = {_lo(spell.start): spell.start}
            for when in [k for k, _ in kinds] + [p.start for p in suspensions] + [
                    p.end for p in suspensions if p.end is not None]:
                lo = _lo(when)
                if lo > _lo(spell.start) and (end_lo is None or lo < end_lo):
                    cuts.setdefault(lo, when)
            points = sorted(cuts.items())
            for index, (lo, start) in enumerate(points):
                end = points[index + 1][1] if index + 1 < len(points) else spell.end
                kind = "full"
                for begun, each in kinds:
                    if _lo(begun) <= lo:
                        kind = each
                suspended = any(
                    _lo(p.start) <= lo and (p.end is None or lo < _lo(p.end)) for p in suspensions
                )
                previous = segments[-1] if segments else None
                if (previous is not None and (previous.state, previous.bloc) == (state, bloc)
                        and previous.end == start and (previous.kind, previous.suspended)
                        == (kind, suspended)):
                    segments[-1] = attrs.evolve(previous, end=end)
                else:
                    segments.append(Segment(state, bloc, kind, suspended, start, end))
    return segments


def tenure_rows(registry: Registry, *, as_known_at: KnownAt = None) -> list[TenureRow]:
    """Every tenure of every post, by post and start."""
    timeline = registry._view(as_known_at)[0]
    rows = []
    for post in sorted(registry.ids("post", as_known_at=as_known_at)):
        created, _ = timeline.lifetime("post", post)
        owner = None
        if created is not None:
            creation = timeline.event_of(created)
            owner = getattr(creation, "bloc", None) or getattr(creation, "state", None)
        for tenure in registry.tenures(post, as_known_at=as_known_at):
            rows.append(TenureRow(post, tenure.person, owner, tenure.start, tenure.end))
    return rows


def date_text(when: When) -> str:
    """ISO 8601 at the date's own precision (``2024``, ``2024-01``, ``2024-01-28``)."""
    if isinstance(when, PartialDate):
        if when.precision == "year":
            return f"{when.year:04d}"
        if when.precision == "month":
            return f"{when.year:04d}-{when.month:02d}"
        return when.first.isoformat()
    return when.isoformat()


def last_day_text(end: When) -> str:
    """The last day before a half-open end, at the end's precision.

    Exact ends give the day before; a partial end (``"2025"``) keeps its text, since the day
    before it is only known to the same precision.
    """
    if isinstance(end, PartialDate) and end.precision != "day":
        return date_text(end)
    day = end.first if isinstance(end, PartialDate) else end
    return (day - _dt.timedelta(days=1)).isoformat()
