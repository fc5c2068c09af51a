"""Ids for imported events, derived from what each event says.

An importer that names each event by its content records a fact once however often it is
imported: from the same file again, or from a file that has grown since (new rows, or rows
in another order). A file that says a fact otherwise than before brings a new event, which
the timeline then weighs against the recorded one (and refuses, naming both, where they
conflict), rather than an id recorded with other content.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from ..events import Event

__all__ = ["derived_id"]


def derived_id(namespace: uuid.UUID, cls: type[Event], fields: Mapping[str, Any]) -> uuid.UUID:
    """The id of ``cls(**fields)``: a name-based UUID (version 5) of its type tag and its
    fields, written as sorted JSON (dates as their ISO text)."""
    content = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                         default=str)
    return uuid.uuid5(namespace, f"{cls.TYPE}{content}")
