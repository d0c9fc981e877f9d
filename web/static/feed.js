// Live feed: poll /api/feed with the page's cursor and put newly ingested reviews on top.
// Cards are built from #review-template with textContent only, so review text stays inert.
(function () {
  "use strict";
  var configNode = document.getElementById("feed-config");
  var feed = document.getElementById("feed");
  var template = document.getElementById("review-template");
  if (!configNode || !feed || !template) { return; }
  var config = JSON.parse(configNode.textContent);
  var status = document.getElementById("feed-status");
  var empty = document.getElementById("feed-empty");
  var bulkForm = document.getElementById("bulk-form");
  var cursor = config.cursor;
  var arrived = 0;  // reviews shown since the page loaded
  var delay = config.intervalMs;
  var MAX_CARDS = 500;
  var CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
  var timeParts = new Intl.DateTimeFormat("en-CA", {
    timeZone: config.timezone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"
  });

  function visible(text) {
    // Same as the server's |visible filter: control characters become control pictures.
    return (text || "").replace(CONTROL, function (c) {
      var code = c.charCodeAt(0);
      if (code < 0x20) { return String.fromCharCode(0x2400 + code); }
      return code === 0x7f ? "\u2421" : "\ufffd";
    });
  }

  function localTime(iso, withSeconds) {
    var parts = {};
    timeParts.formatToParts(new Date(iso)).forEach(function (p) { parts[p.type] = p.value; });
    var text = parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
    return withSeconds ? parts.hour + ":" + parts.minute + ":" + parts.second : text;
  }

  function stars(rating) {
    var filled = Math.floor(rating + 0.5);
    return "\u2605".repeat(filled) + "\u2606".repeat(5 - filled);
  }

  function tag(kind, text) {
    var span = document.createElement("span");
    span.className = "tag tag-" + kind;
    span.textContent = text;
    return span;
  }

  function card(review) {
    var node = template.content.firstElementChild.cloneNode(true);
    var label = review.sentiment ? review.sentiment.label : "unknown";
    var find = function (selector) { return node.querySelector(selector); };
    node.classList.add("review-" + label);
    node.dataset.id = review.id;
    find(".badge").classList.add("badge-" + label);
    find(".badge").textContent = config.labels[label];
    find(".score").textContent = review.sentiment
      ? (review.sentiment.score >= 0 ? "+" : "") + review.sentiment.score.toFixed(2) : "\u2014";
    find(".source").textContent = review.source;
    find(".author").textContent = review.author ? visible(review.author) : config.labels.anonymous;
    var starNode = find(".stars");
    if (review.rating === null || review.rating === undefined) {
      starNode.textContent = config.labels.noRating;
      starNode.classList.add("no-rating");
    } else {
      starNode.textContent = stars(review.rating);
      starNode.title = config.labels.rating.replace("{rating}", review.rating.toFixed(1));
    }
    if (bulkForm) {  // a tick box belonging to the bulk bar, as the server draws it
      var pick = document.createElement("input");
      pick.type = "checkbox";
      pick.className = "bulk-pick";
      pick.name = "review_id";
      pick.value = review.id;
      pick.setAttribute("form", bulkForm.id);
      pick.setAttribute("aria-label", config.labels.pick);
      find(".review-meta").insertBefore(pick, find(".badge"));
    }
    if (review.handling) { drawHandling(node, review.handling); }
    else { find(".handling").remove(); }
    find("time").dateTime = review.published_at;
    find("time").textContent = localTime(review.published_at, false);
    var reach = review.reach || 0;  // the server's sum, the one ?sort=reach orders by
    if (reach > 0) { find(".reach").textContent = config.labels.reach.replace("{reach}", reach); }
    else { find(".reach").remove(); }
    var status = review.extra && review.extra.status;  // a complaint's 处理中 / 已完成
    if (typeof status === "string" && status) { find(".complaint-status").textContent = visible(status); }
    else { find(".complaint-status").remove(); }
    if (review.title) { find(".review-title").textContent = visible(review.title); }
    else { find(".review-title").remove(); }
    find(".review-text").textContent = visible(review.text);
    if (review.script === "zh-Hans" || review.script === "zh-Hant") { find(".review-text").lang = review.script; }
    var links = find(".links");
    review.entities.forEach(function (e) { links.before(tag("entity", config.entities[e] || e)); });
    review.topics.forEach(function (t) { links.before(tag("topic", config.topics[t] || t)); });
    review.flags.forEach(function (f) { links.before(tag("flag", f)); });
    find(".detail-link").href = config.reviewBase + encodeURIComponent(review.id);
    if (review.url && /^https?:\/\//.test(review.url)) { find(".original-link").href = review.url; }
    else { find(".original-link").remove(); }
    return node;
  }

  function show(reviews) {
    reviews.forEach(function (review) {  // oldest first, so each goes on top of the last
      var old = feed.querySelector('article[data-id="' + CSS.escape(review.id) + '"]');
      if (old) { old.remove(); }
      var node = card(review);
      node.classList.add("review-new");
      feed.insertBefore(node, feed.firstChild);
    });
    var cards = feed.querySelectorAll("article.review");
    for (var i = MAX_CARDS; i < cards.length; i++) { cards[i].remove(); }
    if (empty) { empty.hidden = cards.length > 0; }
  }

  function poll() {
    if (document.hidden) { return schedule(); }
    var url = config.pollUrl + (config.pollUrl.indexOf("?") < 0 ? "?" : "&") +
      "cursor=" + encodeURIComponent(cursor);
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        if (!result.ok) {
          if (result.body.error && result.body.error.parameter === "cursor") {
            status.textContent = config.labels.restart;  // the store was reset: start over
            window.location.reload();
            return;
          }
          throw new Error(result.body.error ? result.body.error.message : "error");
        }
        show(result.body.reviews);
        pollHandling();
        arrived += result.body.reviews.length;
        cursor = result.body.cursor;
        delay = config.intervalMs;
        status.textContent = config.labels.updated
          .replace("{time}", localTime(new Date().toISOString(), true))
          .replace("{count}", String(arrived));
        schedule();
      })
      .catch(function () {
        status.textContent = config.labels.failed;
        delay = Math.min(delay * 2, 60000);  // back off while the server is away
        schedule();
      });
  }

  // Handling done meanwhile (by this handler in another tab, or by a colleague) is redrawn on
  // the cards shown: the status badge follows /api/handling?since=...
  var handlingSince = config.handlingSince;

  function drawHandling(node, handling) {
    var badge = node.querySelector(".handling");
    if (!badge) {
      badge = document.createElement("span");
      node.querySelector(".review-meta").appendChild(badge);
    }
    badge.hidden = false;
    badge.className = "handling handling-" + handling.status;
    badge.textContent = handling.status === "handled"
      ? config.labels.handled.replace("{outcome}", config.labels["outcome." + handling.outcome] || handling.outcome)
          .replace("{by}", handling.handled_by || "")
      : config.labels.assigned.replace("{assignee}", handling.assignee || "");
  }

  function pollHandling() {
    var url = config.handlingUrl + "?since=" + encodeURIComponent(handlingSince);
    return fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        Object.keys(body.handling).forEach(function (id) {
          var node = feed.querySelector('article[data-id="' + CSS.escape(id) + '"]');
          if (node) { drawHandling(node, body.handling[id]); }
        });
        handlingSince = body.until;
      })
      .catch(function () { /* the next round tries again */ });
  }

  function schedule() { window.setTimeout(poll, delay); }

  if (cursor) { schedule(); }
})();
