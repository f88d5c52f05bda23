"""Live feed ingestion (``conflictwire poll``): RSS/Atom feeds in, raw articles on ``articles.raw`` out.

``items`` holds the pure parts (feed bytes -> items, page bytes -> a raw article, ids and
state records); ``poller`` the I/O (HTTP with per-host limits and backoff, Kafka, metrics).
"""
