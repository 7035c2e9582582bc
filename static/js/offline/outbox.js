// The outbox: reviews saved on the device, sent to POST /api/v1/reviews when there is signal.
// States: waiting, sending, rejected. Each review carries its UUID, so a re-send never makes a
// second copy. Items belong to the user who saved them and are only sent in her session.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("offline-config").textContent);
  var store = window.OfflineStore;
  var LOCK = "outcomes-outbox";
  var state = { who: null, failures: 0, timer: null, note: "", renders: 0 };
  // A weak signal can leave a request hanging; give up and retry later rather than wait.
  var TIMEOUT_MS = 20000;

  // Who is signed in: {status: "ok", user} | {status: "signed-out"} | {status: "unreachable"}.
  async function whoami() {
    var response;
    try {
      response = await fetch(config.whoami, { credentials: "same-origin", cache: "no-store",
                                              headers: { Accept: "application/json" },
                                              signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (error) {
      return { status: "unreachable" };
    }
    // 204: nobody is signed in (401 from an older server means the same).
    if (response.status === 204 || response.status === 401) return { status: "signed-out" };
    if (!response.ok) return { status: "unreachable" };
    var user = await response.json();
    var kept = await store.get("kept", "user");
    if (kept && kept.user_id !== user.user_id) {
      // Another person signed in on this browser: the last one's caseload copy goes.
      await store.remove("kept", "bundle");
    }
    await store.put("kept", { key: "user", user_id: user.user_id, name: user.name, role: user.role });
    return { status: "ok", user: user };
  }

  // The user whose outbox this page shows: the signed-in one, or offline the last one seen.
  async function viewerId() {
    if (state.who && state.who.status === "ok") return state.who.user.user_id;
    if (state.who && state.who.status === "signed-out") return null;
    var kept = await store.get("kept", "user");
    return kept ? kept.user_id : null;
  }

  async function save(body, labels) {
    var userId = await viewerId();
    if (userId === null) {
      // Her session expired with the form open: it is still hers, kept for her next sign-in.
      var kept = await store.get("kept", "user");
      userId = kept ? kept.user_id : null;
    }
    if (userId === null) throw new Error("Nobody is signed in on this device.");
    await store.put("outbox", {
      uuid: body.uuid, user_id: userId, body: body, state: "waiting", attempts: 0,
      message: "", errors: {}, child_name: labels.child_name, service_name: labels.service_name,
      saved_at: new Date().toISOString(),
    });
    await render();
    if (navigator.onLine) sync();
  }

  // The server's messages in the form's words: it sends the field keys in `errors` (in the
  // form's order) and what the form calls each field in `labels`.
  function describe(data, status) {
    if (data && data.errors) {
      var labels = data.labels || {};
      return Object.keys(data.errors).map(function (field) {
        return (labels[field] || field) + ": " + [].concat(data.errors[field]).join(" ");
      }).join("\n");
    }
    if (status === 413) return "This review is larger than the server accepts (256 KB). Shorten the notes.";
    return (data && data.error) || "The server refused this review (" + status + ").";
  }

  // A page showing this review (its "saved on this device" message) follows what became of it.
  function announce(item, outcome) {
    document.dispatchEvent(new CustomEvent("outbox:item", { detail: { uuid: item.uuid, outcome: outcome } }));
  }

  // Sends one item; returns "sent", "rejected", "retry" (server unreachable or failing) or "signed-out".
  async function send(item, token) {
    item.state = "sending";
    item.attempts += 1;
    await store.put("outbox", item);
    var response;
    try {
      response = await fetch(config.reviews, {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
        body: JSON.stringify(item.body), signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      response = null;
    }
    if (response && (response.status === 200 || response.status === 201)) {
      await store.remove("outbox", item.uuid);
      announce(item, "sent");
      return "sent";
    }
    if (response && response.status >= 400 && response.status < 500 && response.status !== 401
        && response.status !== 408 && response.status !== 429) {
      var data = await response.json().catch(function () { return null; });
      item.state = "rejected";
      item.status = response.status;
      item.message = describe(data, response.status);
      item.errors = (data && data.errors) || {};
      item.labels = (data && data.labels) || {};
      item.existing_url = (data && data.url) || "";
      await store.put("outbox", item);
      announce(item, "rejected");
      return "rejected";
    }
    item.state = "waiting";
    item.message = response ? "The server could not take it yet (" + response.status + ")." : "No connection to the server yet.";
    await store.put("outbox", item);
    return response && response.status === 401 ? "signed-out" : "retry";
  }

  function retryDelay() {
    var delay = config.retry_base_ms * Math.pow(2, Math.max(0, state.failures - 1));
    return Math.min(delay, config.retry_max_ms);
  }

  function schedule() {
    clearTimeout(state.timer);
    if (state.failures > 0) state.timer = setTimeout(sync, retryDelay());
  }

  async function sendAll() {
    state.who = await whoami();
    if (state.who.status === "unreachable") return "retry";
    if (state.who.status === "signed-out") return "signed-out";
    var me = state.who.user;
    var items = (await store.all("outbox")).filter(function (item) {
      return item.user_id === me.user_id && item.state !== "rejected";
    });
    var sent = 0;
    for (var i = 0; i < items.length; i += 1) {
      var result = await send(items[i], me.csrf_token);
      if (result === "sent") sent += 1;
      if (result === "retry" || result === "signed-out") return result;
      await render();
    }
    return sent ? "sent" : "idle";
  }

  async function waitingCount() {
    var userId = await viewerId();
    return (await store.all("outbox")).filter(function (item) {
      return item.user_id === userId && item.state !== "rejected";
    }).length;
  }

  // Sends every waiting review of the signed-in user; one tab at a time (Web Locks).
  async function sync() {
    if (!navigator.onLine) { state.note = "They will be sent when the signal returns."; return render(); }
    var result = navigator.locks ? await navigator.locks.request(LOCK, sendAll) : await sendAll();
    if (result === "retry" && !(await waitingCount())) {
      result = "idle";  // nothing to send: no reason to keep asking an unreachable server
    }
    if (result === "retry") {
      state.failures += 1;
      state.note = "The server cannot be reached; trying again soon.";
    } else {
      state.failures = 0;
      state.note = result === "signed-out" ? "Sign in again, as the person who saved them, to send them." : "";
    }
    schedule();
    await render();
    if (result === "sent") document.dispatchEvent(new CustomEvent("outbox:sent"));
    return result;
  }

  function text(tag, content, className) {
    var node = document.createElement(tag);
    node.textContent = content;
    if (className) node.className = className;
    return node;
  }

  function rejectedEntry(item) {
    var entry = document.createElement("li");
    entry.dataset.uuid = item.uuid;
    entry.appendChild(text("strong", "Review of " + item.child_name + " (" + item.service_name + ", " + item.body.date + ") was not accepted: "));
    entry.appendChild(text("span", item.message, "field-error outbox-message prewrap"));
    var fix = text("a", "Fix and send again", "button-link");
    fix.href = config.shell + "?edit=" + encodeURIComponent(item.uuid);
    if (item.existing_url) {
      // The review is already recorded (one per child, service and day): amend that one instead.
      fix = text("a", "Open the review already recorded", "button-link");
      fix.href = item.existing_url;
    }
    var discard = text("button", "Discard", "button-secondary outbox-discard");
    discard.type = "button";
    discard.addEventListener("click", async function () {
      if (!window.confirm("Discard this review for good? It has not been stored on the server.")) return;
      await store.remove("outbox", item.uuid);
      render();
    });
    var actions = document.createElement("p");
    actions.className = "actions";
    actions.append(fix, discard);
    entry.appendChild(actions);
    return entry;
  }

  async function render() {
    var box = document.getElementById("outbox");
    if (!box) return;
    // Renders overlap (page load, sync, save); only the latest may write, or an early one that
    // ran before the sign-in check could show a signed-out device someone's outbox.
    var ticket = ++state.renders;
    var userId = await viewerId();
    var all = await store.all("outbox");
    if (ticket !== state.renders) return;
    var mine = all.filter(function (item) { return item.user_id === userId; });
    var waiting = mine.filter(function (item) { return item.state !== "rejected"; });
    var rejected = mine.filter(function (item) { return item.state === "rejected"; });
    var count = document.getElementById("outbox-count");
    var parts = [];
    if (waiting.length) parts.push(waiting.length + (waiting.length === 1 ? " review" : " reviews") + " waiting to send");
    if (rejected.length) parts.push(rejected.length + (rejected.length === 1 ? " review needs" : " reviews need") + " your attention");
    // Signed out: say only that something waits, never whose or about whom.
    if (userId === null && all.length) parts.push(all.length + (all.length === 1 ? " review" : " reviews") + " saved on this device");
    count.textContent = parts.join(", ");
    document.getElementById("outbox-note").textContent = (waiting.length || userId === null) ? state.note : "";
    document.getElementById("outbox-send").hidden = !waiting.length;
    var list = document.getElementById("outbox-rejected");
    list.replaceChildren.apply(list, rejected.map(rejectedEntry));
    box.hidden = parts.length === 0;
    box.dataset.waiting = String(waiting.length);
    box.dataset.rejected = String(rejected.length);
    if (navigator.setAppBadge && userId !== null) {
      (waiting.length ? navigator.setAppBadge(waiting.length) : navigator.clearAppBadge()).catch(function () {});
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("outbox-send");
    if (button) button.addEventListener("click", function () { state.failures = 0; sync(); });
  });
  window.addEventListener("online", function () { state.failures = 0; sync(); });
  window.addEventListener("offline", function () { state.note = "They will be sent when the signal returns."; render(); });

  window.OfflineOutbox = {
    config: config, whoami: whoami, save: save, sync: sync, render: render,
    viewerId: viewerId, who: function () { return state.who; },
  };
})();
