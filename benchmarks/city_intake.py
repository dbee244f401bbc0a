"""A call opens: intake and notification on the real stack, beside the raw floor of the same
broker and database, measured in the same run.

    make bench                                           # bootstrap, then the line below
    uv run --frozen python benchmarks/city_intake.py     # --quick while developing

Starts its own Kafka, FerretDB, SMTP and SMS gateway sinks and the four services on free ports
in a temporary folder (a running `make up` is left alone) and stops them all at the end, also
on failure. The phases, in the order they run:

1. raw floor: a plain aiokafka consumer doing the least intake must do, on a scratch topic of
   3 partitions: getmany(max_records=500), one insert_many into FerretDB, one event produced
   per message (the batch of sends awaited), one offset commit per batch. Then the same one
   message at a time, for contrast.
2. intake alone: recruitment is the only service running; --applications new applications
   (none invalid or repeated) are published over Kafka as fast as the bench can, and intake is
   measured as in the burst. What intake costs when nothing else shares the 2 cores; the other
   services then start at the end of every topic, so they never hear of these applications.
3. steady (after 50 applications of warm-up, not counted): a call opens; applications arrive
   at --steady-rate for --steady-seconds, paced. At 500/s every citizen gets two SMS (receipt
   and screening result): 1,000 SMS/s of demand, far above a provider limit of 100/s, so in
   this phase notify runs with its SMS and e-mail limits raised above demand (4 x the rate);
   first-SMS latency then shows notify's own delay, not the provider's limit.
4. burst: notify is restarted with its configured default limits; another call opens and
   --applications arrive as fast as partner systems can publish them, mixed: ~15 % ineligible,
   ~3 % duplicates, ~1 % invalid (dead letters), ~5 % over HTTP `POST /applications`.
   Intake = valid applications screened / (first publish -> last screening event). Notify's
   SMS/s to the gateway is measured for --notify-window seconds from its first SMS after the
   restart (the token bucket's initial burst skipped), against its default limit; it was
   saturated if SMS were still owed at the window's end.

Latencies: submit (the bench's clock before publishing or POSTing) to the screening event's
Kafka timestamp, and to the gateway sink's `received_at` of the citizen's first SMS. Waits are
bounded (--max-wait); what did not arrive in time is reported, not waited for. Resources: CPU
seconds (utime + stime of each process group, children included) per phase and peak RSS
(VmHWM) of every process. Prints a table and writes it to docs/benchmarks.md; asserts nothing.
The last line printed is `intake: <N> applications/s, <P>% of the raw floor`.
"""

import argparse
import asyncio
import bisect
import contextlib
import itertools
import json
import math
import os
import platform
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from deploy.local.stack import (
    FERRETDB_VERSION,
    KAFKA_VERSION,
    REPO_ROOT,
    FerretDB,
    Kafka,
    ManagedProcess,
    Service,
    SmsGatewaySink,
    SmtpSink,
    TokenIssuer,
    contract_env,
    create_topics,
    ensure_ferretdb,
    ensure_kafka,
    free_port,
)
from deploy.local.token_issuer import LocalIssuer
from shared.clock import now_kst
from shared.mongo import make_mongo_client
from shared.topics import ALL_TOPICS, Topic, dead_letter_topic
from tests.conftest import publish_many, start_at_the_end
from tests.e2e.applicants import applicant, open_call, submitted_event

DOCS = REPO_ROOT / "docs" / "benchmarks.md"
SERVICES = ("recruitment", "enrollment", "placement", "notify")
SMS_TOKEN = "bench-token"
SUBMITTED = Topic.APPLICATION_SUBMITTED.value
SCREENED = Topic.APPLICATION_SCREENED.value
SUBMITTED_DLQ = dead_letter_topic(SUBMITTED)
PARTITIONS = 3
FLOOR_BATCH = 500
HTTP_CONCURRENCY = 8
WARM_UP_APPLICATIONS = 50
# Notify's token bucket starts full (a second's worth): the rate window starts after it.
BUCKET_SKIP_SECONDS = 2.0
# Quiet hours off (equal start and end), so the time of day never holds an SMS back.
QUIET_HOURS_OFF = {"QUIET_HOURS_START": "00:00", "QUIET_HOURS_END": "00:00"}
# option: (full run, --quick)
DEFAULTS: dict[str, tuple[int, int]] = {
    "applications": (20_000, 2_000),
    "steady_seconds": (30, 10),
    "floor_messages": (20_000, 5_000),
    "floor_single": (1_000, 500),
    "max_wait": (300, 120),
    "notify_window": (30, 15),
}
NAMES = ("김민준", "이서연", "박지훈", "최수빈", "정예준", "강하은", "조현우", "윤지민", "장서준")
DISTRICTS = ("금천구", "관악구", "강서구", "노원구", "은평구", "송파구", "마포구", "중랑구")


