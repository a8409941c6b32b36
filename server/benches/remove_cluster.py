"""Removes a benchmark cluster's NATS streams and buckets.

    python3 server/benches/remove_cluster.py HOST:PORT CLUSTER

Speaks NATS's text protocol directly, so the benchmarks need no NATS
client: each of the cluster's streams (its void-call queue, and the streams
behind its key-value and object-store buckets) is deleted through the
JetStream API. Streams already gone are skipped.
"""

import socket
import sys


def main() -> None:
    host, port = sys.argv[1].split(":")
    cluster = sys.argv[2]
    streams = [
        f"{cluster}_calls",
        f"KV_{cluster}_requests",
        f"OBJ_{cluster}_call_data",
        f"OBJ_{cluster}_modules",
        f"OBJ_{cluster}_files",
        f"OBJ_{cluster}_code",
    ]
    with socket.create_connection((host, int(port))) as sock:
        commands = 'CONNECT {"verbose":false}\r\n'
        for stream in streams:
            commands += f"PUB $JS.API.STREAM.DELETE.{stream} 0\r\n\r\n"
        sock.sendall((commands + "PING\r\n").encode())
        # The server answers PING after it has handled every command before.
        data = b""
        while b"PONG" not in data:
            data += sock.recv(4096)


if __name__ == "__main__":
    main()
