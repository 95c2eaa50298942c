"""Text from outside (an alarm's name, its reason, a dimension value) made safe for Slack mrkdwn.

Slack reads `&`, `<` and `>` as control characters: `<!channel>` pings everyone and
`<https://evil|click>` is a link. Escaping these three, as Slack's formatting guide says, shows
the text as it was written. (Branch `edges` publishes the shared `escape`; this is the same
function in the same place, to be replaced by theirs on merge.)
"""

from __future__ import annotations


def escape(text: object) -> str:
    """`text` as literal characters in mrkdwn: `&`, `<`, `>` replaced by their entities."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
