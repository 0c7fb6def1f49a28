// Filter the preview by deck, tag and text; toggle Anki's night mode. State lives in the URL's
// #fragment (q, deck, tag, warned, night) so a reload, a bookmark or a test can set it.
(function () {
  "use strict";
  const search = document.getElementById("pv-q");
  const deck = document.getElementById("pv-deck");
  const tag = document.getElementById("pv-tag");
  const warned = document.getElementById("pv-warned");
  const night = document.getElementById("pv-night");
  const count = document.getElementById("pv-count");
  const empty = document.getElementById("pv-empty");
  const cards = Array.from(document.querySelectorAll(".pv-card"), (element) => ({
    element,
    deck: element.dataset.deck,
    tags: element.dataset.tags.toLowerCase().split(" ").filter(Boolean),
    // Read on the first search only: walking every card's text up front slows large decks' load.
    get text() {
      const text = element.textContent.toLowerCase();
      Object.defineProperty(this, "text", { value: text });
      return text;
    },
    warned: element.hasAttribute("data-warned"),
  }));
  const sections = Array.from(document.querySelectorAll(".pv-deck"));

  // A deck or tag also selects everything below it in its '::' hierarchy, as in Anki's search.
  function within(name, wanted) {
    return name === wanted || name.startsWith(wanted + "::");
  }

  function matches(card, words, wantedDeck, wantedTag) {
    if (warned.checked && !card.warned) return false;
    if (wantedDeck && !within(card.deck, wantedDeck)) return false;
    if (wantedTag && !card.tags.some((t) => within(t, wantedTag))) return false;
    return words.every((word) => card.text.includes(word));
  }

  function apply() {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const wantedTag = tag.value.toLowerCase();
    let shown = 0;
    for (const card of cards) {
      const visible = matches(card, words, deck.value, wantedTag);
      card.element.hidden = !visible;
      if (visible) shown += 1;
    }
    for (const section of sections) {
      const visible = section.querySelectorAll(".pv-card:not([hidden])").length;
      section.hidden = visible === 0;
      section.querySelector(".pv-n").textContent = visible;
    }
    document.body.classList.toggle("nightMode", night.checked);
    document.body.classList.toggle("night_mode", night.checked);
    count.textContent = shown + " of " + cards.length + " cards";
    empty.hidden = shown > 0;
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
  }

  function writeFragment() {
    const state = new URLSearchParams();
    if (search.value) state.set("q", search.value);
    if (deck.value) state.set("deck", deck.value);
    if (tag.value) state.set("tag", tag.value);
    if (warned.checked) state.set("warned", "1");
    state.set("night", night.checked ? "1" : "0");
    history.replaceState(null, "", "#" + state.toString());
  }

  function update() {
    apply();
    writeFragment();
  }

  search.addEventListener("input", update);
  for (const control of [deck, tag, warned, night]) control.addEventListener("change", update);
  window.addEventListener("hashchange", () => {
    readFragment();
    apply();
  });
  readFragment();
  apply();
})();
