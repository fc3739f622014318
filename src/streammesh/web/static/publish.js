// Publish: a contract form checked against the mesh's policies as you type; each violation is shown next
// to the field it is about, with its fix. Publishing is possible once the SLA is acknowledged.
import { api, debounce, el, pageData, problemBlock } from "./ui.js";

const form = document.getElementById("publish-form");
const rowsBox = document.getElementById("schema-rows");
const preview = document.getElementById("contract-preview");
const teams = pageData("teams-data");
const CLASSES = ["", "pii", "confidential", "restricted", "internal", "public"];
const TYPES = ["string", "integer", "number", "boolean", "date-time", "object", "array"];
const touched = new Set();
let showAll = false;

function addRow(values = {}) {
  const i = rowsBox.children.length;
  const row = el("div", { class: "schema-row", "data-row": i },
    el("input", { type: "text", "aria-label": `field ${i + 1} name`, class: "f-name", placeholder: "field name", value: values.name || "" }),
    el("select", { "aria-label": `field ${i + 1} type`, class: "f-type" }, TYPES.map((t) => el("option", { selected: t === values.type }, t))),
    el("select", { "aria-label": `field ${i + 1} classification`, class: "f-class" }, CLASSES.map((c) => el("option", { value: c, selected: c === (values.cls || "") }, c || "not classified"))),
    el("input", { type: "text", "aria-label": `field ${i + 1} description`, class: "f-doc", placeholder: "what it means", value: values.doc || "" }),
    el("button", { type: "button", class: "secondary", "aria-label": `remove field ${i + 1}`, onclick: () => { row.remove(); changed("schema"); } }, "✕"));
  if (values.schema) { row._schema = values.schema; row._type = values.type; }
  if (values.required === false) row._optional = true;
  rowsBox.append(row);
}

// A schema chosen from an existing stream: its registered (Avro, Protobuf, JSON Schema) document is kept as
// is, so the product reads the events already on the stream; rows then only carry classifications and docs.
let fixedSchema = null;

/** The form's type for an inferred JSON Schema property, e.g. ["string","null"] + date-time → date-time. */
function formType(prop) {
  const types = [].concat(prop.type || "string").filter((t) => t !== "null");
  const t = types.length === 1 ? types[0] : types.includes("number") ? "number" : "string";
  if (t === "string" && prop.format === "date-time") return "date-time";
  return TYPES.includes(t) ? t : "string";
}

const list = (v) => v.split(",").map((x) => x.trim()).filter(Boolean);
const value = (id) => document.getElementById(id).value.trim();

function contract() {
  const name = value("f-name");
  const properties = {}, required = [], classifications = {};
  for (const row of rowsBox.children) {
    const n = row.querySelector(".f-name").value.trim();
    if (!n) continue;
    const t = row.querySelector(".f-type").value;
    const prop = row._schema && row._type === t ? structuredClone(row._schema)
      : t === "date-time" ? { type: "string", format: "date-time" } : { type: t };
    const doc = row.querySelector(".f-doc").value.trim();
    if (doc) prop.description = doc;
    properties[n] = prop;
    if (!row._optional) required.push(n);
    const cls = row.querySelector(".f-class").value;
    if (cls) classifications[n] = cls;
  }
  const c = {
    apiVersion: "streammesh/v1", name, domain: name.includes(".") ? name.split(".")[0] : name,
    owner: value("f-owner"), description: value("f-description"), key: list(value("f-key")), tags: list(value("f-tags")),
    quality: value("f-quality"),
    schema: fixedSchema ? structuredClone(fixedSchema) : { format: "json-schema", definition: { type: "object", properties, required } },
    partitions: Number(value("f-partitions")) || 3,
    classifications,
    sla: { tier: value("f-sla.tier"), freshness: value("f-sla.freshness") || null,
      availability: value("f-sla.availability") ? Number(value("f-sla.availability")) : null,
      acknowledged: document.getElementById("f-sla.acknowledged").checked },
    support: { channels: list(value("f-support.channels")), on_call: value("f-support.on_call") || null },
  };
  const title = value("f-title");
  if (title) c.title = title;
  return c;
}

