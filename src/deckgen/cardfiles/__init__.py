"""Writing card files: new ones (`deckgen new`, `deckgen import`) and edits in place that keep every other byte."""
