// The dashboard's only script: progressive enhancement. Every form works without it; this adds
// copy buttons and a typed-confirmation guard. No inline handlers, no innerHTML: text only.
for (const button of document.querySelectorAll("button[data-copy]")) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = "Copied";
    } catch {
      button.textContent = "Copy failed: select the text";
    }
  });
}

// Buttons that need the typed name stay disabled until it matches.
for (const input of document.querySelectorAll("input[data-must-equal]")) {
  const submit = input.form?.querySelector("button[type=submit]");
  if (!submit) continue;
  const check = () => {
    submit.disabled = input.value !== input.dataset.mustEqual;
  };
  input.addEventListener("input", check);
  check();
}
