// The value set editor: a live ECL preview as you type (count, first 50 members, or the syntax error marked at
// its position) and the concept picker (the app's combobox, app.js) that adds "system|code|display" lines to the
// picked list. A small file, no inline script (the pages run under a Content-Security-Policy without 'unsafe-inline'); without it the form
// still works and the saved page shows the expansion.
(function () {
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function eclPreview(area) {
    var out = document.getElementById(area.dataset.eclPreview);
    var edition = document.getElementById("ecl_version");
    var timer = null, asked = 0;
    function render(expr, answer) {
      out.innerHTML = "";
      if (!expr.trim()) { out.appendChild(el("span", "muted", "Skriv ett uttryck för att se medlemmarna.")); return; }
      if (!answer.ok) {
        out.appendChild(el("p", "error ecl-status", answer.error));
        if (answer.position) {
          var pre = el("pre", "ecl-error");
          pre.textContent = expr + "\n" + " ".repeat(Math.max(0, answer.position - 1)) + "^ position " + answer.position;
          out.appendChild(pre);
        }
        return;
      }
      out.appendChild(el("p", "ecl-status", answer.total + (answer.total === 1 ? " medlem" : " medlemmar") +
        (answer.total > answer.items.length ? ", de första " + answer.items.length + " visas" : "")));
      var list = el("ol", "ecl-members");
      answer.items.forEach(function (c) { list.appendChild(el("li", null, c.code + " " + (c.display || ""))); });
      out.appendChild(list);
    }
    function ask() {
      var expr = area.value, mine = ++asked;
      var url = "/app/api/ecl?uttryck=" + encodeURIComponent(expr) + "&version=" + encodeURIComponent(edition ? edition.value : "");
      out.setAttribute("aria-busy", "true");
      fetch(url, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (answer) {
        if (mine === asked) { render(expr, answer); out.removeAttribute("aria-busy"); }
      }).catch(function () { if (mine === asked) out.textContent = "Förhandsgranskningen kunde inte hämtas."; });
    }
    area.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 250); });
    if (edition) edition.addEventListener("change", ask);
    if (area.value.trim()) ask();
  }

  function picker(input) {
    var target = document.getElementById(input.dataset.codePicker);
    var system = document.getElementById("pick-system");
    window.vardtermCombobox(input, document.getElementById(input.id + "-suggest"),
      function (q) { return "/app/api/koder?q=" + encodeURIComponent(q) + "&system=" + encodeURIComponent(system.value); },
      function (c) { return (c.display || "") + " · " + c.code; },
      function (c) {
        var have = target.value.split("\n").some(function (l) { return l.split("|").slice(0, 2).join("|") === c.system + "|" + c.code; });
        if (!have) target.value = (target.value.trim() ? target.value.replace(/\s+$/, "") + "\n" : "") + c.system + "|" + c.code + "|" + (c.display || "");
        input.value = ""; input.focus();
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-ecl-preview]").forEach(eclPreview);
    document.querySelectorAll("[data-code-picker]").forEach(picker);
  });
})();
