// The reply composer on the mention page: saved replies fill the text, the client's policy
// is checked while typing (banned phrases marked, the signature shown), and responses
// change live (approved, rejected, sent, failed). All text is set as text, never as HTML.
(function () {
  "use strict";
  var form = document.getElementById("composer");
  var list = document.getElementById("response-list");
  var me = Number((document.getElementById("mention-detail") || {dataset: {}}).dataset.user);
  var meanwhile = document.getElementById("answered-meanwhile");

  function update(response) {
    var item = document.getElementById("response-" + response.id);
    if (!item) {
      var empty = list.querySelector(".empty-responses");
      if (empty) empty.remove();
      item = document.createElement("li");
      item.id = "response-" + response.id;
      var who = document.createElement("strong");
      who.textContent = response.author.name;
      var badge = document.createElement("span");
      badge.className = "badge response-status";
      var text = document.createElement("div");
      text.className = "response-text";
      text.textContent = response.text;
      var note = document.createElement("p");
      note.className = "response-note muted";
      item.appendChild(who);
      item.appendChild(document.createTextNode(" · " + response.channel + " · "));
      item.appendChild(badge);
      item.appendChild(text);
      item.appendChild(note);
      list.appendChild(item);
      if (response.author.id !== me && meanwhile && response.status !== "rejected") {
        meanwhile.textContent = response.author.name + " answered just now; sending asks you to confirm.";
        meanwhile.hidden = false;
      }
    }
    item.className = "response status-" + response.status;
    item.dataset.status = response.status;
    item.querySelector(".response-status").textContent = response.status_label;
    var noteText = "";
    if (response.status === "pending_approval") noteText = "Needs approval: " + response.approval_reasons.join("; ") + ".";
    else if (response.status === "rejected") noteText = "Rejected by " + response.decided_by.name + ": " + response.reject_reason;
    else if (response.status === "failed") noteText = "Could not send: " + response.error + " (reload to retry)";
    else if (response.decided_by) noteText = "Approved by " + response.decided_by.name + ".";
    if (response.external_url && !item.querySelector("a.on-network") &&
        /^https?:\/\//.test(response.external_url)) {
      var link = document.createElement("a");
      link.className = "on-network";
      link.href = response.external_url;
      link.rel = "noopener noreferrer nofollow";
      link.target = "_blank";
      link.textContent = "on the network";
      item.querySelector(".response-status").after(document.createTextNode(" · "), link);
    }
    var noteNode = item.querySelector(".response-note");
    if (noteNode) noteNode.textContent = noteText;
  }
  window.LotseComposer = {update: update};
  if (!form) return;

  var textarea = document.getElementById("response-text");
  var channel = document.getElementById("response-channel");
  var saved = document.getElementById("saved-reply");
  var findings = document.getElementById("findings");
  var preview = document.getElementById("response-preview");
  var previewText = document.getElementById("response-preview-text");
  var count = document.getElementById("response-count");
  var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  var timer = null;
  var asked = 0;

  function show(result) {
    findings.textContent = "";
    var said = {};
    result.findings.forEach(function (finding) {
      if (said[finding.message]) return;  // a phrase used twice is named once
      said[finding.message] = true;
      var p = document.createElement("p");
      p.className = "finding finding-" + finding.code + (finding.blocking ? " blocking" : "");
      p.textContent = finding.message;
      // Training and guidelines are named by their page: offer it as a link.
      var page = /\/training\/(guidelines\/)?/.exec(finding.message);
      if (page) {
        var link = document.createElement("a");
        link.href = page[0];
        link.className = "finding-link";
        link.textContent = page[1] ? "Open the guidelines" : "Open My training";
        p.appendChild(document.createTextNode(" "));
        p.appendChild(link);
      }
      findings.appendChild(p);
    });
    // The text as it will be sent, banned phrases marked.
    previewText.textContent = "";
    var marks = result.findings.filter(function (f) { return f.code === "banned_phrase"; })
      .sort(function (a, b) { return a.start - b.start; });
    var at = 0;
    marks.forEach(function (f) {
      if (f.start < at) return;
      previewText.appendChild(document.createTextNode(result.text.slice(at, f.start)));
      var mark = document.createElement("mark");
      mark.textContent = result.text.slice(f.start, f.end);
      previewText.appendChild(mark);
      at = f.end;
    });
    previewText.appendChild(document.createTextNode(result.text.slice(at)));
    preview.hidden = !result.text;
    count.textContent = String(result.text.length);
    var send = document.getElementById("response-send");
    send.disabled = result.blocked;
    send.title = result.blocked ? "Fix what is marked in red first" : "";
    send.textContent =
      result.approval_reasons.length ? "Send for approval" : (channel.value === "public" ? "Send reply" : "Record answer");
  }

  function check() {
    count.textContent = String(textarea.value.length);
    if (!textarea.value.trim()) {
      findings.textContent = "";
      preview.hidden = true;
      document.getElementById("response-send").disabled = false;
      return;
    }
    var ticket = ++asked;
    fetch(form.dataset.checkUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
      body: JSON.stringify({text: textarea.value, channel: channel.value})
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (result) { if (result && ticket === asked) show(result); })
      .catch(function () {});
  }
  function later() { clearTimeout(timer); timer = setTimeout(check, 300); }

  textarea.addEventListener("input", later);
  channel.addEventListener("change", check);
  saved.addEventListener("change", function () {
    var option = saved.options[saved.selectedIndex];
    if (!option.value) return;
    if (textarea.value.trim() && !window.confirm("Replace your text with this saved reply?")) return;
    textarea.value = option.dataset.text;
    textarea.focus();
    check();
  });
  if (textarea.value) check();
})();
