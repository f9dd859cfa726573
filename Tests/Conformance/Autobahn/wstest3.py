"""Runs the Autobahn|Testsuite, as ported by port.py, on Python 3: the suite's fuzzing client
against a server, or its fuzzing server against a client, with the test cases and verdicts
unchanged. Set up by setup.sh, which runs this with the venv's python.

    wstest3.py count  [--cases LIST] [--exclude LIST]
    wstest3.py server --url ws://127.0.0.1:PORT --agent NAME --outdir DIR [--cases LIST] [--exclude LIST]
    wstest3.py client --port PORT --agent NAME --outdir DIR --command CMD [--client-timeout S]
                      [--cases LIST] [--exclude LIST]

LIST is comma-separated case patterns as the suite knows them ("*", "1.*", "12.1.*", "7.5.1").
`server` tests the server at --url; `client` listens on 127.0.0.1:PORT and runs CMD, in which
{url} becomes ws://127.0.0.1:PORT and {agent} NAME; CMD's output goes to DIR/client.log. When
CMD ends without having asked for /updateReports, the reports are written anyway. Either way the
suite writes DIR/index.json (every case's verdict) and a report per case, HTML and JSON.

What port.py cannot change in source is adapted here, before the suite is imported or around
it, following port.py's rule (a Python 2 byte string is a str of latin-1 characters):
  - the suite's text goes to autobahn as the bytes Python 2 sent: str arguments of every send
    method become latin-1 bytes (and a frame repeated to a length, which autobahn 0.10.9 does
    with a Python 2 division, is repeated here);
  - a case's verdict compares what it received (bytes) with what it expected (literals) with
    both sides in bytes, as Python 2's pickle compared byte strings;
  - binascii's hex functions take such str and give str, as on Python 2 (descriptions, logs);
  - autobahn's UTF-8 validator, which the 6.x cases use to work out their expected verdicts,
    takes such str;
  - report data is made JSON-able (bytes as UTF-8 text where they are, else hex), and the
    descriptions read as the UTF-8 they were written in;
  - txaio's Twisted back end is chosen (old txaio chose it itself), and zope.interface's
    implements(), gone on Python 3, is a no-op in the one module that calls it (case 9.9.1's
    producer, which no case runs).
"""
import argparse
import binascii as real_binascii
import json
import os
import subprocess
import sys
import threading
import types

if not sys.flags.utf8_mode:  # reports are UTF-8 whatever the locale (CI has none)
    os.execv(sys.executable, [sys.executable, "-X", "utf8"] + sys.argv)

here = os.path.dirname(os.path.abspath(__file__))
suite_parent = os.environ.get("WSTEST_SUITE") or os.path.join(here, "..", "..", "..", ".build-wstest", "suite")
sys.path.insert(0, os.path.abspath(suite_parent))


def as_bytes(value):
    """A Python 2 byte string (a str of latin-1 characters) as its bytes; other values as they are."""
    if isinstance(value, str):
        try:
            return value.encode("latin-1")
        except UnicodeEncodeError:
            return value.encode("utf-8")  # text that was unicode on Python 2
    return value


def bytes_deep(value):
    if isinstance(value, (list, tuple)):
        return type(value)(bytes_deep(v) for v in value)
    if isinstance(value, dict):
        return {bytes_deep(k): bytes_deep(v) for k, v in value.items()}
    return as_bytes(value)


def readable(value):
    """Report data as JSON takes it: bytes as their UTF-8 text, or 0x and hex when they are not UTF-8."""
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return "0x" + real_binascii.hexlify(value).decode("ascii")
    if isinstance(value, (list, tuple)):
        return [readable(v) for v in value]
    if isinstance(value, dict):
        return {readable(k): readable(v) for k, v in value.items()}
    return value


def utf8_text(value):
    """A description written in UTF-8 in a Python 2 file (now latin-1 characters) as the text it meant."""
    if isinstance(value, str):
        try:
            return value.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return value
    return value


