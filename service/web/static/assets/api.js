// The service's public API, as a browser client: JSON in, JSON or problem+json out, with the API key (when the
// service requires one) sent as X-API-Key. Nothing else is fetched.

const KEY_STORE = "genai-footprint-api-key ";

export class Api {
  /** ``base``: the service's URL, ending with a slash (paths are resolved against it, so a prefix works). */
  constructor(base) {
    this.base = base.endsWith("/") ? base : base + "/";
    this.memoryKey = null;
  }

  /** The key for this service: set by the user, held in memory and in this tab's sessionStorage. */
  get key() {
    if (this.memoryKey) return this.memoryKey;
    try {
      return sessionStorage.getItem(KEY_STORE + this.base);
    } catch {
      return null; // storage can be refused (sandboxed frames, privacy settings): memory only then
    }
  }

  set key(value) {
    this.memoryKey = value || null;
    try {
      if (value) sessionStorage.setItem(KEY_STORE + this.base, value);
      else sessionStorage.removeItem(KEY_STORE + this.base);
    } catch {
      // memory only
    }
  }

  url(path) {
    return new URL(path.replace(/^\//, ""), this.base).href;
  }

  /** {ok: true, status, body} or {ok: false, status, problem}; status 0 when the service could not be reached. */
  async request(method, path, body) {
    const headers = {Accept: "application/json"};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const key = this.key;
    if (key) headers["X-API-Key"] = key;
    let response;
    try {
      response = await fetch(this.url(path), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: "omit",
      });
    } catch (error) {
      return {
        ok: false,
        status: 0,
        problem: {title: "The service could not be reached", detail: `${this.base}: ${error.message}`},
      };
    }
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (response.ok) return {ok: true, status: response.status, body: data};
    const problem = data && typeof data === "object" ? data : {};
    return {
      ok: false,
      status: response.status,
      problem: {title: problem.title || `HTTP ${response.status}`, detail: problem.detail || "", ...problem},
    };
  }

  get(path) {
    return this.request("GET", path);
  }

  post(path, body) {
    return this.request("POST", path, body);
  }
}
