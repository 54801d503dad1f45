"""Side-by-side timing for the benchmark scripts: contenders alternate, so that a slow
spell of a shared machine hits them alike."""

from __future__ import annotations

import time


def time_rounds(steps_by_name: dict, rounds: int, per_round: int = 1,
                clock=time.perf_counter) -> dict:
    """Per-step time of each contender in each round, after a warm-up step each: every
    round runs `per_round` steps of each contender in turn. `clock`: time.perf_counter
    (the wall clock) or time.process_time (CPU time, steadier on a busy machine)."""
    for step in steps_by_name.values():
        step()
    times = {name: [] for name in steps_by_name}
    for _ in range(rounds):
        for name, step in steps_by_name.items():
            t0 = clock()
            for _ in range(per_round):
                step()
            times[name].append((clock() - t0) / per_round)
    return times
