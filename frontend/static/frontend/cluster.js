// Problem cluster page: the count, latest report and status follow live.
(function () {
  "use strict";
  var card = document.getElementById("cluster-detail");
  if (!card) return;
  var id = Number(card.dataset.clusterId);
  var labels = {open: "Open", waiting: "Waiting on a fix", resolved: "Resolved"};
  window.LotseLive.connect({
    other: function (event) {
      if (event.type !== "cluster.updated" || !event.cluster || event.cluster.id !== id) return;
      var c = event.cluster;
      card.querySelector(".cluster-count").textContent = String(c.count);
      var latest = card.querySelector(".cluster-latest");
      latest.setAttribute("datetime", c.last_seen);
      latest.textContent = window.LotseLive.formatTime(c.last_seen);
      document.getElementById("cluster-status").textContent = labels[c.status] || c.status;
    }
  });
})();

// "Answer everyone at once": a saved reply fills the textarea (as text, never as HTML).
(function () {
  "use strict";
  var area = document.getElementById("cluster-reply");
  if (!area) return;
  document.querySelectorAll(".use-saved").forEach(function (button) {
    button.addEventListener("click", function () {
      area.value = button.dataset.text || "";
      area.focus();
    });
  });
})();
