// Visit outcomes at the door (无人在家 / 拒绝 / 空置): one tap, with or without signal.
//
// The buttons post a plain form without JavaScript. With it, a tap puts the visit in the
// outbox (the same path as a saved household: its uuid makes a retry the same visit) and
// tries to send it at once. Sent: the page reloads and shows the door's new state. No
// signal: the visit waits on the tablet, listed with the building's unsent work, and goes
// out by itself when the signal comes back.

import { address, t } from "./i18n.js";
import * as outbox from "./outbox.js";
import { toast } from "./offline.js";

const SEND_WAIT_MS = 8000;

function say(form, text, kind) {
  let box = form.querySelector(".visit-status");
  if (!box) {
    box = document.createElement("p");
    box.setAttribute("role", "status");
    form.append(box);
  }
  box.className = `flash ${kind} visit-status`;
  box.textContent = text;
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
  };
  const label = [...button.childNodes]
    .filter((node) => !(node.nodeType === Node.ELEMENT_NODE && node.getAttribute("aria-hidden")))
    .map((node) => node.textContent)
    .join("")
    .trim();
  const door = address(body);
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
  const answer = await outbox.sendNow(body.uuid, SEND_WAIT_MS);
  if (answer.state === "sent") {
    const warnings = answer.flagged ? [t("visit_flagged", { door, n: answer.not_home_count })] : [];
    toast({ text: t("visit_saved", { door, outcome: label }), warnings });
    location.reload();
    return;
  }
  if (answer.state === "rejected") {
    say(form, t("visit_rejected", { door }), "error");
    return;
  }
  say(form, t("visit_local", { door, outcome: label }), "success");
  if (form.elements.room && form.elements.room.type !== "hidden") form.elements.room.value = "";
}

export function bindVisitForms(root = document) {
  if (!("indexedDB" in window)) return; // the plain form post still works
  for (const form of root.querySelectorAll("form[data-visit]")) {
    form.addEventListener("submit", (event) => {
      const button = event.submitter;
      if (!button || button.name !== "outcome") return;
      event.preventDefault();
      for (const b of form.querySelectorAll("button")) b.disabled = true;
      record(form, button)
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
          for (const b of form.querySelectorAll("button")) b.disabled = false;
        });
    });
  }
}

const user = document.querySelector("script[data-census]")?.dataset.user || "";
if (user) {
  outbox.setUser(user);
  bindVisitForms();
}
