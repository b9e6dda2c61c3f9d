/* The offline explorer of `analysis explore`: plain JavaScript over window.DATA (see
   analysis/explore/site.py for its layout). No network, no libraries. */
(function () {
  "use strict";
  var T0 = performance.now();
  var D = window.DATA;
  var THEME_COLOURS = { security: "#0072B2", development: "#009E73", livelihood: "#E69F00",
    supervision: "#CC79A7", other: "#999999", none: "#999999", exclude: "#999999" };
  var SVGNS = "http://www.w3.org/2000/svg";

  // ------------------------------------------------------------------ small helpers
  function el(tag, attrs) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function sv(tag, attrs) {
    var node = document.createElementNS(SVGNS, tag);
    setAttrs(node, attrs);
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }
  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k === "onclick" || k === "oninput" || k === "onchange" || k === "onkeydown") node[k] = v;
      else node.setAttribute(k, v);
    });
  }
  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(node, c); }); return; }
    node.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  function fmt(x, digits) {
    if (x === null || x === undefined || Number.isNaN(x)) return "\u2013";
    if (typeof x !== "number") return String(x);
    if (Number.isInteger(x) && digits === undefined) return x.toLocaleString("en");
    return x.toFixed(digits === undefined ? 3 : digits);
  }
  function docOf(i) { return D.documents[i]; }
  function docIndex(id) { for (var i = 0; i < D.documents.length; i++) if (D.documents[i].doc_id === id) return i; return -1; }
  // The default lexicon's themes keep the figures' colours; other categories take the rest of the
  // Okabe-Ito palette in lexicon order.
  var EXTRA_COLOURS = ["#56B4E9", "#D55E00", "#0072B2", "#009E73", "#E69F00", "#CC79A7", "#000000", "#F0E442"];
  function colour(theme) {
    if (THEME_COLOURS[theme]) return THEME_COLOURS[theme];
    var i = D.themes.names.indexOf(theme);
    return i < 0 ? "#999999" : EXTRA_COLOURS[i % EXTRA_COLOURS.length];
  }
  function swatch(theme) { return el("span", { "class": "swatch", style: "background:" + colour(theme) }); }
  function where(p) {
    var P = D.paragraphs, d = docOf(P.doc[p]);
    var lines = P.line_start[p] === P.line_end[p] ? "line " + P.line_start[p] : "lines " + P.line_start[p] + "\u2013" + P.line_end[p];
    return d.doc_id + " \u00b6" + P.para_id[p] + " \u00b7 " + d.file + " " + lines;
  }
  function shortCommit(c) { return c ? String(c).slice(0, 10) : "unknown (not a git checkout)"; }

  // Provenance: which configuration, seed and commit produced the view (from run.json).
  function provenance(sections, seedText) {
    var run = D.run || {}, config = run.config || {};
    var shown = {};
    sections.forEach(function (s) { if (config[s] !== undefined) shown[s] = config[s]; });
    return el("div", { "class": "provenance" },
      "commit ", el("code", { text: shortCommit(run.git_commit) }),
      " \u00b7 seed ", el("code", { "class": "seed", text: seedText }),
      " \u00b7 version " + packageVersion(run.versions || {}) + " \u00b7 ",
      el("details", {}, el("summary", { text: "configuration (" + sections.join(", ") + ")" }),
        el("pre", { text: JSON.stringify(shown, null, 2) }),
        el("details", {}, el("summary", { text: "whole run record" }), el("pre", { text: JSON.stringify(run, null, 2) }))));
  }
  function packageVersion(v) { return v["spp-discourse"] || v.analysis || "?"; }
  function seeds() { return (D.run && D.run.seeds) || {}; }

  function sortableTable(columns, rows, opts) {
    // columns: [{key, label, num, render(row) -> node|string, digits}]; rows: array of objects
    opts = opts || {};
    var state = { key: opts.sortKey || null, desc: opts.desc !== undefined ? opts.desc : true };
    var table = el("table", { "class": opts.cls || "" });
    var thead = el("thead"), tbody = el("tbody");
    table.appendChild(thead); table.appendChild(tbody);
    function draw() {
      thead.innerHTML = ""; tbody.innerHTML = "";
      var tr = el("tr");
      columns.forEach(function (c) {
        var th = el("th", { "class": "sortable" + (c.num ? " num" : "") + (state.key === c.key ? (state.desc ? " sorted-desc" : " sorted-asc") : ""),
          "data-key": c.key, text: c.label });
        th.onclick = function () { if (state.key === c.key) state.desc = !state.desc; else { state.key = c.key; state.desc = !!c.num; } draw(); };
        tr.appendChild(th);
      });
      thead.appendChild(tr);
      var sorted = rows.slice();
      if (state.key) {
        sorted.sort(function (a, b) {
          var x = a[state.key], y = b[state.key];
          if (x === y) return 0;
          if (x === null || x === undefined) return 1;
          if (y === null || y === undefined) return -1;
          var r = x < y ? -1 : 1;
          return state.desc ? -r : r;
        });
      }
      sorted.forEach(function (row) {
        var tr2 = el("tr");
        columns.forEach(function (c) {
          var v = c.render ? c.render(row) : fmt(row[c.key], c.digits);
          tr2.appendChild(el("td", { "class": c.num ? "num" : "" }, v));
        });
        tbody.appendChild(tr2);
      });
    }
    draw();
    return table;
  }

  // ------------------------------------------------------------------ concordance (KWIC)
  // Same rules as analysis.discourse.kwic (analysis.query.parse_pattern, category_mask): a pattern is cut into words (a glob part is kept
  // whole and lower-cased, other parts are cut like the corpus); a word accepts tokens whose
  // lemma is its lemma or the word lower-cased; a glob is matched (fnmatch, case-sensitive)
  // against lemmas; a phrase matches consecutive tokens of one paragraph, stop words included.
  var TOKEN_RE = /(?<![\p{L}\p{N}_'])[A-Za-z]+(?:-[A-Za-z]+)*/gu;
  var GLOB_RE = /[*?\[]/;

  function patternWords(pattern) {
    var words = [];
    String(pattern).trim().split(/\s+/).forEach(function (part) {
      if (!part) return;
      if (GLOB_RE.test(part)) words.push(part.toLowerCase());
      else { var m = part.match(TOKEN_RE); if (m) words.push.apply(words, m); }
    });
    return words;
  }
  function escapeRe(c) { return c.replace(/[\\^$.*+?()[\]{}|\/-]/g, "\\$&"); }
  // fnmatch.translate: * any run, ? one character, [seq] / [!seq] a set; an unclosed [ is literal.
  function globRegExp(pat) {
    var out = "", i = 0, n = pat.length;
    while (i < n) {
      var c = pat[i++];
      if (c === "*") { if (!out.endsWith(".*")) out += ".*"; }
      else if (c === "?") out += ".";
      else if (c === "[") {
        var j = i;
        if (j < n && pat[j] === "!") j++;
        if (j < n && pat[j] === "]") j++;
        while (j < n && pat[j] !== "]") j++;
        if (j >= n) out += "\\[";
        else {
          var stuff = pat.slice(i, j), neg = false;
          i = j + 1;
          if (stuff[0] === "!") { neg = true; stuff = stuff.slice(1); }
          if (!stuff.length) { out += neg ? "." : "(?!)"; continue; }
          stuff = stuff.replace(/\\/g, "\\\\").replace(/\]/g, "\\]").replace(/\^/g, "\\^").replace(/\[/g, "\\[");
          out += "[" + (neg ? "^" : "") + stuff + "]";
        }
      } else out += escapeRe(c);
    }
    try { return new RegExp("^(?:" + out + ")$", "s"); } catch (e) { return /(?!)/; }
  }
  function lemmaMask(word) {
    var lemmas = D.tokens.lemmas, mask = new Uint8Array(lemmas.length), i;
    if (GLOB_RE.test(word)) {
      var re = globRegExp(word);
      for (i = 0; i < lemmas.length; i++) if (re.test(lemmas[i])) mask[i] = 1;
    } else {
      var low = word.toLowerCase();
      var lemma = Object.prototype.hasOwnProperty.call(D.tokens.forms, low) ? D.tokens.forms[low] : low;
      for (i = 0; i < lemmas.length; i++) if (lemmas[i] === lemma || lemmas[i] === low) mask[i] = 1;
    }
    return mask;
  }
  // Returns the rows of analysis.discourse.kwic(tokens, paragraphs, pattern, window), in corpus order.
  function kwic(pattern, window) {
    window = window === undefined ? D.window : window;
    if (!Number.isInteger(window) || window < 1) throw new Error("kwic: window must be an integer >= 1; got " + window);
    var words = patternWords(pattern);
    if (!words.length) throw new Error("kwic: pattern '" + pattern + "' has no word to match");
    var masks = words.map(lemmaMask), k = words.length;
    var P = D.paragraphs, Tk = D.tokens, lem = Tk.lem, rows = [];
    for (var p = 0; p < P.text.length; p++) {
      var a = P.tok[p], b = P.tok[p + 1];
      for (var i = a; i + k <= b; i++) {
        var ok = true;
        for (var j = 0; j < k; j++) if (!masks[j][lem[i + j]]) { ok = false; break; }
        if (!ok) continue;
        var last = i + k - 1, text = P.text[p];
        var leftI = Math.max(i - window, a), rightI = Math.min(last + window, b - 1);
        rows.push({
          doc_id: docOf(P.doc[p]).doc_id, para_id: P.para_id[p], para: p,
          line_start: P.line_start[p] + Tk.line[i],
          left: leftI < i ? text.slice(Tk.start[leftI], Tk.start[i]).trim() : "",
          match: text.slice(Tk.start[i], Tk.end[last]),
          right: rightI > last ? text.slice(Tk.end[last], Tk.end[rightI]).trim() : "",
          line_end: P.line_start[p] + Tk.line[last],
          token_start: i - a, token_end: last - a + 1
        });
      }
    }
    return rows;
  }

  // ------------------------------------------------------------------ views
  var views = {}, built = {};

  views.overview = function (root) {
    var docs = D.documents, P = D.paragraphs, C = D.cleaning;
    var nTok = docs.reduce(function (s, d) { return s + d.n_tokens; }, 0);
    root.appendChild(el("h2", { text: "Corpus overview" }));
    root.appendChild(provenance(["corpus", "tokens"], "none (no random step)"));
    root.appendChild(el("p", {}, docs.length + " documents, " + fmt(P.text.length) + " analysed paragraphs, " +
      fmt(nTok) + " word tokens, " + fmt(D.tokens.lemmas.length) + " lemma types, " + fmt(C.rule.length) + " cleaning-log rows."));
    root.appendChild(sortableTable([
      { key: "doc_id", label: "doc_id" }, { key: "title", label: "title" }, { key: "date", label: "date" },
      { key: "genre", label: "genre" }, { key: "translation", label: "translation" },
      { key: "version_of", label: "version of" }, { key: "file", label: "seed file" },
      { key: "n_paragraphs", label: "paragraphs", num: true }, { key: "n_analysed", label: "analysed", num: true },
      { key: "n_tokens", label: "tokens", num: true }, { key: "n_chars", label: "characters", num: true },
      { key: "kinds", label: "kinds", render: function (r) {
        return Object.keys(r.kinds).map(function (k) { return k + " " + r.kinds[k]; }).join(", "); } }
    ], docs, { cls: "documents" }));
    root.appendChild(el("h3", { text: "Cleaning log: changes per rule and document" }));
    root.appendChild(el("p", { "class": "note", text: "Click a count to list the changes (with the seed-file line)." }));
    var rules = Object.keys(C.rules), counts = {};
    C.rule.forEach(function (r, i) { var key = r + "|" + C.doc_id[i]; counts[key] = (counts[key] || 0) + 1; });
    var detail = el("div", { "class": "cleaning-detail" });
    var head = el("tr", {}, el("th", { text: "rule" }), docs.map(function (d) { return el("th", { "class": "num", text: d.doc_id }); }),
      el("th", { "class": "num", text: "total" }), el("th", { text: "what it does" }));
    var body = rules.map(function (r) {
      var total = 0;
      var cells = docs.map(function (d) {
        var n = counts[r + "|" + d.doc_id] || 0; total += n;
        if (!n) return el("td", { "class": "num", text: "0" });
        return el("td", { "class": "num cell", "data-rule": r, "data-doc": d.doc_id, text: String(n),
          onclick: function () { showLog(r, d.doc_id); } });
      });
      return el("tr", {}, el("td", { text: r }), cells, el("td", { "class": "num rule-total", "data-rule": r, text: String(total) }),
        el("td", { "class": "note", text: C.rules[r] }));
    });
    root.appendChild(el("table", { "class": "cleaning" }, el("thead", {}, head), el("tbody", {}, body)));
    root.appendChild(detail);
    function showLog(rule, doc) {
      detail.innerHTML = "";
      var file = docs[docIndex(doc)].file;
      var rows = [];
      C.rule.forEach(function (r, i) { if (r === rule && C.doc_id[i] === doc) rows.push({ line: C.line[i], changed: C.changed[i] }); });
      detail.appendChild(el("h3", { text: rule + " in " + doc + ": " + rows.length + " changes" }));
      detail.appendChild(sortableTable([{ key: "line", label: file + " line", num: true }, { key: "changed", label: "change" }], rows,
        { sortKey: "line", desc: false }));
    }
  };

  views.categories = function (root) {
    var Th = D.themes, names = Th.names;
    root.appendChild(el("h2", { text: "Categories (" + Th.names.join(", ") + ") by document and year" }));
    root.appendChild(provenance(["themes"], "themes bootstrap " + Th.seed + " (" + fmt(Th.n_boot) + " replicates)"));
    var measure = "share";
    var controls = el("div", { "class": "controls" },
      el("label", {}, "measure ", el("select", { id: "theme-measure", onchange: function (e) { measure = e.target.value; draw(); } },
        el("option", { value: "share", text: "share of all categories' matches" }),
        el("option", { value: "rate_per_1k", text: "matches per 1,000 tokens" }))));
    root.appendChild(controls);
    root.appendChild(el("p", { "class": "note", text: "Each cell: estimate and its " + Math.round(Th.ci_level * 100) +
      "% paragraph-bootstrap percentile interval; the bar draws the interval. Click a cell to list the paragraphs behind it. " +
      "Year rows leave out documents that are another English version of a corpus document." }));
    var tables = el("div", { "class": "grid2" }), detail = el("div", { "class": "paras", id: "theme-paragraphs" });
    root.appendChild(tables); root.appendChild(detail);
    var selected = null;

    function rows(level) {
      var src = level === "doc" ? Th.doc : Th.year, out = [];
      for (var i = 0; i < src.theme.length; i++) {
        var r = {};
        Object.keys(src).forEach(function (k) { r[k] = src[k][i]; });
        out.push(r);
      }
      return out;
    }
    function intervalBar(v, lo, hi, max) {
      var w = 90, h = 12, s = function (x) { return max > 0 ? 2 + (w - 4) * Math.min(x, max) / max : 2; };
      var g = sv("svg", { width: w, height: h, "class": "ci-bar" });
      if (lo !== null && hi !== null) g.appendChild(sv("line", { x1: s(lo), x2: s(hi), y1: h / 2, y2: h / 2, stroke: "#555", "stroke-width": 1.5 }));
      if (v !== null) g.appendChild(sv("circle", { cx: s(v), cy: h / 2, r: 3, fill: "#D55E00" }));
      return g;
    }
    function table(level) {
      var data = rows(level), keyName = level === "doc" ? "doc" : "year";
      var units = [];
      data.forEach(function (r) { if (units.indexOf(r[keyName]) < 0) units.push(r[keyName]); });
      if (level === "doc") units.sort(function (a, b) { return a - b; });
      var lo = measure === "share" ? "share_ci_low" : "rate_ci_low", hi = measure === "share" ? "share_ci_high" : "rate_ci_high";
      var max = 0;
      data.forEach(function (r) { if (r[hi] !== null) max = Math.max(max, r[hi]); });
      var head = el("tr", {}, el("th", { text: level === "doc" ? "document" : "year" }),
        names.map(function (t) { return el("th", {}, swatch(t), t); }));
      var body = units.map(function (u) {
        var label = level === "doc" ? docOf(u).doc_id : String(u) + " (" + (Th.year_docs[String(u)] || []).map(function (i) { return docOf(i).doc_id; }).join(", ") + ")";
        return el("tr", {}, el("td", { text: label }), names.map(function (t) {
          var r = data.filter(function (x) { return x[keyName] === u && x.theme === t; })[0];
          if (!r) return el("td", { text: "\u2013" });
          var paras = paragraphsBehind(level, u, t);
          var td = el("td", { "class": "cell", "data-level": level, "data-unit": String(level === "doc" ? docOf(u).doc_id : u),
            "data-theme": t, "data-count": String(r.count), "data-paragraphs": String(paras.length),
            title: r.count + " matches in " + paras.length + " paragraphs; " + r.n_paragraphs + " analysed paragraphs, " + fmt(r.n_tokens) + " tokens",
            onclick: function () { select(td, level, u, t, r); } },
            el("div", {}, fmt(r[measure], measure === "share" ? 2 : 1), " ",
              el("span", { "class": "ci", text: "[" + fmt(r[lo], measure === "share" ? 2 : 1) + ", " + fmt(r[hi], measure === "share" ? 2 : 1) + "]" })),
            intervalBar(r[measure], r[lo], r[hi], max),
            el("div", { "class": "ci", text: r.count + " matches" }));
          return td;
        }));
      });
      return el("div", {}, el("h3", { text: level === "doc" ? "By document" : "By year" }),
        el("table", { "class": "themes-" + level }, el("thead", {}, head), el("tbody", {}, body)));
    }
    function paragraphsBehind(level, unit, theme) {
      var docs = level === "doc" ? [unit] : (Th.year_docs[String(unit)] || []);
      var ti = names.indexOf(theme), P = D.paragraphs, out = [];
      for (var p = 0; p < P.text.length; p++) if (docs.indexOf(P.doc[p]) >= 0 && Th.para.counts[ti][p] > 0) out.push(p);
      return out;
    }
    function select(td, level, unit, theme, r) {
      if (selected) selected.classList.remove("selected");
      selected = td; td.classList.add("selected");
      var paras = paragraphsBehind(level, unit, theme);
      detail.innerHTML = "";
      var label = level === "doc" ? docOf(unit).doc_id : "year " + unit;
      detail.appendChild(el("h3", { id: "theme-detail-title" }, swatch(theme),
        theme + " in " + label + ": " + r.count + " matches in " + paras.length + " paragraphs"));
      detail.appendChild(el("p", { "class": "note", text: "Highlighted: every lexicon match (underline colour = theme); the " + theme +
        " matches are filled. Label = the paragraph's theme (highest score, 'none' below " + Th.min_score + " per 100 tokens)." }));
      paras.forEach(function (p) {
        var ti = names.indexOf(theme);
        detail.appendChild(el("div", { "class": "para-item", "data-para": String(p) },
          el("div", { "class": "para-head" }, where(p) + " \u00b7 label " + Th.para.label[p] + " \u00b7 " +
            Th.para.counts[ti][p] + " " + theme + " matches"),
          highlighted(p, theme)));
      });
    }
    function draw() {
      tables.innerHTML = "";
      tables.appendChild(table("doc"));
      tables.appendChild(table("year"));
    }
    draw();
  };

  var matchesByPara = null;
  function highlighted(p, theme) {
    if (!matchesByPara) {
      matchesByPara = {};
      var M = D.themes.matches;
      for (var i = 0; i < M.para.length; i++) (matchesByPara[M.para[i]] = matchesByPara[M.para[i]] || []).push(i);
    }
    var M = D.themes.matches, names = D.themes.names.concat(["exclude"]), text = D.paragraphs.text[p];
    var list = (matchesByPara[p] || []).slice().sort(function (a, b) { return M.start[a] - M.start[b]; });
    var div = el("div", { "class": "para-text" }), at = 0;
    list.forEach(function (i) {
      if (M.start[i] < at) return;
      div.appendChild(document.createTextNode(text.slice(at, M.start[i])));
      var t = names[M.theme[i]];
      div.appendChild(el("mark", { "class": (t === "exclude" ? "exclude" : "cat") + (t === theme ? " hit" : ""),
        style: "border-bottom-color:" + colour(t), title: t + ": " + D.themes.entries[M.entry[i]],
        text: text.slice(M.start[i], M.end[i]) }));
      at = M.end[i];
    });
    div.appendChild(document.createTextNode(text.slice(at)));
    return div;
  }

  // ------------------------------------------------------------------ topic browser (LDAvis)
  var TOPIC_STATE = { fit: null, topic: 0, lambda: null };
  // Terms of a topic ranked by relevance = lambda log(phi) + (1 - lambda) log(phi / p(w))
  // (Sievert & Shirley 2014); ties by vocabulary order. Returns [{term, id, phi, relevance}].
  function relevanceOrder(fitIndex, topic, lambda) {
    var Tp = D.topics, t = Tp.fits[fitIndex].topics[topic], out = [];
    for (var i = 0; i < t.terms.length; i++) {
      var id = t.terms[i], phi = t.phi[i], pw = Tp.counts[id] / Tp.total;
      var r = lambda * Math.log(phi) + (1 - lambda) * Math.log(phi / pw);
      out.push({ id: id, term: Tp.vocab[id], phi: phi, pw: pw, relevance: Number.isNaN(r) ? -Infinity : r });
    }
    out.sort(function (a, b) { return b.relevance - a.relevance || a.id - b.id; });
    return out.slice(0, Tp.relevance_terms);
  }
  function findFit(model, k, seed) {
    var F = D.topics.fits;
    for (var i = 0; i < F.length; i++) if (F[i].model === model && F[i].k === k && F[i].seed === seed) return i;
    return -1;
  }

  views.topics = function (root) {
    var Tp = D.topics, F = Tp.fits;
    root.appendChild(el("h2", { text: "Topic browser" }));
    if (!F.length) { root.appendChild(el("p", { text: "No topic model in this run." })); return; }
    var seedText = "topics " + ((D.run.config || {}).topics || {}).seed + "; fit seeds " + (seeds().topic_fits || []).join(", ");
    root.appendChild(provenance(["topics"], seedText));
    var models = [], ks = {}, fitSeeds = [];
    F.forEach(function (f) {
      if (models.indexOf(f.model) < 0) models.push(f.model);
      (ks[f.model] = ks[f.model] || []).indexOf(f.k) < 0 && ks[f.model].push(f.k);
      if (fitSeeds.indexOf(f.seed) < 0) fitSeeds.push(f.seed);
    });
    var model = models.indexOf("seeded") >= 0 ? "seeded" : models[0];
    var k = Tp.analysis_k[model] || ks[model][0], seed = fitSeeds[0];
    var selModel = el("select", { id: "topic-model" }), selK = el("select", { id: "topic-k" }), selSeed = el("select", { id: "topic-seed" });
    models.forEach(function (m) { selModel.appendChild(el("option", { value: m, text: m })); });
    fitSeeds.forEach(function (s) { selSeed.appendChild(el("option", { value: String(s), text: String(s) })); });
    function fillK() {
      selK.innerHTML = "";
      ks[model].forEach(function (kk) { selK.appendChild(el("option", { value: String(kk), text: kk + (Tp.analysis_k[model] === kk ? " (analysis K)" : "") })); });
      if (ks[model].indexOf(k) < 0) k = Tp.analysis_k[model] || ks[model][0];
      selK.value = String(k);
    }
    selModel.value = model; selSeed.value = String(seed); fillK();
    selModel.onchange = function () { model = selModel.value; fillK(); change(); };
    selK.onchange = function () { k = Number(selK.value); change(); };
    selSeed.onchange = function () { seed = Number(selSeed.value); change(); };
    var lam = el("input", { type: "range", id: "lambda", min: "0", max: "1", step: String(1 / Tp.lambda_steps), value: String(Tp.default_lambda) });
    var lamOut = el("output", { id: "lambda-value", text: String(Tp.default_lambda) });
    lam.oninput = function () { lamOut.textContent = Number(lam.value).toFixed(2); drawBars(); };
    root.appendChild(el("div", { "class": "controls" },
      el("label", {}, "model ", selModel), el("label", {}, "K ", selK), el("label", {}, "seed ", selSeed),
      el("label", {}, "relevance \u03bb ", lam, " ", lamOut), el("span", { "class": "note", id: "fit-scores" })));
    var layout = el("div", { "class": "ldavis" }), mapBox = el("div"), barBox = el("div");
    layout.appendChild(mapBox); layout.appendChild(barBox);
    root.appendChild(layout);
    var info = el("div", { id: "topic-info" });
    root.appendChild(info);
    root.appendChild(el("p", { "class": "note", text: "Intertopic distance map: Jensen-Shannon distance (base 2) between the topics' " +
      "term distributions, laid out in two dimensions by classical scaling; circle area = topic prevalence (share of the bag's " +
      fmt(Tp.total) + " tokens). Bars: grey = the term's count in the corpus; red = its estimated count in the topic (phi \u00d7 topic tokens). " +
      "Relevance = \u03bb log(phi) + (1 \u2212 \u03bb) log(phi / p(w)); \u03bb = 1 ranks by probability, small \u03bb by lift." }));

    function change() {
      TOPIC_STATE.fit = findFit(model, k, seed);
      TOPIC_STATE.topic = 0;
      var f = F[TOPIC_STATE.fit], s = f.scores || {};
      document.getElementById("fit-scores").textContent = "coherence c_v " + fmt(s.c_v) + ", c_npmi " + fmt(s.c_npmi) +
        ", u_mass " + fmt(s.u_mass, 2) + "; held-out perplexity " + fmt(s.perplexity, 0) + (f.analysis_k ? " \u00b7 analysis K" : "");
      drawMap(); drawBars(); drawInfo();
    }
    var circles = [];
    // Hovering a term: circle areas show p(topic | term) instead of the topics' prevalence (LDAvis).
    function termView(id) {
      var f = F[TOPIC_STATE.fit], tt = f.term_topics, j = id === null ? -1 : tt.terms.indexOf(id);
      var maxArea = Math.max.apply(null, f.topics.map(function (t) { return t.prevalence; }));
      f.topics.forEach(function (t, i) {
        var area = j < 0 ? t.prevalence : tt.per_10k[j][i] / 1e4 * maxArea;
        if (circles[i]) circles[i].setAttribute("r", String(6 + 55 * Math.sqrt(area)));
      });
      var cap = document.getElementById("map-caption");
      if (cap) cap.textContent = j < 0 ? "circle area: topic prevalence" :
        "circle area: p(topic | " + Tp.vocab[id] + ") (the largest topic's size = 1)";
    }
    function drawMap() {
      var f = F[TOPIC_STATE.fit], W = 420, H = 420;
      var radius = function (t) { return 6 + 55 * Math.sqrt(t.prevalence); };
      circles = [];
      var pad = 8 + Math.max.apply(null, f.topics.map(radius));
      var xs = f.topics.map(function (t) { return t.x; }), ys = f.topics.map(function (t) { return t.y; });
      var span = Math.max(1e-9, Math.max.apply(null, xs.map(Math.abs).concat(ys.map(Math.abs))));
      var sx = function (x) { return W / 2 + (W / 2 - pad) * x / span; }, sy = function (y) { return H / 2 - (H / 2 - pad) * y / span; };
      var svg = sv("svg", { width: W, height: H, id: "topic-map" },
        sv("line", { x1: 0, x2: W, y1: H / 2, y2: H / 2, stroke: "#ccc" }), sv("line", { x1: W / 2, x2: W / 2, y1: 0, y2: H, stroke: "#ccc" }),
        sv("text", { x: W - 4, y: H / 2 - 4, "text-anchor": "end", "font-size": 11, fill: "#666" }, "PC1"),
        sv("text", { x: W / 2 + 4, y: 12, "font-size": 11, fill: "#666" }, "PC2"));
      var order = f.topics.map(function (_, i) { return i; }).sort(function (a, b) { return f.topics[b].prevalence - f.topics[a].prevalence; });
      order.forEach(function (i) {
        var t = f.topics[i], r = radius(t);
        var c = sv("circle", { "class": "topic" + (i === TOPIC_STATE.topic ? " selected" : ""), cx: sx(t.x), cy: sy(t.y), r: r,
          fill: colour(t.theme), "data-topic": String(i) });
        circles[i] = c;
        c.appendChild(sv("title", {}, "topic " + i + " (" + (t.theme || "?") + "): " + (100 * t.prevalence).toFixed(1) + "% of tokens"));
        c.addEventListener("click", function () { TOPIC_STATE.topic = i; drawMap(); drawBars(); drawInfo(); });
        svg.appendChild(c);
      });
      var placed = [];
      order.forEach(function (i) {      // labels above every circle, moved down where centres coincide
        var t = f.topics[i], x = sx(t.x), y = sy(t.y) + 4;
        while (placed.some(function (q) { return Math.abs(q[0] - x) < 12 && Math.abs(q[1] - y) < 12; })) y += 13;
        placed.push([x, y]);
        svg.appendChild(sv("text", { x: x, y: y, "text-anchor": "middle", "font-size": 12, "font-weight": 600,
          "pointer-events": "none" }, String(i)));
      });
      var themesShown = [];
      f.topics.forEach(function (t) { if (t.theme && themesShown.indexOf(t.theme) < 0) themesShown.push(t.theme); });
      themesShown.sort().forEach(function (th, j) {
        svg.appendChild(sv("circle", { cx: 10, cy: H - 10 - 14 * j, r: 5, fill: colour(th), "fill-opacity": 0.6 }));
        svg.appendChild(sv("text", { x: 19, y: H - 6 - 14 * j, "font-size": 11, fill: "#444" }, th));
      });
      mapBox.innerHTML = ""; mapBox.appendChild(el("h3", { text: "Intertopic distance map (" + model + ", K=" + k + ", seed " + seed + ")" })); mapBox.appendChild(svg);
      mapBox.appendChild(el("div", { "class": "note", id: "map-caption", text: "circle area: topic prevalence" }));
    }
    function drawBars() {
      var f = F[TOPIC_STATE.fit], t = f.topics[TOPIC_STATE.topic], lambda = Number(lam.value);
      var terms = relevanceOrder(TOPIC_STATE.fit, TOPIC_STATE.topic, lambda);
      var topicTokens = t.prevalence * Tp.total;
      var maxCount = Math.max.apply(null, terms.map(function (x) { return x.pw * Tp.total; }));
      var longest = Math.max.apply(null, terms.map(function (x) { return x.term.length; }));
      var rowH = 14, left = Math.min(300, 12 + 6.6 * longest), W = left + 380, H = 24 + rowH * terms.length;
      var svg = sv("svg", { width: W, height: H, "class": "bars", id: "term-bars" });
      terms.forEach(function (x, i) {
        var y = 18 + i * rowH, total = x.pw * Tp.total, inTopic = x.phi * topicTokens, w = W - left - 10;
        var label = sv("text", { "class": "term", x: left - 4, y: y + 10, "text-anchor": "end", "data-term": x.term }, x.term);
        label.addEventListener("click", function () { goConcordance(x.term.replace(/_/g, " ")); });
        label.addEventListener("mouseenter", function () { termView(x.id); });
        label.addEventListener("mouseleave", function () { termView(null); });
        label.appendChild(sv("title", {}, x.term + ": phi " + x.phi.toPrecision(3) + ", p(w) " + x.pw.toPrecision(3) +
          ", relevance " + x.relevance.toFixed(3) + " (click: concordance)"));
        svg.appendChild(label);
        svg.appendChild(sv("rect", { x: left, y: y + 1, width: w * total / maxCount, height: rowH - 3, fill: "#c8c8c8" }));
        svg.appendChild(sv("rect", { x: left, y: y + 1, width: w * Math.min(inTopic, total) / maxCount, height: rowH - 3, fill: "#D55E00" }));
      });
      svg.appendChild(sv("text", { x: left, y: 11, "font-size": 11, fill: "#666" }, "top " + terms.length + " terms of topic " + TOPIC_STATE.topic + " at \u03bb = " + lambda.toFixed(2)));
      barBox.innerHTML = ""; barBox.appendChild(el("h3", { text: "Most relevant terms" })); barBox.appendChild(svg);
    }
    function drawInfo() {
      var f = F[TOPIC_STATE.fit], i = TOPIC_STATE.topic, t = f.topics[i];
      info.innerHTML = "";
      info.appendChild(el("h3", {}, swatch(t.theme), "Topic " + i + ": mapped to " + (t.theme || "?") +
        (t.lift !== null && t.theme !== "other" ? " (lift " + fmt(t.lift, 2) + ")" : "") + ", " + (100 * t.prevalence).toFixed(1) + "% of tokens" +
        (t.similarity !== null ? "; stability across seeds " + fmt(t.similarity, 2) + (t.stable ? " (stable)" : " (unstable)") : "")));
      info.appendChild(el("p", {}, el("b", { text: "FREX terms: " }), t.frex.map(function (id, j) {
        var term = Tp.vocab[id];
        return [j ? ", " : "", el("a", { "class": "term", href: "#concordance?q=" + encodeURIComponent(term.replace(/_/g, " ")), text: term })];
      })));
      info.appendChild(el("h3", { text: "Most typical paragraphs (highest share of topic " + i + ")" }));
      t.typical.forEach(function (pair) {
        var p = pair[0];
        info.appendChild(el("div", { "class": "para-item typical" },
          el("div", { "class": "para-head", text: where(p) + " \u00b7 share " + pair[1].toFixed(3) }),
          el("div", { text: D.paragraphs.text[p] })));
      });
    }
    change();
  };

  // ------------------------------------------------------------------ concordance view
  var CONC = {};
  views.concordance = function (root) {
    root.appendChild(el("h2", { text: "Concordance" }));
    root.appendChild(provenance(["discourse", "tokens"], "none (no random step)"));
    var input = el("input", { type: "text", id: "kwic-pattern", placeholder: "word, lemma, phrase or glob (supervis*)" });
    var win = el("input", { type: "number", id: "kwic-window", min: "1", value: String(D.window), style: "width:4em" });
    var docSel = el("select", { id: "kwic-doc" }, el("option", { value: "", text: "all documents" }),
      D.documents.map(function (d) { return el("option", { value: d.doc_id, text: d.doc_id }); }));
    var go = el("button", { id: "kwic-go", text: "Search" });
    root.appendChild(el("div", { "class": "controls" }, input, el("label", {}, "window ", win, " tokens"), docSel, go));
    root.appendChild(el("p", { "class": "note", text: "A word matches its lemma and itself lower-cased; several words match a phrase " +
      "of consecutive tokens of one paragraph (stop words included); * ? [..] make a glob on lemmas. The rows are those of `analysis kwic`." }));
    var status = el("p", { id: "kwic-status" }), out = el("div", { id: "kwic-results" });
    root.appendChild(status); root.appendChild(out);
    function run() {
      var rows;
      try { rows = kwic(input.value, Number(win.value)); }
      catch (e) { status.className = "error"; status.textContent = e.message; out.innerHTML = ""; return; }
      if (docSel.value) rows = rows.filter(function (r) { return r.doc_id === docSel.value; });
      status.className = ""; status.textContent = rows.length + " matches of \u201c" + input.value + "\u201d";
      render(rows);
    }
    function render(rows) {
      out.innerHTML = "";
      var shown = rows.slice(0, 5000);
      var body = shown.map(function (r) {
        var d = D.documents[docIndex(r.doc_id)];
        return el("tr", { "class": "kwic-row" }, el("td", { text: r.doc_id }), el("td", { "class": "num", text: String(r.para_id) }),
          el("td", { "class": "num", title: d.file, text: r.line_start === r.line_end ? String(r.line_start) : r.line_start + "\u2013" + r.line_end }),
          el("td", { "class": "left" }, el("span", { text: r.left })), el("td", { "class": "match", text: r.match }),
          el("td", { "class": "right", text: r.right }), r.variant !== undefined ? el("td", { "class": "variant", text: r.variant }) : null);
      });
      var head = el("tr", {}, ["doc_id", "\u00b6", "line", "left", "match", "right"].map(function (h) { return el("th", { text: h }); }),
        shown.length && shown[0].variant !== undefined ? el("th", { text: "variant" }) : null);
      out.appendChild(el("table", { "class": "kwic" }, el("thead", {}, head), el("tbody", {}, body)));
      if (rows.length > shown.length) out.appendChild(el("p", { "class": "note", text: (rows.length - shown.length) + " more rows not shown" }));
    }
    function formulation(id, unit) {
      var Fm = D.formulations, C = Fm.concordance, rows = [], docs = null;
      if (unit && unit.doc !== undefined) docs = [unit.doc];
      if (unit && unit.year !== undefined) docs = D.documents.map(function (d, i) { return d.year === unit.year && !d.version_of ? i : -1; })
        .filter(function (i) { return i >= 0; });
      for (var i = 0; i < C.formulation_id.length; i++) {
        if (C.formulation_id[i] !== id) continue;
        var p = C.para[i], d = D.paragraphs.doc[p];
        if (docs && docs.indexOf(d) < 0) continue;
        rows.push({ doc_id: docOf(d).doc_id, para_id: D.paragraphs.para_id[p], line_start: C.line_start[i], line_end: C.line_end[i],
          left: C.left[i], match: C.match[i], right: C.right[i], variant: C.variant[i] });
      }
      var f = Fm.list.filter(function (x) { return x.id === id; })[0];
      input.value = "";
      status.className = "";
      status.textContent = rows.length + " matches of formulation " + id + (f ? " (" + f.canonical + "; variants: " + f.variants.join(" / ") + ")" : "") +
        (unit && unit.doc !== undefined ? " in " + docOf(unit.doc).doc_id : "") + (unit && unit.year !== undefined ? " in " + unit.year : "");
      render(rows);
    }
    go.onclick = run;
    input.onkeydown = function (e) { if (e.key === "Enter") run(); };
    CONC.search = function (q, doc) { input.value = q; docSel.value = doc || ""; run(); };
    CONC.formulation = formulation;
  };
  function goConcordance(q) { location.hash = "#concordance?q=" + encodeURIComponent(q); }

  // ------------------------------------------------------------------ keyness
  views.keyness = function (root) {
    var K = D.keyness;
    root.appendChild(el("h2", { text: "Keyness" }));
    root.appendChild(provenance(["discourse"], "none (no random step)"));
    if (!K.length) { root.appendChild(el("p", { text: "No comparison." })); return; }
    var sel = el("select", { id: "keyness-comparison" }, K.map(function (c, i) { return el("option", { value: String(i), text: c.title }); }));
    root.appendChild(el("div", { "class": "controls" }, el("label", {}, "comparison ", sel)));
    var box = el("div");
    root.appendChild(box);
    function draw() {
      var c = K[Number(sel.value)], R = c.rows, rows = [];
      for (var i = 0; i < R.term.length; i++) { var r = {}; Object.keys(R).forEach(function (k) { r[k] = R[k][i]; }); rows.push(r); }
      box.innerHTML = "";
      box.appendChild(el("p", { "class": "note", text: "Target " + c.target.join(", ") + " (" + fmt(c.n_target) + " tokens) against " +
        c.reference.join(", ") + " (" + fmt(c.n_reference) + " tokens); " + fmt(c.n_tested) + " terms tested, the " +
        "strongest (G2) of each side shown. Log ratio = log2 of the relative frequencies, with its 95% interval; p_adj: Benjamini-Hochberg. " +
        "Click a column to sort, a term for its concordance." }));
      box.appendChild(sortableTable([
        { key: "term", label: "term", render: function (r) {
          return el("a", { "class": "term", href: "#concordance?q=" + encodeURIComponent(r.term.replace(/_/g, " ")), text: r.term }); } },
        { key: "key_for", label: "key for" },
        { key: "freq_target", label: "freq target", num: true }, { key: "freq_reference", label: "freq reference", num: true },
        { key: "per_10k_target", label: "per 10k target", num: true, digits: 1 }, { key: "per_10k_reference", label: "per 10k reference", num: true, digits: 1 },
        { key: "g2", label: "G2", num: true, digits: 2 }, { key: "p_adj", label: "p_adj", num: true, render: function (r) { return r.p_adj === null ? "\u2013" : r.p_adj.toExponential(2); } },
        { key: "log_ratio", label: "log ratio [95% CI]", num: true, render: function (r) {
          return [fmt(r.log_ratio, 2), " ", el("span", { "class": "ci", text: "[" + fmt(r.log_ratio_ci_low, 2) + ", " + fmt(r.log_ratio_ci_high, 2) + "]" })]; } },
        { key: "para_target", label: "paragraphs target", num: true }, { key: "para_reference", label: "paragraphs reference", num: true }
      ], rows, { sortKey: "g2", desc: true, cls: "keyness" }));
    }
    sel.onchange = draw;
    draw();
  };

  // ------------------------------------------------------------------ formulations
  views.formulations = function (root) {
    var Fm = D.formulations;
    root.appendChild(el("h2", { text: "Official formulations" }));
    root.appendChild(provenance(["discourse"], "none (no random step)"));
    var by = el("select", { id: "formulation-by" }, el("option", { value: "doc", text: "by document" }), el("option", { value: "year", text: "by year" }));
    root.appendChild(el("div", { "class": "controls" }, el("label", {}, "counts ", by)));
    root.appendChild(el("p", { "class": "note", text: Fm.list.length + " of the list's " + Fm.n_listed + " formulations occur. " +
      "Cells: matches (rate per 10,000 tokens; by document with its exact Poisson 95% interval). Year columns leave out " +
      "other English versions of a document. Click a formulation or a cell for the concordance." }));
    var box = el("div");
    root.appendChild(box);
    function draw() {
      box.innerHTML = "";
      var level = by.value, units;
      var src = level === "doc" ? Fm.doc : Fm.year, idx = {};
      for (var i = 0; i < src.formulation_id.length; i++) idx[src.formulation_id[i] + "|" + (level === "doc" ? src.doc[i] : src.year[i])] = i;
      if (level === "doc") units = D.documents.map(function (_, i) { return i; });
      else { units = []; src.year.forEach(function (y) { if (units.indexOf(y) < 0) units.push(y); }); units.sort(); }
      var max = 0;
      src.count.forEach(function (c) { max = Math.max(max, c); });
      var head = el("tr", {}, el("th", { text: "formulation" }), el("th", { text: "category" }),
        units.map(function (u) { return el("th", { "class": "num", text: level === "doc" ? docOf(u).doc_id : String(u) }); }));
      var body = Fm.list.map(function (f) {
        return el("tr", {}, el("td", {}, el("a", { "class": "term formulation", href: "#concordance?f=" + f.id, text: f.canonical }),
          el("span", { "class": "badge", text: String(f.total) })), el("td", { "class": "note", text: f.category }),
          units.map(function (u) {
            var i = idx[f.id + "|" + u];
            if (i === undefined || !src.count[i]) return el("td", { "class": "num note", text: "0" });
            var shade = 0.15 + 0.6 * src.count[i] / max;
            var title = level === "doc" ? "rate " + fmt(src.rate_per_10k[i], 2) + " [" + fmt(src.rate_ci_low[i], 2) + ", " + fmt(src.rate_ci_high[i], 2) +
              "] per 10,000 tokens; first at line " + src.first_line[i] : "rate " + fmt(src.rate_per_10k[i], 2) + " per 10,000 tokens, " + src.n_docs[i] + " documents";
            return el("td", { "class": "num cell", style: "background: rgba(213,94,0," + shade.toFixed(2) + ")", title: title,
              onclick: function () { location.hash = "#concordance?f=" + f.id + (level === "doc" ? "&doc=" + u : "&year=" + u); } },
              String(src.count[i]), " ", el("span", { "class": "ci", text: "(" + fmt(src.rate_per_10k[i], 1) + ")" }));
          }));
      });
      box.appendChild(el("table", { "class": "heat formulations" }, el("thead", {}, head), el("tbody", {}, body)));
    }
    by.onchange = draw;
    draw();
  };

  // ------------------------------------------------------------------ routing
  function show(name, params) {
    if (!views[name]) name = "overview";
    var main = document.getElementById("main");
    var loading = document.getElementById("loading");
    if (loading) loading.remove();
    Object.keys(built).forEach(function (v) { built[v].classList.toggle("active", v === name); });
    if (!built[name]) {
      var sec = el("section", { "class": "view active", id: "view-" + name });
      main.appendChild(sec);
      built[name] = sec;
      views[name](sec);
    }
    document.querySelectorAll("#nav a").forEach(function (a) { a.classList.toggle("active", a.getAttribute("data-view") === name); });
    if (name === "concordance" && params) {
      if (params.get("q") !== null) CONC.search(params.get("q"), params.get("doc"));
      else if (params.get("f") !== null) {
        var unit = params.get("doc") !== null ? { doc: Number(params.get("doc")) } : params.get("year") !== null ? { year: Number(params.get("year")) } : null;
        CONC.formulation(params.get("f"), unit);
      }
    }
  }
  function route() {
    var h = location.hash.replace(/^#/, ""), q = h.indexOf("?");
    show(q >= 0 ? h.slice(0, q) : h || "overview", q >= 0 ? new URLSearchParams(h.slice(q + 1)) : null);
  }
  window.addEventListener("hashchange", route);
  route();
  window.EXPLORER = { kwic: kwic, patternWords: patternWords, relevanceOrder: relevanceOrder, findFit: findFit,
    show: show, state: TOPIC_STATE, readyMs: performance.now() - T0 };
  document.body.setAttribute("data-ready", "1");
})();
