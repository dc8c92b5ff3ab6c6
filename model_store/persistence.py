"""How the pipeline is read back from disk without trusting whatever the file asks for.

skops refuses any type that is not on an allow-list. The list is the project's own, in code:
a model's MLmodel file also carries a list, but a crafted model could whitelist anything there.
"""

from __future__ import annotations

from pathlib import Path

import skops.io
from sklearn.pipeline import Pipeline

TRUSTED_TYPES: tuple[str, ...] = (
    "model_store.features.ClinicalFeatures",
    "sklearn.tree._tree.Tree",
)
"""Exactly what `skops.io.get_untrusted_types` reports for the fitted pipeline (a test checks)."""


def load_pipeline(path: Path | str) -> Pipeline:
    """Load a skops file, trusting only TRUSTED_TYPES (raises UntrustedTypesFoundException)."""
    pipeline = skops.io.load(path, trusted=list(TRUSTED_TYPES))
    if not isinstance(pipeline, Pipeline):
        raise TypeError(f"Expected a scikit-learn Pipeline, got {type(pipeline).__name__}")
    return pipeline
