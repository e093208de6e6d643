// The return form's list of fields a comment may name (templates/review/_thread.html).
// A household of twenty people has hundreds: each person's group is folded with its size,
// the filter box finds a field by its name or its person's name in every group (opening
// the groups that have one), and each group says how many of its fields are ticked, so a
// folded group does not hide a ticked field. Without the script the groups fold and open
// as they are, and the filter box stays hidden.

const box = document.getElementById("review-fields");
if (box) start(box);

function fold(text) {
  return text.normalize("NFKC").replace(/\s+/g, "").toLowerCase();
}

function fill(template, n) {
  return (template || "").replace("{n}", String(n));
}

function start(box) {
  const filterRow = box.querySelector(".field-filter");
  const filter = box.querySelector("#review-fields-filter");
  const found = box.querySelector(".filter-count");
  const groups = [...box.querySelectorAll("details.field-group")];
  let before = null; // which groups were open when a search began

  function counts() {
    let total = 0;
    for (const group of groups) {
      const n = group.querySelectorAll("input[type=checkbox]:checked").length;
      total += n;
      group.querySelector("summary .ticked-count").textContent = n ? fill(box.dataset.ticked, n) : "";
    }
    box.querySelector(":scope > summary .ticked-count").textContent = total ? fill(box.dataset.ticked, total) : "";
  }

  function search() {
    const wanted = fold(filter.value);
    if (!wanted) {
      for (const label of box.querySelectorAll(".choices label")) label.hidden = false;
      groups.forEach((group, n) => {
        group.hidden = false;
        if (before) group.open = before[n];
      });
      before = null;
      found.textContent = "";
      return;
    }
    if (!before) before = groups.map((group) => group.open);
    let shown = 0;
    for (const group of groups) {
      const title = fold(group.querySelector(".group-title").textContent);
      let here = 0;
      for (const label of group.querySelectorAll(".choices label")) {
        const hit = title.includes(wanted) || fold(label.textContent).includes(wanted);
        label.hidden = !hit;
        if (hit) here += 1;
      }
      group.hidden = here === 0;
      group.open = here > 0;
      shown += here;
    }
    found.textContent = shown ? fill(box.dataset.found, shown) : box.dataset.none || "";
  }

  filterRow.hidden = false;
  filter.addEventListener("input", search);
  // Enter in the box searches; it never sends the form (whose first button approves).
  filter.addEventListener("keydown", (event) => {
    if (event.key === "Enter") event.preventDefault();
  });
  box.addEventListener("change", (event) => {
    if (event.target.matches("input[type=checkbox]")) counts();
  });
  counts();
}
