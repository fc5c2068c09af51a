"""Exchange formats: JSON Lines events, Popolo JSON, Correlates of War panels, pandas frames,
timeline charts.

JSON Lines and Popolo need nothing beyond the core; frames need the ``pandas`` extra and
charts the ``plot`` extra (imported only when used).
"""

from .cow import export_igo_year, export_state_year, import_igo_year, import_state_year
from .jsonl import export_events, import_events, read_events
from .popolo import export_popolo, import_popolo, to_popolo
from .progress import Progress, TerminalProgress

__all__ = [
    "Progress",
    "TerminalProgress",
    "export_events",
    "export_igo_year",
    "export_popolo",
    "export_state_year",
    "import_events",
    "import_igo_year",
    "import_popolo",
    "import_state_year",
    "read_events",
    "to_popolo",
]
