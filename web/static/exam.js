// OntoSIDES EXAMEN: the candidate's page. Each change of a question saves its whole state (answer, marker,
// notepad) with a sequence number that only grows, through the JSON API. Every save is first written to
// IndexedDB and stays marked "waiting" until the server acknowledges it; without network the saves wait there
// and go as one batch when it returns, each answered kept, superseded or refused. A service worker
// (/ui/exam/sw.js) keeps the page and its assets so that a reload without network still shows the épreuve.
(function () {
  "use strict";
  var configNode = document.getElementById("exam-config");
  if (!configNode) return;
  var config = JSON.parse(configNode.textContent);
  var texts = config.texts;
  var api = "/taking/" + encodeURIComponent(config.exam) + "/" + encodeURIComponent(config.number);
  var csrf = (function () {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"]; } catch (e) { return ""; }
  })();
  var DB_NAME = "ontosides-exam", STORE = "saves";
  var records = {};      // question key → {id, scope, question, seq, body, pending, refused}
  var timers = {};       // question key → pending debounce timer
  var inflight = 0;      // requests on their way
  var networkDown = false;
  var problem = null;    // the last refusal, in words
  var failure = null;    // the server's answer when it did not take the saves (they wait and go again)
  var sending = {};      // question key → sequence number of its save on its way
  var timeUp = false;
  var submitted = !!config.submitted;
  var clockOffset = Date.parse(config.server_time) - Date.now();
  var deadline = Date.parse(config.deadline);
  var db = null;

  // --- IndexedDB: every save, until the server has it ------------------------------------------------
  function openDb() {
    return new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(null); return; }
      var request;
      try { request = indexedDB.open(DB_NAME, 1); } catch (e) { resolve(null); return; }
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore(STORE, {keyPath: "id"});
        store.createIndex("scope", "scope");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { resolve(null); };
    });
  }
  function keep(record) {
    if (!db) return Promise.resolve();
    return new Promise(function (resolve) {
      var tx = db.transaction(STORE, "readwrite");
      tx.objectStore(STORE).put(record);
      tx.oncomplete = function () { resolve(); };
      tx.onerror = tx.onabort = function () { resolve(); };
    });
  }
  function forget(kept) {  // a copy handed in no longer changes: what this device kept of it goes
    if (!db || !kept.length) return;
    var tx = db.transaction(STORE, "readwrite");
    kept.forEach(function (record) { tx.objectStore(STORE).delete(record.id); });
  }
  function loadScope() {
    if (!db) return Promise.resolve([]);
    return new Promise(function (resolve) {
      var tx = db.transaction(STORE, "readonly");
      var request = tx.objectStore(STORE).index("scope").getAll(config.scope);
      request.onsuccess = function () { resolve(request.result || []); };
      request.onerror = function () { resolve([]); };
    });
  }

  // --- a question's state, read from and written to its fieldset ------------------------------------------
  function fieldsetOf(key) {
    return document.querySelector('fieldset.question[data-key="' + key.replace(/"/g, "") + '"]');
  }
  function role(fieldset, name) { return fieldset.querySelector('[data-role="' + name + '"]'); }
  function roles(fieldset, name) { return fieldset.querySelectorAll('[data-role="' + name + '"]'); }
  function number(input) {
    if (!input || input.value === "") return null;
    var value = Number(input.value);
    return isFinite(value) ? value : null;
  }

  function collect(fieldset) {
    var type = fieldset.dataset.type;
    var body = {marker: !!(role(fieldset, "marker") && role(fieldset, "marker").checked)};
    var notepad = role(fieldset, "notepad");
    body.notepad = notepad && notepad.value !== "" ? notepad.value : null;
    if (roles(fieldset, "option").length) {
      body.options = Array.prototype.filter.call(roles(fieldset, "option"), function (i) { return i.checked; })
        .map(function (i) { return i.value; });
    } else if (type === "TCS") {
      var chosen = fieldset.querySelector('[data-role="value"]:checked');
      body.value = chosen ? chosen.value : null;
    } else if (type === "QROC" || type === "QROL") {
      var text = role(fieldset, "text");
      body.text = text && text.value !== "" ? text.value : null;
    } else if (type === "NUMERIQUE") {
      body.number = number(role(fieldset, "number"));
      var unit = role(fieldset, "unit");
      body.unit = body.number !== null && unit && unit.value.trim() !== "" ? unit.value.trim() : null;
    } else if (type === "ZONE") {
      var x = number(role(fieldset, "x")), y = number(role(fieldset, "y"));
      if (x !== null && y !== null && x >= 0 && y >= 0) { body.x = x; body.y = y; }
    } else if (type === "ASSOCIATION") {
      body.pairs = Array.prototype.filter.call(roles(fieldset, "pair"), function (s) { return s.value !== ""; })
        .map(function (s) { return [s.dataset.left, s.value]; });
    }
    return body;
  }

  function apply(fieldset, body) {
    var set = function (input, value) { if (input) input.value = value === null || value === undefined ? "" : value; };
    if (role(fieldset, "marker")) role(fieldset, "marker").checked = !!body.marker;
    set(role(fieldset, "notepad"), body.notepad);
    if (body.notepad) fieldset.querySelector("details").open = true;
    roles(fieldset, "option").forEach(function (i) { i.checked = (body.options || []).indexOf(i.value) >= 0; });
    roles(fieldset, "value").forEach(function (i) { i.checked = i.value === body.value; });
    set(role(fieldset, "text"), body.text);
    set(role(fieldset, "number"), body.number);
    set(role(fieldset, "unit"), body.unit);
    set(role(fieldset, "x"), body.x);
    set(role(fieldset, "y"), body.y);
    var pairs = {};
    (body.pairs || []).forEach(function (p) { pairs[p[0]] = p[1]; });
    roles(fieldset, "pair").forEach(function (s) { s.value = pairs[s.dataset.left] || ""; });
    showMarker(fieldset);
    showPoint(fieldset);
  }

  function showMarker(fieldset) {
    var badge = document.querySelector('[data-marker-for="' + fieldset.dataset.key + '"]');
    var marker = role(fieldset, "marker");
    if (badge && marker) badge.hidden = !marker.checked;
  }

  // ZONE: the point shown on the picture, and a click on the picture choosing it (in the picture's pixels).
  function showPoint(fieldset) {
    var picture = role(fieldset, "picture"), dot = fieldset.querySelector(".zone-dot");
    if (!picture || !dot) return;
    var x = number(role(fieldset, "x")), y = number(role(fieldset, "y"));
    if (x === null || y === null || !picture.naturalWidth) { dot.hidden = x === null || y === null; return; }
    dot.style.left = (x * picture.clientWidth / picture.naturalWidth) + "px";
    dot.style.top = (y * picture.clientHeight / picture.naturalHeight) + "px";
    dot.hidden = false;
  }
  document.addEventListener("click", function (event) {
    var picture = event.target.closest && event.target.closest('[data-role="picture"]');
    if (!picture) return;
    var fieldset = picture.closest("fieldset.question");
    if (!fieldset || fieldset.disabled) return;
    var box = picture.getBoundingClientRect();
    var scale = picture.naturalWidth ? picture.naturalWidth / box.width : 1;
    role(fieldset, "x").value = Math.round((event.clientX - box.left) * scale);
    role(fieldset, "y").value = Math.round((event.clientY - box.top) * (picture.naturalHeight ? picture.naturalHeight / box.height : 1));
    showPoint(fieldset);
    save(fieldset.dataset.key);
  });

  // --- saving --------------------------------------------------------------------------------------------
  function online() { return navigator.onLine && !networkDown; }
  function pendingRecords() {
    return Object.keys(records).map(function (k) { return records[k]; }).filter(function (r) { return r.pending; });
  }

  function save(key) {
    clearTimeout(timers[key]);
    delete timers[key];
    var fieldset = fieldsetOf(key);
    if (!fieldset || fieldset.disabled || submitted) return Promise.resolve();
    var known = records[key] ? records[key].seq : 0;
    var seq = Math.max(known + 1, Number(fieldset.dataset.seq || 0) + 1, Date.now());
    var record = {id: config.scope + "|" + key, scope: config.scope, question: key, seq: seq,
                  body: collect(fieldset), pending: true, refused: null};
    records[key] = record;
    fieldset.dataset.seq = String(seq);
    render();
    return keep(record).then(function () {
      if (!online()) { render(); return; }
      var others = pendingRecords().filter(function (r) { return r !== record && sending[r.question] !== r.seq; });
      return others.length ? flush() : send(record);
    });
  }

  function saveSoon(key, delay) {
    clearTimeout(timers[key]);
    timers[key] = setTimeout(function () { save(key); }, delay);
    render();
  }

  function request(method, path, body) {
    inflight += 1;
    render();
    return fetch(api + path, {method: method, credentials: "same-origin",
                              headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
                              body: body === undefined ? undefined : JSON.stringify(body)})
      .then(function (response) {
        networkDown = false;
        failure = response.status >= 500 || response.status === 401 || response.status === 403
          ? texts.failed.replace("{status}", response.status) : null;
        return response.json().catch(function () { return {}; }).then(function (data) {
          return {status: response.status, data: data};
        });
      }, function () {
        networkDown = true;  // the network failed: the saves wait, and go again when it returns
        failure = null;
        return null;
      })
      .then(function (answer) { inflight -= 1; render(); return answer; });
  }

  function outcome(key, seq, status, reason) {
    var record = records[key];
    if (!record || record.seq !== seq) return Promise.resolve();  // a newer save of it is on its way
    record.pending = false;
    record.refused = status === "refused" ? (reason || "") : null;
    if (record.refused !== null) {
      var fieldset = fieldsetOf(key);
      problem = texts.refused.replace("{q}", fieldset ? fieldset.dataset.label : key)
        .replace("{reason}", record.refused);
    }
    return keep(record);
  }

  function send(record) {
    var body = Object.assign({seq: record.seq}, record.body);
    sending[record.question] = record.seq;
    return request("PUT", "/answers/" + encodeURIComponent(record.question), body).then(function (answer) {
      if (sending[record.question] === record.seq) delete sending[record.question];
      if (!answer) return;
      if (answer.status === 200) { problem = null; return outcome(record.question, record.seq, answer.data.status); }
      if (answer.status === 409 || answer.status === 422) {
        return outcome(record.question, record.seq, "refused", answer.data.detail);
      }
    }).then(render);
  }

  var flushing = null;
  function flush() {
    Object.keys(timers).forEach(function (key) { save(key); });
    if (flushing) return flushing;
    var waiting = pendingRecords();
    if (!waiting.length || !online()) { render(); return Promise.resolve(); }
    var answers = waiting.map(function (r) { return Object.assign({question: r.question, seq: r.seq}, r.body); });
    flushing = request("POST", "/answers", {answers: answers}).then(function (answer) {
      if (!answer || answer.status !== 200) return;
      problem = null;
      return Promise.all((answer.data.results || []).map(function (r) {
        return outcome(r.question, r.seq, r.status, r.reason);
      }));
    }).then(function () {
      flushing = null;
      render();
      // Saves made while the batch travelled go next.
      if (pendingRecords().length && online()) return flush();
    });
    return flushing;
  }

  // --- what the candidate sees: saved, saving, offline with N waiting --------------------------------------
  var state = document.getElementById("save-state");
  function render() {
    if (!state) return;
    var waiting = pendingRecords().length;
    var typing = Object.keys(timers).length > 0;  // a change about to be saved
    var text, kind;
    if (waiting === 0 && inflight === 0 && !typing) {
      text = texts.saved; kind = "ok";
    } else if (!online()) {
      text = (waiting === 1 ? texts.offline_one : texts.offline_many).replace("{n}", waiting); kind = "wait";
    } else {
      text = waiting ? (waiting === 1 ? texts.sending_one : texts.sending_many).replace("{n}", waiting) : texts.saving;
      kind = "wait";
    }
    if (problem && waiting === 0 && inflight === 0 && !typing) { text = problem; kind = "error"; }
    if (failure && waiting > 0 && inflight === 0) { text = failure; kind = "error"; }
    if (state.textContent !== text) state.textContent = text;
    state.className = "save-state " + kind;
    state.dataset.waiting = String(waiting);
  }

  // --- the clock of the server -------------------------------------------------------------------------------
  var timer = document.getElementById("timer");
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    if (!timer || isNaN(deadline)) return;
    var left = Math.floor((deadline - (Date.now() + clockOffset)) / 1000);
    if (left <= 0) {
      timer.textContent = texts.time_up;
      if (!timeUp) {
        timeUp = true;
        flush();
        document.querySelectorAll("fieldset.question, .next-step button").forEach(function (e) { e.disabled = true; });
        problem = texts.time_up_long;
        render();
      }
      return;
    }
    var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
    timer.textContent = (h ? h + ":" + two(m) : String(m)) + ":" + two(s);
  }
  function heartbeat() {
    if (!navigator.onLine || submitted || timeUp) return;
    request("POST", "/heartbeat").then(function (answer) {
      if (!answer || answer.status !== 200) return;
      clockOffset = Date.parse(answer.data.server_time) - Date.now();
      if (answer.data.deadline) deadline = Date.parse(answer.data.deadline);
      if (answer.data.submitted) submitted = true;
    });
  }

  // --- leaving the page: the next step, the hand-in — only once every save reached the server ------------------
  function settled() {
    return flush().then(function () { return pendingRecords().length === 0 && inflight === 0; });
  }
  function blocked() {
    problem = texts.blocked;
    render();
    state.className = "save-state error";
    state.textContent = texts.blocked;
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-flush") || form.dataset.flushed) return;
    event.preventDefault();
    settled().then(function (ok) {
      if (!ok) { blocked(); return; }
      form.dataset.flushed = "true";
      form.submit();
    });
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-flush]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    settled().then(function (ok) { if (ok) window.location.href = link.href; else blocked(); });
  });

  // --- the page's fields ---------------------------------------------------------------------------------------
  document.addEventListener("change", function (event) {
    var fieldset = event.target.closest && event.target.closest("fieldset.question");
    if (!fieldset) return;
    if (event.target.dataset.role === "marker") showMarker(fieldset);
    if (event.target.dataset.role === "x" || event.target.dataset.role === "y") showPoint(fieldset);
    save(fieldset.dataset.key);
  });
  document.addEventListener("input", function (event) {
    var fieldset = event.target.closest && event.target.closest("fieldset.question");
    var typed = ["text", "notepad", "number", "unit", "x", "y"];
    if (fieldset && typed.indexOf(event.target.dataset.role) >= 0) saveSoon(fieldset.dataset.key, 600);
  });
  // Leaving or hiding the page (a reload, the tab closed, another application in front): what is being typed is
  // saved now rather than when its debounce timer would fire — a reload within 600 ms of a keystroke lost it. The
  // browser may abort the IndexedDB writes of a page it unloads (one just issued by a save was lost that way), so
  // every save the server has not acknowledged goes to localStorage too, which writes synchronously; the next
  // start takes them back (`handedOver`).
  var HANDOVER = "ontosides-exam-handover|" + config.scope;
  function saveTyping() {
    Object.keys(timers).forEach(function (key) { save(key); });
    var waiting = pendingRecords();
    if (!waiting.length) return;
    try {
      window.localStorage.setItem(HANDOVER, JSON.stringify(waiting));
    } catch (e) { /* storage full or disabled: IndexedDB is all there is */ }
  }
  window.addEventListener("pagehide", saveTyping);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") saveTyping();
  });
  document.addEventListener("click", function (event) {
    var clear = event.target.closest && event.target.closest("[data-clear]");
    if (!clear) return;
    var fieldset = clear.closest("fieldset.question");
    fieldset.querySelectorAll('input[type="radio"]').forEach(function (i) { i.checked = false; });
    save(fieldset.dataset.key);
  });
  window.addEventListener("resize", function () {
    document.querySelectorAll("fieldset.question").forEach(showPoint);
  });
  document.querySelectorAll('[data-role="picture"]').forEach(function (picture) {
    picture.addEventListener("load", function () { showPoint(picture.closest("fieldset.question")); });
  });
  window.addEventListener("online", function () { networkDown = false; flush(); });
  window.addEventListener("offline", render);

  // --- start: what this device still holds goes over the page, then to the server ----------------------------------
  function handedOver(kept) {  // what the last page saved while it was leaving, where it is newer than IndexedDB's
    var saved = [];
    try {
      saved = JSON.parse(window.localStorage.getItem(HANDOVER) || "[]");
      window.localStorage.removeItem(HANDOVER);
    } catch (e) { saved = []; }
    var byQuestion = {};
    kept.forEach(function (record) { byQuestion[record.question] = record; });
    saved.forEach(function (record) {
      var known = byQuestion[record.question];
      if (record && record.scope === config.scope && (!known || record.seq > known.seq)) {
        byQuestion[record.question] = record;
        keep(record);
      }
    });
    return Object.keys(byQuestion).map(function (key) { return byQuestion[key]; });
  }
  openDb().then(function (opened) {
    db = opened;
    return loadScope();
  }).then(function (kept) {
    kept = handedOver(kept);
    if (submitted) { forget(kept); return; }
    kept.forEach(function (record) {
      var fieldset = fieldsetOf(record.question);
      var shown = fieldset ? Number(fieldset.dataset.seq || 0) : 0;
      if (record.pending && shown >= record.seq) record.pending = false;  // the server has it already
      records[record.question] = record;
      if (fieldset && record.seq > shown) {
        apply(fieldset, record.body);  // newer than the page (saved without network, or the page came from cache)
        fieldset.dataset.seq = String(record.seq);
      }
    });
    render();
    flush();
  });
  document.querySelectorAll("fieldset.question").forEach(showPoint);
  tick();
  setInterval(tick, 1000);
  setInterval(heartbeat, 30000);
  // Saves still waiting while the browser says it is online (the server was unreachable): try again.
  setInterval(function () {
    if (pendingRecords().length && navigator.onLine && !flushing) { networkDown = false; flush(); }
  }, 10000);

  // --- the service worker: this page and its assets for a reload without network --------------------------------
  if ("serviceWorker" in navigator && window.isSecureContext) {
    // Without network the worker already installed serves this page; registering again would fetch its script.
    var registered = navigator.onLine ? navigator.serviceWorker.register("/ui/exam/sw.js", {scope: "/ui/exam/"})
      : Promise.resolve();
    registered.then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      var worker = registration.active;
      if (!worker || !navigator.onLine) return;
      var channel = new MessageChannel();
      channel.port1.onmessage = function (event) {
        if (event.data === "kept") document.documentElement.dataset.offlineReady = "true";
      };
      var urls = [window.location.pathname];
      document.querySelectorAll('[data-role="picture"]').forEach(function (img) { urls.push(img.getAttribute("src")); });
      worker.postMessage({type: "keep", urls: urls}, [channel.port2]);
    }).catch(function () { /* without a service worker the page still saves; a reload needs the network */ });
  }
})();
