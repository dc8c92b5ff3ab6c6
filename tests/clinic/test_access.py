"""The whole access table, role by role: a change to who may do what shows up here."""

from __future__ import annotations

import pytest

from clinic import access
from clinic.access import Action, Role
from components.navigation import PAGES

C, S, A = Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN

ACTIONS = {
    Action.PREDICT: {C, S},
    Action.SCORE_LIST: {C, S},
    Action.SEE_HISTORY: {C, S},
    Action.SEE_ALL_HISTORY: {S},
    Action.REVEAL_IDENTITY: {S},
    Action.EXPORT_HISTORY: {S},
    Action.MANAGE_USERS: {A},
    Action.MANAGE_MODELS: {A},
    Action.VIEW_MONITORING: {S, A},
    Action.VIEW_AUDIT: {S, A},
    Action.READ_MODEL_CARD: {C, S, A},
    Action.OWN_ACCOUNT: {C, S, A},
}

MENUS = {
    C: ["predict", "batch", "history", "model", "account"],
    S: ["predict", "batch", "history", "monitoring", "audit", "model", "account"],
    A: ["users", "models", "monitoring", "audit", "model", "account"],
}
"""Each role's menu in order; its first page is where it lands."""


def test_every_action_is_in_the_table() -> None:
    assert set(ACTIONS) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", list(Role))
def test_who_may_take_each_action(role: Role, action: Action) -> None:
    assert access.may(role, action) is (role in ACTIONS[action])


@pytest.mark.parametrize("role", list(Role))
def test_each_role_menu(role: Role) -> None:
    assert [page for page in PAGES if access.may_open(role, page)] == MENUS[role]


def test_labels() -> None:
    assert [r.label for r in Role] == ["Clinician", "Supervisor", "Admin"]
