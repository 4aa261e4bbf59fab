// The upload form with a progress bar: the file goes up through XMLHttpRequest, whose
// upload events say how much has been sent; the server's answer (the check's report)
// then replaces the page, as the plain form post would. Without JavaScript the form posts
// as it is and nothing here is needed.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  if (!form || !bar || !status || !window.FormData || !window.XMLHttpRequest) return;
  window.registryUploadProgress = [];

  function say(name, percent) {
    var text = status.getAttribute("data-" + name) || "";
    status.textContent = text.replace("{percent}", String(percent));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var request = new XMLHttpRequest();
    request.open("POST", form.getAttribute("action"));
    request.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable) return;
      var percent = Math.floor((100 * e.loaded) / e.total);
      bar.value = percent;
      window.registryUploadProgress.push(percent);
      say("sending", percent);
    });
    request.upload.addEventListener("load", function () {
      bar.value = 100;
      bar.removeAttribute("value"); // indeterminate while the server checks the rows
      say("checking", 100);
    });
    request.addEventListener("load", function () {
      document.open();
      document.write(request.responseText);
      document.close();
      history.replaceState(null, "", form.getAttribute("action"));
    });
    request.addEventListener("error", function () {
      say("failed", 0);
      form.querySelector("button[type=submit]").disabled = false;
    });
    bar.hidden = false;
    bar.value = 0;
    say("sending", 0);
    form.querySelector("button[type=submit]").disabled = true;
    request.send(new FormData(form));
  });
})();
