// The approval queue follows live: decided replies leave, new ones are announced.
(function () {
  "use strict";
  var fresh = document.getElementById("new-approvals");
  window.LotseLive.connect({
    other: function (event) {
      if (event.type !== "response.updated") return;
      var row = document.getElementById("approval-" + event.response.id);
      if (event.response.status === "pending_approval") {
        if (!row && fresh) fresh.hidden = false;
      } else if (row) {
        row.classList.add("leaving");
        setTimeout(function () { row.remove(); }, 500);
      }
    }
  });
})();
