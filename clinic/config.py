"""The application's settings, read once from the environment or `.streamlit/secrets.toml`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from clinic import i18n
from clinic.sessions import Limits
from model_store import settings


@dataclass(frozen=True)
class Config:
    """Everything the clinic layer needs to start; built by `load()`, passed explicitly after."""

    data_dir: Path
    database_url: str
    model_uri: str
    encryption_keys: str | None
    index_key: str | None
    language: str = i18n.DEFAULT
    """The interface language of sign-in pages and of users who chose none (CLINIC_LANGUAGE)."""
    session_limits: Limits = field(default_factory=Limits)

    @property
    def key_file(self) -> Path:
        """Where generated keys live on a laptop install: beside the data, outside the database."""
        return self.data_dir / "keys.json"


def load() -> Config:
    data_dir = settings.data_dir()
    return Config(
        data_dir=data_dir,
        database_url=settings.setting("DATABASE_URL") or f"sqlite:///{data_dir / 'clinic.db'}",
        model_uri=settings.model_uri(),
        encryption_keys=settings.setting("CLINIC_ENCRYPTION_KEYS"),
        index_key=settings.setting("CLINIC_INDEX_KEY"),
        language=i18n.checked(settings.setting("CLINIC_LANGUAGE", i18n.DEFAULT)),
        session_limits=Limits(
            idle=timedelta(minutes=float(settings.setting("CLINIC_SESSION_IDLE_MINUTES", "15"))),
            absolute=timedelta(hours=float(settings.setting("CLINIC_SESSION_MAX_HOURS", "12"))),
        ),
    )
