"""The way to the sign-in form stays light: what the model or a password change needs is not
imported on it (README, Performance: cold start)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START = "from clinic import config, runtime; runtime.start(config.load()).engine.dispose()"
NOT_ON_THE_WAY = ("mlflow", "sklearn", "skops", "alembic", "zxcvbn")


def test_the_sign_in_modules_and_a_second_start_import_nothing_heavy(tmp_path: Path) -> None:
    env = {**os.environ, "CLINIC_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-c", START], env=env, cwd=ROOT, check=True)  # migrates
    imported = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import sys, components.auth, components.navigation, components.services; {START}; "
            f"print(' '.join(m for m in {NOT_ON_THE_WAY!r} if m in sys.modules))",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout.split() == []
