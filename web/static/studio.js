// STUDIO editor: click a ZONE picture to add the point (in pixels of the picture) to the coordinates field last
// used for that picture (else its first empty one). Typing the coordinates works as well, without this script.
(function () {
  "use strict";
  var lastField = {};

  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (field.matches && field.matches("input[data-zone-coords]")) lastField[field.dataset.zoneCoords] = field;
  });

  document.addEventListener("click", function (event) {
    var picture = event.target.closest && event.target.closest("img[data-zone]");
    if (!picture || !picture.naturalWidth) return;
    var box = picture.getBoundingClientRect();
    var x = Math.round((event.clientX - box.left) * picture.naturalWidth / box.width);
    var y = Math.round((event.clientY - box.top) * picture.naturalHeight / box.height);
    var key = picture.dataset.zone;
    var field = lastField[key];
    if (!field || !document.body.contains(field)) {
      field = Array.prototype.find.call(document.querySelectorAll("input[data-zone-coords='" + key + "']"),
                                        function (f) { return !f.value.trim(); });
    }
    if (!field) return;
    field.value = (field.value.trim() ? field.value.trim() + "," : "") + x + "," + y;
    lastField[key] = field;
    var said = document.getElementById("zone-said-" + key);
    if (said) said.textContent = said.dataset.template.replace("%x", x).replace("%y", y);
  });
})();
