"""Open311 GeoReport v2 at ``/open311/v2/``: the open intake standard of city apps (docs/deploy.md)."""
