"""Create, Publish, Manage, Mesh map, Activity and Teams pages: server-rendered frames whose ES modules
(``static/*.js``) talk to the REST API for validation, previews, policy feedback and live updates."""

from __future__ import annotations

import re
from typing import Any

from streammesh.web.layout import badge, esc, json_script, page

__all__ = [
    "activity_page",
    "create_page",
    "manage_page",
    "mesh_page",
    "publish_page",
    "sql_inputs",
    "teams_page",
]

_INPUT = re.compile(r"\b(?:FROM|JOIN)\s+([a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*)", re.IGNORECASE)


def sql_inputs(sql: str) -> list[str]:
    """Products a script reads (``FROM`` and ``JOIN`` targets), in order of appearance."""
    return list(dict.fromkeys(m.group(1) for m in _INPUT.finditer(sql)))


def _team_options(teams: list[Any], selected: str | None = None) -> str:
    return "".join(
        f"<option value='{esc(t.name)}'{' selected' if t.name == selected else ''}>{esc(t.name)}"
        f"{' · ' + esc(t.display_name) if t.display_name else ''}</option>"
        for t in teams
    )


def create_page(samples: list[Any], teams: list[Any]) -> str:
    cases = "".join(
        f"<article class=usecase><h3>{esc(s.name)}</h3><p>{esc(s.objective)}</p>"
        f"<p class=small><b>Inputs:</b> {', '.join(f'<a href=/products/{esc(i)}>{esc(i)}</a>' for i in sql_inputs(s.sql))}"
        f" · <b>owner</b> {esc(s.owner)}</p>"
        f"<button type=button class=secondary data-sample='{i}' aria-label='Use the {esc(s.name)} sample'>"
        f"Use this SQL</button></article>"
        for i, s in enumerate(samples)
    )
    data = [
        {"name": s.name, "owner": s.owner, "objective": s.objective, "sql": s.sql, "inputs": sql_inputs(s.sql)}
        for s in samples
    ]
    body = (
        "<h1>Create a derived product</h1><p class=lead>Combine products with streaming SQL: validate, preview "
        "live results, then deploy it as a new data product with a derived contract.</p>"
        "<div class='grid cols-side-r'><section aria-labelledby=editor-h><h2 id=editor-h>SQL editor</h2>"
        "<form id=create-form><div class='grid cols-2'>"
        "<div><label for=app-name>App name</label><br><input type=text id=app-name name=name required "
        "pattern='[a-z0-9][a-z0-9_-]*' placeholder='e.g. big-orders' style='width:100%'></div>"
        f"<div><label for=owner>Owning team</label><br><select id=owner name=owner style='width:100%'>"
        f"<option value=''>the team of the product's domain</option>{_team_options(teams)}</select></div></div>"
        "<p><label for=sql>Statement (<code>CREATE STREAM|TABLE name AS SELECT …</code>)</label>"
        "<textarea id=sql name=sql class=sql spellcheck=false aria-describedby=sql-error required "
        "placeholder='CREATE STREAM sales.big_orders AS SELECT order_id, total FROM sales.orders WHERE total &gt; 100'>"
        "</textarea></p><div id=sql-error role=alert aria-live=assertive></div>"
        "<div class=actions><button type=button id=validate>Validate</button>"
        "<button type=button id=preview class=secondary>Preview live results</button>"
        "<button type=submit id=deploy>Deploy as a data product</button></div></form>"
        "<div id=deploy-result aria-live=polite></div>"
        "<section aria-labelledby=contract-h><h2 id=contract-h>Derived contract</h2><div id=contract>"
        "<p class=muted>Validate to see the contract it would publish: schema, derived SLA, inherited "
        "classifications and field lineage.</p></div></section>"
        "<section aria-labelledby=preview-h><h2 id=preview-h>Preview</h2><div id=preview-out aria-live=polite>"
        "<p class=muted>Runs the SELECT for a few seconds over live events; nothing is deployed.</p></div>"
        "</section></section>"
        f"<aside aria-labelledby=cases-h><h2 id=cases-h>Sample use cases</h2>{cases}</aside></div>"
        + json_script("samples-data", data)
    )
    return page("Create", body, section="create", scripts=("create.js",))


