// A QR Code's detail page: its menus close with Escape (focus back on their button) or a
// click elsewhere; Print prints the code alone, at the size chosen (see detail.css).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const menus = [...document.querySelectorAll("details.dropdown")];
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    menus.filter((menu) => menu.open).forEach((menu) => {
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", (event) => {
    menus.forEach((menu) => { if (menu.open && !menu.contains(event.target)) menu.open = false; });
  });
  const print = document.getElementById("print-button");
  if (print) {
    print.hidden = false;  // printing from the page needs its script; the browser's own Print does not
    print.addEventListener("click", () => window.print());
  }
});
