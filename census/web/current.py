"""The application context of the app that serves the current request (or of a given app)."""

from __future__ import annotations

from flask import Flask, current_app

from census.context import Census
from census.store import Store


def context(app: Flask | None = None) -> Census:
    """The ``Census`` that ``create_app`` built for this app."""
    found: Census = (app or current_app).extensions["census"]
    return found


def get_store(app: Flask | None = None) -> Store:
    """The store of the current (or given) app."""
    return context(app).store
