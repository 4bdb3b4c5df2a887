/* Issue form helpers. The form works without this file; it only adds conveniences. */
(function () {
  "use strict";

  // After a failed submit, move focus to the error summary so screen readers announce it.
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }

  var form = document.querySelector("form.issue-form");
  if (!form) {
    return;
  }
  var roleBoxes = form.querySelectorAll('input[name="wanted_roles"]');
  var suggestion = document.getElementById("role-suggestion");

  function checkedRoles() {
    var values = [];
    roleBoxes.forEach(function (box) {
      if (box.checked) {
        values.push(box.value);
      }
    });
    return values.sort().join(" ");
  }

  function suggestedOf(radio) {
    return (radio.getAttribute("data-suggested") || "").split(" ").filter(Boolean);
  }

  // Roles count as "untouched" while none are ticked or they are exactly what we ticked last time.
  var checkedStage = form.querySelector('input[name="stage"]:checked');
  var lastTicked = checkedStage ? suggestedOf(checkedStage).sort().join(" ") : "";

  form.addEventListener("change", function (event) {
    var radio = event.target;
    if (radio.name !== "stage" || !radio.checked) {
      return;
    }
    var roles = suggestedOf(radio);
    var current = checkedRoles();
    var untouched = current === "" || current === lastTicked;
    if (untouched) {
      roleBoxes.forEach(function (box) {
        box.checked = roles.indexOf(box.value) !== -1;
      });
      lastTicked = roles.slice().sort().join(" ");
    }
    if (suggestion) {
      suggestion.textContent = radio.getAttribute("data-suggestion") +
        (untouched ? "向いている役割に印を付けました。必要に応じて変えてください。" : "");
    }
  });
})();
