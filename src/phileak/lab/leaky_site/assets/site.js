/* Lab General Hospital's own page code (first-party): site search, the booking form, the symptom checker and
   the portal's contact form, and what they tell the marketing tags. Synthetic test site. */
(function (w, d) {
  "use strict";
  function call(name) {
    var args = Array.prototype.slice.call(arguments, 1);
    var fn = w[name];
    if (typeof fn === "function") fn.apply(w, args);
    else if (fn && typeof fn.push === "function") fn.push(args);
  }
  function field(form, autocomplete) {
    var el = form.querySelector('[autocomplete~="' + autocomplete + '"]');
    return el ? el.value.trim() : "";
  }
  function selectedText(form, name) {
    var el = form.elements[name];
    return el && el.selectedIndex >= 0 ? el.options[el.selectedIndex].text : "";
  }

  /* Site search: results from the health library index; the search is reported to analytics and ads. */
  var summary = d.getElementById("search-summary");
  if (summary) {
    var q = (new URLSearchParams(location.search).get("q") || "").trim();
    if (q) {
      summary.textContent = "Results for \u201c" + q + "\u201d";
      call("gtag", "event", "view_search_results", { search_term: q });
      call("fbq", "track", "Search", { search_string: q });
      fetch("/assets/search-index.json").then(function (r) { return r.json(); }).then(function (index) {
        var words = q.toLowerCase().split(/\s+/);
        var list = d.getElementById("search-results");
        index.filter(function (page) {
          return words.some(function (word) { return word.length > 2 && page.title.toLowerCase().indexOf(word) >= 0; });
        }).slice(0, 20).forEach(function (page) {
          var li = d.createElement("li"), a = d.createElement("a");
          a.href = page.url; a.textContent = page.title; li.appendChild(a); list.appendChild(li);
        });
        if (!list.children.length) list.innerHTML = "<li>No pages found. Try the health library A\u2013Z.</li>";
      });
    }
  }

  /* Booking: the marketing team asked for "lead" events with advanced matching on every field. */
  var booking = d.getElementById("booking");
  if (booking) {
    booking.addEventListener("change", function (event) {
      var el = event.target;
      if (!el.getAttribute || !el.getAttribute("autocomplete") || !el.value) return;
      var clinic = selectedText(booking, "department");
      var email = field(booking, "email"), phone = field(booking, "tel");
      call("fbq", "track", "Lead", { content_name: clinic, content_category: "appointment" });
      call("gtag", "set", "user_data", {
        email: email, phone_number: phone,
        address: { first_name: field(booking, "given-name"), last_name: field(booking, "family-name"),
                   postal_code: field(booking, "postal-code"), country: "US" }
      });
      call("gtag", "event", "form_progress", { form_id: "booking", field_name: el.name });
      if (w.ttq) { w.ttq.identify({ email: email, phone_number: phone }); w.ttq.track("Contact", { content_name: clinic }); }
      if (email && el.getAttribute("autocomplete") === "email") {
        call("pintrk", "set", { em: email });
        call("pintrk", "track", "lead", { lead_type: clinic });
        call("_paq", "setUserId", email);
      }
    });
    booking.addEventListener("submit", function (event) {
      event.preventDefault();
      var clinic = selectedText(booking, "department");
      call("snaptr", "track", "RESERVE", {
        user_email: field(booking, "email"), user_phone_number: field(booking, "tel"), description: clinic
      });
      call("gtag", "event", "generate_lead", { form_id: "booking" });
      call("fbq", "track", "Schedule", { content_name: clinic });
      /* Give the tags their "hit callback" time before leaving the page. */
      setTimeout(function () { booking.submit(); }, 400);
    });
  }

  /* Symptom checker: free text goes to the third-party triage API as the patient types. */
  var symptoms = d.getElementById("symptoms");
  if (symptoms) {
    symptoms.elements.symptoms.addEventListener("change", function () {
      var age = parseInt(symptoms.elements.age.value, 10);
      fetch("https://api.infermedica.com/v3/parse", {
        method: "POST",
        headers: { "Content-Type": "application/json", "App-Id": "lab-hospital", "App-Key": "lab-demo-key" },
        body: JSON.stringify({ text: symptoms.elements.symptoms.value, age: { value: isNaN(age) ? null : age },
                               sex: symptoms.elements.sex.value })
      }).catch(function () {});
    });
    symptoms.addEventListener("submit", function (event) {
      event.preventDefault();
      var advice = d.getElementById("symptom-advice");
      advice.textContent = "Based on what you told us, a visit within 48 hours is recommended.";
      advice.hidden = false;
      call("gtag", "event", "symptom_check_complete", { tool: "symptom-checker" });
    });
  }

  /* Portal contact details: Meta custom event (advanced matching picks the fields up). */
  var contact = d.getElementById("contact");
  if (contact) {
    contact.addEventListener("change", function (event) {
      if (event.target.value) call("fbq", "trackCustom", "ContactDetailsUpdated", { section: "profile" });
    });
  }
})(window, document);
