// Keyboard shortcuts on the inbox and the mention page.
//   j / k    next / previous mention (inbox)       Enter  open it (inbox)
//   a        assign to me                          r      reply
//   e        resolve                               /      search
//   ?        the list of shortcuts                 Esc    close the list, leave the search box
// They never fire while typing in a field (or with Ctrl, Alt or Cmd held); in the reply box,
// Ctrl+Enter (Cmd+Enter) sends. The page says which one it is with `data-page` on this tag.
(function () {
  "use strict";
  var page = document.currentScript.dataset.page || "";
  var KEY = "lotse.shortcuts.current";
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.id = "shortcut-status";
  document.body.appendChild(status);
  function say(text) { status.textContent = text; }

  var SHORTCUTS = [
    ["j", "Next mention (inbox)"],
    ["k", "Previous mention (inbox)"],
    ["Enter", "Open the mention (inbox)"],
    ["a", "Assign to me"],
    ["r", "Reply"],
    ["e", "Resolve"],
    ["/", "Search"],
    ["?", "Show this list"],
    ["Esc", "Close this list, leave the search box"],
    ["Ctrl+Enter", "Send the reply (in the reply box)"],
  ];
  var help = null;
  function helpDialog() {
    if (help) return help;
    help = document.createElement("dialog");
    help.id = "shortcuts-help";
    help.className = "shortcuts-help";
    help.setAttribute("aria-labelledby", "shortcuts-title");
    var title = document.createElement("h2");
    title.id = "shortcuts-title";
    title.textContent = "Keyboard shortcuts";
    help.appendChild(title);
    var list = document.createElement("dl");
    SHORTCUTS.forEach(function (pair) {
      var dt = document.createElement("dt");
      var kbd = document.createElement("kbd");
      kbd.textContent = pair[0];
      dt.appendChild(kbd);
      var dd = document.createElement("dd");
      dd.textContent = pair[1];
      list.appendChild(dt);
      list.appendChild(dd);
    });
    help.appendChild(list);
    var note = document.createElement("p");
    note.className = "muted";
    note.textContent = "Shortcuts never fire while you type in a field.";
    help.appendChild(note);
    var form = document.createElement("form");
    form.method = "dialog";
    var close = document.createElement("button");
    close.textContent = "Close";
    form.appendChild(close);
    help.appendChild(form);
    document.body.appendChild(help);
    return help;
  }
  function toggleHelp() {
    var dialog = helpDialog();
    if (dialog.open) dialog.close(); else dialog.showModal();
  }

  var TEXT_INPUTS = {checkbox: 0, radio: 0, button: 0, submit: 0, reset: 0, range: 0, color: 0};
  function typing(target) {
    if (!target || target.nodeType !== 1) return false;
    if (target.isContentEditable) return true;
    var tag = target.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    return tag === "INPUT" && !((target.type || "text") in TEXT_INPUTS);
  }

  // --- the inbox: a current row moved with j/k -------------------------------------------
  function rows() {
    return Array.prototype.slice.call(
      document.querySelectorAll("#cluster-rows > tr, #mention-rows > tr"));
  }
  function current() {
    var node = document.querySelector("tr.kb-current");
    return node && node.isConnected ? node : null;
  }
  function mark(row) {
    var old = document.querySelectorAll("tr.kb-current");
    for (var i = 0; i < old.length; i++) {
      old[i].classList.remove("kb-current");
      old[i].removeAttribute("aria-current");
    }
    if (!row) return;
    row.classList.add("kb-current");
    row.setAttribute("aria-current", "true");
    if (!row.hasAttribute("tabindex")) row.tabIndex = -1;
    row.focus({preventScroll: true});
    row.scrollIntoView({block: "nearest"});
    try { sessionStorage.setItem(KEY, row.id); } catch (err) { /* private mode */ }
  }
  function move(step) {
    var all = rows();
    if (!all.length) { say("No mentions here."); return; }
    var at = all.indexOf(current());
    var next = at === -1 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
    mark(all[next]);
  }
  function rowLink(row) {
    return row.querySelector("td.text a, a.cluster-open");
  }
  function rowAction(action, label) {
    var row = current();
    if (!row) { say("Choose a mention first with j or k."); return; }
    var form = document.getElementById("bulk-form");
    var box = row.querySelector("input[name=ids]");
    if (!form || !box) { say("You cannot " + label + " here."); return; }
    document.querySelectorAll("input[name=ids]").forEach(function (other) { other.checked = false; });
    box.checked = true;
    form.querySelector("select[name=action]").value = action;
    say(label + "…");
    form.submit();
  }
  function restore() {
    var id = null;
    try { id = sessionStorage.getItem(KEY); } catch (err) { /* private mode */ }
    var row = id ? document.getElementById(id) : null;
    if (row && row.closest("#mention-rows, #cluster-rows")) mark(row);
  }

  // --- the mention page ------------------------------------------------------------------
  function press(selector, label) {
    var button = document.querySelector(selector);
    if (!button) { say("You cannot " + label + " this mention."); return; }
    say(label + "…");
    button.click();
  }
  function focusReply() {
    var box = document.getElementById("response-text");
    if (!box) { say("You cannot reply to this mention."); return; }
    box.scrollIntoView({block: "center"});
    box.focus();
  }

  function search() {
    var box = document.getElementById("search");
    if (!box) { window.location.href = "/#search"; return; }
    box.focus();
    box.select();
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing) return;
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.id === "response-text") {
      event.preventDefault();
      var composer = target.form;
      if (composer.requestSubmit) composer.requestSubmit(); else composer.submit();
      return;
    }
    if (event.key === "Escape" && target.id === "search") {
      event.preventDefault();  // Chromium would empty a search field on Escape
      target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(target)) return;
    if (help && help.open && event.key !== "?") return;  // the dialog handles its own keys
    var key = event.key;
    if (key === "?") { event.preventDefault(); toggleHelp(); return; }
    if (key === "/") { event.preventDefault(); search(); return; }
    if (page === "inbox") {
      if (key === "j") { event.preventDefault(); move(1); }
      else if (key === "k") { event.preventDefault(); move(-1); }
      else if (key === "Enter") {
        // A focused link or button does its own thing; on the row (or nothing) open it.
        if (target.closest && target.closest("a, button, summary")) return;
        var row = current();
        var link = row && rowLink(row);
        if (link) { event.preventDefault(); window.location.href = link.href; }
      }
      else if (key === "a") { event.preventDefault(); rowAction("assign_me", "assign to me"); }
      else if (key === "e") { event.preventDefault(); rowAction("resolved", "resolve"); }
      else if (key === "r") {
        var chosen = current();
        var open = chosen && chosen.querySelector("td.text a");
        if (open) { event.preventDefault(); window.location.href = open.href + "#reply"; }
        else say("Choose a mention first with j or k.");
      }
    } else if (page === "mention") {
      if (key === "a") { event.preventDefault(); press('button[name=action][value=assign_me]', "assign to me"); }
      else if (key === "e") { event.preventDefault(); press('button[name=action][value=resolved]', "resolve"); }
      else if (key === "r") { event.preventDefault(); focusReply(); }
    }
  });

  document.documentElement.dataset.shortcuts = "ready";  // tests wait for this
  if (page === "inbox") {
    restore();
    if (window.location.hash === "#search") search();
  } else if (page === "mention" && window.location.hash === "#reply") {
    focusReply();
  }
})();
