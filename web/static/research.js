// The researchers' SPARQL editor: YASGUI (npm @zazuko/yasgui, vendored in web/static/vendor), our endpoint only, with the session's
// anti-forgery header; each named query opens as an example tab.
(function () {
  "use strict";
  var element = document.getElementById("research-yasgui");
  if (!element || !window.Yasgui) return;
  var endpoint = new URL(element.dataset.endpoint, window.location.href).href;
  var examples = [];
  try { examples = JSON.parse(document.getElementById("research-examples").textContent); } catch (e) { examples = []; }
  var yasgui = new window.Yasgui(element, {
    requestConfig: {endpoint: endpoint, method: "POST", headers: {"X-CSRF-Token": element.dataset.csrf}},
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: {getData: function () { return [{endpoint: endpoint}]; }},
    persistenceId: null,
    yasqe: {autocompleters: []}
  });
  // The named queries as examples: one editor tab (YASGUI's tab list is not accessible with several), and a
  // list that loads the chosen query into it.
  var chooser = document.getElementById("research-example");
  function load(name) {
    var example = examples.filter(function (e) { return e.name === name; })[0];
    var tab = yasgui.getTab();
    if (example && tab) tab.setQuery(example.query);
    label();
  }
  if (chooser) {
    chooser.addEventListener("change", function () { load(chooser.value); });
    load(chooser.value);
  }
  function name(selector, text) {
    element.querySelectorAll(selector).forEach(function (field) {
      if (!field.getAttribute("aria-label")) field.setAttribute("aria-label", text);
    });
  }
  function label() {
    name("textarea", element.dataset.queryLabel);
    name("input.autocomplete", element.dataset.endpointLabel);
    name("input[type=text]", element.dataset.endpointLabel);
    // A long query scrolls: its region must be reachable by the keyboard.
    element.querySelectorAll(".CodeMirror-scroll").forEach(function (region) {
      region.setAttribute("tabindex", "0");
    });
  }
  label();
  window.setTimeout(label, 0);
  yasgui.on("tabChange", label);
  yasgui.on("tabSelect", label);
  yasgui.on("tabAdd", label);
})();
