#!/usr/bin/python3
"""Interop e2e test: a client built from proto/ alone with another gRPC stack.

Proves that a party given only proto/tsodso/v1/*.proto and its mTLS
certificate can use the gateway from Python grpcio (C-core, not grpc++):
message classes come from `protoc --python_out`, stubs are built by hand with
grpcio's generic unary_unary/unary_stream API (no grpc_tools, no repo code).

Runs the real daemon on a free port with freshly generated demo certificates
and its private PostgreSQL cluster, then checks WhoAmI, ListPccs, PublishNotice,
Subscribe (replay + heartbeat), ValidateMeritOrder on the demo PS Sud network,
an unregistered-certificate rejection and a
clean SIGTERM shutdown that also stops the private cluster.

  /usr/bin/python3 tests/e2e/python_interop.py --source-dir SRC --bin-dir BIN

Exit 0 = pass; otherwise a FAIL line says why. Needs the Debian packages
python3-grpcio, python3-protobuf and protobuf-compiler (protoc).
"""

import sys

_MISSING = []
try:
    import grpc  # noqa: F401
except ImportError as e:  # pragma: no cover - environment check
    _MISSING.append(("python3-grpcio", "grpc", e))
try:
    import google.protobuf  # noqa: F401
except ImportError as e:  # pragma: no cover - environment check
    _MISSING.append(("python3-protobuf", "google.protobuf", e))
if _MISSING:
    for pkg, mod, err in _MISSING:
        print(f"FAIL: cannot import {mod} ({err}); install the Debian package {pkg} "
              f"(apt-get install {pkg}) and run with /usr/bin/python3, not {sys.executable}",
              file=sys.stderr)
    sys.exit(1)

import argparse
import glob
import importlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import traceback
import uuid

START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30
RPC_TIMEOUT_S = 15
SUBSCRIBE_TIMEOUT_S = 20
HEARTBEAT_INTERVAL_MS = 500


class TestFailure(Exception):
    pass


def progress(msg):
    print(f"[python_interop] {msg}", flush=True)


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def run(argv, what):
    res = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if res.returncode != 0:
        raise TestFailure(f"{what} failed (exit {res.returncode}): {' '.join(argv)}\n{res.stdout}")
    return res.stdout


def tail(path, max_lines=60):
    try:
        with open(path, errors="replace") as f:
            lines = f.readlines()
    except OSError as e:
        return f"(cannot read {path}: {e})"
    return "".join(lines[-max_lines:])


# --------------------------------------------------------------------------
# Setup: certificates, Python message classes, gateway config.

def make_certs(src, tmp):
    certs = os.path.join(tmp, "certs")
    run(["bash", os.path.join(src, "deploy", "certs", "make-demo-certs.sh"), certs], "make-demo-certs.sh")
    for name in ("ca.crt", "server.crt", "server.key", "tso.crt", "tso.key", "agg1.crt", "agg1.key",
                 "operator.crt", "operator.key", "unregistered.crt", "unregistered.key"):
        check(os.path.isfile(os.path.join(certs, name)), f"make-demo-certs.sh did not write {name}")
    return certs


def generate_messages(src, tmp):
    """protoc --python_out from proto/ only; returns the tsodso.v1 modules."""
    protoc = shutil.which("protoc")
    check(protoc is not None, "protoc not found in PATH; install the Debian package protobuf-compiler")
    proto_root = os.path.join(src, "proto")
    protos = sorted(glob.glob(os.path.join(proto_root, "tsodso", "v1", "*.proto")))
    check(protos, f"no .proto files under {proto_root}/tsodso/v1")
    gen = os.path.join(tmp, "gen")
    os.makedirs(gen)
    run([protoc, f"--proto_path={proto_root}", f"--python_out={gen}", *protos], "protoc")
    # Regular packages, so nothing else named tsodso on sys.path can shadow them.
    for d in (os.path.join(gen, "tsodso"), os.path.join(gen, "tsodso", "v1")):
        open(os.path.join(d, "__init__.py"), "a").close()
    sys.path.insert(0, gen)
    mods = {}
    for p in protos:
        name = os.path.splitext(os.path.basename(p))[0]
        mods[name] = importlib.import_module(f"tsodso.v1.{name}_pb2")
    for needed in ("common", "registry", "feed", "operator", "validation", "prequalification"):
        check(needed in mods, f"proto/tsodso/v1/{needed}.proto is missing")
    progress(f"generated Python messages for {len(protos)} proto files with {run([protoc, '--version'], 'protoc').strip()}")
    return mods


