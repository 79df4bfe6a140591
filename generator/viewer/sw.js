// sw.js: the service worker of a hosted record.html (or summary.html, the
// page summary-only key cards open), written beside it only when the
// practice hosts its bundles (base_url). It keeps one copy of the page
// that was opened, still locked (the record inside is encrypted; the key
// is never in it), so the record opens again with no network: abroad, on
// a plane. It keeps nothing else and fetches nothing else: a phone that
// opened only summary.html never fetches record.html, nor the other way.
//
// Network first: while the host answers, the patient gets the page as the
// practice last built it, and that copy replaces the kept one; only when
// the network fails, or the host fails (a 5xx), is the kept copy served. A
// page the host no longer has (404 or 410: the practice took the record
// down) is not served from the copy, and the copy is deleted. Each
// bundle's worker has its own store, named by its scope: bundles on one
// host share the origin's storage, and no worker touches another's.
"use strict";

const pages = ["record.html", "summary.html"].map((p) => new URL(p, self.registration.scope).href);
const store = "satchel-record " + self.registration.scope;

// pageOf returns which of pages u is (its fragment ignored), or "".
function pageOf(u) {
  const url = new URL(u);
  url.hash = "";
  return pages.includes(url.href) ? url.href : "";
}

self.addEventListener("install", (event) => {
  // Keep the page that registered this worker (the one open now), as the
  // host holds it now: "reload" skips an older HTTP-cached copy.
  event.waitUntil(
    self.clients
      .matchAll({ type: "window", includeUncontrolled: true })
      .then((open) => {
        const keep = [...new Set(open.map((c) => pageOf(c.url)).filter(Boolean))];
        return caches.open(store).then((c) => c.addAll(keep.map((p) => new Request(p, { cache: "reload" }))));
      })
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  // Control the page that registered this worker at once, so its next
  // load is served through here without a second visit first.
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const page = pageOf(event.request.url);
  if (event.request.method !== "GET" || !page) return; // not ours: the network, untouched
  event.respondWith(networkFirst(event.request, page));
});

async function networkFirst(request, page) {
  const kept = await caches.open(store);
  let response;
  try {
    response = await fetch(request);
  } catch {
    return (await kept.match(page)) || Response.error();
  }
  if (response.status === 404 || response.status === 410) {
    await kept.delete(page);
    return response;
  }
  if (response.ok && response.type === "basic") {
    await kept.put(page, response.clone());
    return response;
  }
  if (response.status >= 500) return (await kept.match(page)) || response;
  return response;
}
