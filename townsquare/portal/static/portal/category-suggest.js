// Suggests the likeliest problems as the resident describes it, from the council's JSON
// endpoint (triage's category model). Without this script the same suggestions appear after
// the description is sent. Progressive enhancement only.
(function () {
  "use strict";
  var form = document.querySelector("[data-ts-describe]");
  var box = document.querySelector("[data-ts-suggestions]");
  if (!form || !box || !window.fetch) return;
  var input = form.querySelector("textarea[name=describe]");
  var url = form.getAttribute("data-suggest-url");
  var timer = null;
  var asked = 0;
  function show(suggestions, text) {
    box.textContent = "";
    if (!text.trim()) return;
    if (!suggestions.length) {
      var none = document.createElement("p");
      none.className = "govuk-body";
      none.textContent = box.getAttribute("data-none");
      box.appendChild(none);
      return;
    }
    var heading = document.createElement("h2");
    heading.className = "govuk-heading-m";
    heading.textContent = box.getAttribute("data-heading");
    var list = document.createElement("ul");
    list.className = "govuk-list govuk-list--spaced";
    suggestions.forEach(function (s) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.className = "govuk-link";
      link.href = s.url;
      link.textContent = s.name;
      item.appendChild(link);
      if (s.words.length) {
        var why = document.createElement("span");
        why.className = "govuk-hint govuk-!-margin-bottom-0";
        why.textContent = box.getAttribute("data-because") + " " + s.words.join(", ");
        item.appendChild(why);
      }
      list.appendChild(item);
    });
    box.appendChild(heading);
    box.appendChild(list);
  }
  function ask() {
    var text = input.value;
    var mine = ++asked;
    if (text.trim().length < 3) { show([], ""); return; }
    fetch(url + "?text=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (body) { if (mine === asked) show(body.suggestions || [], text); })
      .catch(function () { /* the button still works */ });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 250);
  });
})();
