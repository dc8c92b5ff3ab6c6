"""A real Streamlit server on a free loopback port and a real headless Chromium driving it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from benchmarks.person import CHROMIUM, CHROMIUM_ARGS
from tests.browser.support import SCREENSHOTS, Server, start_server
from tests.support import unavailable

expect.set_options(timeout=30_000)  # a cold server imports MLflow and loads the model


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        unavailable("Chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request, serve):
    """A fresh browser context per test; a screenshot is kept under build/screenshots."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)
    context.close()


@pytest.fixture
def serve(trained_store, tmp_path) -> Iterator:
    """A factory: the app served like `make run` does, on a fresh data dir and the session's
    model, with extra settings; every server is stopped after the test."""
    processes = []

    def start(**settings: str) -> Server:
        data_dir = tmp_path / f"data{len(processes)}"
        data_dir.mkdir()
        log = tmp_path / f"streamlit{len(processes)}.log"
        env = {**os.environ, **settings, "CLINIC_DATA_DIR": str(data_dir)}
        process, url = start_server(env, log)
        processes.append(process)
        return Server(url, data_dir, log, env)

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def server(serve) -> Server:
    return serve()
