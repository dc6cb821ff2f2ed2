"""The Textual monitor: it reads snapshots and sends user intents."""
