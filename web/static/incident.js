// Incident page: poll /api/incidents/<id>; when new reviews or timeline entries arrive (or the
// status changes), fetch this page again and swap in the sections marked data-live, so the
// handler sees the change without reloading. The new sections are the server's own rendered,
// escaped markup (same origin, parsed inert by DOMParser; no scripts run). The actions panel
// (data-live="form") is only swapped while the handler is not typing in it; otherwise the
// notice offers a reload. The related reviews are part of the swap, so reviews that join an
// open incident appear in place (marked new) while the handler reads.
(function () {
  "use strict";
  var configNode = document.getElementById("incident-config");
  var status = document.getElementById("incident-live");
  if (!configNode || !status) { return; }
  var config = JSON.parse(configNode.textContent);
  var delay = config.intervalMs;

  function changed(incident) {
    return incident.review_ids.length !== config.reviews ||
      incident.events.length !== config.events || incident.status !== config.status;
  }

  function busy(form) {
    var active = document.activeElement;
    if (active && form.contains(active) && active.tagName !== "BUTTON") { return true; }
    return Array.prototype.some.call(form.querySelectorAll("input[type=text], input:not([type])"),
      function (input) { return input.value !== ""; });
  }

  // What the handler did to a section stays as they left it: a <details> they opened or
  // closed keeps that state, and review cards that were not there before are marked new.
  function keepState(old, fresh) {
    var before = old.querySelectorAll("details");
    Array.prototype.forEach.call(fresh.querySelectorAll("details"), function (details, i) {
      if (before[i]) { details.open = before[i].open; }
    });
    var seen = {};
    Array.prototype.forEach.call(old.querySelectorAll("article.review[data-id]"), function (card) {
      seen[card.getAttribute("data-id")] = true;
    });
    if (!old.querySelector("article.review[data-id]") && old.id !== "incident-related") { return; }
    Array.prototype.forEach.call(fresh.querySelectorAll("article.review[data-id]"), function (card) {
      if (!seen[card.getAttribute("data-id")]) { card.classList.add("review-new"); }
    });
  }

  function notify(incident, kept) {
    var reviews = Math.max(incident.review_ids.length - config.reviews, 0);
    var events = Math.max(incident.events.length - config.events, 0);
    status.textContent = config.labels.updated.replace("{reviews}", reviews)
      .replace("{events}", events) + " ";
    if (kept) {
      var link = document.createElement("a");
      link.href = window.location.pathname;
      link.textContent = config.labels.reload;
      status.appendChild(link);
    }
    status.hidden = false;
  }

  function redraw(incident) {
    return fetch(window.location.pathname, {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var kept = false;
        Array.prototype.forEach.call(document.querySelectorAll("[data-live]"), function (node) {
          var fresh = page.getElementById(node.id);
          if (!fresh) { return; }
          if (node.getAttribute("data-live") === "form" && busy(node)) { kept = true; return; }
          var copy = document.importNode(fresh, true);
          keepState(node, copy);
          node.replaceWith(copy);
        });
        notify(incident, kept);
        config.reviews = incident.review_ids.length;
        config.events = incident.events.length;
        config.status = incident.status;
      });
  }

  function poll() {
    fetch(config.pollUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.json();
      })
      .then(function (data) {
        delay = config.intervalMs;
        return changed(data.incident) ? redraw(data.incident) : null;
      })
      .then(function () { window.setTimeout(poll, delay); })
      .catch(function () {
        delay = Math.min(delay * 2, 60000);  // back off while the server is unreachable
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, delay);
}());
