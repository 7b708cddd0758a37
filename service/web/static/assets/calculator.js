// <genai-footprint-calculator>: the calculator as a custom element, in an open shadow root. The page at / is
// this element; portals embed the same element from /embed.js. Attributes: api-base (the service's URL;
// default: where this file was loaded from), kind (training, fine-tuning, inference) and workload (the JSON
// body of POST /v1/estimates/{kind}). With a workload it estimates at once. After each estimate it fires
// "genai-footprint-change" (detail: {kind, workload, answer}), which the page uses to keep its URL shareable.
// Every figure shows with data-field (its path in the answer) and data-value (the unrounded central value),
// every recommendation with data-recommendation (its code).

import {Api} from "./api.js";
import {rangeChart} from "./chart.js";
import {fill, h, linkified} from "./dom.js";
import {CHARTS, FIELDS, FIGURES, GROUPS, KINDS, SECTIONS} from "./figures.js";
import {assumptionValue, figureText, number} from "./format.js";
import {OpenApi, documentedDefault} from "./openapi.js";
import {getPath, isObject, mergePatch, setPath} from "./patch.js";

const STYLESHEET = new URL("calculator.css", import.meta.url).href;
const DEFAULT_BASE = new URL("../", import.meta.url).href;
const KIND_IDS = KINDS.map((kind) => kind.id);
const KIND_NOUNS = {training: "training run", "fine-tuning": "fine-tuning job", inference: "inference workload"};
const HEADLINE_SECTIONS = new Set(["headline", "per_request"]);

const CATALOGS = {
  models: {
    path: () => "v1/models",
    label: (item) => `${item.name} (${number(item.parameters_billion)} B parameters)`,
  },
  accelerators: {
    path: () => "v1/accelerators",
    label: (item) => `${item.name} (${number(item.memory_gb)} GB)`,
  },
  instances: {
    path: (provider) => (provider ? `v1/instances?provider=${encodeURIComponent(provider)}` : "v1/instances"),
    label: (item) => `${item.id}: ${item.accelerator_count} × ${item.accelerator_id} (${item.provider})`,
  },
  regions: {
    path: (provider) => (provider ? `v1/regions?provider=${encodeURIComponent(provider)}` : null),
    label: (item) => `${item.id}: ${item.name} (${number(item.grid_ci_gco2e_per_kwh)} gCO2e/kWh)`,
  },
};

