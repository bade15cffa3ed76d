"""nbaprops."""
