"""The benchmark suite: aes_membership side by side with the ``eventsourcing`` peer.

Usage: ``python -m benchmarks [--quick] [--events N ...] [--seed S] [--no-peer] [--no-cow]``

Prints, per workload and size, a table of medians (with the spread: max - min over the
repeats) for ours, the peer doing the same job, and the ratio. ``--quick`` uses small sizes
and runs in well under a minute. Nothing here asserts a timing: the figures are for people.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aes_membership import Event, Registry
from aes_membership._collector import collector_paused
from aes_membership.stores import SQLiteStore

from .queries import measure, samples
from .world import synthetic_world

ROOT = Path(__file__).resolve().parent.parent
COW_STATE_YEAR = ROOT.parent / "shared" / "data" / "cow-igo-v3" / "state_year_format3.csv.gz"
COW_IGO_YEAR = COW_STATE_YEAR.with_name("igo_year_format3.csv.gz")


class Table:
    """Rows of (figure, ours, peer, ratio, target) printed as Markdown."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.rows: list[tuple[str, str, str, str, str]] = []

    @staticmethod
    def cell(values: list[float] | None, unit: str, scale: float = 1.0, rate: float | None = None
             ) -> str:
        if not values:
            return "—"
        if rate is not None:  # a throughput: report count / median time
            median = rate / statistics.median(values)
            spread = (rate / min(values) - rate / max(values)) if len(values) > 1 else 0.0
        else:
            median = statistics.median(values) * scale
            spread = (max(values) - min(values)) * scale
        text = f"{median:,.3g}" if median < 100 else f"{median:,.0f}"
        return f"{text} {unit}" + (f" (±{spread:,.2g})" if len(values) > 1 else "")

    def add(self, figure: str, ours: str, peer: str = "—", ratio: str = "—",
            target: str = "") -> None:
        self.rows.append((figure, ours, peer, ratio, target))
        print(f"  {figure}: ours {ours}; peer {peer}; ratio {ratio}", file=sys.stderr)

    def render(self) -> str:
        lines = [f"### {self.title}", "", "| figure | ours | peer | ours vs peer | target |",
                 "|---|---|---|---|---|"]
        lines += [f"| {' | '.join(row)} |" for row in self.rows]
        return "\n".join(lines) + "\n"


def _ratio(ours: list[float], peer: list[float] | None, faster_is_lower: bool = True) -> str:
    if not peer:
        return "—"
    value = statistics.median(peer) / statistics.median(ours)
    if not faster_is_lower:
        value = 1 / value
    return f"{value:,.1f}× {'faster' if value >= 1 else 'slower'}"


