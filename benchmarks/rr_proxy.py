"""A round-robin TCP proxy, the stand-in for a load balancer in front of replicas (for workers_scaling.py).

    python benchmarks/rr_proxy.py PORT BACKEND_PORT [BACKEND_PORT …]

Each new client connection goes to the next backend in turn and its bytes are copied both ways, as a
Kubernetes Service (kube-proxy) or an L4 balancer does: balancing per connection, not per request.
"""

from __future__ import annotations

import asyncio
import itertools
import sys


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main(port: int, backends: list[int]) -> None:
    turn = itertools.cycle(backends)

    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", next(turn))
        await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(int(sys.argv[1]), [int(p) for p in sys.argv[2:]]))
