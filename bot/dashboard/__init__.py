"""The trace dashboard: live and recent traces, the window's figures, one trace's waterfall.

Server-rendered pages (Jinja2 templates, SVG charts computed in `render`), reading the trace
store the bot writes (`agents.traceability.store`). `mount.observability_routes` adds it and
/metrics to the bot's HTTP server; `netops dashboard` (`command`) serves it alone. Importing
this package imports nothing heavy: `links` is used by the Block Kit builders.
"""
