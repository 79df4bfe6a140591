// The shell of record.html: asks for the key card's secret (typed, scanned, or from the #k= fragment),
// hands it to the decryptor (the script before this one, which sets
// satchelDecryptor) and shows the opened record in a frame that cannot run
// scripts. Nothing is
// stored and nothing is fetched: the page's CSP forbids every request.
(() => {
  "use strict";

  const $ = (id) => document.getElementById(id);
  const root = document.documentElement;

  // The page's words in each language it offers (satchel-labels, by
  // generator/viewer from generator/i18n), and the one shown. A failure
  // the decryptor or the page can report is shown by its code, as the
  // label shell_error_<code>; none of them repeats what was typed or
  // anything from the record.
  // The labels' element comes before this script, so it is there now.
  const labelsElement = document.getElementById("satchel-labels");
  const labels = labelsElement ? JSON.parse(labelsElement.textContent) : { en: {} };
  let lang = labels[root.lang] ? root.lang : "en";

  function L(key) {
    return (labels[lang] && labels[lang][key]) || labels.en[key] || "";
  }

  function errorKey(code) {
    return "shell_error_" + code.replace(/-/g, "_");
  }

  // fill writes the label template into el: text, with {0}, {1}... the
  // nodes given (or el's own children marked data-arg="0", "1"...).
  function fill(el, template, nodes) {
    const args = nodes || {};
    if (!nodes) for (const a of el.querySelectorAll(":scope > [data-arg]")) args[a.dataset.arg] = a;
    const parts = template.split(/\{(\d)\}/);
    const out = [];
    parts.forEach((part, i) => {
      if (i % 2 === 0) {
        if (part) out.push(part);
      } else if (args[part] !== undefined) {
        out.push(args[part]);
      }
    });
    el.replaceChildren(...out);
  }

  // Friendly names for the bundle's files in the Download menu.
  const fileLabels = {
    "document.html": "shell_file_document",
    "record.json": "shell_file_fhir",
    "practice-key.asc": "shell_file_key",
    "bundle.json": "shell_file_bundle",
  };

  const fileTypes = {
    html: "text/html;charset=utf-8",
    json: "application/fhir+json",
    asc: "application/pgp-keys",
  };

  // Everything the page holds while a record is open, dropped by lock().
  const state = {
    ready: false,
    busy: false,
    files: null,
    frame: null,
    urls: [],
    scanning: null,
  };

  class Failure extends Error {
    constructor(code) {
      super(code);
      this.code = code;
    }
  }

  // say shows the label key as the page's status ("" for none), and
  // remembers it, to say again in another language.
  function say(key, kind) {
    state.said = [key, kind];
    const status = $("status");
    status.textContent = key ? L(key) : "";
    status.className = kind === "error" ? "status error" : "status";
  }

  function fail(code) {
    if (!labels.en[errorKey(code)]) code = "internal";
    root.dataset.state = "error";
    root.dataset.error = code;
    say(errorKey(code), "error");
    const keyProblem = code === "empty" || code === "length" || code === "typo" || code === "chars" || code === "wrong-key";
    $("key").setAttribute("aria-invalid", keyProblem ? "true" : "false");
  }

  function setReady(ready) {
    $("key").disabled = !ready;
    $("open").disabled = !ready;
  }

  function pause() {
    return new Promise((resolve) => setTimeout(resolve, 0));
  }

  async function unlock(typed) {
    if (state.busy || state.files) return;
    if (!typed || !typed.trim()) {
      fail("empty");
      $("key").focus();
      return;
    }
    state.busy = true;
    setReady(false);
    root.dataset.state = "opening";
    delete root.dataset.error;
    say("shell_opening");
    try {
      await pause();
      const api = globalThis.satchelDecryptor;
      const checked = api.checkKey(typed);
      if (checked.error) throw new Failure(checked.error);
      const message = new TextEncoder().encode($("satchel-message").textContent);
      const keyEl = $("satchel-practice-key");
      const practiceKey = keyEl ? new TextEncoder().encode(keyEl.textContent) : null;
      const result = await api.open(message, typed, practiceKey);
      performance.mark("satchel-decrypted");
      if (result.error) throw new Failure(result.error);
      await showRecord(result);
    } catch (e) {
      fail(e instanceof Failure ? e.code : "internal");
      $("key").focus();
    } finally {
      state.busy = false;
      if (!state.files) setReady(true);
    }
  }

  function formatFingerprint(fp) {
    return fp.replace(/(.{4})/g, "$1 ").trim();
  }

  function formatDate(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return "";
    return d.toLocaleDateString(lang === "en" ? "en-GB" : lang, { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  }

  // infoFields are the bundle.json fields the page shows.
  const infoFields = ["practice", "ods_code", "approved_by", "approver_role", "approved", "exported", "current_until"];

  // plainText returns s as one short line of plain text: control
  // characters and bidirectional overrides, which could reorder or hide
  // what the reader sees, are removed.
  function plainText(s) {
    return String(s).replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "").slice(0, 200);
  }

  // readInfo returns the bundle's signed bundle.json (practice, approval,
  // dates), or null for a bundle made before it existed. Only the fields
  // the page shows are kept, each as plain text.
  function readInfo(files) {
    const f = files.find((x) => x.name === "bundle.json");
    if (!f) return null;
    let raw;
    try {
      raw = JSON.parse(new TextDecoder().decode(f.data));
    } catch (e) {
      return null;
    }
    if (!raw || typeof raw !== "object") return null;
    const info = {};
    for (const k of infoFields) {
      if (typeof raw[k] === "string") info[k] = plainText(raw[k]);
    }
    return info;
  }

  function line(parts) {
    const p = document.createElement("p");
    p.append(...parts);
    return p;
  }

  function strong(text) {
    const b = document.createElement("strong");
    b.textContent = text;
    return b;
  }

  // fingerprintElement shows the whole fingerprint in groups of four with
  // its last 16 characters marked: that short form is what the key card
  // prints under "Signed by".
  function fingerprintElement(fp) {
    const span = document.createElement("span");
    span.className = "fp";
    const grouped = formatFingerprint(fp);
    const cut = Math.max(0, grouped.length - 19);
    span.append(grouped.slice(0, cut));
    const b = document.createElement("b");
    b.textContent = grouped.slice(cut);
    span.append(b);
    return span;
  }

  // showProvenance says who signed the record, with which key, who
  // approved it and how old it is. Only records whose signature checked
  // good get here.
  function showProvenance(result, info) {
    state.provenance = [result, info];
    const box = $("signature");
    const who = info && info.practice ? info.practice + (info.ods_code ? " (" + info.ods_code + ")" : "") : L("shell_the_practice");
    // One line, so the record starts on a phone's first screen; it opens
    // to the key's fingerprint, the approver and the dates.
    const head = document.createElement("summary");
    const name = strong(info && info.practice ? info.practice : who);
    if (result.signedAt) fill(head, L("shell_signed_head"), { 0: name, 1: formatDate(result.signedAt) });
    else fill(head, L("shell_signed_head_undated"), { 0: name });
    const signed = document.createElement("p");
    if (result.signedAt) {
      fill(signed, L("shell_signed_on"), { 0: strong(who), 1: formatDate(result.signedAt), 2: fingerprintElement(result.fingerprint) });
    } else {
      fill(signed, L("shell_signed"), { 0: strong(who), 1: fingerprintElement(result.fingerprint) });
    }
    const open = box.open;
    box.replaceChildren(head, signed, line([L("shell_check_card")]));
    // Switching language redraws the lines: an open panel stays open.
    box.open = open;
    if (info) {
      const role = info.approver_role ? " (" + info.approver_role + ")" : "";
      if (info.approved_by) {
        const p = document.createElement("p");
        const by = strong(info.approved_by + role);
        if (info.approved) fill(p, L("shell_approved_on"), { 0: by, 1: formatDate(info.approved) });
        else fill(p, L("shell_approved"), { 0: by });
        box.append(p);
      }
      if (info.exported) {
        const p = document.createElement("p");
        if (info.current_until) fill(p, L("shell_exported_until"), { 0: formatDate(info.exported), 1: formatDate(info.current_until) });
        else fill(p, L("shell_exported"), { 0: formatDate(info.exported) });
        box.append(p);
      }
    }
    box.hidden = false;
  }

  // showCurrency shows the out-of-date banner when the browser's clock is
  // past until (an RFC 3339 time), and hides it otherwise. The record
  // stays readable either way: an old record still helps in an emergency.
  function showCurrency(until) {
    state.until = until;
    const banner = $("stale");
    const t = until ? Date.parse(until) : NaN;
    if (isNaN(t) || Date.now() <= t) {
      banner.hidden = true;
      banner.textContent = "";
      delete root.dataset.stale;
      return;
    }
    const from = document.querySelector(".bar .from");
    const practice = from && from.textContent ? from.textContent : L("shell_the_practice");
    fill(banner, L("shell_stale"), { 0: formatDate(until), 1: practice });
    banner.hidden = false;
    root.dataset.stale = "true";
  }

  // setLanguage shows the page, and the open record, in the language
  // code: every label marked data-l (its data-arg parts kept, dates
  // written again), the status, the signature lines, the banner and the
  // Download menu. The record document switches by its own radio buttons.
  function setLanguage(code) {
    if (!labels[code]) return;
    lang = code;
    root.lang = code;
    for (const el of document.querySelectorAll("[data-l]")) fill(el, L(el.dataset.l));
    for (const el of document.querySelectorAll("[data-l-label]")) el.setAttribute("aria-label", L(el.dataset.lLabel));
    for (const t of document.querySelectorAll("time[data-arg][datetime]")) t.textContent = formatDate(t.getAttribute("datetime"));
    const from = document.querySelector(".bar .from");
    document.title = L("shell_title").replace("{0}", from ? from.textContent : "");
    if (state.said) say(state.said[0], state.said[1]);
    if (state.provenance && !$("signature").hidden) showProvenance(state.provenance[0], state.provenance[1]);
    if (state.until !== undefined) showCurrency(state.until);
    if (state.files) $("files").replaceChildren(...state.files.map(downloadItem));
    if (state.frame) {
      state.frame.title = L("shell_heading");
      frameLanguage(state.frame);
    }
    if ($("lang")) $("lang").value = code;
  }

  // frameLanguage picks the page's language in the record document, where
  // the page can reach it and the document offers it.
  function frameLanguage(frame) {
    try {
      const radio = frame.contentDocument && frame.contentDocument.getElementById("satchel-lang-" + lang);
      if (radio) radio.checked = true;
    } catch (e) {
      // A sandboxed host: the reader switches inside the record.
    }
  }

  // showRecord puts the record document into a sandboxed frame. The frame
  // may not run scripts; it shares the page's origin only so the page can
  // print it and style it.
  async function showRecord(result) {
    const files = result.files;
    const doc = files.find((f) => f.name === "document.html");
    if (!doc) throw new Failure("not-record");
    state.files = files;

    const frame = document.createElement("iframe");
    frame.setAttribute("sandbox", "allow-same-origin allow-modals allow-popups allow-popups-to-escape-sandbox");
    frame.setAttribute("referrerpolicy", "no-referrer");
    frame.title = L("shell_heading");
    // Hidden until dressed, so the record never flashes unstyled.
    frame.style.visibility = "hidden";
    state.frame = frame;
    const loaded = new Promise((resolve) => frame.addEventListener("load", resolve, { once: true }));
    // srcdoc, not a blob: URL: a blob made by a file:// page gets an origin
    // of its own, which would shut the page out of the frame.
    frame.srcdoc = new TextDecoder().decode(doc.data);

    $("files").replaceChildren(...files.map(downloadItem));
    const info = readInfo(files);
    showProvenance(result, info);
    // The signed date beats the page's own, which anyone could edit.
    if (info && info.current_until) showCurrency(info.current_until);
    $("lock-screen").hidden = true;
    $("record-screen").hidden = false;
    $("key").value = "";
    $("key").removeAttribute("aria-invalid");
    say("");
    $("frame-box").append(frame);
    await loaded;
    if (state.frame !== frame) return;
    // Where the page cannot reach its frame (a host that serves the page
    // sandboxed gives it an origin of its own), the record still shows,
    // styled, but the page cannot print it: Print is hidden there, and the
    // browser's own Print prints the record.
    let reachable = false;
    try {
      reachable = Boolean(frame.contentDocument && frame.contentWindow);
      if (reachable) {
        dress(frame);
        frameLanguage(frame);
      }
    } catch (e) {
      reachable = false;
    }
    $("printing").hidden = !reachable;
    frame.style.visibility = "";
    root.dataset.state = "open";
    root.dataset.openedMs = String(Math.round(performance.now()));
    frame.focus();
  }

  // dress makes in-document links relative to the frame's own address
  // (about:srcdoc), not the page's, so they scroll the record instead of
  // loading the page into the frame. Links leaving the record open in a new
  // tab, since the frame itself may only show this record. The record's
  // own style sheets need no help: the page's CSP allows them by hash. A
  // style attribute (Satchel's templates write none) is blocked by the CSP
  // and applied again here through the CSSOM, which the CSP allows.
  function dress(frame) {
    const doc = frame.contentDocument;
    if (!doc) return;
    for (const el of doc.querySelectorAll("[style]")) {
      el.style.cssText = el.getAttribute("style");
    }
    for (const a of doc.querySelectorAll("a[href]")) {
      const href = a.getAttribute("href");
      if (href.startsWith("#")) {
        a.setAttribute("href", "about:srcdoc" + href);
      } else if (/^(https?:|mailto:|tel:)/i.test(href)) {
        a.target = "_blank";
        a.rel = "noopener noreferrer";
      }
    }
  }

  function downloadItem(file) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    const label = fileLabels[file.name];
    button.textContent = label ? L(label) + " (" + file.name + ")" : file.name;
    button.addEventListener("click", () => download(file));
    li.append(button);
    return li;
  }

  function download(file) {
    const ext = file.name.split(".").pop();
    const url = URL.createObjectURL(new Blob([file.data], { type: fileTypes[ext] || "application/octet-stream" }));
    state.urls.push(url);
    const a = document.createElement("a");
    a.href = url;
    a.download = file.name;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    $("downloads").open = false;
  }

  // lock drops everything the unlock produced and shows the lock screen.
  function lock() {
    if (state.frame) state.frame.remove();
    state.frame = null;
    for (const url of state.urls) URL.revokeObjectURL(url);
    state.urls = [];
    if (state.files) for (const f of state.files) f.data.fill(0);
    state.files = null;
    $("files").replaceChildren();
    $("downloads").open = false;
    $("printing").open = false;
    $("signature").replaceChildren();
    $("signature").hidden = true;
    showCurrency(document.body.dataset.currentUntil);
    $("record-screen").hidden = true;
    $("lock-screen").hidden = false;
    $("key").value = "";
    root.dataset.state = "locked";
    delete root.dataset.error;
    delete root.dataset.openedMs;
    if (state.ready) {
      setReady(true);
      say("shell_locked");
    }
  }

  // keyFromText takes the secret from a scanned QR code: either the bare
  // key or a link carrying it in the #k= fragment.
  function keyFromText(text) {
    const hash = text.indexOf("#");
    if (hash >= 0) {
      const k = new URLSearchParams(text.slice(hash + 1)).get("k");
      if (k) return k;
    }
    return text.trim();
  }

  function stopScan() {
    const s = state.scanning;
    state.scanning = null;
    if (s) {
      clearTimeout(s.timer);
      for (const track of s.stream.getTracks()) track.stop();
    }
    $("camera").srcObject = null;
    $("scanner").hidden = true;
  }

  async function scan() {
    if (state.scanning || state.busy) return;
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (e) {
      fail("camera");
      return;
    }
    const detector = new BarcodeDetector({ formats: ["qr_code"] });
    const video = $("camera");
    state.scanning = { stream, timer: 0 };
    video.srcObject = stream;
    $("scanner").hidden = false;
    say("shell_hold_card");
    await video.play().catch(() => {});
    const tick = async () => {
      if (!state.scanning) return;
      let codes = [];
      try {
        codes = await detector.detect(video);
      } catch (e) {
        codes = [];
      }
      if (!state.scanning) return;
      if (codes.length > 0) {
        stopScan();
        unlock(keyFromText(codes[0].rawValue));
        return;
      }
      state.scanning.timer = setTimeout(tick, 200);
    };
    tick();
  }

  // keyFromFragment takes a key from #k=... and removes it from the address
  // bar (and this page's history entry) before anything else happens.
  function keyFromFragment() {
    if (!location.hash) return "";
    const key = new URLSearchParams(location.hash.slice(1)).get("k") || "";
    history.replaceState(null, "", location.href.split("#")[0]);
    return key;
  }

  // keepOffline asks the browser to keep this locked page, through sw.js
  // beside it, so the hosted link opens it again with no network. Only a
  // page the practice hosts (data-hosted, written only with base_url) and
  // that came over http(s) does so; any failure is silent: the page opens
  // now either way.
  function keepOffline() {
    if (root.dataset.hosted !== "true" || !/^https?:$/.test(location.protocol)) return;
    try {
      if (!("serviceWorker" in navigator)) return;
      navigator.serviceWorker.register("sw.js", { scope: "./" }).catch(() => {});
    } catch {
      // e.g. an opaque origin, or storage turned off: nothing to keep
    }
  }

  // printRecord prints the record in its frame: the emergency summary
  // alone (the document's print-summary class, which its print rules
  // read), or everything. The class comes off once printing is done.
  function printRecord(summaryOnly) {
    const frame = state.frame;
    if (!frame || !frame.contentWindow || !frame.contentDocument) return;
    const root = frame.contentDocument.documentElement;
    root.classList.toggle("print-summary", summaryOnly);
    frame.contentWindow.addEventListener("afterprint", () => root.classList.remove("print-summary"), { once: true });
    $("printing").open = false;
    frame.contentWindow.print();
  }

  async function start() {
    performance.mark("satchel-parsed");
    const key = keyFromFragment();
    keepOffline();
    showCurrency(document.body.dataset.currentUntil);
    // The page's dates are written in English; the reader's language
    // writes them again.
    if (lang !== "en") setLanguage(lang);
    $("unlock").addEventListener("submit", (e) => {
      e.preventDefault();
      unlock($("key").value);
    });
    $("print").addEventListener("click", () => printRecord(false));
    $("print-summary").addEventListener("click", () => printRecord(true));
    $("lock").addEventListener("click", lock);
    if ($("lang")) $("lang").addEventListener("change", () => setLanguage($("lang").value));
    $("scan-stop").addEventListener("click", () => {
      stopScan();
      say("");
    });
    // Leaving the page locks it, so the back-forward cache keeps no record.
    window.addEventListener("pagehide", () => {
      stopScan();
      lock();
    });
    // One menu open at a time: they hang from the same toolbar.
    for (const [id, other] of [["downloads", "printing"], ["printing", "downloads"]]) {
      $(id).addEventListener("toggle", () => {
        if ($(id).open) $(other).open = false;
      });
    }
    document.addEventListener("keydown", (e) => {
      if (e.key !== "Escape") return;
      for (const id of ["downloads", "printing"]) if ($(id).open) $(id).open = false;
    });

    if (!$("satchel-end") || !$("satchel-message")) {
      fail("truncated");
      return;
    }
    // The decryptor is a script of its own: a browser too old to run it
    // (or without DecompressionStream, which unpacks the record) cannot
    // open the record.
    const api = globalThis.satchelDecryptor;
    if (!api || typeof api.open !== "function" || typeof DecompressionStream !== "function") {
      fail("unsupported");
      return;
    }
    if ("BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      $("scan").hidden = false;
      $("scan").addEventListener("click", scan);
    }
    state.ready = true;
    setReady(true);
    say("");
    if (key) {
      unlock(key);
    } else {
      $("key").focus();
    }
  }

  // Written by script, not in the HTML, so a browser without JavaScript
  // never shows a promise it cannot keep: it shows the <noscript> message.
  // The shell runs before the decryptor is parsed, so this shows meanwhile.
  say("shell_getting_ready");
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start, { once: true });
  } else {
    start();
  }
})();
