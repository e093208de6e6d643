// Lists kept on the tablet, drawn into the pages that have a place for them: drafts on the
// home page, the outbox and its "needs correction" lists (returned by a reviewer, refused by
// the server's checks), and a building's unsent households.

import * as drafts from "./drafts.js";
import { address, t, when } from "./i18n.js";
import * as kept from "./kept.js";
import * as outbox from "./outbox.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function link(text, href, className = "button small") {
  const a = el("a", className, text);
  a.href = href;
  return a;
}

// Discarding asks twice (a second tap within a few seconds): a mis-tap must not lose a form.
function discardButton(onConfirmed) {
  const b = el("button", "small remove", t("discard"));
  b.type = "button";
  let armed = null;
  b.addEventListener("click", async () => {
    if (!armed) {
      b.textContent = t("discard_sure");
      armed = setTimeout(() => { armed = null; b.textContent = t("discard"); }, 4000);
      return;
    }
    clearTimeout(armed);
    await onConfirmed();
  });
  return b;
}

function row(className, main, meta, actions) {
  const li = el("li", `dwelling ${className}`);
  li.append(el("span", "who", main), el("span", "meta", meta));
  const box = el("span", "acts");
  box.append(...actions);
  li.append(box);
  return li;
}

// "成员 2：message" — where the server found each problem, without the form's labels at hand.
function problemLines(errors) {
  const lines = [];
  for (const [path, texts] of Object.entries(errors || {})) {
    const m = /^\w+\[(\d+)\]/.exec(path);
    const where = m ? `${t("member_n", { n: Number(m[1]) + 1 })}：` : "";
    for (const text of texts) lines.push(`${where}${text}`);
  }
  return lines;
}

function stateText(entry) {
  return t(`state_${entry.state}`);
}

async function drawDrafts(user) {
  const section = document.getElementById("drafts");
  if (!section) return;
  const list = section.querySelector("ul");
  const mine = await drafts.drafts(user);
  list.replaceChildren(...mine.map((d) => {
    const li = row("draft", d.title || address(d.data || {}), t("edited_at", { time: when(d.updated_at) }), [
      link(t("resume"), d.url),
      discardButton(() => drafts.discard(d.id)),
    ]);
    li.dataset.id = d.id;
    return li;
  }));
  section.hidden = mine.length === 0;
}

function outboxRow(entry) {
  const meta = [stateText(entry), t("saved_at", { time: when(entry.created_at) })];
  if (entry.household_no) meta.push(t("record_no", { no: entry.household_no }));
  const actions = [];
  if (entry.state === "rejected") {
    actions.push(link(t("open_fix"), entry.page), discardButton(() => outbox.drop(entry.uuid)));
  } else if (outbox.OPEN.includes(entry.state) && entry.form && entry.page) {
    actions.push(link(t("open_edit"), entry.page)); // still on the tablet: opened with its latest version
  }
  const li = row(`outbox-item state-${entry.state}`, entry.title, meta.join(" · "), actions);
  li.dataset.uuid = entry.uuid;
  li.dataset.state = entry.state;
  if (entry.state === "rejected") {
    const ul = el("ul", "problems");
    problemLines(entry.errors).forEach((line) => ul.append(el("li", "error", line)));
    li.append(ul);
  }
  return li;
}

// A record a reviewer sent back: what it is, the comment, and its edit page (kept on the tablet).
function returnedRow(entry) {
  const said = entry.comment ? entry.comment.text || t("review_check_marked") : "";
  const meta = entry.comment ? `${t("review_comment")}：${said}（${entry.comment.by}）` : "";
  const li = row("returned-item", entry.title, meta, [link(t("open_fix"), entry.edit)]);
  li.dataset.api = entry.api;
  return li;
}

async function drawOutbox(user) {
  const page = document.getElementById("outbox");
  const note = document.getElementById("corrections-note");
  const building = document.querySelector("[data-building-pending]");
  if (!page && !note && !building) return;
  const all = await outbox.items();
  const fixes = await kept.corrections(user);
  const groups = {
    refused: fixes.refused,
    waiting: all.filter((e) => outbox.OPEN.includes(e.state)),
    sent: all.filter((e) => e.state === "sent" || e.state === "conflict").reverse(),
  };
  if (page) {
    for (const [name, entries] of Object.entries(groups)) {
      const section = document.getElementById(name);
      section.querySelector("ul").replaceChildren(...entries.map(outboxRow));
      section.querySelector(".empty").hidden = entries.length > 0;
    }
    const section = document.getElementById("returned");
    section.querySelector("ul").replaceChildren(...fixes.returned.map(returnedRow));
    section.querySelector(".empty").hidden = fixes.returned.length > 0;
  }
  if (note) {
    const n = fixes.returned.length + fixes.refused.length;
    note.hidden = n === 0;
    note.querySelector(".count").textContent = String(n);
    note.querySelector(".returned .n").textContent = String(fixes.returned.length);
    note.querySelector(".returned").hidden = fixes.returned.length === 0;
    note.querySelector(".refused .n").textContent = String(fixes.refused.length);
    note.querySelector(".refused").hidden = fixes.refused.length === 0;
  }
  if (building) {
    const name = building.dataset.buildingPending;
    const here = [...groups.refused, ...groups.waiting].filter((e) => e.building === name && e.method === "POST");
    building.replaceChildren(...here.map(outboxRow));
    building.hidden = here.length === 0;
  }
}

/** Draw every list the page has room for, and redraw when the outbox or drafts change. */
export function renderLists(user) {
  const draw = () => Promise.all([drawDrafts(user), drawOutbox(user)]).catch(() => {});
  window.addEventListener("census:outbox", draw);
  window.addEventListener("census:drafts", draw);
  window.addEventListener("census:kept", draw);
  draw();
}
