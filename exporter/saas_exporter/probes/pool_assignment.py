"""httpcore's pool pass that hands queued requests to connections, corrected for HTTP/1.1.

Why: httpcore 1.0.9's ``_assign_requests_to_connections`` gives an idle connection to
every queued request of one pass (the connection stays "available" until its request
starts), so when several probes reach one pool in the same event-loop pass all but one
fail with ``ConnectionNotAvailable`` and go round again, each round another scan of every
connection and request; it also counts all connections, not the idle ones, against the
keep-alive limit, and may close an idle connection a queued request was just given.
Upstream: encode/httpcore#1035 and #1110 (open). With probes woken together on the
scheduler's tick this was most of a probe's CPU.

This pass is the same policy (reuse an available connection, else open one under
``max_connections``, else replace an idle one) with three differences: a connection
is given to at most one waiting request, a connection a request holds is never closed
as surplus, and the keep-alive limit counts idle connections. It is installed on each
pool (``install``); the probes' clients never enable HTTP/2, where one connection
serves several requests, and ``install`` refuses such a pool.
"""

from __future__ import annotations

import types

import httpcore


def assign_requests_to_connections(pool: httpcore.AsyncConnectionPool) -> list:
    """One pass: returns the connections to close, as httpcore's own pass does."""
    closing = []
    held = {id(r.connection) for r in pool._requests if r.connection is not None}
    idle = sum(1 for c in pool._connections if c.is_idle())
    kept = []
    for connection in pool._connections:
        if connection.is_closed():
            continue
        if connection.has_expired():
            closing.append(connection)
        elif (
            connection.is_idle()
            and id(connection) not in held
            and idle > pool._max_keepalive_connections
        ):
            idle -= 1
            closing.append(connection)
        else:
            kept.append(connection)
    pool._connections = kept

    for waiting in [r for r in pool._requests if r.is_queued()]:
        origin = waiting.request.url.origin
        free = [c for c in pool._connections if id(c) not in held]
        reusable = [c for c in free if c.can_handle_request(origin) and c.is_available()]
        if reusable:
            connection = reusable[0]
        else:
            if len(pool._connections) >= pool._max_connections:
                spare = next((c for c in free if c.is_idle()), None)
                if spare is None:
                    continue  # every connection is busy: it waits for the next pass
                pool._connections.remove(spare)
                closing.append(spare)
            connection = pool.create_connection(origin)
            pool._connections.append(connection)
        waiting.assign_to_connection(connection)
        held.add(id(connection))
    return closing


def install(pool: httpcore.AsyncConnectionPool) -> None:
    """Use this pass on ``pool`` (an httpx transport's pool, direct or a proxy's)."""
    if pool._http2:
        raise ValueError("the HTTP/1.1 pool pass cannot serve an HTTP/2 pool")
    pool._assign_requests_to_connections = types.MethodType(  # type: ignore[method-assign]
        assign_requests_to_connections, pool
    )
