// p6auth admin portal: progressive enhancement only. Every page works without this script;
// it adds the permission check as you type, the Generate buttons and the Copy buttons.
"use strict";

(function () {
  var csrf = document.body ? document.body.getAttribute("data-csrf") || "" : "";

  function getJson(url) {
    return fetch(url, {
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf }
    }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  // Permission strings, one per line: each line is sent to the server's parser; errors are
  // shown next to the field with the line, the position and a caret under the bad character.
  function checkPermissions(field, out) {
    var lines = field.value.split("\n");
    var checks = lines.map(function (line, i) {
      if (line.trim() === "") { return Promise.resolve(null); }
      return getJson("/admin/api/check-permission?text=" + encodeURIComponent(line))
        .then(function (r) { return r.ok ? null : { line: i + 1, text: line, position: r.position, reason: r.reason }; });
    });
    Promise.all(checks).then(function (results) {
      var errors = results.filter(function (e) { return e !== null; });
      out.textContent = "";
      field.setAttribute("aria-invalid", errors.length ? "true" : "false");
      errors.forEach(function (e) {
        var p = document.createElement("p");
        p.className = "field-error";
        p.textContent = "Line " + e.line + ", position " + e.position + ": " + e.reason;
        var pre = document.createElement("pre");
        pre.className = "caret";
        pre.textContent = e.text + "\n" + " ".repeat(e.position) + "^";
        out.appendChild(p);
        out.appendChild(pre);
      });
    }).catch(function () { /* the server checks again on submit */ });
  }

  document.querySelectorAll("[data-permission-check]").forEach(function (field) {
    var out = document.getElementById(field.getAttribute("data-permission-check"));
    var timer = null;
    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { checkPermissions(field, out); }, 200);
    });
    if (field.value.trim() !== "") { checkPermissions(field, out); }
  });

  // Generate buttons: fresh values from the server's generator (the one the CLI uses).
  document.querySelectorAll("[data-generate]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-target"));
      var which = button.getAttribute("data-generate");
      getJson("/admin/api/generate-credentials").then(function (r) {
        target.value = r[which];
        target.dispatchEvent(new Event("input"));
      }).catch(function () { target.setCustomValidity("could not generate a value; try again"); });
    });
  });

  // Copy buttons: the text of the element named by data-copy.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var label = button.textContent;
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = label; }, 1500);
      }, function () {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      });
    });
  });
})();
