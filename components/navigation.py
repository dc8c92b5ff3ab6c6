"""Which pages exist, in menu order: read by app.py for the menu and by every page's guard.
Who may open each one is `clinic.access`'s rule, so the menu and the guards cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass

from clinic.i18n import N_


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    """English, marked for the catalogue; shown through `_()`."""
    icon: str


PAGES: dict[str, PageSpec] = {  # in menu order; each role lands on its first page
    "predict": PageSpec("views/predict.py", N_("New prediction"), ":material/monitor_heart:"),
    "batch": PageSpec("views/batch.py", N_("Score a list"), ":material/upload_file:"),
    "history": PageSpec("views/history.py", N_("History"), ":material/history:"),
    "users": PageSpec("views/users.py", N_("Users"), ":material/group:"),
    "models": PageSpec("views/models.py", N_("Model versions"), ":material/account_tree:"),
    "monitoring": PageSpec("views/monitoring.py", N_("Monitoring"), ":material/monitoring:"),
    "audit": PageSpec("views/audit.py", N_("Audit trail"), ":material/policy:"),
    "model": PageSpec("views/model_card.py", N_("Model card"), ":material/description:"),
    "account": PageSpec("views/account.py", N_("My account"), ":material/person:"),
}
