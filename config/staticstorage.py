"""Static files storages for production: hashed names (far-future caching), served by WhiteNoise.

- `StaticFilesStorage` (default): hashed copies only. The reverse proxy compresses
  responses; `collectstatic` takes seconds.
- `CompressedStaticFilesStorage` (`STATIC_COMPRESS=true`): also writes .gz and .br copies
  that WhiteNoise serves directly. viewflow and the API docs ship ~90 MB of assets
  (plotly, source maps), so this `collectstatic` took 5.5 minutes on 2 busy cores here.

Both are lenient about one flaw of a dependency: viewflow's bundled roboto-fontface CSS
refers to font files the package does not ship (e.g. Roboto-Thin.woff2). The stock
manifest storages abort `collectstatic` on such a reference; these keep it unhashed
(the browser gets a 404 for a font weight nothing uses) and log it.
"""

from __future__ import annotations

import logging

from django.contrib.staticfiles.storage import ManifestStaticFilesStorage
from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger("govmedia.static")


class _KeepMissingReferences:
    manifest_strict = False
    _reported: set[str] = set()

    def hashed_name(self, name, content=None, filename=None):
        try:
            return super().hashed_name(name, content, filename)
        except ValueError:
            if content is not None or self.exists(self.clean_name(name)):
                raise
            if name not in self._reported:  # post-processing passes over a file several times
                self._reported.add(name)
                logger.warning("event=collectstatic missing_reference=%s", name)
            return name


class StaticFilesStorage(_KeepMissingReferences, ManifestStaticFilesStorage):
    pass


class CompressedStaticFilesStorage(_KeepMissingReferences, CompressedManifestStaticFilesStorage):
    pass
