"""Moving the registry's aliases by hand: promote a version to champion, roll back to the
previous one, set or clear the shadow-scored challenger. What the CLI and the Model versions
page do; training crowns its own versions (model_store.train)."""

from __future__ import annotations

from dataclasses import dataclass

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from model_store.tracking import (
    CHALLENGER,
    CHAMPION,
    MODEL_NAME,
    PREVIOUS,
    alias_version,
    champion_version,
    connect,
)


class UnknownVersion(Exception):
    """`promote` was asked for a version of the model that does not exist."""


@dataclass(frozen=True)
class Promotion:
    """The versions the `champion` alias pointed at before and after a promotion."""

    previous: str | None
    current: str


def promote(version: str | int) -> Promotion:
    """Point `champion` at `version` (an admin's decision, whatever its metrics); the version it
    leaves gets the `previous` alias, so that `rollback` can undo this."""
    client = connect()
    version = _registered(client, version)
    previous = champion_version(client)
    if previous is not None and previous != version:
        client.set_registered_model_alias(MODEL_NAME, PREVIOUS, previous)
    client.set_registered_model_alias(MODEL_NAME, CHAMPION, version)
    return Promotion(previous=previous, current=version)


def rollback() -> Promotion:
    """Make the version `champion` pointed at before the last promotion champion again."""
    version = alias_version(PREVIOUS)
    if version is None:
        raise UnknownVersion(f"{MODEL_NAME} has no @{PREVIOUS} version to roll back to.")
    return promote(version)


def set_challenger(version: str | int | None) -> str | None:
    """Point `challenger` at `version` (shadow-scored beside the champion), or clear it with
    None; returns the version it pointed at before."""
    client = connect()
    before = alias_version(CHALLENGER, client)
    if version is None:
        if before is not None:
            client.delete_registered_model_alias(MODEL_NAME, CHALLENGER)
        return before
    client.set_registered_model_alias(MODEL_NAME, CHALLENGER, _registered(client, version))
    return before


def _registered(client: MlflowClient, version: str | int) -> str:
    """`version` as a string, if the registry holds it; else UnknownVersion."""
    try:
        client.get_model_version(MODEL_NAME, str(version))
    except MlflowException as exc:
        raise UnknownVersion(f"{MODEL_NAME} has no version {str(version)!r}") from exc
    return str(version)
