"""Why the forest said what it said about one patient: exact per-feature contributions.

Each tree's prediction is its root's class-1 share plus the change at every split on the path to
the patient's leaf; crediting each change to the split's feature and averaging over the trees
gives contributions that add up exactly to the probability minus the forest's base rate (the
mean root share). Same numbers as SHAP's "path" attributions (the treeinterpreter method),
computed in a few milliseconds with no extra dependency.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

from model_store.explanation import Explanation
from model_store.features import final_step_inputs, raw_matrix, raw_rows
from model_store.schema import CODES


def explain(pipeline: Pipeline, measurements: Mapping[str, float]) -> Explanation:
    """The exact contributions of one patient's raw schema values (keyed by field code)."""
    features, forest = _forest_inputs(pipeline, raw_rows([measurements]))
    # The trees compare float32 inputs with float64 thresholds, so do the same.
    x = [float(v) for v in np.asarray(features, dtype=np.float32)[0]]
    totals = [0.0] * len(CODES)
    base = 0.0
    for tree in forest.estimators_:
        left, right, feature, threshold, share = _walkable(tree)
        node = 0
        base += share[0]
        while left[node] != -1:
            f = feature[node]
            child = left[node] if x[f] <= threshold[node] else right[node]
            totals[f] += share[child] - share[node]
            node = child
    n = len(forest.estimators_)
    contributions = {code: total / n for code, total in zip(CODES, totals, strict=True)}
    base /= n
    return Explanation(base, base + sum(contributions.values()), contributions)


def explain_many(pipeline: Pipeline, frame: pd.DataFrame | np.ndarray) -> list[Explanation]:
    """The same contributions for many patients at once (raw schema columns), for batches:
    each tree's decision paths times its per-edge share changes, as sparse matrices."""
    features, forest = _forest_inputs(pipeline, raw_matrix(frame))
    x = np.asarray(features, dtype=np.float32)
    totals = np.zeros((len(x), len(CODES)))
    base = 0.0
    for tree in forest.estimators_:
        totals += (tree.decision_path(x) @ _edge_changes(tree)).toarray()
        base += _shares(tree)[0]
    n = len(forest.estimators_)
    totals /= n
    base /= n
    return [
        Explanation(base, base + float(row.sum()), dict(zip(CODES, row.tolist(), strict=True)))
        for row in totals
    ]


def _forest_inputs(
    pipeline: Pipeline, raw: np.ndarray
) -> tuple[np.ndarray, RandomForestClassifier]:
    features, forest = final_step_inputs(pipeline, raw)
    if not isinstance(forest, RandomForestClassifier):
        raise TypeError(f"Explanations need a random forest, not {type(forest).__name__}.")
    return features, forest


def _shares(tree: DecisionTreeClassifier) -> np.ndarray:
    """Each node's class-1 share, as predict_proba computes it."""
    values = tree.tree_.value[:, 0, :]
    totals = values.sum(axis=1)
    return values[:, 1] / np.where(totals == 0, 1, totals)


@cache
def _edge_changes(tree: DecisionTreeClassifier) -> sparse.csr_matrix:
    """node x feature: the change in share on entering each node, credited to its parent's
    split feature (zero for the root)."""
    t = tree.tree_
    share = _shares(tree)
    parent = np.full(t.node_count, -1)
    inner = np.flatnonzero(t.children_left != -1)
    parent[t.children_left[inner]] = inner
    parent[t.children_right[inner]] = inner
    child = np.flatnonzero(parent >= 0)
    changes = share[child] - share[parent[child]]
    where = (child, t.feature[parent[child]])
    return sparse.csr_matrix((changes, where), shape=(t.node_count, len(CODES)))


@cache
def _walkable(tree: DecisionTreeClassifier) -> tuple[list, list, list, list, list]:
    """A tree as plain lists (children, split feature and threshold, each node's class-1 share
    as predict_proba computes it): walking lists in Python beats decision_path's overhead."""
    t = tree.tree_
    return (
        t.children_left.tolist(),
        t.children_right.tolist(),
        t.feature.tolist(),
        t.threshold.tolist(),
        _shares(tree).tolist(),
    )
