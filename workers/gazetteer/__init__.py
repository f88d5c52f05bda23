"""Offline gazetteers: actors (our JSONL) and places (our CSV plus GeoNames data shipped in packages)."""

from workers.gazetteer.actors import ActorEntry, actor, all_actors, category_of, resolve_actor
from workers.gazetteer.places import PlaceEntry, resolve_place

__all__ = ["ActorEntry", "PlaceEntry", "actor", "all_actors", "category_of", "resolve_actor", "resolve_place"]
