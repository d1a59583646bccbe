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
  // One time format everywhere, in the reader's time zone (their profile's, else the
  // client's: <body data-zone>, the same zone the server wrote), with the zone named.
  var zone = (document.body && document.body.dataset.zone) || undefined;
  function makeFormat(options) {
    try {
      return new Intl.DateTimeFormat("en-GB", Object.assign({timeZone: zone}, options));
    } catch (error) {  // a zone this browser does not know: its own, still labelled
      return new Intl.DateTimeFormat("en-GB", options);
    }
  }
  var formatter = makeFormat({
    day: "2-digit", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
    timeZoneName: "short"
  });
  var fullFormatter = makeFormat({
    weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit",
    minute: "2-digit", hourCycle: "h23", timeZoneName: "short"
  });
  function formatTime(iso) { return formatter.format(new Date(iso)).replace(",", ""); }
  function fullTime(iso) {
    return fullFormatter.format(new Date(iso)) + (zone ? " (" + zone + ")" : "");
  }
  // "12 min ago", "in 8 min" within a week (as frontend/times.py writes it); "" beyond.
  function relativeTime(iso) {
    var seconds = (new Date(iso) - Date.now()) / 1000;
    if (Math.abs(seconds) > 7 * 86400) return "";
    var minutes = Math.round(Math.abs(seconds) / 60);
    if (minutes < 1) return "just now";
    var span = minutes < 90 ? minutes + " min"
      : minutes < 48 * 60 ? Math.round(minutes / 60) + " h" : Math.round(minutes / 1440) + " d";
    return seconds > 0 ? "in " + span : span + " ago";
  }
  function localizeTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach(function (node) {
      var iso = node.getAttribute("datetime");
      var relative = node.hasAttribute("data-relative") ? relativeTime(iso) : "";
      node.textContent = relative || formatTime(iso);
      node.title = fullTime(iso);
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
    setInterval(function () {
      refreshTimers();
      localizeTimes(document.querySelector("main"));
    }, 20000);
  });
  window.LotseLive = {connect: connect, formatTime: formatTime, localizeTimes: localizeTimes,
                      relativeTime: relativeTime,
                      refreshTimers: refreshTimers, setUnread: setUnread, connected: false};
})();
