"""The real local stack, without Docker: Kafka, FerretDB, an SMTP sink and an SMS gateway sink.

Why this exists: the development and CI machines have no Docker engine, yet the services
must be run and tested against the real broker and a real MongoDB-wire database, never
against fakes. Apache publishes the Kafka broker on Maven Central and FerretDB (a MongoDB
wire-protocol server on SQLite) builds from the Go module proxy, so both are fetched with
the ordinary `mvn` and `go` clients into the git-ignored `.local/` folder, at pinned
versions (see ../../../shared/infrastructure.md).

Commands (`python -m deploy.local.stack <command>`, or the Makefile targets):

    fetch    fetch Kafka's jars and build FerretDB into .local/ (idempotent, < 1 s when present)
    up       fetch if needed, start Kafka, FerretDB and both sinks, create every contract
             topic, then start the four services and wait for their /readyz.
             --no-services       only the infrastructure (what the services need)
             --services a,b      only these services (default: all four)
             --keep-on-failure   leave what was started running when a step fails
    down     stop everything `up` started (services first); idempotent
    status   what runs, with its pid and ports
    create-topics  create every contract topic on $KAFKA_BOOTSTRAP_SERVERS (docker compose)

Layout: jars in .local/kafka/<version>/libs, the FerretDB binary in .local/bin/, and for
`up`: pid files in .local/run/*.pid, logs in .local/run/logs/*.log, data in .local/run/data/.

Environment variables (all optional; every port is configurable so that a test stack never
clashes with a developer's running one):

    ILTEO_KAFKA_PORT             9092   Kafka client listener (PLAINTEXT, 127.0.0.1)
    ILTEO_KAFKA_CONTROLLER_PORT  9093   Kafka KRaft controller listener
    ILTEO_MONGO_PORT             27017  FerretDB (MongoDB wire protocol)
    ILTEO_MONGO_DEBUG_PORT       8088   FerretDB debug/metrics HTTP listener
    ILTEO_SMTP_PORT              1025   SMTP sink
    ILTEO_SMS_PORT               8025   SMS gateway sink (POST /send, GET /messages)
    ILTEO_SMS_GATEWAY_TOKEN      local-dev-token  bearer token the gateway sink demands
    ILTEO_AUTH_PORT              8090   local token issuer (JWKS, dev tokens; token_issuer.py)
    ILTEO_RECRUITMENT_PORT       8001   HTTP port of each service
    ILTEO_ENROLLMENT_PORT        8002
    ILTEO_PLACEMENT_PORT         8003
    ILTEO_NOTIFY_PORT            8004
    ILTEO_RUN_DIR                .local/run  where pid files, logs and data of `up` go
    MAVEN_OPTS                   passed to mvn as usual (e.g. -Dmaven.repo.local=...)

Only the standard library and packages already in the project's venv are used.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import contextlib
import ctypes
import dataclasses
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Coroutine, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT: Path = Path(__file__).resolve().parents[2]
LOCAL_DIR: Path = REPO_ROOT / ".local"

KAFKA_VERSION = "4.1.1"  # keep in step with <kafka.version> in kafka-pom.xml
FERRETDB_VERSION = "1.24.2"
FERRETDB_MODULE = "github.com/FerretDB/FerretDB"
KAFKA_POM = Path(__file__).with_name("kafka-pom.xml")
# Pinned so that the fetch does not depend on whichever plugin version Maven picks.
MAVEN_DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

STOP_TIMEOUT_SECONDS = 15.0
SERVICES: tuple[str, ...] = ("recruitment", "enrollment", "placement", "notify")
SMTP_FROM = "noreply@jobs.seoul.example"
SMS_SENDER = "15889999"


class StackError(RuntimeError):
    """A component could not be fetched, started or reached; the message says which and why."""


# --------------------------------------------------------------------------------------
# fetching
# --------------------------------------------------------------------------------------


def _say(message: str) -> None:
    print(message, flush=True)


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _run_tool(
    argv: Sequence[str],
    *,
    what: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run a fetch tool; on failure raise with its output (the output is the diagnosis)."""
    result = subprocess.run(
        list(argv),
        cwd=cwd,
        env={**os.environ, **env} if env else None,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise StackError(f"{what} failed (exit {result.returncode}):\n{_tail_text(output, 40)}")
    return result.stdout


def _require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise StackError(f"`{name}` is not on PATH; it is needed to fetch the local stack")
    return path


@contextlib.contextmanager
def _fetch_lock() -> Iterator[None]:
    """One fetch at a time per checkout: parallel test sessions may all start by fetching."""
    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    with (LOCAL_DIR / ".fetch.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def kafka_libs_dir() -> Path:
    return LOCAL_DIR / "kafka" / KAFKA_VERSION / "libs"


def ferretdb_binary() -> Path:
    return LOCAL_DIR / "bin" / f"ferretdb-{FERRETDB_VERSION}"


def ensure_kafka() -> Path:
    """Resolve the Kafka broker's jars from Maven Central into .local/kafka/<version>/libs.

    A marker file records the pom the jars came from: when it matches, nothing runs and no
    network is touched. The jars land in a temporary folder first and are moved into place
    only when complete, so an interrupted fetch is never mistaken for a finished one.
    """
    with _fetch_lock():
        return _ensure_kafka()


def _ensure_kafka() -> Path:
    started = time.monotonic()
    libs = kafka_libs_dir()
    marker = libs.parent / ".fetched"
    pom = KAFKA_POM.read_bytes()
    if marker.is_file() and marker.read_bytes() == pom and any(libs.glob("kafka_2.13-*.jar")):
        _say(f"kafka {KAFKA_VERSION}: present in {_relative(libs)} ({_elapsed(started)})")
        return libs
    mvn = _require_tool("mvn")
    libs.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="libs.", dir=libs.parent))
    try:
        _run_tool(
            [
                mvn, "-q", "-B", "-f", str(KAFKA_POM),
                f"{MAVEN_DEPENDENCY_PLUGIN}:copy-dependencies",
                f"-DoutputDirectory={staging}", "-DincludeScope=runtime",
            ],
            what=f"mvn (resolving Kafka {KAFKA_VERSION} from Maven Central)",
        )  # fmt: skip
        if not any(staging.glob("kafka_2.13-*.jar")):
            raise StackError(f"mvn resolved no kafka_2.13 jar into {staging}")
        if libs.exists():
            shutil.rmtree(libs)
        staging.rename(libs)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    marker.write_bytes(pom)
    count = len(list(libs.glob("*.jar")))
    _say(
        f"kafka {KAFKA_VERSION}: fetched {count} jars from Maven Central into "
        f"{_relative(libs)} ({_elapsed(started)})"
    )
    return libs


