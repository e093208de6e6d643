// The service worker: the survey pages and their files, kept on the tablet for no signal.
// Served from /sw.js (census/web/offline.py), which puts CENSUS_VERSION and CENSUS_FILES
// above this line.
//
// - The app's own files: from the cache first (a new version of any of them is a new worker).
// - Survey pages: from the network first, so that online the surveyor always sees today's
//   data; kept in the cache as they are opened, and answered from it without signal or when
//   the network takes too long (a stairwell with one bar).
// - The API: never cached; the outbox in the page decides what to do without signal.
/* global CENSUS_VERSION, CENSUS_FILES */

const FILES = `census-files-${CENSUS_VERSION}`;
const PAGES = "census-pages";
const SLOW_NETWORK_MS = 5000;
const FRESH_MS = 5 * 60 * 1000;
// Query parameters that only the page's script reads: the same page is cached once.
const PAGE_ONLY_PARAMS = ["uuid", "checks", "lang"];

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
  u.hash = "";
  return u.href;
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
  const cache = await caches.open(PAGES);
  const network = fetch(request).then(
    async (response) => {
      // Only whole pages: not redirects (to the login page), not refusals.
      if (response.ok && response.type === "basic" && keptPage(request.url)) {
        await cache.put(key, response.clone());
      }
      return { response };
    },
    (error) => ({ error }),
  );
  event.waitUntil(network);
  const slow = new Promise((resolve) => setTimeout(resolve, SLOW_NETWORK_MS, null));
  let result = await Promise.race([network, slow]);
  if (result === null) {
    const hit = await cache.match(key, { ignoreVary: true });
    if (hit) return hit;
    result = await network;
  }
  if (result.response) return result.response;
  return (await cache.match(key, { ignoreVary: true })) || offlinePage();
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

// Keep the pages the home page lists (each building and its new-record forms).
async function precache(urls) {
  const cache = await caches.open(PAGES);
  let kept = 0;
  let failed = 0;
  const queue = [...urls];
  async function worker() {
    for (let url = queue.shift(); url; url = queue.shift()) {
      const key = pageKey(url);
      const hit = await cache.match(key, { ignoreVary: true });
      const age = hit ? Date.now() - Date.parse(hit.headers.get("Date") || "") : Infinity;
      if (age < FRESH_MS) {
        kept += 1;
        continue;
      }
      try {
        const response = await fetch(key, { credentials: "same-origin", cache: "no-store" });
        if (response.ok && !response.redirected) {
          await cache.put(key, response);
          kept += 1;
        } else {
          failed += 1;
        }
      } catch (error) {
        failed += 1;
      }
    }
  }
  await Promise.all([worker(), worker(), worker()]);
  return { kept, failed };
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  const reply = (answer) => event.ports[0] && event.ports[0].postMessage(answer);
  if (data.type === "precache") {
    event.waitUntil(precache(data.urls || []).then(reply, () => reply({ kept: 0, failed: 1 })));
  } else if (data.type === "forget-pages") {
    event.waitUntil(caches.delete(PAGES).then(() => reply({ ok: true })));
  }
});
