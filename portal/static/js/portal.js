// Yanxiu: small progressive enhancements (no inline scripts: the CSP forbids them).
document.addEventListener("DOMContentLoaded", function () {
  // "Select all" boxes: data-select-all="name of the checkboxes"
  document.querySelectorAll("[data-select-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var name = box.getAttribute("data-select-all");
      document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (b) {
        b.checked = box.checked;
      });
    });
  });
  // Buttons that need a confirmation: data-confirm="question"
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (ev) {
      if (!window.confirm(el.getAttribute("data-confirm"))) { ev.preventDefault(); }
    });
  });
  // Attendance: "everyone attended fully" fills each row
  document.querySelectorAll("[data-fill-attendance]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var hours = btn.getAttribute("data-fill-attendance");
      document.querySelectorAll("input[data-attended]").forEach(function (input) {
        input.value = hours;
      });
    });
  });
});
// Workflow diagram: kept at a readable size; when it is wider than the screen, start the
// sideways scroll at the current state and show the "swipe" hint.
document.addEventListener("DOMContentLoaded", function () {
  function focusWorkflow(box) {
    var svg = box.querySelector("svg[data-focus-x]");
    if (!svg || box.scrollWidth <= box.clientWidth + 1) { return; }
    box.classList.add("is-scrollable");
    var focus = parseFloat(svg.getAttribute("data-focus-x")) || 0;
    box.scrollLeft = Math.max(0, focus - box.clientWidth / 2);
  }
  document.querySelectorAll("[data-workflow-scroll]").forEach(function (box) {
    focusWorkflow(box);
    var folded = box.closest("details");  // the diagram is folded: centre it when opened
    if (folded) { folded.addEventListener("toggle", function () { if (folded.open) { focusWorkflow(box); } }); }
  });
});
