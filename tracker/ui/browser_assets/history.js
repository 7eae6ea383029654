// The Back button goes back to the previous page. Streamlit adds a browser-history entry for a page
// and another when the page's first run writes its filters into the address (?ke_hoach=…): the first
// Back then lands on the same page without its filters, the page writes them again, and nothing seems
// to happen. Here an address change on the same page, made during the same run that opened the page,
// replaces the page's entry instead of adding one. A later change (a link to ?id=5, a filter changed
// by the person) still adds an entry, so Back undoes it.

const state = window.__trackerHistory || (window.__trackerHistory = { runs: 0, pathRun: -1 });

function watchRuns() {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app) return;
  let last = app.getAttribute("data-test-script-state");
  new MutationObserver(() => {
    const now = app.getAttribute("data-test-script-state");
    if (last !== "notRunning" && now === "notRunning") state.runs += 1; // a run has finished
    last = now;
  }).observe(app, { attributes: true, attributeFilter: ["data-test-script-state"] });
}

function install() {
  const push = window.history.pushState.bind(window.history);
  window.history.pushState = function (data, title, url) {
    const next = new URL(url, window.location.href);
    if (next.pathname !== window.location.pathname) {
      state.pathRun = state.runs; // a new page, opened in the run now going on
      return push(data, title, url);
    }
    if (state.pathRun === state.runs) return window.history.replaceState(data, title, url);
    return push(data, title, url);
  };
  watchRuns();
  state.installed = true;
}

export default function ({ parentElement }) {
  const root = parentElement && parentElement.getRootNode();
  const holder = (root && root.host ? root.host : parentElement)?.closest("[data-testid='stElementContainer']");
  if (holder) holder.style.display = "none"; // shows nothing: takes no row's space
  if (!state.installed) install();
}
