"""Who may do what: the roles, and which role may take which action or open which page.

The navigation, the page guard and the use cases all ask here, so a rule is changed once and
the menu, the pages and the use cases cannot disagree.
"""

from __future__ import annotations

from enum import StrEnum

from clinic.i18n import N_, _


class AccessDenied(PermissionError):
    """The role does not allow this action; a use case's own check, besides the page's."""


class Role(StrEnum):
    CLINICIAN = "clinician"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        """The role's name as people read it, in the current language."""
        return _(_ROLE_LABELS[self])


_ROLE_LABELS = {
    Role.CLINICIAN: N_("Clinician"),
    Role.SUPERVISOR: N_("Supervisor"),
    Role.ADMIN: N_("Admin"),
}

CLINICAL = frozenset({Role.CLINICIAN, Role.SUPERVISOR})
"""The roles that see patients and make predictions."""
OVERSIGHT = frozenset({Role.SUPERVISOR, Role.ADMIN})
"""The roles that watch the service: monitoring and the audit trail."""
EVERYONE = frozenset(Role)


class Action(StrEnum):
    PREDICT = "predict"
    SCORE_LIST = "score a list"
    SEE_HISTORY = "see history"
    """The history page; a clinician sees the predictions they made."""
    SEE_ALL_HISTORY = "see all history"
    """Everyone's predictions, not only one's own."""
    REVEAL_IDENTITY = "reveal an identity"
    EXPORT_HISTORY = "export history"
    MANAGE_USERS = "manage users"
    MANAGE_MODELS = "manage models"
    VIEW_MONITORING = "view monitoring"
    VIEW_AUDIT = "view audit"
    READ_MODEL_CARD = "read the model card"
    OWN_ACCOUNT = "own account"
    """One's own password, recovery codes and language."""


_ALLOWED: dict[Action, frozenset[Role]] = {
    Action.PREDICT: CLINICAL,
    Action.SCORE_LIST: CLINICAL,
    Action.SEE_HISTORY: CLINICAL,
    Action.SEE_ALL_HISTORY: frozenset({Role.SUPERVISOR}),
    Action.REVEAL_IDENTITY: frozenset({Role.SUPERVISOR}),
    Action.EXPORT_HISTORY: frozenset({Role.SUPERVISOR}),
    Action.MANAGE_USERS: frozenset({Role.ADMIN}),
    Action.MANAGE_MODELS: frozenset({Role.ADMIN}),
    Action.VIEW_MONITORING: OVERSIGHT,
    Action.VIEW_AUDIT: OVERSIGHT,
    Action.READ_MODEL_CARD: EVERYONE,
    Action.OWN_ACCOUNT: EVERYONE,
}

_PAGE_ACTION: dict[str, Action] = {
    "predict": Action.PREDICT,
    "batch": Action.SCORE_LIST,
    "history": Action.SEE_HISTORY,
    "users": Action.MANAGE_USERS,
    "models": Action.MANAGE_MODELS,
    "monitoring": Action.VIEW_MONITORING,
    "audit": Action.VIEW_AUDIT,
    "model": Action.READ_MODEL_CARD,
    "account": Action.OWN_ACCOUNT,
}
"""Each page (keyed as in `components.navigation.PAGES`) by the action it is for."""


def may(role: Role, action: Action) -> bool:
    return role in _ALLOWED[action]


def may_open(role: Role, page: str) -> bool:
    """Whether `role` sees `page` in the menu and gets past its guard."""
    return may(role, _PAGE_ACTION[page])
