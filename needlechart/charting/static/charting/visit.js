// The visit note's draft keeper. Every typed value reaches the server through one versioned path
// (the note's autosave), field by field, so nothing typed is lost:
// - a field is saved 400 ms after the last keystroke, and at once before any other action runs
//   (every htmx request, form submit or link waits for pending typing to be saved first);
// - a value the server refuses is marked beside its field, and every other field keeps saving;
// - unsaved values are kept in sessionStorage until saved, so a reload or a crash restores them;
// - leaving the page with unsaved input asks first; the status line says what is really saved.
// Plain DOM code served from 'self' (no inline script), so it runs under the strict CSP.
(function () {
  "use strict";

  var root = document.getElementById("note-live");
  if (!root) { return; }
  var form = root.querySelector("form[data-autosave-form]");
  var statusLine = document.getElementById("autosave-status");
  var storeKey = "needlechart-draft-" + root.dataset.visit;
  var dirty = {};          // field name -> true while its latest value is not saved
  var sentValue = {};      // field name -> the value last sent (a blur with no new typing is no change)
  var conflicted = {};     // field name -> true when another tab changed it since this page saw it
  var invalid = {};        // field name -> the server's message
  var timer = null;
  var inFlight = null;     // the Promise of the save under way
  var drawingDirty = false;
  var leaving = false;     // the page is being left: keep the stored copy, the next page restores it
  var DELAY = 400;

  // The version of the note each field was last seen at by this page: a save sends the oldest of its
  // fields', so a field changed in another tab since this page saw it is a conflict, never overwritten.
  var loadedAt = Number(root.dataset.version);
  var seen = {};
  function csrf() { return form.querySelector("input[name=csrfmiddlewaretoken]").value; }
  function seenAt(name) { return seen[name] || loadedAt; }
  function field(name) { return form.elements.namedItem(name); }
  function valueOf(el) {
    if (el.type === "checkbox") { return el.checked ? "true" : "false"; }
    return el.value;
  }
  function labelOf(name) {
    var el = field(name);
    var label = el && el.id ? form.querySelector('label[for="' + el.id + '"]') : null;
    return label ? label.textContent.replace("*", "").trim() : name;
  }
  function say(text, kind) {
    if (!statusLine) { return; }
    statusLine.textContent = text;
    statusLine.className = "autosave" + (kind ? " " + kind : "");
  }
  function stored() {
    try { return JSON.parse(sessionStorage.getItem(storeKey) || "{}"); } catch (e) { return {}; }
  }
  function store(name, value) {
    var all = stored();
    if (value === null) { delete all[name]; } else { all[name] = value; }
    try { sessionStorage.setItem(storeKey, JSON.stringify(all)); } catch (e) { /* private mode: keep going */ }
  }
  function markField(name, message) {
    var el = field(name);
    if (!el || !el.closest) { return; }
    var box = el.closest(".field");
    if (!box) { return; }
    var old = box.querySelector("p.error[data-autosave]");
    if (old) { old.remove(); }
    if (message) {
      box.classList.add("invalid");
      el.setAttribute("aria-invalid", "true");
      var p = document.createElement("p");
      p.className = "error";
      p.dataset.autosave = "1";
      p.id = el.id + "-autosave-error";
      p.textContent = message;
      el.setAttribute("aria-describedby", p.id);
      box.appendChild(p);
    } else {
      box.classList.remove("invalid");
      el.removeAttribute("aria-invalid");
    }
  }
  function pending() { return Object.keys(dirty).length > 0 || inFlight !== null || timer !== null || drawingDirty; }
  function unsaved() { return pending() || Object.keys(invalid).length > 0 || Object.keys(conflicted).length > 0; }

  function showProblems(problems) {
    var view = document.getElementById("readiness_view");
    var list = view && view.querySelector("[data-sign-problems]");
    if (!list || !problems) { return; }
    if (problems.length === 0) {
      list.outerHTML = '<p class="ok" data-sign-problems>Ready to sign.</p>';
      return;
    }
    var ul = document.createElement("ul");
    ul.setAttribute("data-sign-problems", "");
    problems.forEach(function (text) { var li = document.createElement("li"); li.textContent = text; ul.appendChild(li); });
    if (list.tagName === "UL") { list.replaceWith(ul); return; }
    var box = document.createElement("div");
    box.className = "sign-check";
    box.innerHTML = "<p><strong>Before signing:</strong></p>";
    box.appendChild(ul);
    list.replaceWith(box);
  }

  function save() {
    if (timer !== null) { clearTimeout(timer); timer = null; }
    if (inFlight) { return inFlight.then(function () { return Object.keys(dirty).length ? save() : null; }); }
    var names = Object.keys(dirty);
    if (names.length === 0) { return Promise.resolve(); }
    var body = new URLSearchParams();
    body.append("csrfmiddlewaretoken", csrf());
    body.append("version", String(Math.min.apply(null, names.map(seenAt))));
    var sent = {};
    names.forEach(function (name) {
      var el = field(name);
      if (!el) { return; }
      sent[name] = valueOf(el);
      sentValue[name] = sent[name];
      body.append(name, sent[name]);
    });
    dirty = {};
    say("Saving…", "");
    inFlight = fetch(root.dataset.autosave, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (!response.ok) { throw new Error("The server answered " + response.status); }
      return response.json();
    }).then(function (answer) {
      inFlight = null;
      var errors = answer.errors || {};
      var clash = answer.conflict || [];
      Object.keys(sent).forEach(function (name) {
        var el = field(name);
        var changedSince = el && valueOf(el) !== sent[name];
        if (clash.indexOf(name) >= 0) {
          conflicted[name] = true;  // kept in its field and in storage, never sent again by itself
          markField(name, "Changed in another tab or by someone else since this page loaded: reload to see it.");
        } else if (errors[name]) {
          invalid[name] = errors[name];
          markField(name, errors[name]);
        } else if (answer.saved && answer.saved.indexOf(name) >= 0) {
          seen[name] = answer.version;
          delete invalid[name];
          markField(name, "");
          if (!changedSince && !leaving) { store(name, null); }
        } else if (!changedSince) {
          dirty[name] = true;  // not saved (conflict, lock): still pending, still stored
        }
        if (changedSince) { dirty[name] = true; }
      });
      if (answer.locked) { dirty = {}; say(answer.error, "error"); return; }
      clash.forEach(function (name) { delete dirty[name]; });
      if (clash.length) { say(answer.error, "error"); showProblems(answer.sign_problems); return Object.keys(dirty).length ? save() : null; }
      var bad = Object.keys(invalid).map(function (n) { return labelOf(n) + " (" + invalid[n] + ")"; }).concat(
        Object.keys(conflicted).map(function (n) { return labelOf(n) + " (changed elsewhere since this page loaded: reload)"; }));
      if (bad.length) {
        say("Not saved: " + bad.join("; ") +
            ". Everything else is saved" + (answer.saved_at ? " (" + answer.saved_at + ")." : "."), "error");
      } else if (answer.error) {
        say("Not saved: " + answer.error, "error");
      } else {
        say("All changes saved at " + answer.saved_at + ".", "ok");
      }
      showProblems(answer.sign_problems);
      if (Object.keys(dirty).length) { return save(); }
      return null;
    }).catch(function (error) {
      inFlight = null;
      Object.keys(sent).forEach(function (name) { dirty[name] = true; });
      say("Not saved: the connection failed (" + error.message + "). Your input is kept; it saves when the connection is back.", "error");
      timer = setTimeout(function () { timer = null; save(); }, 3000);
    });
    return inFlight;
  }

  function schedule() {
    if (timer !== null) { clearTimeout(timer); }
    say("Unsaved changes…", "");
    timer = setTimeout(function () { timer = null; save(); }, DELAY);
  }

  function saveDrawing() {
    var drawing = document.querySelector("#note-live form[data-painmap]");
    if (!drawingDirty || !drawing) { return Promise.resolve(); }
    drawingDirty = false;
    return new Promise(function (resolve) {
      drawing.addEventListener("htmx:afterRequest", function () { resolve(); }, { once: true });
      window.htmx.trigger(drawing, "submit");
    });
  }

  // Everything pending, saved: the note's fields, then the drawing.
  function flush() { return save().then(saveDrawing); }

  function isNoteField(name) { return Boolean(name) && name !== "version" && name !== "csrfmiddlewaretoken"; }

  // Typing (input) and leaving a field or ticking a box (change) mark the field for saving; a blur
  // with nothing new since the value was sent marks nothing. A field that clashed with another tab is
  // kept in storage but not sent again.
  function edited(event) {
    var name = event.target.name;
    if (!isNoteField(name)) { return; }
    var value = valueOf(event.target);
    if (conflicted[name]) { store(name, value); return; }
    if (event.type === "change" && sentValue[name] === value) { return; }
    dirty[name] = true;
    store(name, value);
    schedule();
  }
  form.addEventListener("input", edited);
  form.addEventListener("change", edited);
  // The Save button saves through the same path, without reloading the page.
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (isNoteField(el.name) && el.type !== "submit") { dirty[el.name] = true; }
    });
    save();
  });

  // Restore what was typed but never saved (a reload, a crash, a closed tab).
  var restore = stored();
  Object.keys(restore).forEach(function (name) {
    var el = field(name);
    if (!el) { return; }
    if (el.type === "checkbox") { el.checked = restore[name] === "true"; } else { el.value = restore[name]; }
    dirty[name] = true;
  });
  if (Object.keys(dirty).length) { say("Restored input that was not saved; saving it now…", ""); save(); }

  // Pending typing is saved before any other action runs.
  document.addEventListener("htmx:confirm", function (event) {
    var source = event.detail.elt;
    if (form.contains(source) || !pending()) { return; }
    if (source.matches && source.matches("form[data-painmap]") && !Object.keys(dirty).length && !inFlight && timer === null) { return; }
    event.preventDefault();
    (source.matches && source.matches("form[data-painmap]") ? save() : flush()).then(function () {
      event.detail.issueRequest(false);
    });
  });
  document.addEventListener("submit", function (event) {
    var target = event.target;
    if (target === form || target.hasAttribute("hx-post") || !pending()) { return; }
    event.preventDefault();
    flush().then(function () { target.submit(); });
  }, true);
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[href]");
    if (!link || link.hasAttribute("hx-get") || link.hasAttribute("data-fill-needle")) { return; }
    if (link.getAttribute("href").charAt(0) === "#" || !pending()) { return; }
    event.preventDefault();
    flush().then(function () { window.location.href = link.href; });
  });
  window.addEventListener("beforeunload", function (event) {
    leaving = true;
    if (unsaved()) {
      if (timer !== null || Object.keys(dirty).length) { save(); }
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // The body map marks the drawing as unsaved until it is saved.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("#note-live .bodymap path.region[role=button]")) { drawingDirty = true; }
  });
  document.addEventListener("change", function (event) {
    if (event.target.closest && event.target.closest("#note-live form[data-painmap]")) { drawingDirty = true; }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt.matches && event.detail.elt.matches("form[data-painmap]") && event.detail.successful) {
      drawingDirty = false;
    }
  });

  // A suggested target fills the needle form in place (no page load, nothing else touched).
  document.addEventListener("click", function (event) {
    var add = event.target.closest && event.target.closest("[data-fill-needle]");
    if (!add) { return; }
    var target = document.getElementById("needle_target");
    var side = document.getElementById("needle_side");
    if (!target || !side) { return; }
    event.preventDefault();
    target.value = add.dataset.target;
    side.value = add.dataset.side;
    target.dispatchEvent(new Event("change", { bubbles: true }));
    document.getElementById("needles").scrollIntoView({ block: "start" });
    var depth = document.getElementById("needle_depth_mm");
    if (depth) { depth.focus({ preventScroll: true }); }
  });

  // After a refused action, put the cursor in the first
  // faulty field (or on the message).
  document.addEventListener("htmx:afterSettle", function () {
    var failed = document.querySelector("[data-failed]");
    if (failed) {
      failed.removeAttribute("data-failed");
      var details = failed.querySelector("details");
      if (details) { details.open = true; }
      var bad = failed.querySelector(".invalid input, .invalid select, .invalid textarea");
      if (bad) { bad.focus(); return; }
    }
    var errors = document.getElementById("errors-view");
    if (errors && errors.textContent.trim()) {
      errors.setAttribute("tabindex", "-1");
      errors.scrollIntoView({ block: "center" });
    }
  });
})();
