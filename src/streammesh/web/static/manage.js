// Manage a product: deprecate or retire it (consumers are listed first on the page), and evolve its schema
// with the compatibility verdict and the impacted consumers before applying the change.
import { api, el, pageData, problemBlock } from "./ui.js";

const data = pageData("manage-data");
const enc = encodeURIComponent(data.name);
const text = document.getElementById("contract-text");
const compat = document.getElementById("compat-result");
const lifecycle = document.getElementById("lifecycle-result");
const ifMatch = () => ({ "If-Match": `"${data.revision}"` });

async function loadContract() {
  const r = await fetch(`/api/v1/products/${enc}/contract?format=yaml`);
  text.value = await r.text();
}

function done(message, product) {
  data.revision = product.revision;
  const status = document.querySelector("h1 .badge");
  if (status) { status.textContent = product.status; status.className = `badge ${product.status}`; }
  lifecycle.replaceChildren(el("div", { class: "notice", id: "lifecycle-done" }, message, " ",
    el("a", { href: `/products/${enc}` }, "Open the product page"), " or ", el("a", { href: `/publish/${enc}` }, "reload"), "."));
  document.querySelectorAll("#deprecate-form, #retire-form").forEach((f) => f.remove());
}

document.getElementById("deprecate-form")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const body = { sunset: document.getElementById("sunset").value };
  const replacement = document.getElementById("replacement").value.trim();
  const reason = document.getElementById("reason").value.trim();
  if (replacement) body.replacement = replacement;
  if (reason) body.reason = reason;
  const r = await api(`/api/v1/products/${enc}/deprecate`, { method: "POST", body, headers: ifMatch() });
  if (!r.ok) { lifecycle.replaceChildren(problemBlock(r.data, r.status)); return; }
  done(`${data.name} is deprecated until ${r.data.contract.deprecation?.sunset || body.sunset}; its readers are warned.`, r.data);
});

document.getElementById("retire-form")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const r = await api(`/api/v1/products/${enc}/retire`, { method: "POST", body: { force: document.getElementById("force").checked }, headers: ifMatch() });
  if (!r.ok) { lifecycle.replaceChildren(problemBlock(r.data, r.status)); return; }
  done(`${data.name} is retired.`, r.data);
});

function verdict(c) {
  const parts = [el("p", { id: "compat-verdict", class: c.compatible ? "notice" : "warning" },
    c.compatible ? `Compatible (${c.level}): applied in place, consumers keep working.` : `Not compatible (${c.level}): applying releases a new major version beside this one.`)];
  if (c.issues.length) parts.push(el("h3", {}, "What breaks"), el("ul", {}, c.issues.map((i) => el("li", {}, `${i.path}: ${i.message}`))));
  parts.push(el("h3", {}, "Impacted consumers"), c.impacted_consumers.length
    ? el("ul", { id: "impacted" }, c.impacted_consumers.map((i) => el("li", {}, `${i.group} (reads ${i.fields.join(", ") || "all fields"})`)))
    : el("p", {}, "No consumer reads the affected fields."));
  if (c.derived_products.length) parts.push(el("p", {}, `Derived products reading it: ${c.derived_products.join(", ")}`));
  return parts;
}

document.getElementById("check-compat").addEventListener("click", async () => {
  const r = await api(`/api/v1/products/${enc}/compatibility`, { method: "POST", body: text.value, type: "application/yaml" });
  compat.replaceChildren(...(r.ok ? verdict(r.data) : [problemBlock(r.data, r.status)]));
});

document.getElementById("evolve").addEventListener("click", async () => {
  const r = await api(`/api/v1/products/${enc}/evolve`, { method: "POST", body: text.value, type: "application/yaml", headers: ifMatch() });
  if (!r.ok) { compat.replaceChildren(problemBlock(r.data, r.status)); return; }
  const o = r.data;
  data.revision = o.product.revision;
  compat.replaceChildren(el("div", { class: "notice" }, `${o.action}: ${o.product.name} is at version ${o.product.contract.version}. `,
    el("a", { href: `/products/${encodeURIComponent(o.product.name)}` }, "Open it")), ...verdict(o.change));
});

loadContract();
