// A survey form in the browser: drafts kept as it is typed, the server's checks run before
// saving, and saving through the outbox (the same path with and without signal).
// Without JavaScript the form still posts to the server, which checks and saves it.
//
// Saving never waits for the signal: the form goes into the outbox (on the tablet) and the
// page says so at once; a quick answer from the server is shown as such (saved, or the
// fields it refused), anything slower is left to the outbox, which sends in the background.
// A form still waiting in the outbox opens with its latest version and is saved over it.

import { check, message, today } from "./checks.js";
import * as drafts from "./drafts.js";
import { address, t, when } from "./i18n.js";
import * as kept from "./kept.js";
import * as outbox from "./outbox.js";
import { toast } from "./offline.js";
import {
  clearMessages, locate, readForm, say, scrollToFirstError, showServerErrors, tidy, writeForm,
} from "./fields.js";

// How long a save waits for a quick answer (it is confirmed on the tablet before that).
const QUICK_ANSWER_MS = 1000;

const form = document.querySelector("form.survey");
const rulesTag = document.getElementById("census-checks");
if (form && rulesTag && window.CensusForms && "indexedDB" in window) start(form, JSON.parse(rulesTag.textContent));

function headName(data) {
  const people = Array.isArray(data.members) ? data.members : [];
  const head = people.find((m) => m.relation === "head") || people[0] || {};
  return head.name || "";
}

function title(data) {
  if (!Array.isArray(data.members)) {
    // a storefront or a unit: its name and where it is
    return [data.name, data.address || data.building].filter(Boolean).join(" · ") || t("untitled");
  }
  const name = headName(data);
  return name ? `${address(data)} · ${name}` : address(data);
}

// --- the page --------------------------------------------------------------------------------

function notice(html, kind = "info") {
  const box = document.createElement("div");
  box.className = `flash ${kind} notice`;
  box.setAttribute("role", "status");
  box.append(...html);
  document.getElementById("form-problems").before(box);
  return box;
}

function link(text, href) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  return a;
}

function button(text, onTap) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "small";
  b.textContent = text;
  b.addEventListener("click", onTap);
  return b;
}

function withParam(url, name, value) {
  const u = new URL(url, location.href);
  if (value === null) u.searchParams.delete(name);
  else u.searchParams.set(name, value);
  return u.pathname + u.search;
}

