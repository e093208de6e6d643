// The tablet's own store (IndexedDB): the outbox of saved forms, the drafts being typed, and
// what the server listed for the tablet to keep (its returned records, how ready it is).
// IndexedDB survives reloads, crashes and days without signal; localStorage would block the
// page on every keystroke and holds far less.

const NAME = "census";
const VERSION = 2; // 2: "kept", what the server listed for the tablet to keep (kept.js)
let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "uuid" });
        if (!db.objectStoreNames.contains("drafts")) db.createObjectStore("drafts", { keyPath: "id" });
        if (!db.objectStoreNames.contains("kept")) db.createObjectStore("kept", { keyPath: "id" });
      };
      request.onsuccess = () => {
        const db = request.result;
        db.onversionchange = () => db.close(); // a newer page wants to upgrade: let it
        resolve(db);
      };
      request.onerror = () => {
        opening = null;
        reject(request.error);
      };
    });
  }
  return opening;
}

// Run `work(store)` in one transaction; resolve with what it returns once the transaction
// has committed (so that a resolved write is really on disk).
async function transact(storeName, mode, work) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    let result;
    Promise.resolve(work(tx.objectStore(storeName))).then((value) => { result = value; }, reject);
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

export function get(storeName, key) {
  let found;
  return transact(storeName, "readonly", (store) => {
    store.get(key).onsuccess = (event) => { found = event.target.result; };
  }).then(() => found);
}

export function all(storeName) {
  let found = [];
  return transact(storeName, "readonly", (store) => {
    store.getAll().onsuccess = (event) => { found = event.target.result; };
  }).then(() => found);
}

export function put(storeName, value) {
  return transact(storeName, "readwrite", (store) => { store.put(value); });
}

export function remove(storeName, key) {
  return transact(storeName, "readwrite", (store) => { store.delete(key); });
}

/** Read, change and write one entry in a single transaction; `change` returns the new value. */
export function update(storeName, key, change) {
  let updated;
  return transact(storeName, "readwrite", (store) => {
    const read = store.get(key);
    read.onsuccess = () => {
      if (read.result === undefined) return;
      updated = change(read.result);
      store.put(updated);
    };
  }).then(() => updated);
}
