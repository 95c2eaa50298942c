"""Any OpenAI-compatible chat-completions endpoint with function calling, through httpx."""

from __future__ import annotations

import json
from typing import Any

import httpx

from agents.performance.llm.loop import LlmError, ModelTurn, ToolRequest
from agents.settings import Settings


class OpenAIChat:
    provider = "openai"  # OpenTelemetry's gen_ai.provider.name (any OpenAI-compatible endpoint)

    def __init__(self, http: httpx.AsyncClient, base_url: str, model: str) -> None:
        self.http = http
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIChat:
        headers = {}
        if settings.llm_api_key:
            headers["Authorization"] = f"Bearer {settings.llm_api_key.get_secret_value()}"
        http = httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(120.0, connect=10.0))
        return cls(http, str(settings.llm_base_url), str(settings.llm_model))

    def start(self, system: str, question: str) -> list[dict[str, Any]]:
        return [{"role": "system", "content": system}, {"role": "user", "content": question}]

    async def call(self, conversation: list[dict[str, Any]], tools: list[dict[str, Any]]) -> ModelTurn:
        body = {
            "model": self.model,
            "messages": conversation,
            "tools": [{"type": "function", "function": t} for t in tools],
            "tool_choice": "auto",
            "temperature": 0,
        }
        try:
            response = await self.http.post(self.url, json=body)
            response.raise_for_status()
            data = response.json()
            message = data["choices"][0]["message"]
        except httpx.HTTPStatusError as exc:
            raise LlmError(f"the model endpoint answered HTTP {exc.response.status_code} for {self.model}") from exc
        except (httpx.HTTPError, ValueError, KeyError, IndexError) as exc:
            raise LlmError(f"the model endpoint {self.url} failed: {type(exc).__name__}: {exc}") from exc
        requests = []
        for call in message.get("tool_calls") or []:
            try:
                args = json.loads(call["function"].get("arguments") or "{}")
            except ValueError:
                args = {}
            requests.append(ToolRequest(call["id"], call["function"]["name"], args if isinstance(args, dict) else {}))
        usage = data.get("usage") or {}
        return ModelTurn(
            text=(message.get("content") or "").strip() or None,
            tool_requests=requests,
            input_tokens=int(usage.get("prompt_tokens", 0)),
            output_tokens=int(usage.get("completion_tokens", 0)),
            raw_assistant=message,
        )

    def add_results(self, conversation: list[dict[str, Any]], turn: ModelTurn, results: list) -> None:
        conversation.append(
            {
                "role": "assistant",
                "content": turn.raw_assistant.get("content"),
                "tool_calls": turn.raw_assistant["tool_calls"],
            }
        )
        for request, text in results:
            conversation.append({"role": "tool", "tool_call_id": request.id, "content": text})

    async def aclose(self) -> None:
        await self.http.aclose()
