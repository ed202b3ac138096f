// Loaded at the top of <body>, before anything is drawn: GOV.UK Frontend's styles for pages
// with JavaScript (and with its modules supported) apply from the first paint. A file, not an
// inline script, so the Content-Security-Policy allows no inline script at all (ADR 146).
document.body.className += " js-enabled" +
  ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
