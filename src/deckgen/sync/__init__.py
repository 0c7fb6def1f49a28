"""Keeping a collection in step with the cards: `deckgen sync` and `deckgen pull`."""
