/* phileak lab stand-in for the X (Twitter) pixel uwt.js (synthetic; not X's code). Wire format: GET
   analytics.twitter.com/i/adsct with txn_id, events (a JSON array of [type, {...}]) and tw_document_href. */
(function (w, d) {
  "use strict";
  var twq = w.twq;
  if (!twq || twq.exe) return;
  function id() { return Math.random().toString(36).slice(2, 10) + Date.now().toString(36); }
  function send(txn, events) {
    var p = new URLSearchParams();
    p.append("bci", "3"); p.append("eci", "2"); p.append("event_id", id()); p.append("events", JSON.stringify(events));
    p.append("integration", "advertiser"); p.append("p_id", "Twitter"); p.append("p_user_id", "0");
    p.append("pl_id", id()); p.append("tw_document_href", location.href); p.append("tw_iframe_status", "0");
    p.append("txn_id", txn); p.append("type", "javascript"); p.append("version", "2.3.31");
    new Image().src = "https://analytics.twitter.com/i/adsct?" + p.toString();
  }
  var txn = null;
  function handle(command, a, b) {
    if (command === "config") { txn = a; send(txn, [["pageview", {}]]); }
    else if (command === "event" && txn) send(txn, [[a, b || {}]]);
  }
  twq.exe = function () { handle.apply(null, arguments); };
  twq.queue.splice(0).forEach(function (args) { handle.apply(null, args); });
})(window, document);
