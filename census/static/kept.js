// What the tablet keeps of the server's for a day without signal (offline.js fetches it from
// /survey/keep.json): the records a reviewer sent back, with the comment, and how ready the
// tablet is (how many of the pages it should keep it has). Kept per account in IndexedDB.

import { get, put } from "./db.js";
import * as outbox from "./outbox.js";

function changed() {
  window.dispatchEvent(new CustomEvent("census:kept"));
}

export async function returned(user) {
  const found = await get("kept", `returned:${user}`);
  return (found && found.rows) || [];
}

export async function setReturned(user, rows) {
  await put("kept", { id: `returned:${user}`, rows, at: new Date().toISOString() });
  changed();
}

/**
 * Returned records still to fix on this tablet, each with `fixed`: an edit of it is in the
 * outbox, waiting (made from any revision: a page kept before the return makes a fix the
 * server takes as one), or sent from the returned revision and not yet seen by the server's
 * list. `entries` are the outbox's items.
 */
export function withFixes(rows, entries) {
  return rows.map((row) => {
    const fix = entries.find((e) => e.url === row.api && e.method === "PUT" && e.state !== "rejected"
      && (outbox.OPEN.includes(e.state) || Number(e.body?.base_revision || 0) >= Number(row.rev || 0)));
    return { ...row, fixed: fix ? fix.state : null };
  });
}

/** The records to correct on this tablet: sent back by a reviewer, refused by the server. */
export async function corrections(user) {
  const entries = await outbox.items();
  const back = withFixes(await returned(user), entries).filter((row) => !row.fixed);
  const refused = entries.filter((e) => e.state === "rejected");
  return { returned: back, refused };
}

export async function readiness(user) {
  return (await get("kept", `ready:${user}`)) || null;
}

export async function setReadiness(user, state) {
  await put("kept", { id: `ready:${user}`, ...state, at: new Date().toISOString() });
}

// --- a reviewer's note on a page drawn before the roster changed -----------------------------

const ROSTER_PATH = /^(\w+)\[(\d+)\]\.(.+)$/;

// An ID number as an edit page shows a stored one (census.domain.ids.mask_id): 110105********002X.
export function maskId(value) {
  const number = String(value || "").trim().toUpperCase();
  if (!number || number.includes("*")) return number; // blank, or shown masked already
  if (number.length === 18) return number.slice(0, 6) + "*".repeat(8) + number.slice(-4);
  if (/^[0-9]{15}$/.test(number)) return number.slice(0, 6) + "*".repeat(6) + number.slice(-3);
  const hidden = Math.max(4, number.length - 4);
  if (hidden >= number.length) return "*".repeat(number.length);
  const head = Math.floor((number.length - hidden + 1) / 2);
  const tail = number.length - hidden - head;
  return number.slice(0, head) + "*".repeat(hidden) + (tail ? number.slice(-tail) : "");
}

const nameKey = (value) => String(value || "").normalize("NFKC").replace(/\s+/g, "");

/**
 * Where the person `who` (the server's ID number masked, name, birth date) is among `rows`,
 * the roster as this page has it; -1 when nobody is. census.domain.persons' rules: the ID
 * number, else name and birth date, else a name only one member bears; two different ID
 * numbers are two people.
 */
export function personAt(who, rows) {
  const id = maskId(who.id_number);
  const name = nameKey(who.name);
  const born = String(who.birth_date || "");
  const differ = (m) => Boolean(id && maskId(m.id_number) && maskId(m.id_number) !== id);
  if (id) {
    const same = rows.findIndex((m) => maskId(m.id_number) === id);
    if (same >= 0) return same;
  }
  if (!name) return -1;
  if (born) {
    const same = rows.findIndex((m) => !differ(m) && nameKey(m.name) === name && String(m.birth_date || "") === born);
    if (same >= 0) return same;
  }
  const named = rows.map((m, i) => [m, i]).filter(([m]) => !differ(m) && nameKey(m.name) === name
    && (!born || !m.birth_date || String(m.birth_date) === born));
  return named.length === 1 ? named[0][1] : -1;
}

/**
 * A note's path (members[1].phone, as the roster is on the server now) on this page, whose
 * roster (`data`, the form as read) may be older: the same person's field, found by who they
 * are (`who`, kept with the return); null when this page does not have them. A path of no
 * person, or a return kept before people were recorded with it, stays as it is.
 */
export function notePath(path, who, data) {
  const match = ROSTER_PATH.exec(String(path));
  if (!match || !who) return path;
  const rows = Array.isArray(data[match[1]]) ? data[match[1]] : [];
  const at = personAt(who, rows);
  return at < 0 ? null : `${match[1]}[${at}].${match[3]}`;
}
