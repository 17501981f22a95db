// The archive's unit picker (notices.forms.UnitPickerInput): typing a unit's name or code
// asks the server for the matching units the reader may see (data-unit-picker: the URL of
// notices:units) and lists them under the field; picking one fills the field with
// "name（code）", which the form reads back. Without this script the field takes the typed
// code or name as it is. Suggestions are written with textContent only, never as markup.
(function () {
  "use strict";

  function setup(input) {
    if (input.dataset.unitPickerReady) return;
    input.dataset.unitPickerReady = "1";
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var status = input.parentNode.querySelector("[data-unit-picker-status]");
    var url = input.getAttribute("data-unit-picker");
    var timer = null;
    var asked = "";
    var active = -1;

    function options() { return list.querySelectorAll("[role=option]"); }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function mark(index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      Array.prototype.forEach.call(all, function (li, i) {
        li.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({block: "nearest"});
    }

    function pick(li) {
      input.value = li.getAttribute("data-label");
      close();
      input.focus();
    }

    function show(results) {
      list.textContent = "";
      results.forEach(function (unit, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-label", unit.label);
        var name = document.createElement("span");
        name.className = "gm-unit-picker__name";
        name.textContent = unit.name;
        var code = document.createElement("span");
        code.className = "gm-unit-picker__code";
        code.textContent = unit.code;
        li.appendChild(name);
        li.appendChild(code);
        if (unit.parent) {
          var parent = document.createElement("span");
          parent.className = "gm-unit-picker__parent";
          parent.textContent = unit.parent;
          li.appendChild(parent);
        }
        li.addEventListener("mousedown", function (event) {
          event.preventDefault();  // keep the focus in the field
          pick(li);
        });
        list.appendChild(li);
      });
      active = -1;
      if (results.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      } else {
        close();
      }
      if (status) {
        status.textContent = results.length
          ? (list.getAttribute("data-found") || "%s").replace("%s", results.length)
          : (list.getAttribute("data-none") || "");
      }
    }

    function ask() {
      var q = input.value.trim();
      if (q === asked) return;
      asked = q;
      if (!q) { show([]); return; }
      fetch(url + "?q=" + encodeURIComponent(q), {
        credentials: "same-origin", headers: {"Accept": "application/json"}
      }).then(function (response) {
        return response.ok ? response.json() : {results: []};
      }).then(function (data) {
        if (input.value.trim() === q) show(data.results || []);
      }).catch(function () { /* the typed text still works without suggestions */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) {
        if (event.key === "ArrowDown" && options().length) {
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
          mark(0);
          event.preventDefault();
        }
        return;
      }
      if (event.key === "ArrowDown") { mark(active + 1); event.preventDefault(); }
      else if (event.key === "ArrowUp") { mark(active - 1); event.preventDefault(); }
      else if (event.key === "Enter" && active >= 0) { pick(options()[active]); event.preventDefault(); }
      else if (event.key === "Escape") { close(); event.preventDefault(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  function all() { document.querySelectorAll("input[data-unit-picker]").forEach(setup); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", all);
  } else {
    all();
  }
  document.addEventListener("turbo:load", all);
})();
