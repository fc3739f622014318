"""Server-rendered Explore pages: search with facets and the product page (scripts add the live parts)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from streammesh.catalog import Product, SearchResult
from streammesh.catalog.clusters import mask_cluster
from streammesh.contracts.durations import format_duration
from streammesh.model.catalog import FACETS
from streammesh.schemas.serde import dump_json
from streammesh.web.layout import badge, esc, json_script, page

__all__ = ["FACET_LABELS", "error_page", "product_page", "search_page"]

FACET_LABELS = {
    "domain": "Domain",
    "tag": "Tag",
    "tier": "SLA tier",
    "quality": "Quality",
    "status": "Status",
    "classification": "Classification",
}


def search_page(result: SearchResult, query: str, filters: dict[str, list[str]]) -> str:
    facets = []
    for f in FACETS:
        values = result.facets.get(f) or {}
        chosen = set(filters.get(f, []))
        for v in chosen - set(values):
            values = {**values, v: 0}
        if not values:
            continue
        boxes = "".join(
            f"<label><input type=checkbox name='{esc(f)}' value='{esc(v)}'{' checked' if v in chosen else ''}>"
            f"{esc(v)}<span class=count>{n}</span></label>"
            for v, n in list(values.items())[:15]
        )
        facets.append(f"<fieldset><legend>{esc(FACET_LABELS.get(f, f))}</legend>{boxes}</fieldset>")
    rows = "".join(
        f"<tr><td><a href='/products/{esc(h.product.name)}'>{esc(h.product.name)}</a>"
        f"<div class=small>{esc(h.product.contract.title or '')}</div></td>"
        f"<td>{badge(h.product.status)} "
        f"{badge('derived' if h.product.contract.derived_from else 'source')}</td>"
        f"<td>{esc(h.product.domain)}</td><td>{esc(h.product.owner)}</td>"
        f"<td>{esc(h.product.contract.sla.tier or '')}</td><td>{esc(h.product.contract.quality or '')}</td>"
        f"<td class=small>{esc(h.product.contract.description[:140])}"
        f"{'…' if len(h.product.contract.description) > 140 else ''}</td></tr>"
        for h in result.hits
    )
    empty = "" if result.hits else "<p>No product matches. Remove a filter or try other words.</p>"
    clear = "<a href='/'>clear filters</a>" if filters or query else ""
    body = (
        "<h1>Explore data products</h1><p class=lead>Find a product, judge whether to trust it, and start "
        "using it.</p>"
        "<form class=search id=search role=search action='/' method=get>"
        "<label for=q class=visually-hidden>Search products</label>"
        f"<input id=q type=search name=q value='{esc(query)}' placeholder='orders, email, @sales-team…' "
        f"autofocus><button>Search</button> {clear}"
        f"<div class='grid cols-side' style='width:100%;margin-top:.8rem'>"
        f"<div class=facets aria-label='Filters'>{''.join(facets)}"
        "<noscript><button>Apply filters</button></noscript></div>"
        f"<div><p id=result-count aria-live=polite>{result.total} product(s)</p>"
        "<table id=results><caption class=visually-hidden>Matching data products</caption><thead><tr>"
        "<th scope=col>product</th><th scope=col>status</th><th scope=col>domain</th><th scope=col>owner</th>"
        "<th scope=col>SLA tier</th><th scope=col>quality</th><th scope=col>description</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>{empty}</div></div></form>"
    )
    return page("Explore", body, section="explore", scripts=("explore.js",))


def _sla_text(c: Any) -> str:
    sla = c.sla
    return ", ".join(
        x
        for x in [
            sla.tier or "",
            f"{sla.availability}% availability" if sla.availability else "",
            f"freshness {format_duration(sla.freshness)}" if sla.freshness else "",
            f"time to restore {format_duration(sla.time_to_restore)}" if sla.time_to_restore else "",
            sla.support_hours or "",
            "acknowledged by the owner" if sla.acknowledged else "not acknowledged",
        ]
        if x
    )


def _snippets(p: Product, base_url: str) -> str:
    c = p.contract
    fields = ", ".join(repr(f) for f in list(c.key)[:1]) or "'...'"
    sdk = (
        f"import streammesh\n\nmesh = streammesh.connect()  # the workspace of this mesh\n"
        f"with mesh.consumer({c.name!r}, group='my-app', from_beginning=True,\n"
        f"                   fields=[{fields}]) as events:\n    for event in events:\n"
        "        print(event.key, event.value)"
    )
    cli = (
        f"streammesh consume {c.name} --from-beginning --limit 10\n"
        f"streammesh lineage {c.name} --upstream --fields\n"
        f"curl -s '{base_url}/api/v1/products/{c.name}/events?limit=5'"
    )
    kafka = (
        f"# {mask_cluster(p.cluster)}: topic {p.stream}, {c.partitions} partitions, Confluent wire format\n"
        f"bootstrap.servers=<the mesh's Kafka brokers>\ngroup.id=my-app\nauto.offset.reset=earliest\n"
        f"schema.registry.url={base_url}\n# value subject: {p.stream}-value ({c.schema_.format})"
    )
    return (
        f"<div class='grid cols-2'><div><h3>Python SDK</h3><pre>{esc(sdk)}</pre></div>"
        f"<div><h3>CLI and HTTP</h3><pre>{esc(cli)}</pre><h3>Kafka client configuration</h3>"
        f"<pre>{esc(kafka)}</pre></div></div>"
    )


def product_page(
    p: Product,
    fields: list[Any],
    stats: dict[str, Any],
    samples: list[dict[str, Any]],
    versions: list[Any],
    consumers: list[Any],
    registry: str = "",
    *,
    team: Any = None,
    base_url: str = "",
    lineage: dict[str, list[str]] | None = None,
) -> str:
    c = p.contract
    owner = esc(c.owner) + (f" · {esc(team.display_name)}" if team and team.display_name else "")
    support = ", ".join(c.support.channels) or (team.channel if team and team.channel else "")
    facts = [
        ("owner", owner),
        ("domain", esc(c.domain)),
        ("version", esc(c.version)),
        ("quality", esc(c.quality or "not set")),
        ("SLA", esc(_sla_text(c))),
        ("support", esc(support)),
        ("on call", esc(c.support.on_call or (team.on_call if team else "") or "")),
        ("key", esc(", ".join(c.key))),
        ("tags", " ".join(badge(t, "tag") for t in c.tags)),
        ("stream", esc(f"{p.stream} · {c.partitions} partitions · {mask_cluster(p.cluster)}")),
    ]
    if c.support.docs:
        facts.append(("docs", f"<a href='{esc(c.support.docs)}'>{esc(c.support.docs)}</a>"))
    if c.derived_from:
        facts.append(("derived by", f"app {esc(c.derived_from.app or '')}"))
    if c.deprecation:
        d = c.deprecation
        facts.append(
            (
                "deprecation",
                esc(
                    f"sunset {d.sunset}"
                    + (f"; use {d.replacement}" if d.replacement else "")
                    + (f" ({d.reason})" if getattr(d, "reason", None) else "")
                ),
            )
        )
    dl = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    schema_rows = "".join(
        f"<tr><td><code>{esc(f.path)}</code>{' ' + badge('key', 'tag') if f.path in c.key else ''}</td><td>{esc(f.type)}</td>"
        f"<td>{badge(c.classifications[f.path], 'pii' if c.classifications[f.path] != 'public' else 'ok') if f.path in c.classifications else ''}</td>"
        f"<td>{esc(f.doc or '')}</td></tr>"
        for f in fields
    )
    sample_rows = (
        "".join(f"<pre class=sample>{esc(dump_json(s, indent=True).decode())}</pre>" for s in samples)
        or "<p id=no-samples>No events yet.</p>"
    )
    consumer_rows = "".join(
        f"<tr><td>{esc(x.group)}</td><td>{esc(', '.join(x.fields) or 'all fields')}</td>"
        f"<td>{esc(f'{x.last_seen:%Y-%m-%d %H:%M}' if x.last_seen else '')}</td></tr>"
        for x in consumers
    )
    consumers_html = (
        f"<table><thead><tr><th>consumer group</th><th>fields it reads</th><th>last seen (UTC)</th>"
        f"</tr></thead><tbody>{consumer_rows}</tbody></table>"
        if consumers
        else "<p>No consumer registered yet.</p>"
    )
    version_rows = (
        "".join(f"<li>{esc(v.version)} · {v.created_at:%Y-%m-%d %H:%M} UTC</li>" for v in versions)
        or "<li>not published yet</li>"
    )
    lineage = lineage or {}
    up = ", ".join(f"<a href='/products/{esc(n)}'>{esc(n)}</a>" for n in lineage.get("upstream", [])) or "none"
    down = ", ".join(f"<a href='/products/{esc(n)}'>{esc(n)}</a>" for n in lineage.get("downstream", [])) or "none"
    live = p.status not in ("draft",)
    freshness = c.sla.freshness.total_seconds() if c.sla.freshness else None
    data = {"name": c.name, "status": p.status, "live": live, "freshness": freshness}
    body = (
        f"<p><a href='/'>← all products</a></p>"
        f"<h1>{esc(c.title or c.name)} <small>{esc(c.name)}</small></h1>"
        f"<p>{badge(p.status)} {badge('derived' if c.derived_from else 'source')} "
        f"<a class='button secondary' href='/publish/{quote(c.name)}'>Manage: evolve, deprecate, retire</a></p>"
        f"<p>{esc(c.description)}</p>"
        "<nav class=toc aria-label='On this page'><a href='#metrics'>Live metrics</a><a href='#schema'>Schema</a>"
        "<a href='#lineage'>Lineage</a><a href='#samples'>Sample events</a><a href='#consumers'>Consumers</a>"
        "<a href='#versions'>Versions</a><a href='#consume'>How to consume</a></nav>"
        f"<div class=card><dl class=facts>{dl}</dl></div>"
        "<h2 id=metrics>Live metrics</h2><div class=metrics aria-live=polite>"
        f"<div class=metric><div class=label>events</div><div class=value id=m-events>{stats.get('events', 0):,}"
        "</div><div class=sub>retained in the stream</div></div>"
        "<div class=metric><div class=label>events / s</div><div class=value id=m-rate>…</div>"
        "<div class=sub>over the last minute</div></div>"
        "<div class=metric><div class=label>last event</div><div class=value id=m-age>…</div>"
        f"<div class=sub id=m-fresh>{esc('SLA freshness ' + format_duration(c.sla.freshness)) if c.sla.freshness else 'no freshness promise'}</div></div>"
        "<div class=metric><div class=label>invalid records</div><div class=value id=m-invalid>…</div>"
        "<div class=sub id=m-dead>dead letters / all events</div></div></div>"
        f"<h2 id=schema>Schema <small class=muted>({esc(c.schema_.format)})</small></h2>"
        f"<p class=small>Schema registry: {esc(registry or 'not registered (draft)')}</p>"
        "<table id=schema-table><thead><tr><th scope=col>field</th><th scope=col>type</th>"
        "<th scope=col>classification</th><th scope=col>description</th></tr></thead>"
        f"<tbody>{schema_rows}</tbody></table>"
        "<h2 id=lineage>Lineage</h2><p class=small>Upstream: " + up + " · Downstream: " + down + "</p>"
        "<div id=lineage-graph role=region aria-label='Lineage graph'><p class=muted>Drawing the graph…</p></div>"
        "<h2 id=samples>Latest events <small class=muted>(classified fields masked; live)</small></h2>"
        f"<p class=small id=live-status aria-live=polite></p><div class=samples id=sample-list>{sample_rows}</div>"
        f"<h2 id=consumers>Consumers</h2>{consumers_html}"
        f"<h2 id=versions>Versions</h2><ul>{version_rows}</ul>"
        f"<h2 id=consume>How to consume</h2>{_snippets(p, base_url)}" + json_script("product-data", data)
    )
    return page(c.name, body, section="explore", scripts=("product.js",))


def error_page(status: int, message: str, hint: str | None) -> str:
    title = "Not found" if status == 404 else "Something is wrong"
    more = f"<p>{esc(hint)}</p>" if hint else ""
    return page(title, f"<h1>{title}</h1><p>{esc(message)}</p>{more}<p><a href='/'>Back to the catalog</a></p>")