async function start(form, rules) {
  const user = outbox.accountKey(document.querySelector("script[data-census]"));
  if (!user) return;
  outbox.setUser(user);
  const params = new URLSearchParams(location.search);
  const checksOn = params.get("checks") !== "off"; // tests turn them off to reach the server
  const mode = form.dataset.outbox || ""; // POST (a new record), PUT (an edit), "" (plain POST)
  const recordId = form.dataset.recordId || "";
  const formName = form.dataset.form;
  let uuid = params.get("uuid") || "";
  const revInput = form.querySelector("input[name=_rev]");
  // The outbox item this form carries on: sent back by the server, or still waiting to go.
  const continues = (entry) => entry && entry.user === user && (entry.state === "rejected" || outbox.OPEN.includes(entry.state));
  let item = null;
  if (recordId) {
    item = await outbox.latestFor(form.dataset.api);
    await showReturnComment(form, user);
  } else {
    // A new form is known by the uuid it will be sent with; the URL keeps it, so that a
    // reload or a crash comes back to the same draft.
    const found = uuid ? await outbox.item(uuid) : null;
    if (continues(found)) item = found;
    else if (!uuid || found) {
      if (found) notice([t("sent_already")]);
      uuid = crypto.randomUUID();
    }
    history.replaceState(history.state, "", withParam(location.href, "uuid", uuid));
    applyAddress(form, params);
  }
  if (!continues(item)) item = null;
  const draftId = recordId ? `${formName}/${recordId}` : uuid;

  // 1. Restore: a draft wins over the outbox item it was made from (it is newer).
  const saved = await drafts.draft(draftId);
  if (saved && saved.user === user) {
    writeForm(form, saved.data);
    if (revInput && saved.rev) revInput.value = saved.rev;
    notice([t("draft_restored"), " ", button(t("start_over"), async () => {
      await drafts.discard(draftId);
      location.replace(withParam(location.href, "uuid", null));
    })]);
  } else if (item) {
    writeForm(form, outbox.latestBody(item));
  }
  if (item && revInput && item.body.base_revision) revInput.value = item.body.base_revision;
  if (item && item.state === "rejected") {
    notice([t("rejected_here")], "error");
    showServerErrors(form, item.errors);
    scrollToFirstError(form);
  } else if (item) {
    notice([t("waiting_here")]);
  }
  if (!recordId && !saved && !item) {
    const building = readForm(form).building || "";
    const others = (await drafts.drafts(user)).filter((d) => d.form === formName && d.id !== draftId && d.building === building && !d.record_id);
    if (others.length) {
      const list = document.createElement("span");
      others.slice(0, 5).forEach((d) => list.append(" ", link(`${t("resume")}：${d.title}`, d.url)));
      notice([t("drafts_here", { n: others.length }), list]);
    }
  }

  // 2. Keep every change.
  let writing = false;
  let again = false;
  async function keepDraft() {
    if (writing) { again = true; return; }
    writing = true;
    try {
      do {
        again = false;
        const data = readForm(form);
        await drafts.keep({
          id: draftId, user, form: formName, building: data.building || "", title: title(data), data,
          url: location.pathname + location.search, record_id: recordId || null, rev: revInput ? revInput.value : null,
        });
      } while (again);
    } finally {
      writing = false;
    }
  }

  // 3. Checks: beside a field once it has been left, everywhere after a save was tried.
  const touched = new Set();
  let tried = false;
  function runChecks() {
    clearMessages(form, "client");
    if (!checksOn) { tidy(form); return []; }
    const problems = check(rules, readForm(form), today());
    for (const p of problems) {
      const where = locate(form, p.path);
      if (tried || (where.box && touched.has(where.box))) say(form, where, message(rules, p), "client");
    }
    tidy(form);
    return problems;
  }

  form.addEventListener("input", (event) => {
    const box = event.target.closest(".field");
    if (box) clearMessages(form, "server", box); // the surveyor is correcting what was sent back
    keepDraft();
    if (tried) runChecks();
  });
  form.addEventListener("change", (event) => {
    const box = event.target.closest(".field");
    if (box) touched.add(box);
    keepDraft();
    runChecks();
  });
  form.addEventListener("census:roster", () => { keepDraft(); if (tried) runChecks(); });
  // Enter on a tablet keyboard means "next field", not "save" (nor the first remove button).
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.tagName === "INPUT") event.preventDefault();
  });
  // Back to a saved form from the next page: start over rather than resubmit the old uuid.
  window.addEventListener("pageshow", (event) => { if (event.persisted) location.reload(); });

  // 4. Save: checks, then the outbox (confirmed at once), then the send in the background.
  const saveButton = form.querySelector("button[name=save]");
  let current = item; // the outbox item a save replaces (or follows), if any
  form.addEventListener("submit", async (event) => {
    if (event.submitter && event.submitter.name !== "save") return;
    event.preventDefault();
    tried = true;
    form.parentElement.querySelectorAll(".flash.photo-busy").forEach((old) => old.remove());
    if (!(await photosReady(form))) {
      // Saving now would leave the photo out, and it would land in a form already saved.
      notice([t("photo_still_busy")], "warning").classList.add("photo-busy");
      const busy = form.querySelector(".field-image[data-photo-job]");
      if (busy) busy.scrollIntoView({ block: "center" });
      return;
    }
    const problems = runChecks();
    if (problems.length) {
      scrollToFirstError(form);
      return;
    }
    if (!mode) return plainPost();
    saveButton.disabled = true;
    try {
      await saveThroughOutbox();
    } finally {
      saveButton.disabled = false;
    }
  });

  async function plainPost() {
    if (navigator.onLine === false) {
      await keepDraft();
      notice([t("offline_draft")], "warning");
      return;
    }
    await drafts.discard(draftId);
    const hidden = document.createElement("input");
    Object.assign(hidden, { type: "hidden", name: "save", value: "1" });
    form.append(hidden);
    HTMLFormElement.prototype.submit.call(form);
  }

  async function saveThroughOutbox() {
    const started = performance.now();
    const data = readForm(form);
    const base = form.dataset.back || "/survey/";
    const url = form.dataset.api; // the collection (a new record) or the record (an edit)
    let key = uuid;
    let body = { ...data, uuid };
    if (mode === "PUT") {
      if (current && outbox.OPEN.includes(current.state)) {
        // An edit still waiting: this version replaces it (or follows it, if it left).
        key = current.uuid;
        body = { ...data, uuid: key, base_revision: current.body.base_revision };
      } else {
        // Every edit is its own request with its own uuid; it carries the revision it started from.
        key = crypto.randomUUID();
        body = { ...data, uuid: key, base_revision: Number(revInput?.value || 0) };
        if (current && current.state === "rejected") await outbox.drop(current.uuid); // replaced
      }
    }
    const page = mode === "PUT" ? withParam(location.href, "uuid", key) : location.pathname + location.search;
    await outbox.save({ uuid: key, form: formName, method: mode, url, body, building: data.building || "", title: title(data), page, back: base });
    await drafts.discard(draftId);
    current = await outbox.item(key);
    // On the tablet now: said at once, whatever the signal.
    const note = confirmation(t("saved_sending"));
    form.dataset.savedMs = String(Math.round(performance.now() - started));
    const answer = await outbox.sendNow(key, QUICK_ANSWER_MS);
    if (answer.state === "rejected") {
      note.remove();
      current = await outbox.item(key);
      if (!form.parentElement.querySelector(".flash.error.notice")) notice([t("rejected_here")], "error");
      showServerErrors(form, answer.errors);
      scrollToFirstError(form);
      return;
    }
    if (answer.state === "sent" || answer.state === "conflict") {
      const warnings = Object.values(answer.warnings || {}).flat();
      note.textContent = t(answer.state === "sent" ? "saved" : "state_conflict");
      toast({ kind: "success", text: t(answer.state === "sent" ? "saved" : "state_conflict"), warnings });
    } else {
      note.textContent = t("saved_local");
      toast({ kind: "success", text: t("saved_local"), uuid: key });
    }
    location.assign(base);
  }
}

