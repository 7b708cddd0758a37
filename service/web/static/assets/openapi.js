// Reads the service's own OpenAPI document (GET /openapi.json): which inputs each kind of workload takes, their
// types, bounds, choices, defaults and descriptions. The form is built from it, so an input the API adds
// appears in the form, and the page never offers one the API does not take.

import {isObject} from "./patch.js";

const SCALAR_TYPES = new Set(["number", "integer", "string", "boolean"]);

export class OpenApi {
  constructor(document) {
    this.document = document;
  }

  /** A schema with its $ref followed and its allOf parts merged. */
  resolve(schema, depth = 0) {
    if (!isObject(schema) || depth > 32) return {};
    if (typeof schema.$ref === "string") {
      const target = schema.$ref
        .replace(/^#\//, "")
        .split("/")
        .reduce((node, key) => (isObject(node) ? node[key] : undefined), this.document);
      const {$ref, ...rest} = schema;
      return this.resolve({...target, ...rest}, depth + 1);
    }
    if (Array.isArray(schema.allOf)) {
      const {allOf, ...merged} = schema;
      for (const part of allOf) {
        const resolved = this.resolve(part, depth + 1);
        merged.properties = {...(resolved.properties || {}), ...(merged.properties || {})};
        merged.required = [...(resolved.required || []), ...(merged.required || [])];
        for (const [key, value] of Object.entries(resolved)) {
          if (!(key in merged)) merged[key] = value;
        }
      }
      return merged;
    }
    return schema;
  }

  /** The request body schema of POST /v1/estimates/{kind}, or null when the document has no such operation. */
  requestSchema(kind) {
    const operation = this.document.paths?.[`/v1/estimates/${kind}`]?.post;
    const schema = operation?.requestBody?.content?.["application/json"]?.schema;
    return schema ? this.resolve(schema) : null;
  }

  /**
   * The scalar inputs of a kind, in the document's order: Map of dotted path -> {schema, required}.
   * Objects are walked into; lists and free-form maps are left out (the form has no input for them, and a
   * workload from a link keeps them as they are).
   */
  inputs(kind) {
    const found = new Map();
    const walk = (schema, prefix, required) => {
      for (const [name, property] of Object.entries(schema.properties || {})) {
        const resolved = this.resolve(property);
        const path = prefix ? `${prefix}.${name}` : name;
        const isRequired = required && (schema.required || []).includes(name);
        if (resolved.properties) walk(resolved, path, isRequired);
        else if (SCALAR_TYPES.has(resolved.type)) found.set(path, {schema: resolved, required: isRequired});
      }
    };
    const root = this.requestSchema(kind);
    if (root) walk(root, "", true);
    return found;
  }

  /** Whether an operation takes a query parameter with this value (e.g. detail=summary). */
  acceptsQuery(path, method, name, value) {
    const parameters = this.document.paths?.[path]?.[method]?.parameters || [];
    return parameters.some((parameter) => {
      const resolved = this.resolve(parameter);
      if (resolved.in !== "query" || resolved.name !== name) return false;
      const schema = this.resolve(resolved.schema);
      return !Array.isArray(schema.enum) || schema.enum.includes(value);
    });
  }
}

/** What the API does when an input is left out, from the schema's default or its description ("...; default 500."). */
export function documentedDefault(schema) {
  if (schema.default !== undefined) return String(schema.default);
  const match = /\bdefault:?\s+([^;]+?)\.?\s*$/i.exec(schema.description || "");
  if (!match) return null;
  const text = match[1];
  return text.includes("(") && !text.includes(")") ? text.split("(")[0].trim() : text;
}
