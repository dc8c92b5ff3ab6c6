"""Starting the clinic layer: configuration, database (migrated), vault (keys checked; the
audit trail's key bound to the engine, see clinic.keys.open_vault)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from clinic import db
from clinic.config import Config
from clinic.keys import open_vault
from clinic.vault import Vault


@dataclass(frozen=True)
class Clinic:
    """What a page or command needs to run use cases; one per process."""

    config: Config
    engine: Engine
    vault: Vault
    key_notice: str | None


def start(config: Config) -> Clinic:
    """Connect, migrate and open the vault; raises a clear error instead of running half-set."""
    engine = db.connect(config.database_url)
    vault, notice = open_vault(config, engine)
    return Clinic(config, engine, vault, notice)
