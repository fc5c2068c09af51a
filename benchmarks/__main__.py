"""Measure aes_membership on a deterministic synthetic world and print a table of medians.

Usage: python -m benchmarks [--quick] [--events N] [--seed S]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pendulum

from aes_membership import (
    BlocFounded,
    Event,
    HolderAppointed,
    PersonRegistered,
    PostCreated,
    Registry,
    StateJoined,
    StateRegistered,
    StateReinstated,
    StateSuspended,
    StateWithdrew,
)

START = pendulum.Date(1816, 1, 1).toordinal()
END = pendulum.Date(2026, 1, 1).toordinal()


def synthetic_world(events: int, seed: int) -> list[Event]:
    """A valid history of about ``events`` events, generated in valid-time order."""
    rnd = random.Random(seed)
    states = [f"S{i:03d}" for i in range(200)]
    blocs = [f"B{i:04d}" for i in range(max(2, min(1000, events // 100)))]
    posts = [(f"{b}/chair", b) for b in blocs[: max(1, min(2000, events // 50))]]
    persons = [f"p{i}" for i in range(max(2, len(posts) * 2))]
    out: list[Event] = [StateRegistered(state=s, name=s) for s in states]
    out += [PersonRegistered(person=p, name=p) for p in persons]
    founded = {b: rnd.randint(START, START + 36500) for b in blocs}
    out += [BlocFounded(bloc=b, name=b, on=pendulum.Date.fromordinal(d)) for b, d in founded.items()]
    out += [PostCreated(post=p, bloc=b, title="chair", on=pendulum.Date.fromordinal(founded[b]))
            for p, b in posts]
    while len(out) < events:
        if rnd.random() < 0.2 and len(seen_posts) < len(posts):
            post, bloc = rnd.choice(posts)
            if post in seen_posts:
                continue
            seen_posts.add(post)
            t = founded[bloc]
            holder = None
            for _ in range(rnd.randint(1, 10)):
                t += rnd.randint(30, 3000)
                person = rnd.choice(persons)
                if t >= END or person == holder:
                    break
                holder = person
                out.append(HolderAppointed(post=post, person=person,
                                           on=pendulum.Date.fromordinal(t)))
            continue
        state, bloc = rnd.choice(states), rnd.choice(blocs)
        t = founded[bloc]
        spells = []
        while len(spells) < 5:
            t += rnd.randint(1, 9000)
            if t >= END:
                break
            spells.append(StateJoined(state=state, bloc=bloc, on=pendulum.Date.fromordinal(t)))
            if rnd.random() < 0.3 and t + 400 < END:
                t += rnd.randint(1, 200)
                spells.append(StateSuspended(state=state, bloc=bloc, on=pendulum.Date.fromordinal(t)))
                t += rnd.randint(1, 200)
                spells.append(StateReinstated(state=state, bloc=bloc, on=pendulum.Date.fromordinal(t)))
            t += rnd.randint(1, 9000)
            if t >= END:
                break
            spells.append(StateWithdrew(state=state, bloc=bloc, on=pendulum.Date.fromordinal(t)))
        if (state, bloc) in seen_pairs:
            continue
        seen_pairs.add((state, bloc))
        out += spells
    return out


seen_pairs: set[tuple[str, str]] = set()
seen_posts: set[str] = set()


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return samples


def row(name: str, samples: list[float], unit: str, scale: float) -> str:
    median = statistics.median(samples) * scale
    spread = (max(samples) - min(samples)) * scale
    return f"| {name} | {median:,.2f} {unit} | ±{spread:,.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--seed", type=int, default=1975)
    args = parser.parse_args()
    size = args.events or (5_000 if args.quick else 100_000)
    seen_pairs.clear()
    seen_posts.clear()
    events = synthetic_world(size, args.seed)
    print(f"synthetic world: {len(events):,} events (seed {args.seed})\n")
    print("| figure | median | spread |\n|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite"
        start = time.perf_counter()
        with Registry.open(path) as reg:
            reg.record(*events)
        append = time.perf_counter() - start
        print(f"| batched append with validation into SQLite | {len(events) / append:,.0f} events/s | |")
        opens = timed(lambda: Registry.open(path).snapshot("2000-01-01").is_member("S000", "B0000"), 3)
        print(row("cold open to first answer", opens, "s", 1))
        reg = Registry.open(path)
        snap = reg.snapshot("1990-06-01")
        rnd = random.Random(args.seed)
        pairs = [(f"S{rnd.randrange(200):03d}", f"B{rnd.randrange(2):04d}") for _ in range(1000)]
        checks = timed(lambda: [snap.is_member(s, b) for s, b in pairs], 20)
        print(row("snap.is_member", [c / len(pairs) for c in checks], "µs", 1e6))
        members = timed(lambda: snap.members("B0000"), 50)
        print(row(f"snap.members (bloc of {len(snap.members('B0000'))} members)", members, "µs", 1e6))
        world = timed(snap.memberships, 5)
        print(row("all memberships in the world on a date", world, "ms", 1e3))
        reg.close()


if __name__ == "__main__":
    main()
