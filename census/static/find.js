// The search box of the surveyor's home: the building tiles narrow as it is typed in, by
// building or grid name (full-width digits and letters count as the half-width ones, spaces
// are ignored, "3" finds 3栋 and 13栋), grids left with no tile are hidden.

const box = document.getElementById("building-search");
const fold = (text) => (text || "").normalize("NFKC").toLowerCase().replace(/\s+/g, "");

function narrow() {
  const wanted = fold(box.value);
  let shown = 0;
  for (const group of document.querySelectorAll(".grid-group")) {
    let here = 0;
    for (const tile of group.querySelectorAll("li[data-search]")) {
      const hit = !wanted || fold(tile.dataset.search).includes(wanted);
      tile.hidden = !hit;
      if (hit) here += 1;
    }
    group.hidden = here === 0;
    shown += here;
  }
  const none = document.getElementById("search-none");
  if (none) none.hidden = shown > 0;
}

if (box) {
  box.addEventListener("input", narrow);
  if (box.value) narrow(); // the browser kept what was typed (back from a building)
}
