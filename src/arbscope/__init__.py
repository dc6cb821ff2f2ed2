"""arbscope: a terminal monitor for crypto arbitrage."""

__version__ = "0.1.0"
