"""Void-call throughput of a cluster: accepted and completed per second.

Sends N `output=void` calls over C kept-alive connections, spread over the
nodes given, and times two things from the first call on:
  accepted/s   N / the time until every call was answered with a request_id
  completed/s  N / the time until every call has run (the cluster's work
               queue, `<cluster>_calls`, is empty: a finished call's message
               is acknowledged and leaves it)
The queue is watched through NATS's own protocol (a stream-info request
every 20 ms), not through the nodes, so watching costs the nodes nothing.
Then it checks that the first, middle and last calls succeeded.

  python3 void_calls.py --nodes 127.0.0.1:18080,127.0.0.1:18081 \\
      --key KEY --path /v1/algo/admin/hello/0.1.0 --cluster bench --calls 3000

Standard library only. Run by void.sh, which starts the nodes.
"""

import argparse
import asyncio
import json
import socket
import sys
import time


async def post_void(reader, writer, host, path, key, body):
    """One kept-alive POST ?output=void; returns (status, parsed body)."""
    request = (
        f"POST {path}?output=void HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: Simple {key}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    payload = await reader.readexactly(length)
    return status, json.loads(payload)


async def sender(address, queue, args, ids, refused):
    host, port = address.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    while True:
        try:
            queue.get_nowait()
        except asyncio.QueueEmpty:
            break
        status, reply = await post_void(reader, writer, address, args.path, args.key, b"Neo")
        if status == 200:
            ids.append((address, reply["request_id"]))
        else:
            refused.append((status, reply))
    writer.close()


def queue_depth(nats, stream):
    """Messages in the stream: calls accepted and not yet finished."""
    host, port = nats.split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        file = sock.makefile("rb")
        file.readline()  # INFO
        inbox = "_INBOX.voidbench"
        sock.sendall(
            f'CONNECT {{"verbose":false}}\r\nSUB {inbox} 1\r\n'
            f"PUB $JS.API.STREAM.INFO.{stream} {inbox} 0\r\n\r\nPING\r\n".encode()
        )
        while True:
            line = file.readline().decode()
            if line.startswith("MSG"):
                size = int(line.split()[-1])
                info = json.loads(file.read(size + 2)[:size])
                if "error" in info:
                    raise SystemExit(f"cannot read the stream {stream}: {info['error']}")
                return info["state"]["messages"]
            if line.startswith("-ERR"):
                raise SystemExit(f"NATS refused the stream-info request: {line.strip()}")


def get_status(address, key, request_id):
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            f"GET /v1/requests/{request_id} HTTP/1.1\r\nHost: {address}\r\n"
            f"Authorization: Simple {key}\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return json.loads(data.split(b"\r\n\r\n", 1)[1])["status"]


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", required=True, help="host:port,host:port,...")
    parser.add_argument("--key", required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--cluster", required=True)
    parser.add_argument("--nats", default="127.0.0.1:4222")
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    nodes = args.nodes.split(",")
    stream = f"{args.cluster}_calls"

    queue = asyncio.Queue()
    for n in range(args.calls):
        queue.put_nowait(n)
    ids, refused = [], []
    started = time.monotonic()
    await asyncio.gather(
        *(
            sender(nodes[c % len(nodes)], queue, args, ids, refused)
            for c in range(args.connections)
        )
    )
    accepted_at = time.monotonic() - started
    if refused:
        raise SystemExit(f"{len(refused)} calls were refused, the first: {refused[0]}")

    deadline = started + args.timeout
    while queue_depth(args.nats, stream) > 0:
        if time.monotonic() > deadline:
            raise SystemExit(f"calls still queued after {args.timeout} s")
        time.sleep(0.02)
    completed_at = time.monotonic() - started

    for address, request_id in [ids[0], ids[len(ids) // 2], ids[-1]]:
        status = get_status(address, args.key, request_id)
        if status != "succeeded":
            raise SystemExit(f"call {request_id} ended {status}")
    print(
        f"nodes={len(nodes)} calls={len(ids)} connections={args.connections} "
        f"accepted/s={len(ids) / accepted_at:.0f} completed/s={len(ids) / completed_at:.0f} "
        f"(all accepted in {accepted_at:.2f} s, all run in {completed_at:.2f} s)"
    )


if __name__ == "__main__":
    asyncio.run(main())
