// The review queue of a mapping project (api/web/mapping_pages.py): keys 1-9 accept a suggestion, n starts a NO MAP
// (the comment field), s searches again, e/b/m/r choose the relationship, j/k go to the next/previous row.
// Keys typed into a field are left alone; Enter in the comment field after n sends NO MAP.
(function () {
  "use strict";
  var relations = {e: "equivalent", b: "source-is-broader-than-target", m: "source-is-narrower-than-target",
                   r: "related-to"};
  var noMapMode = false;
  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
    if (typing) {
      if (t.id === "comment" && ev.key === "Enter" && noMapMode) {
        ev.preventDefault();
        document.getElementById("nomap").click();
      } else if (ev.key === "Escape") {
        t.blur();
      }
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var button = document.querySelector('button.suggestion[data-key="' + ev.key + '"]');
    if (button) { ev.preventDefault(); button.click(); return; }
    if (ev.key === "n") { ev.preventDefault(); noMapMode = true; document.getElementById("comment").focus(); return; }
    if (ev.key === "s") { ev.preventDefault(); document.getElementById("sok").focus(); return; }
    if (relations[ev.key]) { ev.preventDefault(); document.getElementById("relationship").value = relations[ev.key]; return; }
    var link = ev.key === "j" ? document.getElementById("nasta") : ev.key === "k" ? document.getElementById("foregaende") : null;
    if (link) { ev.preventDefault(); link.click(); }
  });
  var comment = document.getElementById("comment");
  if (comment) {
    comment.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !noMapMode) { ev.preventDefault(); }
    });
  }
}());
