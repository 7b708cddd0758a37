// DOM helpers. Elements are built with createElement and textContent, never from HTML strings: answers hold
// text from the service (sources, messages) that must stay text, and the pages' Content-Security-Policy
// refuses style attributes written in markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function build(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** An HTML element: h("p", {class: "hint"}, "text", h("b", {}, "bold")). */
export function h(tag, attributes, ...children) {
  return build(document.createElement(tag), attributes, children);
}

/** An SVG element. */
export function s(tag, attributes, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attributes, children);
}

/** Text with its http(s) addresses as links (sources cite papers and datasets by URL). */
export function linkified(text) {
  const parts = [];
  const pattern = /https?:\/\/[^\s,;)]+[^\s,;.)]/g;
  let last = 0;
  for (const match of String(text).matchAll(pattern)) {
    parts.push(text.slice(last, match.index));
    parts.push(h("a", {href: match[0], rel: "noopener noreferrer", target: "_blank"}, match[0]));
    last = match.index + match[0].length;
  }
  parts.push(String(text).slice(last));
  return parts;
}

/** Replaces an element's children (null, undefined and false are left out, as in h()). */
export function fill(element, ...children) {
  element.replaceChildren();
  return build(element, {}, children);
}
