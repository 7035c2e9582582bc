// Pre-fills the suggested attainment level of a due target when its domain's reading is chosen.
// The suggestion for every score comes from the server (data-suggestions), so the rule lives there.
// A refused form moves focus to its error summary, so a screen reader reads what to fix first.
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  var selects = document.querySelectorAll("select.outcome-select[data-due='yes']");
  selects.forEach(function (select) {
    select.addEventListener("change", function () { select.dataset.touched = "yes"; });
  });
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.name || input.name.indexOf("reading-") !== 0) return;
    var domain = input.name.slice("reading-".length);
    selects.forEach(function (select) {
      if (select.dataset.domain !== domain || select.dataset.touched === "yes") return;
      var suggestions = JSON.parse(select.dataset.suggestions);
      select.value = suggestions[input.value] || "";
    });
  });
})();

// The child's view: "Hand the tablet to the child" shows one domain per screen, big faces to tap
// (a tap moves on), Back / Next for keyboards, words read aloud where the browser can speak,
// and a way to give the tablet back. Without this script every domain shows at once.
(function () {
  "use strict";
  document.querySelectorAll("[data-child-view]").forEach(function (panel) {
    if (panel.dataset.bound) return;
    panel.dataset.bound = "yes";
    var screens = Array.from(panel.querySelectorAll("[data-child-screen]"));
    var done = panel.querySelector("[data-child-done]");
    var canSpeak = "speechSynthesis" in window && typeof window.SpeechSynthesisUtterance === "function";
    var current = -1;

    function all(selector, hidden) {
      panel.querySelectorAll(selector).forEach(function (node) { node.hidden = hidden; });
    }

    function faces() {
      var chosen = panel.querySelector("input[name='child_faces']:checked");
      return chosen ? chosen.value : "5";
    }

    function show(index) {
      current = index;
      screens.forEach(function (screen, n) { screen.hidden = n !== index; });
      done.hidden = index < screens.length;
      if (index >= screens.length) {
        done.querySelector(".child-question").focus();
        return;
      }
      var screen = screens[index];
      var first = screen.querySelector(".faces-" + faces() + " input:checked") ||
                  screen.querySelector(".faces-" + faces() + " input");
      first.focus();
      if (canSpeak) speak(screen);
    }

    function speak(screen) {
      window.speechSynthesis.cancel();
      var words = screen.querySelector("legend").textContent + ". How do you feel about this?";
      window.speechSynthesis.speak(new window.SpeechSynthesisUtterance(words));
    }

    // Everything on the page but the panel: each ancestor's other children, up to the body.
    function setAside(hide) {
      for (var node = panel; node && node !== document.body; node = node.parentElement) {
        Array.from(node.parentElement.children).forEach(function (sibling) {
          if (sibling !== node && sibling.tagName !== "SCRIPT") sibling.classList.toggle("child-mode-hidden", hide);
        });
      }
    }

    function start() {
      document.body.classList.add("child-mode");
      setAside(true);
      all("[data-child-intro], [data-child-start-row]", true);
      all("[data-child-nav], [data-child-progress]", false);
      show(0);
    }

    function handBack() {
      if (canSpeak) window.speechSynthesis.cancel();
      document.body.classList.remove("child-mode");
      setAside(false);
      current = -1;
      screens.forEach(function (screen) { screen.hidden = false; });
      done.hidden = true;
      all("[data-child-intro], [data-child-start-row]", false);
      all("[data-child-nav], [data-child-progress]", true);
      panel.querySelector("#child-view-heading").focus();
    }

    all("[data-child-start-row]", false);
    if (canSpeak) all("[data-read-aloud]", false);
    panel.addEventListener("click", function (event) {
      var target = event.target;
      if (target.closest("[data-child-start]")) return start();
      if (target.closest("[data-child-handback]")) return handBack();
      if (target.closest("[data-child-next]")) return show(current + 1);
      if (target.closest("[data-child-back]")) return show(Math.max(0, current - 1));
      if (target.closest("[data-read-aloud]")) return speak(target.closest("[data-child-screen]"));
      // A tap on a face (not an arrow key moving through the faces: its click has detail 0) moves on.
      var face = target.closest(".child-face-label");
      if (face && current >= 0 && event.detail > 0) {
        document.getElementById(face.htmlFor).checked = true;
        event.preventDefault();
        window.setTimeout(function () { show(current + 1); }, 250);
      }
    });
    // Changing the number of faces clears faces tapped on the other scale, so no stale choice hides.
    panel.addEventListener("change", function (event) {
      if (event.target.name !== "child_faces") return;
      panel.querySelectorAll(".child-faces:not(.faces-" + faces() + ") input:checked").forEach(function (input) {
        input.checked = false;
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && current >= 0) handBack();
    });
    // Enter on a face would submit the whole form (its first button saves a draft): it moves on instead.
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && event.target.type === "radio") {
        event.preventDefault();
        if (current >= 0) show(current + 1);
      }
    });
  });
})();
