"""Calls `admin/hello` N times on one kept-alive connection, pausing GAP
seconds after each answer, and prints the latency percentiles. Each answer
must be `Hello Neo`. paced.sh warms the server up first.

  python3 paced_calls.py --port 18080 --key KEY --calls 200 --gap 0.02

Standard library only. Run by paced.sh, which starts the server.
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
    args = parser.parse_args()
    connection = http.client.HTTPConnection("127.0.0.1", args.port)
    headers = {"Authorization": f"Simple {args.key}", "Content-Type": "text/plain"}
    latencies = []
    for _ in range(args.calls):
        started = time.perf_counter()
        connection.request("POST", "/v1/algo/admin/hello/0.1.0", body=b"Neo", headers=headers)
        body = connection.getresponse().read()
        latencies.append((time.perf_counter() - started) * 1e6)
        if b"Hello Neo" not in body:
            raise SystemExit(f"unexpected answer: {body[:200]!r}")
        time.sleep(args.gap)
    latencies.sort()
    at = lambda share: latencies[min(len(latencies) - 1, int(len(latencies) * share))]
    print(
        f"{len(latencies)} calls, {args.gap * 1000:.0f} ms apart: "
        f"p50 {at(0.5):.0f} us, p90 {at(0.9):.0f} us, p99 {at(0.99):.0f} us"
    )


if __name__ == "__main__":
    main()
