// Closes the English "Page not found" box that Streamlit's legacy pages/-folder navigation shows on a
// fresh process's first run, once app.py's own navigation has opened the page the address names
// (tracker/ui/first_run.py decides when to mount this). The box may still be arriving: look for it
// for a few seconds, then stop. Its title may already be in Vietnamese (tracker/ui/vietnamese.py).
const TITLES = ["Page not found", "Không tìm thấy trang"];

function closeBox() {
  for (const dialog of document.querySelectorAll('[role="dialog"]')) {
    if (!TITLES.some((title) => dialog.textContent.includes(title))) continue;
    const button = dialog.querySelector("button");
    if (button) {
      button.click();
      return true;
    }
  }
  return false;
}

export default function () {
  if (closeBox()) return;
  const deadline = Date.now() + 5000;
  const timer = setInterval(() => {
    if (closeBox() || Date.now() > deadline) clearInterval(timer);
  }, 50);
}
