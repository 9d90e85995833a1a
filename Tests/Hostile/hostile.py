#!/usr/bin/env python3
"""Hostile clients against a live `podpis serve`: every attack must be answered politely (4xx, never 5xx), in bounded
time, and the service must stay healthy and bounded in memory.

usage: hostile.py URL PID SIGNATURE_FILE [SERVICE_LOG]
"""
import base64
import json
import socket
import sys
import threading
import time
import urllib.parse
import urllib.request

URL, PID, SIGNATURE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
HOST, PORT = urllib.parse.urlsplit(URL).hostname, urllib.parse.urlsplit(URL).port
failures = []


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"), flush=True)
    if not condition:
        failures.append(name)


def post(path, body, content_type, timeout=60):
    request = urllib.request.Request(URL + path, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def healthy():
    try:
        with urllib.request.urlopen(URL + "/healthz", timeout=10) as response:
            return response.status == 200
    except Exception:
        return False


def peak_rss_mib():
    with open(f"/proc/{PID}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return -1


signature = open(SIGNATURE, "rb").read()

# 1. Deeply nested ASN.1: 200 000 levels of indefinite-length SEQUENCE.
status, body = post("/v1/verify", json.dumps({"signature": base64.b64encode(b"\x30\x80" * 200_000).decode()}).encode(), "application/json")
check("deeply nested ASN.1 is refused with 4xx", 400 <= status < 500, f"{status} {body[:200]!r}")

# 2. ASN.1 claiming a 2 GiB length.
status, body = post("/v1/verify", json.dumps({"signature": base64.b64encode(b"\x30\x84\x7f\xff\xff\xff" + b"\x00" * 64).decode()}).encode(), "application/json")
check("huge claimed ASN.1 length is refused with 4xx", 400 <= status < 500, f"{status} {body[:200]!r}")

# 3. Multipart with 20 000 parts.
boundary = "hostileboundary"
parts = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="f{i}"\r\n\r\nx\r\n' for i in range(20_000))
started = time.time()
status, body = post("/v1/verify", (parts + f"--{boundary}--\r\n").encode(), f"multipart/form-data; boundary={boundary}")
check("20 000 multipart parts are refused with 4xx in under 10 s", 400 <= status < 500 and time.time() - started < 10, f"{status} {body[:200]!r}")

# 3b. A part header name with a byte outside ASCII (once trapped MultipartKit and took the service down).
status, body = post("/v1/verify", f"--{boundary}\r\nConte\xd0\x90nt-Disposition: form-data; name=\"x\"\r\n\r\ny\r\n--{boundary}--\r\n".encode("latin-1"),
                    f"multipart/form-data; boundary={boundary}")
check("a non-ASCII part header name is refused with 400 and the service lives", status == 400 and healthy(), f"{status} {body[:200]!r}")

# 4. Base64 of gigabytes: a JSON body streamed far past the in-memory limit (stops at the limit, not at the end).
def gigabytes():
    yield b'{"signature":"'
    chunk = b"A" * (1 << 20)
    for _ in range(2048):  # 2 GiB if nobody stops us
        yield chunk


started = time.time()
progress = {"sent": 0, "stop": False}
answer, sent_at_answer = b"", 0
connection = socket.create_connection((HOST, PORT), timeout=60)
connection.sendall(b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")


def pour():
    try:
        for piece in gigabytes():
            if progress["stop"]:
                break
            connection.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            progress["sent"] += len(piece)
    except OSError:
        pass


pourer = threading.Thread(target=pour)
pourer.start()
try:
    answer = connection.recv(4096)  # the answer arrives while we are still sending
    sent_at_answer = progress["sent"]
except OSError:
    pass
answered_after = time.time() - started
progress["stop"] = True
pourer.join()
connection.close()
status_line = answer.split(b"\r\n", 1)[0]
# Refused with 413 once past the 64 MiB in-memory limit, long before the 2 GiB arrive.
check("gigabytes of Base64 JSON are answered 413 at the in-memory limit, quickly",
      b" 413 " in status_line + b" " and sent_at_answer < (512 << 20) and answered_after < 30,
      f"{status_line!r} after {sent_at_answer >> 20} MiB, {answered_after:.1f} s")

# 5. Slowloris: a body trickled a byte at a time is cut off (408 or closed) soon after the grace period.
started = time.time()
connection = socket.create_connection((HOST, PORT), timeout=30)
connection.sendall(b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n")
cut = False
for _ in range(60):
    try:
        connection.sendall(b"A")
        time.sleep(0.5)
        connection.setblocking(False)
        try:
            data = connection.recv(4096)
            if data == b"" or b" 408 " in data:
                cut = True
                break
        except BlockingIOError:
            pass
        finally:
            connection.setblocking(True)
    except (BrokenPipeError, ConnectionResetError):
        cut = True
        break
connection.close()
check("a trickled body is cut off within 30 s", cut and time.time() - started < 30, f"cut={cut} after {time.time() - started:.1f} s")

# 6. Thousands of concurrent connections: 2000 sockets held open, then a burst of verifications over the limit.
sockets = []
for _ in range(2000):
    try:
        s = socket.create_connection((HOST, PORT), timeout=5)
        s.sendall(b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        sockets.append(s)
    except OSError:
        break
check("the service accepts or refuses 2000 idle connections without falling over", healthy(), "healthz failed")
statuses = []
lock = threading.Lock()
body = json.dumps({"signature": base64.b64encode(signature).decode()}).encode()


def burst():
    try:
        code, _ = post("/v1/verify", body, "application/json", timeout=60)
    except Exception as error:
        code = repr(error)
    with lock:
        statuses.append(code)


threads = [threading.Thread(target=burst) for _ in range(300)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for s in sockets:
    s.close()
server_errors = [c for c in statuses if isinstance(c, int) and c >= 500]
answered = [c for c in statuses if isinstance(c, int)]
check("a burst of 300 verifications gets answers, 429 beyond the limit, never 5xx",
      not server_errors and len(answered) >= 250 and all(c in (200, 422, 429) for c in answered), f"{sorted(set(map(str, statuses)))}")
check("the service is healthy afterwards", healthy())


# 7. Broken framing and clients that go away (issue #14): 400 or a closed connection, never a 5xx, and no
#    internal-error log line for what a client did.
def raw(payload, close_after_send=False, wait=10):
    connection = socket.create_connection((HOST, PORT), timeout=wait)
    connection.sendall(payload)
    if close_after_send:
        connection.close()
        return b""
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            piece = connection.recv(65536)
            if not piece:
                break
            data += piece
    except OSError:
        pass
    connection.close()
    return data


def status_of(answer):
    line = answer.split(b"\r\n", 1)[0].split(b" ")
    return int(line[1]) if len(line) > 1 and line[1].isdigit() else None


head = b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
for name, payload in [
    ("Transfer-Encoding: xchunked", head + b"Transfer-Encoding: xchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
    ("an overflowing chunk size", head + b"Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n"),
    ("a chunk size that is not hex", head + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"),
    ("chunked and Content-Length together", head + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
]:
    answer = raw(payload)
    code = status_of(answer)
    check(f"{name}: 400 or closed, never 5xx", code is None or code == 400, f"{answer[:200]!r}")
for size in (100_000, 10_000_000):
    raw(head + b"Content-Length: %d\r\n\r\n" % size + b"{\"signature\":\"" + b"A" * 1000, close_after_send=True)
boundary = "hangupboundary"
raw(b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=" + boundary.encode() + b"\r\nContent-Length: 1000000\r\n\r\n"
    + b"--" + boundary.encode() + b"\r\nContent-Disposition: form-data; name=\"document\"\r\n\r\n" + b"x" * 5000, close_after_send=True)
time.sleep(1)
check("clients that hang up mid-body leave the service healthy", healthy())
if len(sys.argv) > 4:
    log = open(sys.argv[4], encoding="utf-8", errors="replace").read()
    check("no internal error was logged for what clients did", "internal error" not in log and "\"level\":\"error\"" not in log,
          [line for line in log.splitlines() if "error" in line][:5])

# 8. /metrics counts every answer by status, the refusals included, and every problem type.
with urllib.request.urlopen(URL + "/metrics", timeout=10) as response:
    metrics = response.read().decode()
check("/metrics counts 429, 4xx and the problem types", 'status="429"' in metrics and 'status="400"' in metrics
      and 'podpis_problems_total{type="urn:podpis:problem:too-many-requests"}' in metrics.replace("too-many-uploads", "too-many-requests"),
      [line for line in metrics.splitlines() if "status=" in line or "problems" in line][:20])
rss = peak_rss_mib()
check(f"peak memory stayed bounded ({rss} MiB < 1024 MiB)", 0 < rss < 1024, f"{rss} MiB")

print(f"{len(failures)} failures")
sys.exit(1 if failures else 0)
