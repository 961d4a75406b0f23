/* page.js: index.html's behaviour (report/page.c embeds it). It reads the data element that
 * page.c wrote ({results, evidence, lines, graphs, diff?}), draws the header, the changes
 * against another run (when the folder holds a diff.json), the filters and the matrix, and
 * shows a case's evidence when its cell is clicked. No framework, no request:
 * everything it shows is in the page. Fields it does not know are shown as they are; missing
 * ones are left out. */
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("badup-data").textContent);
  const run = data.results && typeof data.results === "object" ? data.results : {};
  const cases = Array.isArray(run.cases) ? run.cases : [];
  const evidence = Array.isArray(data.evidence) ? data.evidence : [];
  const lines = Array.isArray(data.lines) ? data.lines : [];

  /* In the order report.md counts them; "not_run" is results.json's word. */
  const VERDICTS = [
    ["pass", "pass", ""], ["deviates", "deviates", " ~"], ["unstable", "unstable", " ?"],
    ["fail", "fail", " !"], ["error", "error", " !"], ["skipped", "skipped", ""], ["not_run", "not run", ""],
  ];
  const VERDICT_INFO = new Map(VERDICTS.map(([w, label, mark]) => [w, { label, mark }]));
  /* The catalog's families, by name prefix (docs/scenarios.md); a case's own "family" wins. */
  const FAMILIES = [
    ["client_tls_", "client_tls", "client TLS (client_tls_*)"], ["tls_", "tls", "TLS upstream (tls_*)"],
    ["h2_", "h2", "HTTP/2 (h2_*)"], ["req_", "req", "request side (req_*)"], ["fwd_", "fwd", "forward proxy (fwd_*)"],
  ];
  const FAMILY_LABEL = new Map(FAMILIES.map(([, id, label]) => [id, label]));
  FAMILY_LABEL.set("upstream", "upstream faults (the rest)");
  const DEFAULTS = { connect_s: 1, read_s: 2, client_s: 2, max_body: 1048576 };

  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]);
  const verdictOf = (c) => (VERDICT_INFO.has(c.verdict) ? c.verdict : c.verdict === "not run" ? "not_run" : "error");
  const vclass = (v) => "v-" + v.replace("_", "-");
  const familyOf = (c) => {
    if (typeof c.family === "string" && c.family) return c.family;
    const s = String(c.scenario || "");
    for (const [prefix, id] of FAMILIES) if (s.startsWith(prefix)) return id;
    return "upstream";
  };
  const shellWord = (s) => (/^[A-Za-z0-9_.,:\/+=@%-]+$/.test(String(s)) ? String(s) : "'" + String(s).replace(/'/g, "'\\''") + "'");
  function el(tag, attrs, html) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (html != null) e.innerHTML = html;
    return e;
  }
  /* An unstable cell names every outcome seen, as report.md does: "closed x2, 502 x1" reads
   * "closed|502" (an outcome may hold spaces, "200 !connection"; a count is a last " xN"). */
  const alternatives = (outcomes) => String(outcomes).split(", ").map((o) => o.replace(/ x\d+$/, "")).join("|");
  const seen = (c) => c.alternatives || c.outcomes; /* results.json's words for them, newer and older */
  /* not run (an interrupted run) must not read as skipped (the proxy cannot take it) */
  const cellLabel = (c, v) => (v === "skipped" ? "-" : v === "not_run" ? "not run"
    : v === "unstable" && seen(c) ? alternatives(seen(c)) : show(c.got));
  const show = (v) => (v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v));

  /* ---- the grid: first-seen order, like report.md ---- */
  const proxies = [], scenarios = [], at = new Map(), versions = new Map(), expects = new Map();
  /* results.json's proxies (name, version, binary) where it has them, else the cases' versions */
  if (Array.isArray(run.proxies)) for (const p of run.proxies) if (p && p.name) versions.set(String(p.name), p.version || "");
  cases.forEach((c, i) => {
    const p = String(c.proxy), s = String(c.scenario);
    if (!proxies.includes(p)) proxies.push(p);
    if (!versions.get(p)) versions.set(p, c.proxy_version || "");
    if (!expects.has(s)) { scenarios.push(s); expects.set(s, c.expect == null ? "" : c.expect); }
    at.set(p + "\u0000" + s, i);
  });
  scenarios.sort();
  const familyOfScenario = new Map();
  cases.forEach((c) => familyOfScenario.set(String(c.scenario), familyOf(c)));
  const families = [...new Set(scenarios.map((s) => familyOfScenario.get(s)))].sort();

  /* ---- the diff of `badup diff --out` (page_diff.h): which side this folder is ("a", the
   * older, or "b"), and per cell of this folder that the diff lists, its group and what the
   * other side had. A listed cell whose outcome here is not the one the diff recorded is left
   * unmarked and counted: results.json changed after the diff was made. ---- */
  const diff = data.diff && typeof data.diff === "object" ? data.diff : null;
  const diffDoc = diff && diff.doc && typeof diff.doc === "object" ? diff.doc : null;
  const mine = diffDoc && (diff.state === "a" || diff.state === "b") ? diff.state : null;
  const theirs = mine === "a" ? "b" : "a";
  const DIFF_GROUPS = ["changed", "unstable", "new", "vanished"];
  const diffList = (g) => (diffDoc && Array.isArray(diffDoc[g]) ? diffDoc[g].filter((cd) => cd && typeof cd === "object") : []);
  const outcomeOf = (cell) => (!cell || typeof cell !== "object" ? "-" : Array.isArray(cell.alternatives) &&
    cell.alternatives.length > 1 ? cell.alternatives.join("|") : show(cell.got) || "-");
  const cellText = (cell) => (cell && typeof cell === "object" ? outcomeOf(cell) + " (" + show(cell.verdict) + ")" : "-");
  const marks = new Map();
  let mismatched = 0;
  if (mine) for (const g of DIFF_GROUPS) for (const cd of diffList(g)) {
    const key = String(cd.proxy) + "\u0000" + String(cd.scenario), i = at.get(key);
    if (i === undefined) continue; /* the other side's alone */
    const own = cd[mine];
    if (own && typeof own === "object" && show(own.got) !== show(cases[i].got)) { mismatched++; continue; }
    const side = theirs.toUpperCase();
    const title = g === "new" || g === "vanished" ? g + ": not in " + side
      : g + ": " + (mine === "b" ? "was " : "is ") + cellText(cd[theirs]) + " in " + side;
    marks.set(key, { group: g, title });
  }

  /* ---- header ---- */
  const app = document.getElementById("app");
  const counts = new Map(VERDICTS.map(([w]) => [w, 0]));
  cases.forEach((c) => counts.set(verdictOf(c), counts.get(verdictOf(c)) + 1));
  document.title = "badup run " + (run.started || "") + ": " + cases.length + " cases";
  const header = el("header");
  header.appendChild(el("h1", {}, "badup run " + esc(run.started || "(no start time)")));
  const dur = typeof run.duration_s === "number" ? run.duration_s.toFixed(1) + " s" : "unknown duration";
  header.appendChild(el("p", { class: "summary" }, esc(cases.length + " cases over " + proxies.length + " prox" +
    (proxies.length === 1 ? "y" : "ies") + " and " + scenarios.length + " scenarios, " + dur +
    (run.jobs ? ", " + run.jobs + " jobs" : "") + (run.repeat > 1 ? ", every case " + run.repeat + " times" : "") +
    (run.interrupted ? " (interrupted)" : ""))));
  const chips = el("ul", { class: "chips", id: "counts", "aria-label": "cases per verdict" });
  for (const [w, label, mark] of VERDICTS) {
    if (!counts.get(w) && (w === "not_run" || w === "unstable")) continue;
    chips.appendChild(el("li", { class: "chip " + vclass(w), "data-verdict": w }, esc(counts.get(w) + " " + label + mark)));
  }
  header.appendChild(chips);
  /* Every top-level field but the cases: the settings, and whatever provenance the run recorded. */
  const settings = el("dl", { class: "settings", id: "settings", "aria-label": "settings and provenance" });
  const known = { duration_s: 1, started: 1, cases: 1, proxies: 1 };
  /* null is a setting not given (no --proxy-config, no shard): "none", not an empty line */
  const orNone = (v) => (v === null ? "none" : show(v));
  const flat = (v) => (v && typeof v === "object" && !Array.isArray(v)
    ? Object.keys(v).map((kk) => kk + " " + orNone(v[kk])).join(", ") : orNone(v));
  /* A command line (an array of words) reads as one; a list of objects (a merge's shards) one
   * after the other. */
  const listed = (v) => (v.every((x) => x === null || typeof x !== "object") ? v.map(shellWord).join(" ")
    : v.map(flat).join("; "));
  const fact = (k, text) => settings.appendChild(el("div", {}, "<dt>" + esc(k) + "</dt><dd class=\"mono\">" + esc(text) + "</dd>"));
  /* A merge's shards: a row each (shard, started, duration, command), not raw JSON. */
  const shardTable = (v) => {
    let h = "<table class=\"shards\"><tr><th>shard</th><th>started</th><th>s</th><th>command</th></tr>";
    for (const x of v) {
      const o = x && typeof x === "object" ? x : {};
      h += "<tr><td>" + esc(orNone(o.shard == null ? null : o.shard)) + "</td><td>" + esc(show(o.started)) + "</td><td>" +
        esc(show(o.duration_s)) + "</td><td class=\"mono\">" + esc(Array.isArray(o.command) ? listed(o.command) : show(o.command)) +
        "</td></tr>";
    }
    settings.appendChild(el("div", {}, "<dt>shards</dt><dd>" + h + "</table></dd>"));
  };
  for (const k of Object.keys(run)) {
    if (known[k]) continue;
    const v = run[k];
    if (k === "shards" && Array.isArray(v) && v.length) shardTable(v);
    else fact(k, Array.isArray(v) ? listed(v) : flat(v));
  }
  fact("proxies", proxies.map((p) => p + (versions.get(p) ? " " + versions.get(p) : "")).join(", "));
  header.appendChild(settings);
  app.appendChild(header);

  /* ---- changes against another run ---- */
  const sideLabel = (sd) => (!sd || typeof sd !== "object" ? "another run" : sd.kind === "reference"
    ? "the reference (" + show(sd.path) + ")" : show(sd.path) + (sd.started ? ", started " + sd.started : ""));
  if (diff) {
    const sec = el("section", { class: "diff", id: "diff", "data-state": show(diff.state), "aria-label": "changes against another run" });
    let h = "<h2>" + esc(mine ? "Changes against " + sideLabel(diffDoc[theirs]) : "Changes (diff.json)") + "</h2>";
    if (mine) h += "<p>This run is " + (mine === "b" ? "B, the newer side" : "A, the older side") + " of <code>diff.json</code> (" +
      "<code>badup diff --out</code>); the other run is " + theirs.toUpperCase() + ".</p>";
    if (diff.note) h += "<p class=\"warning\" id=\"diff-note\">" + esc(diff.note) + "</p>";
    if (mismatched) h += "<p class=\"warning\" id=\"diff-mismatch\">" + esc(mismatched + " cell" + (mismatched === 1 ? "" : "s") +
      " listed in diff.json no longer match" + (mismatched === 1 ? "es" : "") + " this folder's results.json: not marked; run `badup diff --out` again.") + "</p>";
    if (diffDoc) {
      const n = diffDoc.counts && typeof diffDoc.counts === "object" ? diffDoc.counts : {};
      const COUNTS = [["changed", "changed"], ["unstable", "unstable"], ["new", "new"], ["vanished", "vanished"], ["same", "same"],
        ["new_proxies", "new proxies"], ["vanished_proxies", "vanished proxies"], ["versions", "versions changed"], ["settings", "settings differ"]];
      h += "<ul class=\"chips\" id=\"diff-counts\" aria-label=\"cells per change\">" + COUNTS.filter(([k], j) => j < 5 || n[k])
        .map(([k, label]) => "<li class=\"chip diff-" + k + "\" data-count=\"" + k + "\">" + esc(show(n[k] || 0) + " " + label) + "</li>").join("") + "</ul>";
      const settingsDiff = Array.isArray(diffDoc.settings) ? diffDoc.settings.filter((x) => x && typeof x === "object") : [];
      if (settingsDiff.length) h += "<p class=\"warning\">Settings differ, so outcomes may differ for that reason alone: " +
        esc(settingsDiff.map((x) => x.name + " " + show(x.a) + " (A) / " + show(x.b) + " (B)").join(", ")) + ".</p>";
      const proxiesDiff = Array.isArray(diffDoc.proxies) ? diffDoc.proxies.filter((x) => x && typeof x === "object" && x.change !== "same") : [];
      if (proxiesDiff.length) h += "<ul id=\"diff-proxies\">" + proxiesDiff.map((x) => "<li>" + esc(show(x.proxy) + ": " + show(x.change) +
        (x.change === "version" ? " " + show((x.a || {}).version) + " -> " + show((x.b || {}).version) : "")) + "</li>").join("") + "</ul>";
      const rows = DIFF_GROUPS.flatMap((g) => diffList(g).map((cd) => {
        const key = String(cd.proxy) + "\u0000" + String(cd.scenario), i = at.get(key);
        const name = esc(show(cd.proxy) + " / " + show(cd.scenario));
        const link = mine && i !== undefined && marks.has(key) ? "<button type=\"button\" class=\"diff-open\" data-case=\"" + i + "\">" + name + "</button>" : name;
        return "<tr class=\"diff-" + g + "\" data-group=\"" + g + "\"><td>" + g + "</td><td class=\"mono\">" + link + "</td><td class=\"mono\">" +
          esc(cellText(cd.a)) + "</td><td class=\"mono\">" + esc(cellText(cd.b)) + "</td></tr>";
      }));
      h += rows.length ? "<table id=\"diff-cells\"><thead><tr><th>change</th><th>proxy / scenario</th><th>A</th><th>B</th></tr></thead><tbody>" +
        rows.join("") + "</tbody></table>" : "<p class=\"note\">No cell changed, is new or vanished.</p>";
    }
    sec.innerHTML = h;
    /* A listed cell of this folder opens its case and brings the matrix cell into view. */
    sec.addEventListener("click", (e) => {
      const b = e.target.closest("button.diff-open");
      if (!b) return;
      const i = +b.dataset.case;
      openCase(i, false);
      const cell = table.querySelector("button[data-case=\"" + i + "\"]");
      if (cell) { cell.scrollIntoView({ block: "center", inline: "center" }); cell.focus({ preventScroll: true }); }
      history.replaceState(null, "", "#case=" + encodeURIComponent(cases[i].proxy + "/" + cases[i].scenario));
    });
    app.appendChild(sec);
  }

  /* ---- filters ---- */
  const filters = el("form", { class: "filters", id: "filters", "aria-label": "filters" });
  function group(name, legend, items) {
    const fs = el("fieldset", { id: "filter-" + name });
    fs.appendChild(el("legend", {}, esc(legend)));
    for (const [value, label] of items)
      fs.appendChild(el("label", {}, "<input type=\"checkbox\" checked name=\"" + name + "\" value=\"" + esc(value) +
        "\"> " + esc(label)));
    filters.appendChild(fs);
  }
  group("proxy", "Proxy", proxies.map((p) => [p, p]));
  group("verdict", "Verdict", VERDICTS.filter(([w]) => counts.get(w)).map(([w, label]) => [w, label + " (" + counts.get(w) + ")"]));
  group("family", "Scenario family", families.map((f) => [f, FAMILY_LABEL.get(f) || f]));
  app.appendChild(filters);
  app.appendChild(el("p", { class: "legend" }, "Cells: the outcome the client saw, coloured by verdict: " +
    VERDICTS.map(([w, label, mark]) => "<span class=\"chip " + vclass(w) + "\">" + esc(label + mark) + "</span>").join(" ") +
    ". Click a cell (or Tab to it and press Enter; arrow keys move between cells) for its evidence." +
    (marks.size ? " A corner marks a cell that differs from the other run of diff.json (hover it for what that run had)." : "")));

  /* ---- matrix ---- */
  const layout = el("div", { class: "layout" });
  const wrap = el("div", { class: "matrix-wrap" });
  const head = "<thead><tr><th class=\"scn\" scope=\"col\">scenario</th><th scope=\"col\">expect</th>" +
    proxies.map((p, j) => "<th scope=\"col\" data-col=\"" + j + "\">" + esc(p) + "</th>").join("") + "</tr></thead>";
  const body = scenarios.map((s) => {
    const cells = proxies.map((p, j) => {
      const i = at.get(p + "\u0000" + s);
      if (i === undefined) return "<td data-col=\"" + j + "\"><span class=\"none\" title=\"not in this run\"></span></td>";
      const c = cases[i], v = verdictOf(c), info = VERDICT_INFO.get(v);
      const label = cellLabel(c, v), mark = marks.get(p + "\u0000" + s);
      return "<td data-col=\"" + j + "\"><button type=\"button\" class=\"cell " + vclass(v) + (mark ? " diff-mark diff-" + mark.group : "") +
        "\" data-case=\"" + i + "\" data-verdict=\"" + v + "\"" + (mark ? " data-diff=\"" + mark.group + "\" title=\"" + esc(mark.title) + "\"" : "") +
        " aria-pressed=\"false\" aria-label=\"" + esc(p + ", " + s + ": " + show(c.got) + ", " + info.label + (mark ? ", " + mark.title : "")) +
        "\">" + esc(show(label) + info.mark) + "</button></td>";
    }).join("");
    return "<tr data-scenario=\"" + esc(s) + "\" data-family=\"" + esc(familyOfScenario.get(s)) + "\"><td class=\"scn mono\">" +
      esc(s) + "</td><td class=\"exp mono\">" + esc(show(expects.get(s))) + "</td>" + cells + "</tr>";
  }).join("");
  /* Column widths from the longest text of each column, in ch of the cells' monospace font:
   * with them the table is laid out "fixed", which at 12 x 120 cells is several times faster
   * than the browser measuring every cell first. */
  const widest = (texts, floor) => Math.max(floor, ...texts.map((t) => String(t).length)) + 3 + "ch";
  const colWidths = [widest(scenarios, 8), widest(scenarios.map((s) => show(expects.get(s))), 6)].concat(proxies.map((p) =>
    widest(scenarios.map((s) => {
      const i = at.get(p + "\u0000" + s);
      if (i === undefined) return "";
      const c = cases[i], v = verdictOf(c);
      return cellLabel(c, v) + VERDICT_INFO.get(v).mark;
    }).concat([p]), 4)));
  const cols = "<colgroup>" + colWidths.map((w, k) => "<col" + (k >= 2 ? " data-col=\"" + (k - 2) + "\"" : "") +
    " style=\"width:" + w + "\">").join("") + "</colgroup>";
  const table = el("table", { class: "matrix", id: "matrix" }, cols + head + "<tbody>" + body + "</tbody>");
  wrap.appendChild(table);
  layout.appendChild(wrap);
  const panel = el("section", { class: "evidence", id: "evidence", "aria-live": "polite", "aria-label": "evidence" },
    "<p class=\"note\">Click a cell to see its case here.</p>");
  layout.appendChild(panel);
  app.appendChild(layout);

  function applyFilters() {
    const on = (name) => new Set([...filters.querySelectorAll("input[name=" + name + "]:checked")].map((x) => x.value));
    const ps = on("proxy"), vs = on("verdict"), fs = on("family");
    const cols = proxies.map((p) => ps.has(p));
    for (const cell of table.querySelectorAll("[data-col]")) cell.hidden = !cols[+cell.dataset.col];
    for (const tr of table.tBodies[0].rows) {
      let any = false;
      for (const b of tr.querySelectorAll("button.cell")) {
        const shown = vs.has(b.dataset.verdict) && cols[+b.parentNode.dataset.col];
        b.classList.toggle("filtered", !shown);
        b.tabIndex = shown ? 0 : -1;
        any = any || shown;
      }
      tr.hidden = !fs.has(tr.dataset.family) || !any;
    }
  }
  filters.addEventListener("change", applyFilters);
  filters.addEventListener("submit", (e) => e.preventDefault()); /* a form only to group the boxes */

  /* ---- evidence ---- */
  function reproduce(c) {
    const opts = [];
    if (run.client_tls) opts.push("--client-tls");
    if (run.upstream_tls) opts.push("--upstream-tls");
    if (run.client_http2) opts.push("--client-http2");
    const t = run.timeouts || {};
    if (typeof t.connect_s === "number" && t.connect_s !== DEFAULTS.connect_s) opts.push("--connect-timeout " + t.connect_s);
    if (typeof t.read_s === "number" && t.read_s !== DEFAULTS.read_s) opts.push("--read-timeout " + t.read_s);
    if (t.retries === true) opts.push("--retries");
    if (typeof t.client_s === "number" && t.client_s !== DEFAULTS.client_s) opts.push("--client-timeout " + t.client_s);
    if (typeof t.max_body === "number" && t.max_body !== DEFAULTS.max_body) opts.push("--max-body " + t.max_body);
    if (run.repeat > 1) opts.push("--repeat " + run.repeat);
    /* provenance, where results.json has it: the scenarios' variables, the seed, a config of one's own */
    if (Array.isArray(run.set)) for (const kv of run.set) opts.push("--set " + shellWord(kv));
    if (typeof run.seed === "number" && run.seed !== 1) opts.push("--seed " + run.seed);
    if (run.proxy_config && run.proxy_config.path) opts.push("--proxy-config " + shellWord(run.proxy_config.path));
    return ["badup run --proxy " + shellWord(c.proxy) + " --scenario " + shellWord(c.scenario) +
      (opts.length ? " " + opts.join(" ") : ""), "badup serve " + shellWord("scenarios/" + c.scenario + ".lua")].join("\n");
  }
  function block(title, id, text, note) {
    let h = "<h3>" + esc(title) + "</h3>";
    if (text) h += "<pre id=\"" + id + "\">" + esc(text) + "</pre>";
    if (note) h += "<p class=\"note\">" + esc(note) + "</p>";
    return h;
  }
  function openCase(i, focusPanel) {
    const c = cases[i], ev = evidence[i] || {}, v = verdictOf(c);
    for (const b of table.querySelectorAll("button[aria-pressed=true]")) b.setAttribute("aria-pressed", "false");
    const btn = table.querySelector("button[data-case=\"" + i + "\"]");
    if (btn) btn.setAttribute("aria-pressed", "true");
    let h = "<h2 tabindex=\"-1\" id=\"evidence-title\">" + esc(c.proxy + " / " + c.scenario) + "</h2>";
    h += "<p><span class=\"chip " + vclass(v) + "\" id=\"evidence-verdict\">" + esc(VERDICT_INFO.get(v).label) + "</span></p>";
    h += "<dl id=\"evidence-facts\">";
    const facts = [["expected", c.expect], ["got", c.got], ["outcomes seen", seen(c)], ["summary", c.summary], ["reason", c.reason],
      ["reference", c.reference], ["proxy version", c.proxy_version], ["detail", c.detail],
      ["elapsed", typeof c.elapsed_ms === "number" ? c.elapsed_ms.toFixed(1) + " ms" : c.elapsed_ms],
      ["upstream attempts", c.upstream_attempts], ["upstream connections", c.upstream_connections],
      ["upstream TLS", c.tls], ["upstream HTTP/2", c.http2], ["read timeout", c.read_timeout_s]];
    for (const [k, val] of facts)
      if (val !== undefined && val !== null && val !== "") h += "<dt>" + esc(k) + "</dt><dd class=\"mono\" data-fact=\"" + esc(k) + "\">" + esc(show(val)) + "</dd>";
    h += "</dl>";
    if (Array.isArray(c.assertions) && c.assertions.length) {
      h += "<h3>Assertions</h3><table id=\"evidence-assertions\"><tr><th>assertion</th><th>expected</th><th>got</th><th>holds</th></tr>" +
        c.assertions.map((a) => "<tr><td class=\"mono\">" + esc(a.id) + "</td><td class=\"mono\">" + esc(show(a.expected)) +
          "</td><td class=\"mono\">" + esc(show(a.got)) + "</td><td class=\"" + (a.ok ? "ok\">yes" : "bad\">no") + "</td></tr>").join("") + "</table>";
    }
    if (Array.isArray(c.runs) && c.runs.length) {
      h += "<h3>Runs</h3><table id=\"evidence-runs\"><tr><th>#</th><th>got</th><th>elapsed</th><th>attempts</th><th>detail</th></tr>" +
        c.runs.map((r, k) => "<tr><td>" + (k + 1) + "</td><td class=\"mono\">" + esc(r.got) + "</td><td>" +
          esc(typeof r.elapsed_ms === "number" ? r.elapsed_ms.toFixed(1) + " ms" : "") + "</td><td>" + esc(show(r.upstream_attempts)) +
          "</td><td class=\"mono\">" + esc(show(r.detail)) + "</td></tr>").join("") + "</table>";
    }
    const log = c.proxy_log ? String(c.proxy_log).split(" | ").join("\n") : "";
    h += block("Proxy log", "evidence-log", log, log ? "" : "no log line");
    h += block("Upstream events", "evidence-events", ev.events, ev.events_note ||
      (ev.events || ev.events === "" ? (ev.events ? "" : "no connection reached the upstream") : "no upstream-events.json in the case folder"));
    if (Array.isArray(ev.configs) && ev.configs.length) {
      for (const cf of ev.configs) {
        const text = (cf.lines || []).map((k) => lines[k]).join("\n");
        h += "<details class=\"config\" open><summary>Config: <code>" + esc(cf.name) + "</code></summary><pre class=\"evidence-config\">" +
          esc(text) + "</pre>" + (cf.note ? "<p class=\"note\">" + esc(cf.note) + "</p>" : "") + "</details>";
      }
      if (ev.configs_note) h += "<p class=\"note\">" + esc(ev.configs_note) + "</p>";
    } else {
      h += block("Config", "evidence-config-none", "", "no rendered config in the case folder");
    }
    h += block("Reproduce", "evidence-reproduce", reproduce(c), ev.folder ? "Every file of the case: " + ev.folder +
      "/ beside this page" + (run.repeat > 1 ? " (the other runs: " + ev.folder + ".runN/)" : "") + "." : "");
    panel.innerHTML = h;
    layout.classList.add("has-case"); /* the panel takes its column only once a case is open */
    if (focusPanel) panel.querySelector("#evidence-title").focus();
  }
  table.addEventListener("click", (e) => {
    const b = e.target.closest("button.cell");
    if (!b) return;
    const i = +b.dataset.case;
    openCase(i, false);
    history.replaceState(null, "", "#case=" + encodeURIComponent(cases[i].proxy + "/" + cases[i].scenario));
  });
  /* Arrow keys move between the visible cells, as in a spreadsheet. */
  table.addEventListener("keydown", (e) => {
    const b = e.target.closest("button.cell");
    const d = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] }[e.key];
    if (!b || !d) return;
    const rows = [...table.tBodies[0].rows].filter((r) => !r.hidden);
    let r = rows.indexOf(b.closest("tr")), col = +b.parentNode.dataset.col;
    for (;;) {
      if (d[0]) r += d[0]; else col += d[1];
      if (r < 0 || r >= rows.length || col < 0 || col >= proxies.length) return;
      const next = rows[r].querySelector("td[data-col=\"" + col + "\"] button.cell:not(.filtered)");
      if (next && !next.parentNode.hidden) { next.focus(); e.preventDefault(); return; }
    }
  });

  /* ---- graphs ---- */
  if (Array.isArray(data.graphs) && data.graphs.length) {
    const g = el("section", { class: "graphs", id: "graphs" }, "<h2>Graphs (badup plot)</h2>");
    for (const gr of data.graphs) {
      const f = el("figure");
      if (gr.uri && /^data:image\/(svg\+xml|png);base64,/.test(gr.uri)) f.appendChild(el("img", { src: gr.uri, alt: "graph " + gr.name }));
      f.appendChild(el("figcaption", {}, esc(gr.name) + (gr.note ? " <span class=\"note\">" + esc(gr.note) + "</span>" : "")));
      g.appendChild(f);
    }
    app.appendChild(g);
  }

  const m = /^#case=(.*)$/.exec(location.hash);
  if (m) {
    const [p, ...rest] = decodeURIComponent(m[1]).split("/");
    const i = at.get(p + "\u0000" + rest.join("/"));
    if (i !== undefined) openCase(i, false);
  }
  /* For whoever times the page (tests/e2e/test_page.py): drawn, and how long it took. */
  document.body.dataset.ready = String(performance.now());
})();
