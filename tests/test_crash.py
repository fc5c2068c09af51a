"""A writer killed with SIGKILL mid-batch leaves no partial batch behind."""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import time
from typing import Any

import pytest

from aes_membership import Registry, StateRegistered
from conftest import Backend

KILLS = 6


def _write_batches(target: str, options: dict[str, Any], ready: Any, size: int) -> None:
    """Append batches of ``size`` events, forever, until killed."""
    reg = Registry.open(target, **options)
    ready.set()
    batch = reg.position // size
    while True:
        reg.record(*(StateRegistered(state=f"B{batch}-{n}", name=f"batch {batch} state {n}")
                     for n in range(size)))
        batch += 1


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
@pytest.mark.parametrize("size", [1500, 12_000], ids=["batches", "large batches"])
def test_sigkill_mid_batch_leaves_whole_batches(durable: Backend, size: int) -> None:
    """After each kill at a random moment, the store holds whole batches, verifies and answers."""
    rng = random.Random(20240128)
    ctx = multiprocessing.get_context("spawn")
    previous = 0
    for _ in range(KILLS):
        ready = ctx.Event()
        writer = ctx.Process(target=_write_batches, args=(durable.target, durable.options, ready, size))
        writer.start()
        assert ready.wait(60), "the writer did not start"
        time.sleep(rng.uniform(0.05, 0.8))
        assert writer.pid is not None
        os.kill(writer.pid, signal.SIGKILL)
        writer.join(30)
        assert writer.exitcode == -signal.SIGKILL
        with durable.open(on_tamper="refuse") as reg:
            assert reg.position % size == 0, f"a partial batch was stored ({reg.position})"
            assert reg.position >= previous
            assert reg.verify().ok
            states = reg.ids("state")
            assert len(states) == reg.position
            for batch in range(reg.position // size):
                assert {f"B{batch}-0", f"B{batch}-{size - 1}"} <= states
            previous = reg.position
        # a new writer goes on from where the killed one stopped
    with durable.open() as reg:
        reg.register_state("AFTER", name="written after the crashes")
        assert reg.position == previous + 1
