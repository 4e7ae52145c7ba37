// QR check-in screen: every few seconds, ask the server for the current code (it changes every
// 30 s) and the number checked in. Sign-in sheet: the print button. No inline script (CSP).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (btn) {
    btn.addEventListener("click", function () { window.print(); });
  });
  var screen = document.querySelector("[data-state-url]");
  if (!screen) { return; }
  var url = screen.getAttribute("data-state-url");
  var qr = screen.querySelector("[data-testid=checkin-qr]");
  var count = screen.querySelector("[data-testid=checkin-count]");
  var total = screen.querySelector("[data-testid=checkin-total]");
  var message = screen.querySelector("[data-testid=checkin-message]");
  var hint = screen.querySelector("[data-testid=checkin-hint]");
  var shown = "";
  function refresh() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (!state) { return; }
        count.textContent = state.count;
        total.textContent = state.total;
        if (state.svg !== shown) { qr.innerHTML = state.svg; shown = state.svg; }
        message.textContent = state.message;
        message.hidden = state.open;
        hint.hidden = !state.open;
        screen.setAttribute("data-code-url", state.url || "");
      })
      .catch(function () { /* the next round tries again */ });
  }
  shown = qr.innerHTML;
  refresh();
  window.setInterval(refresh, 5000);
});
