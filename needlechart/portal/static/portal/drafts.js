/* Unsent answers survive a reload, a dropped connection and the back button: every form marked
   data-draft="key" keeps its fields in sessionStorage as the patient goes, and gets them back when
   the page opens again with the fields empty. A page that shows the answer as saved names the key in
   data-draft-done, which forgets it. Nothing leaves the browser until the patient sends the form. */
(function () {
  "use strict";
  var store;
  try { store = window.sessionStorage; } catch (e) { return; }
  document.querySelectorAll("[data-draft-done]").forEach(function (el) {
    el.getAttribute("data-draft-done").split(" ").forEach(function (key) { if (key) store.removeItem("draft:" + key); });
  });
  if (/[?&]saved=/.test(window.location.search) && window.history.replaceState) {
    // The save is done: a reload of this address must not forget what is typed next.
    window.history.replaceState(null, "", window.location.pathname + window.location.hash);
  }
  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    var key = "draft:" + form.getAttribute("data-draft");
    var fields = function () { return form.querySelectorAll("input[name]:not([type=hidden]), textarea[name], select[name]"); };
    var saved = null;
    try { saved = JSON.parse(store.getItem(key) || "null"); } catch (e) { saved = null; }
    if (saved && form.getAttribute("data-server-values") !== "1") {
      fields().forEach(function (f) {
        var v = saved[f.name];
        if (v === undefined) return;
        if (f.type === "radio" || f.type === "checkbox") { f.checked = [].concat(v).indexOf(f.value) !== -1; }
        else if (!f.value) { f.value = v; }
      });
    }
    var keep = function () {
      var data = {};
      fields().forEach(function (f) {
        if (f.type === "radio") { if (f.checked) data[f.name] = f.value; }
        else if (f.type === "checkbox") { data[f.name] = (data[f.name] || []); if (f.checked) data[f.name].push(f.value); }
        else { data[f.name] = f.value; }
      });
      store.setItem(key, JSON.stringify(data));
    };
    form.addEventListener("input", keep);
    form.addEventListener("change", keep);
    form.addEventListener("submit", function () {
      keep();
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.setAttribute("aria-disabled", "true"); });
      if (form.getAttribute("data-submitting") === "1") { return; }
      form.setAttribute("data-submitting", "1");
    });
  });
})();
