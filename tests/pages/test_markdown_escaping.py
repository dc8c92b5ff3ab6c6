"""Text people type (display names, usernames, an uploaded file's column names) shows as typed:
never a link, an image or formatting, wherever Streamlit would render it as markdown.

AppTest hands back the markdown source, not the page, so `rendered_links` reads that source
the way Streamlit's renderer (react-markdown + remark-gfm) does: CommonMark's backslash escapes
are resolved first, then inline links and images, raw HTML and autolinks, and GFM's bare
`www.`, `http://` and e-mail autolinks found in the resolved text (checked in Chromium on
Streamlit 1.67: `\\[x\\]\\(http\\:\\/\\/e\\.example\\)` still shows a link to http://e.example).
"""

from __future__ import annotations

import re

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from components.plain import JOINER, literal, unescape
from tests.clinic.support import batch_csv, batch_row
from tests.pages.support import signed_in_app

ATTACK = "[x](http://evil.example) ![i](http://evil.example/a.png)"
WEB_USERNAME = "www.evil.example"  # a valid username (letters, dots) that GFM would link

_ESCAPED = re.compile(r"\\[!-/:-@\[-`{-~]")
_INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(")
_AUTOLINK_LITERAL = re.compile(r"(https?://|www\.)|[-.\w+]+@[-\w]+(\.[-\w]+)+", re.IGNORECASE)


def rendered_links(markdown: str) -> list[str]:
    """The links and images the renderer would make of `markdown` (see the module docstring)."""
    unescaped = _ESCAPED.sub(lambda m: "\0", markdown)  # an escaped character starts nothing
    found = _INLINE_LINK.findall(unescaped) + re.findall(r"<[a-z!/]", unescaped, re.IGNORECASE)
    resolved = _ESCAPED.sub(lambda m: m.group(0)[1], markdown)  # what the text nodes hold
    found += [m.group(0) for m in _AUTOLINK_LITERAL.finditer(resolved)]
    return found


def markdown_shown(at: AppTest) -> list[str]:
    """Every markdown source on the page, sidebar included, toasts and widget labels too."""
    blocks = [at.main, at.sidebar]
    kinds = ("markdown", "caption", "info", "success", "warning", "error", "title", "subheader")
    sources = [element.value for block in blocks for kind in kinds for element in block.get(kind)]
    sources += [toast.value for toast in at.get("toast")]
    widgets = ("button", "text_input", "selectbox", "radio", "checkbox", "expander")
    sources += [w.label for block in blocks for kind in widgets for w in block.get(kind)]
    return sources


def plain_shown(at: AppTest) -> list[str]:
    """Every plain-text element (st.text, st.code) on the page, sidebar included."""
    return [
        e.value for block in (at.main, at.sidebar) for e in block.get("text") + block.get("code")
    ]


def assert_literal(at: AppTest, typed: str) -> None:
    """`typed` is on the page exactly as typed, and nothing on the page is a link or image."""
    assert not at.exception, at.exception
    sources = markdown_shown(at)
    assert {s: rendered_links(s) for s in sources if rendered_links(s)} == {}
    shown = [unescape(s) for s in sources] + plain_shown(at)
    assert any(typed in text for text in shown), shown


def test_the_model_of_the_renderer_finds_what_chromium_showed() -> None:
    """The links seen in Chromium: raw syntax, escaped syntax (autolinked), bare addresses."""
    assert rendered_links(ATTACK)
    assert rendered_links(r"\[x\]\(http\:\/\/evil\.example\)")
    assert rendered_links("Signed in as **www.evil.example**")
    assert rendered_links("ask a@b.co")
    assert rendered_links("**Carla**") == []


@pytest.mark.parametrize(
    "typed",
    [
        ATTACK,
        WEB_USERNAME,
        "HTTPS://e.example mailto:a@b.co <img src=x> `c` **b** _i_ :red[r] $x$ | t |",
        "# heading\n- item\n\n    code",
        "back\\slash at the end \\",
    ],
)
def test_literal_markdown_has_no_link_and_reads_back_as_typed(typed: str) -> None:
    markdown = literal(typed)
    assert rendered_links(markdown) == []
    assert unescape(markdown) == re.sub(r"\s*\n\s*", " ", typed).strip()
    assert "\n" not in markdown and JOINER not in unescape(markdown)


def test_a_display_name_shows_literally_in_the_sidebar(tmp_path, monkeypatch) -> None:
    at = signed_in_app(tmp_path, monkeypatch, "admin", name=ATTACK)
    assert_literal(at, ATTACK)


def test_a_username_like_a_web_address_is_no_link_on_my_account(tmp_path, monkeypatch) -> None:
    at = signed_in_app(tmp_path, monkeypatch, "admin", username=WEB_USERNAME)
    at = at.switch_page("views/account.py").run()
    assert at.title[0].value == "My account"
    assert_literal(at, WEB_USERNAME)


def test_the_users_page_names_an_added_user_as_typed(tmp_path, monkeypatch) -> None:
    at = signed_in_app(tmp_path, monkeypatch, role="admin")
    for attempt in range(2):
        inputs = {t.label: t for t in at.text_input}
        inputs["Username"].input(WEB_USERNAME)
        inputs["Name"].input(ATTACK)
        inputs["Temporary password"].input("harbour lights at dusk 9")
        next(b for b in at.button if b.label == "Add user").click()
        at = at.run()
        if attempt == 0:
            assert_literal(at, f"User {WEB_USERNAME} added.")
    assert "already exists" in unescape(at.error[0].value)
    assert_literal(at, f"User '{WEB_USERNAME}' already exists.")
    assert ATTACK in at.dataframe[0].value["name"].tolist()  # a table cell: plain text


def test_an_uploaded_files_extra_columns_show_as_typed(trained_store, tmp_path, monkeypatch):
    at = signed_in_app(tmp_path, monkeypatch).switch_page("views/batch.py").run()
    lines = batch_csv([batch_row(0)]).decode().splitlines()
    column = "[x](http://evil.example)"
    data = f'{lines[0]},"{column}"\n{lines[1]},1\n'.encode()
    at.file_uploader(key="batch.file").upload("list.csv", data, "text/csv")
    at = at.run()
    assert_literal(at, column)


@pytest.fixture(autouse=True)
def _empty_caches():
    yield
    st.cache_resource.clear()
    st.cache_data.clear()
