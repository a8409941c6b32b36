"""Calls `admin/hello` N times on one kept-alive connection, pausing GAP
seconds after each answer, and prints the latency percentiles. Each answer
must be `Hello Neo`. paced.sh warms the server up first.

  python3 paced_calls.py --port 18080 --key KEY --calls 200 --gap 0.02
  python3 paced_calls.py --port 18080 --key KEY --gap 0 --duration 10

With --duration it calls for that many seconds instead of N times, and
also prints the slowest call and the calls per second: flood.sh times its
victim this way, each call on its own (wrk's percentiles for a single
connection beside a flood came out higher than its own request count
allows).

Standard library only. Run by paced.sh and flood.sh, which start the
server.
"""

import argparse
import http.client
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.02)
    parser.add_argument("--duration", type=float, help="call for this many seconds")
    args = parser.parse_args()
    connection = http.client.HTTPConnection("127.0.0.1", args.port)
    headers = {"Authorization": f"Simple {args.key}", "Content-Type": "text/plain"}
    latencies = []
    began = time.perf_counter()
    while (
        time.perf_counter() - began < args.duration
        if args.duration
        else len(latencies) < args.calls
    ):
        started = time.perf_counter()
        connection.request("POST", "/v1/algo/admin/hello/0.1.0", body=b"Neo", headers=headers)
        body = connection.getresponse().read()
        latencies.append((time.perf_counter() - started) * 1e6)
        if b"Hello Neo" not in body:
            raise SystemExit(f"unexpected answer: {body[:200]!r}")
        if args.gap:
            time.sleep(args.gap)
    elapsed = time.perf_counter() - began
    latencies.sort()
    at = lambda share: latencies[min(len(latencies) - 1, int(len(latencies) * share))]
    line = (
        f"{len(latencies)} calls, {args.gap * 1000:.0f} ms apart: "
        f"p50 {at(0.5):.0f} us, p90 {at(0.9):.0f} us, p99 {at(0.99):.0f} us"
    )
    if args.duration:
        line += f", max {latencies[-1]:.0f} us, {len(latencies) / elapsed:.0f} calls/s"
    print(line)


if __name__ == "__main__":
    main()
