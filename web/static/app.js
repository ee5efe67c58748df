// OntoSIDES pages: the few behaviours htmx does not give. Every page works without them.
(function () {
  "use strict";

  // A tree entry's toggle: htmx loads the children once; later clicks show or hide them.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".toggle");
    if (!toggle) return;
    var children = document.getElementById(toggle.getAttribute("aria-controls"));
    if (!children) return;
    var open = toggle.getAttribute("aria-expanded") === "true";
    toggle.setAttribute("aria-expanded", open ? "false" : "true");
    children.hidden = open;
  });

  // Copy a token shown once.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.getAttribute("data-copy"));
    field.select();
    if (navigator.clipboard) {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = button.getAttribute("data-copied") || button.textContent;
      }, function () {});
    }
  });

  // Reorder siblings by dragging an entry onto another: the server gets the new position.
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    var entry = event.target.closest && event.target.closest(".entry[draggable=true]");
    if (!entry) return;
    dragged = entry;
    entry.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", entry.dataset.iri);
  });
  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    document.querySelectorAll(".drop-before").forEach(function (e) { e.classList.remove("drop-before"); });
    dragged = null;
  });
  function target(event) {
    var entry = event.target.closest && event.target.closest(".entry");
    if (!dragged || !entry || entry === dragged || entry.parentElement !== dragged.parentElement) return null;
    return entry;
  }
  document.addEventListener("dragover", function (event) {
    var entry = target(event);
    if (!entry) return;
    event.preventDefault();
    document.querySelectorAll(".drop-before").forEach(function (e) { e.classList.remove("drop-before"); });
    entry.classList.add("drop-before");
  });
  document.addEventListener("drop", function (event) {
    var entry = target(event);
    if (!entry) return;
    event.preventDefault();
    var siblings = Array.prototype.filter.call(entry.parentElement.children, function (e) {
      return e.classList.contains("entry") && e !== dragged;
    });
    var position = siblings.indexOf(entry);
    var list = entry.parentElement;
    htmx.ajax("POST", list.dataset.moveUrl, {
      target: "#" + list.id, swap: "innerHTML",
      values: {entry: dragged.dataset.iri, position: String(position), level: list.dataset.level,
              csrf_token: list.dataset.csrf}
    });
  });
})();
// Print buttons (hidden without JavaScript, where the browser's own print command does the same).
(function () {
  "use strict";
  function show(root) {
    (root && root.querySelectorAll ? root : document).querySelectorAll("[data-print]").forEach(function (b) {
      b.hidden = false;
    });
  }
  if (window.htmx) htmx.onLoad(show); else show(document);
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });
})();
