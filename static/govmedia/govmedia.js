/* govmedia: each list cell learns its column header (data-label), so that lists read as
   cards at <= 600 px (govmedia.css). Runs on load and after viewflow's Turbo navigation. */
(function () {
  "use strict";
  var SELECTOR = "table.govmedia-table, table.list, table.vf-list__table, table.gm-cards";

  function labelTable(table) {
    var heads = table.querySelectorAll("thead th");
    if (!heads.length) { return; }
    var labels = Array.prototype.map.call(heads, function (th) { return th.textContent.trim(); });
    Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (row) {
      var col = 0;
      Array.prototype.forEach.call(row.children, function (cell) {
        if (!cell.hasAttribute("data-label") && cell.colSpan === 1 && labels[col] !== undefined) {
          cell.setAttribute("data-label", labels[col]);
        }
        col += cell.colSpan || 1;
      });
    });
  }

  function labelAll() {
    Array.prototype.forEach.call(document.querySelectorAll(SELECTOR), labelTable);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", labelAll);
  } else {
    labelAll();
  }
  document.addEventListener("turbo:load", labelAll);
  document.addEventListener("turbo:render", labelAll);
  window.govmedia = window.govmedia || {};
  window.govmedia.labelTables = labelAll;
})();
