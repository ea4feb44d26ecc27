"""Bridge benchmark: 1, 10, 25 and 50 concurrent calls through the bridge and the minimal relay.

Processes: the server under test (the bridge, or ``bench/relay.py``) pinned to
core 1; the fake OpenAI (echo mode) and the load driver (fake Twilio calls)
on core 0. Each caller frame carries a sequence number; the echo sends it
back, so a frame's round trip needs no cooperation from the server. Added
latency = round trip through the server - round trip straight to the fake,
measured in the same run. Also: CPU % of a core per call and RSS per call of
the server, barge-in reaction (fake's speech_started -> caller's clear), and
lost or reordered frames.

Run: ``python -m bench bridge [--calls 1,10,25,50] [--seconds 6]``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench.common import ensure_database, listening_socket, serve_inherited
from voice_bridge.security import public_url, sign_request

PUBLIC = "https://bench.local"
TOKEN = "bench-auth-token"
ACCOUNT = "AC" + "0" * 32
WARMUP_SECONDS = 3.0
BARGE_IN_EVERY = 2.0


# ---- processes ---------------------------------------------------------------------------
def _spawn(
    args: list[str],
    core: int,
    env: dict[str, str] | None = None,
    sockets: tuple[socket.socket, ...] = (),
) -> subprocess.Popen[bytes]:
    """A role in a process of its own on one core; it serves ``sockets`` (bound here)."""
    fds = tuple(s.fileno() for s in sockets)
    return subprocess.Popen(
        ["taskset", "-c", str(core), sys.executable, "-m", "bench.bridge", *args],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        pass_fds=fds,
    )


def _wait_serving(url: str) -> None:
    """Until the server answers HTTP (its socket accepts connections from the start)."""
    for _ in range(400):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing answers at {url}")


def _ready_marker(log: Path) -> Path:
    return log.with_suffix(".ready")


def _wait_ready(log: Path) -> None:
    for _ in range(400):
        if _ready_marker(log).exists():
            return
        time.sleep(0.05)
    raise RuntimeError("the fakes did not start")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def role_fake(fd: int, rest_fd: int, log: Path) -> None:
    """The OpenAI Realtime fake, and Twilio's REST API (the bridge starts each call's recording)."""
    from voice_bridge.testing.fake_openai import FakeRealtime
    from voice_bridge.testing.fake_twilio_rest import FakeTwilioRest
    from voice_bridge.testing.serving import serve

    async def main() -> None:
        fake = FakeRealtime(mode="echo", bargein_every=BARGE_IN_EVERY, bargein_log=log)
        await fake.start(sock=socket.socket(fileno=fd))
        async with serve(FakeTwilioRest(ACCOUNT, TOKEN).app(), sock=socket.socket(fileno=rest_fd)):
            _ready_marker(log).touch()  # a probing connection would log a failed handshake
            await asyncio.Event().wait()

    asyncio.run(main())


def role_server(kind: str, fd: int, openai_port: int) -> None:
    if kind == "relay":
        from bench.relay import create_relay

        app: Any = create_relay(f"ws://127.0.0.1:{openai_port}/v1/realtime?model=echo")
    else:
        from starlette.applications import Starlette
        from starlette.routing import Mount

        from crm_app.db import get_engine
        from crm_app.migrate import upgrade_to_head
        from voice_bridge.app import create_bridge

        upgrade_to_head(get_engine())
        app = Starlette(routes=[Mount("/twilio", app=create_bridge())])
    serve_inherited(app, fd, ws="websockets-sansio", ws_max_size=64 * 1024)


# ---- the load driver ---------------------------------------------------------------------
@dataclass
class CallStats:
    # (sent, round trip): seconds after the driver started, ms; the steady window is chosen
    # afterwards, once every call is set up (call set-up is not per-frame latency).
    samples: list[tuple[float, float]] = field(default_factory=list)
    opened_s: float = 0.0  # when this call's stream started, after the driver started
    clears: list[int] = field(default_factory=list)  # monotonic ns
    received: int = 0
    reordered: int = 0
    duplicated: int = 0
    sent: int = 0


def _frame(index: int, seq: int) -> str:
    return base64.b64encode(
        seq.to_bytes(4, "big") + index.to_bytes(2, "big") + b"\xff" * 154
    ).decode()


async def _open(
    target: str,
    url: str,
    index: int,
    openai_url: str,
    business_phone: str,
    http: httpx.AsyncClient,
) -> Any:
    call_sid, stream_sid = "CA" + secrets.token_hex(16), "MZ" + secrets.token_hex(16)
    if target == "direct":
        ws = await websockets.connect(openai_url, additional_headers={"Authorization": "Bearer x"})
        return ws, call_sid, stream_sid
    token = ""
    if target == "bridge":
        form = {
            "CallSid": call_sid,
            "AccountSid": ACCOUNT,
            "From": f"+97250{index:07d}",
            "To": business_phone,
        }
        signature = sign_request(TOKEN, public_url(PUBLIC, "/twilio/voice"), form)
        twiml = (
            await http.post(
                f"{url}/twilio/voice", data=form, headers={"X-Twilio-Signature": signature}
            )
        ).text
        token = twiml.split('name="token" value="')[1].split('"')[0]
    headers = {
        "X-Twilio-Signature": sign_request(
            TOKEN, public_url(PUBLIC, "/twilio/media", websocket=True), {}
        )
    }
    ws = await websockets.connect(
        url.replace("http", "ws") + "/twilio/media", additional_headers=headers
    )
    await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
    await ws.send(
        json.dumps(
            {
                "event": "start",
                "sequenceNumber": "1",
                "streamSid": stream_sid,
                "start": {
                    "streamSid": stream_sid,
                    "accountSid": ACCOUNT,
                    "callSid": call_sid,
                    "tracks": ["inbound"],
                    "customParameters": {"token": token},
                },
            }
        )
    )
    return ws, call_sid, stream_sid


async def _one_call(
    target: str,
    url: str,
    index: int,
    seconds: float,
    openai_url: str,
    business_phone: str,
    stats: CallStats,
    started: float,
    http: httpx.AsyncClient,
) -> None:
    ws, _call_sid, stream_sid = await _open(target, url, index, openai_url, business_phone, http)
    stats.opened_s = time.monotonic() - started
    sent_at: dict[int, float] = {}
    last_seq = -1
    all_back = asyncio.Event()  # set once sending is over and every frame came back
    sending = True

    async def receive() -> None:
        nonlocal last_seq
        async for raw in ws:
            message = json.loads(raw)
            kind = message.get("event") or message.get("type")
            if kind in ("media", "response.output_audio.delta"):
                payload = message["media"]["payload"] if kind == "media" else message["delta"]
                seq = int.from_bytes(base64.b64decode(payload)[:4], "big")
                now = time.monotonic()
                stats.received += 1
                if seq == last_seq:
                    stats.duplicated += 1
                elif seq < last_seq:
                    stats.reordered += 1
                last_seq = max(last_seq, seq)
                if seq in sent_at:
                    stats.samples.append((sent_at[seq] - started, (now - sent_at[seq]) * 1000))
                if not sending and stats.received >= stats.sent:
                    all_back.set()
            elif kind == "clear":
                stats.clears.append(time.monotonic_ns())

    reader = asyncio.get_running_loop().create_task(receive())
    start = time.monotonic()
    seq = 0
    while time.monotonic() - start < seconds:
        payload = _frame(index, seq)
        sent_at[seq] = time.monotonic()
        if target == "direct":
            await ws.send('{"type":"input_audio_buffer.append","audio":"' + payload + '"}')
        else:
            await ws.send(
                json.dumps(
                    {
                        "event": "media",
                        "streamSid": stream_sid,
                        "sequenceNumber": str(seq + 2),
                        "media": {
                            "track": "inbound",
                            "chunk": str(seq),
                            "timestamp": str(seq * 20),
                            "payload": payload,
                        },
                    }
                )
            )
        stats.sent += 1
        seq += 1
        await asyncio.sleep(max(0.0, start + seq * 0.02 - time.monotonic()))
    # The last echoes: a frame still on its way is late, not lost (the loaded runs show
    # p99 round trips of hundreds of ms). Up to 5 s, then what is missing is lost.
    sending = False
    if stats.received >= stats.sent:
        all_back.set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(all_back.wait(), 5.0)
    if target != "direct":
        await ws.send(json.dumps({"event": "stop", "streamSid": stream_sid, "stop": {}}))
    await ws.close()
    reader.cancel()


def role_drive(
    target: str, url: str, calls: int, seconds: float, openai_url: str, phone: str, out: Path
) -> None:
    async def main() -> list[CallStats]:
        stats = [CallStats() for _ in range(calls)]
        # One client for every webhook: building one loads the CA bundle (~50 ms of CPU that
        # would stall the driver's loop, and show up as latency, once per call).
        async with httpx.AsyncClient() as http:
            started = time.monotonic()
            await asyncio.gather(
                *(
                    _one_call(target, url, i, seconds, openai_url, phone, stats[i], started, http)
                    for i in range(calls)
                )
            )
        return stats

    stats = asyncio.run(main())
    out.write_text(json.dumps([s.__dict__ for s in stats]))


# ---- the orchestrator --------------------------------------------------------------------
def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _barge_in_ms(stats: list[dict[str, Any]], log: Path) -> list[float]:
    emitted: dict[int, list[int]] = {}
    for line in log.read_text().splitlines() if log.exists() else []:
        tag, ns = line.split()
        emitted.setdefault(int(tag, 16), []).append(int(ns))
    reactions = []
    for index, call in enumerate(stats):
        for sent, cleared in zip(emitted.get(index, []), call["clears"], strict=False):
            if cleared >= sent:
                reactions.append((cleared - sent) / 1e6)
    return reactions


def run_once(
    target: str, calls: int, seconds: float, env: dict[str, str], phone: str
) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="bench-bridge-"))
    log, out = work / "bargein.log", work / "stats.json"
    # Bound here, before any process learns the ports; the children serve them by descriptor.
    openai_sock, rest_sock, server_sock = listening_socket(), listening_socket(), listening_socket()
    openai_port, rest_port, server_port = (
        s.getsockname()[1] for s in (openai_sock, rest_sock, server_sock)
    )
    fake = _spawn(
        ["fake", str(openai_sock.fileno()), str(rest_sock.fileno()), str(log)],
        core=0,
        sockets=(openai_sock, rest_sock),
    )
    server = None
    try:
        _wait_ready(log)
        openai_ws = f"ws://127.0.0.1:{openai_port}/v1/realtime?model=echo"
        url = f"http://127.0.0.1:{server_port}"
        if target != "direct":
            server = _spawn(
                ["server", target, str(server_sock.fileno()), str(openai_port)],
                core=1,
                env={
                    **env,
                    "OPENAI_BASE_URL": f"http://127.0.0.1:{openai_port}/v1",
                    "TWILIO_API_BASE_URL": f"http://127.0.0.1:{rest_port}",
                },
                sockets=(server_sock,),
            )
            _wait_serving(url)
            time.sleep(0.5)
            idle_rss = _rss_mb(server.pid)
        driver = _spawn(
            ["drive", target, url, str(calls), str(seconds), openai_ws, phone, str(out)], core=0
        )
        time.sleep(WARMUP_SECONDS)
        cpu0 = _cpu_seconds(server.pid) if server else 0.0
        steady = seconds - WARMUP_SECONDS - 0.5
        time.sleep(steady)
        cpu = (_cpu_seconds(server.pid) - cpu0) if server else 0.0
        rss = _rss_mb(server.pid) if server else 0.0
        driver.wait(timeout=seconds + 60)
        stats = json.loads(out.read_text())
    finally:
        for process in (server, fake):
            if process is not None:
                process.terminate()
                process.wait(10)
        for sock in (openai_sock, rest_sock, server_sock):
            sock.close()
    setup = max(call["opened_s"] for call in stats)
    window = max(WARMUP_SECONDS, setup + 0.5)
    rtts = [rtt for call in stats for sent, rtt in call["samples"] if sent >= window]
    return {
        "rtt_p50": pct(rtts, 0.5),
        "rtt_p99": pct(rtts, 0.99),
        "cpu_per_call_pct": 100 * cpu / steady / calls if server else 0.0,
        "rss_per_call_mb": (rss - idle_rss) / calls if server else 0.0,
        "lost": sum(c["sent"] - c["received"] for c in stats),
        "reordered": sum(c["reordered"] + c["duplicated"] for c in stats),
        "bargein_ms": _barge_in_ms(stats, log),
        "setup_s": setup,
    }


def _bench_env() -> tuple[dict[str, str], str]:
    """A fresh database with one business, and the settings the bridge process reads."""
    work = Path(tempfile.mkdtemp(prefix="bench-bridge-db-"))
    env = {
        "DATABASE_URL": ensure_database("crm_bench_bridge", fresh=True),
        "STORAGE_DIR": str(work / "files"),
        "SECRET_KEY": "bench-secret-key-0123456789",
        "PUBLIC_BASE_URL": PUBLIC,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "OPENAI_API_KEY": "sk-bench",
        "MAX_CONCURRENT_CALLS": "200",
        "CALL_SILENCE_SECONDS": "600",
        "DEMO_MODE": "0",
    }
    phone = "+97235550177"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "crm_app",
            "create-owner",
            "--business",
            "Bench",
            "--phone",
            phone,
            "--email",
            "bench@example.com",
        ],
        input="bench-password-123\n",
        text=True,
        check=True,
        env={**os.environ, **env},
        capture_output=True,
    )
    return env, phone


REPETITIONS = 5  # the VM's figures vary by tens of percent between runs


def _median_run(
    target: str, calls: int, seconds: float, env: dict[str, str], phone: str
) -> dict[str, Any]:
    """Several runs; the median of each figure."""
    runs = [run_once(target, calls, seconds, env, phone) for _ in range(REPETITIONS)]
    keys = ("rtt_p50", "rtt_p99", "cpu_per_call_pct", "rss_per_call_mb", "setup_s")
    merged: dict[str, Any] = {k: statistics.median(r[k] for r in runs) for k in keys}
    merged["lost"] = sum(r["lost"] for r in runs)
    merged["reordered"] = sum(r["reordered"] for r in runs)
    merged["bargein_ms"] = [ms for r in runs for ms in r["bargein_ms"]]
    return merged


def report(calls_list: list[int], seconds: float) -> None:
    env, phone = _bench_env()
    print(
        f"\n== bridge vs minimal relay: median of {REPETITIONS} runs of {seconds:.0f} s,"
        " server on core 1; ms, % of a core, MB"
    )
    columns = (
        "calls",
        "target",
        "rtt p50",
        "rtt p99",
        "added p50",
        "added p99",
        "cpu/call",
        "rss/call",
        "barge-in p50/p99",
        "lost",
        "reord",
        "setup s",
    )
    print(" ".join(f"{c:>9}" for c in columns))
    for calls in calls_list:
        direct = _median_run("direct", calls, seconds, env, phone)
        rows = {t: _median_run(t, calls, seconds, env, phone) for t in ("relay", "bridge")}
        for target, row in rows.items():
            bargein = row["bargein_ms"]
            cells = (
                calls,
                target,
                f"{row['rtt_p50']:.2f}",
                f"{row['rtt_p99']:.2f}",
                f"{row['rtt_p50'] - direct['rtt_p50']:.2f}",
                f"{row['rtt_p99'] - direct['rtt_p99']:.2f}",
                f"{row['cpu_per_call_pct']:.2f}%",
                f"{row['rss_per_call_mb']:.2f}",
                f"{pct(bargein, 0.5):.1f}/{pct(bargein, 0.99):.1f}",
                row["lost"],
                row["reordered"],
                f"{row['setup_s']:.2f}",
            )
            print(" ".join(f"{c!s:>9}" for c in cells))
        ratio = rows["bridge"]["cpu_per_call_pct"] / max(rows["relay"]["cpu_per_call_pct"], 1e-9)
        print(
            f"{calls:>9}  bridge CPU per call = {ratio:.2f} x relay (target <= 1.3); straight to"
            f" the fake: rtt p50 {direct['rtt_p50']:.2f} p99 {direct['rtt_p99']:.2f} ms"
        )


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("fake", "server", "drive"):
        role, rest = args[0], args[1:]
        if role == "fake":
            role_fake(int(rest[0]), int(rest[1]), Path(rest[2]))
        elif role == "server":
            role_server(rest[0], int(rest[1]), int(rest[2]))
        else:
            role_drive(
                rest[0], rest[1], int(rest[2]), float(rest[3]), rest[4], rest[5], Path(rest[6])
            )
        return
    parser = argparse.ArgumentParser(prog="python -m bench bridge")
    parser.add_argument("--calls", default="1,10,25,50")
    parser.add_argument("--seconds", type=float, default=8.0)
    options = parser.parse_args(args)
    report([int(c) for c in options.calls.split(",")], options.seconds)


if __name__ == "__main__":
    main()
