"""Every piece of state the app holds, as typed `AppKey`s (one module, no globals)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from assistant.service.auto_approval import AutoApprover
from assistant.service.background import BackgroundTasks
from assistant.service.batching import ModelWorker, QueryEncoder
from assistant.service.conversations import Conversations, Deliveries
from assistant.service.core import SuggestionService
from assistant.service.in_flight import InFlight
from assistant.service.metrics import ServiceMetrics
from assistant.service.panel.bus import LiveBus
from assistant.service.platforms.chatwoot.client import ChatwootClient
from assistant.service.redis_link import RedisLink
from assistant.service.settings import Settings
from assistant.storage.protocols import Store, TokenStore
from assistant.storage.recorder import Recorder
from assistant.suggest.rebuild import Rebuilder
from assistant.suggest.registry import ShopRegistry
from assistant.suggest.shop_learning import ShopLearner

SETTINGS = web.AppKey("settings", Settings)
METRICS = web.AppKey("metrics", ServiceMetrics)
MODEL = web.AppKey("model", ModelWorker)
INDEX = web.AppKey("index", ShopRegistry)  # shop → loaded suggester (LRU under a memory budget)
REBUILDER = web.AppKey("rebuilder", Rebuilder)  # rebuild jobs
LEARNER = web.AppKey("learner", ShopLearner)  # each shop's learning, refreshed from the store
FIRST_START = web.AppKey("first_start", asyncio.Task)  # default shop imported and built, or loaded
ENCODER = web.AppKey("encoder", QueryEncoder)
MEMORY = web.AppKey("memory", Conversations)
DELIVERIES = web.AppKey("deliveries", Deliveries)
STORE = web.AppKey("store", Store)  # shops, knowledge, tokens, snapshot pointers, jobs, records
RECORDER = web.AppKey("recorder", Recorder)
SERVICE = web.AppKey("service", SuggestionService)
AUTO_APPROVER = web.AppKey("auto_approver", AutoApprover)  # shops' N-agents rule after agents' replies
BACKGROUND = web.AppKey("background", BackgroundTasks)
IN_FLIGHT = web.AppKey("in_flight", InFlight)  # requests being handled; the shutdown's drain
CHATWOOT = web.AppKey("chatwoot", ChatwootClient)
OPENAPI = web.AppKey("openapi", dict)
TOKENS = web.AppKey("tokens", TokenStore)  # absent until a store with tokens is wired
BUS = web.AppKey("bus", LiveBus)  # the panel's live events
REDIS = web.AppKey("redis", RedisLink)  # absent without HUASHU_REDIS_URL
