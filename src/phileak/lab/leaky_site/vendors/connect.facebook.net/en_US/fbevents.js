/* phileak lab stand-in for Meta Pixel's fbevents.js (synthetic; not Meta's code). It speaks the pixel's wire
   format: PageView as a GET image to www.facebook.com/tr/, other events by navigator.sendBeacon (form-encoded),
   with id, ev, dl, rl, cd[...] and automatic advanced matching ud[...]: SHA-256 hex of the values typed into the
   page's identity fields, normalised as Meta's SDK does (lower-case; phone digits with country code; birth date
   YYYYMMDD; ZIP before "-"). */
(function (w, d) {
  "use strict";
  var fbq = w.fbq;
  if (!fbq || fbq.callMethod) return;
  var ENDPOINT = "https://www.facebook.com/tr/";
  var pixels = [];
  var counter = 0;
  var loadedAt = Date.now();
  var fbp = (d.cookie.match(/(?:^|; )_fbp=([^;]*)/) || [])[1] || "fb.1." + loadedAt + "." + Math.floor(Math.random() * 1e10);
  d.cookie = "_fbp=" + fbp + "; path=/; max-age=7776000; SameSite=Lax; Secure";
  var KEYS = { email: "em", tel: "ph", "given-name": "fn", "family-name": "ln", bday: "db", "postal-code": "zp",
               "address-level2": "ct", sex: "ge" };
  function letters(v) { return v.trim().toLowerCase().replace(/[^a-z]/g, ""); }
  var NORMALISE = {
    em: function (v) { return v.trim().toLowerCase(); },
    ph: function (v) { var digits = v.replace(/[^0-9]/g, ""); return digits.length === 10 ? "1" + digits : digits; },
    fn: letters, ln: letters, ct: letters,
    db: function (v) {
      var iso = v.match(/^(\d{4})-(\d{2})-(\d{2})$/), us = v.match(/^(\d{2})\/(\d{2})\/(\d{4})$/);
      return iso ? iso[1] + iso[2] + iso[3] : us ? us[3] + us[1] + us[2] : v.replace(/[^0-9]/g, "");
    },
    zp: function (v) { return v.trim().toLowerCase().split("-")[0].replace(/\s/g, ""); },
    ge: function (v) { return v.trim().toLowerCase().charAt(0); }
  };
  function keyOf(el) {
    var tokens = (el.getAttribute("autocomplete") || "").toLowerCase().split(/\s+/);
    for (var i = 0; i < tokens.length; i++) if (KEYS[tokens[i]]) return KEYS[tokens[i]];
    if (el.type === "email") return "em";
    if (el.type === "tel") return "ph";
    return null;
  }
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function sha256(text) { return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(hex); }
  function advancedMatching() {
    var found = {};
    Array.prototype.forEach.call(d.querySelectorAll("input, select"), function (el) {
      var key = keyOf(el);
      if (key && el.type !== "password" && el.value && !found[key]) found[key] = NORMALISE[key](el.value);
    });
    var keys = Object.keys(found).filter(function (k) { return found[k]; });
    return Promise.all(keys.map(function (k) { return sha256(found[k]); })).then(function (hashes) {
      return keys.map(function (k, i) { return [k, hashes[i]]; });
    });
  }
  function send(event, custom) {
    return advancedMatching().then(function (userData) {
      pixels.forEach(function (id) {
        var p = new URLSearchParams();
        p.append("id", id); p.append("ev", event); p.append("dl", location.href); p.append("rl", d.referrer);
        p.append("if", "false"); p.append("ts", String(Date.now()));
        Object.keys(custom || {}).forEach(function (k) {
          var v = custom[k]; p.append("cd[" + k + "]", typeof v === "object" ? JSON.stringify(v) : String(v));
        });
        p.append("sw", String(screen.width)); p.append("sh", String(screen.height)); p.append("v", "2.9.176");
        p.append("r", "stable"); p.append("ec", String(counter++)); p.append("o", "4126"); p.append("fbp", fbp);
        p.append("it", String(loadedAt)); p.append("coo", "false");
        userData.forEach(function (pair) { p.append("ud[" + pair[0] + "]", pair[1]); });
        if (event === "PageView") new Image().src = ENDPOINT + "?" + p.toString();
        else navigator.sendBeacon(ENDPOINT, p);
      });
    });
  }
  function handle(method, a, b) {
    if (method === "init") { if (pixels.indexOf(a) < 0) pixels.push(a); }
    else if (method === "track" || method === "trackCustom") send(a, b);
  }
  fbq.callMethod = function () { handle.apply(null, arguments); };
  var queued = fbq.queue.splice(0);
  queued.forEach(function (args) { handle.apply(null, args); });
})(window, document);
