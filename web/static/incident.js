// Incident page: poll /api/incidents/<id> and say when new reviews or timeline entries
// arrived (or the status changed), with a link to reload. Text only; nothing from the server
// is inserted as markup.
(function () {
  "use strict";
  var configNode = document.getElementById("incident-config");
  var status = document.getElementById("incident-live");
  if (!configNode || !status) { return; }
  var config = JSON.parse(configNode.textContent);
  var delay = config.intervalMs;

  function show(incident) {
    var reviews = incident.review_ids.length - config.reviews;
    var events = incident.events.length - config.events;
    if (reviews <= 0 && events <= 0 && incident.status === config.status) { return false; }
    status.textContent = config.labels.changed
      .replace("{reviews}", Math.max(reviews, 0)).replace("{events}", Math.max(events, 0)) + " ";
    var link = document.createElement("a");
    link.href = window.location.pathname;
    link.textContent = config.labels.reload;
    status.appendChild(link);
    status.hidden = false;
    return true;
  }

  function poll() {
    fetch(config.pollUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) {
        delay = config.intervalMs;
        if (!show(data.incident)) { window.setTimeout(poll, delay); }
      })
      .catch(function () {
        delay = Math.min(delay * 2, 60000);  // back off while the server is unreachable
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, delay);
}());
