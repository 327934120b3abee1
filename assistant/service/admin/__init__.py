"""The admin API (`/v1/admin`, an aiohttp sub-app): shops, knowledge, index jobs and snapshots,
analytics. Every route needs an admin token of the shop it names (`assistant.service.auth`)."""
