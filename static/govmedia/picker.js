// Searchable pickers (workbench/_picker.html): typing filters the options of the list
// below the box; nothing is fetched, the server lists only eligible people.
(function () {
  function setup(root) {
    if (root.dataset.pickerReady) return;
    root.dataset.pickerReady = "1";
    var box = root.querySelector("input[type=search]");
    var list = root.querySelector("select");
    if (!box || !list) return;
    box.addEventListener("input", function () {
      var words = box.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      Array.prototype.forEach.call(list.options, function (option) {
        var text = option.text.toLowerCase();
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        option.hidden = !match;
        if (!match && !list.multiple) option.selected = false;
      });
    });
  }
  function all() { document.querySelectorAll("[data-picker]").forEach(setup); }
  // Confirm dialogs for irreversible actions: <form data-confirm="…">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
  document.addEventListener("DOMContentLoaded", all);
  document.addEventListener("turbo:load", all);
  all();
})();
