// Mention page: status and assignee follow live changes made by colleagues.
(function () {
  "use strict";
  var detail = document.getElementById("mention-detail");
  var id = Number(detail.dataset.id);
  var labels = {new: "New", assigned: "Assigned", waiting: "Waiting", escalated: "Escalated",
    responded: "Responded", resolved: "Resolved", ignored: "Ignored"};
  window.LotseLive.connect({
    event: function (event) {
      var m = event.mention;
      if (m.id !== id) return;
      document.getElementById("detail-status").textContent = labels[m.status] || m.status;
      document.getElementById("detail-assignee").textContent = m.assignee ? m.assignee.name : "nobody";
    }
  });
})();
