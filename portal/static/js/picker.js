// The participant picker (templates/_picker.html): a filter box over a list of checkboxes.
// Without JavaScript the list works as it is; the box only narrows what is shown.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-picker]").forEach(function (picker) {
    var filter = picker.querySelector("[data-picker-filter]");
    var count = picker.querySelector("[data-picker-count]");
    var rows = Array.prototype.slice.call(picker.querySelectorAll("[data-search]"));
    function recount() {
      if (!count) { return; }
      var n = picker.querySelectorAll("input[type=checkbox]:checked").length;
      count.textContent = count.getAttribute("data-template").replace("#", String(n));
    }
    if (filter) {
      filter.hidden = false;
      filter.addEventListener("input", function () {
        var words = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
        rows.forEach(function (row) {
          var text = row.getAttribute("data-search");
          var box = row.querySelector("input");
          var shown = words.every(function (w) { return text.indexOf(w) !== -1; });
          row.hidden = !(shown || (box && box.checked));
        });
      });
      filter.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter") { ev.preventDefault(); }  // Enter filters; it does not submit the form
      });
    }
    picker.addEventListener("change", recount);
  });
});
