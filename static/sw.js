// The service worker: served from /sw.js (outcomes/offline.py fills in SETTINGS) so its scope
// is the whole app. It precaches the app shell under a cache named by a hash of its contents,
// answers pages network-first with the offline shell as the fallback, and never caches any
// API response or page: those hold personal data, which stays in the page's own store.
const SETTINGS = __SETTINGS__;
const CACHE = "outcomes-shell-" + SETTINGS.version;
const PRECACHED = new Set(SETTINGS.precache);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(SETTINGS.precache))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(
        names.filter((name) => name.startsWith("outcomes-") && name !== CACHE)
          .map((name) => caches.delete(name))
      ))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(pageOrShell(request));
  } else if (PRECACHED.has(url.pathname) && !url.search) {
    event.respondWith(cachedOrNetwork(request));
  }
  // Anything else (the API, the scorecard feed, exports) goes to the network untouched.
});

async function pageOrShell(request) {
  try {
    return await fetch(request);
  } catch (error) {
    // No signal (or no server): the shell draws the page from the device's kept copy.
    const cache = await caches.open(CACHE);
    return (await cache.match(SETTINGS.shell, { ignoreVary: true })) || Response.error();
  }
}

async function cachedOrNetwork(request) {
  const cache = await caches.open(CACHE);
  return (await cache.match(request, { ignoreVary: true })) || fetch(request);
}
