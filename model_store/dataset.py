"""The shipped training data: where it is, its checksum, and reading it only when it is that file.

Apart from training, so that the app's drift reference and the demo data read the same rows
without loading the training module (MLflow, the forest).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "AIDS_Classification.csv"
DATA_SHA256 = "0f23c1a05bad19802d2d0134c7d9fac3ef8fb4808fbe341ee3774e5545c39a39"


class DataIntegrityError(Exception):
    """The training file is not the one the project ships (its sha256 differs)."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def load_data(path: Path = DATA_FILE, expected_sha256: str = DATA_SHA256) -> pd.DataFrame:
    """The training CSV, refused unless it is byte-for-byte the file the metrics were made on."""
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise DataIntegrityError(
            f"{path} has sha256 {actual}, expected {expected_sha256}. "
            "Restore the shipped AIDS_Classification.csv; training on other data is refused."
        )
    return pd.read_csv(path)
