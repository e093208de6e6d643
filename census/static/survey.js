// A survey form in the browser: drafts kept as it is typed, the server's checks run before
// saving, and saving through the outbox (the same path with and without signal).
// Without JavaScript the form still posts to the server, which checks and saves it.

import { check, message, today } from "./checks.js";
import * as drafts from "./drafts.js";
import { address, t } from "./i18n.js";
import * as outbox from "./outbox.js";
import { toast } from "./offline.js";

const SEND_WAIT_MS = 12000;

const form = document.querySelector("form.survey");
const rulesTag = document.getElementById("census-checks");
if (form && rulesTag && window.CensusForms && "indexedDB" in window) start(form, JSON.parse(rulesTag.textContent));

// --- reading and writing the answers -------------------------------------------------------

// The .field boxes of one scope: the form outside rosters, or one roster member.
function boxes(scope) {
  const member = scope.classList.contains("member") ? scope : null;
  return [...scope.querySelectorAll(".field[data-key]")].filter((box) => box.closest(".member") === member);
}

function readBox(box) {
  const checks = box.querySelectorAll("input[type=checkbox]");
  const radios = box.querySelectorAll("input[type=radio]");
  if (checks.length) return [...checks].filter((b) => b.checked).map((b) => b.value);
  if (radios.length) {
    const on = [...radios].find((r) => r.checked);
    return on ? on.value : null;
  }
  const input = box.querySelector("input, select, textarea");
  return input ? input.value : null;
}

function writeBox(box, value) {
  const checks = box.querySelectorAll("input[type=checkbox]");
  const radios = box.querySelectorAll("input[type=radio]");
  if (checks.length) checks.forEach((b) => { b.checked = Array.isArray(value) && value.includes(b.value); });
  else if (radios.length) radios.forEach((r) => { r.checked = r.value === value; });
  else {
    const input = box.querySelector("input, select, textarea");
    if (input) input.value = value ?? "";
  }
}

function rosters() {
  return [...form.querySelectorAll("[data-roster]")];
}

function members(roster) {
  return [...roster.querySelectorAll(".member")];
}

/** The answers as the API takes them: {building: …, members: [{name: …}, …]}. */
function readForm() {
  const data = {};
  for (const box of boxes(form)) data[box.dataset.key] = readBox(box);
  for (const roster of rosters()) {
    data[roster.dataset.roster] = members(roster).map((member) => {
      const row = {};
      for (const box of boxes(member)) row[box.dataset.key] = readBox(box);
      return row;
    });
  }
  return data;
}

function writeForm(data) {
  for (const box of boxes(form)) if (box.dataset.key in data) writeBox(box, data[box.dataset.key]);
  for (const roster of rosters()) {
    const rows = Array.isArray(data[roster.dataset.roster]) ? data[roster.dataset.roster] : [];
    const wanted = Math.max(rows.length, 1);
    while (members(roster).length < wanted) window.CensusForms.addMember(roster, true);
    while (members(roster).length > wanted) members(roster).pop().remove();
    window.CensusForms.renumber(roster);
    members(roster).forEach((member, i) => {
      for (const box of boxes(member)) if (rows[i] && box.dataset.key in rows[i]) writeBox(box, rows[i][box.dataset.key]);
    });
  }
  window.CensusForms.applyRelevance(form);
}

function headName(data) {
  const people = Array.isArray(data.members) ? data.members : [];
  const head = people.find((m) => m.relation === "head") || people[0] || {};
  return head.name || "";
}

function title(data) {
  const name = headName(data);
  return name ? `${address(data)} · ${name}` : address(data);
}

// --- messages beside the fields --------------------------------------------------------------

// The place for a message at a server path: members[1].id_number → the id_number box of the
// second member on the page; members → the roster; anything else → the top of the form.
function locate(path) {
  let m = /^(\w+)\[(\d+)\]\.(\w+)$/.exec(path);
  if (m) {
    const roster = form.querySelector(`[data-roster="${m[1]}"]`);
    const member = roster && members(roster)[Number(m[2])];
    const box = member && boxes(member).find((b) => b.dataset.key === m[3]);
    return box ? { box } : { general: true };
  }
  m = /^(\w+)(?:\[(\d+)\])?$/.exec(path);
  if (m) {
    const roster = form.querySelector(`[data-roster="${m[1]}"]`);
    if (roster) return { roster };
    const box = boxes(form).find((b) => b.dataset.key === m[1]);
    if (box) return { box };
  }
  return { general: true };
}

function generalArea() {
  let area = form.querySelector(".form-general");
  if (!area) {
    area = document.createElement("div");
    area.className = "form-general";
    form.prepend(area);
  }
  return area;
}

function say(where, text, origin) {
  const p = document.createElement("p");
  p.className = "error";
  p.dataset.origin = origin;
  p.textContent = text;
  if (where.box) {
    const control = where.box.querySelector("input, select, textarea");
    const slot = where.box.querySelector(":scope > div[id$='-msg']") || where.box;
    if (control) p.dataset.errorFor = control.name;
    slot.append(p);
    where.box.classList.add("has-error");
  } else if (where.roster) {
    p.dataset.errorFor = where.roster.dataset.roster;
    where.roster.querySelector("h2").after(p);
  } else {
    generalArea().append(p);
  }
}

// Server messages have no data-origin when the page was rendered after a refused POST.
function originOf(p) {
  return p.dataset.origin || "server";
}