def publish_page(teams: list[Any], products: list[Any]) -> str:
    manage = "".join(f"<option value='{esc(p.name)}'>{esc(p.name)} ({esc(p.status)})</option>" for p in products)

    def field(name: str, label: str, control: str, help_text: str = "") -> str:
        wide = " wide" if name == "schema" else ""
        return (
            f"<div class='field{wide}' data-field='{name}'><label for='f-{name}'>{label}</label>"
            f"<div>{control}<div class=help id='h-{name}'>{help_text}</div></div>"
            f"<div class=feedback id='fb-{name}' aria-live=polite></div></div>"
        )

    tiers = "".join(f"<option>{t}</option>" for t in ("tier-1", "tier-2", "tier-3"))
    quality = "".join(f"<option>{q}</option>" for q in ("raw", "curated", "authoritative"))
    form = (
        field(
            "name",
            "Product name",
            "<input type=text id=f-name name=name required placeholder='sales.returns' aria-describedby=h-name>",
            "&lt;domain&gt;.&lt;product&gt;, snake_case",
        )
        + field("title", "Title", "<input type=text id=f-title name=title placeholder='Customer returns'>")
        + field(
            "owner",
            "Owner team",
            f"<select id=f-owner name=owner>{_team_options(teams)}</select>",
            "the team that answers for it",
        )
        + field(
            "description",
            "Description",
            "<textarea id=f-description name=description rows=3 aria-describedby=h-description></textarea>",
            "what one event means, when it is emitted, how to use it",
        )
        + field(
            "schema",
            "Schema fields",
            "<div id=schema-rows></div><button type=button class=secondary id=add-field>Add a field</button>",
            "JSON Schema; classify personal data",
        )
        + field(
            "key",
            "Key",
            "<input type=text id=f-key name=key placeholder='order_id'>",
            "field(s) events are partitioned by, comma-separated",
        )
        + field(
            "partitions",
            "Partitions",
            "<input type=number id=f-partitions name=partitions value='3' min=1 "
            "max=1024 aria-describedby=h-partitions>",
            "fixed once published; an existing stream keeps its own",
        )
        + field("tags", "Tags", "<input type=text id=f-tags name=tags placeholder='returns, sales'>", "comma-separated")
        + field("quality", "Quality level", f"<select id=f-quality name=quality>{quality}</select>")
        + field(
            "sla.tier",
            "SLA tier",
            f"<select id=f-sla.tier name=tier>{tiers}</select>",
            "tier-1 critical … tier-3 best effort",
        )
        + field(
            "sla.freshness",
            "SLA freshness",
            "<input type=text id=f-sla.freshness name=freshness value='15m'>",
            "newest event at most this old, e.g. 5m",
        )
        + field(
            "sla.availability",
            "SLA availability %",
            "<input type=number id=f-sla.availability name=availability value='99.5' step='0.1' min=0 max=100>",
        )
        + field(
            "support.channels",
            "Support channels",
            "<input type=text id=f-support.channels name=channels placeholder='#sales-data'>",
            "comma-separated",
        )
        + field(
            "support.on_call",
            "On call",
            "<input type=text id=f-support.on_call name=on_call placeholder='sales-oncall@example.com'>",
        )
        + field(
            "sla.acknowledged",
            "SLA acknowledgement",
            "<label><input type=checkbox "
            "id=f-sla.acknowledged name=acknowledged> My team commits to this SLA and answers on call "
            "for it</label>",
        )
    )
    body = (
        "<h1>Publish a data product</h1><p class=lead>Fill in the contract; each field is checked against the "
        "mesh's policies as you type, and the product can only be published once every policy passes.</p>"
        "<section id=unpublished aria-labelledby=unpublished-h><h2 id=unpublished-h>Streams not yet published"
        "</h2><p class=small>Streams already on the log that no product publishes, by domain. Choose one to "
        "prefill the contract with its name, partitions, a schema inferred from its events and a suggested key; "
        "publishing adopts the stream and keeps its events.</p><div id=stream-list aria-live=polite>"
        "<p class=muted>Looking for streams…</p></div></section>"
        "<h2 id=contract-h>Contract</h2><div id=adopting aria-live=polite></div>"
        "<div class='grid cols-side-r'><form id=publish-form novalidate>"
        + form
        + "<div id=general-feedback class=feedback aria-live=polite></div>"
        "<div class=actions><button type=submit id=publish>Publish</button>"
        "<button type=button class=secondary id=check>Check policies</button></div>"
        "<div id=publish-result aria-live=polite></div></form>"
        "<aside><h2>Contract preview</h2><pre id=contract-preview aria-label='Contract as JSON'></pre>"
        "<h2>Manage a product</h2><p class=small>Evolve its schema, deprecate or retire it.</p>"
        "<form action='/publish/go' method=get id=manage-form><label for=manage>Product</label><br>"
        f"<select id=manage name=name>{manage}</select> <button>Open</button></form></aside></div>"
        + json_script(
            "teams-data",
            [{"name": t.name, "domain": t.domain, "on_call": t.on_call, "channel": t.channel} for t in teams],
        )
    )
    return page("Publish", body, section="publish", scripts=("publish.js",))


