/* Lab General Hospital's tag container (first-party): installs each marketing and analytics tag that the page
   lists in <body data-tags>, with the vendors' own loader snippets, plus the hospital's own analytics (Matomo on
   metrics.lab-hospital.test). Vendor scripts load from the vendors' real hostnames; in the phileak lab every
   name resolves to the local sink. Synthetic test site. */
(function (w, d) {
  "use strict";
  var tags = {};
  (d.body.getAttribute("data-tags") || "").split(/\s+/).forEach(function (t) { if (t) tags[t] = true; });

  function load(src) {
    var s = d.createElement("script");
    s.async = true;
    s.src = src;
    d.head.appendChild(s);
    return s;
  }

  /* The hospital's own analytics: first party. */
  var _paq = w._paq = w._paq || [];
  _paq.push(["trackPageView"]);
  load("https://metrics.lab-hospital.test/matomo.js");

  if (tags.ga4) {
    w.dataLayer = w.dataLayer || [];
    w.gtag = function () { w.dataLayer.push(arguments); };
    w.gtag("js", new Date());
    var config = {};
    var userId = d.body.getAttribute("data-user-id");
    if (userId) config.user_id = userId;
    w.gtag("config", "G-LABHOSP01", config);
    load("https://www.googletagmanager.com/gtag/js?id=G-LABHOSP01");
  }

  if (tags.meta) {
    !function (f, b, e, v, n, t, s) {
      if (f.fbq) return; n = f.fbq = function () { n.callMethod ? n.callMethod.apply(n, arguments) : n.queue.push(arguments); };
      if (!f._fbq) f._fbq = n; n.push = n; n.loaded = !0; n.version = "2.0"; n.queue = [];
      t = b.createElement(e); t.async = !0; t.src = v; s = b.getElementsByTagName(e)[0]; s.parentNode.insertBefore(t, s);
    }(w, d, "script", "https://connect.facebook.net/en_US/fbevents.js");
    w.fbq("init", "1234567890123456");
    w.fbq("track", "PageView");
  }

  if (tags.bing) {
    (function (w, d, t, r, u) {
      var f, n, i; w[u] = w[u] || [];
      f = function () { var o = { ti: "343012345", enableAutoSpaTracking: true }; o.q = w[u]; w[u] = new w.UET(o); w[u].push("pageLoad"); };
      n = d.createElement(t); n.src = r; n.async = 1; n.onload = f;
      i = d.getElementsByTagName(t)[0]; i.parentNode.insertBefore(n, i);
    })(w, d, "script", "https://bat.bing.com/bat.js", "uetq");
  }

  if (tags.x) {
    !function (e, t, n, s, u, a) {
      e.twq || (s = e.twq = function () { s.exe ? s.exe.apply(s, arguments) : s.queue.push(arguments); }, s.version = "1.1", s.queue = [],
      u = t.createElement(n), u.async = !0, u.src = "https://static.ads-twitter.com/uwt.js", a = t.getElementsByTagName(n)[0], a.parentNode.insertBefore(u, a));
    }(w, d, "script");
    w.twq("config", "o1lab");
  }

  if (tags.tiktok) {
    var ttq = w.ttq = w.ttq || [];
    ["page", "track", "identify", "load"].forEach(function (m) {
      ttq[m] = function () { ttq.push([m].concat(Array.prototype.slice.call(arguments, 0))); };
    });
    ttq.load = function (code) { ttq.push(["load", code]); load("https://analytics.tiktok.com/i18n/pixel/events.js?sdkid=" + code + "&lib=ttq"); };
    ttq.load("C0LABHOSP01");
    ttq.page();
  }

  if (tags.linkedin) {
    w._linkedin_partner_id = "5123456";
    w._linkedin_data_partner_ids = w._linkedin_data_partner_ids || [];
    w._linkedin_data_partner_ids.push(w._linkedin_partner_id);
    w.lintrk = w.lintrk || function (a, b) { w.lintrk.q.push([a, b]); };
    w.lintrk.q = w.lintrk.q || [];
    load("https://snap.licdn.com/li.lms-analytics/insight.min.js");
  }

  if (tags.snap) {
    (function (e, t, n) {
      if (e.snaptr) return; var a = e.snaptr = function () { a.handleRequest ? a.handleRequest.apply(a, arguments) : a.queue.push(arguments); };
      a.queue = []; var s = "script"; var r = t.createElement(s); r.async = !0; r.src = n;
      var u = t.getElementsByTagName(s)[0]; u.parentNode.insertBefore(r, u);
    })(w, d, "https://sc-static.net/scevent.min.js");
    w.snaptr("init", "a1b2c3d4-0000-4c1e-9a5f-000000000017");
    w.snaptr("track", "PAGE_VIEW");
  }

  if (tags.pinterest) {
    !function (e) {
      if (!w.pintrk) { w.pintrk = function () { w.pintrk.queue.push(Array.prototype.slice.call(arguments)); };
        var n = w.pintrk; n.queue = [], n.version = "3.0"; var t = d.createElement("script"); t.async = !0, t.src = e;
        var r = d.getElementsByTagName("script")[0]; r.parentNode.insertBefore(t, r); }
    }("https://s.pinimg.com/ct/core.js");
    w.pintrk("load", "2613000000017");
    w.pintrk("page");
    var specialty = new URLSearchParams(location.search).get("specialty");
    if (specialty) w.pintrk("track", "search", { search_query: specialty });
  }

  if (tags.hotjar) {
    (function (h, o, t, j, a, r) {
      h.hj = h.hj || function () { (h.hj.q = h.hj.q || []).push(arguments); };
      h._hjSettings = { hjid: 3712345, hjsv: 6 };
      a = o.getElementsByTagName("head")[0]; r = o.createElement("script"); r.async = 1;
      r.src = t + h._hjSettings.hjid + j + h._hjSettings.hjsv; a.appendChild(r);
    })(w, d, "https://static.hotjar.com/c/hotjar-", ".js?sv=");
  }

  if (tags.clarity) {
    (function (c, l, a, r, i, t, y) {
      c[a] = c[a] || function () { (c[a].q = c[a].q || []).push(arguments); };
      t = l.createElement(r); t.async = 1; t.src = "https://www.clarity.ms/tag/" + i;
      y = l.getElementsByTagName(r)[0]; y.parentNode.insertBefore(t, y);
    })(w, d, "clarity", "script", "labhosp01");
  }

  if (tags.fullstory) {
    w._fs_org = "o-LAB017-na1";
    w._fs_namespace = "FS";
    load("https://edge.fullstory.com/s/fs.js");
  }
})(window, document);
