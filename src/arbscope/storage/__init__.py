"""Settings, watchlists, file locations and atomic writes. No Textual."""
