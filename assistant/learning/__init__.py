"""Learning from what agents send: acceptance, quick replies, per-shop priors, candidates, gaps.

Pure functions and plain data only (no aiohttp, no storage): the service, the CLI and the
replay evaluation call them with what they read from their own stores.
"""
