// Mention page: status and assignee follow live changes made by colleagues, and who else
// is viewing or typing here is shown (collision detection).
(function () {
  "use strict";
  var detail = document.getElementById("mention-detail");
  var id = Number(detail.dataset.id);
  var me = Number(detail.dataset.user);
  var presence = document.getElementById("presence");
  var changed = document.getElementById("changed-meanwhile");
  var labels = {new: "New", assigned: "Assigned", waiting: "Waiting", escalated: "Escalated",
    responded: "Responded", resolved: "Resolved", ignored: "Ignored"};
  var others = {};  // user id → {name, state, until}

  function renderPresence() {
    var now = Date.now();
    var parts = [];
    Object.keys(others).forEach(function (key) {
      var other = others[key];
      if (other.until < now || other.state === "left") { delete others[key]; return; }
      parts.push(other.name + (other.state === "typing" ? " is typing…" : " is viewing"));
    });
    presence.textContent = parts.join(" · ");
    presence.hidden = parts.length === 0;
  }
  var live = window.LotseLive.connect({
    open: function () { live && live.send({type: "presence", mention_id: id, state: "viewing"}); },
    event: function (event) {
      var m = event.mention;
      if (m.id !== id) return;
      document.getElementById("detail-status").textContent = labels[m.status] || m.status;
      document.getElementById("detail-assignee").textContent = m.assignee ? m.assignee.name : "nobody";
      if (changed && Date.parse(m.updated_at) > Date.parse(detail.dataset.updated)) {
        changed.hidden = false;  // someone changed it since this page was loaded
      }
    },
    other: function (event) {
      if (event.type === "response.updated" && event.response.mention_id === id) {
        if (window.LotseComposer) window.LotseComposer.update(event.response);
        return;
      }
      if (event.type === "note.created" && event.note.mention_id === id) {
        if (document.getElementById("note-" + event.note.id)) return;
        var list = document.getElementById("note-list");
        var empty = list.querySelector(".empty-notes");
        if (empty) empty.remove();
        var item = document.createElement("li");
        item.id = "note-" + event.note.id;
        var who = document.createElement("strong");
        who.textContent = event.note.author;
        var text = document.createElement("div");
        text.className = "note-text";
        text.textContent = event.note.text;
        item.appendChild(who);
        item.appendChild(document.createTextNode(" just now"));
        item.appendChild(text);
        list.appendChild(item);
        return;
      }
      if (event.type !== "presence" || event.mention_id !== id || event.user.id === me) return;
      others[event.user.id] = {name: event.user.name, state: event.state, until: Date.now() + 25000};
      renderPresence();
    }
  });
  setInterval(function () {
    live.send({type: "presence", mention_id: id, state: "viewing"});
    renderPresence();
  }, 10000);
  var lastTyping = 0;
  document.querySelectorAll("textarea, input[type=text]").forEach(function (field) {
    field.addEventListener("input", function () {
      if (Date.now() - lastTyping > 3000) {
        lastTyping = Date.now();
        live.send({type: "presence", mention_id: id, state: "typing"});
      }
    });
  });
  window.addEventListener("pagehide", function () {
    live.send({type: "presence", mention_id: id, state: "left"});
  });
})();
