"""The benchmark suite runs (as a smoke test: its figures are printed, never asserted)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_runs() -> None:
    """python -m benchmarks --quick completes and prints its table, with the peer when present."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--events", "2000"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "| `snap.is_member(state, bloc)`, a snapshot's first questions" in done.stdout
    assert "| `snap.is_member`, a snapshot that has answered 16 questions per bloc" in done.stdout
    assert "Machine:" in done.stdout
    assert "| cold open to the first answer, from the checkpoint" in done.stdout
    if importlib.util.find_spec("eventsourcing") is not None:
        append = next(line for line in done.stdout.splitlines()
                      if line.startswith("| batched append"))
        ours, peer = append.split("|")[2:4]
        assert "events/s" in ours and "events/s" in peer, append  # the peer was measured
