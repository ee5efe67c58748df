// The SPARQL editor (YASGUI, vendored): our endpoint only, with the session's anti-forgery header.
(function () {
  "use strict";
  var element = document.getElementById("yasgui");
  if (!element || !window.Yasgui) return;
  var endpoint = new URL(element.dataset.endpoint, window.location.href).href;
  var yasgui = new window.Yasgui(element, {
    requestConfig: {endpoint: endpoint, method: "POST", headers: {"X-CSRF-Token": element.dataset.csrf}},
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: {getData: function () { return [{endpoint: endpoint}]; }},
    persistenceId: null,
    yasqe: {autocompleters: []}
  });
  // The widget's own fields have no names: give them one, for screen readers (and axe-core).
  function name(selector, text) {
    element.querySelectorAll(selector).forEach(function (field) {
      if (!field.getAttribute("aria-label")) field.setAttribute("aria-label", text);
    });
  }
  function label() {
    name("textarea", element.dataset.queryLabel);
    name("input.autocomplete", element.dataset.endpointLabel);
  }
  label();
  yasgui.on("tabChange", label);
  yasgui.on("tabSelect", label);
})();
