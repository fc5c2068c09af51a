"""Query timings, taken in a process that holds one side's state and nothing else.

``python -m benchmarks.queries ours|peer`` reads its job as JSON on standard input and
prints the samples (seconds) as JSON. Run in a child of the suite, so that neither side's
figures pay for the other's heap, nor for the suite's own copy of the events.
"""

from __future__ import annotations

import gc
import json
import random
import sys
import time
from collections.abc import Callable
from typing import Any

__all__ = ["measure", "ours", "peer", "samples"]


def samples(action: Callable[[], object], repeat: int) -> list[float]:
    """Seconds ``action`` takes, ``repeat`` times, each after a full collection."""
    taken = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        action()
        taken.append(time.perf_counter() - start)
    return taken


def _pairs(job: dict[str, Any]) -> list[tuple[str, str]]:
    rnd = random.Random(job["seed"])
    return [(f"S{rnd.randrange(200):03d}", rnd.choice(job["blocs"])) for _ in range(10_000)]


def ours(job: dict[str, Any]) -> dict[str, Any]:
    """is_member, members, all memberships, and retroactive inserts on the library's side."""
    import pendulum

    from aes_membership import Registry, StateJoined, StateRegistered
    from aes_membership._collector import collector_paused

    reg = Registry.open(job["path"], on_tamper="skip")
    snap = reg.snapshot(job["day"])
    pairs = _pairs(job)
    found: dict[str, Any] = {}
    found["is_member"] = [t / len(pairs) for t in samples(
        lambda: [snap.is_member(s, b) for s, b in pairs], 9)]
    # Random pairs mostly lack a line in a small history and mostly have one in a large
    # one: the same question for pairs that all have a line compares like with like.
    lines = reg._timeline.memberships
    found["with_line"] = sum(pair in lines for pair in pairs) / len(pairs)
    rnd = random.Random(job["seed"])
    with_lines = sorted(lines)
    lined = [rnd.choice(with_lines) for _ in range(len(pairs))]
    found["is_member_lined"] = [t / len(lined) for t in samples(
        lambda: [snap.is_member(s, b) for s, b in lined], 9)]
    # The first answer for the whole world builds every bloc's member index, kept for
    # every later snapshot of this timeline: timed on its own, then left out of the rest.
    found["world_first"] = samples(snap.memberships, 1)
    biggest = max(job["blocs"], key=lambda b: len(snap.members(b)))
    found["members_count"] = len(snap.members(biggest))
    found["members"] = [t / 1000 for t in samples(
        lambda: [snap.members(biggest) for _ in range(1000)], 9)]
    found["world"] = samples(snap.memberships, 5)
    found["world_answer"] = sorted([m.state, m.bloc] for m in snap.memberships())

    # Retroactive inserts: new states join blocs the day after their founding. In memory
    # first, each on the timeline the previous one made; then durably, one commit each.
    reg.record(*(StateRegistered(state=f"R{n}", name=f"R{n}") for n in range(60)))
    rnd = random.Random(job["seed"])
    joins = []
    for n in range(60):
        bloc = rnd.choice(job["blocs"])
        day = pendulum.Date.fromisoformat(job["founded"][bloc]).add(days=1)
        joins.append(StateJoined(state=f"R{n}", bloc=bloc, on=day))
    timeline = reg._timeline
    in_memory, stored = [], []
    for n, joined in enumerate(joins[:30]):
        start = time.perf_counter()
        with collector_paused():  # as inside Registry.record
            timeline = timeline.apply([joined], reg.position + 1 + n)  # validate + index
        in_memory.append(time.perf_counter() - start)
    for joined in joins[30:]:
        start = time.perf_counter()
        reg.record(joined)  # validate + index + one durable SQLite transaction
        stored.append(time.perf_counter() - start)
    found["insert"], found["insert_stored"] = in_memory, stored
    reg.close()
    return found


def peer(job: dict[str, Any]) -> dict[str, Any]:
    """is_member on replayed aggregates, and the fold for all memberships on a date."""
    from .peer import PeerApp, peer_env

    app = PeerApp(env=peer_env(job["path"]))
    blocs = app.replay(job["blocs"])
    day = job["day"]
    pairs = _pairs(job)
    found: dict[str, Any] = {}
    found["is_member"] = [t / len(pairs) for t in samples(
        lambda: [blocs[b].is_member(s, day) for s, b in pairs], 9)]
    found["world_answer"] = [list(pair) for pair in app.memberships_on(day)]
    found["world"] = samples(lambda: app.memberships_on(day), job["fold_repeat"])
    return found


def measure(side: str, job: dict[str, Any]) -> dict[str, Any]:
    """Run one side's measurements in a new process and return its samples."""
    import subprocess
    from pathlib import Path

    done = subprocess.run([sys.executable, "-m", "benchmarks.queries", side],
                          input=json.dumps(job), capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parent.parent)
    if done.returncode:
        raise RuntimeError(f"the {side} query benchmark failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


if __name__ == "__main__":
    chosen = {"ours": ours, "peer": peer}[sys.argv[1]]
    print(json.dumps(chosen(json.load(sys.stdin))))
