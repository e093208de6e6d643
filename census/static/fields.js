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

// The rosters of one scope (the form, or one entry: a repeat inside a repeat is its own).
function rosters(scope) {
  const member = scope.classList.contains("member") ? scope : null;
  return [...scope.querySelectorAll("[data-roster]")].filter((roster) => roster.closest(".member") === member);
}

// A roster's own entries (not those of the repeats inside them); an entry hidden because
// the repeat count is 0 is not one.
function members(roster) {
  return [...roster.querySelectorAll(":scope > .member")];
}

function readScope(scope) {
  const data = {};
  for (const box of boxes(scope)) data[box.dataset.key] = readBox(box);
  for (const roster of rosters(scope)) {
    data[roster.dataset.roster] = members(roster).filter((m) => !m.hidden).map(readScope);
  }
  return data;
}

/** The answers as the API takes them: {building: …, members: [{name: …, kids: [{…}]}, …]}. */
export function readForm(form) {
  return readScope(form);
}

function writeScope(scope, data) {
  for (const box of boxes(scope)) if (box.dataset.key in data) writeBox(box, data[box.dataset.key]);
  for (const roster of rosters(scope)) {
    const rows = Array.isArray(data[roster.dataset.roster]) ? data[roster.dataset.roster] : [];
    const wanted = Math.max(rows.length, 1);
    while (members(roster).length < wanted) window.CensusForms.addMember(roster, true);
    while (members(roster).length > wanted) members(roster).pop().remove();
    window.CensusForms.renumber(roster);
    members(roster).forEach((member, i) => {
      member.hidden = false;
      if (rows[i]) writeScope(member, rows[i]);
    });
  }
}

export function writeForm(form, data) {
  writeScope(form, data);
  window.CensusForms.applyRelevance(form);
}

// --- messages beside the fields --------------------------------------------------------------

// The place for a message at a server path: members[1].id_number → the id_number box of the
// second member on the page, members[0].kids[1].k_name → in that member's second child;
// members → the roster; anything else → the top of the form.
export function locate(form, path) {
  const parts = String(path).split(".");
  let scope = form;
  for (let i = 0; i < parts.length; i++) {
    const m = /^(\w+)(?:\[(\d+)\])?$/.exec(parts[i]);
    if (!m) return { general: true };
    const last = i === parts.length - 1;
    const roster = rosters(scope).find((r) => r.dataset.roster === m[1]);
    if (roster && last) return { roster };
    if (roster) {
      const member = m[2] === undefined ? null : members(roster)[Number(m[2])];
      if (!member) return { general: true };
      scope = member;
      continue;
    }
    const box = last ? boxes(scope).find((b) => b.dataset.key === m[1]) : null;
    return box ? { box } : { general: true };
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
    where.roster.querySelector(":scope > h2, :scope > h3").after(p);
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
