/* The hospital's self-hosted analytics (first party, metrics.lab-hospital.test): page views and, on the booking
   form, the visitor's email as user id. A decoy for phileak: data kept by the site itself is not a third-party
   disclosure and must not be reported as one. */
(function (w, d) {
  "use strict";
  var queue = w._paq || [], userId = null;
  function send(action) {
    var p = new URLSearchParams();
    p.append("idsite", "1"); p.append("rec", "1"); p.append("action_name", d.title); p.append("url", location.href);
    p.append("urlref", d.referrer); p.append("rand", String(Math.random()).slice(2));
    if (userId) p.append("uid", userId);
    if (action) p.append("e_a", action);
    navigator.sendBeacon("https://metrics.lab-hospital.test/matomo.php?" + p.toString());
  }
  function handle(args) {
    if (args[0] === "trackPageView") send(null);
    else if (args[0] === "setUserId") { userId = args[1]; send("identified"); }
  }
  w._paq = { push: handle };
  queue.forEach(handle);
})(window, document);
