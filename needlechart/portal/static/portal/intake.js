// The intake, consent and questionnaire forms: what is typed is kept in sessionStorage until the form
// is sent, so a dropped connection or a reload loses nothing; a field the server already filled is
// never overwritten. A form marked data-once sends once (a second click does nothing).
(function () {
  "use strict";
  var form = document.querySelector("main form[method=post]:not([data-once-only])");
  var key = "needlechart-portal:" + location.pathname + location.search;
  function snapshot(f) {
    var out = {};
    Array.prototype.forEach.call(f.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "submit") { return; }
      if (el.type === "radio" || el.type === "checkbox") { if (el.checked) { out[el.name + "=" + el.value] = true; } }
      else { out[el.name] = el.value; }
    });
    return out;
  }
  function restore(f, saved) {
    Array.prototype.forEach.call(f.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "submit") { return; }
      if (el.type === "radio") {
        var group = f.querySelectorAll('input[type=radio][name="' + el.name + '"]:checked');
        if (!group.length && saved[el.name + "=" + el.value]) { el.checked = true; }
      } else if (el.type === "checkbox") {
        if (!el.checked && saved[el.name + "=" + el.value]) { el.checked = true; }
      } else if (!el.value && typeof saved[el.name] === "string") { el.value = saved[el.name]; }
    });
  }
  if (form && window.sessionStorage) {
    try { restore(form, JSON.parse(sessionStorage.getItem(key) || "{}")); } catch (e) { /* a bad snapshot: ignore */ }
    form.addEventListener("input", function () { sessionStorage.setItem(key, JSON.stringify(snapshot(form))); });
    form.addEventListener("change", function () { sessionStorage.setItem(key, JSON.stringify(snapshot(form))); });
    form.addEventListener("submit", function () { sessionStorage.removeItem(key); });
  }
  document.querySelectorAll("form[data-once]").forEach(function (f) {
    f.addEventListener("submit", function (event) {
      if (f.dataset.sent) { event.preventDefault(); return; }
      f.dataset.sent = "1";
    });
  });
})();
