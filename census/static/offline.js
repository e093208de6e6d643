// On every page: the service worker, the outbox count and "sync now" in the top bar, sending
// what waits (on load, when the signal comes back, every half minute), and keeping the
// surveyor's buildings on the tablet for the day without signal.

import { t } from "./i18n.js";
import { renderLists } from "./lists.js";
import * as outbox from "./outbox.js";

const RETRY_MS = 30000;
const TOAST_KEY = "census:toast";
const script = document.querySelector("script[data-census]");
const user = script?.dataset.user || "";

/** A message for the next page (after a save the form navigates away): 已保存 and warnings. */
export function toast(message) {
  try {
    sessionStorage.setItem(TOAST_KEY, JSON.stringify(message));
  } catch (error) {
    // private mode without storage: the saved item still shows in the outbox
  }
}

function showToast() {
  let message = null;
  try {
    message = JSON.parse(sessionStorage.getItem(TOAST_KEY) || "null");
    sessionStorage.removeItem(TOAST_KEY);
  } catch (error) {
    message = null;
  }
  const main = document.querySelector("main");
  if (!message || !main) return;
  const say = (kind, text, before) => {
    const p = document.createElement("p");
    p.className = `flash ${kind}`;
    p.setAttribute("role", "status");
    p.textContent = text;
    if (before) before.after(p);
    else main.prepend(p);
    return p;
  };
  const lines = (message.warnings || []).map((w) => ["warning", w]);
  for (const [kind, text] of lines.reverse()) say(kind, text);
  const first = say(message.kind || "success", message.text);
  if (message.uuid) {
    // Saved on the tablet and still on its way: the note follows it until it is sent.
    const onSent = (event) => {
      if (event.detail.uuid !== message.uuid || event.detail.state !== "sent") return;
      window.removeEventListener("census:sent", onSent);
      first.textContent = t("saved");
      Object.values(event.detail.warnings || {}).flat().forEach((w) => say("warning", w, first));
    };
    window.addEventListener("census:sent", onSent);
  }
}

// Ask the service worker something and wait for its answer (or give up after a while).
function ask(worker, message, timeoutMs = 60000) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const timer = setTimeout(() => resolve(null), timeoutMs);
    channel.port1.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data);
    };
    worker.postMessage(message, [channel.port2]);
  });
}

async function serviceWorker() {
  if (!("serviceWorker" in navigator)) return null;
  try {
    await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    return await navigator.serviceWorker.ready;
  } catch (error) {
    return null; // e.g. a browser that refuses workers: the pages still work online
  }
}

// The home and building pages list what to keep: each building's page and its new-household
// form. The worker fetches and caches them; the page then says it is ready for no signal.
async function precache(registration) {
  const urls = new Set();
  document.querySelectorAll("[data-precache]").forEach((el) => {
    JSON.parse(el.dataset.precache).forEach((url) => urls.add(url));
  });
  if (!registration || !registration.active) return;
  if (urls.size && navigator.onLine !== false) {
    const answer = await ask(registration.active, { type: "precache", urls: [...urls] });
    if (!answer || answer.failed) return;
  }
  document.documentElement.dataset.offline = "ready";
  const badge = document.querySelector(".sync-bar");
  if (badge) badge.title = t("offline_ready");
}

function topBar() {
  const tools = document.querySelector(".topbar .tools");
  if (!tools) return null;
  const bar = document.createElement("span");
  bar.className = "sync-bar";
  bar.innerHTML = `<a class="outbox-link" href="/survey/outbox"><span class="label"></span> <span class="count">0</span></a>`
    + `<a class="fix-link" href="/survey/outbox#corrections" hidden><span class="label"></span> <span class="count">0</span></a>`
    + `<button type="button" class="link sync-now"></button>`;
  bar.querySelector(".outbox-link .label").textContent = t("outbox");
  bar.querySelector(".fix-link .label").textContent = t("needs_fix");
  const sync = bar.querySelector(".sync-now");
  sync.textContent = t("sync_now");
  sync.addEventListener("click", () => outbox.sync());
  tools.prepend(bar);
  return bar;
}

async function refresh(bar) {
  const all = await outbox.items();
  const open = all.filter((entry) => outbox.OPEN.includes(entry.state)).length;
  const rejected = all.filter((entry) => entry.state === "rejected").length;
  bar.querySelector(".outbox-link .count").textContent = String(open);
  bar.dataset.pending = String(open);
  const fix = bar.querySelector(".fix-link");
  fix.hidden = rejected === 0;
  fix.querySelector(".count").textContent = String(rejected);
}

function showStatus(bar, status) {
  const offline = navigator.onLine === false;
  bar.dataset.status = offline ? "offline" : status;
  if (offline) bar.title = t("offline");
  else if (bar.title === t("offline")) bar.title = document.documentElement.dataset.offline === "ready" ? t("offline_ready") : "";
  bar.querySelector(".sync-now").textContent = status === "syncing" ? t("syncing") : t("sync_now");
  let banner = document.querySelector(".flash.login-needed");
  if (status === "login" && !banner) {
    banner = document.createElement("p");
    banner.className = "flash warning login-needed";
    banner.setAttribute("role", "alert");
    banner.append(t("login_needed"), " ");
    const a = document.createElement("a");
    a.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    a.textContent = t("log_in");
    banner.append(a);
    document.querySelector("main")?.prepend(banner);
  } else if (status !== "login" && banner) {
    banner.remove();
  }
}

// Logging out: say what is still unsent, and drop the pages kept for this account.
function guardLogout(registration) {
  const logout = document.querySelector("form[action$='/logout']");
  if (!logout) return;
  logout.addEventListener("submit", async (event) => {
    event.preventDefault();
    const open = (await outbox.items()).filter((e) => e.state !== "sent" && e.state !== "conflict").length;
    if (open && !window.confirm(t("logout_pending", { n: open }))) return;
    if (registration?.active) await ask(registration.active, { type: "forget-pages" }, 2000);
    HTMLFormElement.prototype.submit.call(logout);
  });
}

async function main() {
  showToast();
  outbox.setUser(user);
  const bar = user ? topBar() : null;
  if (bar) {
    const update = () => refresh(bar).catch(() => {});
    window.addEventListener("census:outbox", update);
    window.addEventListener("census:sync", (event) => showStatus(bar, event.detail.status));
    window.addEventListener("offline", () => showStatus(bar, "offline"));
    window.addEventListener("online", () => {
      showStatus(bar, "idle");
      outbox.sync();
    });
    showStatus(bar, "idle");
    update();
    renderLists(user);
    outbox.prune().catch(() => {});
    outbox.sync();
    setInterval(() => {
      if (navigator.onLine !== false) outbox.sync();
    }, RETRY_MS);
  }
  const registration = await serviceWorker();
  if (user) {
    guardLogout(registration);
    await precache(registration);
  }
}

main();
