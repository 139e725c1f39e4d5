// The public self-check: one screen at a time, answers kept in sessionStorage (a reload, a dropped
// connection or the back button loses nothing), the body map kept in step with the list of places.
// Without JavaScript every screen shows at once and the form still works. Plain DOM code served from
// 'self' (no inline script), so it runs under the strict CSP.
(function () {
  "use strict";

  var KEY = "needlechart-selfcheck";

  function sent() {
    if (document.querySelector("[data-selfcheck-sent]")) {
      try { window.sessionStorage.removeItem(KEY); } catch (e) { /* storage may be off */ }
    }
  }

  function init() {
    sent();
    var form = document.querySelector("form[data-selfcheck]");
    if (!form) { return; }
    var steps = Array.prototype.slice.call(form.querySelectorAll("[data-step]"));
    var keys = steps.map(function (s) { return s.dataset.step; });
    var current = 0;
    form.classList.add("sc-js");
    form.querySelectorAll("[data-next], [data-back], [data-progress]").forEach(function (el) { el.hidden = false; });
    steps[0].querySelector("[data-back]") && (steps[0].querySelector("[data-back]").hidden = true);

    // --- storage -----------------------------------------------------------------------------------
    function save() {
      var pairs = [];
      new FormData(form).forEach(function (value, name) {
        if (name !== "csrfmiddlewaretoken") { pairs.push([name, String(value)]); }
      });
      try { window.sessionStorage.setItem(KEY, JSON.stringify({ pairs: pairs, step: keys[current] })); } catch (e) { /* full or off */ }
    }

    function restore() {
      var saved;
      try { saved = JSON.parse(window.sessionStorage.getItem(KEY) || "null"); } catch (e) { saved = null; }
      if (!saved || !saved.pairs) { return null; }
      var values = {};
      saved.pairs.forEach(function (p) { (values[p[0]] = values[p[0]] || []).push(p[1]); });
      form.querySelectorAll("input, select").forEach(function (input) {
        if (!input.name || input.name === "csrfmiddlewaretoken" || input.type === "hidden") { return; }
        var got = values[input.name] || [];
        if (input.type === "checkbox" || input.type === "radio") {
          input.checked = got.indexOf(input.value) !== -1;
        } else {
          input.value = got.length ? got[0] : "";
        }
      });
      return saved.step;
    }

    // --- body map and list of places -----------------------------------------------------------------
    var box = document.querySelector("[data-pain-inputs]");
    var marked = form.querySelector("[data-marked]");

    function boxHas(value) {
      return Array.prototype.some.call(box.querySelectorAll("input"), function (i) { return i.value === value; });
    }

    function setShapes(value, on) {
      var parts = value.split(":");
      document.querySelectorAll('.bodymap path.region[data-region="' + parts[0] + '"][data-side="' + parts[1] + '"]')
        .forEach(function (shape) { shape.setAttribute("aria-pressed", on ? "true" : "false"); });
    }

    function setBox(value, on) {
      if (on && !boxHas(value)) {
        var input = document.createElement("input");
        input.type = "hidden"; input.name = "pain"; input.value = value;
        box.appendChild(input);
      }
      if (!on) { box.querySelectorAll("input").forEach(function (i) { if (i.value === value) { i.remove(); } }); }
    }

    function listBox(value) { return form.querySelector('input[type=checkbox][name=pain][value="' + value + '"]'); }

    function announce(changed) {
      if (!marked) { return; }
      var names = Array.prototype.map.call(form.querySelectorAll("input[name=pain]:checked"), function (i) {
        return i.parentNode.textContent.trim();
      });
      var lead = changed ? changed + ". " : "";
      marked.textContent = lead + (names.length ? "Marked: " + names.join(", ") + "." : "No places marked yet.");
    }

    function syncFromList() {
      form.querySelectorAll("input[type=checkbox][name=pain]").forEach(function (c) {
        setBox(c.value, c.checked);
        setShapes(c.value, c.checked);
      });
      announce("");
    }

    // explorer.js toggles the shape and the hidden input first; the list follows it here.
    document.addEventListener("click", function (event) {
      var shape = event.target.closest && event.target.closest(".bodymap path.region[role=button]");
      if (!shape) { return; }
      var value = shape.dataset.region + ":" + shape.dataset.side;
      var c = listBox(value);
      if (c) { c.checked = boxHas(value); }
      announce(c && c.checked ? "" : shape.getAttribute("aria-label") + " taken off");
      save();
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" && event.key !== " ") { return; }
      var shape = event.target.closest && event.target.closest(".bodymap path.region[role=button]");
      if (!shape) { return; }
      window.setTimeout(function () {
        var value = shape.dataset.region + ":" + shape.dataset.side;
        var c = listBox(value);
        if (c) { c.checked = boxHas(value); }
        announce(c && c.checked ? "" : shape.getAttribute("aria-label") + " taken off");
        save();
      }, 0);
    });

    // --- "where?" for questions about one part of the body ----------------------------------------------
    function syncWhere() {
      form.querySelectorAll("[data-where-for]").forEach(function (where) {
        var yes = form.querySelector('input[name="' + where.dataset.whereFor + '"][value=yes]');
        where.hidden = !(yes && yes.checked);
      });
    }

    form.addEventListener("change", function (event) {
      if (event.target.name === "pain" && event.target.type === "checkbox") {
        setBox(event.target.value, event.target.checked);
        setShapes(event.target.value, event.target.checked);
        announce("");
      }
      syncWhere();
      clearErrors(steps[current], false);
      save();
    });
    form.addEventListener("input", save);

    // --- screens ---------------------------------------------------------------------------------------
    function progress() {
      form.querySelector("[data-progress-number]").textContent = String(current + 1);
      form.querySelector("[data-progress-total]").textContent = String(steps.length);
      form.querySelector("[data-progress-fill]").style.width = Math.round(100 * (current + 1) / steps.length) + "%";
    }

    function show(index, focus) {
      current = Math.max(0, Math.min(index, steps.length - 1));
      steps.forEach(function (s, i) { s.classList.toggle("sc-current", i === current); });
      progress();
      if (focus) {
        var heading = steps[current].querySelector("h1, h2");
        if (heading) { heading.focus(); }
        window.scrollTo(0, 0);
      }
      save();
    }

    function clearErrors(step, all) {
      var box = step.querySelector("[data-step-errors]");
      if (box && (all || box.dataset.client)) { box.innerHTML = ""; delete box.dataset.client; }
      if (all) { step.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); }); }
    }

    function problems(step) {
      var found = [];
      var key = step.dataset.step;
      if (key === "where" && !form.querySelector("input[type=checkbox][name=pain]:checked")) {
        found.push({ text: "Mark at least one place where it hurts, on the body map or in the list.", el: form.querySelector("[data-pain-list] summary") });
      }
      var seen = {};
      step.querySelectorAll("input[type=radio][data-required]").forEach(function (r) {
        if (seen[r.name]) { return; }
        seen[r.name] = true;
        if (!step.querySelector('input[name="' + r.name + '"]:checked')) {
          var q = r.closest("[data-question]");
          var text = q ? "Answer yes or no: " + q.querySelector("legend").textContent.trim() : "Choose one answer.";
          found.push({ text: text, el: r });
        }
      });
      var age = step.querySelector("input[name=age]");
      if (age) {
        var n = Number(age.value);
        if (!age.value || !/^\d+$/.test(age.value.trim()) || n < 1 || n > 120) {
          found.push({ text: "Give your age in whole years, from 1 to 120, for example 42.", el: age });
        }
      }
      step.querySelectorAll("[data-where-for]").forEach(function (where) {
        if (where.hidden) { return; }
        where.querySelectorAll("select").forEach(function (sel) {
          if (!sel.value) {
            var legend = where.closest("[data-question]").querySelector("legend").textContent.trim();
            found.push({ text: "You said yes to \u201c" + legend + "\u201d: choose " + (sel.name.slice(-5) === "_side" ? "which side." : "where."), el: sel });
          }
        });
      });
      return found;
    }

    function report(step, found) {
      var box = step.querySelector("[data-step-errors]");
      box.innerHTML = "";
      box.dataset.client = "1";
      found.forEach(function (p, i) {
        var para = document.createElement("p");
        para.className = "sc-error";
        var link = document.createElement("a");
        link.href = "#";
        link.textContent = p.text;
        link.addEventListener("click", function (e) { e.preventDefault(); if (p.el) { p.el.focus(); } });
        para.appendChild(link);
        box.appendChild(para);
        if (p.el && p.el.tagName !== "SUMMARY") { p.el.setAttribute("aria-invalid", "true"); }
        if (i === 0 && p.el) { p.el.focus(); }
      });
    }

    form.addEventListener("click", function (event) {
      var goto = event.target.closest("[data-goto]");
      if (goto) { event.preventDefault(); go(keys.indexOf(goto.dataset.goto)); return; }
      if (event.target.closest("[data-next]")) {
        var found = problems(steps[current]);
        if (found.length) { report(steps[current], found); return; }
        clearErrors(steps[current], true);
        go(current + 1);
      }
      if (event.target.closest("[data-back]")) {
        if (window.history.state && window.history.state.selfcheck) { window.history.back(); } else { show(current - 1, true); }
      }
    });

    // Enter in a field moves on a screen (as Next does) rather than sending an unfinished form.
    form.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.target.tagName !== "INPUT") { return; }
      var next = steps[current].querySelector("[data-next]");
      if (next) { event.preventDefault(); next.click(); }
    });

    form.addEventListener("submit", function (event) {
      for (var i = 0; i < steps.length; i++) {
        var found = problems(steps[i]);
        if (found.length) {
          event.preventDefault();
          show(i, false);
          report(steps[i], found);
          return;
        }
      }
      save();
    });

    function go(index) {
      if (index < 0) { return; }
      window.history.pushState({ selfcheck: true, step: keys[index] }, "", "#step-" + keys[index]);
      show(index, true);
    }

    window.addEventListener("popstate", function (event) {
      var key = (event.state && event.state.step) || (window.location.hash || "").replace("#step-", "") || keys[0];
      show(Math.max(0, keys.indexOf(key)), true);
    });

    // --- start -----------------------------------------------------------------------------------------
    var start = 0;
    if (form.dataset.bound === "1") {
      var errorStep = form.dataset.errorStep;
      start = errorStep ? Math.max(0, keys.indexOf(errorStep)) : 1;
    } else {
      var savedStep = restore();
      var hashStep = (window.location.hash || "").replace("#step-", "");
      if (hashStep && keys.indexOf(hashStep) !== -1) { start = keys.indexOf(hashStep); } else if (savedStep && keys.indexOf(savedStep) !== -1) { start = keys.indexOf(savedStep); }
    }
    syncFromList();
    syncWhere();
    if (form.querySelector("input[type=checkbox][name=pain]:checked")) {
      var list = form.querySelector("[data-pain-list]");
      if (list) { list.open = false; }
    }
    window.history.replaceState({ selfcheck: true, step: keys[start] }, "", start ? "#step-" + keys[start] : window.location.pathname + window.location.search);
    show(start, start !== 0);
    if (form.dataset.errorStep) {
      var summary = document.getElementById("sc-errors");
      if (summary) { summary.focus(); }
    }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
