"""pandas frames: tidy tables of memberships, tenures and snapshots (``pandas`` extra).

Dates are ``datetime64`` columns holding the *first* day a date may stand for; the matching
``*_precision`` column says whether it is a day, a month or a year (``"1977"`` becomes
1977-01-01 with precision ``"year"``). Open ends are ``NaT``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..dates import PartialDate, When
from ..registry import KnownAt, Registry
from ..snapshot import Snapshot
from ._tables import membership_segments, tenure_rows

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["memberships_frame", "snapshot_frame", "tenures_frame"]


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "frames need pandas: install aes_membership[pandas]"
        ) from None
    return pandas


def _first(when: When | None) -> str | None:
    if when is None:
        return None
    return (when.first if isinstance(when, PartialDate) else when).isoformat()


def _precision(when: When | None) -> str | None:
    if when is None:
        return None
    return when.precision if isinstance(when, PartialDate) else "day"


def _dates(pandas: Any, values: list[str | None]) -> Any:
    return pandas.to_datetime(pandas.Series(values, dtype="object"), format="ISO8601").astype(
        "datetime64[s]")


def _span_columns(pandas: Any, rows: Any) -> dict[str, Any]:
    """start, end and their precisions for rows with ``start`` and ``end`` dates."""
    return {
        "start": _dates(pandas, [_first(r.start) for r in rows]),
        "end": _dates(pandas, [_first(r.end) for r in rows]),
        "start_precision": pandas.Series([_precision(r.start) for r in rows], dtype="string"),
        "end_precision": pandas.Series([_precision(r.end) for r in rows], dtype="string"),
    }


def _names(registry: Registry, kind: str, ids: set[str], as_known_at: KnownAt) -> dict[str, str]:
    timeline = registry._view(as_known_at)[0]
    latest = 3652059  # 9999-12-31: the name in force at the end of the record
    return {i: timeline.name_on(kind, i, latest) or i for i in ids}


def memberships_frame(registry: Registry, *, as_known_at: KnownAt = None) -> pd.DataFrame:
    """One row per stretch of membership with one kind and suspension status.

    Columns: ``state, state_name, bloc, bloc_name, kind, suspended, start, end,
    start_precision, end_precision``.
    """
    pandas = _pandas()
    rows = membership_segments(registry, as_known_at=as_known_at)
    states = _names(registry, "state", {r.state for r in rows}, as_known_at)
    blocs = _names(registry, "bloc", {r.bloc for r in rows}, as_known_at)
    return pandas.DataFrame({
        "state": pandas.Series([r.state for r in rows], dtype="string"),
        "state_name": pandas.Series([states[r.state] for r in rows], dtype="string"),
        "bloc": pandas.Series([r.bloc for r in rows], dtype="string"),
        "bloc_name": pandas.Series([blocs[r.bloc] for r in rows], dtype="string"),
        "kind": pandas.Categorical([r.kind for r in rows],
                                   categories=["full", "associate", "observer"]),
        "suspended": pandas.Series([r.suspended for r in rows], dtype="bool"),
        **_span_columns(pandas, rows),
    })


def tenures_frame(registry: Registry, *, as_known_at: KnownAt = None) -> pd.DataFrame:
    """One row per tenure: ``post, post_title, owner, person, person_name, start, end, …``."""
    pandas = _pandas()
    rows = tenure_rows(registry, as_known_at=as_known_at)
    posts = _names(registry, "post", {r.post for r in rows}, as_known_at)
    people = _names(registry, "person", {r.person for r in rows}, as_known_at)
    return pandas.DataFrame({
        "post": pandas.Series([r.post for r in rows], dtype="string"),
        "post_title": pandas.Series([posts[r.post] for r in rows], dtype="string"),
        "owner": pandas.Series([r.owner for r in rows], dtype="string"),
        "person": pandas.Series([r.person for r in rows], dtype="string"),
        "person_name": pandas.Series([people[r.person] for r in rows], dtype="string"),
        **_span_columns(pandas, rows),
    })


def snapshot_frame(snapshot: Snapshot) -> pd.DataFrame:
    """The memberships in force on the snapshot's date: ``on, state, state_name, bloc,
    bloc_name, kind, suspended``."""
    pandas = _pandas()
    rows = snapshot.memberships()
    return pandas.DataFrame({
        "on": _dates(pandas, [snapshot.basis.on.isoformat()] * len(rows)),
        "state": pandas.Series([m.state for m in rows], dtype="string"),
        "state_name": pandas.Series([snapshot.name(m.state, "state") for m in rows],
                                    dtype="string"),
        "bloc": pandas.Series([m.bloc for m in rows], dtype="string"),
        "bloc_name": pandas.Series([snapshot.name(m.bloc, "bloc") for m in rows], dtype="string"),
        "kind": pandas.Categorical([m.kind for m in rows],
                                   categories=["full", "associate", "observer"]),
        "suspended": pandas.Series([m.suspended for m in rows], dtype="bool"),
    })
