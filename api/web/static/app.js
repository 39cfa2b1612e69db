// The combobox of the web app (a small fetch, no framework): the Sök box and the code pickers of the agreement
// form here, the value set editor's concept picker in codelists.js. Keyboard: arrows move, Enter picks, Escape
// closes. Picking fills fields; the server checks every code again before anything is stored. Also the page
// buttons "Skriv ut" and "Tillbaka" (no inline script anywhere: the pages work under a Content-Security-Policy
// without 'unsafe-inline').
(function () {
  // input: the text field; list: its <ul role=listbox>; url(q): where to fetch suggestions for q;
  // text(c): an option's text; pick(c): what choosing c does; typed(): called on every keystroke (optional).
  window.vardtermCombobox = function (input, list, url, text, pick, typed) {
    var timer = null, items = [], active = -1;
    input.setAttribute("role", "combobox"); input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id); input.setAttribute("aria-expanded", "false");
    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; }
    function choose(c) { pick(c); close(); }
    function show(found) {
      items = found; list.innerHTML = ""; active = -1;
      found.forEach(function (c, i) {
        var li = document.createElement("li");
        li.id = input.id + "-opt-" + i; li.setAttribute("role", "option");
        li.textContent = text(c);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(c); });
        list.appendChild(li);
      });
      list.hidden = found.length === 0; input.setAttribute("aria-expanded", String(found.length > 0));
    }
    input.addEventListener("input", function () {
      if (typed) typed();
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2) { close(); return; }
      timer = setTimeout(function () {
        fetch(url(q), {credentials: "same-origin"})
          .then(function (r) { return r.ok ? r.json() : []; }).then(show).catch(close);
      }, 150);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      var opts = list.querySelectorAll("li");
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : -1) + opts.length) % opts.length;
        opts.forEach(function (o, i) { o.setAttribute("aria-selected", String(i === active)); });
        input.setAttribute("aria-activedescendant", opts[active].id);
      } else if (e.key === "Enter" && active >= 0) { e.preventDefault(); choose(items[active]); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  };

  function attach(input) {
    var mode = input.dataset.autocomplete;
    function pick(c) {
      if (mode === "search") {
        input.value = c.display || c.code;
        document.getElementById("code").value = c.code;
        document.getElementById("system").value = c.system;
        return;
      }
      var p = input.dataset.target;
      document.getElementById(p + "_code").value = c.code;
      document.getElementById(p + "_system").value = c.systemName === "KVÅ" ? "kva" : "snomed";
      document.getElementById(p + "_display").value = c.display || "";
      var name = document.getElementById(p + "_name");
      if (!name.value) name.value = c.display || c.term;
      document.getElementById(p + "_chosen").textContent = "Vald: " + (c.display || c.term) + " (" + c.code + ")";
      input.value = "";
    }
    function typed() {
      if (mode === "search") { document.getElementById("code").value = ""; document.getElementById("system").value = ""; }
    }
    window.vardtermCombobox(input, document.getElementById(input.id + "-suggest"),
      function (q) { return "/app/api/begrepp?q=" + encodeURIComponent(q); },
      function (c) { return (c.display || c.term) + " · " + c.systemName + " " + c.code + (c.hasServices ? "" : " (inga tjänster)"); },
      pick, typed);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-autocomplete]").forEach(attach);
    var print = document.getElementById("print");
    if (print) print.addEventListener("click", function () { window.print(); });
    document.querySelectorAll("[data-back]").forEach(function (b) {
      b.addEventListener("click", function () { history.back(); });
    });
  });
})();
