// Starts GOV.UK Frontend's components on every page. A module, so only browsers that take
// modules run it, as GOV.UK Frontend asks; a file, not an inline script (ADR 146). GOV.UK
// Frontend's address comes from the page, with the hash collectstatic gave it (an import
// written here would name the file without one).
const script = document.querySelector("script[data-govuk-frontend]");
import(script.getAttribute("data-govuk-frontend")).then((govuk) => govuk.initAll());