def ensure_ferretdb() -> Path:
    """Build FerretDB from its module source (Go module proxy) into .local/bin/.

    `go install ...@v1.24.2` does not work here: the proxy refuses the version list it asks
    for. `go mod download` of the exact version does work. Building in that module folder
    gives a binary that panics at start, because the module zip lacks the generated
    build/version/version.txt; so the source is copied to a scratch folder (the module
    cache is read-only), the file is written there, and the build runs in the copy.
    """
    with _fetch_lock():
        return _ensure_ferretdb()


def _ensure_ferretdb() -> Path:
    started = time.monotonic()
    binary = ferretdb_binary()
    if binary.is_file() and os.access(binary, os.X_OK):
        _say(f"ferretdb {FERRETDB_VERSION}: present at {_relative(binary)} ({_elapsed(started)})")
        return binary
    go = _require_tool("go")
    # The copy is not a git checkout: do not let `go build` look for VCS information.
    go_flags = os.environ.get("GOFLAGS", "")
    go_env = {"GOFLAGS": go_flags if "-buildvcs" in go_flags else f"{go_flags} -buildvcs=false"}
    build_root = LOCAL_DIR / "build"
    build_root.mkdir(parents=True, exist_ok=True)
    download = json.loads(
        _run_tool(
            [go, "mod", "download", "-json", f"{FERRETDB_MODULE}@v{FERRETDB_VERSION}"],
            cwd=build_root,  # outside any go.mod
            env=go_env,
            what=f"go mod download (FerretDB {FERRETDB_VERSION})",
        )
    )
    if download.get("Error") or not download.get("Dir"):
        raise StackError(f"go mod download FerretDB: {download.get('Error', 'no Dir in answer')}")
    source = Path(tempfile.mkdtemp(prefix=f"ferretdb-{FERRETDB_VERSION}.", dir=build_root))
    try:
        shutil.copytree(download["Dir"], source, dirs_exist_ok=True)
        for path in [source, *source.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
        version_dir = source / "build" / "version"
        (version_dir / "version.txt").write_text(f"v{FERRETDB_VERSION}\n")
        (version_dir / "package.txt").write_text("ilteo-local\n")
        binary.parent.mkdir(parents=True, exist_ok=True)
        partial = binary.with_name(binary.name + ".partial")
        _run_tool(
            [go, "build", "-o", str(partial), "./cmd/ferretdb"],
            cwd=source,
            env=go_env,
            what=f"go build (FerretDB {FERRETDB_VERSION})",
        )
        partial.rename(binary)
    finally:
        shutil.rmtree(source, ignore_errors=True)
    _say(
        f"ferretdb {FERRETDB_VERSION}: built from the Go module proxy into "
        f"{_relative(binary)} ({_elapsed(started)})"
    )
    return binary


def _elapsed(started: float) -> str:
    return f"{time.monotonic() - started:.2f} s"


# --------------------------------------------------------------------------------------
# processes
# --------------------------------------------------------------------------------------


_handed_out: set[int] = set()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the kernel's choice), never one this
    process handed out before: the kernel may offer a just-released port again, and
    two parts of one stack on one port fail at start (seen in CI: Kafka on FerretDB's)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def _tail_text(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[-lines:])


def _tail_file(path: Path, lines: int = 40) -> str:
    try:
        return _tail_text(path.read_text(errors="replace"), lines)
    except FileNotFoundError:
        return f"(no log at {path})"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def stop_process_groups(
    groups: Sequence[tuple[int, subprocess.Popen[bytes] | None]],
    timeout: float = STOP_TIMEOUT_SECONDS,
) -> None:
    """SIGTERM each process group, wait, SIGKILL what is left after `timeout` seconds.

    Groups are stopped together (the deadline is shared) so that stopping four services
    takes one timeout at most. When we are the leader's parent, the leader is reaped too,
    so no zombie remains.
    """
    for pgid, _ in groups:
        _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for pgid, proc in groups:
        while time.monotonic() < deadline:
            if proc is not None:
                proc.poll()
            if (proc is None or proc.returncode is not None) and not _group_alive(pgid):
                break
            time.sleep(0.1)
        else:
            _signal_group(pgid, signal.SIGKILL)
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        kill_deadline = time.monotonic() + 5
        while _group_alive(pgid) and time.monotonic() < kill_deadline:
            _signal_group(pgid, signal.SIGKILL)
            time.sleep(0.1)


def _terminate_with_parent() -> None:
    """In the child before exec: ask Linux for SIGTERM when the parent dies.

    Teardown stops every process a test starts, but a test run killed with SIGKILL (a CI
    timeout) runs no teardown; this way its broker and database go with it.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)


class ManagedProcess:
    """A child process in its own process group, logging to one file.

    Own group: stopping it also stops anything it spawned, and Ctrl-C in the terminal
    that ran `up` does not reach it. With a `pid_file` the process is meant to outlive the
    Python process that started it (`up`, then `down` from another shell); without one it
    belongs to its starter and gets SIGTERM when the starter dies, even by SIGKILL.
    (Linux ties that signal to the starting thread: start from a thread that lives as long
    as the process should, normally the main thread.) Subclasses fill in `_command` and
    `_probe`.
    """

    name: str = "process"
    marker: str = ""  # a string of the command line that identifies this component

    def __init__(
        self,
        *,
        log_file: Path,
        pid_file: Path | None = None,
        env: Mapping[str, str] | None = None,
        cwd: Path = REPO_ROOT,
    ) -> None:
        self.log_file = log_file
        self.pid_file = pid_file
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self._proc: subprocess.Popen[bytes] | None = None
        # port label -> the environment variable that sets it (for error messages)
        self.port_variables: dict[str, str] = {}

    # subclass hooks ---------------------------------------------------------------------
    def _ports(self) -> dict[str, int]:
        return {}

    def _prepare(self) -> None:
        """Work before the spawn (formatting storage, writing configuration)."""

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _probe(self) -> bool:
        """True when the component answers like a client expects it to."""
        raise NotImplementedError

    # lifecycle --------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def start(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            raise StackError(f"{self.name} is already running (pid {self._proc.pid})")
        self.check_ports()
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            log.write(f"=== {self.name} starting at {time.strftime('%FT%T%z')}\n".encode())
        self._prepare()
        argv = self._command()
        env = {**os.environ, **(self.env or {})}
        env.setdefault("PYTHONUNBUFFERED", "1")
        with self.log_file.open("ab") as log:
            self._proc = subprocess.Popen(
                argv,
                cwd=self.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=None if self.pid_file is not None else _terminate_with_parent,
            )
        if self.pid_file is not None:
            self.pid_file.parent.mkdir(parents=True, exist_ok=True)
            self.pid_file.write_text(f"{self._proc.pid}\n")

    def check_ports(self) -> None:
        """Refuse ports already taken: a probe would otherwise talk to the other process."""
        for label, port in self._ports().items():
            if port_in_use(port):
                hint = self.port_variables.get(label)
                raise StackError(
                    f"{self.name}: {label} port {port} is already in use by another process"
                    + (f"; choose another with {hint}=<port>" if hint else "")
                )

    def is_running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def wait_ready(self, timeout: float = 90.0) -> None:
        """Poll `_probe` until it succeeds; raise with the log's tail on exit or timeout."""
        if self._proc is None:
            raise StackError(f"{self.name} was not started")
        deadline = time.monotonic() + timeout
        while True:
            code = self._proc.poll()
            if code is not None:
                raise StackError(
                    f"{self.name} exited with code {code} before it was ready; "
                    f"last lines of {self.log_file}:\n{self.log_tail()}"
                )
            if self._probe():
                return
            if time.monotonic() >= deadline:
                raise StackError(
                    f"{self.name} was not ready after {timeout:.0f} s; "
                    f"last lines of {self.log_file}:\n{self.log_tail()}"
                )
            time.sleep(0.25)

    def stop(self) -> None:
        """SIGTERM the group, SIGKILL after 15 s; idempotent."""
        proc, self._proc = self._proc, None
        if proc is None:
            return  # never started here: a pid file belongs to whoever started that process
        stop_process_groups([(proc.pid, proc)])
        if self.pid_file is not None:
            self.pid_file.unlink(missing_ok=True)

    def kill(self) -> None:
        """SIGKILL the group at once and reap it: a crash, with no chance to clean up (tests
        of crash safety). `start` may be called again afterwards."""
        proc = self._proc
        if proc is None:
            return
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while _group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def log_tail(self, lines: int = 40) -> str:
        return _tail_file(self.log_file, lines)

    def __enter__(self) -> ManagedProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _run_in_thread(factory: Callable[[], Coroutine[Any, Any, Any]], timeout: float) -> Any:
    """Run a coroutine on a fresh event loop in a helper thread.

    The probes are called from synchronous code that may itself sit inside a running
    event loop (a pytest-asyncio session), where `asyncio.run` is not allowed.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, factory()).result(timeout=timeout)


@contextlib.contextmanager
def _quiet_loggers(*names: str) -> Iterator[None]:
    """Silence client libraries' connection errors while we poll a starting server."""
    saved = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


# --------------------------------------------------------------------------------------
# Kafka
# --------------------------------------------------------------------------------------

_KAFKA_LOG4J2 = """<?xml version="1.0" encoding="UTF-8"?>
<!-- written by deploy/local/stack.py: WARN in general, INFO for start-up and shutdown -->
<Configuration status="WARN" shutdownHook="disable">
  <Appenders>
    <Console name="STDOUT" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d{ISO8601}] %-5p %m (%c{1})%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="WARN"><AppenderRef ref="STDOUT"/></Root>
    <Logger name="kafka.Kafka$" level="INFO"/>
    <Logger name="kafka.server.KafkaRaftServer" level="INFO"/>
    <Logger name="kafka.server.KafkaServer" level="INFO"/>
    <Logger name="kafka.server.BrokerServer" level="INFO"/>
    <Logger name="kafka.server.ControllerServer" level="INFO"/>
    <Logger name="kafka.server.SharedServer" level="INFO"/>
    <Logger name="org.apache.kafka.common.utils.AppInfoParser" level="INFO"/>
    <Logger name="state.change.logger" level="WARN"/>
  </Loggers>
</Configuration>
"""


# The broker's own SCRAM user on a SASL listener (see `Kafka`).
SCRAM_BROKER_USER = "ilteo-broker"


@dataclasses.dataclass(frozen=True)
class KafkaTls:
    """The broker's TLS material as PEM files: its key and certificate chain, and the CA."""

    server_pem: Path
    ca_pem: Path


class Kafka(ManagedProcess):
    """Apache Kafka in KRaft combined mode (broker + controller), one node, on 127.0.0.1.

    The storage is formatted on first start (`kafka-storage.sh format --standalone`); a
    second start on the same data_dir keeps its topics and offsets.

    With `scram_users` (name -> password) the client listener is SASL_PLAINTEXT and demands
    SCRAM-SHA-512: the credentials are written into the metadata log at format time (KRaft
    keeps them there), together with one for the broker itself, which talks to itself over
    that listener. The controller listener stays PLAINTEXT on 127.0.0.1.

    With `tls` the client listener speaks TLS with that certificate (SASL_SSL with SCRAM
    users, else SSL); the broker trusts the same CA for its own connections to itself.
    """

    name = "kafka"
    marker = "kafka.Kafka"

    def __init__(
        self,
        port: int,
        controller_port: int,
        data_dir: Path,
        *,
        libs_dir: Path | None = None,
        log_file: Path | None = None,
        pid_file: Path | None = None,
        heap: str = "512m",
        scram_users: Mapping[str, str] | None = None,
        tls: KafkaTls | None = None,
    ) -> None:
        super().__init__(log_file=log_file or data_dir / "kafka.log", pid_file=pid_file)
        self.scram_users = dict(scram_users or {})
        self.tls = tls
        # The broker's own login on the SASL listener (inter-broker traffic).
        self._broker_password = base64.urlsafe_b64encode(os.urandom(18)).decode()
        self.port = port
        self.controller_port = controller_port
        self.data_dir = data_dir
        self.libs_dir = libs_dir or kafka_libs_dir()
        self.heap = heap

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def properties_file(self) -> Path:
        return self.data_dir / "server.properties"

    @property
    def security_protocol(self) -> str:
        if self.scram_users:
            return "SASL_SSL" if self.tls else "SASL_PLAINTEXT"
        return "SSL" if self.tls else "PLAINTEXT"

    @property
    def client_options(self) -> dict[str, Any]:
        """aiokafka options for a client of this broker: a SCRAM login as the first user, and
        TLS trusting the broker's CA."""
        options: dict[str, Any] = {}
        if self.tls:
            import ssl

            options["ssl_context"] = ssl.create_default_context(cafile=str(self.tls.ca_pem))
        if self.scram_users:
            username, password = next(iter(self.scram_users.items()))
            options |= {
                "sasl_mechanism": "SCRAM-SHA-512",
                "sasl_plain_username": username,
                "sasl_plain_password": password,
            }
        if options:
            options["security_protocol"] = self.security_protocol
        return options

    def _tls_properties(self) -> list[str]:
        if not self.tls:
            return []
        # PEM files: the key (unencrypted PKCS#8) and chain in one, the CA in the other.
        return [
            "ssl.keystore.type=PEM",
            f"ssl.keystore.location={self.tls.server_pem}",
            "ssl.truststore.type=PEM",
            f"ssl.truststore.location={self.tls.ca_pem}",
        ]

    def _listener_properties(self) -> list[str]:
        if self.tls and not self.scram_users:
            return [
                f"listeners=SSL://127.0.0.1:{self.port},"
                f"CONTROLLER://127.0.0.1:{self.controller_port}",
                f"advertised.listeners=SSL://127.0.0.1:{self.port}",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=SSL",
                "listener.security.protocol.map=SSL:SSL,CONTROLLER:PLAINTEXT",
                *self._tls_properties(),
            ]
        if not self.scram_users:
            return [
                f"listeners=PLAINTEXT://127.0.0.1:{self.port},"
                f"CONTROLLER://127.0.0.1:{self.controller_port}",
                f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            ]
        login = (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{SCRAM_BROKER_USER}" password="{self._broker_password}";'
        )
        protocol = self.security_protocol
        return [
            f"listeners={protocol}://127.0.0.1:{self.port},"
            f"CONTROLLER://127.0.0.1:{self.controller_port}",
            f"advertised.listeners={protocol}://127.0.0.1:{self.port}",
            "controller.listener.names=CONTROLLER",
            f"inter.broker.listener.name={protocol}",
            f"listener.security.protocol.map={protocol}:{protocol},CONTROLLER:PLAINTEXT",
            "sasl.enabled.mechanisms=SCRAM-SHA-512",
            "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512",
            f"listener.name.{protocol.lower()}.scram-sha-512.sasl.jaas.config={login}",
            *self._tls_properties(),
        ]

    def _scram_format_options(self) -> list[str]:
        users = {SCRAM_BROKER_USER: self._broker_password, **self.scram_users}
        options: list[str] = []
        for name, password in users.items():
            options += ["--add-scram", f"SCRAM-SHA-512=[name={name},password={password}]"]
        return options

    def _ports(self) -> dict[str, int]:
        return {"client": self.port, "controller": self.controller_port}

    def _java(self, main_class: str, *args: str, short_lived: bool = False) -> list[str]:
        # A short-lived tool starts ~40 % faster without the optimizing JIT and with serial GC.
        quick = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"] if short_lived else []
        return [
            shutil.which("java") or "java",
            *quick,
            f"-Xmx{self.heap}",
            "-Xms128m",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.data_dir / 'log4j2.xml'}",
            "-cp",
            f"{self.libs_dir}/*",
            main_class,
            *args,
        ]

    def _prepare(self) -> None:
        if not any(self.libs_dir.glob("kafka_2.13-*.jar")):
            raise StackError(f"no Kafka jars in {self.libs_dir}; run ensure_kafka() first")
        log_dirs = self.data_dir / "kraft-logs"
        log_dirs.mkdir(parents=True, exist_ok=True)
        (self.data_dir / "log4j2.xml").write_text(_KAFKA_LOG4J2)
        self.properties_file.write_text(
            "\n".join(
                [
                    "# written by deploy/local/stack.py",
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
                    *self._listener_properties(),
                    f"log.dirs={log_dirs}",
                    "num.partitions=3",
                    "default.replication.factor=1",
                    "min.insync.replicas=1",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=10",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=true",
                    "",
                ]
            )
        )
        if (log_dirs / "meta.properties").is_file():
            return  # formatted before: keep the cluster and its data
        cluster_id = kafka_cluster_id()
        with self.log_file.open("ab") as log:
            result = subprocess.run(
                self._java(
                    "kafka.tools.StorageTool",
                    "format",
                    "--cluster-id",
                    cluster_id,
                    "--config",
                    str(self.properties_file),
                    "--standalone",
                    "--ignore-formatted",
                    *self._scram_format_options(),
                    short_lived=True,
                ),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
                timeout=120,
            )
        if result.returncode != 0:
            raise StackError(
                f"formatting Kafka storage failed (exit {result.returncode}):\n{self.log_tail()}"
            )

    def _command(self) -> list[str]:
        return self._java("kafka.Kafka", str(self.properties_file))

    def _probe(self) -> bool:
        if not port_in_use(self.port):
            return False
        try:
            with _quiet_loggers("aiokafka"):
                cluster = _run_in_thread(
                    lambda: _describe_cluster(self.bootstrap_servers, **self.client_options), 30
                )
        except Exception:
            return False
        return bool(cluster.get("brokers"))


def kafka_cluster_id() -> str:
    """A random cluster id as Kafka writes them: 16 bytes in URL-safe base64, never starting
    with "-" (the storage tool would read one as an option, as Kafka's own Uuid avoids)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


async def _describe_cluster(bootstrap_servers: str, **client_options: Any) -> dict[str, Any]:
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, request_timeout_ms=5000, **client_options
    )
    try:
        await asyncio.wait_for(admin.start(), 10)
        result: dict[str, Any] = await asyncio.wait_for(admin.describe_cluster(), 10)
        return result
    finally:
        await admin.close()


def create_topics(bootstrap_servers: str, topics: Iterable[str], partitions: int = 3) -> None:
    """Create the topics that do not exist yet (replication factor 1); existing ones are fine.

    Topics are created explicitly, not left to auto-creation, so that every topic has the
    intended partition count from the first message on. Retried for a while, because a
    broker that has just become ready may still refuse CreateTopics briefly.
    """
    wanted = list(dict.fromkeys(topics))
    deadline = time.monotonic() + 60
    while True:
        try:
            with _quiet_loggers("aiokafka"):
                missing = _run_in_thread(
                    lambda: _create_topics(bootstrap_servers, wanted, partitions), 60
                )
        except Exception as error:
            missing = [f"({type(error).__name__}: {error})"]
        if not missing:
            return
        if time.monotonic() >= deadline:
            raise StackError(f"could not create Kafka topics: {', '.join(missing)}")
        time.sleep(1)


async def _create_topics(bootstrap_servers: str, topics: list[str], partitions: int) -> list[str]:
    """Create what is missing; return the topics still missing afterwards."""
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, request_timeout_ms=15000)
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        to_create = [topic for topic in topics if topic not in existing]
        if to_create:
            await admin.create_topics(
                [NewTopic(topic, partitions, 1) for topic in to_create], timeout_ms=15000
            )
        existing = set(await admin.list_topics())
        return [topic for topic in topics if topic not in existing]
    finally:
        await admin.close()


# --------------------------------------------------------------------------------------
# FerretDB
# --------------------------------------------------------------------------------------


class FerretDB(ManagedProcess):
    """FerretDB on SQLite: a real MongoDB wire-protocol server (no mongod ships here).

    Logs errors only: at INFO it logs every connection, and at WARN it dumps the whole
    response of every failed command (a duplicate-key error quotes the key, e.g. an e-mail
    address), which would put personal data in the log. Telemetry is disabled.
    """

    name = "ferretdb"
    marker = "ferretdb"

    def __init__(
        self,
        port: int,
        debug_port: int,
        data_dir: Path,
        *,
        binary: Path | None = None,
        log_file: Path | None = None,
        pid_file: Path | None = None,
    ) -> None:
        super().__init__(
            log_file=log_file or data_dir / "ferretdb.log",
            pid_file=pid_file,
            env={"DO_NOT_TRACK": "1", "FERRETDB_TELEMETRY": "disable"},
        )
        self.port = port
        self.debug_port = debug_port
        self.data_dir = data_dir
        self.binary = binary or ferretdb_binary()

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def _ports(self) -> dict[str, int]:
        return {"wire": self.port, "debug": self.debug_port}

    def _prepare(self) -> None:
        if not os.access(self.binary, os.X_OK):
            raise StackError(f"no FerretDB binary at {self.binary}; run ensure_ferretdb() first")
        (self.data_dir / "sqlite").mkdir(parents=True, exist_ok=True)
        (self.data_dir / "state").mkdir(parents=True, exist_ok=True)

    def _command(self) -> list[str]:
        return [
            str(self.binary),
            "--handler=sqlite",
            # WAL (FerretDB's default) with synchronous=NORMAL: a commit no longer waits for
            # an fsync; a crash of FerretDB loses nothing, a power cut may lose the last
            # commits. Measured here: 300 -> 700 small writes/s. A local stand-in only;
            # production runs MongoDB with its own journal (docs/decisions/0003).
            f"--sqlite-url=file:{self.data_dir / 'sqlite'}/?_pragma=synchronous(normal)",
            f"--listen-addr=127.0.0.1:{self.port}",
            f"--debug-addr=127.0.0.1:{self.debug_port}",
            f"--state-dir={self.data_dir / 'state'}",
            "--telemetry=disable",
            "--log-level=ERROR",
            "--log-format=text",
        ]

    def _probe(self) -> bool:
        if not port_in_use(self.port):
            return False
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        client: MongoClient[dict[str, Any]] = MongoClient(
            self.uri, serverSelectionTimeoutMS=2000, connectTimeoutMS=2000
        )
        try:
            client.admin.command("ping")
        except PyMongoError:
            return False
        finally:
            client.close()
        return True


# --------------------------------------------------------------------------------------
# sinks and services (Python processes of this repository)
# --------------------------------------------------------------------------------------


# glibc gives each thread that allocates (HTTP worker threads, DNS lookups) a memory arena of
# its own, which keeps what it once held: two arenas bound that. Measured in a 20,000-
# application burst: notify's peak RSS 244 MB without, 208 MB with (one run each).
SERVICE_PROCESS_ENV = {"MALLOC_ARENA_MAX": "2"}


def _python_env() -> dict[str, str]:
    path = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": f"{REPO_ROOT}{os.pathsep}{path}" if path else str(REPO_ROOT)}


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    records: list[dict[str, Any]] = []
    lines = path.read_text(encoding="utf-8").split("\n")
    # The last element is "" after a complete line, or a line still being written: skip it.
    for line in lines[:-1]:
        if line.strip():
            records.append(json.loads(line))
    return records


def _http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, ValueError):
        return None


class SmtpSink(ManagedProcess):
    """The SMTP server e-mails land in (deploy/local/smtp_sink.py), one .eml per message."""

    name = "smtp-sink"
    marker = "deploy.local.smtp_sink"

    def __init__(
        self,
        port: int,
        store_dir: Path,
        *,
        log_file: Path | None = None,
        pid_file: Path | None = None,
    ) -> None:
        super().__init__(
            log_file=log_file or store_dir / "smtp-sink.log", pid_file=pid_file, env=_python_env()
        )
        self.port = port
        self.store_dir = store_dir

    def _ports(self) -> dict[str, int]:
        return {"smtp": self.port}

    def _command(self) -> list[str]:
        return [
            sys.executable, "-m", "deploy.local.smtp_sink",
            "--port", str(self.port), "--dir", str(self.store_dir),
        ]  # fmt: skip

    def _probe(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
                return sock.recv(3) == b"220"
        except OSError:
            return False

    def messages(self) -> list[dict[str, Any]]:
        """Every e-mail received, oldest first (the lines of messages.jsonl)."""
        return _read_jsonl(self.store_dir / "messages.jsonl")


class SmsGatewaySink(ManagedProcess):
    """The SMS gateway of the contract (deploy/local/sms_gateway.py), with fault injection."""

    name = "sms-gateway"
    marker = "deploy.local.sms_gateway"

    def __init__(
        self,
        port: int,
        store_dir: Path,
        *,
        token: str = "",
        fail_rate: float = 0.0,
        throttle_rate: float = 0.0,
        timeout_rate: float = 0.0,
        timeout_seconds: float | None = None,
        seed: int | None = None,
        permanent_fail_numbers: Sequence[str] = (),
        log_file: Path | None = None,
        pid_file: Path | None = None,
    ) -> None:
        super().__init__(
            log_file=log_file or store_dir / "sms-gateway.log", pid_file=pid_file, env=_python_env()
        )
        self.port = port
        self.store_dir = store_dir
        self.token = token
        self.fail_rate = fail_rate
        self.throttle_rate = throttle_rate
        self.timeout_rate = timeout_rate
        self.timeout_seconds = timeout_seconds
        self.seed = seed
        self.permanent_fail_numbers = tuple(permanent_fail_numbers)

    @property
    def url(self) -> str:
        """What SMS_GATEWAY_URL is set to."""
        return f"http://127.0.0.1:{self.port}/send"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _ports(self) -> dict[str, int]:
        return {"http": self.port}

    def _command(self) -> list[str]:
        argv = [
            sys.executable, "-m", "deploy.local.sms_gateway",
            "--port", str(self.port), "--dir", str(self.store_dir),
            "--fail-rate", str(self.fail_rate),
            "--throttle-rate", str(self.throttle_rate),
            "--timeout-rate", str(self.timeout_rate),
        ]  # fmt: skip
        if self.timeout_seconds is not None:
            argv += ["--timeout-seconds", str(self.timeout_seconds)]
        if self.seed is not None:
            argv += ["--seed", str(self.seed)]
        if self.permanent_fail_numbers:
            argv += ["--permanent-fail-numbers", ",".join(self.permanent_fail_numbers)]
        return argv

    def _prepare(self) -> None:
        # The token travels by environment, not argv, so it does not show in `ps`.
        self.env = {**_python_env(), "SMS_GATEWAY_TOKEN": self.token}

    def _probe(self) -> bool:
        return _http_status(f"{self.base_url}/healthz") == 200

    def messages(self) -> list[dict[str, Any]]:
        """Every distinct message accepted, oldest first (the lines of messages.jsonl)."""
        return _read_jsonl(self.store_dir / "messages.jsonl")


class TokenIssuer(ManagedProcess):
    """The local OIDC stand-in (deploy/local/token_issuer.py): JWKS and dev tokens."""

    name = "token-issuer"
    marker = "deploy.local.token_issuer"

    def __init__(
        self,
        port: int,
        keys_dir: Path,
        *,
        log_file: Path | None = None,
        pid_file: Path | None = None,
    ) -> None:
        super().__init__(
            log_file=log_file or keys_dir / "token-issuer.log", pid_file=pid_file, env=_python_env()
        )
        self.port = port
        self.keys_dir = keys_dir

    @property
    def issuer(self) -> str:
        """What AUTH_ISSUER is set to (the tokens' `iss`)."""
        return f"http://127.0.0.1:{self.port}"

    def auth_env(self) -> dict[str, str]:
        """The services' settings that make them trust this issuer's tokens."""
        return {
            "AUTH_ISSUER": self.issuer,
            "AUTH_AUDIENCE": "ilteo",
            "AUTH_JWKS_URL": f"{self.issuer}/.well-known/jwks.json",
        }

    def _ports(self) -> dict[str, int]:
        return {"http": self.port}

    def _command(self) -> list[str]:
        return [
            sys.executable, "-m", "deploy.local.token_issuer", "serve",
            "--port", str(self.port), "--dir", str(self.keys_dir), "--issuer", self.issuer,
        ]  # fmt: skip

    def _probe(self) -> bool:
        return _http_status(f"{self.issuer}/healthz") == 200


class Service(ManagedProcess):
    """One of the four services, `python -m services.<name>`; ready when /readyz is 200."""

    def __init__(
        self,
        name: str,
        port: int,
        env: Mapping[str, str],
        *,
        log_file: Path,
        pid_file: Path | None = None,
    ) -> None:
        super().__init__(
            log_file=log_file,
            pid_file=pid_file,
            env={**_python_env(), **SERVICE_PROCESS_ENV, **env, "HTTP_PORT": str(port)},
        )
        self.name = name
        self.marker = f"services.{name}"
        self.port = port

    def _ports(self) -> dict[str, int]:
        return {"http": self.port}

    def _command(self) -> list[str]:
        return [sys.executable, "-m", f"services.{self.name}"]

    def _probe(self) -> bool:
        return _http_status(f"http://127.0.0.1:{self.port}/readyz") == 200


# --------------------------------------------------------------------------------------
# the `up` / `down` / `status` commands
# --------------------------------------------------------------------------------------


def _env_port(variable: str, default: int) -> int:
    raw = os.environ.get(variable, "").strip()
    if not raw:
        return default
    try:
        port = int(raw)
    except ValueError:
        raise StackError(f"{variable}={raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise StackError(f"{variable}={port} is not a port number")
    return port


def run_dir() -> Path:
    raw = os.environ.get("ILTEO_RUN_DIR", "").strip()
    return Path(raw).resolve() if raw else LOCAL_DIR / "run"


def contract_env(
    *, kafka_port: int, mongo_port: int, smtp_port: int, sms_port: int, sms_token: str
) -> dict[str, str]:
    """The contract's configuration variables of a service, pointing at a stack on 127.0.0.1
    (the `up` stack, or one a benchmark starts on free ports)."""
    return {
        "KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{kafka_port}",
        "MONGODB_URI": f"mongodb://127.0.0.1:{mongo_port}/",
        "SMTP_HOST": "localhost",
        "SMTP_PORT": str(smtp_port),
        "SMTP_FROM": SMTP_FROM,
        "SMS_GATEWAY_URL": f"http://127.0.0.1:{sms_port}/send",
        "SMS_GATEWAY_TOKEN": sms_token,
        "SMS_SENDER": SMS_SENDER,
        **personal_data_env(),
    }


def personal_data_env() -> dict[str, str]:
    """Where the services find their personal-data keys (docs/decisions/0006): a key file
    made on the first run, in the git-ignored run folder, readable by its owner only, and
    kept (a new one would leave what the old keys sealed unreadable). Keys already set in
    this environment (PERSONAL_DATA_KEYS or PERSONAL_DATA_KEYS_FILE) are used instead."""
    from shared.personal_data import ensure_key_file

    if os.environ.get("PERSONAL_DATA_KEYS") or os.environ.get("PERSONAL_DATA_KEYS_FILE"):
        return {}
    key_file = run_dir() / "personal-data-keys.env"
    ensure_key_file(key_file)
    return {"PERSONAL_DATA_KEYS_FILE": str(key_file)}


class StackConfig:
    """Ports and folders of the `up` stack, from the ILTEO_* environment variables."""

    def __init__(self) -> None:
        self.run_dir = run_dir()
        self.kafka_port = _env_port("ILTEO_KAFKA_PORT", 9092)
        self.kafka_controller_port = _env_port("ILTEO_KAFKA_CONTROLLER_PORT", 9093)
        self.mongo_port = _env_port("ILTEO_MONGO_PORT", 27017)
        self.mongo_debug_port = _env_port("ILTEO_MONGO_DEBUG_PORT", 8088)
        self.smtp_port = _env_port("ILTEO_SMTP_PORT", 1025)
        self.sms_port = _env_port("ILTEO_SMS_PORT", 8025)
        self.sms_token = os.environ.get("ILTEO_SMS_GATEWAY_TOKEN", "local-dev-token")
        self.auth_port = _env_port("ILTEO_AUTH_PORT", 8090)
        self.service_ports = {
            name: _env_port(f"ILTEO_{name.upper()}_PORT", default)
            for name, default in zip(SERVICES, (8001, 8002, 8003, 8004), strict=True)
        }

    @property
    def logs(self) -> Path:
        return self.run_dir / "logs"

    @property
    def data(self) -> Path:
        return self.run_dir / "data"

    @property
    def mail_dir(self) -> Path:
        return self.data / "mail"

    def pid_file(self, name: str) -> Path:
        return self.run_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def kafka(self) -> Kafka:
        kafka = Kafka(
            self.kafka_port,
            self.kafka_controller_port,
            self.data / "kafka",
            log_file=self.log_file("kafka"),
            pid_file=self.pid_file("kafka"),
        )
        kafka.port_variables = {
            "client": "ILTEO_KAFKA_PORT",
            "controller": "ILTEO_KAFKA_CONTROLLER_PORT",
        }
        return kafka

    def ferretdb(self) -> FerretDB:
        ferretdb = FerretDB(
            self.mongo_port,
            self.mongo_debug_port,
            self.data / "ferretdb",
            log_file=self.log_file("ferretdb"),
            pid_file=self.pid_file("ferretdb"),
        )
        ferretdb.port_variables = {"wire": "ILTEO_MONGO_PORT", "debug": "ILTEO_MONGO_DEBUG_PORT"}
        return ferretdb

    def smtp_sink(self) -> SmtpSink:
        sink = SmtpSink(
            self.smtp_port,
            self.mail_dir,
            log_file=self.log_file("smtp-sink"),
            pid_file=self.pid_file("smtp-sink"),
        )
        sink.port_variables = {"smtp": "ILTEO_SMTP_PORT"}
        return sink

    def sms_gateway(self) -> SmsGatewaySink:
        sink = SmsGatewaySink(
            self.sms_port,
            self.data / "sms",
            token=self.sms_token,
            log_file=self.log_file("sms-gateway"),
            pid_file=self.pid_file("sms-gateway"),
        )
        sink.port_variables = {"http": "ILTEO_SMS_PORT"}
        return sink

    def token_issuer(self) -> TokenIssuer:
        issuer = TokenIssuer(
            self.auth_port,
            self.data / "auth",
            log_file=self.log_file("token-issuer"),
            pid_file=self.pid_file("token-issuer"),
        )
        issuer.port_variables = {"http": "ILTEO_AUTH_PORT"}
        return issuer

    def service_env(self) -> dict[str, str]:
        """The contract's configuration variables, pointing at this stack."""
        return (
            contract_env(
                kafka_port=self.kafka_port,
                mongo_port=self.mongo_port,
                smtp_port=self.smtp_port,
                sms_port=self.sms_port,
                sms_token=self.sms_token,
            )
            | self.token_issuer().auth_env()
        )

    def service(self, name: str) -> Service:
        service = Service(
            name,
            self.service_ports[name],
            self.service_env(),
            log_file=self.log_file(name),
            pid_file=self.pid_file(name),
        )
        service.port_variables = {"http": f"ILTEO_{name.upper()}_PORT"}
        return service

    def ports_of(self, name: str) -> dict[str, int]:
        table: dict[str, dict[str, int]] = {
            "kafka": {"client": self.kafka_port, "controller": self.kafka_controller_port},
            "ferretdb": {"wire": self.mongo_port, "debug": self.mongo_debug_port},
            "smtp-sink": {"smtp": self.smtp_port},
            "sms-gateway": {"http": self.sms_port},
            "token-issuer": {"http": self.auth_port},
        }
        return table.get(name) or {"http": self.service_ports[name]}


# stop order of `down`: services first, so that nothing writes to a stopped dependency
INFRASTRUCTURE: tuple[str, ...] = ("token-issuer", "sms-gateway", "smtp-sink", "ferretdb", "kafka")
MARKERS: dict[str, str] = {
    "kafka": Kafka.marker,
    "ferretdb": f"ferretdb-{FERRETDB_VERSION}",
    "smtp-sink": SmtpSink.marker,
    "sms-gateway": SmsGatewaySink.marker,
    "token-issuer": TokenIssuer.marker,
    **{name: f"services.{name}" for name in SERVICES},
}


def _running_pid(pid_file: Path, marker: str) -> int | None:
    """The pid recorded in `pid_file` if that process still runs and is ours.

    "Ours" means: it leads its own process group and its command line contains the
    component's marker, so a recycled pid never gets a signal from `down`.
    """
    try:
        pid = int(pid_file.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    if state == "Z" or marker not in cmdline:
        return None
    try:
        if os.getpgid(pid) != pid:
            return None
    except ProcessLookupError:
        return None
    return pid


def _record_state(config: StackConfig) -> None:
    state = {name: config.ports_of(name) for name in (*SERVICES, *INFRASTRUCTURE)}
    (config.run_dir / "stack.json").write_text(json.dumps(state, indent=2) + "\n")


def command_fetch() -> None:
    ensure_kafka()
    ensure_ferretdb()


def _start_all(
    components: Sequence[ManagedProcess],
    config: StackConfig,
    timeout: float,
    started: list[ManagedProcess],
) -> None:
    """Start every component that does not run yet, all at once, then wait for each.

    A component still running from an earlier `up` is left alone, so `up` is idempotent.
    Every failure is reported (with its log's tail), not only the first.
    """
    began = time.monotonic()
    fresh: list[ManagedProcess] = []
    for component in components:
        if component.pid_file is not None:
            pid = _running_pid(component.pid_file, MARKERS[component.name])
            if pid is not None:
                _say(f"  {component.name}: already running (pid {pid})")
                continue
        fresh.append(component)
    for component in fresh:  # all ports first: fail before anything starts
        component.check_ports()
    for component in fresh:
        component.start()
        started.append(component)
    failures: list[str] = []
    for component in fresh:
        try:
            component.wait_ready(timeout)
        except StackError as error:
            failures.append(str(error))
            continue
        ports = ", ".join(f"{k} {v}" for k, v in config.ports_of(component.name).items())
        _say(f"  {component.name}: ready by {_elapsed(began)} (pid {component.pid}; {ports})")
    if failures:
        raise StackError("\n\n".join(failures))


def command_up(*, services: Sequence[str] = SERVICES, keep_on_failure: bool = False) -> None:
    """Start the stack; on failure stop what this call started (unless keep_on_failure)."""
    config = StackConfig()
    total = time.monotonic()
    command_fetch()
    for folder in (config.run_dir, config.logs, config.data):
        folder.mkdir(parents=True, exist_ok=True)
    _record_state(config)
    started: list[ManagedProcess] = []
    try:
        kafka = config.kafka()
        infrastructure = [kafka, config.ferretdb(), config.smtp_sink(), config.sms_gateway()]
        infrastructure.append(config.token_issuer())
        _start_all(infrastructure, config, 90.0, started)
        topics_started = time.monotonic()
        from shared.topics import ALL_TOPICS

        create_topics(kafka.bootstrap_servers, ALL_TOPICS)
        _say(f"  topics: {len(ALL_TOPICS)} present ({_elapsed(topics_started)})")
        # The services start together: each waits for Kafka and MongoDB on its own.
        _start_all([config.service(name) for name in services], config, 120.0, started)
    except (StackError, KeyboardInterrupt):
        if started and not keep_on_failure:
            _say(f"up failed: stopping what this run started (logs stay in {config.logs})")
            stop_process_groups([(c.pid, c._proc) for c in reversed(started) if c.pid])
            for component in started:
                if component.pid_file is not None:
                    component.pid_file.unlink(missing_ok=True)
        raise
    _say(f"stack up in {_elapsed(total)}")
    _print_urls(config, services)


def _print_urls(config: StackConfig, services: Sequence[str]) -> None:
    lines = [
        "",
        f"Kafka            127.0.0.1:{config.kafka_port}",
        f"MongoDB (Ferret) mongodb://127.0.0.1:{config.mongo_port}/",
        f"SMTP sink        localhost:{config.smtp_port}; e-mails land in {config.mail_dir}",
        f"SMS gateway      POST http://127.0.0.1:{config.sms_port}/send; "
        f"received: http://127.0.0.1:{config.sms_port}/messages",
        f"token issuer     http://127.0.0.1:{config.auth_port}/token?role=operator&sub=op-1"
        "&programs=*",
    ]
    for name in services:
        base = f"http://127.0.0.1:{config.service_ports[name]}"
        lines += [
            f"{name:<16} OpenAPI  {base}/docs",
            f"{'':<16} AsyncAPI {base}/asyncapi",
            f"{'':<16} metrics  {base}/metrics",
            f"{'':<16} health   {base}/healthz  {base}/readyz",
        ]
    lines.append(f"logs             {config.logs}")
    _say("\n".join(lines))


def command_down() -> None:
    config = StackConfig()
    stopped_any = False
    for group in (SERVICES, INFRASTRUCTURE[:3], INFRASTRUCTURE[3:4], INFRASTRUCTURE[4:]):
        pids: list[tuple[str, int]] = []
        for name in group:
            pid_file = config.pid_file(name)
            pid = _running_pid(pid_file, MARKERS[name])
            if pid is None:
                pid_file.unlink(missing_ok=True)
                continue
            pids.append((name, pid))
        if not pids:
            continue
        started = time.monotonic()
        stop_process_groups([(pid, None) for _, pid in pids])
        for name, pid in pids:
            config.pid_file(name).unlink(missing_ok=True)
            _say(f"  {name}: stopped (pid {pid}, {_elapsed(started)})")
        stopped_any = True
    _say("stack down" if stopped_any else "nothing was running")


def command_status() -> int:
    """One line per component, with the ports `up` used (stack.json).

    Exit status 1 when a component has a pid file but no longer runs (it crashed)."""
    config = StackConfig()
    try:
        recorded: dict[str, dict[str, int]] = json.loads(
            (config.run_dir / "stack.json").read_text()
        )
    except (FileNotFoundError, ValueError):
        recorded = {}
    healthy = True
    for name in (*INFRASTRUCTURE[::-1], *SERVICES):
        pid_file = config.pid_file(name)
        pid = _running_pid(pid_file, MARKERS[name])
        ports = recorded.get(name) or config.ports_of(name)
        listening = ", ".join(
            f"{label} {port}{'' if port_in_use(port) else ' (not listening)'}"
            for label, port in ports.items()
        )
        if pid is not None:
            _say(f"{name:<12} running  pid {pid:<8} {listening}")
        elif pid_file.exists():
            _say(f"{name:<12} DIED     (see {config.log_file(name)})")
            healthy = False
        else:
            _say(f"{name:<12} stopped")
    return 0 if healthy else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.local.stack",
        description="Run Kafka, FerretDB, the SMTP/SMS sinks and the services locally.",
        epilog="Ports: see the ILTEO_* variables in this module's docstring.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("fetch", help="fetch Kafka and build FerretDB into .local/")
    up = commands.add_parser("up", help="start the stack (and the services)")
    up.add_argument("--no-services", action="store_true", help="only Kafka, FerretDB, sinks")
    up.add_argument(
        "--services",
        default=",".join(SERVICES),
        help="comma list of the services to start (default: all four)",
    )
    up.add_argument(
        "--keep-on-failure", action="store_true", help="leave started processes running on error"
    )
    commands.add_parser("down", help="stop everything `up` started")
    commands.add_parser("status", help="what runs, on which port")
    topics = commands.add_parser(
        "create-topics", help="create every contract topic on KAFKA_BOOTSTRAP_SERVERS"
    )
    topics.add_argument(
        "--bootstrap-servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "fetch":
            command_fetch()
        elif args.command == "up":
            names = [] if args.no_services else [n for n in args.services.split(",") if n]
            unknown = sorted(set(names) - set(SERVICES))
            if unknown:
                parser.error(f"unknown services: {', '.join(unknown)} (known: {SERVICES})")
            command_up(services=names, keep_on_failure=args.keep_on_failure)
        elif args.command == "down":
            command_down()
        elif args.command == "status":
            return command_status()
        elif args.command == "create-topics":
            from shared.topics import ALL_TOPICS

            create_topics(args.bootstrap_servers, ALL_TOPICS)
    except StackError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