def manage_page(p: Any, consumers: list[Any], downstream: list[str]) -> str:
    c = p.contract
    rows = "".join(
        f"<tr><td>{esc(x.group)}</td><td>{esc(', '.join(x.fields) or 'all fields')}</td>"
        f"<td>{esc(f'{x.last_seen:%Y-%m-%d %H:%M}' if x.last_seen else '')}</td></tr>"
        for x in consumers
    )
    consumers_html = (
        f"<table id=consumers><thead><tr><th>consumer group</th><th>fields</th><th>last seen (UTC)</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
        if consumers
        else "<p id=consumers>No consumer group reads it.</p>"
    )
    derived = ", ".join(f"<a href='/products/{esc(d)}'>{esc(d)}</a>" for d in downstream) or "none"
    status = p.status
    deprecate = (
        (
            "<form id=deprecate-form class=card><h3>Deprecate</h3><p class=small>Readers are warned of the sunset "
            "date and the replacement.</p><p><label for=sunset>Sunset date</label><br><input type=date id=sunset "
            "name=sunset required></p><p><label for=replacement>Replacement product</label><br><input type=text "
            "id=replacement name=replacement placeholder='optional'></p><p><label for=reason>Reason</label><br>"
            "<input type=text id=reason name=reason style='width:100%'></p>"
            "<button type=submit id=deprecate>Deprecate</button></form>"
        )
        if status == "published"
        else ""
    )
    retire = (
        (
            "<form id=retire-form class=card><h3>Retire</h3><p class=small>No more writes; its events stay "
            "readable.</p><label><input type=checkbox id=force name=force> retire before the sunset date</label>"
            "<div class=actions><button type=submit class=danger id=retire>Retire</button></div></form>"
        )
        if status == "deprecated"
        else ""
    )
    if status in ("draft", "retired"):
        deprecate = f"<p>{esc(c.name)} is {esc(status)}: there is no lifecycle change to make here.</p>"
    body = (
        f"<p><a href='/products/{esc(c.name)}'>← {esc(c.name)}</a></p>"
        f"<h1>Manage {esc(c.name)} <small>{badge(status)} version {esc(c.version)}</small></h1>"
        f"<h2>Current consumers</h2><p class=small>Tell them before any change. Derived products reading it: "
        f"{derived}</p>{consumers_html}"
        f"<h2>Lifecycle</h2><div id=lifecycle-result aria-live=polite></div>"
        f"<div class='grid cols-2'>{deprecate}{retire}</div>"
        "<h2>Schema evolution</h2><p class=small>Edit the contract; check the compatibility verdict and who is "
        "impacted before applying it. An incompatible change is released as a new major version beside this "
        "one.</p><label for=contract-text>Contract (YAML)</label>"
        "<textarea id=contract-text class=sql spellcheck=false></textarea>"
        "<div class=actions><button type=button id=check-compat>Check compatibility</button>"
        "<button type=button class=secondary id=evolve>Apply the change</button></div>"
        "<div id=compat-result aria-live=polite></div>"
        + json_script("manage-data", {"name": c.name, "revision": p.revision, "status": status})
    )
    return page(f"Manage {c.name}", body, section="publish", scripts=("manage.js",))


def mesh_page() -> str:
    body = (
        "<h1>Mesh map</h1><p class=lead>Every product by domain, from source-aligned products on the left to "
        "what is derived from them and who consumes them on the right. Select a node to open its page.</p>"
        "<div class=actions><label for=highlight>Highlight</label><input type=search id=highlight "
        "placeholder='product, domain or team'><label><input type=checkbox id=show-consumers checked> consumers"
        "</label></div><div class=legend><span style='--c:#24592b;--b:#eef6ee'>source-aligned product</span>"
        "<span style='--c:#1f4fa8;--b:#e6f0ff'>derived product</span>"
        "<span style='--c:#6639ba;--b:#fbefff'>deprecated</span><span style='--c:#6e7781;--b:#f6f8fa'>consumer"
        "</span></div><p id=mesh-summary aria-live=polite></p>"
        "<div id=mesh-graph role=region aria-label='Mesh map'><p class=muted>Loading the mesh…</p></div>"
    )
    return page("Mesh map", body, section="mesh", scripts=("mesh.js",))


def activity_page(entries: list[Any]) -> str:
    items = "".join(
        f"<li data-id='{a.id}'><time datetime='{a.at.isoformat()}'>{a.at:%Y-%m-%d %H:%M:%S}</time>"
        f"{badge(a.kind, 'tag')} <a href='/products/{esc(a.subject)}'>{esc(a.subject)}</a> "
        f"{esc(a.summary)}{' · ' + esc(a.actor) if a.actor else ''}</li>"
        for a in entries
    )
    body = (
        "<h1>Activity</h1><p class=lead>Publishes, deploys, evolutions and lifecycle changes, newest first; "
        "new entries appear as they happen.</p><p class=small id=feed-status aria-live=polite></p>"
        f"<ul class=feed id=feed aria-live=polite>{items or '<li id=feed-empty>Nothing yet.</li>'}</ul>"
    )
    return page("Activity", body, section="activity", scripts=("activity.js",))


def teams_page(teams: list[Any], counts: dict[str, int]) -> str:
    rows = "".join(
        f"<tr><td>{esc(t.name)}</td><td>{esc(t.display_name)}</td><td>{esc(t.domain or '')}</td>"
        f"<td><a href='/?q={esc(t.name)}'>{counts.get(t.name, 0)}</a></td><td>{esc(t.on_call or '')}</td>"
        f"<td>{esc(t.channel or '')}</td></tr>"
        for t in teams
    )
    return page(
        "Teams",
        "<h1>Teams</h1><table><thead><tr><th>team</th><th>name</th><th>domain</th>"
        "<th>products</th><th>on call</th><th>channel</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>",
        section="teams",
    )
