"""The README is the deployment guide: the parts generated from code must match the code."""

from __future__ import annotations

import contextlib
import importlib
import io
import re
from pathlib import Path

import pytest

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


COMMAND = re.compile(r"`python -m (clinic|model_store|benchmarks)((?: [a-z][a-z-]*)*)")


def _documented_commands() -> set[tuple[str, tuple[str, ...]]]:
    """Every `python -m clinic|model_store|benchmarks SUBCOMMAND...` the README shows, as
    (module, subcommand words); the words stop at the first argument (a capital, a dash, a
    bracket)."""
    found = {(m[1], tuple(m[2].split())) for m in COMMAND.finditer(README.read_text())}
    found |= {
        ("model_store", ("challenger",)),  # written `challenger VERSION` / `--clear`
    }
    return found


@pytest.mark.parametrize("module, words", sorted(_documented_commands()))
def test_every_command_the_readme_shows_exists(module: str, words: tuple[str, ...]) -> None:
    """Its parser knows it: `--help` exits 0 where an unknown choice exits 2."""
    main = importlib.import_module(f"{module}.__main__").main
    with pytest.raises(SystemExit) as ended, contextlib.redirect_stdout(io.StringIO()):
        main([*words, "--help"])
    assert ended.value.code == 0, f"python -m {module} {' '.join(words)}"


def test_the_readme_documents_a_known_command_set() -> None:
    assert ("model_store", ("rollback",)) in _documented_commands()
    assert ("clinic", ("audit", "verify")) in _documented_commands()


PACKAGES = ("views", "components", "clinic", "model_store")


def _readme_row(folder: str) -> set[str]:
    """The module names the README's architecture table lists for `folder`."""
    row = next(
        line for line in README.read_text().splitlines() if line.startswith(f"| `{folder}/` |")
    )
    return set(re.findall(r"`([a-z0-9_]+\.py)`", row))


@pytest.mark.parametrize("folder", PACKAGES)
def test_the_architecture_table_lists_exactly_the_modules(folder: str) -> None:
    """A module added, renamed or removed shows up here until the README says so."""
    on_disk = {p.name for p in (README.parent / folder).glob("*.py") if p.name != "__init__.py"}
    listed = _readme_row(folder)
    assert sorted(on_disk - listed) == [], "modules the README does not describe"
    assert sorted(listed - on_disk) == [], "modules the README names that do not exist"
