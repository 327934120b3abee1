"""Where the service keeps what must outlive a process: shops, their knowledge, tokens, snapshot
pointers, rebuild jobs and the conversation records. Protocols in `protocols.py`; one module per
backend (SQLite, the embedded default; PostgreSQL for deployments), one schema, migrations for both."""
