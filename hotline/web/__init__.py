"""The web layer: app factory, extensions and one blueprint per concern."""
