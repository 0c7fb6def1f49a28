"""The input edge: find and read a project's files safely, and load them into one frozen value."""
