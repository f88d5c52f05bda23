"""Helpers for the tests: broker selection, kcat, a tiny Faust counting app."""
