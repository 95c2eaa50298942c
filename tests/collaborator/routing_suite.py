"""The routing suite: questions as operators write them, and the agent that must take each (or ask back).

Both languages, terse and wordy, with ids and IPs, off-topic and other domains. The agents are
the real Performance_Agent card and the test Connectivity_Agent (security groups, routes, DNS).
`PERF_ONLY` asks the same questions of a deployment with the Performance Agent alone: what the
Connectivity Agent would take must then be asked back, saying no agent here handles it.
"""

from __future__ import annotations

from collab_cards import connectivity_card

from agents.collaborator.selection import Agent
from agents.performance.card import build_card

PERF_NAME, CONN_NAME = "Performance_Agent", "Connectivity_Agent"
PERF = Agent("http://perf.test", build_card("http://perf.test/", bearer_required=False))
CONN = Agent("http://conn.test", connectivity_card("http://conn.test/"))
BOTH = [PERF, CONN]
PERF_ONLY = [PERF]
ASK = None

P, C = PERF_NAME, CONN_NAME

SUITE: list[tuple[str, str | None]] = [
    # Performance, English
    ("Why is traffic between the app and the database slow?", P),
    ("We see TCP retransmissions on the orders service", P),
    ("Analyze the traffic mirroring captures from this morning", P),
    ("latency spiked on i-0abc12345678 since 09:00", P),
    ("Check the CloudWatch network metrics for the payments monitor", P),
    ("Is the AWS network health indicator showing a problem?", P),
    ("packets are being dropped between the web tier and redis", P),
    ("show me the round-trip time from Network Flow Monitor", P),
    ("the app feels sluggish, p99 went up", P),
    ("look at the pcap for duplicate acks and resets", P),
    ("is the network healthy?", P),
    ("why are there so many RSTs from the load balancer?", P),
    ("show me the worst flows in us-west-2", P),
    ("why are TCP retransmissions high between app and db?", P),
    ("retransmits", P),
    ("packet loss?", P),
    ("jitter on the voice gateway hosts", P),
    ("throughput between 10.0.1.10 and 10.0.2.20 dropped by half", P),
    ("what's the RTT between app and db?", P),
    ("top flows by retransmissions in the last hour", P),
    ("is packet loss the reason the db is slow?", P),
    ("connections get reset every few minutes", P),
    ("lots of resets on port 5432", P),
    ("are there retransmitted segments on i-0123456789abcdef0?", P),
    ("high latency to the database since 14:00 UTC", P),
    ("our kafka brokers see timeouts and retransmissions", P),
    ("is the packet loss on the AWS side or ours?", P),
    ("network performance of the checkout service over the last 2 hours", P),
    ("Is the app to db flow healthy now? Check the last 5 minutes.", P),
    ("bandwidth between the app tier and s3 looks capped", P),
    ("which flows are the worst right now", P),
    ("dup acks on the mirror target", P),
    ("any drops on 10.0.2.20?", P),
    ("the database connection is laggy", P),
    ("how bad is the loss between the AZs?", P),
    ("did the latency come back to normal after the fix?", P),
    ("compare retransmissions before and after 13:00", P),
    ("tcpdump shows zero windows from the db, why?", P),
    ("Network Flow Monitor top contributors for us-east-1, last 30 minutes", P),
    ("RTT p99 for the app host", P),
    ("why is our TCP throughput so low on the replication link", P),
    ("slow queries, could it be the network?", P),
    ("something is slow between app and db", P),
    ("retransmission rate of the worst flow", P),
    ("the mirroring captures show out-of-order segments", P),
    ("is there congestion on the path to the db?", P),
    ("why did the flow from 10.0.1.10 degrade?", P),
    ("health of the VPC network in eu-west-1", P),
    ("apply the TCP fixes to i-0123456789abcdef0", P),
    ("tune the TCP buffers on the app host", P),
    ("TCP retransmissions", P),
    ("latency", P),
    # as the eval suite asks them (evals/*.yaml)
    ("app db ok?", P),
    ("why is the app talking to the db so slowly?", P),
    ("check i-0a1b2c3d4e5f60718 for TCP problems", P),
    ("is the TCP window stuck at 64K between 10.0.1.10 and 10.0.2.20?", P),
    ("app to db bulk transfer is capped, what should we change?", P),
    ("are there zero windows on 10.0.1.10 -> 10.0.2.20:5432?", P),
    ("i-0b1b2c3d4e5f60718 started refusing connections since 15:30 UTC, what's happening?", C),
    # Performance, Korean
    ("app과 db 사이에 TCP 재전송이 왜 이렇게 많아?", P),
    ("DB 연결이 느려요. 네트워크 문제인가요?", P),
    ("네트워크 상태 괜찮아?", P),
    ("로드밸런서에서 RST가 왜 이렇게 많아?", P),
    ("us-west-2에서 최악의 플로우 보여줘", P),
    ("패킷 손실이 있나요?", P),
    ("지연이 심해요", P),
    ("연결이 자꾸 끊겨요", P),
    ("10.0.1.10과 10.0.2.20 사이 RTT는 얼마야?", P),
    ("재전송률이 높은 흐름 알려줘", P),
    ("i-0123456789abcdef0 인스턴스의 재전송을 확인해줘", P),
    ("지난 2시간 동안 네트워크 성능 분석해줘", P),
    ("트래픽 미러링 캡처 분석해줘", P),
    ("앱 서버가 느려요", P),
    ("데이터베이스로 가는 트래픽이 느린 이유가 뭐야?", P),
    ("처리량이 절반으로 떨어졌어", P),
    ("대역폭이 부족한 것 같아요", P),
    ("패킷 드롭이 있어?", P),
    ("리셋이 많이 발생해요", P),
    ("지터가 심해요", P),
    ("CloudWatch 지표 보여줘", P),
    ("Network Flow Monitor 상위 플로우", P),
    ("AWS 네트워크 상태 지표가 문제를 보이나요?", P),
    ("패킷 손실이 원인인가요?", P),
    ("타임아웃이 자주 나요", ASK),  # timeouts: slow path or blocked port, either agent
    ("응답시간이 길어졌어요", P),
    ("재전송", P),
    ("패킷손실", P),
    ("네트워크가 느려", P),
    ("앱과 DB 사이 지연 시간 알려줘", P),
    ("db 연결이 자주 끊김", P),
    ("TCP 윈도우가 작아서 느린 건가?", P),
    ("버퍼 튜닝 적용해줘", P),
    ("성능 문제 원인 분석", P),
    ("최악의 흐름은 어디야?", P),
    ("혼잡 때문에 느린가요?", P),
    ("중복 ACK가 많아요", P),
    ("미러링된 패킷에서 재전송 찾아줘", P),
    ("연결 속도가 너무 느립니다", P),
    ("eu-west-1 네트워크 상태", P),
    ("수정 사항 적용해줘", P),
    ("세그먼트 유실이 있나?", P),
    ("15:30 이후로 i-0b1b2c3d4e5f60718 쪽 TCP 문제 있었어?", P),
    ("app이랑 db 사이 네트워크 괜찮아?", P),
    ("i-0a1b2c3d4e5f60718 인스턴스에서 db로 가는 트래픽 패킷 손실 있어? 지난 30분 기준으로 봐줘", P),
    # Connectivity, both languages
    ("Can the web server reach the database on port 5432?", C),
    ("connection refused from the bastion to the app host", C),
    ("Is port 443 blocked by a security group?", C),
    ("Why does db.internal not resolve?", C),
    ("DNS lookup fails for the internal hostname", C),
    ("check the route tables and the NAT gateway for the private subnet", C),
    ("does the network ACL deny traffic from 10.0.1.0/24?", C),
    ("Is VPC peering set up between the two VPCs?", C),
    ("which security group rules allow ssh to i-0123456789abcdef0?", C),
    ("the app subnet cannot reach the internet gateway", C),
    ("is the NACL blocking port 22?", C),
    ("nxdomain for api.internal from the app subnet", C),
    ("does sg-0abc1234 allow inbound 5432?", C),
    ("route 53 private zone not resolving", C),
    ("firewall rules between web and db", C),
    ("can 10.0.1.10 reach 10.0.2.20 on port 6379?", C),
    ("보안 그룹이 5432 포트를 막고 있나요?", C),
    ("보안그룹 규칙 확인해줘", C),
    ("DNS가 안 돼요", C),
    ("도메인 이름이 해석되지 않아요", C),
    ("라우팅 테이블 확인해줘", C),
    ("NAT 게이트웨이로 나가는 경로가 있나요?", C),
    ("방화벽이 포트를 차단하나요?", C),
    ("피어링 연결 설정 확인", C),
    ("서브넷 라우트 확인해줘", C),
    ("접속이 거부돼요", C),
    # Ask back: vague, greetings, off-topic
    ("hello", ASK),
    ("help", ASK),
    ("something is wrong", ASK),
    ("what about the network?", ASK),
    ("check the database", ASK),
    ("network issues", ASK),
    ("the database is having problems", ASK),
    ("what's the weather in Seoul?", ASK),
    ("how much did we spend on EC2 last month?", ASK),
    ("who has IAM permission to delete the bucket?", ASK),
    ("thanks!", ASK),
    ("i-0123456789abcdef0", ASK),
    ("10.0.1.10", ASK),
    ("what can you do?", ASK),
    ("status", ASK),
    ("is everything ok?", P),  # to a network bot, "ok?" asks for a health check
    ("restart the app server", ASK),
    ("deploy version 2.3 to production", ASK),
    ("write me a poem", ASK),
    ("what time is it?", ASK),
    ("안녕하세요", ASK),
    ("도와줘", ASK),
    ("뭔가 이상해", ASK),
    ("서울 날씨 어때?", ASK),
    ("지난달 비용이 얼마야?", ASK),
    ("고마워", ASK),
    ("데이터베이스 확인해줘", ASK),
    ("서버 재시작해줘", ASK),
    ("무엇을 할 수 있어?", ASK),
    ("IAM 권한 확인해줘", ASK),
]

# Questions the Connectivity Agent takes that the Performance Agent takes when alone: a refused
# connection is a reset it sees in the captures (the eval suite's resets scenario asks this).
PERF_ONLY_TAKES = [
    "i-0b1b2c3d4e5f60718 started refusing connections since 15:30 UTC, what's happening?",
    "connection refused from the bastion to the app host",
    "접속이 거부돼요",
]
# The other questions the Connectivity Agent takes: without it they are asked back, naming no agent for them.
OUT_OF_SCOPE = [question for question, expected in SUITE if expected == C and question not in PERF_ONLY_TAKES]
