/* phileak lab stand-in for the Pinterest tag core.js (synthetic; not Pinterest's code). Wire format: GET
   ct.pinterest.com/v3/ with event, tid, pd (JSON: enhanced match em = SHA-256 hex of the lower-case email),
   ad (JSON: loc page URL, ref referrer) and ed (JSON event data). */
(function (w, d) {
  "use strict";
  var pintrk = w.pintrk;
  if (!pintrk || pintrk._lab) return;
  var tid = null, em = Promise.resolve(null);
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function setEmail(value) {
    var email = (value || "").trim().toLowerCase();
    em = email ? crypto.subtle.digest("SHA-256", new TextEncoder().encode(email)).then(hex) : Promise.resolve(null);
  }
  function send(event, data) {
    em.then(function (hash) {
      var pd = { np: "pixel-js" };
      if (hash) pd.em = hash;
      var p = new URLSearchParams();
      p.append("event", event); p.append("tid", tid); p.append("pd", JSON.stringify(pd));
      p.append("ad", JSON.stringify({ loc: location.href, ref: d.referrer, if: false, sh: screen.height, sw: screen.width }));
      if (data) p.append("ed", JSON.stringify(data));
      p.append("cb", String(Date.now()));
      new Image().src = "https://ct.pinterest.com/v3/?" + p.toString();
    });
  }
  function handle(args) {
    var command = args[0];
    if (command === "load") { tid = args[1]; if (args[2] && args[2].em) setEmail(args[2].em); }
    else if (command === "set" && args[1] && args[1].em) setEmail(args[1].em);
    else if (command === "page" && tid) send("pagevisit", null);
    else if (command === "track" && tid) send(args[1], args[2] || {});
  }
  var queued = pintrk.queue.splice(0);
  w.pintrk = function () { handle(Array.prototype.slice.call(arguments)); };
  w.pintrk._lab = true;
  queued.forEach(handle);
})(window, document);
