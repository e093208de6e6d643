// Drafts: what is typed into a form, kept on the tablet at every change, so that a reload,
// a crash or a flat battery loses nothing. A new form's draft is keyed by the uuid it will
// be sent with; an edit's draft by the record it edits.

import { all, get, put, remove } from "./db.js";

function changed() {
  window.dispatchEvent(new CustomEvent("census:drafts"));
}

export function draft(id) {
  return get("drafts", id);
}

export async function drafts(user) {
  const found = (await all("drafts")).filter((entry) => entry.user === user);
  return found.sort((a, b) => (a.updated_at > b.updated_at ? -1 : 1));
}

export async function keep(entry) {
  await put("drafts", { ...entry, updated_at: new Date().toISOString() });
  changed();
}

export async function discard(id) {
  await remove("drafts", id);
  changed();
}
