// The SPARQL editor (YASGUI, vendored): our endpoint only, with the session's anti-forgery header.
(function () {
  "use strict";
  var element = document.getElementById("yasgui");
  if (!element || !window.Yasgui) return;
  var endpoint = new URL(element.dataset.endpoint, window.location.href).href;
  new window.Yasgui(element, {
    requestConfig: {endpoint: endpoint, method: "POST", headers: {"X-CSRF-Token": element.dataset.csrf}},
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: {getData: function () { return [{endpoint: endpoint}]; }},
    persistenceId: null,
    yasqe: {autocompleters: []}
  });
})();
