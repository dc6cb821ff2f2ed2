"""Feeds (simulated, replayed, live), the market service and the recorder. No Textual."""
