"""``ablation-suite serve``: one storage served to workers on other machines through Optuna's gRPC storage
proxy (``optuna.storages.run_grpc_proxy_server``); workers then use ``--storage grpc://HOST:PORT``.

The proxy is the only process that touches the storage, so an SQLite file behind it is safe even on a
shared file system. It has no authentication: it listens on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

from ablation_suite.store.storage import GRPC_SCHEME, JOURNAL_SCHEME, StorageError, masked, open_storage

LOCAL_HOST = "127.0.0.1"


def serve(url: str, port: int, host: str = LOCAL_HOST, log=print) -> None:
    """Serve the checked storage ``url`` on ``host:port`` until interrupted."""
    if url.startswith(JOURNAL_SCHEME):  # optuna/storages/_grpc/server.py: JournalStorage is not supported
        raise StorageError(
            f"--storage {url!r}: Optuna's storage proxy cannot serve a journal file "
            "(optuna/optuna#6084); serve an SQLite file (sqlite:///PATH.db) or a database instead"
        )
    if url.startswith(GRPC_SCHEME):
        raise StorageError(f"--storage {url!r} is already a storage proxy; serve the storage behind it instead")
    if not 0 < port < 65536:
        raise StorageError(f"--port {port}: choose a port between 1 and 65535")
    _check_free(host, port)
    import warnings

    import optuna

    storage = optuna.storages.get_storage(open_storage(url))  # Optuna's in-process cache, as its docs advise
    shown = f"[{host}]" if ":" in host else host
    log(
        f"serving {masked(url)} on grpc://{shown}:{port} (no authentication: anyone who can reach this "
        f"port can read and change every study; workers use --storage grpc://{shown}:{port})",
        flush=True,
    )
    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # said in the docs instead (clusters page)
    try:
        optuna.storages.run_grpc_proxy_server(storage, host=host, port=port)
    except KeyboardInterrupt:
        pass


def _check_free(host: str, port: int) -> None:
    """Refuse a port something already listens on: gRPC binds with SO_REUSEPORT, so a second server on
    the same port would start silently and share the connections with the first."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise StorageError(f"--host {host!r}: not an address of this machine ({error.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a recently closed server's port is free
        try:
            probe.bind(address)
        except OSError as error:
            raise StorageError(
                f"cannot listen on {host}:{port} ({error.strerror}): another program (a proxy "
                "already running?) uses the port, or the address is not this machine's"
            ) from None
