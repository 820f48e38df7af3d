/* Warn before the idle sign-out and let the user stay signed in.
 *
 * Included by templates/accounts/partials/session_timeout_script.html with data-* attributes for
 * its URLs. Polling /session/status/ is marked as background work (X-Background-Poll: 1) and the
 * server does not count it as activity; only "Stay signed in" (a POST) or real page use does.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var statusUrl = script.dataset.statusUrl;
  var keepAliveUrl = script.dataset.keepAliveUrl;
  var loginUrl = script.dataset.loginUrl;
  var csrfToken = script.dataset.csrfToken;
  var POLL_MS = 60 * 1000;
  var alertBox = null;
  var countdown = null;
  var pollTimer = null;
  var deadline = null; // epoch ms when the session ends

  function signedOut() {
    var next = window.location.pathname + window.location.search;
    window.location.assign(loginUrl + "?next=" + encodeURIComponent(next));
  }

  function minutesAndSeconds(ms) {
    var total = Math.max(0, Math.round(ms / 1000));
    var minutes = Math.floor(total / 60);
    var seconds = total % 60;
    return minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
  }

  function hideWarning() {
    if (countdown) { window.clearInterval(countdown); countdown = null; }
    if (alertBox) { alertBox.remove(); alertBox = null; }
  }

  function showWarning(canExtend) {
    if (!alertBox) {
      alertBox = document.createElement("div");
      alertBox.className = "alert alert-warning shadow position-fixed bottom-0 end-0 m-3 z-3";
      alertBox.setAttribute("role", "alertdialog");
      alertBox.setAttribute("aria-live", "assertive");
      alertBox.id = "session-timeout-warning";
      var text = document.createElement("p");
      text.className = "mb-2";
      text.id = "session-timeout-text";
      alertBox.appendChild(text);
      if (canExtend) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "btn btn-primary btn-sm";
        button.textContent = "Stay signed in";
        button.addEventListener("click", keepAlive);
        alertBox.appendChild(button);
      }
      document.body.appendChild(alertBox);
      if (canExtend) { alertBox.querySelector("button").focus(); }
    }
    var render = function () {
      var left = deadline - Date.now();
      if (left <= 0) { signedOut(); return; }
      alertBox.querySelector("#session-timeout-text").textContent = canExtend
        ? "For privacy you will be signed out in " + minutesAndSeconds(left) + " without activity."
        : "Your session reaches its time limit in " + minutesAndSeconds(left) + ". Save your work.";
    };
    render();
    if (!countdown) { countdown = window.setInterval(render, 1000); }
  }

  function apply(status) {
    var idleLeft = status.idle_seconds_left * 1000;
    var absoluteLeft = status.absolute_seconds_left * 1000;
    var warnMs = status.warn_seconds * 1000;
    var left = Math.min(idleLeft, absoluteLeft);
    deadline = Date.now() + left;
    if (left <= warnMs) {
      showWarning(idleLeft <= absoluteLeft);
    } else {
      hideWarning();
    }
    window.clearTimeout(pollTimer);
    // Poll again at the next minute or just as the warning is due, whichever is sooner.
    pollTimer = window.setTimeout(poll, Math.max(1000, Math.min(POLL_MS, left - warnMs)));
  }

  function handle(response) {
    if (response.status === 401) { signedOut(); return null; }
    if (!response.ok) { return null; }
    return response.json().then(apply);
  }

  function poll() {
    fetch(statusUrl, {credentials: "same-origin", headers: {"X-Background-Poll": "1", "Accept": "application/json"}})
      .then(handle)
      .catch(function () { pollTimer = window.setTimeout(poll, POLL_MS); });
  }

  function keepAlive() {
    fetch(keepAliveUrl, {
      method: "POST", credentials: "same-origin",
      headers: {"X-CSRFToken": csrfToken, "Accept": "application/json"}
    }).then(function (response) {
      hideWarning();
      return handle(response);
    });
  }

  poll();
}());
