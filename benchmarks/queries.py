"""Query timings, taken in a process that holds one side's state and nothing else.

``python -m benchmarks.queries ours|peer`` reads its job as JSON on standard input and
prints the samples (seconds) as JSON. Run in a child of the suite, so that neither side's
figures pay for the other's heap, nor for the suite's own copy of the events.
"""

from __future__ import annotations

import functools
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


def _ask_all(snap: Any, asked: list[tuple[str, str]]) -> list[bool]:
    """``snap.is_member`` for each of the ``asked`` pairs."""
    return [snap.is_member(state, bloc) for state, bloc in asked]


def _pairs(job: dict[str, Any]) -> list[tuple[str, str]]:
    rnd = random.Random(job["seed"])
    return [(f"S{rnd.randrange(200):03d}", rnd.choice(job["blocs"])) for _ in range(10_000)]


def ours(job: dict[str, Any]) -> dict[str, Any]:
    """is_member, members, all memberships, and retroactive inserts on the library's side."""
    import pendulum

    from aes_membership import MembershipError, Registry, StateJoined, StateRegistered
    from aes_membership._collector import collector_paused

    reg = Registry.open(job["path"], on_tamper="skip")
    pairs = _pairs(job)
    # Random pairs mostly lack a line in a small history and mostly have one in a large
    # one: the same question for pairs that all have a line compares like with like. Their
    # ids are new strings and the job's, as the random pairs' are: not the store's own,
    # nor tuples spread over the store's heap.
    lines = reg._timeline.memberships
    found: dict[str, Any] = {"with_line": sum(pair in lines for pair in pairs) / len(pairs)}
    rnd = random.Random(job["seed"])
    with_lines = sorted(lines)
    blocs = {bloc: bloc for bloc in job["blocs"]}
    lined = [(f"S{int(state[1:]):03d}", blocs[bloc])
             for state, bloc in (rnd.choice(with_lines) for _ in range(len(pairs)))]

    # A snapshot's first questions about a bloc are answered from the pair's line: asked
    # 500 questions each, new snapshots (made before the clock starts) never get further.
    def first_questions(asked: list[tuple[str, str]]) -> list[float]:
        taken = []
        for _ in range(9):
            snaps = [reg.snapshot(job["day"]) for _ in range(0, len(asked), 500)]
            gc.collect()
            start = time.perf_counter()
            for number, snap in enumerate(snaps):
                for state, bloc in asked[number * 500:(number + 1) * 500]:
                    snap.is_member(state, bloc)
            taken.append((time.perf_counter() - start) / len(asked))
        return taken

    found["is_member"] = first_questions(pairs)
    found["is_member_lined"] = first_questions(lined)
    # The first answer for the whole world builds every bloc's member index, kept for
    # every later snapshot of this timeline: timed on its own, then left out of the rest.
    snap = reg.snapshot(job["day"])
    found["world_first"] = samples(snap.memberships, 1)
    # One snapshot asked the pairs over and over: once it has answered 16 questions per
    # bloc (in the first two passes), it keeps the members on its date of each bloc it is
    # asked about, and answers from them.
    for name, asked in (("is_member_kept", pairs), ("is_member_kept_lined", lined)):
        found[name] = [t / len(asked) for t in samples(
            functools.partial(_ask_all, reg.snapshot(job["day"]), asked), 9)]
    biggest = max(job["blocs"], key=lambda b: len(snap.members(b)))
    found["members_count"] = len(snap.members(biggest))
    # Each on a new snapshot: a snapshot keeps the members it read, and a second call on
    # the same one only copies them.
    found["members"] = []
    for _ in range(9):
        snaps = [reg.snapshot(job["day"]) for _ in range(1000)]
        gc.collect()
        start = time.perf_counter()
        for one in snaps:
            one.members(biggest)
        found["members"].append((time.perf_counter() - start) / len(snaps))
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
    # Those were never recorded: out of the registry's log again, as a refused batch's
    # events are, so that the durable inserts go at its end rather than on a copy of it.
    reg._timeline.events.truncate(reg.position)
    for joined in joins[30:]:
        start = time.perf_counter()
        reg.record(joined)  # validate + index + one durable SQLite transaction
        stored.append(time.perf_counter() - start)
    found["insert"], found["insert_stored"] = in_memory, stored
    # The same by states with a history (a line with three blocs in four at 1M), each joining
    # a bloc it has no line with, the day after the later of the two's beginnings (a pair
    # whose bloc was gone by then is passed over).
    timeline = reg._timeline
    began = {state: getattr(timeline.event_of(entries[0]), "on", None)
             for (kind, state), entries in timeline.subjects.items() if kind == "state"}
    historied = sorted({state for state, _ in with_lines})
    known_joins: list[StateJoined] = []
    for _ in range(100_000):  # (a small world may have fewer than 30 such pairs)
        if len(known_joins) == 30:
            break
        state, bloc = rnd.choice(historied), rnd.choice(job["blocs"])
        if (state, bloc) in lines or any((j.state, j.bloc) == (state, bloc) for j in known_joins):
            continue
        founded = pendulum.Date.fromisoformat(job["founded"][bloc])
        joined = StateJoined(state=state, bloc=bloc, on=max(founded, began[state] or founded).add(days=1))
        try:
            timeline.apply([joined], reg.position + 1)
        except MembershipError:
            continue
        known_joins.append(joined)
    known = []
    for n, joined in enumerate(known_joins):
        start = time.perf_counter()
        with collector_paused():
            timeline = timeline.apply([joined], reg.position + 1 + n)
        known.append(time.perf_counter() - start)
    found["insert_known"] = known
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