# --------------------------------------------------------------------------------------
# the stack and what its processes cost
# --------------------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name (field 3, the state, is index 0)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def _peak_rss(pid: int) -> int:
    """VmHWM of a process in bytes (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def cpu_and_peak(pid: int, *, group: bool) -> tuple[float, int]:
    """CPU seconds (utime + stime, and of reaped children) and the peak RSS in bytes of a
    process, or of every live process in its process group when `group`."""
    ticks = os.sysconf("SC_CLK_TCK")
    members = [pid]
    if group:
        members = [
            int(entry)
            for entry in os.listdir("/proc")
            if entry.isdigit() and (fields := _stat_fields(int(entry))) and int(fields[2]) == pid
        ]
    cpu, peak = 0.0, 0
    for member in members:
        fields = _stat_fields(member)
        if fields is None:
            continue
        own = int(fields[11]) + int(fields[12])
        children = int(fields[13]) + int(fields[14]) if group else 0
        cpu += (own + children) / ticks
        peak = max(peak, _peak_rss(member))
    return cpu, peak


class Usage:
    """CPU seconds per phase and peak RSS per component, over restarts of a component."""

    def __init__(self) -> None:
        self.phases: list[str] = []
        self.cpu: dict[str, dict[str, float]] = defaultdict(dict)  # name -> phase -> seconds
        self.peak: dict[str, int] = {}
        self._latest: dict[tuple[str, int], float] = {}  # (name, pid) -> CPU so far
        self._at_begin: dict[tuple[str, int], float] = {}

    def sample(self, processes: Mapping[str, int]) -> None:
        for name, pid in processes.items():
            cpu, peak = cpu_and_peak(pid, group=pid != os.getpid())
            self._latest[name, pid] = max(cpu, self._latest.get((name, pid), 0.0))
            self.peak[name] = max(peak, self.peak.get(name, 0))

    def begin(self, phase: str, processes: Mapping[str, int]) -> None:
        self.sample(processes)
        self.phases.append(phase)
        self._at_begin = {(n, p): self._latest[n, p] for n, p in processes.items()}

    def end(self, phase: str, processes: Mapping[str, int]) -> None:
        self.sample(processes)
        for name, pid in processes.items():
            spent = self._latest[name, pid] - self._at_begin.get((name, pid), 0.0)
            self.cpu[name][phase] = self.cpu[name].get(phase, 0.0) + spent

    def total(self, name: str) -> float:
        return sum(cpu for (n, _), cpu in self._latest.items() if n == name)


class BenchStack:
    """Kafka, FerretDB, both sinks and the services on free ports under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        logs = root / "logs"
        self.kafka = Kafka(free_port(), free_port(), root / "kafka", log_file=logs / "kafka.log")
        self.ferretdb = FerretDB(
            free_port(), free_port(), root / "ferretdb", log_file=logs / "ferretdb.log"
        )
        self.smtp = SmtpSink(free_port(), root / "mail", log_file=logs / "smtp-sink.log")
        self.sms = SmsGatewaySink(
            free_port(), root / "sms", token=SMS_TOKEN, log_file=logs / "sms-gateway.log"
        )
        self.issuer = TokenIssuer(free_port(), root / "auth", log_file=logs / "token-issuer.log")
        self.service_ports = {name: free_port() for name in SERVICES}
        self.services: dict[str, Service] = {}
        self.usage = Usage()

    @property
    def infrastructure(self) -> list[ManagedProcess]:
        return [self.kafka, self.ferretdb, self.smtp, self.sms, self.issuer]

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.service_ports[service]}"

    def processes(self) -> dict[str, int]:
        """Component name -> pid of what runs now, and the bench itself."""
        running = {c.name: c.pid for c in [*self.infrastructure, *self.services.values()]}
        return {name: pid for name, pid in running.items() if pid} | {"bench": os.getpid()}

    def start_infrastructure(self) -> None:
        ensure_kafka()
        ensure_ferretdb()
        for component in self.infrastructure:
            component.start()
        for component in self.infrastructure:
            component.wait_ready(120)
        create_topics(self.kafka.bootstrap_servers, ALL_TOPICS)

    async def start_services(
        self, names: Iterable[str], extra: Mapping[str, Mapping[str, str]]
    ) -> None:
        """Start the services together, each with its `extra` environment, and wait for each
        to be ready. They are started on the main thread (see ManagedProcess), and waited
        for in threads: the event loop goes on reading what the other services publish."""
        env = (
            contract_env(
                kafka_port=self.kafka.port,
                mongo_port=self.ferretdb.port,
                smtp_port=self.smtp.port,
                sms_port=self.sms.port,
                sms_token=SMS_TOKEN,
            )
            | self.issuer.auth_env()
            | {"DEPENDENCY_RETRY_SECONDS": "0.5"}
        )
        started = []
        for name in names:
            service = Service(
                name,
                self.service_ports[name],
                env | dict(extra.get(name, {})),
                log_file=self.root / "logs" / f"{name}.log",
            )
            service.start()
            self.services[name] = service
            started.append(service)
        await asyncio.gather(*(asyncio.to_thread(s.wait_ready, 120) for s in started))

    def stop_service(self, name: str) -> None:
        service = self.services.pop(name)
        if service.pid:
            self.usage.sample({name: service.pid})
        service.stop()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.usage.sample(self.processes())
        for component in [*self.services.values(), *reversed(self.infrastructure)]:
            with contextlib.suppress(Exception):
                component.stop()


# --------------------------------------------------------------------------------------
# 1. the raw floor
# --------------------------------------------------------------------------------------


