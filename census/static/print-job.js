// A print job's page: poll its status until the PDF is ready (or failed).
// A file of its own, not an inline script: the Content-Security-Policy allows none.
(function () {
  var box = document.getElementById("print-job");
  if (!box) { return; }
  var words = {
    queued: box.dataset.queued, running: box.dataset.running,
    done: box.dataset.done, failed: box.dataset.failed
  };
  function poll() {
    fetch(box.dataset.status, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (job) {
      document.getElementById("state").textContent = words[job.state] || job.state;
      document.getElementById("count").textContent = job.done + " / " + job.total;
      document.getElementById("current").textContent = job.current || "";
      document.getElementById("bar").value = job.percent;
      if (job.state === "done") {
        document.getElementById("pages").textContent = job.pages;
        document.getElementById("ready").hidden = false;
      } else if (job.state === "failed") {
        var error = document.getElementById("error");
        error.textContent = job.error || "";
        error.hidden = false;
      } else {
        setTimeout(poll, 1000);
      }
    }).catch(function () { setTimeout(poll, 3000); });
  }
  if (box.dataset.poll) { setTimeout(poll, 1000); }
}());