/** Which form field a policy path or error location is about. */
function fieldOf(path) {
  const p = String(path || "").replace(/^body\./, "");
  if (p === "name" || p === "domain") return "name";
  if (p.startsWith("key")) return "key";
  if (p.startsWith("partitions")) return "partitions";
  if (p.startsWith("classifications") || p.startsWith("schema") || p.startsWith("timestamp_field") || p.startsWith("rules")) return "schema";
  for (const f of ["title", "owner", "description", "tags", "quality", "sla.tier", "sla.freshness", "sla.availability", "sla.acknowledged", "support.channels", "support.on_call"]) {
    if (p === f || p.startsWith(f + ".") || p.startsWith(f + "[")) return f;
  }
  if (p.startsWith("sla")) return "sla.tier";
  if (p.startsWith("support")) return "support.channels";
  return null;
}

function render(problems) {
  const byField = new Map();
  const general = [];
  for (const v of problems) {
    const f = fieldOf(v.path);
    if (f && document.getElementById(`fb-${f}`)) {
      if (!byField.has(f)) byField.set(f, []);
      byField.get(f).push(v);
    } else general.push(v);
  }
  for (const box of form.querySelectorAll(".field")) {
    const f = box.dataset.field;
    const fb = document.getElementById(`fb-${f}`);
    const control = document.getElementById(`f-${f}`);
    const vs = byField.get(f) || [];
    const shown = showAll || touched.has(f);
    if (vs.length && shown) {
      fb.replaceChildren(...vs.map((v) => el("div", { class: "violation", "data-policy": v.policy || "" },
        el("b", {}, v.policy ? `${v.policy}` : "invalid"), v.message, v.fix ? el("div", { class: "small" }, `Fix: ${v.fix}`) : null)));
      control?.setAttribute("aria-invalid", "true");
    } else {
      fb.replaceChildren(shown && touched.has(f) ? el("span", { class: "okmark" }, "✓ meets the policies") : "");
      control?.removeAttribute("aria-invalid");
    }
  }
  const gb = document.getElementById("general-feedback");
  gb.replaceChildren(...(showAll ? general : []).map((v) => el("div", { class: "violation" }, el("b", {}, v.policy || v.path || "invalid"), v.message, v.fix ? ` Fix: ${v.fix}` : "")));
}

let sequence = 0;
async function check() {
  const mine = ++sequence;
  const c = contract();
  preview.textContent = JSON.stringify(c, null, 2);
  const r = await api("/api/v1/products/check", { method: "POST", body: c });
  if (mine !== sequence) return null; // a newer check is on its way
  let problems;
  if (r.ok) problems = r.data.violations;
  else problems = (r.data?.errors || []).map((e) => ({ path: e.location, message: e.message, fix: e.fix, policy: e.policy }));
  if (!r.ok && !problems.length) problems = [{ path: "", message: r.data?.detail || `HTTP ${r.status}` }];
  if (!c.sla.acknowledged) problems.push({ path: "sla.acknowledged", policy: "sla-acknowledgement", message: "the owner team has not acknowledged the SLA", fix: "tick the box once your team commits to it" });
  render(problems);
  form.dataset.checked = String(mine);
  form.dataset.violations = String(problems.length);
  return problems;
}
const checkSoon = debounce(check, 300);

function changed(field) {
  touched.add(field);
  checkSoon();
}

form.addEventListener("input", (e) => {
  const f = e.target.closest(".field")?.dataset.field;
  if (f) changed(f);
});
form.addEventListener("change", (e) => {
  const f = e.target.closest(".field")?.dataset.field;
  if (f) changed(f);
});
document.getElementById("add-field").addEventListener("click", () => { addRow(); rowsBox.lastElementChild.querySelector("input").focus(); });
document.getElementById("check").addEventListener("click", () => { showAll = true; check(); });
document.getElementById("f-owner").addEventListener("change", () => {
  const t = teams.find((x) => x.name === value("f-owner"));
  if (t && !value("f-support.on_call") && t.on_call) document.getElementById("f-support.on_call").value = t.on_call;
  if (t && !value("f-support.channels") && t.channel) document.getElementById("f-support.channels").value = t.channel;
});

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  showAll = true;
  const result = document.getElementById("publish-result");
  const problems = await check();
  if (problems && problems.length) {
    result.replaceChildren(el("div", { class: "error", role: "alert" }, `${problems.length} problem(s) to fix first; each is shown next to its field.`));
    form.querySelector("[aria-invalid=true]")?.focus();
    return;
  }
  const r = await api("/api/v1/products", { method: "POST", body: contract() });
  if (!r.ok) { result.replaceChildren(problemBlock(r.data, r.status)); return; }
  const p = r.data.product;
  loadStreams();
  result.replaceChildren(el("div", { class: "notice", id: "published" }, `Published ${p.name} (${r.data.action}, version ${p.contract.version}). `,
    el("a", { href: `/products/${encodeURIComponent(p.name)}` }, "Open its page"), "."));
});

