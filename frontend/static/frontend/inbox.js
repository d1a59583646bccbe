// Live inbox: new and changed mentions arrive over the websocket. Text is only ever
// inserted with textContent, never as HTML.
(function () {
  "use strict";
  var rows = document.getElementById("mention-rows");
  var empty = document.getElementById("empty-state");
  // The page's filter, from the script tag's data attributes (no inline script: CSP).
  var own = document.currentScript.dataset;
  var filter = {status: own.status || "open", department: own.department || "",
    segment: own.segment || "", drill: own.drill === "true", canAct: own.canAct === "true"};
  var openStatuses = JSON.parse(document.getElementById("open-statuses").textContent);
  var statusLabels = {new: "New", assigned: "Assigned", waiting: "Waiting", escalated: "Escalated",
    responded: "Responded", resolved: "Resolved", ignored: "Ignored"};

  function matches(m) {
    var dept = m.department ? m.department.slug : "";
    if (filter.department && filter.department !== dept) return false;
    if (filter.segment && filter.segment !== m.author.segment) return false;
    if (filter.status === "all") return true;
    if (filter.status === "open") return openStatuses.indexOf(m.status) !== -1;
    return filter.status === m.status;
  }
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function truncate(text, n) {
    var chars = Array.from(text);
    return chars.length > n ? chars.slice(0, n - 1).join("") + "…" : text;
  }
  var segmentLabels = {mass_connector: "Mass connector", mass_maven: "Mass maven"};
  function influence(author) {
    var score = Number(author.influence) || 0;
    var wrap = el("span", "influence");
    wrap.title = "Influence " + score.toFixed(2) + " of 1 (reach, following ratio, activity, engagement)";
    var meter = el("meter", "", score.toFixed(2));
    meter.min = 0; meter.max = 1;
    meter.value = score;
    meter.setAttribute("aria-label", "Influence");
    wrap.appendChild(meter);
    if (segmentLabels[author.segment]) {
      wrap.appendChild(document.createTextNode(" "));
      wrap.appendChild(el("span", "badge segment segment-" + author.segment, segmentLabels[author.segment]));
    }
    return wrap;
  }
  function render(m) {
    var tr = el("tr", "mention-row status-" + m.status);
    tr.id = "mention-" + m.id;
    tr.dataset.id = m.id;
    tr.dataset.status = m.status;
    tr.dataset.department = m.department ? m.department.slug : "";
    if (m.cluster_id) tr.dataset.cluster = m.cluster_id;
    var td;
    if (filter.canAct) {
      td = el("td", "pick");
      var box = el("input");
      box.type = "checkbox";
      box.name = "ids";
      box.value = m.id;
      box.setAttribute("form", "bulk-form");
      box.setAttribute("aria-label", "Select mention " + m.id);
      td.appendChild(box);
      tr.appendChild(td);
    }
    td = el("td", "when");
    var time = el("time", "", window.LotseLive.formatTime(m.published_at));
    time.setAttribute("datetime", m.published_at);
    time.setAttribute("data-relative", "");
    td.appendChild(time);
    window.LotseLive.localizeTimes(td);
    tr.appendChild(td);
    td = el("td", "author", "@" + m.author.handle);
    td.appendChild(document.createElement("br"));
    td.appendChild(el("span", "muted", m.author.followers + " followers"));
    td.appendChild(influence(m.author));
    tr.appendChild(td);
    td = el("td", "text");
    var link = el("a", "", truncate(m.text, 280));
    link.href = "/mentions/" + m.id + "/";
    td.appendChild(link);
    tr.appendChild(td);
    td = el("td");
    td.appendChild(el("span", "badge lang", m.language || "?"));
    td.appendChild(document.createTextNode(" "));
    td.appendChild(el("span", "badge sentiment-" + m.sentiment, m.sentiment));
    td.appendChild(document.createTextNode(" "));
    td.appendChild(el("span", "badge", m.kind));
    tr.appendChild(td);
    tr.appendChild(el("td", "dept", m.department ? m.department.name : "—"));
    td = el("td", "status");
    td.appendChild(el("span", "badge status", statusLabels[m.status] || m.status));
    if (m.sla && m.sla.first_response_due && !m.sla.first_response_at) {
      td.appendChild(document.createElement("br"));
      var sla = el("span", "sla sla-" + m.sla.state);
      sla.dataset.due = m.sla.first_response_due;
      sla.dataset.paused = m.sla.paused ? "1" : "";
      td.appendChild(sla);
    }
    tr.appendChild(td);
    tr.appendChild(el("td", "assignee", m.assignee ? m.assignee.name : "—"));
    return tr;
  }
  function refreshEmpty() {
    var cases = document.getElementById("case-list");
    empty.hidden = rows.children.length > 0 || (cases !== null && cases.children.length > 0);
  }
  // Problem cases (the strip above the list, cases.js): in the open and all views, the
  // members of a case shown there fold into it.
  var collapse = filter.status === "open" || filter.status === "all";
  function apply(event) {
    var m = event.mention;
    var existing = document.getElementById("mention-" + m.id);
    if (collapse && m.cluster_id && document.getElementById("cluster-" + m.cluster_id)) {
      if (existing) leave(existing);
      return;
    }
    // A drill-down from a report shows a fixed slice: rows shown are kept current, new
    // mentions are not added (they may be outside the slice's days or filters).
    if (filter.drill && !existing) return;
    if (!matches(m)) {
      if (existing) {
        existing.classList.add("leaving");
        setTimeout(function () { existing.remove(); refreshEmpty(); }, 600);
      }
      return;
    }
    var row = render(m);
    if (existing) {
      existing.replaceWith(row);
    } else {
      // Newest first: insert before the first row with a smaller id.
      var before = null;
      for (var i = 0; i < rows.children.length; i++) {
        if (Number(rows.children[i].dataset.id) < m.id) { before = rows.children[i]; break; }
      }
      rows.insertBefore(row, before);
      row.classList.add("arrived");
    }
    window.LotseLive.refreshTimers(row);
    refreshEmpty();
  }
  function resync() {
    // After a reconnect we may have missed events: reload the first page from the API.
    var params = new URLSearchParams();
    if (filter.department) params.set("department", filter.department);
    if (filter.segment) params.set("segment", filter.segment);
    if (filter.status && filter.status !== "open" && filter.status !== "all") params.set("status", filter.status);
    fetch("/api/v1/mentions/?" + params.toString(), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (page) {
        if (!page) return;
        page.results.slice().reverse().forEach(function (m) { apply({type: "mention.updated", mention: m}); });
      });
    if (collapse && window.LotseCases) window.LotseCases.resync();
  }
  var pickAll = document.getElementById("pick-all");
  if (pickAll) {
    pickAll.addEventListener("change", function () {
      rows.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = pickAll.checked; });
    });
  }
  // Crisis alerts: the banner above the list (only people who see the whole client get them).
  var banner = document.getElementById("alert-banner");
  var alertList = document.getElementById("alert-list");
  function alertEvent(event) {
    var kinds = ["alert.opened", "alert.closed", "alert.acknowledged"];
    if (!banner || !event.alert || kinds.indexOf(event.type) === -1) return;
    var a = event.alert;
    var existing = alertList.querySelector('[data-alert="' + Number(a.id) + '"]');
    if (existing) existing.remove();
    if (event.type === "alert.opened") {
      var li = el("li");
      li.dataset.alert = a.id;
      li.appendChild(el("span", "alert-kind", a.label));
      li.appendChild(document.createTextNode(": " + a.summary + " · since "));
      var time = el("time", "", window.LotseLive.formatTime(a.opened_at));
      time.setAttribute("datetime", a.opened_at);
      li.appendChild(time);
      var template = document.getElementById("ack-template");
      if (template) {
        var ack = template.cloneNode(true);
        ack.removeAttribute("id");
        ack.hidden = false;
        ack.action = "/alerts/" + Number(a.id) + "/acknowledge";
        li.appendChild(document.createTextNode(" "));
        li.appendChild(ack);
      }
      alertList.appendChild(li);
    }
    banner.hidden = alertList.children.length === 0;
  }
  window.LotseLive.connect({
    event: apply,
    resync: resync,
    other: function (event) {
      alertEvent(event);
      if (collapse && window.LotseCases) window.LotseCases.apply(event);
    },
  });
})();
