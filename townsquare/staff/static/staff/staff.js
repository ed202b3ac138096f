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
