// The installable app on every page: registers the service worker, sends the outbox when the
// app opens, keeps the practitioner's caseload copy fresh, clears it on sign-out, and saves a
// review to the outbox when the form is submitted with no signal.
(function () {
  "use strict";
  var outbox = window.OfflineOutbox;
  var store = window.OfflineStore;
  var config = outbox.config;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.sw, { scope: config.scope }).catch(function (error) {
      console.warn("The app will not work offline:", error);
    });
  }

  async function refreshBundle(force) {
    var who = outbox.who();
    if (!who || who.status !== "ok" || who.user.role !== "practitioner") return;
    var kept = await store.get("kept", "bundle");
    // A copy whose review form was drawn by other templates (a deploy since) is renewed at once.
    var fresh = kept && kept.user_id === who.user.user_id && Date.now() - kept.saved_at < config.bundle_max_age_ms
      && kept.data.form_version === config.form_version;
    if (fresh && !force) return;
    var response = await fetch(config.bundle, { credentials: "same-origin", cache: "no-store",
                                                headers: { Accept: "application/json" },
                                                signal: AbortSignal.timeout(20000) }).catch(function () { return null; });
    if (!response || !response.ok) return;
    var data = await response.json();
    // Checked again: someone may have signed out while the copy was on its way.
    var user = await store.get("kept", "user");
    if (user && user.user_id === data.user_id) {
      await store.put("kept", { key: "bundle", user_id: data.user_id, saved_at: Date.now(), data: data });
    }
  }

  // Sign-out clears the caseload copy; the outbox stays for its owner's next sign-in.
  function hookSignOut(form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.cleared === "yes") return;
      event.preventDefault();
      Promise.all([store.remove("kept", "bundle"), store.remove("kept", "user")]).finally(function () {
        form.dataset.cleared = "yes";
        form.submit();
      });
    });
  }

  // One state per review on the page: saving it replaces the form and the server's earlier
  // refusal; sending it later turns "saved on this device" into "stored" or "not accepted".
  var OUTCOMES = {
    sent: ["Sent", "The review of {child} ({service}) is stored on the server."],
    rejected: ["Not accepted", "The server did not accept the review of {child} ({service}). It is kept on this device: fix it from the outbox above."]
  };

  var outcomes = {};  // by UUID: a send can finish before its message is on the page

  function followOutcome(event) {
    outcomes[event.detail.uuid] = event.detail.outcome;
    showOutcome(event.detail.uuid);
  }

  function showOutcome(uuid) {
    var message = document.querySelector(".outbox-saved[data-uuid='" + uuid + "']");
    var words = OUTCOMES[outcomes[uuid]];
    if (!message || !words) return;
    message.dataset.state = outcomes[uuid];
    message.classList.toggle("outbox-failed", outcomes[uuid] === "rejected");
    message.querySelector("h2").textContent = words[0];
    message.querySelector("p").textContent = words[1].replace("{child}", message.dataset.childName)
      .replace("{service}", message.dataset.serviceName);
  }

  function savedMessage(form, labels, uuid) {
    var summary = document.getElementById("error-summary");
    if (summary) summary.remove();
    var message = document.createElement("div");
    message.className = "flash outbox-saved";
    message.dataset.uuid = uuid;
    message.dataset.state = "saved";
    message.dataset.childName = labels.child_name;
    message.dataset.serviceName = labels.service_name;
    message.tabIndex = -1;
    message.setAttribute("role", "status");
    var heading = document.createElement("h2");
    heading.textContent = "Saved on this device";
    var text = document.createElement("p");
    text.textContent = "The review of " + labels.child_name + " (" + labels.service_name +
      ") is in the outbox. It will be sent as soon as the server can be reached while you are signed in; you do not need to type it again.";
    var back = document.createElement("a");
    back.href = config.caseload;
    back.textContent = "Back to the caseload";
    message.append(heading, text, back);
    form.replaceWith(message);
    message.focus();
    showOutcome(uuid);
  }

  // The form goes to the server only when the server answers; otherwise (no signal, a signal
  // too weak to reach it, the server down, the session expired) it goes to the outbox.
  function hookReviewForm(form) {
    form.addEventListener("submit", async function (event) {
      if (form.dataset.reachable === "yes") return;  // checked just now: the browser posts it
      event.preventDefault();
      if (navigator.onLine && !form.hasAttribute("data-offline-only")) {
        var who = await outbox.whoami();
        if (who.status === "ok") {
          form.dataset.reachable = "yes";
          form.requestSubmit(event.submitter);
          return;
        }
      }
      var labels = { child_name: form.dataset.childName, service_name: form.dataset.serviceName };
      var body = window.OfflineForm.bodyFromForm(form, event.submitter);
      try {
        await outbox.save(body, labels);
      } catch (error) {
        window.alert("This review could not be saved on the device: " + error.message);
        return;
      }
      if (form.dataset.replaces && form.dataset.replaces !== body.uuid) {
        await store.remove("outbox", form.dataset.replaces);
      }
      savedMessage(form, labels, body.uuid);
      outbox.render();
    });
  }

  window.OfflineApp = { hookReviewForm: hookReviewForm, refreshBundle: refreshBundle };

  document.querySelectorAll("form.signout").forEach(hookSignOut);
  document.querySelectorAll("form[data-offline-review]").forEach(hookReviewForm);
  document.addEventListener("outbox:sent", function () { refreshBundle(true); });
  document.addEventListener("outbox:item", followOutcome);
  outbox.render();
  // Opening the app sends what is waiting, then refreshes the caseload copy.
  window.OfflineReady = outbox.sync().then(function () { return refreshBundle(false); });
})();
