"""conflictwire: raw conflict-news articles in on Kafka, structured and counted events out."""

__version__ = "0.1.0"
