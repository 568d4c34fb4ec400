// The print view prints itself once it has loaded (no inline script: strict CSP).
"use strict";
window.addEventListener("load", function () { window.print(); });
