// The answers of a survey form and the messages beside its fields, for survey.js.
// Answers are read in the shape the API takes ({building: …, members: [{name: …}]}) and
// messages are placed by the server's paths (members[1].id_number → the second member's
// id_number box), so browser checks and server answers land in the same places.

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

function rosters(form) {
  return [...form.querySelectorAll("[data-roster]")];
}

function members(roster) {
  return [...roster.querySelectorAll(".member")];
}

/** The answers as the API takes them: {building: …, members: [{name: …}, …]}. */
export function readForm(form) {
  const data = {};
  for (const box of boxes(form)) data[box.dataset.key] = readBox(box);
  for (const roster of rosters(form)) {
    data[roster.dataset.roster] = members(roster).map((member) => {
      const row = {};
      for (const box of boxes(member)) row[box.dataset.key] = readBox(box);
      return row;
    });
  }
  return data;
}

export function writeForm(form, data) {
  for (const box of boxes(form)) if (box.dataset.key in data) writeBox(box, data[box.dataset.key]);
  for (const roster of rosters(form)) {
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

// --- messages beside the fields --------------------------------------------------------------

// The place for a message at a server path: members[1].id_number → the id_number box of the
// second member on the page; members → the roster; anything else → the top of the form.
export function locate(form, path) {
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

function generalArea(form) {
  let area = form.querySelector(".form-general");
  if (!area) {
    area = document.createElement("div");
    area.className = "form-general";
    form.prepend(area);
  }
  return area;
}

export function say(form, where, text, origin) {
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
    generalArea(form).append(p);
  }
}

// Server messages have no data-origin when the page was rendered after a refused POST.
function originOf(p) {
  return p.dataset.origin || "server";
}

export function tidy(form) {
  for (const box of form.querySelectorAll(".field")) {
    const wrong = box.querySelector("p.error") !== null;
    box.classList.toggle("has-error", wrong);
    box.querySelectorAll("input:not([type=checkbox]):not([type=radio]), select, textarea").forEach((el) => {
      el.setAttribute("aria-invalid", wrong ? "true" : "false");
    });
  }
  document.getElementById("form-problems").hidden = form.querySelector("p.error") === null;
}

export function clearMessages(form, origin, scope = form) {
  scope.querySelectorAll("p.error").forEach((p) => {
    if (originOf(p) === origin) p.remove();
  });
}

export function showServerErrors(form, errors) {
  clearMessages(form, "server");
  for (const [path, texts] of Object.entries(errors || {})) {
    const where = locate(form, path);
    for (const text of texts) say(form, where, text, "server");
  }
  tidy(form);
}

export function scrollToFirstError(form) {
  const first = form.querySelector(".has-error, p.error");
  if (!first) return;
  first.scrollIntoView({ block: "center" });
  const control = first.closest(".field")?.querySelector("input, select, textarea");
  if (control) control.focus({ preventScroll: true });
}
