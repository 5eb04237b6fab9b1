/* phileak lab stand-in for Microsoft Advertising's UET tag bat.js (synthetic; not Microsoft's code). Wire format:
   GET bat.bing.com/action/0 with ti, evt (pageLoad | custom), p page URL, tl title, kw meta keywords, r referrer,
   page_path, and ea/el/ec for custom events. */
(function (w, d) {
  "use strict";
  function uuid() {
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = Math.random() * 16 | 0; return (c === "x" ? r : (r & 3 | 8)).toString(16);
    });
  }
  function UET(options) {
    this.ti = options.ti;
    this.mid = uuid();
    this.sid = uuid().slice(0, 8);
    var queued = options.q || [];
    for (var i = 0; i < queued.length; i++) this.push.apply(this, [].concat(queued[i]));
  }
  UET.prototype.send = function (extra) {
    var keywords = d.querySelector('meta[name="keywords"]');
    var p = new URLSearchParams();
    p.append("ti", this.ti); p.append("Ver", "2"); p.append("mid", this.mid); p.append("sid", this.sid);
    p.append("vid", this.mid.slice(0, 13)); p.append("vids", "1"); p.append("msclkid", "N");
    Object.keys(extra).forEach(function (k) { if (extra[k] !== undefined) p.append(k, extra[k]); });
    p.append("sv", "1"); p.append("tm", "al001"); p.append("rn", String(Math.floor(Math.random() * 1e6)));
    p.append("p", location.href);
    if (d.referrer) p.append("r", d.referrer);
    p.append("tl", d.title);
    if (keywords) p.append("kw", keywords.getAttribute("content"));
    p.append("lg", navigator.language); p.append("sw", String(screen.width)); p.append("sh", String(screen.height));
    p.append("sc", "24"); p.append("page_path", location.pathname);
    new Image().src = "https://bat.bing.com/action/0?" + p.toString();
  };
  UET.prototype.push = function (command, action, params) {
    if (command === "pageLoad") this.send({ evt: "pageLoad" });
    else if (command === "event") {
      params = params || {};
      this.send({ evt: "custom", ea: action, el: params.event_label, ec: params.event_category });
    }
  };
  w.UET = UET;
})(window, document);
