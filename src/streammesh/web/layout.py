"""The frame every page shares: header navigation, stylesheet, scripts and small HTML helpers."""

from __future__ import annotations

from html import escape
from typing import Any, Literal

import orjson

__all__ = ["Section", "badge", "esc", "json_script", "page"]

Section = Literal["explore", "create", "publish", "mesh", "activity", "teams", ""]

_NAV: tuple[tuple[Section, str, str], ...] = (
    ("explore", "/", "Explore"),
    ("create", "/create", "Create"),
    ("publish", "/publish", "Publish"),
    ("mesh", "/mesh", "Mesh map"),
    ("activity", "/activity", "Activity"),
    ("teams", "/teams", "Teams"),
)


def esc(value: Any) -> str:
    """HTML-escaped text of ``value`` ('' for None), quotes included (safe in attributes)."""
    return "" if value is None else escape(str(value), quote=True)


def badge(text: str, kind: str | None = None) -> str:
    return f"<span class='badge {esc(kind or text)}'>{esc(text)}</span>"


def json_script(element_id: str, data: Any) -> str:
    """Data for a page's script, as an inert JSON block (``<`` escaped so it cannot close the tag)."""
    text = orjson.dumps(data).decode().replace("<", "\\u003c")
    return f"<script type='application/json' id='{esc(element_id)}'>{text}</script>"


def page(title: str, body: str, *, section: Section = "", scripts: tuple[str, ...] = ()) -> str:
    """A whole HTML document: the navigation with ``section`` current, ``body`` in ``<main>``, then the
    page's ES modules from ``/static``."""
    nav = "".join(
        f"<a href='{href}'{' aria-current=page' if key == section else ''}>{label}</a>" for key, href, label in _NAV
    )
    js = "".join(f"<script type=module src='/static/{esc(s)}'></script>" for s in scripts)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>{esc(title)} · streammesh</title><link rel=stylesheet href='/static/style.css'>"
        "<link rel=icon href='data:,'>"
        f"</head><body><a class=skip href='#main'>Skip to content</a><header class=top>"
        f"<a class=brand href='/'>streammesh</a><nav aria-label=Sections>{nav}</nav></header>"
        f"<main id=main tabindex=-1>{body}</main>{js}</body></html>"
    )
