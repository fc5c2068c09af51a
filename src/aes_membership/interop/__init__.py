"""Exchange formats: JSON Lines events, Popolo JSON, Correlates of War panels, pandas frames."""

from .jsonl import export_events, import_events, read_events

__all__ = ["export_events", "import_events", "read_events"]
