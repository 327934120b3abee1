"""Chatwoot: the webhook (`webhook.py`), its payloads (`events.py`), the private note
(`note.py`) and the application-API client that posts it (`client.py`)."""
