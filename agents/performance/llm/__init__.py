"""LLM planner mode: a model picks the tools and words the answer; the data part stays ours.

`NETOPS_LLM_MODE=bedrock` uses Amazon Bedrock Converse with tool use (boto3);
`NETOPS_LLM_MODE=openai` uses any OpenAI-compatible chat-completions endpoint (httpx). Both
run the same loop (`ToolLoop`): ask the model, run the tools it calls through the agent's
`ToolRunner`, hand back the results, until it answers in text or runs out of turns. Each model
call is a TOOL step with the model id, input and output tokens, priced by the trace's price
table. The findings and the recommendation are still computed by `diagnose` from the tools'
reports, so a model can neither invent evidence nor approve a fix (the fix tool is dry-run).
"""

from __future__ import annotations

from agents.performance.llm.loop import LlmError, ModelTurn, ToolLoop, ToolRequest
from agents.settings import Settings

__all__ = ["LlmError", "ModelTurn", "ToolLoop", "ToolRequest", "create_llm_planner"]


def create_llm_planner(settings: Settings) -> ToolLoop:
    """The planner `settings.llm_mode` names; settings problems fail here, at start-up."""
    from agents.settings import SettingsError

    if not settings.llm_model:
        raise SettingsError("setting NETOPS_LLM_MODEL is required when NETOPS_LLM_MODE is not none")
    if settings.llm_mode == "bedrock":
        from agents.performance.llm.bedrock import BedrockConverse

        return ToolLoop(BedrockConverse.from_settings(settings), default_region=settings.aws_region)
    if settings.llm_mode == "openai":
        from agents.performance.llm.openai import OpenAIChat

        if not settings.llm_base_url:
            raise SettingsError("setting NETOPS_LLM_BASE_URL is required when NETOPS_LLM_MODE=openai")
        return ToolLoop(OpenAIChat.from_settings(settings), default_region=settings.aws_region)
    raise SettingsError(f"setting NETOPS_LLM_MODE has no planner for {settings.llm_mode!r}")
