// /docs: Swagger UI (from the installed swagger-ui-bundle package) rendering this service's own OpenAPI document.
// validatorUrl null: Swagger UI would otherwise send the document to an online validator on another origin.

window.ui = window.SwaggerUIBundle({
  url: new URL("openapi.json", document.baseURI).href,
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  docExpansion: "list",
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
