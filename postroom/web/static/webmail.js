// Postroom web mail: behaviour added to server-rendered pages (they work without it).
// Live updates (server-sent events), keyboard shortcuts, row selection, drag to folder,
// local times, the phone menu and the help dialog. No inline script anywhere: the CSP
// allows only files from this origin.
"use strict";

(function () {
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var CSRF = csrfMeta ? csrfMeta.getAttribute("content") : "";

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // --- local times -----------------------------------------------------------------
  function localiseTimes(root) {
    var now = new Date();
    $all("time[datetime]", root).forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when)) { return; }
      var text;
      if (el.dataset.format === "long") {
        text = when.toLocaleString(undefined, { weekday: "short", year: "numeric", month: "short",
          day: "numeric", hour: "2-digit", minute: "2-digit" });
      } else if (when.toDateString() === now.toDateString()) {
        text = when.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
      } else if (when.getFullYear() === now.getFullYear()) {
        text = when.toLocaleDateString(undefined, { day: "numeric", month: "short" });
      } else {
        text = when.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
      }
      el.textContent = text;
      el.title = when.toLocaleString();
    });
  }

  // --- sidebar (phone) and help ------------------------------------------------------
  function setupChrome() {
    var toggle = $(".menu-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        var open = document.body.classList.toggle("sidebar-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    var help = $("#help-dialog");
    var button = $("#help-button");
    if (help && button) {
      button.addEventListener("click", function () { help.showModal(); });
    }
    document.addEventListener("submit", function (ev) {
      var question = ev.target.dataset && ev.target.dataset.confirm;
      if (question && !window.confirm(question)) { ev.preventDefault(); }
    });
    $all(".more-menu").forEach(function (menu) {
      document.addEventListener("click", function (ev) {
        if (!menu.contains(ev.target)) { menu.removeAttribute("open"); }
      });
    });
  }

  // --- the message list --------------------------------------------------------------
  var cursor = -1;

  function rows() { return $all("#message-list .message-row"); }

  function markSelected() {
    rows().forEach(function (row) {
      var box = $("input[name=msg]", row);
      row.classList.toggle("selected", !!(box && box.checked));
    });
  }

  function setupList() {
    var list = $("#message-list");
    if (!list) { return; }
    list.addEventListener("click", function (ev) {
      var target = ev.target;
      if (target.id === "select-all") {
        rows().forEach(function (row) { $("input[name=msg]", row).checked = target.checked; });
        markSelected();
        return;
      }
      if (target.closest("input, button, a, label, select")) {
        if (target.matches("input[name=msg]")) { markSelected(); }
        return;
      }
      var row = target.closest(".message-row");
      if (row) { window.location.href = row.dataset.href; }
    });
    list.addEventListener("dragstart", function (ev) {
      var row = ev.target.closest && ev.target.closest(".message-row");
      if (!row) { return; }
      var box = $("input[name=msg]", row);
      if (!box.checked) {
        rows().forEach(function (r) { $("input[name=msg]", r).checked = false; });
        box.checked = true;
        markSelected();
      }
      var refs = selectedRefs();
      ev.dataTransfer.setData("application/x-postroom-messages", refs.join(","));
      ev.dataTransfer.setData("text/plain", refs.join(","));
      ev.dataTransfer.effectAllowed = "move";
      row.classList.add("dragging");
    });
    list.addEventListener("dragend", function () {
      rows().forEach(function (r) { r.classList.remove("dragging"); });
    });
  }

  function selectedRefs() {
    return $all("#message-list input[name=msg]:checked").map(function (b) { return b.value; });
  }

  function setupDropTargets() {
    var folderList = $("#folder-list");
    if (!folderList) { return; }
    folderList.addEventListener("dragover", function (ev) {
      var link = ev.target.closest && ev.target.closest("[data-drop-folder]");
      if (!link) { return; }
      ev.preventDefault();
      ev.dataTransfer.dropEffect = "move";
      link.classList.add("drop-target");
    });
    folderList.addEventListener("dragleave", function (ev) {
      var link = ev.target.closest && ev.target.closest("[data-drop-folder]");
      if (link) { link.classList.remove("drop-target"); }
    });
    folderList.addEventListener("drop", function (ev) {
      var link = ev.target.closest && ev.target.closest("[data-drop-folder]");
      if (!link) { return; }
      ev.preventDefault();
      link.classList.remove("drop-target");
      var refs = (ev.dataTransfer.getData("application/x-postroom-messages") || "").split(",")
        .filter(Boolean);
      if (!refs.length) { return; }
      act("move", refs, link.dataset.dropFolder);
    });
  }

  function act(action, refs, dest) {
    var body = new FormData();
    body.append("csrf", CSRF);
    body.append("action", action);
    if (dest) { body.append("dest", dest); }
    refs.forEach(function (r) { body.append("msg", r); });
    return fetch("/mail/messages", { method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": CSRF } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        announce(data.message || "");
        refreshList();
        refreshSidebar();
      });
  }

  // --- live updates ------------------------------------------------------------------
  var refreshing = null;

  function refreshList() {
    var list = $("#message-list");
    if (!list || !list.dataset.rowsUrl) { return Promise.resolve(); }
    var checked = selectedRefs();
    return fetch(list.dataset.rowsUrl, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) {
        list.innerHTML = html;
        $all("input[name=msg]", list).forEach(function (b) {
          if (checked.indexOf(b.value) >= 0) { b.checked = true; }
        });
        markSelected();
        localiseTimes(list);
        if (cursor >= 0) { moveCursor(0); }
      })
      .catch(function () { /* the next event or a reload will catch up */ });
  }

  function refreshSidebar() {
    var box = $("#folder-list");
    if (!box) { return Promise.resolve(); }
    var url = "/mail/sidebar?current=" + encodeURIComponent(box.dataset.current || "");
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) { box.innerHTML = html; updateTitle(); })
      .catch(function () {});
  }

  function updateTitle() {
    var inbox = $("#folder-list .folder a .count");
    var base = document.title.replace(/^\(\d+\) /, "");
    document.title = inbox ? "(" + parseInt(inbox.textContent, 10) + ") " + base : base;
  }

  function announce(text) {
    var live = $("#live-region");
    if (live && text) { live.textContent = ""; window.setTimeout(function () { live.textContent = text; }, 50); }
  }

  function scheduleRefresh(folderId) {
    if (refreshing) { window.clearTimeout(refreshing); }
    refreshing = window.setTimeout(function () {
      refreshing = null;
      refreshSidebar();
      var current = document.body.dataset.folder;
      if (folderId === null || String(folderId) === current) { refreshList(); }
    }, 150);
  }

  function setupEvents() {
    if (!window.EventSource || !$("#folder-list")) { return; }
    var source = new EventSource("/mail/events");
    source.addEventListener("added", function (ev) {
      var data = JSON.parse(ev.data);
      scheduleRefresh(data.folder);
      var link = $('#folder-list [data-folder-id="' + data.folder + '"]');
      if (link && link.closest(".folder") === $("#folder-list .folder")) {
        announce(data.count === 1 ? "New message" : data.count + " new messages");
      }
    });
    ["removed", "flags"].forEach(function (name) {
      source.addEventListener(name, function (ev) { scheduleRefresh(JSON.parse(ev.data).folder); });
    });
    source.addEventListener("folders", function () { scheduleRefresh(null); });
    source.addEventListener("resync", function () { scheduleRefresh(null); });
    source.addEventListener("signedout", function () { source.close(); window.location.reload(); });
    document.body.dataset.live = "on";
  }

  // --- keyboard shortcuts -------------------------------------------------------------
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function moveCursor(step) {
    var all = rows();
    if (!all.length) { return; }
    all.forEach(function (r) { r.classList.remove("cursor"); });
    cursor = Math.max(0, Math.min(all.length - 1, cursor + step));
    var row = all[cursor];
    row.classList.add("cursor");
    var link = $(".col-subject a", row);
    if (link) { link.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: "nearest" });
  }

  function clickShortcut(key) {
    var el = document.querySelector('[data-shortcut="' + key + '"]');
    if (!el) { return false; }
    if (el.tagName === "BUTTON" && el.form && el.form.id === "list-form" && !selectedRefs().length) {
      var row = rows()[cursor];
      if (!row) { return true; }
      $("input[name=msg]", row).checked = true;
    }
    el.click();
    return true;
  }

  var pendingG = false;

  function setupKeys() {
    document.addEventListener("keydown", function (ev) {
      if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(ev.target)) { return; }
      var key = ev.key;
      var help = $("#help-dialog");
      if (help && help.open) { return; }
      if (pendingG) {
        pendingG = false;
        if (key === "i") {
          var inbox = $("#folder-list .folder a");
          if (inbox) { window.location.href = inbox.getAttribute("href"); }
          ev.preventDefault();
          return;
        }
      }
      var handled = true;
      if (key === "?") { if (help) { help.showModal(); } }
      else if (key === "/") { var q = $("#quick-q"); if (q) { q.focus(); q.select(); } }
      else if (key === "g") { pendingG = true; }
      else if ((key === "j" || key === "k") && rows().length) { moveCursor(key === "j" ? 1 : -1); }
      else if ((key === "o" || key === "Enter") && rows().length && cursor >= 0) {
        window.location.href = rows()[cursor].dataset.href;
      }
      else if (key === "x" && rows().length && cursor >= 0) {
        var box = $("input[name=msg]", rows()[cursor]);
        box.checked = !box.checked;
        markSelected();
      }
      else if (key === "s" && rows().length && cursor >= 0) {
        var star = $(".star", rows()[cursor]);
        if (star) { star.click(); }
      }
      else if (key === "Delete") { handled = clickShortcut("#"); }
      else { handled = clickShortcut(key); }
      if (handled) { ev.preventDefault(); }
    });
  }

  function setupAutoMove() {
    document.addEventListener("change", function (ev) {
      var select = ev.target;
      if (!select.matches || !select.matches("select[data-auto-move]") || !select.value) { return; }
      var form = select.form;
      if (form.id === "list-form" && !selectedRefs().length) {
        announce("Select one or more messages first.");
        select.value = "";
        return;
      }
      var button = form.querySelector('button[name=action][value=move]');
      form.requestSubmit(button);
    });
  }

  document.documentElement.classList.add("js");

  document.addEventListener("DOMContentLoaded", function () {
    setupAutoMove();
    localiseTimes(document);
    setupChrome();
    setupList();
    setupDropTargets();
    setupKeys();
    setupEvents();
    updateTitle();
  });
})();
