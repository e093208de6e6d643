// The service worker: the survey pages and their files, kept on the tablet for no signal.
// Served from /sw.js (census/web/offline.py), which puts CENSUS_VERSION and CENSUS_FILES
// above this line.
//
// - The app's own files: from the cache first (a new version of any of them is a new worker).
// - Survey pages: from the network first, so that online the surveyor always sees today's
//   data; kept in the cache as they are opened, and answered from it without signal or when
//   the network takes too long (a stairwell with one bar).
// - The API: never cached; the outbox in the page decides what to do without signal.
// - What to keep ahead of need: the page sends the list the server made (/survey/keep.json,
//   each page with a stamp); pages whose stamp did not change are not fetched again, so a
//   login fetches only what changed. Progress goes back to the page as it goes.
// - Logging out locks the pages (never shown until their owner logs in again on this
//   tablet); another account logging in drops them.
// - The pages belong to a user of a community: a street deployment serves every community
//   on the same addresses (its cookie chooses), and every page says which community answered
//   (X-Census-Community, census/web/offline.py). A page of another community drops what is
//   kept before it is kept itself, so the same username in two communities never sees the
//   other's pages, with signal or without.
/* global CENSUS_VERSION, CENSUS_FILES */

const FILES = `census-files-${CENSUS_VERSION}`;
const PAGES = "census-pages";
const META = "census-meta";
const META_KEY = "/__census/pages-owner";
const STAMP = "X-Census-Stamp";
const COMMUNITY = "X-Census-Community";
const SLOW_NETWORK_MS = 5000;
const KEEP_WORKERS = 3;
// Query parameters that only the page's script reads: the same page is cached once.
const PAGE_ONLY_PARAMS = ["uuid", "checks", "lang"];
// A new-record form is one page for every building: its script takes the address from the link.
const NEW_FORM = /^\/survey\/[^/]+\/new$/;
const ADDRESS_PARAMS = ["building", "unit", "room"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(FILES).then((cache) => cache.addAll(CENSUS_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("census-files-") && name !== FILES) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function pageKey(url) {
  const u = new URL(url, self.location.origin);
  PAGE_ONLY_PARAMS.forEach((name) => u.searchParams.delete(name));
  if (NEW_FORM.test(u.pathname)) ADDRESS_PARAMS.forEach((name) => u.searchParams.delete(name));
  u.hash = "";
  return u.href;
}

// Whose pages the cache holds (a user of a community), and whether they are locked (their
// owner logged out). `community` is null until a page has said which one it came from; an
// owner kept before communities existed is the first community's ("").
let owner = null;
async function pagesOwner() {
  if (owner) return owner;
  const hit = await caches.match(META_KEY, { cacheName: META });
  const kept = hit ? await hit.json() : null;
  owner = kept ? { ...kept, community: kept.community ?? "" } : { user: "", community: null, locked: false };
  return owner;
}

async function setOwner(next) {
  owner = next;
  const cache = await caches.open(META);
  await cache.put(META_KEY, new Response(JSON.stringify(next), { headers: { "Content-Type": "application/json" } }));
}

// A page of `user` is open: their pages are theirs again; anyone else's are dropped.
async function claimPages(user) {
  const now = await pagesOwner();
  if (now.user !== user) await caches.delete(PAGES);
  if (now.user !== user || now.locked) await setOwner({ ...now, user, locked: false });
}

// The community a response came from; undefined when it does not say (a redirect, a proxy's page).
function communityOf(response) {
  return response.type === "basic" && response.headers.has(COMMUNITY) ? response.headers.get(COMMUNITY) : undefined;
}

// A page of another community came: what is kept is another community's, dropped before this
// page is kept (its user claims the pages next).
async function noteCommunity(response) {
  const community = communityOf(response);
  if (community === undefined || (await pagesOwner()).community === community) return;
  await caches.delete(PAGES);
  await setOwner({ user: "", community, locked: false });
}

function keptHit(key) {
  return caches.match(key, { cacheName: PAGES, ignoreVary: true });
}

// A page fetched for the list of what to keep: only if it is still the owner's community's
// (on a first visit no page has said yet: the first to say it names it).
async function ownersCommunity(response) {
  const community = communityOf(response);
  if (community === undefined) return true;
  const now = await pagesOwner();
  if (now.community === null) await setOwner({ ...now, community });
  return community === (await pagesOwner()).community;
}

function keptPage(url) {
  return new URL(url).pathname.startsWith("/survey/");
}

function offlinePage() {
  const html = `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>无网络 / Offline</title>
<link rel="stylesheet" href="/static/app.css"></head><body><main>
<h1>无网络，此页面尚未保存到本机</h1>
<p>请先在有信号时打开一次“我的楼栋”，本机会保存各楼栋的页面和登记表。</p>
<p lang="en">Offline: this page has not been kept on this tablet yet. Open “My buildings” once with signal.</p>
<p><a class="button primary" href="/survey/">我的楼栋 / My buildings</a></p>
</main></body></html>`;
  return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function fromFiles(request) {
  const hit = await caches.match(request, { cacheName: FILES });
  if (hit) return hit;
  return fetch(request);
}

async function networkThenCache(request) {
  try {
    const response = await fetch(request);
    if (response.ok) {
      const cache = await caches.open(PAGES);
      await cache.put(request, response.clone());
    }
    return response;
  } catch (error) {
    const hit = await caches.match(request, { cacheName: PAGES, ignoreVary: true });
    if (hit) return hit;
    throw error;
  }
}

async function page(event) {
  const request = event.request;
  const key = pageKey(request.url);
  if ((await pagesOwner()).locked) {
    // Logged out: the kept pages are not shown to whoever holds the tablet now.
    try {
      return await fetch(request);
    } catch (error) {
      return offlinePage();
    }
  }
  const network = fetch(request).then(
    async (response) => {
      await noteCommunity(response);
      // Only whole pages: not redirects (to the login page), not refusals.
      if (response.ok && response.type === "basic" && keptPage(request.url)) {
        await (await caches.open(PAGES)).put(key, response.clone());
      }
      return { response };
    },
    (error) => ({ error }),
  );
  event.waitUntil(network);
  const slow = new Promise((resolve) => setTimeout(resolve, SLOW_NETWORK_MS, null));
  let result = await Promise.race([network, slow]);
  if (result === null) {
    const hit = await keptHit(key);
    if (hit) return hit;
    result = await network;
  }
  if (result.response) return result.response;
  return (await keptHit(key)) || offlinePage();
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/") || url.pathname === "/sw.js") return;
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (CENSUS_FILES.includes(url.pathname)) {
    event.respondWith(fromFiles(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(networkThenCache(request));
  }
});

// A response kept with its stamp (the page's own headers, plus ours).
async function withStamp(response, stamp) {
  const headers = new Headers(response.headers);
  headers.set(STAMP, stamp);
  const body = await response.blob();
  return new Response(body, { status: response.status, statusText: response.statusText, headers });
}

// Keep the pages of the server's list: those whose stamp changed are fetched again, the
// others are kept as they are. `report` hears the progress after every page.
async function keep(pages, report) {
  const cache = await caches.open(PAGES);
  const total = pages.length;
  let done = 0;
  let fetched = 0;
  let failed = 0;
  const queue = [...pages];
  async function worker() {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const key = pageKey(next.url);
      const hit = await cache.match(key, { ignoreVary: true });
      if (!hit || hit.headers.get(STAMP) !== next.stamp) {
        try {
          const response = await fetch(next.url, { credentials: "same-origin", cache: "no-store" });
          if (response.ok && !response.redirected && (await ownersCommunity(response))) {
            await cache.put(key, await withStamp(response, next.stamp));
            fetched += 1;
          } else {
            failed += 1;
          }
        } catch (error) {
          failed += 1;
        }
      }
      done += 1;
      report({ type: "progress", done, total, fetched, failed });
    }
  }
  await Promise.all(Array.from({ length: KEEP_WORKERS }, worker));
  // Pages kept from an earlier list and not on this one (a building no longer assigned).
  const wanted = new Set(pages.map((p) => pageKey(p.url)));
  for (const request of await cache.keys()) {
    const hit = await cache.match(request);
    if (hit && hit.headers.get(STAMP) && !wanted.has(pageKey(request.url))) await cache.delete(request);
  }
  return { type: "done", done, total, fetched, failed };
}

// One run at a time: a page asking while a run goes hears its progress, and its list is
// kept next (the newest list wins).
let running = null;
let wanted = null;
const listeners = new Set();

function broadcast(message) {
  for (const port of listeners) port.postMessage(message);
}

function keepAll(user, pages, port) {
  listeners.add(port);
  wanted = { user, pages };
  if (!running) {
    running = (async () => {
      let last = null;
      while (wanted) {
        const now = wanted;
        wanted = null;
        await claimPages(now.user);
        last = await keep(now.pages, broadcast);
      }
      return last;
    })().then(
      (last) => broadcast(last),
      () => broadcast({ type: "done", failed: 1 }),
    ).finally(() => {
      running = null;
      listeners.clear();
    });
  }
  return running;
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  const port = event.ports[0];
  const reply = (answer) => port && port.postMessage(answer);
  if (data.type === "keep" && port) {
    event.waitUntil(keepAll(data.user || "", data.pages || [], port));
  } else if (data.type === "claim") {
    event.waitUntil(claimPages(data.user || "").then(() => reply({ ok: true })));
  } else if (data.type === "lock") {
    event.waitUntil(pagesOwner().then((now) => setOwner({ ...now, locked: true })).then(() => reply({ ok: true })));
  } else if (data.type === "forget-pages") {
    event.waitUntil(caches.delete(PAGES).then(pagesOwner).then((now) => setOwner({ user: "", community: now.community, locked: false })).then(() => reply({ ok: true })));
  }
});
