"""The web pages: operator console, dispatch desk, department portal, supervisor, public."""
