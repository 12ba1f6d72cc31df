// The demo page: reads the form, calls POST /v1/analyze, draws the answer. No framework, no build step.
// Text from the article or the server is only ever set with textContent, never parsed as HTML.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);

  // spaCy's entity types, in words an editor reads.
  const ENTITY_TYPES = {
    PERSON: "People", ORG: "Organisations", GPE: "Countries, cities and states", LOC: "Other places",
    NORP: "Nationalities, religious and political groups", FAC: "Buildings and facilities",
    EVENT: "Events", PRODUCT: "Products", WORK_OF_ART: "Works of art", LAW: "Laws",
    LANGUAGE: "Languages", DATE: "Dates", TIME: "Times", MONEY: "Money", PERCENT: "Percentages",
    QUANTITY: "Quantities", ORDINAL: "Ordinals", CARDINAL: "Numbers",
  };
  // What a failed request means, before the server's own message says exactly what went wrong.
  const STATUS_MEANING = {
    400: "The request could not be read",
    401: "The server needs an API key (see Options)",
    403: "The API key was refused",
    413: "The article is too long for this server",
    415: "The request was not sent as JSON",
    422: "The article could not be analysed as given",
    429: "Too many requests",
    503: "The service cannot take the article right now",
    504: "The analysis took too long",
  };
  const MAX_FILE_BYTES = 5 * 1024 * 1024; // a guard for the browser; the server enforces its own limit

  let tags = [];
  let pinnedCode = null;

  // -- small DOM helpers -------------------------------------------------------------------------
  function el(name, className, text) {
    const node = document.createElement(name);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function setStatus(message) {
    $("status").textContent = message;
  }

  function showError(title, detail) {
    const box = $("error");
    box.replaceChildren(el("strong", "", title), el("span", "", detail ? ` ${detail}` : ""));
    box.hidden = false;
    setStatus("");
  }

  function clearError() {
    $("error").hidden = true;
    $("error").replaceChildren();
  }

  function percent(score) {
    return score > 0 && score < 0.005 ? "<1%" : `${Math.round(score * 100)}%`;
  }

  function plural(n, one, many = `${one}s`) {
    return `${n} ${n === 1 ? one : many}`;
  }

  function sentenceCase(message) {
    const text = message.trim();
    const capital = text.charAt(0).toUpperCase() + text.slice(1);
    return /[.!?]$/.test(capital) ? capital : `${capital}.`;
  }

  // -- the request --------------------------------------------------------------------------------
  function readOptions() {
    const options = { sentences: true }; // every sentence's offsets, to highlight a tag's evidence
    const numbers = { summary_sentences: "summary-sentences", max_tags: "max-tags", min_score: "min-score" };
    for (const [option, id] of Object.entries(numbers)) {
      const value = $(id).value.trim();
      if (value) options[option] = Number(value); // the API checks the range and names the field
    }
    const labels = $("labels").value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
    if (labels.length) options.labels = labels;
    return options;
  }

  function describeError(response, payload) {
    const title = `${STATUS_MEANING[response.status] || `The server answered ${response.status}`}.`;
    const error = payload && payload.error;
    if (!error || !error.message) {
      return { title, detail: `(HTTP ${response.status}; the answer carried no error message.)` };
    }
    let detail = sentenceCase(error.message);
    const retry = response.headers.get("Retry-After");
    if (retry) detail += ` Try again in ${retry} s.`;
    const where = error.field ? `, field ${error.field}` : "";
    return { title, detail: `${detail} (HTTP ${response.status}, ${error.code}${where})` };
  }

  // Every /v1/ route needs the API key when the server has keys configured.
  function apiHeaders(extra = {}) {
    const headers = { Accept: "application/json", ...extra };
    const key = $("api-key").value.trim();
    if (key) headers.Authorization = `Bearer ${key}`;
    return headers;
  }

  async function analyze(event) {
    event.preventDefault();
    clearError();
    const text = $("text").value;
    const body = { text, options: readOptions() };
    const title = $("title").value.trim();
    if (title) body.title = title;
    const headers = apiHeaders({ "Content-Type": "application/json" });

    const button = $("analyze");
    button.disabled = true;
    $("results").setAttribute("aria-busy", "true");
    setStatus("Analyzing…");
    try {
      let response;
      try {
        response = await fetch("/v1/analyze", { method: "POST", headers, body: JSON.stringify(body) });
      } catch (err) {
        showError("Could not reach the server.", `Is newsdesk still running? (${err.message})`);
        $("results").hidden = true;
        return;
      }
      const payload = await response.json().catch(() => null);
      if (!response.ok) {
        const { title: what, detail } = describeError(response, payload);
        showError(what, detail);
        $("results").hidden = true; // never leave results that belong to another text on screen
        return;
      }
      if (!payload || !Array.isArray(payload.tags)) {
        showError("The server's answer could not be read.", `(HTTP ${response.status}, not the expected JSON.)`);
        return;
      }
      render(payload, text);
    } finally {
      button.disabled = false;
      $("results").removeAttribute("aria-busy");
    }
  }

  // -- drawing the answer -------------------------------------------------------------------------
  function render(result, text) {
    tags = result.tags;
    pinnedCode = null;
    renderTags(result.tags);
    renderSummary(result.summary);
    renderArticle(text, result.sentences || result.summary.sentences, result.summary.sentences);
    renderEntities(result.entities);
    renderKeywords(result.keywords);
    renderMeta(result);
    $("results").hidden = false;
    const total = result.timings_ms.total;
    setStatus(`Done: ${plural(result.tags.length, "tag")}, ` +
              `${plural(result.summary.sentences.length, "summary sentence")}, ` +
              `${plural(result.entities.length, "entity", "entities")} in ${Math.round(total)} ms.`);
  }

  function tagButton(tag, parentName) {
    const button = el("button", "tag");
    button.type = "button";
    button.dataset.code = tag.code;
    button.setAttribute("aria-pressed", "false");
    const name = el("span", "tag-name");
    if (parentName) name.append(el("span", "tag-parent", `${parentName} → `));
    name.append(tag.label);
    button.append(name);
    if (tag.code !== tag.label) button.append(el("span", "tag-code", tag.code));
    const bar = el("span", "bar");
    bar.setAttribute("aria-hidden", "true");
    const fill = el("span", "bar-fill");
    fill.style.width = `${Math.min(Math.max(tag.score, 0), 1) * 100}%`;
    bar.append(fill);
    button.append(bar, el("span", "tag-score", percent(tag.score)));
    const evidence = tag.evidence.map((i) => i + 1).join(", ");
    button.title = evidence ? `Evidence: sentences ${evidence}` : "No evidence sentences";
    button.addEventListener("click", () => pin(tag.code));
    for (const on of ["mouseenter", "focus"]) button.addEventListener(on, () => highlightEvidence(tag));
    for (const off of ["mouseleave", "blur"]) button.addEventListener(off, () => highlightEvidence(pinnedTag()));
    return button;
  }

  function renderTags(list) {
    const container = $("tags");
    container.replaceChildren();
    if (!list.length) {
      container.append(el("li", "empty", "No tags: none reached the minimum confidence, " +
        "or the text is not in a language the models read (English)."));
      return;
    }
    const byCode = new Map(list.map((t) => [t.code, t]));
    const children = new Map();
    const roots = [];
    for (const tag of list) {
      if (tag.parent && byCode.has(tag.parent)) {
        if (!children.has(tag.parent)) children.set(tag.parent, []);
        children.get(tag.parent).push(tag);
      } else {
        roots.push(tag);
      }
    }
    for (const tag of roots) {
      const item = el("li");
      // A second-level tag whose parent is not in the list still says where it sits (by code).
      item.append(tagButton(tag, tag.parent));
      const kids = children.get(tag.code);
      if (kids) {
        const sub = el("ul", "child-tags");
        for (const kid of kids) {
          const kidItem = el("li");
          kidItem.append(tagButton(kid, tag.label));
          sub.append(kidItem);
        }
        item.append(sub);
      }
      container.append(item);
    }
  }

  function pinnedTag() {
    return tags.find((t) => t.code === pinnedCode) || null;
  }

  function pin(code) {
    pinnedCode = pinnedCode === code ? null : code;
    for (const button of document.querySelectorAll(".tag")) {
      button.setAttribute("aria-pressed", String(button.dataset.code === pinnedCode));
    }
    const tag = pinnedTag();
    highlightEvidence(tag);
    const first = document.querySelector(".article .evidence");
    if (tag && first) first.scrollIntoView({ block: "nearest" });
  }

  function highlightEvidence(tag) {
    const wanted = new Set(tag ? tag.evidence.map(String) : []);
    for (const node of document.querySelectorAll(".article .sentence")) {
      node.classList.toggle("evidence", wanted.has(node.dataset.index));
    }
  }

  function renderSummary(summary) {
    const list = $("summary");
    // A generated (seq2seq) summary has its text but no sentences of the article.
    const items = summary.sentences.length ? summary.sentences.map((s) => s.text)
      : (summary.text ? [summary.text] : []);
    list.replaceChildren(...items.map((text) => el("li", "", text)));
    if (!items.length) list.append(el("li", "empty", "No summary."));
  }

  // Offsets from the server count Unicode code points (Python), not UTF-16 units (JavaScript).
  function renderArticle(text, sentences, summarySentences) {
    const chars = Array.from(text);
    const inSummary = new Set(summarySentences.map((s) => `${s.start}:${s.end}`));
    const article = $("article");
    article.replaceChildren();
    let pos = 0;
    for (const s of [...sentences].sort((a, b) => a.start - b.start)) {
      if (s.start < pos) continue;
      if (s.start > pos) article.append(chars.slice(pos, s.start).join(""));
      const summary = inSummary.has(`${s.start}:${s.end}`);
      const node = el(summary ? "mark" : "span", summary ? "sentence summary-sentence" : "sentence",
                      chars.slice(s.start, s.end).join(""));
      node.dataset.index = String(s.index);
      article.append(node);
      pos = s.end;
    }
    if (pos < chars.length) article.append(chars.slice(pos).join(""));
  }

  function renderEntities(entities) {
    const groups = new Map();
    for (const entity of entities) {
      if (!groups.has(entity.type)) groups.set(entity.type, []);
      groups.get(entity.type).push(entity);
    }
    const mentions = (list) => list.reduce((n, e) => n + e.count, 0);
    const ordered = [...groups.entries()].sort((a, b) => mentions(b[1]) - mentions(a[1]));
    const container = $("entities");
    container.replaceChildren();
    if (!ordered.length) container.append(el("p", "empty", "No entities found."));
    for (const [type, list] of ordered) {
      const group = el("section", "entity-group");
      const heading = el("h3", "", `${ENTITY_TYPES[type] || type} `);
      heading.append(el("span", "hint", `${type} · ${plural(list.length, "name")}, ` +
                                         `${plural(mentions(list), "mention")}`));
      const items = el("ul", "entity-list");
      for (const entity of [...list].sort((a, b) => b.count - a.count)) {
        const item = el("li", "", entity.text);
        item.append(el("span", "count", `×${entity.count}`));
        items.append(item);
      }
      group.append(heading, items);
      container.append(group);
    }
  }

  function renderKeywords(keywords) {
    const list = $("keywords");
    list.replaceChildren();
    if (!keywords.length) list.append(el("li", "empty", "No keywords."));
    for (const keyword of keywords) {
      const item = el("li", "keyword", keyword.text);
      item.append(el("span", "score", keyword.score.toFixed(2)));
      list.append(item);
    }
  }

  function renderMeta(result) {
    const rows = [["Model", `${result.model.name} ${result.model.version}`]];
    const timings = Object.entries(result.timings_ms).filter(([k]) => k !== "total");
    const parts = timings.map(([k, v]) => `${k.replace("_", " ")} ${Math.round(v)}`).join(", ");
    rows.push(["Time", `${Math.round(result.timings_ms.total)} ms${parts ? ` (${parts})` : ""}`]);
    rows.push(["Article id", result.id]);
    if (result.truncated) rows.push(["Note", "The text was longer than the server's limit and was cut there."]);
    const list = $("meta");
    list.replaceChildren();
    for (const [term, value] of rows) list.append(el("dt", "", term), el("dd", "", value));
  }

  // -- input: example, files, model status -------------------------------------------------------
  async function loadExample() {
    clearError();
    try {
      const response = await fetch("/v1/example", { headers: apiHeaders() });
      const payload = await response.json().catch(() => null);
      if (!response.ok || !payload) {
        const { title, detail } = describeError(response, payload);
        showError(title, detail);
        return;
      }
      $("text").value = payload.text;
      $("title").value = "";
      setStatus("Example article loaded. Press Analyze.");
    } catch (err) {
      showError("Could not reach the server.", `(${err.message})`);
    }
  }

  async function loadFile(file) {
    clearError();
    if (!file) return;
    if (file.type !== "text/plain" && !/\.txt$/i.test(file.name)) {
      showError("Only plain-text files can be opened here.",
                `“${file.name}” is ${file.type || "not a .txt file"}; save it as .txt first.`);
      return;
    }
    if (file.size > MAX_FILE_BYTES) {
      showError("That file is too large for this page.", `“${file.name}” is ${file.size} bytes.`);
      return;
    }
    $("text").value = await file.text();
    setStatus(`Loaded “${file.name}”. Press Analyze.`);
  }

  function acceptDrops(target) {
    target.addEventListener("dragover", (event) => {
      if (!event.dataTransfer.types.includes("Files")) return;
      event.preventDefault();
      target.classList.add("dragging");
    });
    target.addEventListener("dragleave", () => target.classList.remove("dragging"));
    target.addEventListener("drop", (event) => {
      if (!event.dataTransfer.files.length) return;
      event.preventDefault();
      target.classList.remove("dragging");
      loadFile(event.dataTransfer.files[0]);
    });
  }

  async function checkModel(attempt = 0) {
    const status = $("model-status");
    try {
      const response = await fetch("/readyz", { headers: { Accept: "application/json" } });
      const payload = await response.json().catch(() => ({}));
      if (response.ok && payload.model) {
        status.textContent = `Model: ${payload.model.name} ${payload.model.version} — ready.`;
      } else if (payload.status === "failed") {
        status.textContent = `The models failed to load: ${payload.error}`;
      } else {
        status.textContent = "The models are loading; Analyze will work in a few seconds.";
        if (attempt < 60) setTimeout(() => checkModel(attempt + 1), 2000);
      }
    } catch (err) {
      status.textContent = "Cannot reach the server.";
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("analyze-form").addEventListener("submit", analyze);
    $("example").addEventListener("click", loadExample);
    $("file").addEventListener("change", async (event) => {
      await loadFile(event.target.files[0]);
      event.target.value = ""; // the text is in the box now; choosing the same file again reloads it
    });
    acceptDrops($("text"));
    checkModel();
  });
})();
