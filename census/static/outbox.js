// The outbox: every saved form waits here until the server has answered it.
//
// Online or not, a save puts the form in the outbox and then tries to send it, so there is
// one code path. Each item carries its client-made uuid: a retry after a lost answer gets
// the first answer back (POST: same uuid and body → 200 with the same id), never a second
// record. States: waiting → sending → sent | rejected (422, back to the surveyor with the
// server's messages) | conflict (an edit that started from an older revision, kept for a
// reviewer). A failed attempt (no signal, server down) puts the item back to waiting.
//
// A form saved again while its item still waits is one item, holding the latest version
// (``save``): replaced in place if it never left the tablet; if it may have reached the
// server already (it was tried), the new version follows it as an edit of the record the
// first one makes, so the record is stored once and ends as last saved.

import { all, get, put, remove, update } from "./db.js";

export const OPEN = ["waiting", "sending"];
const SENT_KEPT_DAYS = 7;
// A request on a weak signal may take this long before the outbox tries again later.
const REQUEST_TIMEOUT_MS = 15000;

const channel = "BroadcastChannel" in self ? new BroadcastChannel("census-outbox") : null;
let status = "idle"; // idle | syncing | offline | login
let user = "";
const priority = [];
let queued = null;
let tail = Promise.resolve();

function emit(name, detail) {
  window.dispatchEvent(new CustomEvent(name, { detail }));
}

function changed() {
  emit("census:outbox", {});
  if (channel) channel.postMessage("changed");
}
if (channel) channel.onmessage = () => emit("census:outbox", {});

function setStatus(next) {
  status = next;
  emit("census:sync", { status });
}

export function currentStatus() {
  return status;
}

/** The outbox works for the account logged in on this page (from the page's script tag). */
export function setUser(name) {
  user = name || "";
}

/**
 * Whose records, drafts and kept lists these are on the tablet: the account of the page's
 * script tag and, in a street of several communities, its community — the same username
 * in two communities is two people, and one's household must never be sent to the other
 * (a street serves every community on the same addresses). The first community's keep the
 * bare username, as before there were streets; usernames hold no "@".
 */
export function accountKey(script) {
  const name = script?.dataset.user || "";
  const community = script?.dataset.community || "";
  return name && community ? `${name}@${community}` : name;
}

// The username a key stands for, as the server names the logged-in account, and its community.
function accountName(key) {
  return key.split("@")[0];
}

function communityOf(key) {
  return key.includes("@") ? key.slice(key.indexOf("@") + 1) : "";
}

export async function items() {
  const found = (await all("outbox")).filter((item) => item.user === user);
  return found.sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
}

export function item(uuid) {
  return get("outbox", uuid);
}

/** Put a saved form in the outbox (replacing an earlier attempt with the same uuid). */
export async function add(entry) {
  await put("outbox", { ...entry, user, state: "waiting", errors: null, created_at: new Date().toISOString() });
  changed();
}

/**
 * Save a form through the outbox, keeping one item per record: a new version of an item
 * that still waits (or was sent back) replaces it, or follows it once it has been answered.
 * `entry` is as for `add`; its body carries its uuid (and an edit its base_revision).
 */
export async function save(entry) {
  const now = new Date().toISOString();
  let kept = false;
  await update("outbox", entry.uuid, (e) => {
    if (e.user !== user) return e;
    kept = true;
    const fresh = { body: entry.body, title: entry.title, building: entry.building, page: entry.page, back: entry.back };
    if (e.state === "rejected" || (e.state === "waiting" && !e.attempts)) {
      // Nothing of it is on the server: the new version replaces it.
      return { ...e, ...fresh, state: "waiting", errors: null, next: null, attempts: 0, updated_at: now };
    }
    if (OPEN.includes(e.state)) {
      // It may be on the server already: the new version goes after it, as an edit.
      return { ...e, next: { body: entry.body, title: entry.title }, updated_at: now };
    }
    kept = false; // answered already: the new version is an item of its own
    return e;
  });
  if (!kept) await add(entry);
  else changed();
}

/** The newest item still open or sent back for a record's API address (an edit in waiting). */
export async function latestFor(url) {
  const found = (await items()).filter((e) => e.url === url && (OPEN.includes(e.state) || e.state === "rejected"));
  return found.length ? found[found.length - 1] : null;
}

