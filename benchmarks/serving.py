"""One prediction end to end (validate, predict, explain, encrypt, store, audit) beside the
original deployment's bare REST call (`mlflow models serve`) of the same champion, same run."""

from __future__ import annotations

import itertools
from pathlib import Path

import requests

from benchmarks.home import use_home
from benchmarks.report import RESULTS, Figure, measure
from benchmarks.rest_server import mlflow_serve
from clinic import config, runtime
from clinic.predictions import predict_and_store
from model_store.dataset import load_data
from model_store.schema import CODES, FIELDS

HOME = RESULTS.parent / "bench-serving"
RATIO_GOAL = 0.5


def _patients(n: int) -> list[dict]:
    """Training rows as a clinician types them (whole numbers where the schema says so)."""
    rows = load_data()[list(CODES)].sample(n, random_state=5, replace=True)
    return [
        {f.code: int(row[f.code]) if f.integer else float(row[f.code]) for f in FIELDS}
        for _, row in rows.iterrows()
    ]


def figures(repeat: int, command: str) -> list[Figure]:
    model = use_home(HOME)
    clinic = runtime.start(config.load())
    patients = itertools.cycle(_patients(200))
    numbers = itertools.count(10_000_000)

    def ours() -> None:
        predict_and_store(
            clinic.engine,
            clinic.vault,
            model,
            actor="bench",
            full_name="Paciente de Prueba",
            national_id=str(next(numbers)),
            measurements=next(patients),
        )

    ours_p50, ours_p95 = measure(ours, repeat=repeat, warmup=5)
    with mlflow_serve(
        f"sqlite:///{HOME / 'mlflow.db'}", Path(HOME), "models:/final_model@champion"
    ) as url:
        session = requests.Session()

        def rest() -> None:
            response = session.post(
                f"{url}/invocations", json={"dataframe_records": [next(patients)]}, timeout=30
            )
            response.raise_for_status()

        rest_p50, rest_p95 = measure(rest, repeat=repeat, warmup=5)
    return [
        Figure("prediction end to end, in-process (stored)", ours_p50, ours_p95, None, command),
        Figure("bare REST prediction, mlflow models serve", rest_p50, rest_p95, None, command),
        Figure(
            "ours / REST",
            ours_p50 / rest_p50,
            ours_p95 / rest_p95,
            RATIO_GOAL,
            command,
            unit="x",
        ),
    ]
