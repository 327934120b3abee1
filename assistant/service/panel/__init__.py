"""The agent's side panel: live bus, events, routes, feedback, and its static page."""
