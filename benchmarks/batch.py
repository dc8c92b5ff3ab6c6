"""Storing 10,000 predictions through the batch use case: read and validate the CSV, score,
explain, encrypt, store and audit, on a database that grows by that much each run."""

from __future__ import annotations

import time

from benchmarks.home import use_home
from benchmarks.report import RESULTS, Figure
from clinic import batch, batch_file, config, demo, runtime

HOME = RESULTS.parent / "bench-batch"
DEFAULT_N = 10_000
GOAL_MS = 4_000


def figures(n: int, repeat: int, database_url: str | None, command: str) -> list[Figure]:
    model = use_home(HOME, database_url)
    clinic = runtime.start(config.load())
    seed = int(time.time())  # fresh invented patients each run: nothing is already stored
    files = [demo.patients_csv(n, seed + i) for i in range(repeat)]
    times = []
    for data in files:
        started = time.perf_counter()
        outcome = batch.score_and_store(
            clinic.engine, clinic.vault, model, batch_file.read(data), actor="bench"
        )
        times.append((time.perf_counter() - started) * 1000)
        if outcome.stored != n:
            raise RuntimeError(f"stored {outcome.stored} of {n}")
    times.sort()
    return [
        Figure(
            f"store {n:,} predictions from a CSV ({clinic.engine.dialect.name})",
            times[len(times) // 2],
            times[-1],
            GOAL_MS,
            command,
        )
    ]
