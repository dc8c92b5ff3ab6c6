"""Everything MLflow. Importing the package first switches MLflow's usage telemetry off.

MLflow (3.x) sends usage events to its makers' servers unless told not to; a clinic's server
must not phone home. MLflow decides once, when `mlflow` is first imported, whether to start its
telemetry client (mlflow.telemetry.utils.is_telemetry_disabled: MLFLOW_DISABLE_TELEMETRY or
DO_NOT_TRACK=true), and checks again before each event. Every module here that imports mlflow is
inside this package, so this runs first on every path the project has (the app, `python -m
model_store`, `python -m clinic`, the benchmarks). `mlflow models serve` and `mlflow ui` are
MLflow's own commands: set both variables in their environment (README).

`setdefault`, so that an operator's explicit choice in the environment still wins.
"""

from __future__ import annotations

import os

TELEMETRY_OFF = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
"""The variables MLflow's telemetry honours (checked in mlflow 3.17's mlflow/telemetry/utils.py)."""

for _name, _value in TELEMETRY_OFF.items():
    os.environ.setdefault(_name, _value)