def _resident_bytes(code: str) -> int:
    """Peak resident memory growth of a child process running ``code`` (Linux /proc)."""
    script = (
        "import resource, gc\n"
        "def rss():\n"
        "    return int(open('/proc/self/statm').read().split()[1]) * resource.getpagesize()\n"
        "import aes_membership, aes_membership.stores.sqlite\n"
        "before = rss()\n"
        f"{code}\n"
        "gc.collect()\n"
        "print(rss() - before)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    return int(done.stdout.split()[-1])


def _timed_in_child(setup: str, code: str) -> float:
    """Seconds a new Python process takes to run ``code`` after ``setup``.

    ``code`` names what it opens, so that freeing it (seconds, for a million objects) comes
    after the time is taken, not inside it.
    """
    script = (f"{setup}\nimport time\nstart = time.perf_counter()\n{code}\n"
              "print(time.perf_counter() - start)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    return float(done.stdout.split()[-1])


def _opens_in_child(path: Path, answer: str, times: int, **options: object) -> list[float]:
    """Seconds to open our store at ``path`` in a new process and get ``answer`` from
    ``reg``, ``times`` times."""
    opening = f"reg = Registry.open({str(path)!r}, **{options!r})\n{answer}"
    return [_timed_in_child("from aes_membership import Registry", opening)
            for _ in range(times)]


def _peer_opens_in_child(path: Path, blocs: list[str], answer: str, times: int
                         ) -> list[float]:
    """Seconds for the peer to replay the blocs at ``path`` in a new process and get
    ``answer`` from the replayed ``blocs``, ``times`` times."""
    setup = (f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
             "from benchmarks.peer import PeerApp, peer_env")
    replay = f"blocs = PeerApp(env=peer_env({str(path)!r})).replay({blocs!r})\n{answer}"
    return [_timed_in_child(setup, replay) for _ in range(times)]


def _remove_store(path: Path) -> None:
    """Remove the SQLite store at ``path`` and its write-ahead log, if there."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _appends(events: list[Event], path: Path, peer_path: Path | None, repeat: int
             ) -> tuple[list[float], list[float] | None]:
    """Seconds to append ``events`` to a new SQLite file: ours, and the peer's if asked."""
    def append_ours() -> None:
        _remove_store(path)
        with Registry.open(path) as reg:
            reg.record(*events)

    ours = samples(append_ours, repeat)
    if peer_path is None:
        return ours, None
    from .peer import PeerApp, peer_env

    def append_peer() -> None:
        peer_path.unlink(missing_ok=True)
        PeerApp(env=peer_env(str(peer_path))).append(events)

    return ours, samples(append_peer, repeat)


def _store_append(events: list[Event], path: Path) -> None:
    """The store's part of an append alone: ``events`` encoded, inserted into a new SQLite
    file and committed, as ``Registry.record`` has the store do once they are validated
    (the collector paused, as there), without the timeline's validation and indexing."""
    _remove_store(path)
    store = SQLiteStore(path)
    try:
        with collector_paused():
            store.append(events, expected_position=0)
    finally:
        store.close()


def synthetic(size: int, seed: int, repeat: int, peer: bool, folder: Path,
              baseline: dict[str, float]) -> Table:
    events = synthetic_world(size, seed)
    table = Table(f"Synthetic world, {len(events):,} events (seed {seed})")
    path = folder / f"ours-{size}.sqlite"
    peer_path = folder / f"peer-{size}.sqlite"
    blocs = sorted({e.bloc for e in events if e.TYPE == "bloc-founded"})  # type: ignore[attr-defined]

    ours_append, peer_append = _appends(events, path, peer_path if peer else None,
                                        1 if size >= 500_000 else repeat)
    table.add("batched append with full validation into SQLite",
              Table.cell(ours_append, "events/s", rate=len(events)),
              Table.cell(peer_append, "events/s", rate=len(events)),
              _ratio(ours_append, peer_append), "≥ 100,000 events/s, ≥ 3× the peer")
    # What no speed of validation could take off the append: the store's own work.
    store_path = folder / f"store-{size}.sqlite"
    store_append = samples(functools.partial(_store_append, events, store_path),
                           1 if size >= 500_000 else repeat)
    _remove_store(store_path)  # (370 MB at 1M)
    table.add("the store's part of it alone (encoding, inserts, commit; no validation or "
              "indexing), against the peer's whole append",
              Table.cell(store_append, "events/s", rate=len(events)), "—",
              _ratio(store_append, peer_append))

    # Timed alone: opening to write it is not part of the figure.
    with Registry.open(path, checkpoint=False, on_tamper="skip") as reg:
        start = time.perf_counter()
        reg.checkpoint()
        ours_checkpoint = [time.perf_counter() - start]
    table.add("writing a checkpoint (`reg.checkpoint()`)", Table.cell(ours_checkpoint, "s"))

    day = "1990-06-01"
    first_state, first_bloc = "S000", blocs[0]

    # Cold means a new process: each open runs in a child, timed there from just before
    # opening (the imports done) to the first answer. Opening from the checkpoint takes
    # seconds at most, and is repeated at every size: one sample of it, on a shared
    # machine, says little. The replays (ours and the peer's) take half a minute at 1M.
    once = 1 if size >= 500_000 else repeat
    ask = f"snapshot({day!r}).is_member({first_state!r}, {first_bloc!r})"

    ours_open = _opens_in_child(path, f"reg.{ask}", repeat, checkpoint=True)
    ours_replay = _opens_in_child(path, f"reg.{ask}", once, checkpoint=False)
    peer_open = None
    if peer:
        peer_open = _peer_opens_in_child(
            peer_path, blocs, f"blocs[{first_bloc!r}].is_member({first_state!r}, {day!r})", once)
    table.add("cold open to the first answer, from the checkpoint (+ chain check after it)",
              Table.cell(ours_open, "s"), Table.cell(peer_open, "s"),
              _ratio(ours_open, peer_open), "≤ 3 s at 1M, ≥ 4× faster than the peer")
    table.add("cold open to the first answer, replaying the whole log (+ whole chain check)",
              Table.cell(ours_replay, "s"), Table.cell(peer_open, "s"),
              _ratio(ours_replay, peer_open))

    # Queries, each side in a process of its own (benchmarks/queries.py).
    founded = {e.bloc: e.on.isoformat() for e in events  # type: ignore[attr-defined]
               if e.TYPE == "bloc-founded"}
    count_events = len(events)
    del events  # the suite's copy would weigh on the heaps measured below
    job = {"day": day, "blocs": blocs, "seed": seed, "founded": founded}
    ours_q = measure("ours", {**job, "path": str(path)})
    peer_q = (measure("peer", {**job, "path": str(peer_path),
                               "fold_repeat": 1 if size >= 500_000 else 3}) if peer else None)
    if peer_q is not None and peer_q["world_answer"] != ours_q["world_answer"]:
        raise AssertionError("the peer and the library disagree on the memberships")
    peer_is = peer_q["is_member"] if peer_q else None
    for key in ("is_member", "is_member_lined", "is_member_kept", "is_member_kept_lined"):
        baseline.setdefault(key, statistics.median(ours_q[key]))
    baseline.setdefault("with_line", ours_q["with_line"])
    # The same question two ways: from the pairs' lines, and from a bloc's kept members.
    ways = (
        ("is_member", "first questions", "`snap.is_member(state, bloc)`, a snapshot's first "
         "questions about a bloc (from the pair's line)"),
        ("is_member_kept", "kept members", "`snap.is_member`, a snapshot that has answered 16 "
         "questions per bloc (from the bloc's kept members; member indexes built)"),
    )
    for key, _, figure in ways:
        table.add(figure, Table.cell(ours_q[key], "µs", 1e6), Table.cell(peer_is, "µs", 1e6),
                  _ratio(ours_q[key], peer_is), "≤ 1 µs at 1M")
        table.add("the same, for pairs that all have a line",
                  Table.cell(ours_q[f"{key}_lined"], "µs", 1e6))
    table.add("the first of those passes over the 10,000 pairs (from lines until 16 per "
              "bloc, then keeps each bloc's members as it is asked about)",
              Table.cell(ours_q["is_member_kept"][:1], "µs", 1e6))
    for key, label, _ in ways:
        for pairs, named in ((key, f"random pairs ({ours_q['with_line']:.0%} with a line "
                                   f"here, {baseline['with_line']:.0%} there)"),
                             (f"{key}_lined", "pairs that all have a line")):
            growth = statistics.median(ours_q[pairs]) / baseline[pairs]
            table.add(f"point-in-time query cost vs the smallest size, {label}, {named}",
                      f"{growth:.2f}×", "—", "—", "within 2× (1M vs 10k)")
    count = ours_q["members_count"]
    table.add(f"`snap.members(bloc)` ({count} members)",
              Table.cell(ours_q["members"], "µs", 1e6),
              target=f"≤ {5 + 0.1 * count:.1f} µs (5 µs + 0.1 µs per member)")
    peer_world = peer_q["world"] if peer_q else None
    table.add("all memberships in the world on a date, materialised",
              Table.cell(ours_q["world"], "ms", 1e3), Table.cell(peer_world, "ms", 1e3),
              _ratio(ours_q["world"], peer_world), "≤ 50 ms at 1M (peer: a full fold)")
    table.add("the first of them after opening (builds every bloc's member index)",
              Table.cell(ours_q["world_first"], "ms", 1e3))
    table.add("retroactive insert into the timeline (validate + index)",
              Table.cell(ours_q["insert"], "µs", 1e6), "— (not possible)", "—",
              "≤ 100 µs at 1M")
    table.add("the same, recorded durably (+ SQLite commit with fsync)",
              Table.cell(ours_q["insert_stored"], "µs", 1e6), "—", "—", "")
    table.add("the same in memory, by states with a history",
              Table.cell(ours_q["insert_known"], "µs", 1e6), "—", "—", "≤ 100 µs at 1M")

    opening = f"from aes_membership import Registry\nr = Registry.open({str(path)!r}, on_tamper='skip')"
    ours_bytes = _resident_bytes(opening)
    indexed_bytes = _resident_bytes(f"{opening}\nr.snapshot({day!r}).memberships()")
    replay_bytes = _resident_bytes(
        f"from aes_membership import Registry\n"
        f"r = Registry.open({str(path)!r}, on_tamper='skip', checkpoint=False)")
    peer_bytes = None
    if peer:
        peer_bytes = _resident_bytes(
            "import sys\n"
            f"sys.path.insert(0, {str(ROOT)!r})\n"
            "from benchmarks.peer import PeerApp, peer_env\n"
            f"app = PeerApp(env=peer_env({str(peer_path)!r}))\n"
            f"blocs = app.replay({blocs!r})")
    table.add("resident memory after loading from the checkpoint, per event",
              f"{ours_bytes / count_events:,.0f} bytes",
              f"{peer_bytes / count_events:,.0f} bytes" if peer_bytes else "—",
              f"{peer_bytes / ours_bytes:,.1f}× less" if peer_bytes else "—",
              "≤ 500 bytes per event")
    table.add("the same, with every bloc's member index built (one `memberships()`)",
              f"{indexed_bytes / count_events:,.0f} bytes", "—", "—")
    table.add("resident memory after replaying the whole log, per event",
              f"{replay_bytes / count_events:,.0f} bytes",
              f"{peer_bytes / count_events:,.0f} bytes" if peer_bytes else "—",
              f"{peer_bytes / replay_bytes:,.1f}× less" if peer_bytes else "—")
    return table


def cow(repeat: int, peer: bool, folder: Path) -> Table | None:
    if not COW_STATE_YEAR.exists():
        print("(the Correlates of War files are absent: COW workload skipped)", file=sys.stderr)
        return None
    from aes_membership.interop import cow as panels

    table = Table("Correlates of War IGO v3, state-year and IGO-year panels "
                  "(15,557 and 19,335 rows, 534 IGOs)")
    holder: dict[str, Registry] = {}

    def load() -> None:
        reg = Registry()
        panels.import_state_year(reg, COW_STATE_YEAR)
        holder["reg"] = reg

    imports = samples(load, repeat)
    reg = holder["reg"]
    table.add(f"full import of the state-year panel ({reg.position:,} events, validated)",
              Table.cell(imports, "s"), target="≤ 10 s")
    out = folder / "state_year.csv"
    exports = samples(lambda: panels.export_state_year(reg, out), repeat)
    table.add("full state-year panel export", Table.cell(exports, "s"), target="≤ 10 s")
    if COW_IGO_YEAR.exists():  # the same history, one row per IGO and year
        def load_igo_year() -> None:
            reg = Registry()
            panels.import_igo_year(reg, COW_IGO_YEAR)
            holder["igo"] = reg

        imports = samples(load_igo_year, repeat)
        table.add(f"full import of the IGO-year panel ({holder['igo'].position:,} events, "
                  "validated)", Table.cell(imports, "s"), target="≤ 10 s")
        igo_out = folder / "igo_year.csv"
        exports = samples(lambda: panels.export_igo_year(holder["igo"], igo_out), repeat)
        del holder["igo"]  # (its memory, before the appends below)
        table.add("full IGO-year panel export", Table.cell(exports, "s"), target="≤ 10 s")
    events: list[Event] = [r.event for r in reg.events()]
    path = folder / "cow.sqlite"

    peer_path = folder / "cow-peer.sqlite"
    ours, peer_append = _appends(events, path, peer_path if peer else None, repeat)
    peer_open = peer_fold = None
    if peer:
        from .peer import PeerApp, peer_env

    table.add(f"append of the imported history into SQLite ({len(events):,} events)",
              Table.cell(ours, "events/s", rate=len(events)),
              Table.cell(peer_append, "events/s", rate=len(events)), _ratio(ours, peer_append))
    blocs = sorted(reg.ids("bloc"))
    # Cold, as for the synthetic world: in a new process, timed with what was opened held.
    opens = _opens_in_child(path, "reg.snapshot('1990-12-31').blocs_of('MLI')", repeat)
    if peer:
        peer_open = _peer_opens_in_child(
            peer_path, blocs,
            "[b for b, agg in blocs.items() if agg.is_member('MLI', '1990-12-31')]", repeat)
    table.add("cold open of that store to the first answer", Table.cell(opens, "s"),
              Table.cell(peer_open, "s"), _ratio(opens, peer_open))
    snap = reg.snapshot("1990-12-31")
    ask = [t / 100 for t in samples(lambda: [snap.blocs_of("MLI") for _ in range(100)], 9)]
    table.add("which IGOs was Mali in on 1990-12-31", Table.cell(ask, "µs", 1e6))
    world = samples(lambda: snap.memberships(), repeat)
    if peer:
        app = PeerApp(env=peer_env(str(peer_path)))
        peer_fold = samples(lambda: app.memberships_on("1990-12-31"), repeat)
    table.add("all memberships in the world on 1990-12-31", Table.cell(world, "ms", 1e3),
              Table.cell(peer_fold, "ms", 1e3), _ratio(world, peer_fold))
    return table


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import importlib.metadata as metadata

        peer = metadata.version("eventsourcing")
    except Exception:
        peer = "not installed"
    return (f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()} on "
            f"{platform.system()}; SQLite {__import__('sqlite3').sqlite_version}; "
            f"eventsourcing {peer}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--events", type=int, nargs="+", default=None,
                        help="synthetic sizes (default 10000 100000 1000000; quick: 2000 10000)")
    parser.add_argument("--seed", type=int, default=1975)
    parser.add_argument("--repeat", type=int, default=3, help="repeats of each measurement")
    parser.add_argument("--no-peer", action="store_true", help="measure ours only")
    parser.add_argument("--no-cow", action="store_true", help="skip the COW workload")
    parser.add_argument("--json", default=None, help="also write the tables to this file")
    args = parser.parse_args(argv)
    sizes = args.events or ([2_000, 10_000] if args.quick else [10_000, 100_000, 1_000_000])
    peer = not args.no_peer
    if peer:
        try:
            import eventsourcing  # noqa: F401
        except ImportError:
            print("(eventsourcing is not installed: pip install '.[bench]'; "
                  "measuring ours only)", file=sys.stderr)
            peer = False
    print(f"Machine: {machine()}\n")
    print(f"Command: python -m benchmarks {' '.join(sys.argv[1:] if argv is None else argv)}\n")
    tables = []
    baseline: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for size in sorted(sizes):
            print(f"synthetic world, {size:,} events…", file=sys.stderr)
            table = synthetic(size, args.seed, 1 if args.quick else args.repeat, peer, folder,
                              baseline)
            print(table.render())
            tables.append(table)
        if not args.quick and not args.no_cow:
            print("Correlates of War workload…", file=sys.stderr)
            table_cow = cow(args.repeat, peer, folder)
            if table_cow is not None:
                print(table_cow.render())
                tables.append(table_cow)
    if args.json:
        Path(args.json).write_text(json.dumps(
            [{"title": t.title, "rows": t.rows} for t in tables], indent=2), encoding="utf-8")