async def raw_floor(
    bootstrap: str, mongo_uri: str, messages: Sequence[tuple[str, bytes]], batch: int, within: float
) -> tuple[float, int]:
    """(messages/s, messages done) of the least intake must do, `batch` messages at a time."""
    tag = f"floor{batch}-{uuid.uuid4().hex[:8]}"  # topics, group and collection of their own
    source, sink = f"bench.{tag}.in", f"bench.{tag}.out"
    await asyncio.to_thread(create_topics, bootstrap, [source, sink], PARTITIONS)
    await publish_many(bootstrap, source, messages)
    mongo = make_mongo_client(mongo_uri)
    collection = mongo["bench_floor"][tag]
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=f"bench.{tag}",
        enable_auto_commit=False,
    )
    # Idempotent and acks=all, as the services' producers are.
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await consumer.start()
    await producer.start()
    try:
        partitions = [TopicPartition(source, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        # Not timed: finding the group coordinator (on a new broker, creating the offsets
        # topic) and creating the collection take long once, whatever comes afterwards.
        await consumer.commit({partition: 0 for partition in partitions})
        await mongo["bench_floor"].create_collection(tag)
        done = 0
        started = time.perf_counter()
        while done < len(messages) and time.perf_counter() - started < within:
            fetched = await consumer.getmany(timeout_ms=500, max_records=batch)
            records = [record for part in fetched.values() for record in part]
            if not records:
                continue
            documents = []
            for record in records:
                event = json.loads(record.value)
                documents.append({"_id": event["data"]["application_id"], **event["data"]})
            await collection.insert_many(documents, ordered=False)
            screened = [
                json.dumps({"event_id": str(uuid.uuid4()), "application_id": d["_id"]}).encode()
                for d in documents
            ]
            sends = [
                await producer.send(sink, value, key=record.key)
                for value, record in zip(screened, records, strict=True)
            ]
            await asyncio.gather(*sends)
            await consumer.commit()
            done += len(records)
        elapsed = time.perf_counter() - started
    finally:
        await producer.stop()
        await consumer.stop()
        await mongo.close()
    return done / elapsed, done


# --------------------------------------------------------------------------------------
# the applications: a realistic mix
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    kind: str
    key: str  # the application id: the Kafka key, or the id given over HTTP
    value: bytes  # the bytes published, or the HTTP body
    phone: str | None = None  # digits, as the gateway sees them; a new application only
    new_application: bool = True  # expected to be screened once
    via_http: bool = False


def _ineligible(start: date) -> dict[str, dict[str, Any]]:
    return {
        "ineligible: not a Seoul resident": {"address": {"sido": "경기도", "sigungu": "성남시"}},
        "ineligible: employed": {"employment_status": "employed"},
        "ineligible: too young": {"birth_date": date(start.year - 16, 5, 1).isoformat()},
        "ineligible: on unemployment benefit": {
            "unemployment_benefit": {
                "start": (start - timedelta(days=90)).isoformat(),
                "end": (start + timedelta(days=60)).isoformat(),
            }
        },
    }


class Applications:
    """Submissions to one call, deterministic for a seed; phone numbers unique over the run."""

    def __init__(self, call: dict[str, Any], numbers: Iterable[int], seed: int) -> None:
        self.call_id: str = call["id"]
        self.start = date.fromisoformat(call["start_date"])
        self.numbers = iter(numbers)
        self.rng = random.Random(seed)
        self.ineligible = _ineligible(self.start)
        self.originals: list[tuple[str, dict[str, Any], bytes]] = []  # Kafka, for duplicates

    def person(self, **overrides: Any) -> dict[str, Any]:
        """A citizen of Seoul of working age, unemployed: eligible unless `overrides` say not."""
        rng, number = self.rng, next(self.numbers)
        born = date(rng.randint(1962, 2004), rng.randint(1, 12), rng.randint(1, 28))
        income = rng.choices(["general", "near_poor", "basic_livelihood"], [80, 12, 8])[0]
        fields = {
            "applicant_id": f"p-{number:08d}",
            "name": rng.choice(NAMES),
            "birth_date": born.isoformat(),
            "phone": f"010-{number // 10_000:04d}-{number % 10_000:04d}",
            "email": f"citizen{number}@example.com",
            "address": {"sido": "서울특별시", "sigungu": rng.choice(DISTRICTS)},
            "household": {"is_head": rng.random() < 0.5, "single_person": rng.random() < 0.3},
            "income_category": income,
            "consents": {"sms": True, "email": rng.random() < 0.7},
        }
        return applicant(**(fields | overrides))

    def build(self, count: int, *, mixed: bool = True) -> list[Submission]:
        invalid = itertools.cycle((self.not_json, self.schema_invalid, self.resident_number))
        duplicate = itertools.cycle((self.resent, self.same_id_new_event, self.second_application))
        out: list[Submission] = []
        for _ in range(count):
            draw = self.rng.random() if mixed else 1.0
            if draw < 0.01:
                out.append(next(invalid)())
            elif draw < 0.04 and self.originals:
                out.append(next(duplicate)())
            else:
                out.append(self.new(via_http=mixed and self.rng.random() < 0.052))
        return out

    def new(self, *, via_http: bool) -> Submission:
        kind, overrides = "eligible", dict[str, Any]()
        if self.rng.random() < 0.15:
            kind, overrides = self.rng.choice(list(self.ineligible.items()))
        person = self.person(**overrides)
        phone = person["phone"].replace("-", "")
        application_id = f"{'h' if via_http else 'a'}-{uuid.uuid4().hex[:12]}"
        if via_http:
            body = {"application_id": application_id, "call_id": self.call_id, "applicant": person}
            value = json.dumps(body, ensure_ascii=False).encode()
            return Submission(f"web: {kind}", application_id, value, phone, via_http=True)
        _, value = submitted_event(self.call_id, person, application_id=application_id)
        self.originals.append((application_id, person, value))
        return Submission(kind, application_id, value, phone)

    def resent(self) -> Submission:
        key, _, value = self.rng.choice(self.originals)
        return Submission("duplicate: the same event re-sent", key, value, new_application=False)

    def same_id_new_event(self) -> Submission:
        key, person, _ = self.rng.choice(self.originals)
        _, value = submitted_event(self.call_id, person, application_id=key)
        return Submission("duplicate: same application id, new event id", key, value, None, False)

    def second_application(self) -> Submission:
        _, person, _ = self.rng.choice(self.originals)
        key, value = submitted_event(self.call_id, person)
        phone = person["phone"].replace("-", "")
        return Submission("duplicate: the same applicant applies twice", key, value, phone)

    def not_json(self) -> Submission:
        key, value = submitted_event(self.call_id, self.person())
        return Submission("invalid: not JSON", key, value[: len(value) // 3], None, False)

    def schema_invalid(self) -> Submission:
        key, value = submitted_event(self.call_id, self.person(phone="123-45"))
        return Submission("invalid: schema", key, value, None, False)

    def resident_number(self) -> Submission:
        person = self.person(name="홍길동 850302-1234567")
        key, value = submitted_event(self.call_id, person)
        return Submission("invalid: resident registration number", key, value, None, False)


# --------------------------------------------------------------------------------------
# submitting and watching what comes out
# --------------------------------------------------------------------------------------


class Screenings:
    """Reads the screening events and the submitted topic's dead letters as they come."""

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
        self.at: dict[str, float] = {}  # application id -> first screening event's timestamp
        self.eligible: dict[str, bool] = {}
        self.dead_letters: dict[str, list[str]] = defaultdict(list)  # key -> reasons
        self.stop = asyncio.Event()

    async def start(self) -> None:
        """From the current end of both topics on: only what this run causes counts."""
        await self.consumer.start()
        partitions = [
            TopicPartition(t, p) for t in (SCREENED, SUBMITTED_DLQ) for p in range(PARTITIONS)
        ]
        self.consumer.assign(partitions)
        await self.consumer.seek_to_end(*partitions)
        for partition in partitions:
            await self.consumer.position(partition)

    async def run(self, until: float) -> None:
        try:
            while not self.stop.is_set() and time.monotonic() < until:
                fetched = await self.consumer.getmany(timeout_ms=200, max_records=5000)
                for record in (r for part in fetched.values() for r in part):
                    key = record.key.decode() if record.key else ""
                    if record.topic == SUBMITTED_DLQ:
                        headers = dict(record.headers or ())
                        reason = headers.get("dlq.reason", b"?").decode()
                        self.dead_letters[key].append(reason)
                        continue
                    if key not in self.at:
                        self.at[key] = record.timestamp / 1000
                        self.eligible[key] = bool(json.loads(record.value)["data"]["eligible"])
        finally:
            await self.consumer.stop()


class GatewayLog:
    """The SMS gateway sink's messages.jsonl (one line per distinct message), read as it grows."""

    def __init__(self, sink: SmsGatewaySink) -> None:
        self.path = sink.store_dir / "messages.jsonl"
        self._offset = 0
        self.messages: list[tuple[float, str]] = []  # (received_at, to), in arrival order
        self.first_at: dict[str, float] = {}  # number -> its first message
        self.received: Counter[str] = Counter()  # number -> messages

    def read(self) -> None:
        try:
            with self.path.open("rb") as lines:
                lines.seek(self._offset)
                chunk = lines.read()
        except FileNotFoundError:
            return
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written waits
        self._offset += len(complete)
        for line in complete.splitlines():
            if line.strip():
                record = json.loads(line)
                at = datetime.fromisoformat(record["received_at"]).timestamp()
                self.messages.append((at, record["to"]))
                self.first_at.setdefault(record["to"], at)
                self.received[record["to"]] += 1

    def count(self, numbers: Iterable[str]) -> int:
        return sum(self.received[number] for number in numbers)


class Submitter:
    """Publishes submissions as partner systems do and POSTs the web ones, noting when."""

    def __init__(self, bootstrap: str, recruitment: str, tokens: LocalIssuer) -> None:
        self.producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        self.tokens = tokens
        operator = tokens.mint("bench-operator", ["operator"], ["*"])
        self.http = httpx.AsyncClient(
            base_url=recruitment,
            timeout=60,
            limits=httpx.Limits(max_connections=HTTP_CONCURRENCY),
            headers={"authorization": f"Bearer {operator}"},
        )
        self.sent_at: dict[str, float] = {}  # application id -> first submitted (wall clock)
        self.http_errors: Counter[str] = Counter()

    async def __aenter__(self) -> "Submitter":
        await self.producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.producer.stop()
        await self.http.aclose()

    async def open_call(self, prefix: str, quota: int) -> dict[str, Any]:
        call = open_call(f"bench-{prefix}-{uuid.uuid4().hex[:6]}", quota=max(1, quota))
        (await self.http.post("/calls", json=call)).raise_for_status()
        (await self.http.post(f"/calls/{call['id']}/open")).raise_for_status()
        return call

    async def dispatch(self, submissions: Sequence[Submission], rate: float | None) -> float:
        """Submit everything, paced at `rate` per second (None: as fast as possible), the web
        applications concurrently with the Kafka ones; return the seconds it took."""
        slots = asyncio.Semaphore(HTTP_CONCURRENCY)
        posts: list[asyncio.Task[None]] = []
        acks: list[asyncio.Future[Any]] = []
        started = time.monotonic()
        for index, item in enumerate(submissions):
            if rate is not None:
                delay = started + index / rate - time.monotonic()
                if delay > 0.002:
                    await asyncio.sleep(delay)
            elif index % 100 == 0:
                await asyncio.sleep(0)  # let the web applications go out meanwhile
            if item.via_http:
                posts.append(asyncio.create_task(self._post(item, slots)))
                continue
            self.sent_at.setdefault(item.key, time.time())
            acks.append(await self.producer.send(SUBMITTED, item.value, key=item.key.encode()))
        await asyncio.gather(*acks)
        await asyncio.gather(*posts)
        return time.monotonic() - started

    async def _post(self, item: Submission, slots: asyncio.Semaphore) -> None:
        # Each web application comes from its citizen, signed in as themself.
        citizen = json.loads(item.value)["applicant"]["applicant_id"]
        token = self.tokens.mint(citizen, ["citizen"])
        async with slots:
            self.sent_at[item.key] = time.time()
            try:
                response = await self.http.post(
                    "/applications",
                    content=item.value,
                    headers={
                        "content-type": "application/json",
                        "authorization": f"Bearer {token}",
                    },
                )
            except httpx.HTTPError as error:
                self.http_errors[type(error).__name__] += 1
                del self.sent_at[item.key]
                return
            if response.status_code != 202:
                self.http_errors[str(response.status_code)] += 1
                del self.sent_at[item.key]


async def wait_until(done: Callable[[], bool], deadline: float, poll: float = 0.25) -> bool:
    while time.monotonic() < deadline:
        if done():
            return True
        await asyncio.sleep(poll)
    return done()


# --------------------------------------------------------------------------------------
# a phase: submit, wait (bounded), measure
# --------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    submissions: list[Submission]
    rate: float | None
    publish_seconds: float = 0.0
    expected: list[str] = field(default_factory=list)  # application ids to be screened
    first_submit: float = 0.0
    last_submit: float = 0.0
    screened_latency: list[float] = field(default_factory=list)
    last_screened: float = 0.0
    eligible: int = 0
    citizens: dict[str, float] = field(default_factory=dict)  # number -> first submit
    applications_of: Counter[str] = field(default_factory=Counter)  # number -> applications
    sms_latency: list[float] = field(default_factory=list)
    sms_sent: int = 0
    sms_missing: int = 0  # owed when the wait ended
    # How long after the last submission each wait ended (a bound for what did not arrive).
    screened_bound: float = 0.0
    sms_bound: float = 0.0
    dead_lettered: int = 0
    dead_letter_reasons: Counter[str] = field(default_factory=Counter)  # of every record

    @property
    def new_applications(self) -> int:
        return sum(s.new_application for s in self.submissions)

    @property
    def expected_sms(self) -> int:
        return 2 * len(self.expected)  # a receipt and a screening result each

    def sms_owed(self, received: Mapping[str, int]) -> int:
        """SMS not yet received: each citizen is owed two per application."""
        return sum(max(0, 2 * n - received.get(to, 0)) for to, n in self.applications_of.items())

    @property
    def invalid(self) -> list[Submission]:
        return [s for s in self.submissions if s.kind.startswith("invalid")]

    @property
    def intake(self) -> float:
        span = self.last_screened - self.first_submit
        return len(self.screened_latency) / span if span > 0 else 0.0


async def run_phase(
    phase: Phase,
    submitter: Submitter,
    screenings: Screenings,
    gateway: GatewayLog,
    max_wait: float,
    sms_done: Callable[[Phase], bool],
) -> Phase:
    phase.publish_seconds = await submitter.dispatch(phase.submissions, phase.rate)
    sent_at = submitter.sent_at
    phase.expected = [s.key for s in phase.submissions if s.new_application and s.key in sent_at]
    phase.first_submit = min((sent_at[key] for key in phase.expected), default=time.time())
    phase.last_submit = max((sent_at[key] for key in phase.expected), default=time.time())
    for item in phase.submissions:
        if item.new_application and item.phone and item.key in sent_at:
            at = sent_at[item.key]
            phase.citizens[item.phone] = min(at, phase.citizens.get(item.phone, at))
            phase.applications_of[item.phone] += 1
    invalid = {s.key for s in phase.invalid}

    began = time.monotonic()
    await wait_until(
        lambda: (
            all(key in screenings.at for key in phase.expected)
            and all(key in screenings.dead_letters for key in invalid)
        ),
        began + max_wait,
    )
    phase.screened_bound = time.time() - phase.last_submit
    screened = [key for key in phase.expected if key in screenings.at]
    phase.screened_latency = [max(0.0, screenings.at[k] - sent_at[k]) for k in screened]
    phase.last_screened = max((screenings.at[k] for k in screened), default=phase.first_submit)
    phase.eligible = sum(screenings.eligible[k] for k in screened)
    phase.dead_lettered = sum(1 for key in invalid if key in screenings.dead_letters)
    for key in invalid:
        phase.dead_letter_reasons.update(screenings.dead_letters.get(key, ()))

    began = time.monotonic()

    def done() -> bool:
        gateway.read()
        return sms_done(phase)

    await wait_until(done, began + max_wait, poll=1.0)
    phase.sms_bound = time.time() - phase.last_submit
    phase.sms_sent = gateway.count(phase.citizens)
    phase.sms_missing = phase.sms_owed(gateway.received)
    phase.sms_latency = [
        max(0.0, gateway.first_at[number] - submitted)
        for number, submitted in phase.citizens.items()
        if number in gateway.first_at
    ]
    return phase


@dataclass
class NotifyRate:
    limit: float
    rate: float = 0.0
    window: float = 0.0
    backlog: int = 0  # SMS expected but not sent at the window's end

    @property
    def saturated(self) -> bool:
        return self.backlog >= self.limit  # at least a second's work left at the limit


def window_start(gateway: GatewayLog, since: float) -> float | None:
    """When notify's rate window starts: at its first SMS after `since` (its restart with
    the default limits), once its token bucket's initial burst is spent."""
    first = min((at for at, _ in gateway.messages if at > since), default=None)
    return None if first is None else first + BUCKET_SKIP_SECONDS


def notify_rate(
    gateway: GatewayLog, since: float, phases: Sequence[Phase], limit: float, window: float
) -> NotifyRate:
    """SMS/s handed to the gateway over `window` seconds from `window_start`, or until the
    last SMS if that comes sooner; and how many SMS of `phases` were still to send then."""
    result = NotifyRate(limit)
    start = window_start(gateway, since)
    times = sorted(at for at, _ in gateway.messages)
    if start is None or not times:
        return result
    end = min(start + window, times[-1])
    if end <= start:
        return result
    count = bisect.bisect_right(times, end) - bisect.bisect_left(times, start)
    result.rate, result.window = count / (end - start), end - start
    received_by_end = Counter(to for at, to in gateway.messages if at <= end)
    result.backlog = sum(phase.sms_owed(received_by_end) for phase in phases)
    return result


# --------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------


def nearest_rank(values: Sequence[float], total: int, q: float) -> float | None:
    """The q-th percentile among `total` cases of which `values` arrived (the rest later than
    any): None when the percentile falls among those that did not arrive."""
    rank = math.ceil(q / 100 * total)
    ordered = sorted(values)
    return ordered[rank - 1] if 0 < rank <= len(ordered) else None


def quantiles(values: Sequence[float], total: int, waited: float) -> str:
    if total == 0:
        return "n/a"
    shown = []
    for q in (50, 95, 99):
        value = nearest_rank(values, total, q)
        shown.append(f"p{q} " + (f"{value:.2f} s" if value is not None else f"> {waited:.0f} s"))
    return " · ".join(shown)


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.machine(),
    )
    memory_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    cpus = len(os.sched_getaffinity(0))
    return f"{cpus} CPUs (`nproc`), {model}, {memory_kb / 1024**2:.1f} GiB memory"


def git_revision() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()

    dirty = " with uncommitted changes" if git("status", "--porcelain") else ""
    return f"{git('rev-parse', '--short', 'HEAD') or 'unknown'}{dirty}"


@dataclass
class Results:
    floor: tuple[float, int]
    floor_single: tuple[float, int]
    alone: Phase
    warm_up: Phase
    steady: Phase
    burst: Phase
    notify: NotifyRate
    steady_limits: tuple[float, float]
    carried_over: tuple[int, int]  # steady applications unscreened, SMS unsent at burst start
    http_errors: Counter[str]
    usage: Usage

    def share_of_floor(self, phase: Phase) -> float:
        """A phase's intake as a percentage of the raw floor."""
        return 100 * phase.intake / self.floor[0] if self.floor[0] else 0.0

    def intake_text(self, phase: Phase) -> str:
        """How long a phase's screening took, and its intake against the floor."""
        return (
            f"in {phase.last_screened - phase.first_submit:.1f} s = {phase.intake:,.0f} "
            f"applications/s = {self.share_of_floor(phase):.1f}% of the raw floor"
        )


def phase_rows(phase: Phase, label: str) -> list[list[str]]:
    expected = len(phase.expected)
    screened = len(phase.screened_latency)
    missing = expected - screened
    after = "s after the last submission"
    late = f"; NOT screened {phase.screened_bound:.0f} {after}: {missing:,}" if missing else ""
    no_sms = len(phase.citizens) - len(phase.sms_latency)
    silent = f"; no SMS {phase.sms_bound:.0f} {after}: {no_sms:,}" if no_sms else ""
    return [
        [
            f"{label}: screened",
            f"{screened:,} of {expected:,} ({phase.eligible:,} eligible){late}",
            "",
        ],
        [
            f"{label}: submit → screened",
            quantiles(phase.screened_latency, expected, phase.screened_bound),
            "p99 < 2 s" if label == "steady" else "",
        ],
        [
            f"{label}: submit → first SMS",
            quantiles(phase.sms_latency, len(phase.citizens), phase.sms_bound)
            + f" ({len(phase.sms_latency):,} of {len(phase.citizens):,} citizens{silent})",
            "p99 ≤ screened p99 + 1 s" if label == "steady" else "",
        ],
        [
            f"{label}: SMS at the gateway",
            f"{phase.sms_sent:,} received, {phase.expected_sms:,} expected (2 per application)"
            + (
                f"; still owed {phase.sms_bound:.0f} {after}: {phase.sms_missing:,}"
                if phase.sms_missing
                else ""
            ),
            "",
        ],
    ]


def report(results: Results, floor_messages: tuple[int, int]) -> tuple[list[str], list[str]]:
    """(the results table, the resources table)."""
    floor_rate = results.floor[0]
    alone, steady, burst, notify = results.alone, results.steady, results.burst, results.notify
    kinds = Counter(s.kind.split(":")[0] for s in burst.submissions)
    web = sum(s.via_http for s in burst.submissions)
    steady_web = sum(s.via_http for s in steady.submissions)
    notify_text = (
        f"{notify.rate:,.1f}/s over {notify.window:.0f} s = "
        f"{100 * notify.rate / notify.limit:.1f}% of its limit {notify.limit:g}/s "
        f"(default SMS_RATE_PER_SECOND); {notify.backlog:,} SMS (burst and what the steady "
        f"phase left) still to send at the window's end: "
        + ("saturated" if notify.saturated else "NOT saturated")
        if notify.window
        else "n/a: no SMS reached the gateway after notify's restart"
    )
    errors = ", ".join(f"{k}: {v}" for k, v in results.http_errors.items()) or "none"
    reasons = ", ".join(f"{k} {v}" for k, v in sorted(burst.dead_letter_reasons.items()))
    unscreened, unsent = results.carried_over
    carried_over = (
        [
            [
                "burst: started with a backlog of the steady phase",
                f"{unscreened:,} applications not screened yet, {unsent:,} SMS not sent yet",
                "",
            ]
        ]
        if unscreened or unsent
        else []
    )
    rows: list[list[str]] = [
        [
            f"raw floor: getmany({FLOOR_BATCH}), insert_many, produce, commit per batch",
            f"{floor_rate:,.0f} msg/s ({results.floor[1]:,} of {floor_messages[0]:,} messages)",
            "",
        ],
        [
            "raw floor: one message at a time",
            f"{results.floor_single[0]:,.0f} msg/s "
            f"({results.floor_single[1]:,} of {floor_messages[1]:,} messages)",
            "",
        ],
        [
            "intake alone: recruitment the only service, new applications over Kafka",
            f"{len(alone.screened_latency):,} of {len(alone.expected):,} "
            f"{results.intake_text(alone)}; submit → screened "
            + quantiles(alone.screened_latency, len(alone.expected), alone.screened_bound),
            "(context: the burst below, with the whole platform beside it)",
        ],
        [
            "warm-up (not counted)",
            f"{len(results.warm_up.screened_latency)} of {len(results.warm_up.expected)} "
            f"screened {results.warm_up.screened_bound:.1f} s after the last submission",
            "",
        ],
        [
            "burst: submitted",
            f"{len(burst.submissions):,} in {burst.publish_seconds:.1f} s: "
            f"{burst.new_applications:,} new applications ({web:,} over HTTP), "
            f"{kinds['duplicate']:,} duplicates, {kinds['invalid']:,} invalid",
            "",
        ],
        [
            "burst: intake (valid screened / first submit → last screened)",
            f"{len(burst.screened_latency):,} {results.intake_text(burst)}",
            "≥ 2,000/s and ≥ 50%",
        ],
        *carried_over,
        *phase_rows(burst, "burst"),
        [
            "burst: dead letters",
            f"{burst.dead_lettered} of {len(burst.invalid)} invalid messages; records by reason"
            f" (recruitment and notify each send one): {reasons or 'none'}",
            "",
        ],
        ["notify: SMS/s to the gateway while saturated", notify_text, "≥ 95% of its limit"],
        [
            "steady: submitted",
            f"{len(steady.submissions):,} at {steady.rate:g}/s offered, "
            f"{len(steady.submissions) / max(steady.publish_seconds, 1e-9):,.0f}/s achieved "
            f"({steady_web:,} over HTTP); notify's limits raised above demand: "
            f"SMS {results.steady_limits[0]:g}/s, e-mail {results.steady_limits[1]:g}/s",
            "",
        ],
        *phase_rows(steady, "steady"),
        ["HTTP errors (POST /applications)", errors, ""],
    ]
    usage = results.usage
    phases = usage.phases
    names = [*SERVICES, "kafka", "ferretdb", "sms-gateway", "smtp-sink", "bench"]
    resources = [
        [
            name,
            *(f"{usage.cpu[name].get(p, 0.0):.1f}" for p in phases),
            f"{usage.total(name):.1f}",
            f"{usage.peak.get(name, 0) / 2**20:.0f}",
        ]
        for name in names
    ]
    header = ["process", *(f"CPU s {p}" for p in phases), "CPU s whole run", "peak RSS MB"]
    results_table = table(["measure", "result", "target (context)"], rows)
    return results_table, table(header, resources)


def design_note(results: Results) -> list[str]:
    """Why notify's limits differ between the phases, with this run's numbers."""
    rate, limit = results.steady.rate or 0.0, results.notify.limit
    sms, email = results.steady_limits
    note = (
        f"At {rate:g} applications/s every citizen gets two SMS (receipt and screening "
        f"result): {2 * rate:,.0f} SMS/s of demand. At notify's default limit of {limit:g} "
        "SMS/s (SMS_RATE_PER_SECOND) the first SMS could not follow the screening within a "
        "second, so the steady phase runs first, with notify's SMS and e-mail limits raised "
        f"above demand ({sms:g} and {email:g}/s). Then notify restarts with its default "
        "limits and the burst runs: notify is saturated there, and its SMS rate is measured "
        "against the default limit. Before all that, intake alone runs with recruitment the "
        "only service, so the two intake rows tell what the same intake costs with and "
        "without the rest of the platform on the same cores. Quiet hours are off "
        "throughout. The burst runs on a "
        "database that holds the steady phase's applications. A percentile shown as "
        "`> N s` fell among messages that had not arrived N s after the last submission, "
        "when the bounded wait ended."
    )
    return textwrap.wrap(note, 96)


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews every number here."""
    return Path("/proc/loadavg").read_text().split()[0]


def facts(command: str, load_at_start: str) -> list[str]:
    return [
        f"- command: `{command}`",
        f"- date: {now_kst():%Y-%m-%d %H:%M} KST",
        f"- machine: {machine()}; load average {load_at_start} at the start, "
        f"{load_average()} at the end (1 min)",
        f"- software: Python {platform.python_version()}, Kafka {KAFKA_VERSION} (one KRaft "
        f"node), FerretDB {FERRETDB_VERSION} on SQLite; git {git_revision()}",
        "- everything (stack, services, load) runs on this one machine, on 127.0.0.1",
    ]


def write_docs(
    about: list[str],
    note: list[str],
    results_table: list[str],
    resources_table: list[str],
    last: str,
) -> None:
    text = [
        "# Benchmarks",
        "",
        "Written by `benchmarks/city_intake.py` (`make bench`); the next run replaces this file.",
        "What runs and how it is measured is in the module's docstring.",
        "",
        *about,
        "",
        *note,
        "",
        "## Results",
        "",
        *results_table,
        "",
        "## Resources",
        "",
        "CPU seconds per phase (each process group, children included) and peak RSS (VmHWM).",
        "notify runs twice (steady, then burst with default limits): its numbers cover both.",
        "",
        *resources_table,
        "",
        "```",
        last,
        "```",
        "",
    ]
    DOCS.write_text("\n".join(text))


# --------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------


def notify_defaults() -> tuple[float, float]:
    """Notify's configured default SMS and e-mail rates (NotifySettings)."""
    from services.notify.app import NotifySettings

    fields = NotifySettings.model_fields
    return float(fields["sms_rate_per_second"].default), float(
        fields["email_rate_per_second"].default
    )


def notify_env(sms_rate: float, email_rate: float) -> dict[str, str]:
    return QUIET_HOURS_OFF | {
        "SMS_RATE_PER_SECOND": f"{sms_rate:g}",
        "EMAIL_RATE_PER_SECOND": f"{email_rate:g}",
    }


async def bench(options: argparse.Namespace, stack: BenchStack) -> Results:
    usage = stack.usage
    say(f"stack: starting Kafka, FerretDB and the sinks in {stack.root}")
    stack.start_infrastructure()
    bootstrap, mongo_uri = stack.kafka.bootstrap_servers, stack.ferretdb.uri
    numbers = itertools.count(10_000_000)
    floor_call = open_call("bench-floor")
    floor_source = Applications(floor_call, numbers, options.seed)

    def floor_messages(count: int) -> list[tuple[str, bytes]]:
        return [(s.key, s.value) for s in floor_source.build(count, mixed=False)]

    usage.begin("floor", stack.processes())
    say(f"floor: {options.floor_messages:,} messages, batches of {FLOOR_BATCH}")
    messages = floor_messages(options.floor_messages)
    floor = await raw_floor(bootstrap, mongo_uri, messages, FLOOR_BATCH, options.max_wait)
    say(f"floor: {floor[0]:,.0f} msg/s; now {options.floor_single:,} one at a time")
    messages = floor_messages(options.floor_single)
    floor_single = await raw_floor(bootstrap, mongo_uri, messages, 1, options.max_wait)
    say(f"floor: {floor_single[0]:,.0f} msg/s one at a time")
    usage.end("floor", stack.processes())

    say("recruitment: starting alone")
    await stack.start_services(["recruitment"], {})
    screenings = Screenings(bootstrap)
    await screenings.start()
    bound = time.monotonic() + 4 * options.max_wait + options.steady_seconds + 3600
    collecting = asyncio.create_task(screenings.run(bound))
    gateway = GatewayLog(stack.sms)

    def all_sms(phase: Phase) -> bool:
        return phase.sms_owed(gateway.received) == 0

    def no_sms(phase: Phase) -> bool:
        return True  # notify is not running

    try:
        tokens = LocalIssuer(stack.issuer.keys_dir, issuer=stack.issuer.issuer)
        async with Submitter(bootstrap, stack.url("recruitment"), tokens) as submitter:
            alone_call = await submitter.open_call("alone", options.applications // 4)
            alone = Phase(
                "alone",
                Applications(alone_call, numbers, options.seed + 3).build(
                    options.applications, mixed=False
                ),
                rate=None,
            )
            say(f"intake alone: {options.applications:,} applications over Kafka")
            usage.begin("alone", stack.processes())
            await run_phase(alone, submitter, screenings, gateway, options.max_wait, no_sms)
            usage.end("alone", stack.processes())
            say(_phase_line(alone, sms=False))

            others = [name for name in SERVICES if name != "recruitment"]
            for name in others:  # the applications taken alone are none of their business
                await start_at_the_end(bootstrap, name, ALL_TOPICS)
            sms_default, email_default = notify_defaults()
            demand = 2 * options.steady_rate
            steady_limits = (max(sms_default, 2 * demand), max(email_default, 2 * demand))
            say(
                f"services: starting the others; notify's limits for the steady phase: "
                f"SMS {steady_limits[0]:g}/s, e-mail {steady_limits[1]:g}/s"
            )
            await stack.start_services(others, {"notify": notify_env(*steady_limits)})

            warm_call = await submitter.open_call("warm-up", WARM_UP_APPLICATIONS)
            warm_up = Phase(
                "warm-up",
                Applications(warm_call, numbers, options.seed).build(WARM_UP_APPLICATIONS),
                rate=None,
            )
            say(f"warm-up: {WARM_UP_APPLICATIONS} applications")
            await run_phase(
                warm_up, submitter, screenings, gateway, min(options.max_wait, 120), all_sms
            )

            count = round(options.steady_rate * options.steady_seconds)
            steady_call = await submitter.open_call("steady", count // 4)
            steady = Phase(
                "steady",
                Applications(steady_call, numbers, options.seed + 1).build(count),
                rate=options.steady_rate,
            )
            say(f"steady: {count:,} applications at {options.steady_rate:g}/s")
            usage.begin("steady", stack.processes())
            await run_phase(steady, submitter, screenings, gateway, options.max_wait, all_sms)
            usage.end("steady", stack.processes())
            say(_phase_line(steady))

            say(f"notify: restarting with its default limits ({sms_default:g} SMS/s)")
            stack.stop_service("notify")
            restarted_at = time.time()  # any SMS from now on comes from the new notify
            await stack.start_services(
                ["notify"], {"notify": notify_env(sms_default, email_default)}
            )

            burst_call = await submitter.open_call("burst", options.applications // 4)
            burst = Phase(
                "burst",
                Applications(burst_call, numbers, options.seed + 2).build(options.applications),
                rate=None,
            )
            window: float = options.notify_window

            def burst_done(phase: Phase) -> bool:
                """Every citizen has a first SMS, and notify's rate window is over (or all
                SMS are sent)."""
                if not all(number in gateway.first_at for number in phase.citizens):
                    return False
                start = window_start(gateway, restarted_at)
                return all_sms(phase) or (start is not None and time.time() > start + window)

            gateway.read()
            carried_over = (
                sum(key not in screenings.at for key in steady.expected),
                steady.sms_owed(gateway.received),
            )
            say(f"burst: {options.applications:,} applications")
            usage.begin("burst", stack.processes())
            await run_phase(burst, submitter, screenings, gateway, options.max_wait, burst_done)
            usage.end("burst", stack.processes())
            say(_phase_line(burst))
            http_errors = submitter.http_errors
    finally:
        screenings.stop.set()
        await collecting
    usage.sample(stack.processes())
    return Results(
        floor=floor,
        floor_single=floor_single,
        alone=alone,
        warm_up=warm_up,
        steady=steady,
        burst=burst,
        notify=notify_rate(gateway, restarted_at, [steady, burst], sms_default, window),
        steady_limits=steady_limits,
        carried_over=carried_over,
        http_errors=http_errors,
        usage=usage,
    )


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _phase_line(phase: Phase, *, sms: bool = True) -> str:
    """What a phase achieved; `sms=False` where notify was not running."""
    screened = (
        f"{phase.name}: {len(phase.screened_latency):,} of {len(phase.expected):,} screened "
        f"({phase.intake:,.0f}/s)"
    )
    return f"{screened}, SMS {phase.sms_sent:,} of {phase.expected_sms:,}" if sms else screened


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small numbers, for development")
    parser.add_argument("--applications", type=int, help="burst size (20,000; quick 2,000)")
    parser.add_argument("--steady-rate", type=float, default=500.0, help="applications/s")
    parser.add_argument("--steady-seconds", type=float, help="steady phase (30 s; quick 10 s)")
    parser.add_argument("--floor-messages", type=int, help="raw floor (20,000; quick 5,000)")
    parser.add_argument("--floor-single", type=int, help="one at a time (1,000; quick 500)")
    parser.add_argument("--max-wait", type=float, help="bound of each wait (300 s; quick 120 s)")
    parser.add_argument("--notify-window", type=float, help="rate window (30 s; quick 15 s)")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--no-docs", action="store_true", help="do not write docs/benchmarks.md")
    parser.add_argument("--keep", action="store_true", help="keep the run folder (logs, data)")
    options = parser.parse_args(argv)
    for name, (full, quick) in DEFAULTS.items():
        if getattr(options, name) is None:
            setattr(options, name, quick if options.quick else full)
    return options


def main() -> int:
    options = arguments()
    command = shlex.join(
        ["uv", "run", "--frozen", "python", "benchmarks/city_intake.py", *sys.argv[1:]]
    )
    load_at_start = load_average()
    root = Path(tempfile.mkdtemp(prefix="ilteo-bench-"))
    stack = BenchStack(root)
    failed = True

    async def run() -> Results:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await bench(options, stack)

    try:
        results = asyncio.run(run())
        failed = False
    finally:
        stack.stop()
        if failed or options.keep:
            print(f"logs and data kept in {root} (logs/*.log)", file=sys.stderr, flush=True)
        else:
            shutil.rmtree(root, ignore_errors=True)
    results_table, resources_table = report(results, (options.floor_messages, options.floor_single))
    intake, share = results.burst.intake, results.share_of_floor(results.burst)
    last = f"intake: {intake:.0f} applications/s, {share:.1f}% of the raw floor"
    about = facts(command, load_at_start)
    print()
    print("\n".join(about))
    print()
    print("\n".join(results_table))
    print()
    print("\n".join(resources_table))
    print()
    if not options.no_docs:
        write_docs(about, design_note(results), results_table, resources_table, last)
        print(f"written to {DOCS.relative_to(REPO_ROOT)}")
    print(last, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
