"""deckgen: compile YAML question/answer cards into Anki packages."""

__version__ = "0.1.0"