# binascii as the suite's modules see it: hex of a Python 2 byte string, as a str.
text_binascii = types.ModuleType("binascii")
text_binascii.__dict__.update({k: v for k, v in vars(real_binascii).items() if not k.startswith("__")})
text_binascii.b2a_hex = text_binascii.hexlify = lambda data: real_binascii.hexlify(as_bytes(data)).decode("ascii")


def import_suite():
    """Imports the ported suite with the adaptations above; returns its fuzzing module."""
    import txaio
    txaio.use_twisted()
    import zope.interface
    import autobahn.websocket.utf8validator as utf8validator
    import autobahn.twisted.websocket  # noqa: F401 (autobahn and Twisted bind the real binascii first)

    original_validator = utf8validator.Utf8Validator

    class Utf8Validator:
        """autobahn's validator, fed Python 2 byte strings."""
        def __init__(self):
            self._validator = original_validator()

        def validate(self, data):
            return self._validator.validate(as_bytes(data))

        def __getattr__(self, name):
            return getattr(self._validator, name)

    # The package's __init__ imports every mode of its wstest command; the serializer mode's
    # module imports a test module of autobahn's that needs unittest2 (Python 2). No mode run
    # here uses it: it gets a stand-in that says so if it ever is.
    def serializer_test_messages(*args, **kwargs):
        raise RuntimeError("wstest3 runs the fuzzing modes only: the serializer mode is not ported")
    stand_in = types.ModuleType("autobahn.wamp.test.test_serializer")
    stand_in.generate_test_messages = serializer_test_messages
    sys.modules.setdefault("autobahn.wamp.test.test_serializer", stand_in)

    saved = sys.modules["binascii"], utf8validator.Utf8Validator, getattr(zope.interface, "implements", None)
    sys.modules["binascii"] = text_binascii
    utf8validator.Utf8Validator = Utf8Validator
    zope.interface.implements = lambda *interfaces: None
    try:
        from autobahntestsuite import fuzzing
        from autobahntestsuite.case import case as case_module
    finally:
        sys.modules["binascii"], utf8validator.Utf8Validator, implements = saved
        if implements is None:
            del zope.interface.implements
        else:
            zope.interface.implements = implements

    def sends_bytes(name):
        def send(self, *args, **kwargs):
            args = [as_bytes(a) for a in args]
            kwargs = {k: as_bytes(v) for k, v in kwargs.items()}
            return getattr(super(fuzzing.FuzzingProtocol, self), name)(*args, **kwargs)
        send.__name__ = name
        return send

    def send_frame(self, opcode, payload=b"", fin=True, rsv=0, mask=None, payload_len=None, chopsize=None, sync=False):
        # autobahn 0.10.9 repeats a payload to payload_len bytes with a '/' division of
        # Python 2 (a float on Python 3); the same frame, repeated here.
        payload = as_bytes(payload)
        if payload_len is not None and payload:
            payload = (payload * (payload_len // len(payload) + 1))[:payload_len]
            payload_len = None
        return super(fuzzing.FuzzingProtocol, self).sendFrame(opcode, payload, fin, rsv, as_bytes(mask), payload_len, chopsize, sync)

    fuzzing.FuzzingProtocol.sendFrame = send_frame
    for name in ("sendMessage", "sendMessageFrame", "sendMessageFrameData", "sendPing", "sendPong",
                 "sendCloseFrame", "sendClose", "sendData"):
        setattr(fuzzing.FuzzingProtocol, name, sends_bytes(name))

    import pickle
    case_module.Case.compare = lambda self, a, b: pickle.dumps(bytes_deep(a), 0) == pickle.dumps(bytes_deep(b), 0)

    def ascii_log_data(data, maxlen=64, replace=False):
        data = as_bytes(data)
        cut = data[:maxlen] + b" ..." if len(data) > maxlen - 4 else data
        try:
            return cut.decode("utf-8", errors="replace" if replace else "strict")
        except UnicodeDecodeError:
            return "0x" + fuzzing.binLogData(data, maxlen)
    fuzzing.asciiLogData = ascii_log_data

    log_case = fuzzing.FuzzingFactory.logCase
    fuzzing.FuzzingFactory.logCase = lambda self, result: log_case(self, readable(result))

    for case_class in fuzzing.Cases:
        case_class.DESCRIPTION = utf8_text(case_class.DESCRIPTION)
        case_class.EXPECTATION = utf8_text(case_class.EXPECTATION)
    return fuzzing


def patterns(text):
    return [p.strip() for p in text.split(",") if p.strip()] if text else []


def spec_cases(args):
    return {"cases": patterns(args.cases), "exclude-cases": patterns(args.exclude), "exclude-agent-cases": {}}


def count(args):
    fuzzing = import_suite()
    from autobahntestsuite.caseset import CaseSet
    from autobahntestsuite.case import CaseSetname, CaseBasename, CaseCategories, CaseSubCategories
    case_set = CaseSet(CaseSetname, CaseBasename, fuzzing.Cases, CaseCategories, CaseSubCategories)
    print(len(case_set.parseSpecCases(spec_cases(args))))


def test_server(args):
    fuzzing = import_suite()
    from twisted.internet import reactor
    spec = {"outdir": args.outdir, "servers": [{"agent": args.agent, "url": args.url}], **spec_cases(args)}
    fuzzing.FuzzingClientFactory(spec)  # connects, runs every case in turn, writes the reports, stops the reactor
    reactor.run()
    return 0 if os.path.isfile(os.path.join(args.outdir, "index.json")) else 1


def test_client(args):
    fuzzing = import_suite()
    from autobahn.twisted.websocket import listenWS
    from twisted.internet import reactor, threads
    url = f"ws://127.0.0.1:{args.port}"
    spec = {"url": url, "outdir": args.outdir, **spec_cases(args)}
    factory = fuzzing.FuzzingServerFactory(spec)
    reported = threading.Event()
    create_reports = factory.createReports

    def reports_created(*a, **k):
        reported.set()
        return create_reports(*a, **k)
    factory.createReports = reports_created
    listenWS(factory, None, interface="127.0.0.1")

    os.makedirs(args.outdir, exist_ok=True)
    command = args.command.replace("{url}", url).replace("{agent}", args.agent)
    outcome = {"status": 0}

    def run_client():
        with open(os.path.join(args.outdir, "client.log"), "w") as log:
            try:
                outcome["status"] = subprocess.run(command, shell=True, stdin=subprocess.DEVNULL, stdout=log,
                                                   stderr=subprocess.STDOUT, timeout=args.client_timeout).returncode
            except subprocess.TimeoutExpired:
                log.write(f"wstest3: the client did not finish within {args.client_timeout} s; stopped\n")
                outcome["status"] = 124

    def client_done(_):
        if not reported.is_set():
            print("wstest3: the client did not ask for /updateReports; writing the reports", flush=True)
            factory.createReports()
        reactor.stop()

    def client_failed(failure):
        print(f"wstest3: running the client failed: {failure.getErrorMessage()}", flush=True)
        outcome["status"] = 1
        client_done(None)

    reactor.callWhenRunning(lambda: threads.deferToThread(run_client).addCallbacks(client_done, client_failed))
    reactor.run()
    if outcome["status"]:
        print(f"wstest3: the client command exited {outcome['status']}", flush=True)
    return 0 if os.path.isfile(os.path.join(args.outdir, "index.json")) else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    for name in ("count", "server", "client"):
        p = sub.add_parser(name)
        p.add_argument("--cases", default="*")
        p.add_argument("--exclude", default="")
        if name != "count":
            p.add_argument("--agent", required=True)
            p.add_argument("--outdir", required=True)
    sub.choices["server"].add_argument("--url", required=True)
    sub.choices["client"].add_argument("--port", type=int, required=True)
    sub.choices["client"].add_argument("--command", required=True)
    sub.choices["client"].add_argument("--client-timeout", type=float, default=3600)
    args = parser.parse_args()
    if args.mode == "count":
        return count(args)
    return test_server(args) if args.mode == "server" else test_client(args)


if __name__ == "__main__":
    sys.exit(main())
