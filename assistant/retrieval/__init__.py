"""Retrieval core: embedders, vector and lexical indexes, fusion, diversity, snapshots, ranking.

Nothing in here imports aiohttp: the service calls into it, never the other way round.
"""
