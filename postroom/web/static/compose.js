// Postroom compose page: rich-text editor, draft autosave, attachments by picker and drag
// and drop (with the size limit), address completion, Ctrl+Enter to send.
// The form works without this script (plain text, explicit "Save draft").
"use strict";

(function () {
  var form, editor, textarea, htmlField, formatField, state, fileInput, fileList;
  var dirty = false, saving = null, pendingSubmitter = null, sending = false;
  var AUTOSAVE_MS = 4000;

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function csrf() { return $('input[name=csrf]', form).value; }

  function rich() { return formatField.value === "html"; }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML.replace(/\n/g, "<br>");
  }

  function setRich(on, initial) {
    var toggle = $("#format-toggle");
    if (on && !initial) { editor.innerHTML = escapeHtml(textarea.value); }
    if (!on && !initial && rich()) {
      textarea.value = editor.innerText.replace(/\n{3,}/g, "\n\n");
    }
    formatField.value = on ? "html" : "text";
    editor.hidden = !on;
    $("#editor-bar").hidden = !on;
    textarea.hidden = on;
    toggle.textContent = on ? toggle.dataset.labelPlain : toggle.dataset.labelRich;
  }

  function sync() {
    if (rich()) {
      htmlField.value = editor.innerHTML;
      textarea.value = editor.innerText;
    } else {
      htmlField.value = "";
    }
  }

  function fmtSize(n) {
    if (n < 1024) { return n + " B"; }
    if (n < 1048576) { return (n / 1024).toFixed(1) + " KB"; }
    return (n / 1048576).toFixed(1) + " MB";
  }

  function totalSize() {
    var size = 0;
    $all("li[data-size]", fileList).forEach(function (li) { size += parseInt(li.dataset.size, 10) || 0; });
    Array.prototype.forEach.call(fileInput.files, function (f) { size += f.size; });
    return size;
  }

  function checkSize() {
    var limit = parseInt(form.dataset.limit, 10);
    if (totalSize() > limit) {
      state.textContent = "The attachments add up to " + fmtSize(totalSize()) +
        ", more than the " + fmtSize(limit) + " a message can carry.";
      fileInput.value = "";
      return false;
    }
    return true;
  }

  function showAttachments(list) {
    $all("li", fileList).forEach(function (li) { li.remove(); });
    list.forEach(function (a) {
      var li = document.createElement("li");
      li.dataset.size = a.size;
      var keep = document.createElement("input");
      keep.type = "hidden"; keep.name = "keep"; keep.value = a.ref;
      var name = document.createElement("span");
      name.textContent = a.name + " ";
      var meta = document.createElement("span");
      meta.className = "att-meta"; meta.textContent = fmtSize(a.size);
      var remove = document.createElement("button");
      remove.type = "button"; remove.className = "icon-button remove-attachment";
      remove.setAttribute("aria-label", "Remove " + a.name); remove.textContent = "×";
      li.append(keep, name, meta, remove);
      fileList.appendChild(li);
    });
  }

  function save() {
    if (saving || sending) { return saving; }
    sync();
    dirty = false;
    var body = new FormData(form);
    state.textContent = "Saving…";
    saving = fetch("/mail/compose/save", { method: "POST", body: body, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf() } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (!data.ok) { state.textContent = data.message || "The draft could not be saved."; return; }
        $('input[name=draft]', form).value = data.draft;
        // A reload (or a crash) reopens this draft, not an empty form.
        window.history.replaceState(null, "", "/mail/compose?draft=" + data.draft);
        fileInput.value = "";
        showAttachments(data.attachments || []);
        var when = new Date(data.saved);
        state.textContent = "Draft saved at " + when.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
        form.dataset.saved = String(data.draft);
      })
      .catch(function () { state.textContent = "The draft could not be saved. Check your connection."; dirty = true; })
      .then(function () {
        saving = null;
        if (pendingSubmitter) { var s = pendingSubmitter; pendingSubmitter = null; form.requestSubmit(s); }
      });
    return saving;
  }

  function changed() { dirty = true; }

  // --- address completion ---------------------------------------------------------
  function setupCompletion(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var items = [], active = -1, timer = null;

    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); active = -1; }
    function token() { var parts = input.value.split(","); return parts[parts.length - 1].trim(); }
    function choose(i) {
      var parts = input.value.split(",");
      parts[parts.length - 1] = (parts.length > 1 ? " " : "") + items[i].value;
      input.value = parts.join(",") + ", ";
      close();
      changed();
      input.focus();
    }
    function render() {
      list.innerHTML = "";
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", i === active ? "true" : "false");
        var name = document.createElement("span");
        name.textContent = item.name || item.address;
        li.appendChild(name);
        if (item.name) {
          var addr = document.createElement("span");
          addr.className = "addr"; addr.textContent = item.address;
          li.appendChild(addr);
        }
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = !items.length;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
      if (active >= 0) { input.setAttribute("aria-activedescendant", list.id + "-" + active); }
      else { input.removeAttribute("aria-activedescendant"); }
    }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      var q = token();
      if (!q) { close(); return; }
      timer = window.setTimeout(function () {
        fetch("/mail/addresses?q=" + encodeURIComponent(q), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (data) { items = data; active = data.length ? 0 : -1; render(); })
          .catch(close);
      }, 120);
    });
    input.addEventListener("keydown", function (ev) {
      if (list.hidden) { return; }
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        active = (active + (ev.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
        render(); ev.preventDefault();
      } else if ((ev.key === "Enter" || ev.key === "Tab") && active >= 0) {
        choose(active); ev.preventDefault();
      } else if (ev.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 150); });
  }

  function addFiles(files) {
    var dt = new DataTransfer();
    Array.prototype.forEach.call(fileInput.files, function (f) { dt.items.add(f); });
    Array.prototype.forEach.call(files, function (f) { dt.items.add(f); });
    fileInput.files = dt.files;
    if (checkSize()) { changed(); save(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    form = $("#compose-form");
    if (!form) { return; }
    editor = $("#rich-editor");
    textarea = $("#c-body");
    htmlField = $('input[name=body_html]', form);
    formatField = $('input[name=format]', form);
    state = $("#save-state");
    fileInput = $("#c-files");
    fileList = $("#file-list");
    $("#format-switch").hidden = false;
    setRich($("#format-toggle").dataset.rich === "true", true);
    if (rich() && $('input[name=reply_ref]', form).value) {
      // A reply: the caret goes above the quote.
      editor.focus();
      var range = document.createRange();
      range.setStart(editor, 0);
      range.collapse(true);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    $("#format-toggle").addEventListener("click", function () { setRich(!rich()); changed(); });

    $all("#editor-bar [data-command]").forEach(function (button) {
      button.addEventListener("click", function () {
        var command = button.dataset.command, value = button.dataset.value || null;
        if (command === "createLink") {
          value = window.prompt("Link address (https://…)", "https://");
          if (!value || !/^(https?:|mailto:)/i.test(value)) { return; }
        }
        editor.focus();
        document.execCommand(command, false, value);
        changed();
      });
    });

    var ccToggle = $("#cc-toggle button");
    if (ccToggle) {
      ccToggle.addEventListener("click", function () {
        $("#cc-rows").classList.remove("collapsed");
        $("#cc-toggle").hidden = true;
        $("#c-cc").focus();
      });
    }

    $all("[data-complete]", form).forEach(setupCompletion);
    form.addEventListener("input", changed);
    editor.addEventListener("input", changed);
    fileInput.addEventListener("change", function () { if (checkSize()) { changed(); save(); } });
    fileList.addEventListener("click", function (ev) {
      var button = ev.target.closest(".remove-attachment");
      if (!button) { return; }
      button.closest("li").remove();
      changed(); save();
    });

    var zone = $("#drop-zone");
    ["dragenter", "dragover"].forEach(function (name) {
      form.addEventListener(name, function (ev) {
        if (ev.dataTransfer && Array.prototype.indexOf.call(ev.dataTransfer.types, "Files") >= 0) {
          ev.preventDefault(); zone.classList.add("over");
        }
      });
    });
    form.addEventListener("dragleave", function (ev) {
      if (!form.contains(ev.relatedTarget)) { zone.classList.remove("over"); }
    });
    form.addEventListener("drop", function (ev) {
      if (!ev.dataTransfer || !ev.dataTransfer.files.length) { return; }
      ev.preventDefault(); zone.classList.remove("over");
      addFiles(ev.dataTransfer.files);
    });

    form.addEventListener("submit", function (ev) {
      sync();
      if (saving) { ev.preventDefault(); pendingSubmitter = ev.submitter || null; return; }
      sending = true;
    });
    form.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault(); form.requestSubmit($("#send-button"));
      }
    });
    window.setInterval(function () { if (dirty && !sending) { save(); } }, AUTOSAVE_MS);
  });
})();
