"""``GET dataproduct/version``: the panel compares it with its own on start."""

from __future__ import annotations

from tornado import web

from .._version import __version__
from .base import DataProductHandler


class VersionHandler(DataProductHandler):
    @web.authenticated
    def get(self) -> None:
        self.reply({"version": __version__})
