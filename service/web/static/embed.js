// The embeddable calculator: <script type="module" src="https://footprint.example.org/embed.js"></script>
// then <genai-footprint-calculator kind="inference" workload='{...}'></genai-footprint-calculator>.
// The page that embeds it must be an origin listed in the service's FOOTPRINT_CORS_ALLOWED_ORIGINS.

import {GenaiFootprintCalculator} from "./assets/calculator.js";

if (!customElements.get("genai-footprint-calculator")) {
  customElements.define("genai-footprint-calculator", GenaiFootprintCalculator);
}

export {GenaiFootprintCalculator};
