import json
from a2a.types import Part
from perf_harness import agent_settings, ask, serve_performance_agent, stub_monitor_with_flow, stub_no_monitors


def show(tag, reply):
    d = reply.data
    print("=====", tag, reply.final_state, d["status"], d["headline"])
    for f in d["findings"]:
        print("  F", f["severity"], f["title"], "|", f["evidence"], "|", f["detail"][:200], "|", f.get("recommendation"))
    print("  causes", [(c["code"], c.get("flow"), c["confidence"]) for c in d["causes"]])
    print("  rec", d["recommendation"])
    print("  md-tail", reply.markdown[-300:])


async def test_dump(perf_agent, lab, http):
    stub_monitor_with_flow(perf_agent.nfm, instance=lab.client_instance, retransmissions=400, timeouts=3)
    show("rtt", await ask(http, perf_agent.url, Part(text="what is the RTT between app and db?")))
    stub_no_monitors(perf_agent.nfm)
    show("nomon", await ask(http, perf_agent.url, Part(text="why is it slow?")))
    perf_agent.nfm.add_client_error("list_monitors", "AccessDeniedException", "not authorized", 403)
    show("denied", await ask(http, perf_agent.url, Part(text="why is it slow?")))
    stub_no_monitors(perf_agent.nfm)
    first = await ask(http, perf_agent.url, Part(text="retransmissions in the captures?"))
    show("first", first)
    second = await ask(http, perf_agent.url, Part(text="and over the last 2 hours?"), context_id=first.context_id)
    show("second", second)


async def test_dump2(moto_url, lab, redis_client, http):
    settings = agent_settings(moto_url, capture_bucket="no-such-captures")
    async with serve_performance_agent(settings, redis_client) as agent:
        stub_no_monitors(agent.nfm)
        show("nothing", await ask(http, agent.url, Part(text="why is it slow?")))
