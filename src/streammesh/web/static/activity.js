// Activity: polls the persisted feed for entries newer than the newest shown, and prepends them.
import { api, el } from "./ui.js";

const feed = document.getElementById("feed");
const status = document.getElementById("feed-status");
let newest = Math.max(0, ...[...feed.querySelectorAll("li[data-id]")].map((li) => Number(li.dataset.id)));

function item(a) {
  const at = new Date(a.at);
  return el("li", { "data-id": a.id, class: "fresh" },
    el("time", { datetime: a.at }, at.toISOString().replace("T", " ").slice(0, 19)),
    el("span", { class: "badge tag" }, a.kind), " ",
    el("a", { href: `/products/${encodeURIComponent(a.subject)}` }, a.subject), ` ${a.summary}${a.actor ? " · " + a.actor : ""}`);
}

async function poll() {
  const r = await api(`/api/v1/activity?after_id=${newest}&limit=100`);
  if (!r.ok) { status.textContent = "Could not reach the server; retrying."; return; }
  const items = r.data.items;
  if (items.length) {
    document.getElementById("feed-empty")?.remove();
    for (const a of [...items].reverse()) feed.prepend(item(a));
    newest = Math.max(newest, ...items.map((a) => a.id));
  }
  status.textContent = `Live: checked ${new Date().toLocaleTimeString()}`;
}

setInterval(poll, 2000);
poll();
