"""A deterministic synthetic world: states, blocs, posts and their histories."""

from __future__ import annotations

import random

import pendulum

from aes_membership import (
    BlocFounded,
    Event,
    HolderAppointed,
    PersonRegistered,
    PostCreated,
    StateJoined,
    StateRegistered,
    StateReinstated,
    StateSuspended,
    StateWithdrew,
)

__all__ = ["END", "START", "synthetic_world"]

START = pendulum.Date(1816, 1, 1).toordinal()
END = pendulum.Date(2026, 1, 1).toordinal()


def synthetic_world(events: int, seed: int) -> list[Event]:
    """A valid history of about ``events`` events: 200 states, up to 1,000 blocs and 2,000
    posts, joins, suspensions, withdrawals and appointments spanning 1816-2026."""
    seen_pairs: set[tuple[str, str]] = set()
    seen_posts: set[str] = set()
    rnd = random.Random(seed)
    states = [f"S{i:03d}" for i in range(200)]
    blocs = [f"B{i:04d}" for i in range(max(2, min(1000, events // 100)))]
    offices = [(f"{b}/{office}", b) for office in ("chair", "secretary") for b in blocs]
    posts = offices[: max(1, min(2000, events // 50))]
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
        spells: list[Event] = []
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
