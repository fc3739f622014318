// Create: a SQL editor beside the sample use cases; validate (errors located in the text), preview live
// rows, deploy as a derived product and show the contract it publishes.
import { api, el, pageData, problemBlock, table } from "./ui.js";

const samples = pageData("samples-data");
const sql = document.getElementById("sql");
const appName = document.getElementById("app-name");
const owner = document.getElementById("owner");
const errorBox = document.getElementById("sql-error");
const contractBox = document.getElementById("contract");
const previewBox = document.getElementById("preview-out");
const resultBox = document.getElementById("deploy-result");

function appNameOf(product) {
  return product.split(".").pop().replaceAll("_", "-");
}

document.querySelectorAll("[data-sample]").forEach((button) => button.addEventListener("click", async () => {
  const s = samples[Number(button.dataset.sample)];
  sql.value = s.sql;
  appName.value = appNameOf(s.name);
  owner.value = s.owner;
  clearError();
  resultBox.replaceChildren();
  contractBox.replaceChildren(el("p", { class: "muted" }, `Loaded “${s.name}”. Validate it to see its contract.`));
  const existing = await api(`/api/v1/products/${encodeURIComponent(s.name)}`);
  if (existing.ok) {
    resultBox.replaceChildren(el("p", { class: "warning" }, `${s.name} is already published (by app ${existing.data.contract.derived_from?.app || "?"}). ` +
      "Rename the product in the CREATE line to deploy your own copy."));
  }
  sql.focus();
}));

function clearError() {
  errorBox.replaceChildren();
  sql.removeAttribute("aria-invalid");
}

/** Show an invalid-sql problem next to the editor, with the offending line underlined, and select it. */
function showSqlProblem(r) {
  const p = r.data || {};
  const located = (p.errors || []).find((e) => e.line);
  const box = problemBlock(p, r.status);
  box.id = "sql-problem";
  if (located) {
    const lines = sql.value.split("\n");
    const text = lines[located.line - 1] || "";
    const caret = " ".repeat(Math.max(0, located.column - 1)) + "^".repeat(Math.max(1, located.length || 1));
    box.prepend(el("div", { class: "small", id: "sql-error-position" }, `line ${located.line}, column ${located.column}`));
    box.append(el("pre", {}, `${located.line} | ${text}\n${" ".repeat(String(located.line).length)} | ${caret}`));
    let start = 0;
    for (let i = 0; i < located.line - 1; i++) start += lines[i].length + 1;
    start += located.column - 1;
    sql.setSelectionRange(start, start + (located.length || 1));
  }
  sql.setAttribute("aria-invalid", "true");
  errorBox.replaceChildren(box);
}

function fieldsOf(schema) {
  const def = schema?.definition;
  if (def && typeof def === "object" && def.properties) {
    return Object.entries(def.properties).map(([n, f]) => ({ field: n, type: Array.isArray(f.type) ? f.type.join(" | ") : (f.type || f.format || "") , description: f.description || "" }));
  }
  if (def && Array.isArray(def.fields)) {
    return def.fields.map((f) => ({ field: f.name, type: JSON.stringify(f.type), description: f.doc || "" }));
  }
  return [];
}

