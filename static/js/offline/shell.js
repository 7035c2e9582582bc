// The offline shell: with no signal the service worker answers every page with this one, and
// this script draws the caseload, a child or the review form from the copy kept on the device.
// The review form's fields are the server's own markup, kept in the bundle (one copy per service,
// plus each child's targets to close), so the offline form is the online one.
(function () {
  "use strict";
  var config = window.OfflineOutbox.config;
  var store = window.OfflineStore;
  var root = document.getElementById("shell");

  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) return;
      if (name === "text") node.textContent = value;
      else if (name === "className") node.className = value;
      else node.setAttribute(name, value === true ? "" : value);
    });
    for (var i = 2; i < arguments.length; i += 1) {
      [arguments[i]].flat(Infinity).forEach(function (child) {
        if (child) node.append(child);
      });
    }
    return node;
  }

  // "/children/0/reviews/new" -> /^\/children\/(\d+)\/reviews\/new$/
  function pattern(template) {
    var escaped = template.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\/0(?=\/|$)/, "/(\\d+)");
    return new RegExp("^" + escaped + "$");
  }

  function urlFor(template, childId, service) {
    var url = template.replace(/\/0(?=\/|$)/, "/" + childId);
    return service ? url + "?service=" + encodeURIComponent(service) : url;
  }

  function today() {
    var now = new Date();
    return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }

  function show(title, nodes) {
    delete root.dataset.recover;
    document.title = title + " (offline) – SEND outcomes tracker";
    root.replaceChildren.apply(root, [nodes].flat(Infinity).filter(Boolean));
    root.dataset.ready = "yes";  // tests and assistive tech: the page is drawn
  }

  function notKept(message) {
    show("Not available offline", [
      el("h1", { text: "Not available offline" }),
      el("p", { text: message }),
      el("p", {}, el("a", { href: config.caseload, text: "Go to the caseload kept on this device" })),
    ]);
    root.dataset.recover = "yes";
  }

  function keptNote(kept) {
    return el("p", { className: "note", text: "You are working from the copy of your caseload kept on this device at " +
      new Date(kept.saved_at).toLocaleString("en-GB") + ". Reviews you save are sent when the signal returns." });
  }

  function caseload(kept, serviceKey) {
    var bundle = kept.data;
    var service = bundle.services.find(function (s) { return s.key === serviceKey; }) || bundle.services[0];
    if (!service) return notKept("You are not a member of any service yet.");
    var rows = bundle.children.filter(function (child) { return child.services[service.key]; });
    var switcher = bundle.services.length > 1 ? el("nav", { className: "switcher", "aria-label": "Services" },
      el("ul", {}, bundle.services.map(function (s) {
        return el("li", {}, el("a", { href: config.caseload + "?service=" + encodeURIComponent(s.key), text: s.name,
                                       "aria-current": s.key === service.key ? "page" : null }));
      }))) : null;
    var table = el("table", { className: "caseload" },
      el("caption", { className: "visually-hidden", text: "Children on the " + service.name + " caseload" }),
      el("thead", {}, el("tr", {}, ["Child", "Date of birth", "Last review", "Next review due"].map(function (name) {
        return el("th", { scope: "col", text: name });
      }))),
      el("tbody", {}, rows.map(function (child) {
        var dates = child.services[service.key];
        return el("tr", {},
          el("th", { scope: "row" }, el("a", { className: "row-link", href: urlFor(config.child, child.id),
                                               text: child.given_name + " " + child.family_name })),
          el("td", { text: child.born }),
          el("td", { text: dates.last_review_text || "Not yet reviewed" }),
          el("td", { text: dates.next_due_text || "Now" }, dates.overdue
            ? [" ", el("span", { className: "tag tag-warning", text: "Overdue" })] : null));
      })));
    show(service.name + " caseload", [el("h1", { text: service.name + " caseload" }), keptNote(kept), switcher,
      rows.length
        ? el("div", { className: "table-scroll", tabindex: "0", role: "region",
                      "aria-label": service.name + " caseload: the table scrolls sideways" }, table)
        : el("p", { text: "No children are on this caseload." })]);
    root.dataset.recover = "yes";
  }

  function findChild(bundle, childId) {
    return bundle.children.find(function (child) { return child.id === childId; });
  }

  // The kept star: the same data the online page draws (outcomes/charts.py), with its table.
  function keptStar(service, spec) {
    var reviews = spec.datasets;
    var canvas = el("canvas", { id: "star-" + service.key, className: "star-chart", role: "img",
      "aria-label": "Radar chart of the chosen " + service.name + " readings kept on this device; the same figures are in the table." });
    var table = el("table", { className: "readings" },
      el("caption", { text: "Readings kept on this device (" + service.star.name + ", scale " + spec.min + "–" + spec.max + ")" }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Domain" }), reviews.map(function (dataset) {
        return el("th", { scope: "col", text: dataset.label });
      }))),
      el("tbody", {}, spec.labels.map(function (label, row) {
        return el("tr", {}, el("th", { scope: "row", text: label }), reviews.map(function (dataset) {
          var value = dataset.values[row];
          return value === null ? el("td", {}, el("span", { className: "muted", text: "Not assessed" })) : el("td", { text: String(value) });
        }));
      })));
    return { canvas: canvas, spec: spec, nodes: [el("h3", { text: "Star over time" }), el("div", { className: "chart-and-table" },
      el("figure", { className: "chart star-figure" }, canvas),
      el("div", { className: "table-scroll", tabindex: "0", role: "region", "aria-label": service.name + " readings: the table scrolls sideways" }, table))] };
  }

  // Chart.js is precached for practitioners but loaded only when a kept star is drawn.
  function loadScripts(urls) {
    return urls.reduce(function (previous, src) {
      return previous.then(function () {
        if (document.querySelector("script[src='" + src + "']")) return null;
        return new Promise(function (resolve, reject) {
          document.body.append(el("script", { src: src }));
          document.body.lastChild.addEventListener("load", resolve);
          document.body.lastChild.addEventListener("error", reject);
        });
      });
    }, Promise.resolve());
  }

  function childPage(kept, childId) {
    var bundle = kept.data;
    var child = findChild(bundle, childId);
    if (!child) return notKept("This child is not on the caseload kept on this device.");
    var stars = [];
    var sections = bundle.services.filter(function (s) { return child.services[s.key]; }).map(function (service) {
      var record = child.services[service.key];
      // Each star's scale and areas are kept once for every child (outcomes/offline_bundle.py).
      var star = record.chart ? keptStar(service, Object.assign({}, (bundle.chart_scales || [])[record.chart.scale], record.chart)) : null;
      if (star) stars.push(star);
      return el("section", { className: "service-section" },
        el("h2", { text: service.name }),
        el("p", {}, el("a", { className: "button", href: urlFor(config.new_review, child.id, service.key),
                              text: "Start today's review" })),
        el("p", { text: "Last review: " + (record.last_review_text || "not yet reviewed") +
                        ". Next review due: " + (record.next_due_text || "now") + "." }),
        star ? star.nodes : el("p", { text: "No submitted reviews yet." }),
        el("h3", { text: "Open targets" }),
        record.open_targets.length ? el("ul", { className: "targets" }, record.open_targets.map(function (t) {
          return el("li", {}, el("strong", { text: t.description }), el("br"),
            t.domain_key.replace(/_/g, " ") + ": from " + (t.start_score === null ? "not assessed" : t.start_score) +
            " to " + t.target_score + ", due " + t.due_text);
        })) : el("p", { text: "No open targets." }));
    });
    var name = child.given_name + " " + child.family_name;
    show(name, [el("p", {}, el("a", { href: config.caseload, text: "Back to the caseload" })),
      el("h1", { text: name }), el("p", { className: "lead", text: "Born " + child.born }),
      keptNote(kept), sections]);
    root.dataset.recover = "yes";
    if (!stars.length) return;
    root.dataset.charts = "loading";
    loadScripts(root.dataset.chartScripts.split(" ")).then(function () {
      stars.forEach(function (star) { window.StarChart.drawStar(star.canvas, star.spec); });
      root.dataset.charts = "drawn";
    }).catch(function () {
      root.dataset.charts = "unavailable";  // the tables carry the same figures
    });
  }

  function errorSummary(item) {
    var errors = item.errors || {};
    var labels = item.labels || {};
    var names = Object.keys(errors);
    return el("div", { className: "error-summary", role: "alert", tabindex: "-1", id: "error-summary" },
      el("h2", { text: "The server did not accept this review" }),
      names.length ? el("ul", {}, names.map(function (name) {
        return el("li", { text: (labels[name] || name) + ": " + [].concat(errors[name]).join(" ") });
      })) : el("p", { text: item.message }));
  }

  // Markup from our own server (the bundle, drawn by the online form's Jinja templates and
  // escaped there), parsed inertly: nothing in it runs, and the CSP allows no inline script anyway.
  function serverMarkup(html) {
    return Array.from(new DOMParser().parseFromString(html || "", "text/html").body.childNodes);
  }

  // The kept markup was drawn on the day the copy was kept: which targets are due follows the
  // review's date here, as it does on the server's form.
  function markDue(form) {
    var date = form.elements.namedItem("date").value;
    form.querySelectorAll("select.outcome-select").forEach(function (select) {
      var due = select.dataset.dueDate <= date;
      select.dataset.due = due ? "yes" : "no";
      var tag = select.closest("fieldset").querySelector(".tag-due");
      if (tag) tag.hidden = !due;
    });
  }

  function reviewForm(kept, childId, serviceKey, item) {
    var bundle = kept.data;
    var child = findChild(bundle, childId);
    var service = bundle.services.find(function (s) { return s.key === serviceKey; });
    if (!child || !service || !child.services[serviceKey]) {
      return notKept("This child is not on that service's caseload kept on this device.");
    }
    if (!service.review_form) {
      return notKept("The review form kept on this device is out of date. Open the app once with a signal to renew it.");
    }
    var star = service.star;
    var name = child.given_name + " " + child.family_name;
    var form = el("form", { method: "post", className: "review-form", novalidate: true, "data-offline-review": true,
                            "data-offline-only": true, "data-child-id": child.id, "data-service": service.key,
                            "data-child-name": name, "data-service-name": service.name,
                            "data-replaces": item ? item.uuid : null },
      serverMarkup(service.review_form));
    var slot = form.querySelector("[data-targets-to-close]");
    slot.replaceChildren.apply(slot, serverMarkup(child.services[serviceKey].targets_to_close));
    form.querySelector(".actions").before(
      el("p", { className: "hint", text: "The review is saved on this device and sent when there is a signal." }));
    show("Review of " + name, [
      el("p", {}, el("a", { href: urlFor(config.child, child.id), text: "Back to " + child.given_name })),
      el("h1", { text: service.name + " review: " + name }),
      el("p", { className: "lead", text: star.name + " — score each domain from " + star.scale_min + " to " +
        star.scale_max + ", or mark it not assessed and say why." }),
      item ? errorSummary(item) : keptNote(kept),
      form]);
    // A UUID another review already holds (409) cannot be used again: this becomes a new review.
    var uuid = item && item.status !== 409 ? item.uuid : crypto.randomUUID();
    window.OfflineForm.fill(form, Object.assign({ date: today() }, item ? item.body : {}, { uuid: uuid }));
    var faces = form.querySelector("#child_faces-" + child.child_faces);
    if (!item && faces) faces.checked = true;  // a new review offers the faces this child used last
    form.elements.namedItem("date").max = today();
    markDue(form);
    window.OfflineApp.hookReviewForm(form);
    // The server's suggestion script binds to the form's selects, so it loads once they exist.
    document.body.append(el("script", { src: config.review_form_js }));
  }

  var drawnFor;

  async function route() {
    var viewer = drawnFor = await window.OfflineOutbox.viewerId();
    var kept = await store.get("kept", "bundle");
    if (viewer === null || !kept || kept.user_id !== viewer) {
      return notKept("No caseload is kept on this device. Sign in once with a signal, and your caseload is kept here for when there is none.");
    }
    var path = location.pathname;
    var params = new URLSearchParams(location.search);
    var match;
    if (path === config.shell && params.get("edit")) {
      var item = await store.get("outbox", params.get("edit"));
      if (!item || item.user_id !== viewer) return notKept("That review is not in your outbox on this device.");
      return reviewForm(kept, item.body.child_id, item.body.service, item);
    }
    if (path === config.caseload || path === config.scope || path === config.shell) return caseload(kept, params.get("service"));
    if ((match = path.match(pattern(config.new_review)))) return reviewForm(kept, parseInt(match[1], 10), params.get("service"));
    if ((match = path.match(pattern(config.child)))) return childPage(kept, parseInt(match[1], 10));
    return notKept("This page needs a signal. Your caseload and review forms work without one.");
  }

  var mode = document.getElementById("shell-mode");
  mode.textContent = navigator.onLine ? "Kept copy" : "Offline";
  // When the signal returns, a page that stood in for the server's (a kept copy, or "not
  // available offline") is fetched again for real; a review form being filled in stays put.
  // Only a page drawn in place of another address recovers: at the shell's own address (the
  // outbox's "Fix and send again") the shell is the page.
  function recover() {
    if (root.dataset.recover === "yes" && location.pathname !== config.shell) location.reload();
  }

  // navigator.onLine and its events can be wrong (a weak signal, a server down, an "online" that
  // is not): a page standing in for the server's asks the server itself, on "online" and now and
  // then, and recovers once it answers.
  var retry = { delay: config.retry_base_ms, timer: null };
  function recoverWhenReachable(now) {
    clearTimeout(retry.timer);
    retry.timer = setTimeout(async function () {
      if (root.dataset.recover !== "yes" || location.pathname === config.shell) return;
      if ((await window.OfflineOutbox.whoami()).status !== "unreachable") return recover();
      retry.delay = Math.min(retry.delay * 2, config.retry_max_ms);
      recoverWhenReachable();
    }, now ? 0 : retry.delay);
  }

  window.addEventListener("online", function () {
    mode.textContent = "Signal back";
    retry.delay = config.retry_base_ms;
    recoverWhenReachable(true);
  });
  window.addEventListener("offline", function () { mode.textContent = "Offline"; });
  // Drawn at once (a weak signal must not keep her waiting), and again only if start-up found
  // someone else signed in, which also forgets the previous user's copy.
  route().then(function () { return window.OfflineReady; }).then(async function () {
    if (await window.OfflineOutbox.viewerId() !== drawnFor) await route();
    recoverWhenReachable();
  });
})();
