// Progressive enhancement for the wallet: "copy link" buttons and "select all".
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-copy"));
      if (!target) {
        return;
      }
      navigator.clipboard.writeText(target.value || target.textContent).then(function () {
        var live = document.getElementById("copy-status");
        if (live) {
          live.textContent = "Link copied.";
        }
      });
    });
  });
  var all = document.querySelector("[data-select-all]");
  if (all) {
    all.hidden = false;
    all.addEventListener("click", function () {
      document.querySelectorAll("input[name=credential]").forEach(function (box) {
        box.checked = true;
      });
    });
  }
})();
