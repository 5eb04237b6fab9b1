/* phileak lab stand-in for the TikTok pixel events.js (synthetic; not TikTok's code). Wire format: POST JSON to
   analytics.tiktok.com/api/v2/pixel with event, context.page.url/referrer, context.pixel.code, context.user.*
   (email and phone_number: SHA-256 hex of the trimmed lower-case email and of the E.164 phone), properties. */
(function (w, d) {
  "use strict";
  var ttq = w.ttq;
  if (!ttq || ttq._lab) return;
  var ENDPOINT = "https://analytics.tiktok.com/api/v2/pixel";
  var code = null, user = Promise.resolve({}), session = Math.random().toString(36).slice(2) + "::" + Date.now();
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function sha256(text) { return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(hex); }
  function e164(phone) {
    var digits = (phone || "").replace(/[^0-9]/g, "");
    return digits ? "+" + (digits.length === 10 ? "1" + digits : digits) : "";
  }
  function identify(data) {
    var email = (data.email || "").trim().toLowerCase(), phone = e164(data.phone_number);
    user = Promise.all([email ? sha256(email) : "", phone ? sha256(phone) : ""]).then(function (h) {
      var result = {};
      if (h[0]) result.email = h[0];
      if (h[1]) result.phone_number = h[1];
      return result;
    });
  }
  function send(event, properties) {
    if (!code) return;
    user.then(function (u) {
      var body = {
        event: event, message_id: "messageId-" + Date.now() + "-" + Math.floor(Math.random() * 1e6),
        event_id: "", is_onsite: false, timestamp: new Date().toISOString(),
        context: { ad: {}, device: { platform: "pc" }, library: { name: "pixel.js", version: "2.2.1" },
                   page: { url: location.href, referrer: d.referrer }, pixel: { code: code },
                   session_id: session, user: u },
        properties: properties || {}
      };
      fetch(ENDPOINT, { method: "POST", body: JSON.stringify(body), keepalive: true, credentials: "include",
                        headers: { "Content-Type": "application/json" } }).catch(function () {});
    });
  }
  function handle(args) {
    var method = args[0];
    if (method === "load") code = args[1];
    else if (method === "page") send("Pageview", {});
    else if (method === "track") send(args[1], args[2]);
    else if (method === "identify") identify(args[1] || {});
  }
  var queued = ttq.splice(0);
  ttq._lab = true;
  ["page", "track", "identify"].forEach(function (m) {
    ttq[m] = function () { handle([m].concat(Array.prototype.slice.call(arguments, 0))); };
  });
  ttq.push = function (args) { handle(args); };
  queued.forEach(handle);
})(window, document);
