// The top bar's menu: one group open at a time, closed by Escape or a click elsewhere; on a
// narrow screen the 菜单 button shows and hides the whole menu.
const bar = document.querySelector(".topbar");
const nav = bar && bar.querySelector("nav");
const toggle = bar && bar.querySelector(".menu-toggle");
const groups = bar ? [...bar.querySelectorAll("details.menu-group")] : [];

function closeGroups(except) {
  for (const group of groups) if (group !== except) group.open = false;
}

for (const group of groups) {
  group.addEventListener("toggle", () => { if (group.open) closeGroups(group); });
}

function setMenu(open) {
  nav.classList.toggle("open", open);
  toggle.setAttribute("aria-expanded", String(open));
  if (!open) closeGroups(null);
}

if (nav && toggle) {
  toggle.hidden = false;
  bar.classList.add("menu-ready");
  toggle.addEventListener("click", () => setMenu(!nav.classList.contains("open")));
}

document.addEventListener("click", (event) => {
  if (!bar || bar.contains(event.target)) return;
  closeGroups(null);
  if (nav && toggle && nav.classList.contains("open")) setMenu(false);
});

document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  const open = groups.find((group) => group.open);
  if (open) {
    open.open = false;
    open.querySelector("summary").focus();
  } else if (nav && toggle && nav.classList.contains("open")) {
    setMenu(false);
    toggle.focus();
  }
});
