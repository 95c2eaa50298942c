"""Pure Block Kit builders: data in, Slack JSON out, no I/O, so tests compare them directly.

The console surface renders the same blocks as text, so whatever is built here is exactly
what both surfaces show.
"""
