// After a refused submit, move focus to the error summary so keyboard and screen-reader users start there
// (JIS X 8341-3 / WCAG 3.3.1). Loaded as a file because the CSP forbids inline scripts.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
});
