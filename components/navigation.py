"""Which pages exist and which roles may open them: read by app.py for the menu and by every
page for its own check, so the two can never disagree."""

from __future__ import annotations

from dataclasses import dataclass

from clinic.i18n import N_
from clinic.users import CLINICAL, Role

OVERSIGHT = frozenset({Role.SUPERVISOR, Role.ADMIN})
EVERYONE = frozenset(Role)


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    """English, marked for the catalogue; shown through `_()`."""
    icon: str
    roles: frozenset[Role]


PAGES: dict[str, PageSpec] = {  # in menu order; each role lands on its first page
    "predict": PageSpec(
        "views/predict.py", N_("New prediction"), ":material/monitor_heart:", CLINICAL
    ),
    "batch": PageSpec("views/batch.py", N_("Score a list"), ":material/upload_file:", CLINICAL),
    "history": PageSpec("views/history.py", N_("History"), ":material/history:", CLINICAL),
    "users": PageSpec("views/users.py", N_("Users"), ":material/group:", frozenset({Role.ADMIN})),
    "models": PageSpec(
        "views/models.py", N_("Model versions"), ":material/account_tree:", frozenset({Role.ADMIN})
    ),
    "monitoring": PageSpec(
        "views/monitoring.py", N_("Monitoring"), ":material/monitoring:", OVERSIGHT
    ),
    "audit": PageSpec("views/audit.py", N_("Audit trail"), ":material/policy:", OVERSIGHT),
    "model": PageSpec("views/model_card.py", N_("Model card"), ":material/description:", EVERYONE),
    "account": PageSpec("views/account.py", N_("My account"), ":material/person:", EVERYONE),
}
