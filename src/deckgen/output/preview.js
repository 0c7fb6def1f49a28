// Draw the preview one page of cards at a time from the page's card data, filter it by deck, tag,
// warnings and text, and toggle Anki's night mode. State lives in the URL's #fragment (q, deck,
// tag, warned, night, page) so a reload, a bookmark or a test can set it.
(function () {
  "use strict";
  const PAGE_SIZE = 100;
  const byId = (id) => document.getElementById(id);
  const search = byId("pv-q");
  const deck = byId("pv-deck");
  const tag = byId("pv-tag");
  const warned = byId("pv-warned");
  const night = byId("pv-night");
  const count = byId("pv-count");
  const empty = byId("pv-empty");
  const main = byId("pv-main");
  const pager = document.querySelector(".pv-pager");
  const previous = byId("pv-prev");
  const next = byId("pv-next");
  const where = byId("pv-page");
  const settings = JSON.parse(byId("pv-settings").textContent);
  // Each note: [deck, tags, file, line, id, status, warnings HTML, number of cards, editor link if
  // any], the first three and the status as indexes into the settings' tables. The cards of each
  // CHUNK notes are one more JSON block, read when first drawn or searched: per note, its cards as
  // [template index, ordinal, front, back HTML], the front as HTML or as [n, rest] for the back's
  // first n characters and then rest (all written by output/preview.py).
  const CHUNK = 1000;
  const notes = JSON.parse(byId("pv-notes").textContent);
  const blocks = document.querySelectorAll(".pv-cards");
  const chunks = [];
  const DECK = 0, TAGS = 1, FILE = 2, LINE = 3, ID = 4, STATUS = 5, WARNINGS = 6, COUNT = 7, HREF = 8;
  const cardNote = [];
  const cardSlot = [];
  const chunkFirst = []; // each block's first card, then the number of cards
  notes.forEach((note, index) => {
    if (index % CHUNK === 0) chunkFirst.push(cardNote.length);
    for (let slot = 0; slot < note[COUNT]; slot += 1) {
      cardNote.push(index);
      cardSlot.push(slot);
    }
  });
  chunkFirst.push(cardNote.length);

  function viewOf(card) {
    const note = cardNote[card];
    const chunk = Math.floor(note / CHUNK);
    if (!chunks[chunk]) chunks[chunk] = JSON.parse(blocks[chunk].textContent);
    return chunks[chunk][note % CHUNK][cardSlot[card]];
  }

  // The cards' search text is worked out a block at a time while the page is idle, or all at once
  // by the first search; tags on the first tag filter. Doing it up front slows large decks' load.
  const texts = [];
  let ready = 0; // blocks whose cards' texts are in `texts`
  let tagLists = null;
  let matched = [];
  let page = 1;

  const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;" };
  function escape(text) {
    return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
  }

  // A deck or tag also selects everything below it in its '::' hierarchy, as in Anki's search.
  function within(name, wanted) {
    return name === wanted || name.startsWith(wanted + "::");
  }

  function label(note) {
    return settings.files[note[FILE]][0] + ":" + note[LINE];
  }

  const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: "\u00a0" };
  function entity(whole, name) {
    if (name[0] !== "#") return ENTITIES[name.toLowerCase()] || whole;
    const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : whole;
  }

  // What the card shows as text (its element's textContent, without drawing it), to search in.
  function plain(markup) {
    return markup.replace(/<[^>]*>/g, "").replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, entity);
  }

  function frontOf(view) {
    const front = view[2];
    return typeof front === "string" ? front : view[3].slice(0, front[0]) + front[1];
  }

  function cardText(card) {
    const note = notes[cardNote[card]];
    const view = viewOf(card);
    const [template, , , back] = view;
    const front = frontOf(view);
    return [label(note), note[ID], settings.templates[template], settings.statuses[note[STATUS]],
      settings.tags[note[TAGS]], plain(note[WARNINGS]), plain(front), plain(back)].join(" ").toLowerCase();
  }

  function prepareBlock() {
    for (let card = chunkFirst[ready]; card < chunkFirst[ready + 1]; card += 1) texts.push(cardText(card));
    ready += 1;
  }

  function prepareAll() {
    while (ready < blocks.length) prepareBlock();
  }

  function prepareWhenIdle(deadline) {
    while (ready < blocks.length && deadline.timeRemaining() > 5) prepareBlock();
    if (ready < blocks.length) requestIdleCallback(prepareWhenIdle);
  }

  function filter() {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const wantedDeck = deck.value;
    const wantedTag = tag.value.toLowerCase();
    const decks = settings.decks.map((name) => !wantedDeck || within(name, wantedDeck));
    if (words.length) prepareAll();
    if (wantedTag && !tagLists) tagLists = settings.tags.map((tags) => tags.toLowerCase().split(" ").filter(Boolean));
    const noteMatches = notes.map((note) => {
      if (!decks[note[DECK]]) return false;
      if (warned.checked && !note[WARNINGS]) return false;
      if (wantedTag && !tagLists[note[TAGS]].some((t) => within(t, wantedTag))) return false;
      return true;
    });
    matched = [];
    for (let card = 0; card < cardNote.length; card += 1) {
      const index = cardNote[card];
      if (!noteMatches[index]) continue;
      if (words.length && !words.every((word) => texts[card].includes(word))) continue;
      matched.push(card);
    }
  }

  const sideMarkup = []; // the sides of the cards being drawn, in page order

  function cardHtml(card) {
    const note = notes[cardNote[card]];
    const view = viewOf(card);
    const [template, ordinal, , back] = view;
    const front = frontOf(view);
    const status = settings.statuses[note[STATUS]];
    const tags = settings.tags[note[TAGS]];
    const href = note.length > HREF ? note[HREF] : settings.files[note[FILE]][1];
    const badge = status ? `<span class="pv-status pv-${escape(status)}">${escape(status)}</span>` : "";
    sideMarkup.push(front, back); // filled in by draw(), each side on its own
    const sides = ["Front", "Back"].map((side) =>
      `<div class="pv-side"><div class="pv-label">${side}</div><div class="card card${ordinal + 1}"></div></div>`).join("");
    return `<article class="pv-card" data-deck="${escape(settings.decks[note[DECK]])}" ` +
      `data-tags="${escape(tags)}"${note[WARNINGS] ? ' data-warned=""' : ""}>` +
      `<div class="pv-meta"><a class="pv-src" href="${escape(href)}">${escape(label(note))}</a> ` +
      `<code>${escape(note[ID])}</code> <span>${escape(settings.templates[template])}</span> ${badge}` +
      `<span class="pv-tags">${escape(tags)}</span></div>` +
      `${note[WARNINGS]}<div class="pv-sides">${sides}</div></article>`;
  }

  // innerHTML neither loads the card's images (they wait in data-pv-media) nor runs its scripts.
  function activate() {
    for (const img of main.querySelectorAll("img[data-pv-media]")) {
      img.src = settings.media[Number(img.getAttribute("data-pv-media"))];
    }
    if (!settings.runScripts) return;
    for (const old of main.querySelectorAll(".card script")) {
      const script = document.createElement("script");
      for (const attribute of old.attributes) script.setAttribute(attribute.name, attribute.value);
      script.textContent = old.textContent;
      old.replaceWith(script);
    }
  }

  function dress() {
    document.body.classList.toggle("nightMode", night.checked);
    document.body.classList.toggle("night_mode", night.checked);
  }

  function draw() {
    const pages = Math.max(1, Math.ceil(matched.length / PAGE_SIZE));
    page = Math.min(Math.max(1, page), pages);
    const perDeck = new Map();
    for (const card of matched) {
      const name = notes[cardNote[card]][DECK];
      perDeck.set(name, (perDeck.get(name) || 0) + 1);
    }
    const parts = [];
    let open = -1;
    for (const card of matched.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE)) {
      const name = notes[cardNote[card]][DECK];
      if (name !== open) {
        if (open !== -1) parts.push("</section>");
        const title = escape(settings.decks[name]);
        parts.push(`<section class="pv-deck" data-deck="${title}"><h2>${title} ` +
          `<span class="pv-n">${perDeck.get(name)}</span></h2>`);
        open = name;
      }
      parts.push(cardHtml(card));
    }
    if (open !== -1) parts.push("</section>");
    main.innerHTML = parts.join("");
    // Each side parsed apart from the page and the other cards: an unclosed comment, <textarea> or
    // </section> in one card's HTML stays inside that card.
    main.querySelectorAll(".pv-side > .card").forEach((side, index) => {
      side.innerHTML = sideMarkup[index];
    });
    sideMarkup.length = 0;
    activate();
    dress();
    count.textContent = matched.length + " of " + cardNote.length + " cards";
    empty.hidden = matched.length > 0;
    pager.hidden = pages === 1;
    where.textContent = "Page " + page + " of " + pages;
    previous.disabled = page === 1;
    next.disabled = page === pages;
  }

  function readFragment() {
    const state = new URLSearchParams(location.hash.slice(1));
    search.value = state.get("q") || "";
    deck.value = state.get("deck") || "";
    tag.value = state.get("tag") || "";
    warned.checked = state.get("warned") === "1";
    night.checked = state.has("night")
      ? state.get("night") === "1"
      : window.matchMedia("(prefers-color-scheme: dark)").matches;
    page = Number.parseInt(state.get("page") || "1", 10) || 1;
  }

  function writeFragment() {
    const state = new URLSearchParams();
    if (search.value) state.set("q", search.value);
    if (deck.value) state.set("deck", deck.value);
    if (tag.value) state.set("tag", tag.value);
    if (warned.checked) state.set("warned", "1");
    state.set("night", night.checked ? "1" : "0");
    if (page > 1) state.set("page", String(page));
    history.replaceState(null, "", "#" + state.toString());
  }

  function refilter() {
    page = 1;
    filter();
    draw();
    writeFragment();
  }

  function turn(by) {
    page += by;
    draw();
    writeFragment();
    window.scrollTo(0, 0);
  }

  search.addEventListener("input", refilter);
  for (const control of [deck, tag, warned]) control.addEventListener("change", refilter);
  night.addEventListener("change", () => {
    dress();
    writeFragment();
  });
  previous.addEventListener("click", () => turn(-1));
  next.addEventListener("click", () => turn(1));
  window.addEventListener("hashchange", () => {
    readFragment();
    filter();
    draw();
  });
  readFragment();
  filter();
  draw();
  if (window.requestIdleCallback) requestIdleCallback(prepareWhenIdle);
})();
