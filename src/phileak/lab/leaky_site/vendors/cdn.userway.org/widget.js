/* Stand-in for an accessibility widget (a decoy for phileak): a third party that receives nothing personal.
   It fetches its fixed configuration (no query, no cookies) and shows a button. */
(function (d) {
  "use strict";
  fetch("https://cdn.userway.org/widgetapp/config/remote_widget_config.json", { credentials: "omit" })
    .then(function (r) { return r.text(); }).catch(function () { return ""; })
    .then(function () {
      var button = d.createElement("button");
      button.className = "uw-widget";
      button.type = "button";
      button.setAttribute("aria-label", "Accessibility menu");
      button.textContent = "A";
      d.body.appendChild(button);
    });
})(document);
