"""Amazon Bedrock Converse with tool use, through boto3 (run in a worker thread)."""

from __future__ import annotations

import asyncio
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from agents.performance.llm.loop import LlmError, ModelTurn, ToolRequest
from agents.settings import Settings


class BedrockConverse:
    provider = "aws.bedrock"  # OpenTelemetry's gen_ai.provider.name

    def __init__(self, client: Any, model: str) -> None:
        self.client = client
        self.model = model
        self._system: list[dict[str, str]] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> BedrockConverse:
        client = boto3.client("bedrock-runtime", region_name=settings.aws_region, endpoint_url=settings.llm_base_url)
        return cls(client, str(settings.llm_model))

    def start(self, system: str, question: str) -> list[dict[str, Any]]:
        self._system = [{"text": system}]
        return [{"role": "user", "content": [{"text": question}]}]

    async def call(self, conversation: list[dict[str, Any]], tools: list[dict[str, Any]]) -> ModelTurn:
        tool_config = {
            "tools": [
                {
                    "toolSpec": {
                        "name": t["name"],
                        "description": t["description"],
                        "inputSchema": {"json": t["parameters"]},
                    }
                }
                for t in tools
            ]
        }
        try:
            response = await asyncio.to_thread(
                self.client.converse,
                modelId=self.model,
                system=self._system,
                messages=conversation,
                toolConfig=tool_config,
                inferenceConfig={"maxTokens": 2000, "temperature": 0},
            )
        except (ClientError, BotoCoreError) as exc:
            raise LlmError(f"Bedrock Converse failed for {self.model}: {exc}") from exc
        message = response.get("output", {}).get("message", {"role": "assistant", "content": []})
        texts = [c["text"] for c in message.get("content", []) if "text" in c]
        requests = [
            ToolRequest(c["toolUse"]["toolUseId"], c["toolUse"]["name"], dict(c["toolUse"].get("input") or {}))
            for c in message.get("content", [])
            if "toolUse" in c
        ]
        usage = response.get("usage", {})
        return ModelTurn(
            text="\n".join(texts).strip() or None,
            tool_requests=requests,
            input_tokens=int(usage.get("inputTokens", 0)),
            output_tokens=int(usage.get("outputTokens", 0)),
            raw_assistant=message,
        )

    def add_results(self, conversation: list[dict[str, Any]], turn: ModelTurn, results: list) -> None:
        conversation.append(turn.raw_assistant)
        conversation.append(
            {
                "role": "user",
                "content": [
                    {"toolResult": {"toolUseId": request.id, "content": [{"text": text}], "status": "success"}}
                    for request, text in results
                ],
            }
        )

    async def aclose(self) -> None:
        self.client.close()
