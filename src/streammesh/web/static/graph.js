// A layered graph drawn as SVG: nodes in columns (layers), grouped by domain inside a column (or, with
// `bands`, in one horizontal band per domain across every column, as the mesh map draws it), ordered to
// keep edges short (one barycentre sweep each way), edges as curves left to right. Each node is a link.
import { el } from "./ui.js";

const W = 240, H = 34, GAP_X = 90, GAP_Y = 10, GROUP_GAP = 22, PAD = 24, BAND_LABEL = 24, BAND_PAD = 10, BAND_GAP = 8;

const STYLES = {
  source: { stroke: "#24592b", fill: "#eef6ee" },
  derived: { stroke: "#1f4fa8", fill: "#e6f0ff" },
  deprecated: { stroke: "#6639ba", fill: "#fbefff" },
  consumer: { stroke: "#6e7781", fill: "#f6f8fa" },
  focus: { stroke: "#bf8700", fill: "#fff8c5" },
  unknown: { stroke: "#6e7781", fill: "#ffffff" },
};

/**
 * nodes: [{id, label, sub, layer, group, href, style}]; edges: [[fromId, toId]].
 * Returns an <svg> element; nodes with an href are focusable links (Tab, Enter).
 */
export function layeredGraph(nodes, edges, { title = "graph", groupLabels = true, bands = false } = {}) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const layers = [...new Set(nodes.map((n) => n.layer))].sort((a, b) => a - b);
  const columns = layers.map((l) => nodes.filter((n) => n.layer === l));
  const preds = new Map(nodes.map((n) => [n.id, []]));
  const succs = new Map(nodes.map((n) => [n.id, []]));
  for (const [a, b] of edges) {
    if (byId.has(a) && byId.has(b)) { succs.get(a).push(b); preds.get(b).push(a); }
  }
  // initial order: by group then name; then barycentre sweeps keep groups together
  const rank = new Map();
  const order = (col, neighbours) => {
    const groups = new Map();
    for (const n of col) {
      const ns = neighbours.get(n.id).filter((x) => rank.has(x));
      n._bary = ns.length ? ns.reduce((s, x) => s + rank.get(x), 0) / ns.length : (rank.get(n.id) ?? 0);
      if (!groups.has(n.group)) groups.set(n.group, []);
      groups.get(n.group).push(n);
    }
    const sorted = [...groups.entries()].map(([g, ns]) => {
      ns.sort((a, b) => a._bary - b._bary || a.label.localeCompare(b.label));
      return [g, ns, ns.reduce((s, n) => s + n._bary, 0) / ns.length];
    }).sort((a, b) => a[2] - b[2] || String(a[0]).localeCompare(String(b[0])));
    const out = sorted.flatMap((g) => g[1]);
    out.forEach((n, i) => rank.set(n.id, i));
    return out;
  };
  columns.forEach((col) => { col.sort((a, b) => String(a.group).localeCompare(String(b.group)) || a.label.localeCompare(b.label)); col.forEach((n, i) => rank.set(n.id, i)); });
  for (let i = 1; i < columns.length; i++) columns[i] = order(columns[i], preds);
  for (let i = columns.length - 2; i >= 0; i--) columns[i] = order(columns[i], succs);
  for (let i = 1; i < columns.length; i++) columns[i] = order(columns[i], preds);

  // positions
  let height = 0;
  const labelH = groupLabels ? 16 : 0;
  const bandBoxes = [];
  if (bands) {
    // one horizontal band per group (a domain), spanning every layer: a domain's products sit side by side,
    // its own lineage runs left to right inside the band, and only cross-domain edges leave it
    const groupNames = [...new Set(nodes.map((n) => String(n.group)))].sort((a, b) => a.localeCompare(b));
    let y = PAD;
    for (const g of groupNames) {
      const top = y;
      y += BAND_LABEL;
      let rows = 0;
      columns.forEach((col, ci) => {
        const members = col.filter((n) => String(n.group) === g);
        members.forEach((n, r) => { n.x = PAD + ci * (W + GAP_X); n.y = y + r * (H + GAP_Y); });
        rows = Math.max(rows, members.length);
      });
      y += rows * (H + GAP_Y) - GAP_Y + BAND_PAD;
      const members = nodes.filter((n) => String(n.group) === g);
      const products = members.filter((n) => n.style !== "consumer").length;
      bandBoxes.push({ group: g, top, bottom: y, text: `${products} product${products === 1 ? "" : "s"}` +
        (members.length > products ? `, ${members.length - products} consumer group(s)` : "") });
      y += BAND_GAP;
    }
    height = y - BAND_GAP + PAD;
  } else {
    columns.forEach((col, ci) => {
      let y = PAD, prev = null;
      for (const n of col) {
        if (n.group !== prev) { y += prev === null ? 0 : GROUP_GAP; n._groupStart = true; y += labelH; }
        n.x = PAD + ci * (W + GAP_X); n.y = y; y += H + GAP_Y; prev = n.group;
      }
      height = Math.max(height, y + PAD);
    });
  }
  const width = PAD * 2 + columns.length * W + Math.max(0, columns.length - 1) * GAP_X;
  const svg = el("svg", { svg: true, class: "graph", viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-label": title });
  svg.append(el("title", { svg: true }, title));
  const defs = el("defs", { svg: true });
  defs.append(el("marker", { svg: true, id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7,
    markerHeight: 7, orient: "auto-start-reverse" }, el("path", { svg: true, d: "M0,0 L10,5 L0,10 z", fill: "#57606a" })));
  svg.append(defs);
  bandBoxes.forEach((b, i) => {
    const band = el("g", { svg: true, class: "band", "data-band": b.group });
    band.append(el("rect", { svg: true, x: PAD / 2, y: b.top, width: width - PAD, height: b.bottom - b.top, rx: 8,
      fill: i % 2 ? "#f6f8fa" : "#ffffff", stroke: "#d0d7de" }));
    band.append(el("text", { svg: true, x: PAD, y: b.top + 15, "font-size": 12, fill: "#4b5563", "font-weight": 700 },
      `${b.group.toUpperCase()} · ${b.text}`));
    svg.append(band);
  });
  const edgeLayer = el("g", { svg: true, fill: "none", stroke: "#8c959f", "stroke-width": 1.4 });
  svg.append(edgeLayer);
  for (const [a, b] of edges) {
    const s = byId.get(a), t = byId.get(b);
    if (!s || !t) continue;
    const x1 = s.x + W, y1 = s.y + H / 2, x2 = t.x, y2 = t.y + H / 2, mx = (x1 + x2) / 2;
    const path = el("path", { svg: true, d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2 - 2},${y2}`,
      "marker-end": "url(#arrow)", "data-from": a, "data-to": b });
    edgeLayer.append(path);
  }
  for (const n of nodes) {
    if (n.x === undefined) continue;
    const st = STYLES[n.style] || STYLES.unknown;
    const g = el("g", { svg: true, "data-node": n.id, "data-group": n.group });
    if (groupLabels && !bands && n._groupStart && n.group) {
      svg.append(el("text", { svg: true, x: n.x, y: n.y - 5, "font-size": 11, fill: "#4b5563", "font-weight": 700 },
        String(n.group).toUpperCase()));
    }
    g.append(el("rect", { svg: true, x: n.x, y: n.y, width: W, height: H, rx: 6, fill: st.fill, stroke: st.stroke,
      "stroke-width": n.style === "focus" ? 3 : 1.5 }));
    const label = n.label.length > 30 ? n.label.slice(0, 29) + "…" : n.label;
    g.append(el("text", { svg: true, x: n.x + 8, y: n.y + (n.sub ? 14 : 21), "font-size": 12.5, fill: "#1b1f24",
      "font-weight": 600 }, label));
    const sub = n.sub && n.sub.length > 38 ? n.sub.slice(0, 37) + "…" : n.sub;
    if (sub) g.append(el("text", { svg: true, x: n.x + 8, y: n.y + 28, "font-size": 10.5, fill: "#4b5563" }, sub));
    g.append(el("title", { svg: true }, `${n.label}${n.sub ? " · " + n.sub : ""}`));
    if (n.href) {
      const a = el("a", { svg: true, href: n.href, "aria-label": `${n.label}${n.sub ? ", " + n.sub : ""}` });
      a.append(g);
      svg.append(a);
    } else {
      svg.append(g);
    }
  }
  return svg;
}
