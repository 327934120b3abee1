"""The shop's knowledge base: its file formats, the validating loader and the chat-log harvester."""
