"""The README is the deployment guide: the parts generated from code must match the code."""

from __future__ import annotations

from pathlib import Path

from model_store.schema import markdown_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_field_table_is_the_schema() -> None:
    assert markdown_table() in README.read_text()


def test_readme_names_every_setting_the_code_reads() -> None:
    text = README.read_text()
    for name in [
        "CLINIC_DATA_DIR",
        "DATABASE_URL",
        "MLFLOW_TRACKING_URI",
        "MLFLOW_REGISTRY_URI",
        "CLINIC_MODEL_URI",
        "CLINIC_ENCRYPTION_KEYS",
        "CLINIC_INDEX_KEY",
        "CLINIC_SECRETS_FILE",
        "CLINIC_SESSION_IDLE_MINUTES",
        "CLINIC_SESSION_MAX_HOURS",
        "CLINIC_MODEL_REFRESH_SECONDS",
        "CLINIC_LANGUAGE",
        "TEST_DATABASE_URL",
    ]:
        assert f"`{name}`" in text, name
