"""Errors every command reports the same way, kept free of heavy imports for the CLI."""


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message is the one line an operator sees."""