/** The version an item will leave as last: its follow-up if it has one. */
export function latestBody(entry) {
  return (entry.next && entry.next.body) || entry.body;
}

// An item answered while a newer version waited behind it: the newer one becomes an edit of
// the record, from the revision the answer made (a new record is revision 1).
async function followUp(done) {
  const next = done.next;
  await update("outbox", done.uuid, (e) => ({ ...e, next: null }));
  if (!next) return;
  const uuid = crypto.randomUUID();
  const isNew = done.method === "POST";
  const recordId = isNew ? done.record_id : done.url.split("/").pop();
  if (!recordId) return;
  const base = isNew ? 1 : (done.state === "sent" && done.revision) || done.body.base_revision;
  const url = isNew ? `${done.url}/${recordId}` : done.url;
  await put("outbox", {
    uuid, user: done.user, form: done.form, method: "PUT", url,
    body: { ...next.body, uuid, base_revision: base },
    building: done.building, title: next.title || done.title,
    page: `/survey/${done.form}/${recordId}/edit?uuid=${uuid}`, back: done.back,
    state: "waiting", errors: null, created_at: new Date().toISOString(),
  });
}

/**
 * Withdraw a visit tapped by mistake (撤销): dropped if it never left the tablet (or the
 * server refused it), else followed by a withdrawal request, sent after it. Returns what was
 * done: "dropped", "queued" (the withdrawal's item) or null (no such visit here).
 */
export async function withdrawVisit(uuid) {
  const visit = await get("outbox", uuid);
  if (!visit || visit.user !== user || visit.kind !== "visit") return null;
  if (visit.state === "rejected" || (visit.state === "waiting" && !visit.attempts)) {
    await drop(uuid);
    return "dropped";
  }
  const key = crypto.randomUUID();
  await put("outbox", {
    uuid: key, user, kind: "visit-undo", method: "POST", url: `/api/v1/visits/${encodeURIComponent(uuid)}/undo`,
    body: {}, building: visit.building, title: visit.title, page: visit.page, back: visit.back,
    state: "waiting", errors: null, created_at: new Date().toISOString(),
  });
  await update("outbox", uuid, (e) => ({ ...e, withdrawn: key }));
  changed();
  return key;
}

export async function drop(uuid) {
  await remove("outbox", uuid);
  changed();
}

/** Forget sent items after a week; the server has them. */
export async function prune() {
  const cutoff = Date.now() - SENT_KEPT_DAYS * 86400000;
  const old = (await items()).filter(
    (entry) => entry.state === "sent" && Date.parse(entry.done_at || entry.created_at) < cutoff,
  );
  for (const entry of old) await remove("outbox", entry.uuid);
  if (old.length) changed();
}

async function fetchWithTimeout(url, options) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), REQUEST_TIMEOUT_MS);
  try {
    return await fetch(url, { ...options, signal: abort.signal, credentials: "same-origin", cache: "no-store" });
  } finally {
    clearTimeout(timer);
  }
}

// Who the server says is logged in, and a fresh CSRF token for this run's writes.
async function session() {
  let response;
  try {
    response = await fetchWithTimeout("/api/v1/me", { headers: { Accept: "application/json" } });
  } catch (error) {
    return { offline: true };
  }
  if (response.status === 401) return { login: true };
  if (!response.ok) return { offline: true };
  try {
    const data = await response.json();
    // the community that answered (a street's server says it on every answer; "" the first)
    const community = response.headers.get("X-Census-Community") || "";
    return { username: data.username, token: data.csrf_token, community };
  } catch (error) {
    return { offline: true }; // a captive portal's page, not our API
  }
}

// One attempt at one item; the answer decides its next state.
async function attempt(entry, token) {
  let response;
  try {
    response = await fetchWithTimeout(entry.url, {
      method: entry.method,
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
      body: JSON.stringify(entry.body),
    });
  } catch (error) {
    return { retry: "offline" };
  }
  let data = {};
  try {
    data = await response.json();
  } catch (error) {
    data = {};
  }
  const general = (message) => ({ "": [message || `HTTP ${response.status}`] });
  if (response.status === 200 || response.status === 201) {
    return {
      state: "sent", record_id: data.id, household_no: data.household_no, warnings: data.warnings || {},
      revision: data.revision, // an edit's new revision
      flagged: Boolean(data.flagged), not_home_count: data.not_home_count, // a visit's door
    };
  }
  if (response.status === 422) return { state: "rejected", errors: data.errors || general(data.message) };
  if (response.status === 409 && data.conflict !== undefined) return { state: "conflict", conflict: data.conflict };
  if (response.status === 400 && data.error === "csrf_invalid") return { retry: "token" };
  if (response.status === 401) return { retry: "login" };
  if ([400, 403, 404, 409, 413].includes(response.status)) return { state: "rejected", errors: general(data.message) };
  return { retry: "server" }; // 5xx, a proxy's error page: try again later
}

