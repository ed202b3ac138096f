// Filters the list of problems as the resident types (the form also works without this
// script: it searches on the server). Progressive enhancement only.
(function () {
  "use strict";
  var form = document.querySelector("[data-ts-category-search]");
  if (!form || !document.querySelector("[data-ts-category-status]")) return;
  var input = form.querySelector("input[name=q]");
  var none = document.querySelector("[data-ts-category-none]");
  var status = document.querySelector("[data-ts-category-status]");
  function fold(s) {
    return s.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[^a-z0-9]+/g, " ").trim();
  }
  function filter() {
    var wanted = fold(input.value);
    var shown = 0;
    document.querySelectorAll("[data-ts-category-group]").forEach(function (group) {
      var inGroup = 0;
      group.querySelectorAll("[data-ts-category]").forEach(function (item) {
        var match = !wanted || fold(item.getAttribute("data-ts-category")).indexOf(wanted) >= 0;
        item.classList.toggle("ts-hidden-by-search", !match);
        if (match) inGroup += 1;
      });
      group.classList.toggle("ts-hidden-by-search", inGroup === 0);
      shown += inGroup;
    });
    // One live region says when nothing matches; the hidden paragraph only carries the text.
    status.textContent = shown > 0 ? "" : none.textContent;
  }
  input.addEventListener("input", filter);
})();
