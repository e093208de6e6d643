// On every page: the service worker, the outbox count, what needs correcting and "sync now"
// in the top bar, a banner in words when there is no signal, sending what waits (on load,
// when the signal comes back, every half minute), and keeping what the surveyor needs on the
// tablet for the day without signal (their buildings, forms and returned records), in the
// background, only what changed, with its progress on screen.

import { t } from "./i18n.js";
import * as kept from "./kept.js";
import { renderLists } from "./lists.js";
import * as outbox from "./outbox.js";

const RETRY_MS = 30000;
const KEEP_LIST_TIMEOUT_MS = 15000;
const TOAST_KEY = "census:toast";
const script = document.querySelector("script[data-census]");
const user = outbox.accountKey(script);

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
  if (message.undo) first.dataset.undo = JSON.stringify(message.undo); // a visit: visits.js offers 撤销
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
// `onProgress` hears the messages it sends before its last one ({type: "done"}).
function ask(worker, message, timeoutMs = 60000, onProgress = null) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    let timer = setTimeout(() => resolve(null), timeoutMs);
    channel.port1.onmessage = (event) => {
      if (onProgress && event.data && event.data.type === "progress") {
        clearTimeout(timer); // it is working: give it the time again
        timer = setTimeout(() => resolve(null), timeoutMs);
        onProgress(event.data);
        return;
      }
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

function say(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

// The list of what to keep, from the server; null without signal (or from a captive portal).
async function keepList() {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), KEEP_LIST_TIMEOUT_MS);
  try {
    const response = await fetch("/survey/keep.json", {
      credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" }, signal: abort.signal,
    });
    if (!response.ok || response.redirected) return null;
    return await response.json();
  } catch (error) {
    return null;
  } finally {
    clearTimeout(timer);
  }
}

// Keep what the surveyor needs, in the background: the returned records into the tablet's
// store, the pages through the worker (only those whose stamp changed), the count on screen.
async function keepForOffline(registration, strip) {
  const note = strip?.querySelector(".ready-note");
  const show = (text) => {
    if (!note) return;
    note.hidden = false;
    say(note, text);
  };
  const last = await kept.readiness(user).catch(() => null);
  if (last && last.complete) show(t("offline_ready_n", { n: last.total }));
  if (registration?.active) await ask(registration.active, { type: "claim", user }, 2000);
  if (navigator.onLine === false) return;
  const list = await keepList();
  if (!list) return;
  await kept.setReturned(user, list.returned || []);
  if (!registration || !registration.active) return;
  const total = list.pages.length;
  if (!(last && last.complete)) show(t("keeping", { done: 0, total }));
  const progress = (p) => {
    if (p.fetched || !(last && last.complete)) show(t("keeping", { done: p.done, total: p.total }));
  };
  const answer = await ask(registration.active, { type: "keep", user, pages: list.pages }, 60000, progress);
  if (!answer || answer.failed) {
    const done = answer && answer.done ? answer.done - answer.failed : 0;
    await kept.setReadiness(user, { complete: false, total, done });
    show(t("keep_incomplete", { done, total }));
    return;
  }
  await kept.setReadiness(user, { complete: true, total });
  document.documentElement.dataset.offline = "ready";
  show(t("offline_ready_n", { n: total }));
}

function topBar() {
  const tools = document.querySelector(".topbar .tools");
  if (!tools) return null;
  const bar = document.createElement("span");
  bar.className = "sync-bar";
  // The counts stay empty until the tablet's store has been read: never a 0 that is not known.
  bar.innerHTML = `<a class="outbox-link" href="/survey/outbox"><span class="label"></span> <span class="count"></span></a>`
    + `<a class="fix-link" href="/survey/outbox#corrections" hidden><span class="label"></span> <span class="count"></span>`
    + ` <span class="kinds"><span class="returned"></span> <span class="refused"></span></span></a>`
    + `<button type="button" class="link sync-now"></button>`;
  bar.querySelector(".outbox-link .label").textContent = t("outbox");
  bar.querySelector(".fix-link .label").textContent = t("needs_fix");
  const sync = bar.querySelector(".sync-now");
  sync.textContent = t("sync_now");
  sync.addEventListener("click", () => outbox.sync());
  tools.prepend(bar);
  return bar;
}

// Under the top bar: the banner without signal, and how ready the tablet is for it.
function netStrip() {
  const main = document.querySelector("main");
  if (!main) return null;
  const strip = document.createElement("div");
  strip.className = "netbar";
  strip.innerHTML = `<p class="net-banner" role="status" hidden></p><p class="ready-note" hidden></p>`;
  main.prepend(strip);
  return strip;
}

let lastStatus = "idle";

async function refresh(bar, strip) {
  const all = await outbox.items();
  const open = all.filter((entry) => outbox.OPEN.includes(entry.state)).length;
  const fixes = await kept.corrections(user);
  const returned = fixes.returned.length;
  const refused = fixes.refused.length;
  bar.querySelector(".outbox-link .count").textContent = String(open);
  bar.dataset.pending = String(open);
  const fix = bar.querySelector(".fix-link");
  fix.hidden = returned + refused === 0;
  fix.querySelector(".count").textContent = String(returned + refused);
  const kinds = [[".returned", "kind_returned", returned], [".refused", "kind_refused", refused]];
  for (const [selector, key, n] of kinds) {
    const el = fix.querySelector(selector);
    el.hidden = n === 0;
    el.textContent = t(key, { n });
  }
  if (strip) showBanner(strip, open);
}

function isOffline() {
  return navigator.onLine === false || lastStatus === "offline";
}

function showBanner(strip, open) {
  const banner = strip.querySelector(".net-banner");
  banner.hidden = !isOffline();
  banner.dataset.pending = String(open);
  say(banner, open ? t("offline_banner", { n: open }) : t("offline_banner_none"));
}

function showStatus(bar, status) {
  lastStatus = navigator.onLine === false ? "offline" : status;
  bar.dataset.status = lastStatus;
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

// Logging out: say what is still unsent, and lock the pages kept for this account (they are
// shown again only once the same account logs in on this tablet).
function guardLogout(registration) {
  const logout = document.querySelector("form[action$='/logout']");
  if (!logout) return;
  logout.addEventListener("submit", async (event) => {
    event.preventDefault();
    const open = (await outbox.items()).filter((e) => e.state !== "sent" && e.state !== "conflict").length;
    if (open && !window.confirm(t("logout_pending", { n: open }))) return;
    if (registration?.active) await ask(registration.active, { type: "lock" }, 2000);
    HTMLFormElement.prototype.submit.call(logout);
  });
}

async function main() {
  showToast();
  outbox.setUser(user);
  const bar = user ? topBar() : null;
  const strip = user ? netStrip() : null;
  if (bar) {
    const update = () => refresh(bar, strip).catch(() => {});
    const status = (next) => {
      showStatus(bar, next);
      update();
    };
    window.addEventListener("census:outbox", update);
    window.addEventListener("census:kept", update);
    window.addEventListener("census:sync", (event) => status(event.detail.status));
    window.addEventListener("offline", () => status("offline"));
    window.addEventListener("online", () => {
      status("idle");
      outbox.sync();
    });
    status("idle");
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
    await keepForOffline(registration, strip);
  }
}

main();
