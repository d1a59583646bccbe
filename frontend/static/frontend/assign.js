// Assigning a colleague (managers): typing narrows the list through
// GET /api/v1/mentions/{id}/assignees?q= (name, open load, shift). Text only via textContent.
(function () {
  "use strict";
  var form = document.getElementById("assign-form");
  if (!form) return;
  var search = document.getElementById("assignee-search");
  var select = document.getElementById("assignee-select");
  var status = document.getElementById("assignee-status");
  var timer = null;
  var asked = 0;
  function show(people) {
    select.textContent = "";
    people.forEach(function (person) {
      var option = document.createElement("option");
      option.value = String(person.id);
      option.textContent = person.display;
      select.appendChild(option);
    });
    if (!people.length) {
      var none = document.createElement("option");
      none.value = "";
      none.textContent = "Nobody matches";
      select.appendChild(none);
    }
    status.textContent = people.length === 1 ? "1 colleague" : people.length + " colleagues";
  }
  function ask() {
    var number = ++asked;
    var url = form.dataset.api + "?q=" + encodeURIComponent(search.value.trim());
    fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (people) {
        if (number !== asked) return;  // an older answer arrived late
        if (!people) { status.textContent = "Could not load colleagues; try again."; return; }
        show(people);
      })
      .catch(function () { status.textContent = "Could not load colleagues; try again."; });
  }
  search.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 200);
  });
  search.addEventListener("keydown", function (event) {
    // Enter picks the first match; arrow down moves into the list.
    if (event.key === "Enter") { event.preventDefault(); if (select.value) form.requestSubmit(); }
    if (event.key === "ArrowDown") { event.preventDefault(); select.focus(); }
  });
})();
