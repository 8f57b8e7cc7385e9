// A small element builder. It sets text with textContent and never parses HTML, so data from
// Jira cannot inject markup.

const svgNamespace = 'http://www.w3.org/2000/svg';

/**
 * Creates an HTML element.
 * @param {string} tag
 * @param {Record<string, any>} [attributes] attributes; `class` and `text` are shortcuts, `on*` functions become listeners
 * @param {...(Node|string|null|undefined|false|Array)} children
 */
export function h(tag, attributes = {}, ...children) {
  return build(document.createElement(tag), attributes, children);
}

/** Creates an SVG element, with the same arguments as h. */
export function svg(tag, attributes = {}, ...children) {
  return build(document.createElementNS(svgNamespace, tag), attributes, children);
}

function build(element, attributes, children) {
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name === 'text') {
      element.textContent = String(value);
    } else if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    if (Array.isArray(child)) {
      append(element, child);
    } else if (typeof child === 'string' || typeof child === 'number') {
      element.append(document.createTextNode(String(child)));
    } else {
      element.append(child);
    }
  }
}
