"""Everything that knows Anki's formats: note types, templates, packages, collections."""
