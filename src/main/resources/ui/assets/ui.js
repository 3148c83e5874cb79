// Berth web UI: the one enhancement over plain HTML, a Copy button beside each pull command. Without
// JavaScript the command is still selectable text; with it, the button copies it (or, where the clipboard
// API is not available, selects it for the user to copy).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".pullrow").forEach(function (row) {
    var input = row.querySelector(".command");
    var button = row.querySelector(".copy");
    if (!input || !button) { return; }
    button.hidden = false;
    button.addEventListener("click", function (event) {
      event.preventDefault();
      input.focus();
      input.select();
      document.body.dataset.copied = input.value;
      var done = function () { button.textContent = "Copied"; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () { button.textContent = "Selected"; });
      } else {
        button.textContent = "Selected";
      }
    });
  });
});
