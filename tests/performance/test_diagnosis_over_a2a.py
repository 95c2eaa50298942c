"""A question over real A2A against the agent on 127.0.0.1, with AWS in moto and NFM stubbed."""

from __future__ import annotations

from typing import Any

import jsonschema
from a2a.types import Part
from perf_harness import agent_settings, ask, serve_performance_agent, stub_monitor_with_flow, stub_no_monitors

from agents.performance.answer import ANSWER_SCHEMA
from agents.traceability import TRACE_METADATA_KEY, ResponseTrace

LOSSY = "10.0.1.10 → 10.0.2.20:5432 (VNI 1234)"  # 2 of 14 segments lost in the shared capture
SLOW = "10.0.1.10 → 10.0.2.20:8080 (VNI 1234)"  # a 150 ms round trip in the same capture


async def test_the_lossy_flow_is_named_with_its_rate_and_path_loss_gets_no_host_change(perf_agent, lab, http) -> None:
    stub_monitor_with_flow(perf_agent.nfm, instance=lab.client_instance, retransmissions=400, timeouts=3)
    reply = await ask(http, perf_agent.url, Part(text="Why is the app slow talking to the database on port 5432?"))

    assert reply.final_state == "TASK_STATE_COMPLETED"
    data = reply.data
    jsonschema.validate(data, ANSWER_SCHEMA)
    assert data["kind"] == "netops.diagnosis/v1"
    assert data["status"] == "critical"
    # NFM's 180 ms for a same-AZ flow is added latency too; the loss is there beside it
    [cause] = [c for c in data["causes"] if c["code"] == "path_loss"]
    assert (cause["code"], cause["flow"], cause["direction"]) == ("path_loss", LOSSY, "client_to_server")
    assert (cause["src"], cause["dst"], cause["dport"]) == ("10.0.1.10", "10.0.2.20", 5432)
    [finding] = [f for f in data["findings"] if f["evidence"].get("cause") == "path_loss"]
    # 3 retransmissions in 14 data segments, one of them spurious: 2 of 14 segments were really lost.
    assert (finding["evidence"]["retransmissions"], finding["evidence"]["data_segments"]) == (3, 14)
    assert finding["evidence"]["retransmission_rate"] == round(2 / 14, 5)
    assert data["flows"][0]["instance_id"] == lab.client_instance
    # Loss on the path is not fixed by changing a host, so no change is offered; what to do is said instead.
    assert data["recommendation"] is None
    assert any("no TCP setting stops loss on the path" in f["detail"] for f in data["findings"])
    assert LOSSY in reply.markdown


async def test_flow_monitor_numbers_back_the_cause_and_aws_health_is_reported_apart(perf_agent, lab, http) -> None:
    stub_monitor_with_flow(perf_agent.nfm, instance=lab.client_instance, retransmissions=400, timeouts=3)
    reply = await ask(http, perf_agent.url, Part(text="why are there retransmissions on port 5432?"))
    [cause] = [c for c in reply.data["causes"] if c["code"] == "path_loss"]
    # 400 retransmissions over 14,480,000 bytes (10,000 full segments) and 3 timeouts, as NFM reported them.
    assert "Network Flow Monitor: about 4.0% retransmitted, 3 timeouts" in cause["evidence_for"]
    [health] = [f for f in reply.data["findings"] if f["title"].startswith("AWS network health indicator")]
    assert health["title"] == "AWS network health indicator: not reported (unknown)"
    assert health["evidence"]["source"] == "cloudwatch"
    assert "AWS's network health indicator was not reported, so AWS is not ruled out" in cause["evidence_against"]


async def test_an_rtt_question_is_answered_with_the_captures_rtt_first(perf_agent, lab, http) -> None:
    stub_monitor_with_flow(perf_agent.nfm, instance=lab.client_instance, retransmissions=400, timeouts=3)
    reply = await ask(http, perf_agent.url, Part(text="what is the RTT on port 8080?"))
    assert reply.data["scope"]["intent"] == "metric"
    assert reply.data["headline"]["text"].startswith(f"RTT on {SLOW}: median 150.0 ms, p99 150.0 ms over 2 samples.")
    # two samples give the number asked for, not a verdict: the cause is left unknown, and said so
    assert reply.data["causes"][0]["code"] == "insufficient_evidence"
    assert "Too little evidence for a verdict" in reply.data["headline"]["text"]


async def test_status_updates_name_each_source_as_it_is_queried(perf_agent, lab, http) -> None:
    stub_monitor_with_flow(perf_agent.nfm, instance=lab.client_instance, retransmissions=1, timeouts=0)
    reply = await ask(http, perf_agent.url, Part(text="anything wrong with the network?"))
    statuses = reply.statuses
    assert any(s.startswith("Querying Network Flow Monitor: 1 active of 1 monitor…") for s in statuses)
    assert any(s.startswith("Analyzing 1 of 1 capture from s3://netops-captures/") for s in statuses)


