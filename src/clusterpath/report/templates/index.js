/* Filter and sort the cluster table in place; without JavaScript every row stays visible. */
(function () {
  "use strict";
  var table = document.getElementById("clusters");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var filters = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var shown = document.getElementById("shown");
  var collator = new Intl.Collator(document.documentElement.lang, { numeric: true });

  function apply() {
    var count = 0;
    rows.forEach(function (row) {
      var keep = filters.every(function (f) {
        return !f.value || row.dataset[f.dataset.filter] === f.value;
      });
      row.hidden = !keep;
      if (keep) { count += 1; }
    });
    shown.textContent = shown.dataset.template
      .replace("{shown}", count).replace("{total}", rows.length);
  }

  function key(row, col) {
    var cell = row.cells[col];
    return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent.trim();
  }

  function sortBy(button) {
    var col = Number(button.dataset.col);
    var numeric = button.dataset.type === "number";
    var th = button.parentElement;
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    table.tHead.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.sort(function (a, b) {
      var x = key(a, col), y = key(b, col);
      var order = numeric ? Number(x) - Number(y) : collator.compare(x, y);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  filters.forEach(function (f) { f.addEventListener("change", apply); });
  document.getElementById("filters").addEventListener("reset", function () {
    window.setTimeout(apply, 0);
  });
  table.tHead.querySelectorAll("button[data-col]").forEach(function (b) {
    b.addEventListener("click", function () { sortBy(b); });
  });
  apply();
}());
