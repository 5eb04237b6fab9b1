/* phileak lab stand-in for FullStory's fs.js (synthetic; not FullStory's code). Recording bundles are POSTed to
   rs.fullstory.com/rec/bundle?OrgId=&UserId=&SessionId=&PageId=&Seq= as JSON {"Seq", "When", "Evts":
   [{"When", "Kind", "Args"}], "PageUrl"}. Fields inside .fs-exclude are not recorded; this site excluded none. */
(function (w, d) {
  "use strict";
  var org = w._fs_org, start = Date.now(), sequence = 0;
  var user = Math.floor(Math.random() * 1e12), session = Math.floor(Math.random() * 1e12), page = Math.floor(Math.random() * 1e12);
  function selector(el) { return el.tagName + (el.id ? "#" + el.id : ""); }
  function bundle(events) {
    sequence += 1;
    var url = "https://rs.fullstory.com/rec/bundle?OrgId=" + encodeURIComponent(org) + "&UserId=" + user +
      "&SessionId=" + session + "&PageId=" + page + "&Seq=" + sequence;
    fetch(url, { method: "POST", keepalive: true, headers: { "Content-Type": "text/plain;charset=UTF-8" },
                 body: JSON.stringify({ Seq: sequence, When: Date.now() - start, Evts: events, PageUrl: location.href }) })
      .catch(function () {});
  }
  bundle([{ When: 0, Kind: 1, Args: [d.title] }]);
  d.addEventListener("change", function (event) {
    var el = event.target;
    if (!el || (el.tagName !== "INPUT" && el.tagName !== "TEXTAREA") || el.type === "password") return;
    if (el.closest && el.closest(".fs-exclude")) return;
    bundle([{ When: Date.now() - start, Kind: 2, Args: [selector(el), el.value] }]);
  }, true);
})(window, document);
