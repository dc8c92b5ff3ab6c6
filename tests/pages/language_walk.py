"""What a person reads on a page, gathered from an AppTest run: every label, text, help,
option, caption, table header and chart title, so pages can be compared across languages."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from streamlit.testing.v1 import AppTest

TEXT_FIELDS = frozenset(
    {"body", "label", "help", "placeholder", "options", "caption", "text", "title", "tooltip"}
)
"""The proto fields that hold text meant for people (not keys, ids, icons or data)."""
_PLOT_TEXT = frozenset({"text", "title", "name", "hovertemplate", "ticktext"})
_TEMPLATE_FIELD = re.compile(r"%\{[^}]*\}|<extra>.*?</extra>|<[^>]+>")


def _proto_texts(message: Message) -> Iterator[str]:
    for field, value in message.ListFields():
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            items = value if field.is_repeated else [value]
            for item in items:
                if hasattr(item, "ListFields"):
                    yield from _proto_texts(item)
        elif field.type == FieldDescriptor.TYPE_STRING and field.name in TEXT_FIELDS:
            yield from value if field.is_repeated else [value]
        elif field.type == FieldDescriptor.TYPE_STRING and field.name == "spec" and value:
            yield from _plot_texts(json.loads(value))


def _plot_texts(spec: object, key: str = "") -> Iterator[str]:
    """Titles, trace names, hover texts and category labels of a plotly figure."""
    if isinstance(spec, dict):
        for name, value in spec.items():
            if name != "template":  # plotly's theme: fonts and colours, no words
                yield from _plot_texts(value, name)
    elif isinstance(spec, list):
        for item in spec:
            yield from _plot_texts(item, key)
    elif isinstance(spec, str) and (key in _PLOT_TEXT or key in {"x", "y"}):
        yield _TEMPLATE_FIELD.sub(" ", spec)


def _table_texts(frame) -> Iterator[str]:
    """A table's headings as shown (column_config labels win over column names), the help of
    each heading, and its text cells."""
    table = frame.value
    config = json.loads(frame.proto.columns or "{}")
    shown = list(frame.proto.column_order) or [str(c) for c in table.columns]
    for column in shown:
        settings = config.get(column, {})
        if settings.get("hidden"):
            continue
        yield settings.get("label") or column
        if settings.get("help"):
            yield settings["help"]
        if column in table.columns:
            cells = table[column].dropna().tolist()[:200]
            yield from (cell for cell in cells if isinstance(cell, str))


def _nodes(node) -> Iterator:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def visible_texts(at: AppTest) -> set[str]:
    """Every non-empty text of the page as rendered, split into lines."""
    texts: list[str] = []
    for node in _nodes(at._tree):
        proto = getattr(node, "proto", None)
        if isinstance(proto, Message):
            texts.extend(_proto_texts(proto))
    for frame in at.dataframe:
        texts.extend(_table_texts(frame))
    return {line.strip() for text in texts for line in text.splitlines() if line.strip()}
