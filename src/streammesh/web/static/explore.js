// Explore: facet checkboxes apply at once (the form still works without scripts).
const form = document.getElementById("search");
form?.querySelectorAll(".facets input[type=checkbox]").forEach((box) => {
  box.addEventListener("change", () => form.requestSubmit());
});
