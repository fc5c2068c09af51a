"""Curated, sourced histories shipped with the package."""

from __future__ import annotations

from importlib import resources
from typing import Literal

from ..registry import Registry

__all__ = ["west_africa", "west_africa_path"]


def west_africa_path() -> str:
    """The path of the bundled West Africa history (JSON Lines, every event with its source)."""
    return str(resources.files(__package__).joinpath("west_africa.jsonl"))


def west_africa(registry: Registry | None = None, *,
                recorded_at: Literal["keep", "now"] = "keep") -> Registry:
    """A registry loaded with the West Africa history: ECOWAS, WAEMU, the AES and the G5 Sahel,
    their members since founding, ECOWAS chairs since 2019, the AES presidency, and the heads
    of state of Mali, Burkina Faso and Niger since 2020.

    Every event keeps its recording instant, so late-learnt facts answer ``as_known_at``
    questions as they were known then. Pass ``registry`` (an empty one, e.g. from
    ``Registry.open("file.sqlite")``) to load it into a durable store. A registry that has
    recorded other events since cannot take instants from the past: ``recorded_at="now"``
    records the history at the current instant instead (its ``as_known_at`` story is lost).
    """
    from ..interop.jsonl import import_events

    if registry is not None and not isinstance(registry, Registry):
        raise TypeError(
            f"west_africa() loads into a Registry, got {type(registry).__name__} {registry!r}")
    target = registry if registry is not None else Registry()
    with resources.files(__package__).joinpath("west_africa.jsonl").open(encoding="utf-8") as data:
        import_events(target, data, recorded_at=recorded_at)
    return target
