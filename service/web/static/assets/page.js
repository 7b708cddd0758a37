// The calculator page: the element, with its state in the page's URL (/?kind=...&workload=...), so that a link
// reproduces an estimate, and each estimate gives the address bar a link to itself.

import "../embed.js";

const calculator = document.querySelector("genai-footprint-calculator");
const query = new URLSearchParams(window.location.search);
if (query.has("kind")) calculator.setAttribute("kind", query.get("kind"));
if (query.has("workload")) calculator.setAttribute("workload", query.get("workload"));

calculator.addEventListener("genai-footprint-change", (event) => {
  const {kind, workload} = event.detail;
  const search = new URLSearchParams({kind, workload: JSON.stringify(workload)}).toString();
  if (window.location.search !== `?${search}`) window.history.replaceState(null, "", `?${search}`);
});