// A returned record opened from a copy of its page kept before the return: the comment the
// tablet keeps goes where the page would have shown it.
async function showReturnComment(form, user) {
  const row = (await kept.returned(user).catch(() => [])).find((r) => r.api === form.dataset.api);
  if (!row || !row.comment) return;
  markNamedFields(form, row.comment);
  if (document.getElementById("review-comment")) return;
  const box = document.createElement("section");
  box.className = "review-comment";
  box.id = "review-comment";
  box.setAttribute("role", "alert");
  const head = document.createElement("h2");
  const hint = document.createElement("small");
  hint.textContent = t("returned_hint");
  head.append(t("returned_here"), " ", hint);
  const text = document.createElement("p");
  text.className = "comment-text";
  text.textContent = row.comment.text || t("review_check_marked");
  box.append(head, text);
  // Notes about members deleted since the return (张伟 · 联系电话): said here, as the
  // server's page says them, since they have no field left to stand beside.
  const gone = row.comment.gone || [];
  if (gone.length) {
    const line = document.createElement("p");
    line.className = "gone-members";
    line.textContent = t("gone_members", { fields: gone.join("、") });
    box.append(line);
  }
  const meta = document.createElement("p");
  meta.className = "meta";
  meta.textContent = `${row.comment.by} · ${when(row.comment.at)}`;
  box.append(meta);
  document.querySelector("main h1")?.after(box);
}

// Beside each field the return named (members[1].id_number: in that member's box), the
// reviewer's words, unless the page came with them. The paths are the roster's as the server
// has it now; a page kept before members were deleted has them elsewhere, so each note goes
// to its person found by who they are, not to the index.
function markNamedFields(form, comment) {
  if (form.querySelector(".review-note")) return;
  const text = comment.text ? t("review_note", { text: comment.text }) : t("review_check");
  const data = readForm(form);
  const people = comment.people || {};
  for (const named of comment.fields || []) {
    const path = kept.notePath(named, people[named], data);
    if (path === null) continue; // not on this page: the comment at the top says it
    const { box } = locate(form, path);
    if (!box) continue;
    const note = document.createElement("p");
    note.className = "review-note";
    const mark = document.createElement("span");
    mark.className = "mark";
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = "!";
    note.append(mark, " ", text);
    (box.querySelector(":scope > div[id$='-msg']") || box).append(note);
    box.classList.add("has-review-note");
  }
}

// A photo still being made smaller (forms.js) is waited for, so that it is saved with the
// form rather than left out: PHOTO_WAIT_MS at most, then false (the save tells the surveyor
// and waits for them). The browser tests shorten the wait with data-photo-wait on the form.
const PHOTO_WAIT_MS = 15000;
async function photosReady(form) {
  const limit = Number(form.dataset.photoWait) || PHOTO_WAIT_MS;
  for (let waited = 0; Number(form.dataset.photoBusy || 0) > 0; waited += 100) {
    if (waited >= limit) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

// The saved form's note, above the form: replaced by the next one.
function confirmation(text) {
  document.querySelectorAll(".flash.saved-note").forEach((old) => old.remove());
  const box = document.createElement("p");
  box.className = "flash success saved-note";
  box.setAttribute("role", "status");
  box.textContent = text;
  document.getElementById("form-problems").before(box);
  return box;
}

// A new form opened from the tablet's copy of another building's: the address in the link wins.
function applyAddress(form, params) {
  let building = "";
  for (const key of ["building", "unit", "room"]) {
    const value = params.get(key);
    const input = form.querySelector(`.field[data-key="${key}"] input`);
    if (value === null || !input || input.closest(".member")) continue;
    input.value = value;
    if (key === "building") building = value;
  }
  if (building && form.dataset.back) form.dataset.back = `/survey/building/${encodeURIComponent(building)}`;
}
