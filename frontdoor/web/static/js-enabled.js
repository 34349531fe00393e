// Marks the page as scripted before GOV.UK Frontend styles it (kept out of the page itself so
// the Content-Security-Policy can refuse every inline script).
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
