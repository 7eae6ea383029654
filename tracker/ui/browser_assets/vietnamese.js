// Streamlit's own interface texts (file uploader, form hints, empty lists, table and chart toolbars,
// the calendar) are English and cannot be set from Python. This module, mounted once per run,
// puts a MutationObserver on the document that replaces those exact texts, and the same texts in
// tooltips and labels (title, aria-label, placeholder, data-title), with the Vietnamese given in
// `data` (tracker/ui/vietnamese.py). Only whole texts from that list are replaced: user text that
// merely contains an English word is never touched.

const ATTRIBUTES = ["title", "aria-label", "placeholder", "data-title"];
const state = window.__trackerVietnamese || (window.__trackerVietnamese = { strings: {}, patterns: [] });

function translate(text) {
  if (!text) return null;
  const key = text.trim();
  if (!key) return null;
  const exact = state.strings[key];
  if (exact !== undefined) return text.replace(key, exact);
  let value = key; // patterns apply one after another: "day, Hạn start date" -> "ngày, Hạn (từ ngày)"
  for (const [regex, replacement] of state.patterns) {
    if (regex.test(value)) value = value.replace(regex, replacement).replace(/\s*·\s*$/, "");
  }
  return value === key ? null : text.replace(key, value);
}

function fixText(node) {
  const value = translate(node.nodeValue);
  if (value !== null && value !== node.nodeValue) node.nodeValue = value;
}

function fixAttributes(element) {
  for (const name of ATTRIBUTES) {
    const current = element.getAttribute(name);
    const value = translate(current);
    if (value !== null && value !== current) element.setAttribute(name, value);
  }
}

function fixTree(root) {
  if (root.nodeType === Node.TEXT_NODE) return fixText(root);
  if (root.nodeType !== Node.ELEMENT_NODE) return;
  fixAttributes(root);
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.nodeType === Node.TEXT_NODE) fixText(node);
    else fixAttributes(node);
  }
}

function install() {
  const observer = new MutationObserver((mutations) => {
    for (const m of mutations) {
      if (m.type === "characterData") fixText(m.target);
      else if (m.type === "attributes") fixAttributes(m.target);
      else for (const node of m.addedNodes) fixTree(node);
    }
  });
  observer.observe(document.documentElement, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRIBUTES,
  });
  state.installed = true;
}

// The mount point shows nothing: keep it from taking a row's space.
function hideHolder(parentElement) {
  const root = parentElement && parentElement.getRootNode();
  const mount = root && root.host ? root.host : parentElement;
  const holder = mount && mount.closest("[data-testid='stElementContainer']");
  if (holder) holder.style.display = "none";
}

export default function (component) {
  const { data, parentElement } = component;
  if (!data) return;
  state.strings = data.strings || {};
  state.patterns = (data.patterns || []).map(([source, replacement]) => [new RegExp(source), replacement]);
  hideHolder(parentElement);
  if (!state.installed) install();
  fixTree(document.body);
}
