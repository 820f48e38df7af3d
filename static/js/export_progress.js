/* Export page: polls the export's status and moves the progress bar; reloads the page when it is done so the
 * download links appear. Polls are marked X-Background-Poll: 1 so they do not count as activity for the idle
 * sign-out. No inline script: loaded from 'self' under the CSP. */
(function () {
  "use strict";
  var box = document.getElementById("export-progress");
  if (!box || box.getAttribute("data-open") !== "1") { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("export-progress-bar");
  var label = document.getElementById("export-status-label");
  var count = document.getElementById("export-count");
  var INTERVAL_MS = 1000;

  function show(data) {
    bar.max = Math.max(data.total, 1);
    bar.value = data.done;
    bar.textContent = data.percent + "%";
    label.textContent = data.label;
    count.textContent = data.done + " of " + data.total;
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"X-Background-Poll": "1", "Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("status " + response.status); }
        return response.json();
      })
      .then(function (data) {
        show(data);
        if (data.status === "queued" || data.status === "running") {
          window.setTimeout(poll, INTERVAL_MS);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, INTERVAL_MS * 5); });
  }

  window.setTimeout(poll, INTERVAL_MS);
})();
