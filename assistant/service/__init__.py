"""The suggestion service: an aiohttp app answering IM platforms with reply suggestions.

`create_app(settings)` in `assistant.service.app` is the one entry point; `huashu serve`
reads the environment and calls it.
"""