async function next() {
  while (priority.length) {
    const wanted = await get("outbox", priority.shift());
    if (wanted && wanted.user === user && OPEN.includes(wanted.state)) return wanted;
  }
  return (await items()).find((entry) => OPEN.includes(entry.state));
}

async function runOnce() {
  if (!user) return;
  const pending = (await items()).filter((entry) => OPEN.includes(entry.state));
  if (!pending.length) {
    setStatus("idle");
    return;
  }
  if (navigator.onLine === false) {
    setStatus("offline");
    return;
  }
  setStatus("syncing");
  let auth = await session();
  if (auth.offline || auth.login) {
    setStatus(auth.login ? "login" : "offline");
    return;
  }
  if (auth.username !== accountName(user) || auth.community !== communityOf(user)) {
    setStatus("login"); // someone else is logged in on this tablet now; keep these for their owner
    return;
  }
  for (let entry = await next(); entry; entry = await next()) {
    await update("outbox", entry.uuid, (e) => ({ ...e, state: "sending", attempts: (e.attempts || 0) + 1, tried_at: new Date().toISOString() }));
    changed();
    let result = await attempt(entry, auth.token);
    if (result.retry === "token") {
      auth = await session();
      result = auth.token ? await attempt(entry, auth.token) : { retry: "login" };
      if (result.retry === "token") result = { retry: "server" };
    }
    if (result.retry) {
      await update("outbox", entry.uuid, (e) => ({ ...e, state: "waiting", last_error: result.retry }));
      changed();
      emit("census:sent", { uuid: entry.uuid, state: "waiting" });
      setStatus(result.retry === "login" ? "login" : "offline");
      return;
    }
    let done = await update("outbox", entry.uuid, (e) => ({ ...e, ...result, last_error: null, done_at: new Date().toISOString() }));
    if (done && done.next && result.state === "rejected") {
      // Refused, and a newer version waits: that one is what the surveyor wants sent.
      done = await update("outbox", entry.uuid, (e) => ({
        ...e, body: { ...e.next.body, uuid: e.body.uuid, ...(e.method === "PUT" ? { base_revision: e.body.base_revision } : {}) },
        title: e.next.title || e.title, next: null, state: "waiting", errors: null, attempts: 0,
      }));
    } else if (done && done.next) {
      await followUp(done);
    }
    changed();
    emit("census:sent", { ...(done || result), uuid: entry.uuid });
  }
  setStatus("idle");
}

function locked(work) {
  // One sender at a time across this browser's tabs; the server is idempotent anyway.
  if (navigator.locks) return navigator.locks.request("census-outbox", work);
  return work();
}

/**
 * Send what waits. Calls while a run is going queue one more run after it, so an item saved
 * meanwhile is never left behind. `first` puts one item at the head of the queue.
 */
export function sync(first) {
  if (first) priority.push(first);
  if (!queued) {
    queued = tail.then(() => {
      queued = null;
      return locked(runOnce);
    });
    tail = queued.catch(() => {});
  }
  return queued;
}

/** Save-and-send for a form page: resolves with the item's state after one try, or "waiting". */
export function sendNow(uuid, timeoutMs) {
  return new Promise((resolve) => {
    let finished = false;
    const finish = (answer) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      window.removeEventListener("census:sent", onSent);
      resolve(answer);
    };
    const onSent = (event) => {
      if (event.detail.uuid === uuid) finish(event.detail);
    };
    const timer = setTimeout(() => finish({ uuid, state: "waiting" }), timeoutMs);
    window.addEventListener("census:sent", onSent);
    sync(uuid).then(
      async () => finish((await item(uuid)) || { uuid, state: "waiting" }),
      () => finish({ uuid, state: "waiting" }),
    );
  });
}
