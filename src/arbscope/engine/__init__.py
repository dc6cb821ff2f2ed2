"""The pure core: opportunity arithmetic and the incremental calculator.

No IO, no Textual, no ccxt: the TUI, `scan`, benchmarks and tests share it.
"""
