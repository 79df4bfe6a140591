// sw.js: the service worker of a hosted record.html, written beside it only
// when the practice hosts its bundles (base_url). It keeps one copy of that
// one page, still locked (the record inside is encrypted; the key is never
// in it), so the record opens again with no network: abroad, on a plane.
// It keeps nothing else and fetches nothing else.
//
// Network first: while the host answers, the patient gets the page as the
// practice last built it, and that copy replaces the kept one; only when
// the network fails, or the host fails (a 5xx), is the kept copy served. A
// page the host no longer has (404 or 410: the practice took the record
// down) is not served from the copy, and the copy is deleted. Each
// bundle's worker has its own store, named by its scope: bundles on one
// host share the origin's storage, and no worker touches another's.
"use strict";

const page = new URL("record.html", self.registration.scope).href;
const store = "satchel-record " + self.registration.scope;

self.addEventListener("install", (event) => {
  // "reload": keep what the host holds now, not an older HTTP-cached copy.
  event.waitUntil(
    caches
      .open(store)
      .then((c) => c.add(new Request(page, { cache: "reload" })))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  // Control the page that registered this worker at once, so its next
  // load is served through here without a second visit first.
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  url.hash = "";
  if (event.request.method !== "GET" || url.href !== page) return; // not ours: the network, untouched
  event.respondWith(networkFirst(event.request));
});

async function networkFirst(request) {
  const kept = await caches.open(store);
  let response;
  try {
    response = await fetch(request);
  } catch {
    return (await kept.match(page)) || Response.error();
  }
  if (response.status === 404 || response.status === 410) {
    await caches.delete(store);
    return response;
  }
  if (response.ok && response.type === "basic") {
    await kept.put(page, response.clone());
    return response;
  }
  if (response.status >= 500) return (await kept.match(page)) || response;
  return response;
}
