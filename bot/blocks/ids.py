"""Identifiers shared by the builders, the listeners and manifest checks (one place to rename)."""

COMMAND = "/netops"
ACTION_APPLY = "apply_tcp_fixes"
ACTION_DISMISS = "dismiss_tcp_fixes"
ACTION_VIEW_TRACE = "view_trace"
VIEW_DISMISS = "dismiss_fix_reason"
VIEW_TRACE = "trace_steps"

BLOCK_APPROVAL = "approval"
BLOCK_TRACE = "trace"
INPUT_REASON = "reason"