// -- streams on the log that are not products yet ----------------------------------------------------
const streamList = document.getElementById("stream-list");
const adopting = document.getElementById("adopting");

function describe(s) {
  const parts = [`${s.partitions} partition${s.partitions === 1 ? "" : "s"}`, `${s.events.toLocaleString()} events`];
  if (s.last_event) parts.push(`newest ${s.last_event.replace("T", " ").slice(0, 19)} UTC`);
  if (s.encoding === "json") parts.push(`schema inferred from ${s.sampled} events`);
  else if (s.encoding === "wire-format") parts.push(`registered ${s.schema.format} schema`);
  else if (s.encoding === "empty") parts.push("no events yet");
  else parts.push("events not decodable");
  return parts.join(" · ");
}

async function loadStreams() {
  const r = await api("/api/v1/streams?unpublished=true&limit=500");
  if (!r.ok) { streamList.replaceChildren(problemBlock(r.data, r.status)); return; }
  const streams = r.data.items;
  if (!streams.length) {
    streamList.replaceChildren(el("p", { id: "no-streams" }, "Every stream on the log is already a data product."));
    return;
  }
  const domains = new Map();
  for (const s of streams) {
    const d = s.domain || "(no domain)";
    if (!domains.has(d)) domains.set(d, []);
    domains.get(d).push(s);
  }
  streamList.replaceChildren(el("div", { class: "stream-groups" }, [...domains].map(([d, ss]) =>
    el("section", { class: "stream-group", "data-domain": d, "aria-label": `Domain ${d}` },
      el("h3", {}, `${d} `, el("span", { class: "muted small", style: "display:inline" }, `${ss.length} stream(s)`)),
      el("ul", {}, ss.map((s) => el("li", { "data-stream": s.name },
        el("button", { type: "button", class: "secondary", "aria-label": `Use stream ${s.name}`, onclick: () => adopt(s) }, s.name),
        el("span", { class: "small muted" }, describe(s)),
        s.note ? el("span", { class: "small" }, s.note) : null)))))));
}

function title(name) {
  const last = name.split(".").pop().replace(/_/g, " ");
  return last.charAt(0).toUpperCase() + last.slice(1);
}

function adopt(s) {
  const set = (id, v) => { document.getElementById(id).value = v; };
  set("f-name", s.name);
  if (!value("f-title")) set("f-title", title(s.name));
  const team = teams.find((t) => t.domain === s.domain);
  if (team) { set("f-owner", team.name); document.getElementById("f-owner").dispatchEvent(new Event("change", { bubbles: true })); }
  set("f-partitions", String(s.partitions));
  document.getElementById("f-partitions").readOnly = s.events > 0;
  rowsBox.replaceChildren();
  fixedSchema = null;
  const def = s.schema?.definition;
  if (s.encoding === "json" && def?.properties) {
    const required = new Set(def.required || []);
    for (const [name, prop] of Object.entries(def.properties)) {
      addRow({ name, type: formType(prop), schema: prop, required: required.has(name), doc: prop.description || "" });
    }
  } else if (s.encoding === "wire-format") {
    fixedSchema = s.schema;
    for (const f of s.fields.filter((x) => !x.path.includes(".") && !x.path.includes("["))) {
      addRow({ name: f.path, type: TYPES.includes(f.type) ? f.type : "string" });
    }
    for (const row of rowsBox.children) { row.querySelector(".f-name").readOnly = true; row.querySelector(".f-type").disabled = true; }
  }
  if (!rowsBox.children.length) addRow();
  set("f-key", (s.suggested_key || []).join(", "));
  const how = s.encoding === "json" ? `a JSON Schema inferred from its ${s.sampled} newest events (check the types, classify personal data, add descriptions)`
    : s.encoding === "wire-format" ? `its registered ${s.schema.format} schema (id ${s.schema_id}), used as is so its events stay readable`
      : "no schema: its events could not be decoded, describe them by hand";
  adopting.replaceChildren(el("div", { class: "notice", id: "adopt-notice" },
    `Publishing ${s.name}: the product adopts the existing stream and its ${s.events.toLocaleString()} events. Prefilled with ${how}`,
    s.suggested_key?.length ? `; key ${s.suggested_key.join(", ")} matches the records' keys.` : "."));
  for (const f of ["name", "title", "owner", "schema", "key", "partitions"]) touched.add(f);
  check();
  document.getElementById("f-description").focus();
}

loadStreams();
addRow();
preview.textContent = JSON.stringify(contract(), null, 2);
