"""Paper execution, balances and the SQLite trade log. No Textual."""
