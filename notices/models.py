"""Official notices: numbering, rendering, archive (filled in by the notices work)."""
