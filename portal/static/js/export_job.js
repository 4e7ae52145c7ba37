// A long export's page: ask the server for its progress every two seconds until it is done, expired or
// failed for good (a try that failed with tries left is queued again).
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("[data-testid=export-job]");
  if (!box) { return; }
  var url = box.getAttribute("data-state-url");
  var bar = box.querySelector("[data-testid=export-progress]");
  var link = box.querySelector("[data-testid=export-download]");
  function refresh() {
    fetch(url, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; }).then(function (s) {
      if (!s) { return; }
      bar.value = s.percent;
      bar.textContent = s.percent + "%";
      box.querySelector("[data-export-rows]").textContent = s.done_rows;
      box.querySelector("[data-export-total]").textContent = s.total_rows;
      box.setAttribute("data-status", s.status);
      box.querySelector("[data-testid=export-failed]").hidden = s.status !== "failed";
      box.querySelector("[data-export-reason]").textContent = s.reason || "";
      box.querySelector("[data-testid=export-failure]").hidden = !s.reason;
      box.querySelector("[data-testid=export-worker-down]").hidden = !s.worker_down;
      box.querySelector("[data-testid=export-expired]").hidden = s.status !== "expired";
      if (s.ready) { link.href = s.url; link.hidden = false; }
      if (s.status !== "done" && s.status !== "expired" && s.status !== "failed") { window.setTimeout(refresh, 2000); }
    }).catch(function () { window.setTimeout(refresh, 5000); });
  }
  var status = box.getAttribute("data-status");
  if (status !== "done" && status !== "expired" && status !== "failed") { window.setTimeout(refresh, 1000); }
});
