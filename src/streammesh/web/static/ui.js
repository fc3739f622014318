// Small helpers shared by the pages: calling the REST API, building elements, showing problems.

/** Call the REST API; resolves to {ok, status, data, headers}; a problem document is in data. */
export async function api(path, { method = "GET", body, type = "application/json", headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = type;
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    return { ok: false, status: 0, data: { detail: `the server did not answer (${e.message})` }, headers: new Headers() };
  }
  const text = await response.text();
  let data = text;
  try { data = text ? JSON.parse(text) : null; } catch { /* not JSON: keep the text */ }
  return { ok: response.ok, status: response.status, data, headers: response.headers };
}

/** el("a", {href: "/"}, "text", child…): an element with attributes and children (strings become text). */
export function el(tag, attrs = {}, ...children) {
  const ns = attrs.svg ? "http://www.w3.org/2000/svg" : null;
  const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "svg" || v === undefined || v === null || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

/** A problem document (RFC 9457) as a readable block: detail, hint and each located error. */
export function problemBlock(data, status) {
  const p = typeof data === "object" && data ? data : { detail: String(data || `HTTP ${status}`) };
  const box = el("div", { class: "error", role: "alert" }, el("b", {}, p.title || `Error ${status}`), el("div", {}, p.detail || ""));
  if (p.hint) box.append(el("div", { class: "small" }, `Hint: ${p.hint}`));
  return box;
}

export function badge(text, kind) {
  return el("span", { class: `badge ${kind || text}` }, text);
}

/** "3.2 s", "4 min", "2 h 5 min" */
export function formatAge(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

export function debounce(fn, ms) {
  let t;
  return (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
}

export function pageData(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

/** A table of rows (objects) with the given columns. */
export function table(columns, rows, caption) {
  const head = el("tr", {}, columns.map((c) => el("th", { scope: "col" }, c)));
  const body = rows.map((r) => el("tr", {}, columns.map((c) => {
    const v = r[c];
    return el("td", {}, v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));
  })));
  return el("table", {}, caption ? el("caption", { class: "visually-hidden" }, caption) : null,
    el("thead", {}, head), el("tbody", {}, body));
}