function renderContract(body) {
  const parts = [];
  for (const p of body.products) {
    const c = p.contract;
    const sla = c.sla || {};
    const classes = Object.entries(c.classifications || {});
    const card = el("article", { class: "card", "data-product": p.name },
      el("h3", {}, `${p.name} `, el("span", { class: "badge derived" }, p.kind)),
      el("dl", { class: "facts" },
        el("dt", {}, "owner"), el("dd", {}, c.owner || body.owner),
        el("dt", {}, "inputs"), el("dd", {}, p.inputs.join(", ")),
        el("dt", {}, "key"), el("dd", {}, (c.key || []).join(", ") || "none"),
        el("dt", {}, "derived SLA"), el("dd", { id: `sla-${p.name}` }, [sla.tier, sla.availability ? `${sla.availability}% availability` : null, sla.freshness ? `freshness ${sla.freshness}` : null].filter(Boolean).join(", ") + " (the weakest of its inputs)"),
        el("dt", {}, "classifications"), el("dd", { id: `classes-${p.name}` }, classes.length ? classes.map(([f, v]) => `${f}: ${v}`).join(", ") + " (inherited)" : "none"),
        el("dt", {}, "policies"), el("dd", {}, p.violations.length ? "" : el("span", { class: "badge ok" }, "all pass"))));
    for (const v of p.violations) card.append(el("div", { class: "error" }, `[${v.policy}] ${v.path}: ${v.message} — fix: ${v.fix}`));
    const fields = fieldsOf(c.schema);
    if (fields.length) card.append(el("h3", {}, "Schema (inferred)"), table(["field", "type", "description"], fields, "inferred schema"));
    if (p.field_lineage.length) {
      card.append(el("details", {}, el("summary", {}, `Field lineage (${p.field_lineage.length})`),
        table(["output_field", "input_product", "input_field", "kind"], p.field_lineage, "field lineage")));
    }
    parts.push(card);
  }
  contractBox.replaceChildren(...parts);
}

function payload(withName) {
  const body = { sql: sql.value };
  if (owner.value) body.owner = owner.value;
  if (withName && appName.value) body.name = appName.value;
  return body;
}

async function validate() {
  clearError();
  if (!sql.value.trim()) { showSqlProblem({ status: 422, data: { title: "Nothing to validate", detail: "write a CREATE STREAM or CREATE TABLE statement, or pick a sample" } }); return null; }
  const r = await api("/api/v1/apps/validate", { method: "POST", body: payload(false) });
  if (!r.ok) { showSqlProblem(r); return null; }
  renderContract(r.data);
  const status = el("p", { class: r.data.ok ? "notice" : "warning", id: "validate-status" }, r.data.ok ? "Valid: the script compiles and its contract passes every policy." : "The script compiles but its contract breaks policies (see below).");
  errorBox.replaceChildren(status);
  return r.data;
}

async function preview() {
  clearError();
  const select = sql.value.replace(/^\s*CREATE\s+(STREAM|TABLE)\s+\S+\s+AS\s+/i, "").replace(/;\s*$/, "");
  previewBox.replaceChildren(el("p", { class: "muted" }, "Reading live events for 4 seconds…"));
  const r = await api("/api/v1/sql", { method: "POST", body: { sql: select, seconds: 4, limit: 20 } });
  if (!r.ok) { previewBox.replaceChildren(); showSqlProblem(r); return; }
  const q = r.data;
  previewBox.replaceChildren(
    el("p", { class: "small", id: "preview-summary" }, `${q.rows.length} row(s) (${q.mode} query)`),
    q.rows.length ? table(q.columns, q.rows, "preview rows") : el("p", { class: "muted" }, "No row yet: the inputs had no new matching event in that time."));
}

async function deploy(event) {
  event.preventDefault();
  clearError();
  if (!appName.value) { appName.focus(); appName.setAttribute("aria-invalid", "true"); errorBox.replaceChildren(el("div", { class: "error" }, "Name the app first (lowercase letters, digits, - or _).")); return; }
  appName.removeAttribute("aria-invalid");
  const checked = await validate();
  if (!checked) return;
  const button = document.getElementById("deploy");
  button.disabled = true;
  resultBox.replaceChildren(el("p", { class: "muted" }, "Deploying…"));
  const r = await api("/api/v1/apps", { method: "POST", body: { ...payload(true), start: true } });
  button.disabled = false;
  if (!r.ok) { resultBox.replaceChildren(problemBlock(r.data, r.status)); return; }
  const app = r.data;
  resultBox.replaceChildren(el("div", { class: "notice", id: "deployed" },
    `Deployed app ${app.name} (${app.status}), publishing `,
    ...app.products.map((p) => el("a", { href: `/products/${encodeURIComponent(p)}` }, p)),
    ". ", el("a", { href: "/mesh" }, "See it on the mesh map"), "."));
}

document.getElementById("validate").addEventListener("click", validate);
document.getElementById("preview").addEventListener("click", preview);
document.getElementById("create-form").addEventListener("submit", deploy);
sql.addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); validate(); } });
