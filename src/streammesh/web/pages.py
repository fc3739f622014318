"""Server-rendered HTML for the minimal catalog browser (the full web UI replaces it later)."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode


from streammesh.catalog import Product, SearchResult
from streammesh.catalog.models import FACETS
from streammesh.contracts.durations import format_duration
from streammesh.schemas.serde import dump_json

__all__ = ["page", "search_page", "product_page", "error_page"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}
header{background:#0b3d5c;color:#fff;padding:.8rem 1.5rem;display:flex;gap:1.5rem;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600}main{padding:1rem 1.5rem;max-width:1200px}
a{color:#0550ae}table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #d0d7de;padding:.4rem .6rem;text-align:left;vertical-align:top;font-size:.92rem}
th{background:#eaeef2}.facets{display:flex;flex-wrap:wrap;gap:1rem;margin:.8rem 0}
.facet{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.5rem .8rem;min-width:10rem}
.facet h3{margin:0 0 .3rem;font-size:.85rem;text-transform:uppercase;color:#57606a}
.badge{border-radius:1rem;padding:.05rem .55rem;font-size:.8rem;background:#ddf4ff;color:#0550ae}
.published{background:#dafbe1;color:#116329}.deprecated{background:#fbefff;color:#8250df}
.draft{background:#fff8c5;color:#7d4e00}.retired{background:#eaeef2;color:#57606a}
.pii{color:#a40e26;font-weight:600}input[type=search]{width:28rem;max-width:90%;padding:.45rem;font-size:1rem}
button{padding:.45rem .9rem;font-size:1rem}dl{display:grid;grid-template-columns:12rem 1fr;gap:.3rem 1rem}
dt{font-weight:600;color:#57606a}pre{background:#fff;border:1px solid #d0d7de;padding:.6rem;overflow:auto;font-size:.85rem}
.selected{font-weight:700}
"""


def page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport "
            f"content='width=device-width,initial-scale=1'><title>{escape(title)} · streammesh</title>"
            f"<style>{_CSS}</style></head><body><header><a href='/'>streammesh</a><a href='/'>Explore</a>"
            f"<a href='/activity'>Activity</a><a href='/teams'>Teams</a></header><main>{body}</main></body></html>")


def _badge(status: str) -> str:
    return f"<span class='badge {escape(status)}'>{escape(status)}</span>"


def search_page(result: SearchResult, query: str, filters: dict[str, list[str]]) -> str:
    def link(facet: str, value: str) -> str:
        chosen = set(filters.get(facet, []))
        new = {k: list(v) for k, v in filters.items()}
        new[facet] = sorted(chosen - {value}) if value in chosen else sorted(chosen | {value})
        params = [("q", query)] + [(k, v) for k, vs in new.items() for v in vs]
        cls = " class=selected" if value in chosen else ""
        return f"<a{cls} href='/?{escape(urlencode(params))}'>{escape(value)}</a>"

    facets = "".join(
        f"<div class=facet><h3>{f}</h3>" + "<br>".join(f"{link(f, v)} ({n})" for v, n in list(result.facets.get(f, {}).items())[:12])
        + "</div>" for f in FACETS if result.facets.get(f))
    rows = "".join(
        f"<tr><td><a href='/products/{escape(h.product.name)}'>{escape(h.product.name)}</a></td>"
        f"<td>{_badge(h.product.status)}</td><td>{escape(h.product.domain)}</td><td>{escape(h.product.owner)}</td>"
        f"<td>{escape(h.product.contract.sla.tier or '')}</td><td>{escape(h.product.contract.quality or '')}</td>"
        f"<td>{escape(h.product.contract.title or h.product.contract.description[:120])}</td></tr>"
        for h in result.hits)
    hidden = "".join(f"<input type=hidden name='{escape(k)}' value='{escape(v)}'>" for k, vs in filters.items() for v in vs)
    body = (f"<h1>Explore data products</h1><form role=search action='/'><label for=q>Search</label> "
            f"<input id=q type=search name=q value='{escape(query)}' placeholder='orders, email, @sales-team…' "
            f"autofocus>{hidden} <button>Search</button></form><div class=facets>{facets}</div>"
            f"<p>{result.total} product(s)</p><table><thead><tr><th>product</th><th>status</th><th>domain</th>"
            f"<th>owner</th><th>SLA tier</th><th>quality</th><th>description</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>")
    return page("Explore", body)