function tidy() {
  for (const box of form.querySelectorAll(".field")) {
    const wrong = box.querySelector("p.error") !== null;
    box.classList.toggle("has-error", wrong);
    box.querySelectorAll("input:not([type=checkbox]):not([type=radio]), select, textarea").forEach((el) => {
      el.setAttribute("aria-invalid", wrong ? "true" : "false");
    });
  }
  document.getElementById("form-problems").hidden = form.querySelector("p.error") === null;
}

function clearMessages(origin, scope = form) {
  scope.querySelectorAll("p.error").forEach((p) => {
    if (originOf(p) === origin) p.remove();
  });
}

function showServerErrors(errors) {
  clearMessages("server");
  for (const [path, texts] of Object.entries(errors || {})) {
    const where = locate(path);
    for (const text of texts) say(where, text, "server");
  }
  tidy();
}

function scrollToFirstError() {
  const first = form.querySelector(".has-error, p.error");
  if (!first) return;
  first.scrollIntoView({ block: "center" });
  const control = first.closest(".field")?.querySelector("input, select, textarea");
  if (control) control.focus({ preventScroll: true });
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
  const user = document.querySelector("script[data-census]")?.dataset.user || "";
  if (!user) return;
  outbox.setUser(user);
  const params = new URLSearchParams(location.search);
  const checksOn = params.get("checks") !== "off"; // tests turn them off to reach the server
  const mode = form.dataset.outbox || ""; // POST (new household), PUT (an edit), "" (plain POST)
  const recordId = form.dataset.recordId || "";
  const formName = form.dataset.form;
  let uuid = params.get("uuid") || "";
  const correcting = uuid ? await outbox.item(uuid) : null;
  if (!recordId) {
    // A new form is known by the uuid it will be sent with; the URL keeps it, so that a
    // reload or a crash comes back to the same draft.
    if (!uuid || (correcting && correcting.state !== "rejected")) {
      if (uuid) notice([t("sent_already")]);
      uuid = crypto.randomUUID();
    }
    history.replaceState(history.state, "", withParam(location.href, "uuid", uuid));
  }
  const draftId = recordId ? `${formName}/${recordId}` : uuid;
  const revInput = form.querySelector("input[name=_rev]");

  // 1. Restore: a draft wins over the outbox item it was made from (it is newer).
  const saved = await drafts.draft(draftId);
  const item = correcting && correcting.user === user && correcting.state === "rejected" ? correcting : null;
  if (saved && saved.user === user) {
    writeForm(saved.data);
    if (revInput && saved.rev) revInput.value = saved.rev;
    notice([t("draft_restored"), " ", button(t("start_over"), async () => {
      await drafts.discard(draftId);
      location.replace(withParam(location.href, "uuid", null));
    })]);
  } else if (item) {
    writeForm(item.body);
    if (revInput && item.body.base_revision) revInput.value = item.body.base_revision;
  }
  if (item) {
    notice([t("rejected_here")], "error");
    showServerErrors(item.errors);
    scrollToFirstError();
  }
  if (!recordId && !saved && !item) {
    const building = readForm().building || "";
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
        const data = readForm();
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
    clearMessages("client");
    if (!checksOn) { tidy(); return []; }
    const problems = check(rules, readForm(), today());
    for (const p of problems) {
      const where = locate(p.path);
      if (tried || (where.box && touched.has(where.box))) say(where, message(rules, p), "client");
    }
    tidy();
    return problems;
  }

  form.addEventListener("input", (event) => {
    const box = event.target.closest(".field");
    if (box) clearMessages("server", box); // the surveyor is correcting what was sent back
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

  // 4. Save: checks, then the outbox, then one try to send.
  const saveButton = form.querySelector("button[name=save]");
  let rejectedKey = item ? item.uuid : null;
  form.addEventListener("submit", async (event) => {
    if (event.submitter && event.submitter.name !== "save") return;
    event.preventDefault();
    tried = true;
    const problems = runChecks();
    if (problems.length) {
      scrollToFirstError();
      return;
    }
    if (!mode) return plainPost();
    saveButton.disabled = true;
    const label = saveButton.textContent;
    saveButton.textContent = t("saving");
    try {
      await saveThroughOutbox();
    } finally {
      saveButton.disabled = false;
      saveButton.textContent = label;
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
    const data = readForm();
    const base = form.dataset.back || "/survey/";
    let key = uuid;
    let body = { ...data, uuid };
    let url = "/api/v1/households";
    if (mode === "PUT") {
      // Every edit is its own request with its own uuid; it carries the revision it started from.
      key = crypto.randomUUID();
      body = { ...data, uuid: key, base_revision: Number(revInput?.value || 0) };
      url = `/api/v1/households/${recordId}`;
      if (rejectedKey) await outbox.drop(rejectedKey); // replaced by this corrected edit
    }
    const page = mode === "PUT" ? withParam(location.href, "uuid", key) : location.pathname + location.search;
    await outbox.add({ uuid: key, form: formName, method: mode, url, body, building: data.building || "", title: title(data), page, back: base });
    await drafts.discard(draftId);
    const answer = await outbox.sendNow(key, SEND_WAIT_MS);
    if (answer.state === "rejected") {
      rejectedKey = key;
      if (!form.parentElement.querySelector(".flash.error.notice")) notice([t("rejected_here")], "error");
      showServerErrors(answer.errors);
      scrollToFirstError();
      return;
    }
    if (answer.state === "sent" || answer.state === "conflict") {
      const warnings = Object.values(answer.warnings || {}).flat();
      toast({ kind: "success", text: t(answer.state === "sent" ? "saved" : "state_conflict"), warnings });
    } else {
      toast({ kind: "success", text: t("saved_local") });
    }
    location.assign(base);
  }
}
