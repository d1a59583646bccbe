// Notifications on every client page: pages with a live connection (inbox, mention,
// sources) already carry the person's events; other pages open one just for them. A new
// notification bumps the badge and, on the notifications page, appears at the top.
(function () {
  "use strict";
  function start() {
    if (!window.LotseLive.connected) window.LotseLive.connect({});
  }
  if (window.LotseLive) {
    start();
  } else {
    var script = document.createElement("script");
    script.src = document.currentScript.dataset.live;
    script.onload = function () {
      window.LotseLive.localizeTimes();  // it missed DOMContentLoaded on this page
      start();
    };
    document.head.appendChild(script);
  }
  // A reply waiting for approval: the approver's "Approvals" badge counts it at once.
  function bumpApprovals(event) {
    var n = event.notification;
    if (event.type !== "notification.created" || !n || !n.link) return;
    if (n.link.indexOf("/responses/approvals/") !== 0) return;
    var link = document.querySelector(".approvals-link");
    if (!link) return;
    var badge = link.querySelector(".count.pending");
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "count pending";
      badge.textContent = "0";
      link.appendChild(document.createTextNode(" "));
      link.appendChild(badge);
    }
    var count = (Number(badge.textContent) || 0) + 1;
    badge.textContent = String(count);
    link.setAttribute("aria-label", "Approvals, " + count + " waiting");
  }
  document.addEventListener("lotse:notification", function (e) { bumpApprovals(e.detail); });
  document.addEventListener("lotse:notification", function (e) {
    var event = e.detail;
    var list = document.querySelector("ul.notifications");
    if (!list || event.type !== "notification.created" || !event.notification) return;
    var empty = list.querySelector("li.empty");
    if (empty) empty.remove();
    var n = event.notification;
    var item = document.createElement("li");
    item.className = "unread arrived";
    var time = document.createElement("time");
    time.setAttribute("datetime", n.created_at);
    time.textContent = window.LotseLive.formatTime(n.created_at);
    item.appendChild(time);
    item.appendChild(document.createTextNode(" · "));
    var text = item;
    if (n.link && n.link.charAt(0) === "/" && n.link.charAt(1) !== "/") {
      text = document.createElement("a");
      text.href = n.link;
      item.appendChild(text);
    }
    text.appendChild(document.createTextNode(n.text));
    list.insertBefore(item, list.firstChild);
  });
})();
