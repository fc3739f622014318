// Mesh map: every product (grouped by domain, source-aligned first, derived by depth) and every consumer
// group, drawn as one layered SVG graph; each product node links to its page.
import { api, el, problemBlock } from "./ui.js";
import { layeredGraph } from "./graph.js";

const box = document.getElementById("mesh-graph");
const summary = document.getElementById("mesh-summary");
const highlight = document.getElementById("highlight");
const showConsumers = document.getElementById("show-consumers");
let graph = null;

function layersOf(nodes, edges) {
  const preds = new Map(nodes.map((n) => [n.name, []]));
  for (const e of edges) if (preds.has(e.product)) preds.get(e.product).push(e.input_product);
  const depth = new Map();
  const visit = (name, seen = new Set()) => {
    if (depth.has(name)) return depth.get(name);
    if (seen.has(name)) return 0; // a cycle: cut it
    seen.add(name);
    const ps = (preds.get(name) || []).filter((p) => preds.has(p));
    const d = ps.length ? 1 + Math.max(...ps.map((p) => visit(p, seen))) : 0;
    depth.set(name, d);
    return d;
  };
  nodes.forEach((n) => visit(n.name));
  return depth;
}

function draw() {
  const g = graph;
  const depth = layersOf(g.nodes, g.edges);
  const maxDepth = Math.max(0, ...depth.values());
  const nodes = g.nodes.map((n) => ({
    id: n.name, label: n.name, sub: `${n.owner || ""}${n.app ? " · app " + n.app : ""}`, layer: depth.get(n.name) || 0,
    group: n.domain || "", href: `/products/${encodeURIComponent(n.name)}`,
    style: n.status === "deprecated" ? "deprecated" : n.kind === "derived" ? "derived" : "source",
  }));
  const edges = g.edges.map((e) => [e.input_product, e.product]);
  if (showConsumers.checked) {
    const groups = new Map();
    for (const c of g.consumers) {
      if (!groups.has(c.group)) groups.set(c.group, []);
      groups.get(c.group).push(c.product);
    }
    const domainOf = new Map(g.nodes.map((n) => [n.name, n.domain || ""]));
    for (const [group, products] of groups) {
      const id = `consumer:${group}`;
      // a consumer sits in the band of the (first) domain it reads, beside what it consumes
      const home = [...products].sort().map((p) => domainOf.get(p)).find((d) => d !== undefined) ?? "consumers";
      nodes.push({ id, label: group, sub: `consumer · reads ${products.length} product(s)`, layer: maxDepth + 1, group: home, style: "consumer" });
      for (const p of products) edges.push([p, id]);
    }
  }
  const svg = layeredGraph(nodes, edges, { title: `Mesh map: ${g.nodes.length} products`, bands: true });
  box.replaceChildren(svg);
  const derived = g.nodes.filter((n) => n.kind === "derived").length;
  const domains = new Set(g.nodes.map((n) => n.domain)).size;
  summary.textContent = `${g.nodes.length} products in ${domains} domains (${g.nodes.length - derived} source-aligned, ${derived} derived), ${new Set(g.consumers.map((c) => c.group)).size} consumer groups, ${g.edges.length} lineage edges.`;
  applyHighlight();
}

function applyHighlight() {
  const q = highlight.value.trim().toLowerCase();
  box.querySelectorAll("[data-node]").forEach((node) => {
    const text = `${node.dataset.node} ${node.dataset.group} ${node.textContent}`.toLowerCase();
    node.style.opacity = !q || text.includes(q) ? "1" : "0.25";
  });
}

async function load() {
  const r = await api("/api/v1/lineage");
  if (!r.ok) { box.replaceChildren(problemBlock(r.data, r.status)); return; }
  graph = r.data;
  draw();
}

highlight.addEventListener("input", applyHighlight);
showConsumers.addEventListener("change", () => graph && draw());
load();
