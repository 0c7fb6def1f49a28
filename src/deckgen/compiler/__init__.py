"""The pure stages: YAML nodes -> validated cards -> rendered notes -> compiled package plans."""