async def test_the_answer_carries_the_trace_with_a_tool_step_per_aws_call(perf_agent, lab, http) -> None:
    stub_no_monitors(perf_agent.nfm)
    reply = await ask(http, perf_agent.url, Part(text="retransmissions?"))
    [artifact] = reply.artifacts
    trace = ResponseTrace.from_dict(_plain(artifact.metadata[TRACE_METADATA_KEY]))
    names = [s.name for s in trace.steps]
    assert "analyze_traffic_mirroring_logs" in names
    assert "s3.analyze_capture" in names
    assert "Performance_Agent" in names


async def test_no_monitors_becomes_a_finding_and_the_captures_still_answer(perf_agent, lab, http) -> None:
    stub_no_monitors(perf_agent.nfm)
    reply = await ask(http, perf_agent.url, Part(text="why is it slow?"))
    assert reply.final_state == "TASK_STATE_COMPLETED"
    titles = [f["title"] for f in reply.data["findings"]]
    assert "networkflowmonitor.list_monitors failed (NoMonitors)" in titles
    # the shared capture alone is 14 data segments: an honest "unknown" that says what is missing
    assert reply.data["status"] == "unknown"
    assert "no Network Flow Monitor monitor in us-east-1" in reply.data["headline"]["text"]


async def test_access_denied_fails_the_tool_step_and_tells_what_to_grant(perf_agent, lab, http) -> None:
    perf_agent.nfm.add_client_error("list_monitors", "AccessDeniedException", "not authorized", 403)
    reply = await ask(http, perf_agent.url, Part(text="why is it slow?"))
    assert reply.final_state == "TASK_STATE_COMPLETED"
    [denied] = [f for f in reply.data["findings"] if f["evidence"].get("code") == "AccessDeniedException"]
    assert denied["recommendation"].startswith(
        "Grant the agent's IAM role permission for networkflowmonitor.list_monitors"
    )
    [artifact] = reply.artifacts
    trace = ResponseTrace.from_dict(_plain(artifact.metadata[TRACE_METADATA_KEY]))
    [step] = [s for s in trace.steps if s.name == "networkflowmonitor.list_monitors"]
    assert "AccessDenied" in step.error


async def test_throttling_becomes_a_finding_with_a_wait_and_retry(perf_agent, lab, http) -> None:
    perf_agent.nfm.add_client_error("list_monitors", "ThrottlingException", "Rate exceeded", 400)
    reply = await ask(http, perf_agent.url, Part(text="why is it slow?"))
    [throttled] = [f for f in reply.data["findings"] if f["evidence"].get("code") == "ThrottlingException"]
    assert "wait a minute and ask again" in throttled["recommendation"]
    assert reply.final_state == "TASK_STATE_COMPLETED"


async def test_no_such_bucket_becomes_a_finding_naming_the_setting(moto_url, lab, redis_client, http) -> None:
    settings = agent_settings(moto_url, capture_bucket="no-such-captures")
    async with serve_performance_agent(settings, redis_client) as agent:
        stub_monitor_with_flow(agent.nfm, instance=lab.client_instance, retransmissions=400, timeouts=3)
        reply = await ask(http, agent.url, Part(text="why is it slow?"))
    [missing] = [f for f in reply.data["findings"] if f["evidence"].get("code") == "NoSuchBucket"]
    assert "NETOPS_CAPTURE_BUCKET" in missing["recommendation"]
    assert reply.final_state == "TASK_STATE_COMPLETED"  # Network Flow Monitor still answered
    assert [(c["code"], c["dport"]) for c in reply.data["causes"]] == [("path_loss", 5432)]


async def test_nothing_analyzable_fails_the_task_with_the_reasons(moto_url, lab, redis_client, http) -> None:
    settings = agent_settings(moto_url, capture_bucket="no-such-captures")
    async with serve_performance_agent(settings, redis_client) as agent:
        stub_no_monitors(agent.nfm)
        reply = await ask(http, agent.url, Part(text="why is it slow?"))
    assert reply.final_state == "TASK_STATE_FAILED"
    assert reply.data["status"] == "unknown"
    assert reply.data["headline"]["text"].startswith("Unknown: not enough evidence in the last 30 minutes")
    assert {f["evidence"].get("code") for f in reply.data["findings"]} >= {"NoSuchBucket", "NoMonitors"}


async def test_a_message_without_text_is_rejected_with_a_reason(perf_agent, http) -> None:
    reply = await ask(http, perf_agent.url, Part(text=" "))
    assert reply.final_state == "TASK_STATE_REJECTED"


def _plain(struct: Any) -> Any:
    from google.protobuf.json_format import MessageToDict

    return MessageToDict(struct) if hasattr(struct, "DESCRIPTOR") else struct


async def test_a_follow_up_in_the_same_context_is_answered_in_that_context(perf_agent, lab, http) -> None:
    stub_no_monitors(perf_agent.nfm)
    first = await ask(http, perf_agent.url, Part(text="retransmissions in the captures?"))
    second = await ask(http, perf_agent.url, Part(text="and over the last 2 hours?"), context_id=first.context_id)
    assert second.final_state == "TASK_STATE_COMPLETED"
    assert second.context_id == first.context_id
    assert second.data["scope"]["window"]["minutes"] == 120
    assert "last 2 hours" in second.markdown
