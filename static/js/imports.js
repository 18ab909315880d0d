// The Import page: while a large upload is sent and imported, the button says so (and cannot be pressed twice).
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("import-form");
  if (!form) return;
  form.addEventListener("submit", () => {
    const button = form.querySelector("button[type=submit]");
    if (!button) return;
    window.setTimeout(() => { button.disabled = true; button.textContent = button.dataset.busy || "Importing…"; }, 0);
  });
});