const idFor = (prefix, path) => `${prefix}-${path.replace(/[^A-Za-z0-9]+/g, "-")}`;
const humanize = (name) => {
  const text = name.replace(/[._]+/g, " ").trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
};
const csvCell = (value) => {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export class GenaiFootprintCalculator extends HTMLElement {
  static observedAttributes = ["api-base", "kind", "workload"];

  #api = null;
  #openapi = null;
  #kind = "training";
  #workload = {};
  #answer = null;
  #answerKind = null;
  #answerWorkload = null;
  #previous = null; // {kind, workload, title} before the last applied recommendation
  #fields = new Map(); // path -> {field, control, error}
  #catalogs = new Map(); // request path -> Promise of items
  #sequence = 0;
  #comparing = 0; // the comparison being made: an earlier one that answers late is dropped
  #started = false;
  #starts = 0;
  #ready = false;
  #attributesPending = false;
  #ui = {};

  constructor() {
    super();
    this.attachShadow({mode: "open"});
  }

  /** The API key (held in memory and this tab's sessionStorage); a portal may set it from its own login. */
  get apiKey() {
    return this.#api ? this.#api.key : null;
  }

  set apiKey(value) {
    this.#ensureApi();
    this.#api.key = value;
  }

  /** The current workload's kind and body, and the last answer. */
  get kind() {
    return this.#kind;
  }

  get workload() {
    return structuredClone(this.#workload);
  }

  get answer() {
    return this.#answer;
  }

  connectedCallback() {
    if (this.#started) return;
    this.#started = true;
    this.#renderShell();
    this.#start();
  }

  attributeChangedCallback(name, before, after) {
    if (!this.#started || before === after) return;
    if (name === "api-base") {
      this.#api = null;
      this.#catalogs.clear();
      this.#start();
      return;
    }
    if (!this.#ready || this.#attributesPending) return; // read once the service's description is in
    this.#attributesPending = true;
    queueMicrotask(() => {
      this.#attributesPending = false;
      this.#loadAttributes();
    });
  }

  #ensureApi() {
    if (!this.#api) this.#api = new Api(this.getAttribute("api-base") || DEFAULT_BASE);
  }

  async #start() {
    const start = ++this.#starts;
    this.#ready = false;
    this.#ensureApi();
    this.#status("Loading the service's inputs…");
    const spec = await this.#api.get("openapi.json");
    if (start !== this.#starts) return; // api-base changed meanwhile: the later start carries on
    if (!spec.ok) {
      this.#showProblem(spec, "The service's description (openapi.json) could not be loaded.");
      this.#status("");
      return;
    }
    this.#openapi = new OpenApi(spec.body);
    this.#ready = true;
    this.#status("");
    this.#loadAttributes();
  }

  /** Kind and workload from the attributes; estimates at once when a workload is given. */
  #loadAttributes() {
    const kind = this.getAttribute("kind");
    const text = this.getAttribute("workload");
    this.#clearErrors();
    if (kind !== null && !KIND_IDS.includes(kind)) {
      this.#setKind("training", {});
      this.#formError(`Unknown kind '${kind}': choose ${KIND_IDS.join(", ")}.`);
      return;
    }
    let workload = {};
    if (text) {
      try {
        workload = JSON.parse(text);
      } catch (error) {
        this.#setKind(kind || "training", {});
        this.#formError(`The workload is not valid JSON: ${error.message}`);
        return;
      }
      if (!isObject(workload)) {
        this.#setKind(kind || "training", {});
        this.#formError("The workload must be a JSON object.");
        return;
      }
    }
    this.#setKind(kind || this.#kind, workload);
    if (text) this.#estimate();
  }

  // -- shell -----------------------------------------------------------------------------------------------

  #renderShell() {
    const ui = this.#ui;
    ui.keyInput = h("input", {id: "api-key", type: "password", autocomplete: "off", spellcheck: "false"});
    ui.keyForm = h(
      "form",
      {class: "key", hidden: true, "aria-labelledby": "key-title", onsubmit: (event) => this.#useKey(event)},
      h("h2", {id: "key-title"}, "API key"),
      h("p", {id: "key-help"}, "This service needs an API key. It is kept in this tab only and sent as X-API-Key."),
      h("div", {class: "field"}, h("label", {for: "api-key"}, "Key"), ui.keyInput),
      h("button", {type: "submit"}, "Use this key"),
    );
    ui.keyInput.setAttribute("aria-describedby", "key-help");
    ui.kinds = h("fieldset", {class: "kinds"}, h("legend", {}, "What to estimate"));
    for (const kind of KINDS) {
      const id = `kind-${kind.id}`;
      ui.kinds.append(
        h("span", {class: "kind"},
          h("input", {type: "radio", name: "kind", id, value: kind.id, onchange: () => this.#switchKind(kind.id)}),
          h("label", {for: id}, kind.label)),
      );
    }
    ui.summary = h("div", {class: "error-summary", role: "alert", tabindex: "-1", hidden: true});
    ui.groups = h("div", {class: "groups"});
    ui.json = h("pre", {class: "json"});
    ui.submit = h("button", {type: "submit", class: "primary"}, "Estimate");
    ui.status = h("p", {class: "status", role: "status"});
    ui.form = h(
      "form",
      {class: "inputs", part: "form", novalidate: true, "aria-label": "Workload", onsubmit: (event) => this.#submit(event)},
      ui.kinds,
      ui.summary,
      ui.groups,
      h("details", {class: "request"}, h("summary", {}, "Request body (JSON)"), ui.json),
      h("div", {class: "actions"}, ui.submit),
      ui.status,
    );
    ui.results = h("section", {class: "results", part: "results", "aria-labelledby": "results-title", hidden: true});
    ui.recommendations = h("section", {
      class: "recommendations", part: "recommendations", "aria-labelledby": "recommendations-title", hidden: true,
    });
    ui.comparison = h("section", {
      class: "comparison", part: "comparison", "aria-labelledby": "comparison-title", hidden: true,
    });
    fill(this.shadowRoot,
      h("link", {rel: "stylesheet", href: STYLESHEET}),
      h("div", {class: "calculator", part: "calculator"},
        h("div", {class: "column inputs-column"}, ui.keyForm, ui.form),
        h("div", {class: "column outputs-column"}, ui.results, ui.comparison, ui.recommendations)),
    );
  }

  #status(text) {
    this.#ui.status.textContent = text;
  }

  // -- the form --------------------------------------------------------------------------------------------

  #setKind(kind, workload) {
    this.#kind = kind;
    this.#workload = structuredClone(workload);
    for (const radio of this.#ui.kinds.querySelectorAll("input")) radio.checked = radio.value === kind;
    this.#renderForm();
  }

  #switchKind(kind) {
    if (kind === this.#kind) return;
    // Keep what the new kind also takes (model, hardware, where it runs...), drop the rest.
    const inputs = this.#openapi.requestSchema(kind)?.properties || {};
    const workload = Object.fromEntries(Object.entries(this.#readForm()).filter(([key]) => key in inputs));
    this.#clearErrors();
    this.#setKind(kind, workload);
    this.#ui.results.hidden = true;
    this.#ui.recommendations.hidden = true;
    this.#hideComparison();
    this.#answer = null;
  }

  #renderForm() {
    const inputs = this.#openapi.inputs(this.#kind);
    const declared = new Map(FIELDS.map((field) => [field.path, field]));
    const fields = FIELDS.filter((field) => inputs.has(field.path));
    for (const path of inputs.keys()) {
      if (!declared.has(path)) fields.push({path, label: humanize(path.split(".").slice(1).join(" ") || path), advanced: true});
    }
    const groups = new Map(GROUPS.map((group) => [group.key, {...group, fields: []}]));
    for (const field of fields) {
      const key = field.path.includes(".") ? field.path.split(".")[0] : "";
      if (!groups.has(key)) groups.set(key, {key, label: humanize(key), fields: []});
      groups.get(key).fields.push({...field, ...inputs.get(field.path)});
    }
    this.#fields.clear();
    const fieldsets = [];
    for (const group of groups.values()) {
      if (!group.fields.length) continue;
      const legendId = idFor("group", group.key || "workload");
      const groupError = h("p", {class: "error", id: idFor("error", group.key || "body"), hidden: true,
        "data-error-for": group.key || "body"});
      const main = group.fields.filter((field) => !field.advanced).map((field) => this.#renderField(field));
      const advanced = group.fields.filter((field) => field.advanced).map((field) => this.#renderField(field));
      const onlyAdvanced = main.length === 0;
      fieldsets.push(
        h("fieldset", {class: "group", "data-group": group.key || "body", "aria-describedby": groupError.id},
          h("legend", {id: legendId}, group.label),
          groupError,
          main,
          advanced.length
            ? h("details", {class: "more", open: this.#hasAny(advanced)},
              h("summary", {}, onlyAdvanced ? `${group.label} inputs` : `More ${group.label.toLowerCase()} inputs`),
              advanced)
            : null),
      );
    }
    fill(this.#ui.groups, ...fieldsets);
    this.#writeForm();
    this.#loadChoices();
  }

  #hasAny(elements) {
    return elements.some((element) => getPath(this.#workload, element.dataset.path) !== undefined);
  }

  #renderField(field) {
    const {path, schema} = field;
    const id = idFor("field", path);
    const hintId = idFor("hint", path);
    const errorId = idFor("error", path);
    const hint = field.hint || schema.description || "";
    const fallback = documentedDefault(schema);
    let control;
    if (field.source || Array.isArray(schema.enum)) {
      control = h("select", {id, name: path});
      control.append(h("option", {value: ""}, fallback ? `Default: ${fallback}` : "Not given"));
      for (const value of schema.enum || []) control.append(h("option", {value}, value));
    } else if (schema.type === "boolean" && typeof schema.default === "boolean") {
      control = h("input", {id, name: path, type: "checkbox"});
    } else if (schema.type === "boolean") {
      control = h("select", {id, name: path},
        h("option", {value: ""}, "Not given"), h("option", {value: "true"}, "Yes"), h("option", {value: "false"}, "No"));
    } else {
      const numeric = schema.type === "number" || schema.type === "integer";
      control = h("input", {
        id,
        name: path,
        type: "text",
        inputmode: numeric ? (schema.type === "integer" ? "numeric" : "decimal") : null,
        autocomplete: "off",
        spellcheck: "false",
        placeholder: fallback ? `Default: ${fallback}` : null,
      });
    }
    control.setAttribute("aria-describedby", hint ? `${hintId} ${errorId}` : errorId);
    if (field.required) control.setAttribute("aria-required", "true");
    control.addEventListener("change", () => this.#changed(path));
    const label = h("label", {for: id}, field.label, field.required ? h("span", {class: "required"}, " (required)") : null);
    const error = h("p", {class: "error", id: errorId, "data-error-for": path, hidden: true});
    const element = h("div", {class: `field${control.type === "checkbox" ? " checkbox" : ""}`, "data-path": path},
      control.type === "checkbox" ? [control, label] : [label, control],
      hint ? h("p", {class: "hint", id: hintId}, hint) : null,
      error);
    this.#fields.set(path, {field, control, error, element, fallback});
    return element;
  }

  /** Puts the workload into the inputs (a catalog choice the list lacks is kept as its own option). */
  #writeForm() {
    for (const path of this.#fields.keys()) this.#writeControl(path);
    this.#ui.json.textContent = JSON.stringify(this.#workload, null, 2);
  }

  #writeControl(path) {
    const {field, control} = this.#fields.get(path);
    const value = getPath(this.#workload, path);
    if (control.type === "checkbox") {
      control.checked = typeof value === "boolean" ? value : field.schema.default;
    } else if (control.tagName === "SELECT") {
      const text = value === undefined ? "" : String(value);
      if (text && ![...control.options].some((option) => option.value === text)) {
        control.append(h("option", {value: text}, text));
      }
      control.value = text;
    } else {
      control.value = value === undefined ? "" : isObject(value) || Array.isArray(value) ? JSON.stringify(value) : String(value);
    }
  }

  /** The workload from the inputs: what each input says replaces that path; other members are kept as given. */
  #readForm() {
    let workload = structuredClone(this.#workload);
    for (const [path, {field, control}] of this.#fields) {
      const {schema} = field;
      let value;
      if (control.type === "checkbox") {
        value = control.checked === schema.default ? undefined : control.checked;
      } else if (control.tagName === "SELECT" && schema.type === "boolean") {
        value = control.value === "" ? undefined : control.value === "true";
      } else {
        const text = control.value.trim();
        if (text === "") value = undefined;
        else if (schema.type === "number" || schema.type === "integer") {
          // Anything but a finite number goes as typed, so the API's own message says what is wrong with it.
          const parsed = Number(text);
          value = text !== "" && Number.isFinite(parsed) ? parsed : text;
        } else value = text;
      }
      workload = setPath(workload, path, value);
    }
    return workload;
  }

  #changed(path) {
    const {control} = this.#fields.get(path);
    // One device: an accelerator or an instance type (the API refuses both).
    const other = {"hardware.accelerator": "hardware.instance_type", "hardware.instance_type": "hardware.accelerator"}[path];
    if (other && control.value && this.#fields.has(other)) this.#fields.get(other).control.value = "";
    if (path === "datacenter.provider") {
      // Regions and instance types belong to a provider.
      for (const stale of ["datacenter.region", "hardware.instance_type"]) {
        if (this.#fields.has(stale)) this.#fields.get(stale).control.value = "";
      }
    }
    this.#workload = this.#readForm();
    this.#ui.json.textContent = JSON.stringify(this.#workload, null, 2);
    if (path === "datacenter.provider") this.#loadChoices();
  }

  // -- catalog choices -------------------------------------------------------------------------------------

  #catalog(path) {
    if (!this.#catalogs.has(path)) {
      this.#catalogs.set(path, this.#api.get(path).then((result) => {
        if (!result.ok) {
          this.#catalogs.delete(path);
          throw result;
        }
        return result.body.items || [];
      }));
    }
    return this.#catalogs.get(path);
  }

  /** Fills the catalog-backed choices (all lists at once); a 401 asks for the key. */
  async #loadChoices() {
    const provider = getPath(this.#workload, "datacenter.provider");
    const jobs = [...this.#fields].filter(([, {field}]) => CATALOGS[field.source]).map(async ([path, entry]) => {
      const source = CATALOGS[entry.field.source];
      const request = source.path(provider);
      if (request === null) {
        fill(entry.control, h("option", {value: ""}, "Choose a cloud provider first"));
        this.#writeControl(path);
        return;
      }
      let items;
      try {
        items = await this.#catalog(request);
      } catch (result) {
        if (result.status === 401) this.#askForKey();
        else this.#fieldError(path, `The choices could not be loaded: ${result.problem?.detail || result.problem?.title}`);
        return;
      }
      if (this.#fields.get(path)?.control !== entry.control) return; // the form was redrawn meanwhile
      fill(entry.control,
        h("option", {value: ""}, entry.fallback ? `Default: ${entry.fallback}` : "Not given"),
        ...items.map((item) => h("option", {value: item.id}, source.label(item))),
      );
      // Refilling a list drops its selection: the workload's choice is put back at once, not after every list.
      this.#writeControl(path);
    });
    await Promise.all(jobs);
    this.#writeForm();
    if (this.#answer) this.#showDefaults();
  }

  // -- API key ---------------------------------------------------------------------------------------------

  #askForKey() {
    this.#ui.keyForm.hidden = false;
    this.#ui.keyInput.focus();
  }

  #useKey(event) {
    event.preventDefault();
    this.#api.key = this.#ui.keyInput.value.trim();
    this.#ui.keyInput.value = "";
    this.#ui.keyForm.hidden = true;
    this.#catalogs.clear();
    this.#loadChoices();
    if (this.#answer === null && Object.keys(this.#workload).length) this.#estimate();
  }

  // -- errors ----------------------------------------------------------------------------------------------

  #clearErrors() {
    this.#ui.summary.hidden = true;
    fill(this.#ui.summary);
    for (const error of this.#ui.form.querySelectorAll(".error")) {
      error.hidden = true;
      error.textContent = "";
    }
    for (const control of this.#ui.form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
  }

  #formError(message) {
    fill(this.#ui.summary, h("p", {}, message));
    this.#ui.summary.hidden = false;
  }

  #fieldError(path, message) {
    const entry = this.#fields.get(path);
    const target = entry ? entry.error : this.#ui.form.querySelector(`.error[data-error-for="${CSS.escape(path)}"]`);
    if (!target) return false;
    target.append(h("span", {}, message));
    target.hidden = false;
    if (entry) {
      entry.control.setAttribute("aria-invalid", "true");
      const details = entry.element.closest("details");
      if (details) details.open = true;
    }
    return true;
  }

  /** A problem+json answer: each message at the input its path names (or its group), all listed on top. */
  #showProblem(result, context) {
    const problem = result.problem || {};
    if (result.status === 401) {
      this.#askForKey();
      this.#formError(this.#api.key ? "The service did not accept this API key: enter another above."
        : "The service needs an API key: enter it above.");
      return;
    }
    const items = [];
    for (const [rawPath, messages] of Object.entries(problem.errors || {})) {
      const path = rawPath.replace(/^workload\./, "");
      let target = path;
      while (target && !this.#fields.has(target) && !this.#ui.form.querySelector(`.error[data-error-for="${CSS.escape(target)}"]`)) {
        target = target.includes(".") ? target.slice(0, target.lastIndexOf(".")) : "";
      }
      for (const message of messages) {
        const shown = target === path ? message : `${path}: ${message}`;
        const placed = target ? this.#fieldError(target, shown) : false;
        const label = this.#fields.get(target)?.field.label || path;
        const control = this.#fields.get(target)?.control;
        items.push(h("li", {},
          placed && control
            ? h("a", {href: `#${control.id}`, onclick: (event) => { event.preventDefault(); control.focus(); }}, label)
            : h("strong", {}, label),
          `: ${message}`));
      }
    }
    fill(this.#ui.summary,
      h("p", {class: "problem-title"}, context || problem.title || "The request failed"),
      problem.detail && !items.length ? h("p", {}, problem.detail) : null,
      items.length ? h("ul", {}, items) : null,
    );
    this.#ui.summary.hidden = false;
  }

  // -- estimating ------------------------------------------------------------------------------------------

  #submit(event) {
    event.preventDefault();
    this.#workload = this.#readForm();
    this.#previous = null;
    this.#hideComparison();
    this.#estimate();
  }

  async #estimate() {
    const sequence = ++this.#sequence;
    const kind = this.#kind;
    const workload = structuredClone(this.#workload);
    this.#clearErrors();
    this.#ui.submit.disabled = true;
    this.#ui.results.setAttribute("aria-busy", "true");
    this.#status("Estimating…");
    const result = await this.#api.post(`v1/estimates/${kind}`, workload);
    if (sequence !== this.#sequence) return;
    this.#ui.submit.disabled = false;
    this.#ui.results.removeAttribute("aria-busy");
    if (!result.ok) {
      this.#status("");
      // What is shown below must be the answer to the inputs above: an earlier answer would be read as this one's.
      for (const section of [this.#ui.results, this.#ui.recommendations, this.#ui.comparison]) section.hidden = true;
      this.#answer = null;
      this.#showProblem(result);
      if (result.status !== 401) this.#ui.summary.focus();
      return;
    }
    this.#answer = result.body;
    this.#answerKind = kind;
    this.#answerWorkload = workload;
    this.#renderResults();
    this.#showDefaults();
    this.#status("Estimated.");
    this.dispatchEvent(new CustomEvent("genai-footprint-change", {
      bubbles: true, composed: true, detail: {kind, workload, answer: result.body},
    }));
    this.#recommend(sequence, kind, workload);
  }

  /** The API's defaults for the inputs left empty, as the answer's assumptions state them. */
  #showDefaults() {
    const assumed = new Map((this.#answer.assumptions || []).map((item) => [item.name, item]));
    for (const [path, {field, control, fallback}] of this.#fields) {
      const name = field.assumption || path.split(".").pop();
      const assumption = assumed.get(name);
      const text = assumption && assumption.status !== "input"
        ? `Default: ${assumptionValue(assumption.value)}${assumption.unit && assumption.unit.length < 12 ? " " + assumption.unit : ""}`
        : fallback ? `Default: ${fallback}` : null;
      if (control.tagName === "SELECT" && control.options.length && control.options[0].value === "" && text) {
        control.options[0].textContent = text;
      } else if (control.tagName === "INPUT" && control.type === "text") {
        if (text) control.placeholder = text;
        else control.removeAttribute("placeholder");
      }
    }
  }

  // -- results ---------------------------------------------------------------------------------------------

  #figureElement(figure, raw, tag = "div", extra = {}) {
    const numeric = typeof raw === "number" ? raw : raw && typeof raw.value === "number" ? raw.value : null;
    const attributes = {
      class: "figure",
      "data-field": figure.path,
      "data-value": numeric !== null ? String(numeric) : typeof raw === "string" ? raw : null,
      "data-low": raw && typeof raw.low === "number" ? String(raw.low) : null,
      "data-high": raw && typeof raw.high === "number" ? String(raw.high) : null,
      ...extra,
    };
    if (raw === null) {
      return h(tag, attributes, h("span", {class: "figure-label"}, figure.label),
        h("span", {class: "figure-value unknown"}, "Not known"),
        figure.whenNull ? h("span", {class: "figure-note"}, figure.whenNull) : null);
    }
    const text = figureText(raw, figure.unit, figure.percent);
    return h(tag, attributes,
      h("span", {class: "figure-label"}, figure.label),
      h("span", {class: "figure-value"}, text.value, text.unit ? h("span", {class: "unit"}, ` ${text.unit}`) : null),
      text.range ? h("span", {class: "figure-range"}, `range ${text.range} ${text.unit}`) : null,
      figure.note ? h("span", {class: "figure-note"}, figure.note) : null);
  }

  /** The declared figures this answer has (null ones only where the declaration says why they are unknown). */
  #present(answer, section) {
    return FIGURES.filter((figure) => figure.section === section).flatMap((figure) => {
      const raw = getPath(answer, figure.path);
      if (raw === undefined || (raw === null && !figure.whenNull)) return [];
      return [{figure, raw}];
    });
  }

  #renderResults() {
    const answer = this.#answer;
    const ui = this.#ui;
    const kind = KINDS.find((item) => item.id === this.#answerKind);
    const parts = [h("h2", {id: "results-title"}, `Footprint of this ${KIND_NOUNS[kind.id]}`)];
    const headline = this.#present(answer, "headline");
    parts.push(h("div", {class: "headline"}, headline.map(({figure, raw}) => this.#figureElement(figure, raw))));
    if (answer.warnings?.length) {
      parts.push(h("div", {class: "warnings", role: "note", "aria-labelledby": "warnings-title"},
        h("h3", {id: "warnings-title"}, "Warnings"),
        h("ul", {}, answer.warnings.map((warning) => h("li", {"data-warning": warning.code}, warning.message)))));
    }
    const perRequest = this.#present(answer, "per_request");
    if (perRequest.length) {
      parts.push(h("h3", {}, SECTIONS.per_request),
        h("div", {class: "headline small"}, perRequest.map(({figure, raw}) => this.#figureElement(figure, raw))));
    }
    const breakdown = this.#present(answer, "breakdown");
    if (breakdown.length) parts.push(this.#renderBreakdown(breakdown));
    for (const section of ["serving", "memory", "compute", "rag"]) {
      const present = this.#present(answer, section);
      if (!present.length) continue;
      parts.push(h("h3", {}, SECTIONS[section]),
        h("div", {class: "facts"}, present.map(({figure, raw}) => this.#figureElement(figure, raw))));
    }
    parts.push(this.#renderAssumptions(answer.assumptions || []));
    if (answer.versions) {
      parts.push(h("p", {class: "versions"},
        `Methodology ${answer.versions.methodology}, reference data ${answer.versions.data}.`));
    }
    parts.push(this.#renderExports());
    fill(ui.results, ...parts);
    ui.results.hidden = false;
  }

  #renderBreakdown(present) {
    const container = h("div", {class: "breakdown"}, h("h3", {}, SECTIONS.breakdown));
    for (const [chart, title] of Object.entries(CHARTS)) {
      const rows = present.filter(({figure, raw}) => figure.chart === chart && raw !== null);
      if (!rows.length) continue;
      const unit = rows[0].figure.unit;
      const headingId = `chart-${chart}`;
      container.append(
        h("figure", {class: "chart-figure", "aria-labelledby": headingId},
          h("figcaption", {id: headingId}, `${title} (central value; whiskers: low to high)`),
          rangeChart({
            title,
            unit,
            className: `chart-${chart}`,
            rows: rows.map(({figure, raw}) => ({
              label: figure.label,
              range: typeof raw === "number" ? {value: raw, low: raw, high: raw} : raw,
            })),
          }),
          h("div", {class: "facts compact"}, rows.map(({figure, raw}) => this.#figureElement(figure, raw)))),
      );
    }
    const others = present.filter(({figure}) => !figure.chart);
    if (others.length) container.append(h("div", {class: "facts"}, others.map(({figure, raw}) => this.#figureElement(figure, raw))));
    return container;
  }

  #renderAssumptions(assumptions) {
    const rows = assumptions.map((item) =>
      h("tr", {"data-assumption": item.name},
        h("th", {scope: "row", "data-label": "Assumption"}, item.name.replace(/_/g, " ")),
        h("td", {"data-label": "Value"}, assumptionValue(item.value), item.unit ? ` ${item.unit}` : ""),
        h("td", {"data-label": "Status"}, item.status),
        h("td", {"data-label": "Source", class: "source"}, linkified(item.source))));
    return h("details", {class: "assumptions"},
      h("summary", {}, `Assumptions and sources (${assumptions.length})`),
      h("table", {},
        h("caption", {}, "Every value the estimate used, whether you gave it (input), it is a default, or it was derived."),
        h("thead", {}, h("tr", {}, ["Assumption", "Value", "Status", "Source"].map((name) => h("th", {scope: "col"}, name)))),
        h("tbody", {}, rows)));
  }

  #renderExports() {
    const link = this.#shareLink(this.#answerKind, this.#answerWorkload);
    return h("div", {class: "exports"},
      h("button", {type: "button", "data-download": "json", onclick: () => this.#download("json")}, "Download answer (JSON)"),
      h("button", {type: "button", "data-download": "csv", onclick: () => this.#download("csv")}, "Download figures (CSV)"),
      h("a", {href: link, class: "share", "data-share": ""}, "Link to this estimate"));
  }

  #shareLink(kind, workload) {
    const url = new URL(this.#api.base);
    url.search = new URLSearchParams({kind, workload: JSON.stringify(workload)}).toString();
    return url.href;
  }

  /** The figures of the answer as CSV rows: field, label, unit, value, low, high. */
  csv() {
    const lines = [["field", "label", "unit", "value", "low", "high"]];
    for (const figure of FIGURES) {
      const raw = getPath(this.#answer, figure.path);
      if (raw === undefined || raw === null || typeof raw === "string") continue;
      const range = typeof raw === "number" ? {value: raw, low: raw, high: raw} : raw;
      lines.push([figure.path, figure.label, figure.percent ? "fraction" : figure.unit || "", range.value, range.low, range.high]);
    }
    return lines.map((line) => line.map(csvCell).join(",")).join("\r\n") + "\r\n";
  }

  #download(format) {
    const body = format === "json" ? JSON.stringify(this.#answer, null, 2) + "\n" : this.csv();
    const type = format === "json" ? "application/json" : "text/csv";
    const url = URL.createObjectURL(new Blob([body], {type}));
    const link = h("a", {href: url, download: `footprint-${this.#answerKind}.${format}`});
    this.shadowRoot.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // -- recommendations -------------------------------------------------------------------------------------

  async #recommend(sequence, kind, workload) {
    const ui = this.#ui;
    const title = h("h2", {id: "recommendations-title"}, "What would lower it");
    ui.recommendations.hidden = false;
    ui.recommendations.setAttribute("aria-busy", "true");
    fill(ui.recommendations, title, h("p", {class: "status"}, "Looking for changes that lower the footprint…"));
    const summary = this.#openapi.acceptsQuery("/v1/recommendations", "post", "detail", "summary");
    const result = await this.#api.post(`v1/recommendations${summary ? "?detail=summary" : ""}`, {kind, workload});
    if (sequence !== this.#sequence) return;
    ui.recommendations.removeAttribute("aria-busy");
    if (!result.ok) {
      fill(ui.recommendations, title,
        h("p", {class: "problem"}, `No recommendations: ${result.problem.detail || result.problem.title}`));
      return;
    }
    const {recommendations = [], notes = []} = result.body;
    const items = recommendations.map((item) => this.#renderRecommendation(item, kind, workload));
    fill(ui.recommendations,
      title,
      items.length
        ? h("ol", {class: "recommendation-list"}, items)
        : h("p", {}, "No change found that lowers the emissions of this workload within the catalog."),
      notes.length
        ? h("details", {class: "notes"}, h("summary", {}, `Changes not proposed, and why (${notes.length})`),
          h("ul", {}, notes.map((note) => h("li", {"data-note": note.code}, h("strong", {}, note.subject), `: ${note.reason}`))))
        : null,
    );
  }

  #renderRecommendation(item, kind, workload) {
    const saving = item.savings.emissions_kgco2e;
    const titleId = idFor("rec", `${item.code}-${item.variant}`);
    return h("li", {class: "recommendation", "data-recommendation": item.code, "aria-labelledby": titleId},
      h("h3", {id: titleId}, item.title),
      h("p", {class: "saving"},
        h("strong", {}, `${number(item.savings.emissions_percent)}% less emissions`),
        `: ${figureText(saving, "kgCO2e").value} ${figureText(saving, "kgCO2e").unit} saved`,
        figureText(saving, "kgCO2e").range ? ` (range ${figureText(saving, "kgCO2e").range})` : "",
        item.evidence === "vendor-claim" ? " — a vendor's claim" : ""),
      h("p", {class: "rationale"}, item.rationale),
      item.tradeoffs?.length
        ? h("div", {class: "tradeoffs"}, h("p", {}, "Trade-offs:"), h("ul", {}, item.tradeoffs.map((text) => h("li", {}, text))))
        : null,
      item.comparison && typeof item.comparison.break_even_requests === "number"
        ? h("p", {class: "break-even"}, `Retrieval emits less below ${number(item.comparison.break_even_requests)} requests.`)
        : null,
      h("button", {type: "button", class: "apply", "data-apply": item.code,
        "aria-describedby": titleId, onclick: () => this.#apply(item, kind, workload)}, "Apply and re-estimate"));
  }

  /** Applies a recommendation's merge patch (or, to change the kind, its {kind, workload}) and re-estimates. */
  async #apply(item, kind, workload) {
    const change = item.change || {};
    const replaces = Object.keys(change).length === 2 && KIND_IDS.includes(change.kind) && isObject(change.workload);
    const next = replaces ? {kind: change.kind, workload: change.workload} : {kind, workload: mergePatch(workload, change)};
    this.#previous = {kind, workload, title: item.title};
    this.#clearErrors();
    if (next.kind !== this.#kind) this.#setKind(next.kind, next.workload);
    else {
      this.#workload = structuredClone(next.workload);
      this.#writeForm();
      this.#loadChoices();
    }
    const estimating = this.#estimate();
    this.#compare({kind, workload}, next, item.title);
    await estimating;
  }

  /** Hides the comparison, and drops one still on its way. */
  #hideComparison() {
    this.#comparing += 1;
    this.#ui.comparison.hidden = true;
  }

  async #compare(before, after, title) {
    const ui = this.#ui;
    const sequence = ++this.#comparing;
    const heading = h("h2", {id: "comparison-title"}, "Before and after");
    ui.comparison.hidden = false;
    ui.comparison.setAttribute("aria-busy", "true");
    fill(ui.comparison, heading, h("p", {class: "status"}, "Comparing…"));
    const refused = (problem) => {
      ui.comparison.removeAttribute("aria-busy");
      fill(ui.comparison, heading, h("p", {class: "problem"}, problem.detail || problem.title));
    };
    let estimates;
    let deltas = [null, null];
    if (before.kind === after.kind) {
      const result = await this.#api.post("v1/compare", {
        kind: before.kind,
        scenarios: [{name: "Before", workload: before.workload}, {name: "After", workload: after.workload}],
      });
      if (sequence !== this.#comparing) return;
      if (!result.ok) {
        refused(result.problem);
        return;
      }
      estimates = result.body.scenarios.map((scenario) => scenario.estimate);
      deltas = result.body.scenarios.map((scenario) => scenario.delta);
    } else {
      // A change of kind (retrieval instead of fine-tuning) cannot be one comparison: both estimates, side by side.
      const results = await Promise.all([before, after].map((item) => this.#api.post(`v1/estimates/${item.kind}`, item.workload)));
      if (sequence !== this.#comparing) return;
      const failed = results.find((result) => !result.ok);
      if (failed) {
        refused(failed.problem);
        return;
      }
      estimates = results.map((result) => result.body);
    }
    const figures = FIGURES.filter((figure) => HEADLINE_SECTIONS.has(figure.section)
      && estimates.some((estimate) => typeof getPath(estimate, figure.path)?.value === "number"));
    const cell = (estimate, figure, scenario) => {
      const raw = getPath(estimate, figure.path);
      if (!raw || typeof raw.value !== "number") return h("td", {}, "—");
      const text = figureText(raw, figure.unit);
      return h("td", {"data-field": figure.path, "data-value": String(raw.value), "data-scenario": scenario},
        `${text.value} ${text.unit}`);
    };
    const change = (figure) => {
      const delta = deltas[1]?.[figure.path];
      if (!delta || delta.percent === null || delta.percent === undefined) return h("td", {}, "—");
      return h("td", {"data-delta": figure.path}, `${delta.percent > 0 ? "+" : ""}${number(delta.percent)}%`);
    };
    ui.comparison.removeAttribute("aria-busy");
    fill(ui.comparison,
      heading,
      h("p", {}, `Applied: ${title}.`),
      h("table", {class: "compare"},
        h("thead", {}, h("tr", {},
          h("th", {scope: "col"}, "Figure"),
          h("th", {scope: "col"}, before.kind === after.kind ? "Before" : `Before (${before.kind})`),
          h("th", {scope: "col"}, before.kind === after.kind ? "After" : `After (${after.kind})`),
          h("th", {scope: "col"}, "Change"))),
        h("tbody", {}, figures.map((figure) => h("tr", {},
          h("th", {scope: "row"}, figure.label),
          cell(estimates[0], figure, "before"),
          cell(estimates[1], figure, "after"),
          change(figure))))),
      h("button", {type: "button", class: "undo", onclick: () => this.#undo()}, "Back to the workload before"),
    );
  }

  #undo() {
    if (!this.#previous) return;
    const {kind, workload} = this.#previous;
    this.#previous = null;
    this.#hideComparison();
    this.#setKind(kind, workload);
    this.#estimate();
  }
}
