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
})();
