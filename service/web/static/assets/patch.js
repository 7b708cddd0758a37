// Paths into JSON documents ("hardware.count") and JSON merge patches (RFC 7386), as recommendations give them.

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

/** The value at a dotted path, or undefined when any part is absent. */
export function getPath(document, path) {
  let value = document;
  for (const key of path.split(".")) {
    if (!isObject(value) || !(key in value)) return undefined;
    value = value[key];
  }
  return value;
}

/** A copy of ``document`` with ``value`` at ``path`` (undefined removes it; emptied objects are removed too). */
export function setPath(document, path, value) {
  const keys = path.split(".");
  const copy = structuredClone(isObject(document) ? document : {});
  const parents = [copy];
  let node = copy;
  for (const key of keys.slice(0, -1)) {
    if (!isObject(node[key])) {
      if (value === undefined) return copy;
      node[key] = {};
    }
    node = node[key];
    parents.push(node);
  }
  const last = keys[keys.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
  for (let i = keys.length - 1; i > 0; i -= 1) {
    if (Object.keys(parents[i]).length === 0) delete parents[i - 1][keys[i - 1]];
  }
  return copy;
}

/** RFC 7386: apply ``patch`` to ``target``; null removes a member. Neither argument is changed. */
export function mergePatch(target, patch) {
  if (!isObject(patch)) return structuredClone(patch);
  const result = isObject(target) ? structuredClone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

export { isObject };
