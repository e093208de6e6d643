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
 * Returned records still to fix on this tablet, each with `fixed`: an edit of it, made from
 * the returned revision, is in the outbox (waiting, or sent and not yet seen by the server's
 * list). `entries` are the outbox's items.
 */
export function withFixes(rows, entries) {
  return rows.map((row) => {
    const fix = entries.find((e) => e.url === row.api && e.method === "PUT" && e.state !== "rejected"
      && Number(e.body?.base_revision || 0) >= Number(row.rev || 0));
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
