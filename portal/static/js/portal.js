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
  // Buttons that need a comment (data-needs-comment="what to say") and a confirmation
  // (data-confirm="question"): pressed with the form's comment empty, the button says so beside
  // the comment and asks nothing (the question came first, then the refusal); else it asks. A
  // field of the form marked data-comment-too (a district's comment on one teacher's row) stands
  // for the comment when filled; a box marked data-comment-box (a reopen's reason) is the comment.
  function commentBox(el) {
    return el.form ? el.form.querySelector('textarea[name="comment"], input[name="comment"], [data-comment-box]') : null;
  }
  function commentGiven(el, box) {
    if (box.value.trim()) { return true; }
    return Array.prototype.some.call(el.form.elements, function (f) {
      return f.hasAttribute("data-comment-too") && f.value.trim() !== "";
    });
  }
  function commentNeeded(el, box) {
    var note = document.getElementById(box.id + "-needed");
    if (!note) {
      note = document.createElement("div");
      note.id = box.id + "-needed";
      note.className = "invalid-feedback d-block";
      note.setAttribute("data-testid", "comment-needed");
      box.insertAdjacentElement("afterend", note);
      box.addEventListener("input", function () {
        if (box.value.trim()) { box.classList.remove("is-invalid"); box.removeAttribute("aria-invalid"); note.remove(); }
      });
    }
    note.textContent = el.getAttribute("data-needs-comment");
    box.classList.add("is-invalid");
    box.setAttribute("aria-invalid", "true");
    box.setAttribute("aria-describedby", ((box.getAttribute("aria-describedby") || "").replace(note.id, "") + " " + note.id).trim());
    box.focus();
  }
  document.querySelectorAll("[data-confirm], [data-needs-comment]").forEach(function (el) {
    el.addEventListener("click", function (ev) {
      var box = el.hasAttribute("data-needs-comment") ? commentBox(el) : null;
      if (box && box.id && !commentGiven(el, box)) {
        ev.preventDefault();
        commentNeeded(el, box);
      } else if (el.hasAttribute("data-confirm") && !window.confirm(el.getAttribute("data-confirm"))) {
        ev.preventDefault();
      }
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
// Date fields on a touch screen: the phone's own date (and time) picker instead of typing
// 2026-12-04 14:00 on a phone keyboard. The fields are text in the page (typed dates are read in
// both spellings, 2026-12-04 and 2026年12月4日, and an English desktop browser would show a
// native field as 12/04/2026); the picker is offered only where it speaks the page's language
// (the browser's language is the page's) and only over an empty or ISO value, so a date the
// server refused stays in the field as it was typed, beside its error. The server reads the
// ISO value a picker sends like any other and refuses what is not a date, as before.
document.addEventListener("DOMContentLoaded", function () {
  var page = (document.documentElement.lang || "").split("-")[0].toLowerCase();
  var browser = (navigator.language || "").split("-")[0].toLowerCase();
  if (!window.matchMedia || !window.matchMedia("(pointer: coarse)").matches || !page || page !== browser) { return; }
  var native = {
    date: { type: "date", shape: /^\d{4}-\d{2}-\d{2}$/ },
    datetime: { type: "datetime-local", shape: /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}$/ }
  };
  document.querySelectorAll("input[type=text][data-date-input]").forEach(function (input) {
    var kind = native[input.getAttribute("data-date-input")];
    var value = input.value.trim();
    if (!kind || (value && !kind.shape.test(value))) { return; }
    input.type = kind.type;
    input.value = value.replace(" ", "T");
    input.removeAttribute("placeholder");
  });
});
// A box that scrolls sideways (a wide table, the workflow diagram) with nothing inside to tab to
// could not be scrolled without a mouse: while it is wider than its room it takes the keyboard's
// focus (the arrow keys then scroll it) and is named for a screen reader by its table's caption
// or its picture's label. Checked again when the window is resized or a folded box is opened.
document.addEventListener("DOMContentLoaded", function () {
  var boxes = document.querySelectorAll(".table-responsive, [data-workflow-scroll]");
  var focusable = "a[href], button, input, select, textarea, summary, [tabindex]";
  function reachable(box) {
    var scrolls = box.scrollWidth > box.clientWidth + 1 && box.getClientRects().length > 0;
    var inner = Array.prototype.some.call(box.querySelectorAll(focusable), function (e) {
      return e.getAttribute("tabindex") !== "-1" && e.getClientRects().length > 0;
    });
    if (scrolls && !inner) {
      var named = box.querySelector("caption, [aria-label]");
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      if (named) { box.setAttribute("aria-label", named.getAttribute("aria-label") || named.textContent.trim()); }
      box.setAttribute("data-keyboard-scroll", "");
    } else if (box.hasAttribute("data-keyboard-scroll")) {
      ["tabindex", "role", "aria-label", "data-keyboard-scroll"].forEach(function (a) { box.removeAttribute(a); });
    }
  }
  function all() { boxes.forEach(reachable); }
  all();
  var pending = null;
  window.addEventListener("resize", function () { clearTimeout(pending); pending = setTimeout(all, 150); });
  document.querySelectorAll("details").forEach(function (d) { d.addEventListener("toggle", all); });
});
