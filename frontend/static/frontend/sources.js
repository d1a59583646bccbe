// Sources page: backfill progress bars and connection tests update live.
(function () {
  "use strict";
  window.LotseLive.connect({
    other: function (event) {
      if (event.type === "backfill.progress") {
        var job = event.backfill;
        var row = document.getElementById("backfill-" + job.id);
        if (!row) return;
        row.querySelector("progress").value = job.progress;
        var text = job.status.charAt(0).toUpperCase() + job.status.slice(1) + " · " +
          job.stored + " stored of " + job.fetched + " fetched" + (job.error ? " · " + job.error : "");
        row.querySelector(".backfill-status").textContent = text;
        row.dataset.status = job.status;
      } else if (event.type === "source.tested") {
        var target = document.getElementById("test-" + event.source.id);
        if (!target) return;
        target.textContent = (event.source.ok ? "✔ " : "✖ ") + event.source.message;
        if (event.source.detail) {
          var details = document.createElement("details");
          var summary = document.createElement("summary");
          summary.textContent = "Details";
          var raw = document.createElement("code");
          raw.textContent = event.source.detail;
          details.appendChild(summary);
          details.appendChild(raw);
          target.appendChild(details);
        }
      }
    }
  });

  // "Test connection" without leaving the page: the worker answers within a second or so,
  // often before a reloaded page would be listening again. Without script, the form posts.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || button.value !== "test") return;
    var form = event.target;  // (form.action would name its "action" buttons)
    var row = form.closest("tr");
    var target = row && row.querySelector(".test-result");
    if (!target || !window.fetch) return;
    event.preventDefault();
    var data = new FormData(form);
    data.set("action", "test");
    button.disabled = true;
    target.textContent = "Testing…";
    fetch(form.getAttribute("action"), {
      method: "POST", body: data, credentials: "same-origin", headers: {"X-Requested-With": "fetch"}
    })
      .then(function (response) {
        if (!response.ok) {
          target.textContent = "✖ The test could not be started (" + response.status + ").";
        }
      })
      .catch(function () { target.textContent = "✖ The test could not be started."; })
      .then(function () { button.disabled = false; });
  });
})();