def top_level_blocks(text, keys):
    """Return the text of the given top-level YAML keys (key line + indented body)."""
    blocks, current = {}, None
    for line in text.splitlines(keepends=True):
        is_top = line[:1] not in ("", " ", "\t", "#", "\n", "-")
        if is_top:
            key = line.split(":", 1)[0].strip()
            current = key if key in keys else None
            if current:
                blocks[current] = ""
        if current:
            blocks[current] += line
    return blocks


def write_config(src, tmp, certs):
    repo_cfg_path = os.path.join(src, "config", "gateway.yaml")
    with open(repo_cfg_path) as f:
        blocks = top_level_blocks(f.read(), ("pccs", "parties"))
    for key in ("pccs", "parties"):
        check(key in blocks, f"{repo_cfg_path} has no top-level '{key}' section")
    cfg = f"""# Written by tests/e2e/python_interop.py; pccs and parties copied from {repo_cfg_path}.
listen: "127.0.0.1:0"
data_dir: "{os.path.join(tmp, 'data')}"
log_level: info
shutdown_grace_ms: 2000
tls:
  cert: "{os.path.join(certs, 'server.crt')}"
  key: "{os.path.join(certs, 'server.key')}"
  client_ca: "{os.path.join(certs, 'ca.crt')}"
  identity: san_uri
database:
  dsn: ""
  pool_size: 2
feed:
  heartbeat_interval_ms: {HEARTBEAT_INTERVAL_MS}
flexibility:
  der_classes: "{os.path.join(src, 'config', 'der-classes.yaml')}"
  pccs:
    PS_SUD:
      current: "{os.path.join(src, 'config', 'ps-sud', 'as-is.yaml')}"
grid:
  pccs:
    PS_SUD: "{os.path.join(src, 'config', 'grids', 'ps-sud')}"
# The notice must be the log's first event; forecasts would come first.
forecast:
  enabled: false
""" + blocks["pccs"].rstrip("\n") + "\n" + blocks["parties"].rstrip("\n") + "\n"
    path = os.path.join(tmp, "gateway.yaml")
    with open(path, "w") as f:
        f.write(cfg)
    return path


# --------------------------------------------------------------------------
# Daemon lifecycle.

