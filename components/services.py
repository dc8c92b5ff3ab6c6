"""The process-wide clinic runtime and model, built once and shared by every session."""

from __future__ import annotations

import ctypes
import importlib
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import streamlit as st

from clinic import config, runtime, setup
from clinic.db import StorageUnavailable
from clinic.i18n import _
from clinic.vault import VaultError
from model_store import settings

if TYPE_CHECKING:
    from model_store.card import Card
    from model_store.registry import LoadedModel

MODEL_REFRESH_SECONDS = float(settings.setting("CLINIC_MODEL_REFRESH_SECONDS", "60"))
"""How often the registry is asked which version the alias points at (a new champion is served
within this many seconds, without a restart)."""


@st.cache_resource(show_spinner=False)
def configuration() -> config.Config:
    """The settings, read once per process (the language is needed before the database)."""
    return config.load()


@st.cache_resource(show_spinner=False)
def _clinic() -> runtime.Clinic:
    clinic = runtime.start(configuration())
    if code := setup.issue_code(clinic.engine, datetime.now(UTC)):
        # The console is the one place a stranger at the browser cannot read.
        print(f"\n  First run: no accounts yet. Setup code: {code}\n", flush=True)
    return clinic


WARM_UP_DELAY_SECONDS = 1.0
"""How long the background import waits once the sign-in page is built: the browser is still
drawing the form then, and seconds of CPU-bound importing beside it slowed that by ~0.1 s on two
cores. Nobody signs in within a second; a page that needs the model sooner ends the wait."""
_needed_now = threading.Event()


def _import_model_code() -> None:
    _needed_now.wait(WARM_UP_DELAY_SECONDS)
    importlib.import_module("model_store.registry")


@st.cache_resource(show_spinner=False)
def warm_up_model() -> threading.Thread:
    """Import MLflow and skops (seconds) in the background, once per process, while the user
    signs in. Started once the sign-in page is built, so it competes with nothing the user is
    waiting for (or by wait_for_model_code, when there was no sign-in page)."""
    thread = threading.Thread(target=_import_model_code, daemon=True)
    thread.start()
    return thread


def wait_for_model_code() -> None:
    """Finish that import under "Loading the model…" when it is still running (a fresh server
    and a quick sign-in, or a session resumed by its cookie, which never saw the sign-in page):
    a page importing MLflow itself would sit on the old screen for seconds, saying nothing."""
    thread = warm_up_model()
    if thread.is_alive():
        _needed_now.set()
        with st.spinner(_("Loading the model…")):
            thread.join()


def _then_reload(problem: Exception) -> str:
    return _("{problem} Then reload this page.").format(problem=problem)


def clinic_or_stop() -> runtime.Clinic:
    """The clinic runtime; on a startup failure, a clear message and the page stops there."""
    try:
        return _clinic()
    except VaultError as exc:
        st.error(
            _("The encryption keys are not usable: {problem}").format(problem=exc),
            icon=":material/key_off:",
        )
    except StorageUnavailable as exc:
        st.error(_then_reload(exc), icon=":material/database_off:")
    st.stop()


@st.cache_data(ttl=MODEL_REFRESH_SECONDS, show_spinner=False)
def _current_version(model_uri: str) -> str:
    from model_store import registry

    return registry.resolve_version(model_uri)


@st.cache_resource(show_spinner=False, max_entries=4)
def _load(model_uri: str, version: str) -> LoadedModel:
    from model_store import registry

    model = registry.load(registry.pinned(model_uri, version))
    _return_freed_memory()
    return model


def _return_freed_memory() -> None:
    """Give the C heap a load freed (download, unzip, skops' tree building) back to the OS:
    glibc keeps it otherwise, a few MB of resident memory per load. No-op off glibc."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.malloc_trim(0)


@st.cache_resource(show_spinner=False)
def _serving() -> dict[str, LoadedModel]:
    """The model last served per URI, process-wide: what keeps serving while the registry
    cannot be asked."""
    return {}


def current_model(model_uri: str) -> LoadedModel | None:
    """The model the alias points at now, loaded once per version per process. When the
    registry cannot be asked, the last model served goes on serving (with a notice); None (with
    the reason shown) when there is none to use."""
    from model_store.registry import ModelUnavailable

    serving = _serving()
    try:
        with st.spinner(_("Loading the model…")):
            model = _load(model_uri, _current_version(model_uri))
    except ModelUnavailable as exc:
        if (last := serving.get(model_uri)) is None:
            st.warning(_then_reload(exc), icon=":material/model_training:")
            return None
        st.warning(
            _(
                "The model registry cannot be asked which version to serve; still serving "
                "version {version}. ({problem})"
            ).format(version=last.version, problem=exc),
            icon=":material/cloud_off:",
        )
        return last
    serving[model_uri] = model
    return model


@st.cache_data(ttl=MODEL_REFRESH_SECONDS, show_spinner=False)
def _challenger_version(challenger_uri: str) -> str | None:
    from model_store import registry

    try:
        return registry.resolve_version(challenger_uri)
    except registry.ModelUnavailable:  # no challenger set: the usual case
        return None


def current_challenger(model_uri: str) -> LoadedModel | None:
    """The `challenger` version of the served model, if one is set and can be loaded."""
    from model_store import registry
    from model_store.tracking import CHALLENGER

    challenger_uri = registry.with_alias(model_uri, CHALLENGER)
    version = _challenger_version(challenger_uri)
    if version is None:
        return None
    try:
        return _load(challenger_uri, version)
    except registry.ModelUnavailable:
        return None


@st.cache_data(ttl=600, show_spinner=False)
def card(_model: LoadedModel, version: str) -> Card:
    """The model card of a loaded version (a version's run never changes; the aliases may)."""
    from model_store import card as model_card

    return model_card.read(_model)


def model_changed() -> None:
    """This process serves a promotion at once (other replicas within the refresh window), and
    its model cards show the moved aliases."""
    _current_version.clear()
    _challenger_version.clear()
    card.clear()
