// Product page: live metrics (polled), the lineage graph (SVG) and live sample events (server-sent events).
import { api, el, formatAge, pageData, problemBlock } from "./ui.js";
import { layeredGraph } from "./graph.js";

const data = pageData("product-data");
const name = data.name;
const enc = encodeURIComponent(name);

async function refreshMetrics() {
  const r = await api(`/api/v1/products/${enc}/metrics`);
  if (!r.ok) return;
  const m = r.data;
  document.getElementById("m-events").textContent = m.events.toLocaleString("en");
  document.getElementById("m-rate").textContent = m.events_per_second.toFixed(m.events_per_second < 10 ? 2 : 0);
  const age = document.getElementById("m-age");
  age.textContent = m.age_seconds === null ? "none yet" : `${formatAge(m.age_seconds)} ago`;
  const fresh = document.getElementById("m-fresh");
  if (m.freshness_seconds !== null) {
    const verdict = m.fresh === null ? "" : m.fresh ? " · within SLA" : " · LATE";
    fresh.textContent = `SLA freshness ${formatAge(m.freshness_seconds)}${verdict}`;
    fresh.className = `sub ${m.fresh === false ? "pii" : ""}`;
  }
  document.getElementById("m-invalid").textContent = `${(m.invalid_rate * 100).toFixed(2)} %`;
  document.getElementById("m-dead").textContent = `${m.dead_letters.toLocaleString("en")} dead letters / all events`;
}

async function drawLineage() {
  const box = document.getElementById("lineage-graph");
  const r = await api(`/api/v1/products/${enc}/lineage?direction=both&depth=6`);
  if (!r.ok) { box.replaceChildren(problemBlock(r.data, r.status)); return; }
  const l = r.data;
  const style = (n) => n.status === "deprecated" ? "deprecated" : n.kind === "derived" ? "derived" : n.kind === "source" ? "source" : "unknown";
  const nodes = [{ id: name, label: name, sub: "this product", layer: 0, group: "", style: "focus" }];
  for (const n of l.upstream) nodes.push({ id: n.name, label: n.name, sub: n.owner || "", layer: -n.depth, group: "", href: `/products/${encodeURIComponent(n.name)}`, style: style(n) });
  for (const n of l.downstream) nodes.push({ id: n.name, label: n.name, sub: n.owner || "", layer: n.depth, group: "", href: `/products/${encodeURIComponent(n.name)}`, style: style(n) });
  const edges = l.edges.map((e) => [e.input_product, e.product]);
  const svg = layeredGraph(nodes, edges, { title: `Lineage of ${name}`, groupLabels: false });
  const fields = l.field_edges.filter((e) => e.product === name);
  const caption = el("p", { class: "small" }, `${l.upstream.length} upstream, ${l.downstream.length} downstream. Select a product to open it.`);
  const parts = [caption, svg];
  if (fields.length) {
    const rows = fields.map((e) => el("tr", {}, el("td", {}, el("code", {}, e.output_field || "")),
      el("td", {}, `${e.input_product}.${e.input_field}`), el("td", {}, e.kind)));
    parts.push(el("details", {}, el("summary", {}, `Field lineage (${fields.length} edges)`),
      el("table", {}, el("thead", {}, el("tr", {}, el("th", {}, "field"), el("th", {}, "from"), el("th", {}, "how"))), el("tbody", {}, rows))));
  }
  box.replaceChildren(...parts);
}

function followSamples() {
  const list = document.getElementById("sample-list");
  const status = document.getElementById("live-status");
  const source = new EventSource(`/api/v1/products/${enc}/samples/live?seconds=600`);
  status.textContent = "Following new events…";
  source.addEventListener("event", (msg) => {
    document.getElementById("no-samples")?.remove();
    const pre = el("pre", { class: "sample new" }, JSON.stringify(JSON.parse(msg.data), null, 2));
    list.prepend(pre);
    while (list.children.length > 20) list.lastElementChild.remove();
    status.textContent = `Live: latest event at offset ${msg.lastEventId}`;
  });
  source.addEventListener("end", () => { source.close(); status.textContent = "Live view paused; reload to resume."; });
  source.addEventListener("error", () => { if (source.readyState === EventSource.CLOSED) status.textContent = "Live view stopped."; });
  window.addEventListener("pagehide", () => source.close());
}

drawLineage();
if (data.live) {
  refreshMetrics();
  setInterval(refreshMetrics, 3000);
  followSamples();
}
