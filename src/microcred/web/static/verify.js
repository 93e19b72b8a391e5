// Progressive enhancement for the verifier page: drag and drop a file onto the drop zone.
// Without this script the file field, the paste box and the address field work as they are.
(function () {
  "use strict";
  var LIMIT = 1024 * 1024;
  var zone = document.querySelector("[data-dropzone]");
  if (!zone) {
    return;
  }
  var input = zone.querySelector("input[type=file]");
  var form = zone.closest("form");
  var status = document.getElementById("drop-status");
  var say = function (text) {
    if (status) {
      status.textContent = text;
    }
  };
  var tooLarge = function (file) {
    if (file && file.size > LIMIT) {
      say("“" + file.name + "” is larger than 1 MiB; no credential is that large.");
      return true;
    }
    return false;
  };
  zone.classList.add("is-enhanced");
  var hint = zone.querySelector("[data-drop-hint]");
  if (hint) {
    hint.hidden = false;
  }
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (event) {
      event.preventDefault();
      zone.classList.add("is-dragging");
    });
  });
  ["dragleave", "dragend"].forEach(function (name) {
    zone.addEventListener(name, function () {
      zone.classList.remove("is-dragging");
    });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("is-dragging");
    var files = event.dataTransfer && event.dataTransfer.files;
    if (!files || files.length === 0) {
      return;
    }
    if (tooLarge(files[0])) {
      return;
    }
    input.files = files;
    say("Checking “" + files[0].name + "”…");
    if (form.requestSubmit) {
      form.requestSubmit(form.querySelector("button[name=source][value=file]"));
    } else {
      form.submit();
    }
  });
  input.addEventListener("change", function () {
    if (input.files && input.files[0] && !tooLarge(input.files[0])) {
      say("Ready to check “" + input.files[0].name + "”.");
    }
  });
  form.addEventListener("submit", function (event) {
    if (input.files && input.files[0] && tooLarge(input.files[0])) {
      event.preventDefault();
    }
  });
})();
