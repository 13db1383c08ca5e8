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

// "Add a column" on the create-table form: a new blank slot in place, without a round trip (the
// button posts the form back one slot longer when script is off). The slot is a copy of the last
// one with its `c<i>.` names renumbered and its values cleared.
for (const button of document.querySelectorAll("button[data-add-column]")) {
  const slots = button.form?.querySelector(".column-slots");
  if (!slots) continue;
  button.addEventListener("click", (event) => {
    const last = slots.querySelector("fieldset.column:last-of-type");
    if (!last) return;
    event.preventDefault();
    const index = slots.querySelectorAll("fieldset.column").length;
    const from = last.dataset.columnPrefix;
    const to = `c${index}.`;
    const slot = last.cloneNode(true);
    slot.dataset.columnPrefix = to;
    const legend = slot.querySelector("legend");
    if (legend) legend.textContent = `Column ${index + 1}`;
    for (const field of slot.querySelectorAll("[name]")) {
      if (from && field.name.startsWith(from)) field.name = to + field.name.slice(from.length);
      if (field.type === "checkbox") field.checked = false;
      else if (field.tagName === "SELECT") field.selectedIndex = 0;
      else field.value = "";
    }
    slots.append(slot);
    slot.querySelector("input")?.focus();
  });
}