class Gateway:
    def __init__(self, binary, config, tmp):
        self.binary, self.config, self.tmp = binary, config, tmp
        self.ready_file = os.path.join(tmp, "ready.json")
        self.log_path = os.path.join(tmp, "gateway.log")
        self.proc = None
        self.port = None
        self.exited_early = False

    def start(self):
        env = dict(os.environ)
        env.pop("TSODSO_DATABASE_DSN", None)  # it would override the private cluster
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "--config", self.config, "--ready-file", self.ready_file],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                self.exited_early = True
                raise TestFailure(f"tsodso-gatewayd exited with {rc} before becoming ready (log below)")
            if os.path.exists(self.ready_file):
                with open(self.ready_file) as f:
                    ready = json.load(f)
                check(ready.get("pid") == self.proc.pid,
                      f"ready.json pid {ready.get('pid')} is not the daemon's pid {self.proc.pid}")
                self.port = int(ready["port"])
                check(0 < self.port < 65536, f"ready.json has an invalid port: {ready}")
                return
            time.sleep(0.1)
        raise TestFailure(f"tsodso-gatewayd not ready after {START_TIMEOUT_S} s (log below)")

    def stop(self):
        """SIGTERM, wait, return the exit code (None if it had to be killed)."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self.log.close()
        return rc


def postgres_leftovers(data_dir):
    """Processes whose command line mentions data_dir, and the postmaster.pid if present."""
    procs = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if data_dir in cmd and int(entry) != os.getpid():
            procs.append((int(entry), cmd))
    pidfile = os.path.join(data_dir, "postgres", "data", "postmaster.pid")
    return procs, (pidfile if os.path.exists(pidfile) else None)


def kill_leftover_postmaster(pidfile, data_dir):
    """Best effort after a failure: stop the cluster the daemon we started left behind."""
    try:
        with open(pidfile) as f:
            pid = int(f.readline().strip())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if data_dir.encode() not in f.read():
                return
        os.kill(pid, signal.SIGQUIT)  # PostgreSQL immediate shutdown
        progress(f"sent SIGQUIT to leftover postmaster {pid}")
    except (OSError, ValueError):
        pass


# --------------------------------------------------------------------------
# Hand-built stubs (generic API: path + serializer + deserializer).

class Api:
    def __init__(self, channel, m):
        reg, feed, op, val, pq = m["registry"], m["feed"], m["operator"], m["validation"], m["prequalification"]

        def unary(path, req, resp):
            return channel.unary_unary(path, request_serializer=req.SerializeToString,
                                       response_deserializer=resp.FromString)

        self.WhoAmI = unary("/tsodso.v1.RegistryService/WhoAmI", reg.WhoAmIRequest, reg.WhoAmIResponse)
        self.ListPccs = unary("/tsodso.v1.RegistryService/ListPccs", reg.ListPccsRequest, reg.ListPccsResponse)
        self.PublishNotice = unary("/tsodso.v1.OperatorService/PublishNotice",
                                   op.PublishNoticeRequest, op.PublishNoticeResponse)
        self.ValidateMeritOrder = unary("/tsodso.v1.BidValidationService/ValidateMeritOrder",
                                        val.ValidateMeritOrderRequest, val.MeritOrderValidation)
        self.RequestPrequalification = unary("/tsodso.v1.PrequalificationService/RequestPrequalification",
                                             pq.PrequalificationRequest, pq.PrequalificationResponse)
        self.Subscribe = channel.unary_stream("/tsodso.v1.FeedService/Subscribe",
                                              request_serializer=feed.SubscribeRequest.SerializeToString,
                                              response_deserializer=feed.Event.FromString)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def open_channel(certs, client, port):
    creds = grpc.ssl_channel_credentials(
        root_certificates=read_file(os.path.join(certs, "ca.crt")),
        private_key=read_file(os.path.join(certs, f"{client}.key")),
        certificate_chain=read_file(os.path.join(certs, f"{client}.crt")))
    # No proxy: an http(s)_proxy in the CI environment must not intercept 127.0.0.1.
    return grpc.secure_channel(f"127.0.0.1:{port}", creds, options=[("grpc.enable_http_proxy", 0)])


def rpc(what, fn, req):
    try:
        return fn(req, timeout=RPC_TIMEOUT_S)
    except grpc.RpcError as e:
        raise TestFailure(f"{what} failed: {e.code().name}: {e.details()}") from None


# --------------------------------------------------------------------------
# The checks.

def check_identity(api, m, who, want_party, want_role, want_pccs):
    common, reg = m["common"], m["registry"]
    me = rpc(f"WhoAmI as {who}", api.WhoAmI, reg.WhoAmIRequest())
    role = common.Role.Name(me.role) if me.role in common.Role.values() else str(me.role)
    check(me.party_id == want_party, f"WhoAmI as {who}: party_id {me.party_id!r}, want {want_party!r}")
    check(role == want_role, f"WhoAmI as {who}: role {role}, want {want_role}")
    check(me.certificate_identity == f"urn:tsodso:party:{want_party}",
          f"WhoAmI as {who}: certificate_identity {me.certificate_identity!r}, "
          f"want 'urn:tsodso:party:{want_party}' (tls.identity is san_uri)")
    check(list(me.pcc_ids) == want_pccs, f"WhoAmI as {who}: pcc_ids {list(me.pcc_ids)}, want {want_pccs}")
    progress(f"WhoAmI as {who}: party_id={me.party_id} role={role} pcc_ids={list(me.pcc_ids)}")

    pccs = rpc(f"ListPccs as {who}", api.ListPccs, reg.ListPccsRequest()).pccs
    ids = [p.pcc_id for p in pccs]
    check(ids == want_pccs, f"ListPccs as {who}: {ids}, want {want_pccs} in that order")
    for p in pccs:
        check(p.display_name and list(p.voltage_levels_kv),
              f"ListPccs as {who}: PCC {p.pcc_id} lacks display_name or voltage_levels_kv: {p}")
    progress(f"ListPccs as {who}: {ids}")
    return pccs


def publish_notice(api, m, text):
    common, op = m["common"], m["operator"]
    req = op.PublishNoticeRequest(idempotency_key=f"python-interop-{uuid.uuid4()}",
                                  severity=common.SEVERITY_WARNING, text=text, pcc_ids=["PS_SUD"])
    resp = rpc("PublishNotice as operator", api.PublishNotice, req)
    check(resp.notice_id, "PublishNotice: empty notice_id")
    # One event; the gateway may already have published its own (flexibility
    # at start-up), so the notice's seq is whatever comes next.
    check(len(resp.event_seqs) == 1 and resp.event_seqs[0] >= 1,
          f"PublishNotice: event_seqs {list(resp.event_seqs)}, want one seq")
    check(not resp.replayed, "PublishNotice: first call answered replayed=true")
    progress(f"PublishNotice as operator: notice_id={resp.notice_id} event_seqs={list(resp.event_seqs)}")
    return resp


def subscribe_until_heartbeat(api, m, notice_id, text, notice_seq):
    common, feed = m["common"], m["feed"]
    # The deadline turns a hang into DEADLINE_EXCEEDED instead of blocking.
    call = api.Subscribe(feed.SubscribeRequest(resume_after_seq=0, topics=[feed.TOPIC_NOTICE]),
                         timeout=SUBSCRIBE_TIMEOUT_S)
    events = []
    got_notice = got_heartbeat = False
    t0 = time.monotonic()
    try:
        for ev in call:
            kind = ev.WhichOneof("payload")
            events.append((ev.seq, feed.Topic.Name(ev.topic), ev.pcc_id, kind))
            if kind == "notice":
                check(not got_notice, f"Subscribe: notice delivered twice: {events}")
                check(ev.seq == notice_seq, f"Subscribe: notice event has seq {ev.seq}, want {notice_seq}")
                check(ev.topic == feed.TOPIC_NOTICE, f"Subscribe: notice event topic {feed.Topic.Name(ev.topic)}")
                check(ev.pcc_id == "PS_SUD", f"Subscribe: notice event pcc_id {ev.pcc_id!r}, want 'PS_SUD'")
                check(ev.HasField("published_at") and ev.published_at.seconds > 0,
                      "Subscribe: notice event has no published_at")
                n = ev.notice
                check(n.text == text, f"Subscribe: notice text {n.text!r}, want {text!r}")
                check(n.notice_id == notice_id, f"Subscribe: notice_id {n.notice_id!r}, want {notice_id!r}")
                check(n.severity == common.SEVERITY_WARNING,
                      f"Subscribe: notice severity {common.Severity.Name(n.severity)}, want SEVERITY_WARNING")
                check(list(n.pcc_ids) == ["PS_SUD"], f"Subscribe: notice pcc_ids {list(n.pcc_ids)}")
                check(n.published_by == "dso-operator", f"Subscribe: notice published_by {n.published_by!r}")
                got_notice = True
                progress(f"Subscribe as tso: replayed seq={ev.seq} topic={feed.Topic.Name(ev.topic)} "
                         f"pcc_id={ev.pcc_id} text={n.text!r}")
            elif kind == "heartbeat":
                check(ev.seq == 0, f"Subscribe: heartbeat with seq {ev.seq}, want 0")
                check(ev.topic == feed.TOPIC_UNSPECIFIED,
                      f"Subscribe: heartbeat with topic {feed.Topic.Name(ev.topic)}, want TOPIC_UNSPECIFIED")
                check(got_notice, f"Subscribe: heartbeat before the replayed notice: {events}")
                got_heartbeat = True
                progress(f"Subscribe as tso: heartbeat head_seq={ev.heartbeat.head_seq} "
                         f"after {time.monotonic() - t0:.2f} s")
                check(ev.heartbeat.head_seq >= notice_seq,
                      f"Subscribe: heartbeat head_seq {ev.heartbeat.head_seq} although seq {notice_seq} was "
                      "committed and delivered (feed.proto: highest seq committed and dispatched)")
                break
            else:
                raise TestFailure(f"Subscribe: event with no known payload ({kind}): {ev}")
    except grpc.RpcError as e:
        raise TestFailure(f"Subscribe ended with {e.code().name}: {e.details()} after events {events}") from None
    finally:
        call.cancel()
    check(got_notice and got_heartbeat,
          f"Subscribe: stream ended without notice+heartbeat; got {events}, code {call.code()}")
    progress("Subscribe as tso: stream cancelled by the client")


def prequalify(api, m):
    """agg-1 prequalifies one asset from Python."""
    pq = m["prequalification"]
    req = pq.PrequalificationRequest(idempotency_key=f"py-pq-{uuid.uuid4().hex[:8]}")
    req.assets.add(resource_id="agg1-chp-01", type=pq.ASSET_TYPE_CHP, pcc_id="PS_SUD", sn_mva=6.25,
                   p_min_mw=1.5, p_max_mw=5, q_min_mvar=-1, q_max_mvar=3.75)
    answer = rpc("RequestPrequalification as agg1", api.RequestPrequalification, req)
    check(len(answer.results) == 1 and answer.results[0].outcome == pq.QUALIFICATION_OUTCOME_QUALIFIED,
          f"agg1-chp-01 should qualify: {answer}")
    progress(f"RequestPrequalification as agg1: agg1-chp-01 qualified until {answer.results[0].valid_until.ToJsonString()}")


def validate_list(api, m):
    """The TSO's merit order list from Python: one bid that fits, one the
    registry refuses; enums and quantities decode as the contract says."""
    val = m["validation"]
    now = int(time.time())
    isp = now - now % 900 + 3600
    req = val.ValidateMeritOrderRequest(validation_id=f"py-{uuid.uuid4().hex[:8]}", direction=val.DIRECTION_UP)
    for bid_id, resource, mw in (("py-1", "agg1-chp-01", 1.25), ("py-2", "agg1-pv-01", 0.5)):
        b = req.bids.add(bid_id=bid_id, bsp_party_id="agg-1", pcc_id="PS_SUD", quantity_mw=mw,
                         price_eur_per_mwh=80.0, divisible=True)
        b.resource_ids.append(resource)
        b.isp_start.seconds = isp
    answer = rpc("ValidateMeritOrder as tso", api.ValidateMeritOrder, req)
    lines = {r.bid_id: r for r in answer.results}
    check(lines["py-1"].outcome == val.BID_OUTCOME_ACCEPTED and lines["py-1"].accepted_mw == 1.25,
          f"py-1 should be accepted in full: {lines['py-1']}")
    check(lines["py-2"].outcome == val.BID_OUTCOME_REJECTED and lines["py-2"].reason == val.LIMIT_REASON_NOT_PREQUALIFIED,
          f"py-2 should be rejected as not prequalified: {lines['py-2']}")
    check(answer.isp_end.seconds - answer.isp_start.seconds == 900, f"the ISP is 15 minutes: {answer}")
    progress(f"ValidateMeritOrder as tso: {len(answer.results)} lines, traffic light "
             f"{val.TrafficLightState.Name(answer.traffic_lights[0].state)}")


def check_unregistered(certs, port, m):
    with open_channel(certs, "unregistered", port) as ch:
        api = Api(ch, m)
        try:
            me = api.WhoAmI(m["registry"].WhoAmIRequest(), timeout=RPC_TIMEOUT_S)
        except grpc.RpcError as e:
            check(e.code() == grpc.StatusCode.UNAUTHENTICATED,
                  f"WhoAmI as unregistered: {e.code().name} ({e.details()}), want UNAUTHENTICATED")
            progress(f"WhoAmI as unregistered: UNAUTHENTICATED ({e.details()})")
            return
        raise TestFailure(f"WhoAmI as unregistered succeeded: {me}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--bin-dir", required=True)
    args = ap.parse_args()
    src = os.path.abspath(args.source_dir)
    binary = os.path.join(os.path.abspath(args.bin_dir), "tsodso-gatewayd")
    if not os.access(binary, os.X_OK):
        print(f"FAIL: {binary} not found or not executable; build the tsodso-gatewayd target", file=sys.stderr)
        return 1

    tmp = tempfile.mkdtemp(prefix="tsodso-pyinterop-", dir="/tmp")
    # The daemon may run its private PostgreSQL as user postgres, which must
    # traverse this directory to reach data/postgres.
    os.chmod(tmp, 0o755)
    data_dir = os.path.join(tmp, "data")
    gw = None
    failed = True
    try:
        progress(f"temp dir {tmp}")
        certs = make_certs(src, tmp)
        progress("demo certificates generated")
        m = generate_messages(src, tmp)
        cfg = write_config(src, tmp, certs)
        gw = Gateway(binary, cfg, tmp)
        t0 = time.monotonic()
        gw.start()
        progress(f"gateway ready on 127.0.0.1:{gw.port} (pid {gw.proc.pid}) after {time.monotonic() - t0:.1f} s")

        with open_channel(certs, "tso", gw.port) as ch:
            check_identity(Api(ch, m), m, "tso", "tso-terna", "ROLE_TSO", ["PS_EST", "PS_OVEST", "PS_SUD"])
        with open_channel(certs, "agg1", gw.port) as ch:
            check_identity(Api(ch, m), m, "agg1", "agg-1", "ROLE_AGGREGATOR", ["PS_SUD"])

        text = f"python interop: expected congestion at PS_SUD ({uuid.uuid4().hex[:8]})"
        with open_channel(certs, "operator", gw.port) as ch:
            notice = publish_notice(Api(ch, m), m, text)
        with open_channel(certs, "tso", gw.port) as ch:
            subscribe_until_heartbeat(Api(ch, m), m, notice.notice_id, text, notice.event_seqs[0])

        with open_channel(certs, "agg1", gw.port) as ch:
            prequalify(Api(ch, m), m)
        with open_channel(certs, "tso", gw.port) as ch:
            validate_list(Api(ch, m), m)

        check_unregistered(certs, gw.port, m)
        failed = False
    except TestFailure as e:
        print(f"FAIL: {e}", file=sys.stderr, flush=True)
    except Exception:  # a bug in the test or an unexpected API answer
        print("FAIL: unexpected error:\n" + traceback.format_exc(), file=sys.stderr, flush=True)
    finally:
        if gw is not None and gw.proc is not None:
            rc = gw.stop()
            if gw.exited_early:
                pass  # already reported with its log
            elif rc != 0:
                why = f"exit code {rc}" if rc is not None else f"still running after {STOP_TIMEOUT_S} s, killed"
                print(f"FAIL: tsodso-gatewayd did not stop cleanly on SIGTERM: {why}", file=sys.stderr)
                failed = True
            else:
                progress("gateway stopped on SIGTERM with exit code 0")
            procs, pidfile = postgres_leftovers(data_dir)
            if pidfile or procs:
                print(f"FAIL: the private PostgreSQL is still running after the daemon exited "
                      f"(postmaster.pid {'present' if pidfile else 'absent'}; processes: "
                      f"{[p for p, _ in procs]})", file=sys.stderr)
                for pid, cmd in procs:
                    print(f"  {pid}: {cmd}", file=sys.stderr)
                failed = True
                if pidfile:
                    kill_leftover_postmaster(pidfile, data_dir)
            elif os.path.isdir(os.path.join(data_dir, "postgres", "data")):
                progress("private PostgreSQL stopped (no postmaster.pid, no process under the data dir)")
            elif not failed:
                print("FAIL: no private PostgreSQL cluster was created under data_dir", file=sys.stderr)
                failed = True
        if failed:
            if gw is not None:
                print(f"--- tail of {gw.log_path} ---\n{tail(gw.log_path)}", file=sys.stderr)
            print(f"FAIL: kept {tmp} for inspection", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
            progress("PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
