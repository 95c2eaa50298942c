"""The served card and the bearer-token gate, over real HTTP."""

from __future__ import annotations

from a2a.types import Part
from perf_harness import agent_settings, ask, serve_performance_agent, stub_no_monitors

from agents.traceability import TRACE_EXTENSION_URI


async def test_card_keeps_the_seed_name_skill_and_tags_and_adds_remediation(perf_agent, http) -> None:
    response = await http.get(perf_agent.url + "/.well-known/agent-card.json")
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    card = response.json()
    assert card["name"] == "Performance_Agent"
    skills = {s["id"]: s for s in card["skills"]}
    assert set(skills["analyze_network_performance"]["tags"]) == {
        "performance",
        "network-monitoring",
        "vpc-flow-logs",
        "traffic-mirroring",
        "tcp-analysis",
        "cloudwatch-metrics",
    }
    assert set(skills["remediate_tcp_retransmissions"]["tags"]) == {"remediation", "tcp-tuning", "ssm"}
    assert card["capabilities"]["streaming"] is True
    assert card["capabilities"]["pushNotifications"] is True
    assert [e["uri"] for e in card["capabilities"]["extensions"]] == [TRACE_EXTENSION_URI]
    assert "securitySchemes" not in card


async def test_with_a_token_configured_the_card_declares_bearer_and_rpc_needs_it(moto_url, lab, redis_client, http):
    settings = agent_settings(moto_url, agent_token="s3cret-agent-token")
    async with serve_performance_agent(settings, redis_client) as agent:
        card = (await http.get(agent.url + "/.well-known/agent-card.json")).json()
        assert card["securitySchemes"]["bearer"]["httpAuthSecurityScheme"]["scheme"] == "Bearer"
        assert card["securityRequirements"] == [{"schemes": {"bearer": {}}}]
        refused = await http.post(
            agent.url + "/", json={"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "x"}}
        )
        assert refused.status_code == 401
        assert "NETOPS_AGENT_TOKEN" in refused.json()["error"]
        stub_no_monitors(agent.nfm)
        reply = await ask(http, agent.url, Part(text="retransmissions in the captures?"), token="s3cret-agent-token")
        assert reply.final_state == "TASK_STATE_COMPLETED"
