"""`deckgen lint`: card-quality rules (one module each under rules/) and the engine that runs them."""
