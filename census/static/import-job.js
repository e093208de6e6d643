// An import job's page: poll its progress, and go on to the report or the result when done.
// A file of its own, not an inline script: the Content-Security-Policy allows none.
(function () {
  var box = document.getElementById("import-job");
  if (!box) { return; }
  function poll() {
    fetch(box.dataset.status, {credentials: "same-origin"}).then(function (r) { return r.json(); }).then(function (job) {
      if (job.finished) { window.location = box.dataset.next; return; }
      document.getElementById("state").textContent = job.state === "queued" ? box.dataset.queued : job.step_text;
      document.getElementById("count").textContent = job.done + " / " + job.total;
      document.getElementById("bar").value = job.percent;
      setTimeout(poll, 1000);
    }).catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
}());
