// Visit outcomes at the door (无人在家 / 拒绝 / 空置): one tap, with or without signal.
//
// The buttons post a plain form without JavaScript. With it, a tap puts the visit in the
// outbox (the same path as a saved household: its uuid makes a retry the same visit) and the
// page says so at once, with 撤销 (undo) for a mis-tap; the outbox sends it in the
// background. A quick answer reloads the page to show the door's new state; a slow one is
// left to the outbox, which sends by itself when the signal comes back.
//
// The same outcome tapped again at the same door within a minute is the same visit: the
// tablet does not add it again (and the server, should two get there, keeps one).

import { address, t } from "./i18n.js";
import * as outbox from "./outbox.js";
import { toast } from "./offline.js";

const QUICK_ANSWER_MS = 1000;
const SAME_VISIT_MS = 60000;

function say(form, text, kind, undo) {
  let box = form.querySelector(".visit-status");
  if (!box) {
    box = document.createElement("p");
    box.setAttribute("role", "status");
    form.append(box);
  }
  box.className = `flash ${kind} visit-status`;
  box.replaceChildren(text);
  if (undo) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "small undo";
    b.textContent = t("undo");
    b.addEventListener("click", async () => {
      b.disabled = true;
      await undoVisit(form, undo);
    });
    box.append(" ", b);
  }
}

function buttonLabel(button) {
  return [...button.childNodes]
    .filter((node) => !(node.nodeType === Node.ELEMENT_NODE && node.getAttribute("aria-hidden")))
    .map((node) => node.textContent)
    .join("")
    .trim();
}

// The visit of this door and outcome made on this tablet within the last minute, if any.
async function recentVisit(body) {
  const now = Date.now();
  return (await outbox.items()).find((e) => e.kind === "visit" && !e.withdrawn && e.state !== "rejected"
    && e.body.building === body.building && e.body.unit === body.unit && e.body.room === body.room
    && e.body.outcome === body.outcome && now - Date.parse(e.created_at) < SAME_VISIT_MS);
}

async function undoVisit(form, visit) {
  const done = await outbox.withdrawVisit(visit.uuid);
  if (!done) return;
  say(form, t("visit_undone", { door: address(visit.body), outcome: visit.label }), "info");
  if (done === "dropped") return;
  const answer = await outbox.sendNow(done, QUICK_ANSWER_MS);
  if (answer.state === "sent") location.reload();
}

async function record(form, button) {
  const field = (name) => (form.elements[name]?.value || "").trim();
  const uuidField = form.elements.uuid;
  const body = {
    uuid: field("uuid") || crypto.randomUUID(),
    building: field("building"),
    unit: field("unit"),
    room: field("room"),
    outcome: button.value,
    visited_at: new Date().toISOString(), // the tap, not the moment the signal came back
  };
  const label = buttonLabel(button);
  const door = address(body);
  const earlier = await recentVisit(body);
  if (earlier) {
    // A second tap of the same outcome at the same door: the visit is recorded already.
    say(form, t("visit_again", { door, outcome: label }), "success", { ...earlier, label });
    return;
  }
  await outbox.add({
    uuid: body.uuid,
    kind: "visit",
    method: "POST",
    url: "/api/v1/visits",
    body,
    building: body.building,
    title: `${door} · ${label}`,
    page: location.pathname + location.search,
    back: location.pathname,
  });
  if (uuidField) uuidField.value = crypto.randomUUID(); // the next tap is another visit
  const visit = { uuid: body.uuid, body, label };
  say(form, t("visit_local", { door, outcome: label }), "success", visit); // at once
  return { sending: followUp(form, visit, door) }; // the buttons are free again meanwhile
}

// A quick answer shows the door's new state; a slower one is left to the outbox.
async function followUp(form, visit, door) {
  const answer = await outbox.sendNow(visit.uuid, QUICK_ANSWER_MS);
  if (answer.state === "sent") {
    const warnings = answer.flagged ? [t("visit_flagged", { door, n: answer.not_home_count })] : [];
    toast({ text: t("visit_saved", { door, outcome: visit.label }), warnings, undo: visit });
    location.reload();
  } else if (answer.state === "rejected") {
    say(form, t("visit_rejected", { door }), "error");
  }
}

// 撤销 on the note a reloaded page shows for the visit just sent (offline.js's toast).
function undoButton(visit, note) {
  if (!visit || Date.now() - Date.parse(visit.body.visited_at) > SAME_VISIT_MS) return;
  const form = document.querySelector("form[data-visit]");
  if (!form) return;
  const b = document.createElement("button");
  b.type = "button";
  b.className = "small undo";
  b.textContent = t("undo");
  b.addEventListener("click", async () => {
    b.disabled = true;
    note.remove();
    await undoVisit(form, visit);
  });
  note.append(" ", b);
}

export function bindVisitForms(root = document) {
  if (!("indexedDB" in window)) return; // the plain form post still works
  for (const form of root.querySelectorAll("form[data-visit]")) {
    form.addEventListener("submit", (event) => {
      const button = event.submitter;
      if (!button || button.name !== "outcome") return;
      event.preventDefault();
      for (const b of form.querySelectorAll("button[name=outcome]")) b.disabled = true;
      // Disabled while the tap is written down (a moment), not while it is sent.
      record(form, button)
        .then((started) => {
          if (started) started.sending.catch(() => {});
        })
        .catch(() => {
          // IndexedDB refused (private mode, full disk): post the form as without JavaScript
          const outcome = document.createElement("input");
          outcome.type = "hidden";
          outcome.name = "outcome";
          outcome.value = button.value;
          form.append(outcome);
          HTMLFormElement.prototype.submit.call(form);
        })
        .finally(() => {
          for (const b of form.querySelectorAll("button[name=outcome]")) b.disabled = false;
        });
    });
  }
}

const user = outbox.accountKey(document.querySelector("script[data-census]"));
if (user) {
  outbox.setUser(user);
  bindVisitForms();
  const note = document.querySelector(".flash[data-undo]");
  if (note) undoButton(JSON.parse(note.dataset.undo), note);
}
