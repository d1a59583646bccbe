// The live connection: one websocket per page, reconnecting with backoff. A handshake that
// does not complete within HANDSHAKE_MS is given up and tried again (a server whose Redis
// just came back may never answer the first one).
(function () {
  "use strict";
  // The unread badge in the top bar, on every page: kept current by the person's own events.
  function setUnread(count) {
    var link = document.querySelector(".notifications-link");
    if (!link || typeof count !== "number") return;
    var badge = link.querySelector(".count.unread");
    if (count <= 0) {
      if (badge) badge.remove();
      return;
    }
    if (!badge) {
      badge = document.createElement("span");
      badge.className = "count unread";
      link.appendChild(document.createTextNode(" "));
      link.appendChild(badge);
    }
    badge.textContent = String(count);
    link.setAttribute("aria-label", "Notifications, " + count + " unread");
  }
  var HANDSHAKE_MS = 5000;
  function connect(handlers) {
    window.LotseLive.connected = true;
    var state = document.getElementById("live-state");
    var delay = 500;
    var everConnected = false;
    var current = null;
    var reloadTimer = null;
    function setState(text, cls) {
      if (!state) return;
      state.textContent = text;
      state.className = "live-state " + (cls || "");
    }
    function open() {
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var socket;
      try {
        socket = new WebSocket(scheme + location.host + "/ws/inbox/");
      } catch (refused) {
        setState("reconnecting…", "off");
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 15000);
        return;
      }
      current = socket;
      var pinger = null;
      var handshake = setTimeout(function () {
        // close() on a socket still connecting fires onclose, which retries with backoff.
        if (socket.readyState === WebSocket.CONNECTING) socket.close();
      }, HANDSHAKE_MS);
      socket.onopen = function () {
        clearTimeout(handshake);
        setState("live", "on");
        pinger = setInterval(function () {
          if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({type: "ping"}));
        }, 240000);
        delay = 500;
        if (everConnected && handlers.resync) handlers.resync();
        everConnected = true;
        if (handlers.open) handlers.open();
      };
      socket.onmessage = function (message) {
        var event;
        try { event = JSON.parse(message.data); } catch (e) { return; }
        if (!event || typeof event !== "object") return;
        if (event.type === "notification.created" || event.type === "notifications.read") {
          setUnread(event.unread);
          document.dispatchEvent(new CustomEvent("lotse:notification", {detail: event}));
        }
        if (event.type === "mentions.arrived") {
          // A big batch arrived: reload the first page once, not row by row.
          if (handlers.resync) {
            clearTimeout(reloadTimer);
            reloadTimer = setTimeout(handlers.resync, 300);
          }
          return;
        }
        if (event.mention && handlers.event) handlers.event(event);
        else if (!event.mention && handlers.other) handlers.other(event);
      };
      socket.onclose = function (closed) {
        clearTimeout(handshake);
        if (pinger) clearInterval(pinger);
        if (closed.code === 4403) { setState("no access", "off"); return; }
        setState("reconnecting…", "off");
        // Jitter, so the tabs of a whole office do not all come back in the same second.
        setTimeout(open, delay * (0.75 + Math.random() * 0.5));
        delay = Math.min(delay * 2, 15000);
      };
    }
    open();
    return {
      send: function (message) {
        if (current && current.readyState === WebSocket.OPEN) current.send(JSON.stringify(message));
      }
    };
  }
  // One time format everywhere, in the reader's own time zone.
  var formatter = new Intl.DateTimeFormat(undefined, {
    day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23"
  });
  function formatTime(iso) { return formatter.format(new Date(iso)); }
  function localizeTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach(function (node) {
      node.textContent = formatTime(node.getAttribute("datetime"));
      node.title = new Date(node.getAttribute("datetime")).toString();
    });
  }
  // SLA timers: "due in 23 min" / "overdue 5 min", refreshed every 20 seconds.
  function slaText(due, paused) {
    if (paused) return "paused";
    var minutes = Math.round((new Date(due) - Date.now()) / 60000);
    if (minutes < 0) return "overdue " + humanMinutes(-minutes);
    return "due in " + humanMinutes(minutes);
  }
  function humanMinutes(m) {
    if (m < 90) return m + " min";
    if (m < 48 * 60) return Math.round(m / 60) + " h";
    return Math.round(m / 1440) + " d";
  }
  function refreshTimers(root) {
    (root || document).querySelectorAll(".sla[data-due]").forEach(function (node) {
      node.textContent = slaText(node.dataset.due, node.dataset.paused === "1");
      var overdue = new Date(node.dataset.due) < Date.now() && node.dataset.paused !== "1";
      node.classList.toggle("sla-overdue", overdue);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    localizeTimes();
    refreshTimers();
    setInterval(refreshTimers, 20000);
  });
  window.LotseLive = {connect: connect, formatTime: formatTime, localizeTimes: localizeTimes,
                      refreshTimers: refreshTimers, setUnread: setUnread, connected: false};
})();
