/* phileak lab stand-in for Hotjar's recording script (synthetic; not Hotjar's code). Recording data goes over a
   WebSocket to ws.hotjar.com as JSON messages. Typed text is suppressed ("*") unless the field opts in with
   data-hj-allow, which this site set on its free-text fields. */
(function (w, d) {
  "use strict";
  var site = (w._hjSettings || {}).hjid;
  var socket = new WebSocket("wss://ws.hotjar.com/api/v2/client/ws");
  var waiting = [];
  function post(message) {
    var text = JSON.stringify(message);
    if (socket.readyState === 1) socket.send(text); else waiting.push(text);
  }
  socket.onopen = function () { waiting.splice(0).forEach(function (text) { socket.send(text); }); };
  function selector(el) { return el.tagName.toLowerCase() + (el.id ? "#" + el.id : el.name ? '[name="' + el.name + '"]' : ""); }
  post({ action: "page_view", site_id: site, url: location.href, title: d.title, ts: Date.now() });
  d.addEventListener("change", function (event) {
    var el = event.target;
    if (!el || (el.tagName !== "INPUT" && el.tagName !== "TEXTAREA") || el.type === "password") return;
    var allowed = el.hasAttribute("data-hj-allow");
    post({ action: "recording_data", site_id: site, events: [
      { type: "input", ts: Date.now(), selector: selector(el), value: allowed ? el.value : el.value.replace(/./g, "*") }
    ] });
  }, true);
})(window, document);