def product_page(p: Product, fields: list[Any], stats: dict[str, Any], samples: list[dict[str, Any]],
                 versions: list[Any], consumers: list[Any], registry: str = "") -> str:
    c = p.contract
    sla = c.sla
    facts = [
        ("status", _badge(p.status)), ("owner", escape(c.owner)), ("domain", escape(c.domain)),
        ("version", escape(c.version)), ("quality", escape(c.quality or "")),
        ("SLA", escape(", ".join(x for x in [
            sla.tier or "", f"{sla.availability}% availability" if sla.availability else "",
            f"freshness {format_duration(sla.freshness)}" if sla.freshness else "",
            f"time to restore {format_duration(sla.time_to_restore)}" if sla.time_to_restore else "",
            sla.support_hours or ""] if x))),
        ("support", escape(", ".join(c.support.channels))), ("on call", escape(c.support.on_call or "")),
        ("key", escape(", ".join(c.key))), ("tags", escape(", ".join(c.tags))),
        ("stream", escape(f"{p.stream} · {c.partitions} partitions · {p.cluster}")),
        ("events", f"{stats.get('events', 0):,}"),
    ]
    if c.deprecation:
        d = c.deprecation
        facts.append(("deprecation", escape(f"sunset {d.sunset}" + (f"; use {d.replacement}" if d.replacement else ""))))
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    schema_rows = "".join(
        f"<tr><td>{escape(f.path)}</td><td>{escape(f.type)}</td>"
        f"<td class=pii>{escape(c.classifications.get(f.path, ''))}</td><td>{escape(f.doc or '')}</td></tr>"
        for f in fields)
    sample_rows = "".join(f"<pre>{escape(dump_json(s, indent=True).decode())}</pre>"
                          for s in samples) or "<p>No events yet.</p>"
    consumer_rows = "".join(f"<li>{escape(x.group)} ({escape(', '.join(x.fields) or 'all fields')})</li>"
                            for x in consumers) or "<li>none registered</li>"
    body = (f"<p><a href='/'>← all products</a></p><h1>{escape(c.title or c.name)} <small>{escape(c.name)}</small></h1>"
            f"<p>{escape(c.description)}</p><dl>{dl}</dl>"
            f"<h2>Schema ({escape(c.schema_.format)})</h2><p>Schema registry: {escape(registry)}</p><table><thead><tr><th>field</th><th>type</th>"
            f"<th>classification</th><th>description</th></tr></thead><tbody>{schema_rows}</tbody></table>"
            f"<h2>Latest events <small>(classified fields masked)</small></h2>{sample_rows}"
            f"<h2>Consumers</h2><ul>{consumer_rows}</ul>"
            f"<h2>Versions</h2><ul>{''.join(f'<li>{escape(v.version)} · {v.created_at:%Y-%m-%d %H:%M}</li>' for v in versions)}</ul>"
            f"<h2>How to consume</h2><pre>streammesh consume {escape(c.name)} --from-beginning --limit 10\n\n"
            f"import streammesh\nmesh = streammesh.connect()\nfor event in mesh.consumer({c.name!r}, from_beginning=True):\n"
            f"    print(event.key, event.value)</pre>")
    return page(c.name, body)


def error_page(status: int, message: str, hint: str | None) -> str:
    title = "Not found" if status == 404 else "Something is wrong"
    more = f"<p>{escape(hint)}</p>" if hint else ""
    return page(title, f"<h1>{title}</h1><p>{escape(message)}</p>{more}<p><a href='/'>Back to the catalog</a></p>")
