// OntoSIDES EXAMEN service worker (served as /ui/exam/sw.js, scope /ui/exam/): keeps the taking page and its
// assets so that the page reloads without network. Answers never pass through here: the page keeps them in
// IndexedDB and sends them itself, so a save is acknowledged by the server or stays waiting, never cached.
"use strict";
var CACHE = "ontosides-exam-v1";
var ASSETS = ["/ui/static/app.css", "/ui/static/app.js", "/ui/static/exam.js", "/ui/static/vendor/htmx/htmx.min.js"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(ASSETS); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("ontosides-exam-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

// The taking pages, their assets and the pictures of their questions (only the exam pages are controlled here).
function kept(url) {
  return url.origin === self.location.origin && url.pathname !== "/ui/exam/sw.js" &&
    (ASSETS.indexOf(url.pathname) >= 0 || url.pathname.indexOf("/ui/exam/") === 0 || url.pathname.indexOf("/media/") === 0);
}

// The network first (the page and assets stay current), this cache when the network fails.
self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (!kept(url)) return;
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok && response.type === "basic" && !response.redirected) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(request, copy); });
    }
    return response;
  }, function () {
    return caches.match(request).then(function (hit) { return hit || Response.error(); });
  }));
});

// The page asks to keep itself and its pictures (its first load came before this worker controlled it).
self.addEventListener("message", function (event) {
  var data = event.data || {};
  var urls = (Array.isArray(data.urls) ? data.urls : []).filter(function (u) {
    return typeof u === "string" && kept(new URL(u, self.location.origin));
  });
  if (data.type !== "keep" || !urls.length) return;
  var port = event.ports && event.ports[0];
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(urls); }).then(
    function () { if (port) port.postMessage("kept"); },
    function () { if (port) port.postMessage("failed"); }));
});
