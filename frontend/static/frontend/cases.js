// The problem-case strip above the inbox list: counts and cases follow `cluster.updated`
// events (passed on by inbox.js); reports of a case shown here leave the list. Text is
// only ever inserted with textContent.
(function () {
  "use strict";
  var strip = document.getElementById("cases-strip");
  if (!strip) return;
  var list = document.getElementById("case-list");
  var chips = document.getElementById("case-chips");
  var totalNode = document.getElementById("cases-total");
  var reportsNode = document.getElementById("cases-reports");
  var minSize = Number(strip.dataset.minSize) || 2;
  var department = strip.dataset.department || "";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function time(cls, iso) {
    var node = el("time", cls, window.LotseLive.formatTime(iso));
    node.setAttribute("datetime", iso);
    return node;
  }
  function shown(c) {
    if (c.status !== "open" && c.status !== "waiting") return false;
    if (Number(c.count) < minSize) return false;
    return !department || (c.department && c.department.slug === department);
  }
  function render(c) {
    var li = el("li", "case status-" + c.status);
    li.id = "cluster-" + c.id;
    li.dataset.clusterId = c.id;
    var link = el("a", "case-link cluster-open");
    link.href = "/clusters/" + Number(c.id) + "/";
    link.appendChild(el("span", "cluster-count"));
    link.appendChild(document.createTextNode(" reports: "));
    var title = el("span", "cluster-title");
    title.dir = "auto";
    link.appendChild(title);
    li.appendChild(link);
    li.appendChild(document.createTextNode(" "));
    var meta = el("span", "muted case-meta", "since ");
    meta.appendChild(time("cluster-since", c.first_seen));
    meta.appendChild(document.createTextNode(" · latest "));
    meta.appendChild(time("cluster-latest", c.last_seen));
    li.appendChild(meta);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "cluster-dept badge"));
    return li;
  }
  function update(li, c) {
    li.dataset.count = c.count;
    li.className = "case status-" + c.status;
    li.querySelector(".cluster-count").textContent = String(c.count);
    li.querySelector(".cluster-title").textContent = c.title;
    var latest = li.querySelector(".cluster-latest");
    latest.setAttribute("datetime", c.last_seen);
    latest.textContent = window.LotseLive.formatTime(c.last_seen);
    li.querySelector(".cluster-dept").textContent = c.department ? c.department.name : "no department";
  }
  function refresh() {
    // Largest first; the totals and the three chips follow the list.
    var items = Array.prototype.slice.call(list.children);
    items.sort(function (a, b) { return Number(b.dataset.count) - Number(a.dataset.count); });
    items.forEach(function (item) { list.appendChild(item); });
    var reports = 0;
    items.forEach(function (item) { reports += Number(item.dataset.count) || 0; });
    totalNode.textContent = String(items.length);
    reportsNode.textContent = String(reports);
    chips.textContent = "";
    items.slice(0, 3).forEach(function (item) {
      var chip = el("li");
      var link = el("a");
      link.href = "/clusters/" + Number(item.dataset.clusterId) + "/";
      link.dataset.chip = item.dataset.clusterId;
      link.appendChild(el("span", "chip-count", item.dataset.count));
      link.appendChild(document.createTextNode(" "));
      var title = el("span", "chip-title", item.querySelector(".cluster-title").textContent);
      title.dir = "auto";
      link.appendChild(title);
      chip.appendChild(link);
      chips.appendChild(chip);
    });
    strip.hidden = items.length === 0;
  }
  // Reports that joined a case still too small to show: folded when it grows enough.
  var waiting = {};
  function fold(id, joined) {
    // The case's reports leave the list: those that just joined, and (when the case has
    // just reached the minimum size) the earlier ones still shown as rows.
    var rows = document.querySelectorAll('tr.mention-row[data-cluster="' + Number(id) + '"]');
    Array.prototype.forEach.call(rows, function (row) { row.remove(); });
    var ids = (waiting[id] || []).concat(joined || []);
    delete waiting[id];
    ids.forEach(function (mentionId) {
      var row = document.getElementById("mention-" + Number(mentionId));
      if (row) row.remove();
    });
  }
  function apply(event) {
    if (!event || event.type !== "cluster.updated" || !event.cluster) return;
    var c = event.cluster;
    // A pushed mention is shown before its case settles: its row learns the case now, so
    // the case folds it once it is big enough to be shown.
    (c.joined_ids || []).forEach(function (mentionId) {
      var row = document.getElementById("mention-" + Number(mentionId));
      if (row) row.dataset.cluster = c.id;
    });
    var existing = document.getElementById("cluster-" + Number(c.id));
    if (!shown(c)) {
      waiting[c.id] = (waiting[c.id] || []).concat(c.joined_ids || []);
      if (existing) existing.remove();
      refresh();
      return;
    }
    if (!existing) {
      existing = render(c);
      list.appendChild(existing);
    }
    update(existing, c);
    existing.classList.add("arrived");
    fold(c.id, c.joined_ids);
    refresh();
  }
  function resync() {
    fetch("/api/v1/clusters/", {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (page) {
        if (!page) return;
        page.results.forEach(function (c) { apply({type: "cluster.updated", cluster: c}); });
      });
  }
  window.LotseCases = {apply: apply, resync: resync};
})();
