"""One module per command, each a few lines over the pipeline (see pipeline.py)."""
