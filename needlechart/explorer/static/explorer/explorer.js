// NeedleChart body map: shapes are toggle buttons feeding a pain-drawing form (the form marked
// data-painmap, its hidden inputs inside data-pain-inputs). In the explorer each change asks the
// server for suggestions at once; on a visit the clinician saves the drawing with its button.
// Kept to plain DOM code served from 'self' (no inline script), so it runs under a strict CSP.
(function () {
  "use strict";

  function form() { return document.querySelector("form[data-painmap]"); }

  function painInputs() { return document.querySelector("[data-pain-inputs]"); }

  function hasPain(value) {
    return Array.prototype.some.call(painInputs().querySelectorAll("input[name=pain]"),
      function (input) { return input.value === value; });
  }

  function markShapes(value, on) {
    var parts = value.split(":");
    var selector = '.bodymap path.region[data-region="' + parts[0] + '"][data-side="' + parts[1] + '"]';
    document.querySelectorAll(selector).forEach(function (shape) {
      shape.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  function setPain(value, on) {
    var box = painInputs();
    if (!box) { return; }
    if (on && !hasPain(value)) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "pain";
      input.value = value;
      box.appendChild(input);
    }
    if (!on) {
      box.querySelectorAll("input[name=pain]").forEach(function (input) {
        if (input.value === value) { input.remove(); }
      });
    }
    markShapes(value, on);
  }

  function changed() {
    var f = form();
    if (!f || !f.hasAttribute("hx-get")) { return; }
    if (window.htmx) { window.htmx.trigger(f, "change"); } else { f.submit(); }
  }

  function toggle(shape) {
    var value = shape.dataset.region + ":" + shape.dataset.side;
    setPain(value, !hasPain(value));
    changed();
  }

  document.addEventListener("click", function (event) {
    var shape = event.target.closest(".bodymap path.region[role=button]");
    if (shape) { toggle(shape); return; }
    var chip = event.target.closest("[data-remove]");
    if (chip) { setPain(chip.dataset.remove, false); changed(); return; }
    if (event.target.id === "clear-pain") {
      painInputs().querySelectorAll("input[name=pain]").forEach(function (input) {
        markShapes(input.value, false);
        input.remove();
      });
      changed();
      return;
    }
    if (event.target.id === "pick-add") {
      var region = document.getElementById("pick-region");
      var side = document.getElementById("pick-side").value;
      var option = region.options[region.selectedIndex];
      if (side === "midline" && option.dataset.midline !== "1") { side = "left"; }
      setPain(region.value + ":" + side, true);
      changed();
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" && event.key !== " ") { return; }
    var shape = event.target.closest && event.target.closest(".bodymap path.region[role=button]");
    if (shape) { event.preventDefault(); toggle(shape); }
  });

  // The region picker's selects must not trigger a search on their own.
  document.addEventListener("change", function (event) {
    if (event.target.id === "pick-region" || event.target.id === "pick-side") { event.stopPropagation(); }
  }, true);

  // Close the search pop-up with Escape.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var popup = document.getElementById("search-popup");
      if (popup) { popup.innerHTML = ""; }
    }
  });
})();
