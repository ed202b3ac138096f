// Standard messages: choosing one fills the public update box at once (without JavaScript the
// "Use this message" button reloads the page with it filled in).
(function () {
  var picker = document.getElementById('message-template');
  var box = document.getElementById('update-message');
  if (!picker || !box) return;
  var form = picker.form;
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var option = picker.options[picker.selectedIndex];
    box.value = option.getAttribute('data-text') || '';
    box.focus();
  });
})();

// The builder's live preview: as an admin types a question, the preview beside the form shows
// it, drawn by the server with the citizen form's own templates, nothing saved. Without
// JavaScript the preview follows each save instead.
(function () {
  var form = document.getElementById('field-form');
  if (!form || !form.getAttribute('data-preview-url') || !window.fetch) return;
  var timer = null;
  var pending = null;
  function refresh() {
    if (pending && pending.abort) pending.abort();
    pending = window.AbortController ? new AbortController() : null;
    fetch(form.getAttribute('data-preview-url'), {
      method: 'POST', body: new FormData(form), credentials: 'same-origin',
      signal: pending ? pending.signal : undefined
    }).then(function (response) {
      return response.ok ? response.text() : null;
    }).then(function (html) {
      var current = document.getElementById('preview');
      if (html === null || !current) return;
      var holder = document.createElement('div');
      holder.innerHTML = html;
      var next = holder.querySelector('#preview');
      if (next) current.replaceWith(next);
    }).catch(function () { /* a refresh overtaken by the next keystroke, or offline */ });
  }
  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }
  form.addEventListener('input', soon);
  form.addEventListener('change', soon);
})();

// The queue: one checkbox in the header selects every case on the page (with the keyboard
// too: it is a real checkbox). Without JavaScript each row is ticked on its own, or the bulk
// form's "all cases matching these filters" does the lot. Set up again when the list refreshes
// itself (live.js keeps what was ticked).
(function () {
  function setUp() {
    var table = document.querySelector('.ts-queue-table');
    if (!table) return;
    var header = table.querySelector('thead .ts-col-select');
    var boxes = table.querySelectorAll('tbody input[name="case"]');
    if (!header || !boxes.length) return;
    header.innerHTML = '<div class="govuk-checkboxes govuk-checkboxes--small"><div class="govuk-checkboxes__item">' +
      '<input class="govuk-checkboxes__input" id="select-page" type="checkbox">' +
      '<label class="govuk-label govuk-checkboxes__label" for="select-page">' +
      '<span class="govuk-visually-hidden">Select every case on this page</span></label></div></div>';
    var all = document.getElementById('select-page');
    function sync() {
      var ticked = 0;
      boxes.forEach(function (box) { if (box.checked) ticked += 1; });
      all.checked = ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
    all.addEventListener('change', function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
    });
    boxes.forEach(function (box) { box.addEventListener('change', sync); });
    sync();
  }
  setUp();
  document.addEventListener('live:updated', setUp);
})();
