/* The little the console does in the browser; everything works without it,
   except the live countdown and the large echo of the dice as they are typed. */
(function () {
  "use strict";

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function countdowns() {
    document.querySelectorAll("[data-countdown]").forEach(function (el) {
      // The seconds the server counted when it sent the page: the projector's own
      // clock may be wrong; the round's time is the fallback.
      var remaining = parseInt(el.getAttribute("data-remaining"), 10);
      var target = isNaN(remaining)
        ? Date.parse(el.getAttribute("data-countdown"))
        : Date.now() + remaining * 1000;
      if (isNaN(target)) { return; }
      function tick() {
        var left = Math.max(0, Math.floor((target - Date.now()) / 1000));
        var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
        el.textContent = (h ? h + ":" : "") + pad(m) + ":" + pad(s);
        if (left > 0) { window.setTimeout(tick, 250); }
      }
      tick();
    });
  }

  function diceEcho() {
    var input = document.querySelector("[data-dice-input]");
    var echo = document.querySelector("[data-dice-echo]");
    var count = document.querySelector("[data-dice-count]");
    if (!input || !echo) { return; }
    function show() {
      var rolls = input.value.replace(/\s+/g, "").split("");
      echo.textContent = "";
      rolls.forEach(function (r) {
        var span = document.createElement("span");
        span.textContent = r;
        echo.appendChild(span);
      });
      if (count) { count.textContent = "已录入 " + rolls.length + " 次"; }
    }
    input.addEventListener("input", show);
    show();
  }

  function confirmations() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  }

  function printButtons() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    countdowns();
    diceEcho();
    confirmations();
    printButtons();
  });
})();
