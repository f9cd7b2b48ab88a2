"""mdata.Client: the blocking API of libmdata (mdata_sync_*)."""
from __future__ import annotations

import ctypes
import os
import threading
from ctypes import byref, c_size_t, c_void_p, pointer
from typing import Any, Dict, List, Optional, Tuple, TypeVar, Union, overload

from . import _native
from .errors import ECLOSED, EINVAL, NotFound, error_from_code
from .network import Nic, Resolver, Route, nics_from, resolvers_from, routes_from

_MISSING: Any = object()
T = TypeVar("T")

PathLike = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]


def _ms(seconds: float, what: str) -> int:
    ms = int(round(seconds * 1000))
    if ms < 1:
        raise error_from_code(EINVAL, "%s must be at least 1 ms" % what)
    return ms


class Client:
    """A connection to the metadata service, over the blocking C API.

    ``device``: the serial device or unix socket; None picks
    ``MDATA_DEVICE`` or auto-detects (zone sockets, then the OS's serial
    port). ``timeout``: total deadline of each call in seconds (default
    30). The other keywords map to the C options of the same name
    (seconds for times). The connection is opened by the first call and
    kept until :meth:`close`.

    Use it as a context manager, or call :meth:`close`. One client is used
    by one thread at a time (calls are serialised by a lock); create one
    per thread for parallel use.
    """

    def __init__(self, device: Optional[PathLike] = None,
                 timeout: Optional[float] = None, *,
                 attempt_timeout: Optional[float] = None,
                 write_timeout: Optional[float] = None,
                 max_attempts: Optional[int] = None,
                 max_reply: Optional[int] = None) -> None:
        self._sync: Optional[Any] = None
        self._lock = threading.Lock()
        lib = _native.lib()
        self._lib = lib
        opts = _native.OptionsP()
        lib.mdata_options_new(byref(opts))
        try:
            if device is not None:
                lib.mdata_options_set_device(opts, os.fsencode(device))
            if timeout is not None:
                lib.mdata_options_set_timeout_ms(opts, _ms(timeout, "timeout"))
            if attempt_timeout is not None:
                lib.mdata_options_set_attempt_timeout_ms(
                    opts, _ms(attempt_timeout, "attempt_timeout"))
            if write_timeout is not None:
                lib.mdata_options_set_write_timeout_ms(
                    opts, _ms(write_timeout, "write_timeout"))
            if max_attempts is not None:
                lib.mdata_options_set_max_attempts(opts, max_attempts)
            if max_reply is not None:
                lib.mdata_options_set_max_reply(opts, max_reply)
            sync = _native.SyncP()
            err = _native.Error()
            lib.mdata_sync_new(opts, byref(sync), pointer(err))
            self._sync = sync
        finally:
            lib.mdata_options_free(opts)

    # ---- lifetime ----

    def close(self) -> None:
        """Close the connection (unlocking a serial device). Idempotent."""
        with self._lock:
            sync, self._sync = self._sync, None
            if sync is not None:
                self._lib.mdata_sync_free(sync)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        sync = getattr(self, "_sync", None)
        if sync is not None:
            self._sync = None
            try:
                self._lib.mdata_sync_free(sync)
            except Exception:  # interpreter shutdown
                pass

    @property
    def closed(self) -> bool:
        return self._sync is None

    def _handle(self) -> Any:
        if self._sync is None:
            raise error_from_code(ECLOSED, "the Client is closed")
        return self._sync

    @staticmethod
    def _key(key: Union[str, bytes]) -> bytes:
        k = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        if b"\0" in k:
            raise error_from_code(EINVAL, "the key holds a NUL byte")
        return k

    # ---- information ----

    @property
    def device(self) -> str:
        """The device or socket path in use."""
        with self._lock:
            c = self._lib.mdata_sync_client(self._handle())
            return _native.cstr(self._lib.mdata_client_device(c)) or ""

    @property
    def protocol(self) -> int:
        """2 (V2), 1 (V1 host), 0 before the first call."""
        with self._lock:
            c = self._lib.mdata_sync_client(self._handle())
            return int(self._lib.mdata_client_protocol(c))

    def counters(self) -> Dict[str, int]:
        """The client's counters by name (requests, retries, ...)."""
        with self._lock:
            c = self._lib.mdata_sync_client(self._handle())
            return {
                self._lib.mdata_counter_name(i).decode():
                    int(self._lib.mdata_client_counter(c, i))
                for i in range(_native.COUNTER_COUNT)
            }

    # ---- requests ----

    def get_bytes(self, key: Union[str, bytes], default: Any = _MISSING) -> Any:
        """The value of key as bytes. A missing key raises NotFound (also a
        KeyError) unless a default is given, which is then returned."""
        k = self._key(key)
        value = c_void_p()
        length = c_size_t()
        err = _native.Error()
        try:
            with self._lock:
                self._lib.mdata_sync_get(self._handle(), k, byref(value),
                                         byref(length), pointer(err))
        except NotFound as e:
            if default is not _MISSING:
                return default
            e.key = k.decode("utf-8", "replace")
            e.detail = "no metadata for %r" % e.key
            e.args = (str(e),)
            raise
        return _native.take_bytes(value, length.value)

    @overload
    def get(self, key: Union[str, bytes]) -> str: ...

    @overload
    def get(self, key: Union[str, bytes], default: T) -> Union[str, T]: ...

    def get(self, key: Union[str, bytes], default: Any = _MISSING) -> Any:
        """The value of key as str (the host stores text, UTF-8). A missing
        key raises NotFound (also a KeyError) unless a default is given."""
        try:
            v = self.get_bytes(key)
        except NotFound:
            if default is _MISSING:
                raise
            return default
        return v.decode("utf-8", "replace")

    def __getitem__(self, key: str) -> str:
        return self.get(key)

    def __contains__(self, key: str) -> bool:
        return self.get_bytes(key, None) is not None

    def keys(self) -> List[str]:
        """The names of the keys a guest can list (customer metadata)."""
        value = c_void_p()
        length = c_size_t()
        err = _native.Error()
        with self._lock:
            self._lib.mdata_sync_keys(self._handle(), byref(value),
                                      byref(length), pointer(err))
        text = _native.take_bytes(value, length.value).decode("utf-8", "replace")
        return text.split("\n") if text else []

    def put(self, key: Union[str, bytes], value: Union[str, bytes]) -> None:
        """Store value (str as UTF-8, or bytes) under key. An empty value is
        refused (InvalidArgument): use delete."""
        k = self._key(key)
        v = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        buf = ctypes.create_string_buffer(v, len(v))
        err = _native.Error()
        with self._lock:
            self._lib.mdata_sync_put(self._handle(), k, buf, len(v),
                                     pointer(err))

    def delete(self, key: Union[str, bytes]) -> None:
        """Remove key; removing an absent key succeeds."""
        k = self._key(key)
        err = _native.Error()
        with self._lock:
            self._lib.mdata_sync_delete(self._handle(), k, pointer(err))

    # ---- typed getters ----

    def nics(self) -> Tuple[Nic, ...]:
        """sdc:nics, parsed. ParseError (detail: the JSON path) when the
        value is malformed; NotFound when the VM has no nics property."""
        lst = _native.NicListP()
        err = _native.Error()
        with self._lock:
            self._lib.mdata_sync_get_nics(self._handle(), byref(lst),
                                          pointer(err))
        try:
            return nics_from(self._lib, lst)
        finally:
            self._lib.mdata_nic_list_free(lst)

    def routes(self) -> Tuple[Route, ...]:
        """sdc:routes, parsed (empty when the VM has no routes)."""
        lst = _native.RouteListP()
        err = _native.Error()
        with self._lock:
            self._lib.mdata_sync_get_routes(self._handle(), byref(lst),
                                            pointer(err))
        try:
            return routes_from(self._lib, lst)
        finally:
            self._lib.mdata_route_list_free(lst)

    def resolvers(self) -> Tuple[Resolver, ...]:
        """sdc:resolvers, parsed."""
        lst = _native.ResolverListP()
        err = _native.Error()
        with self._lock:
            self._lib.mdata_sync_get_resolvers(self._handle(), byref(lst),
                                               pointer(err))
        try:
            return resolvers_from(self._lib, lst)
        finally:
            self._lib.mdata_resolver_list_free(lst)

    def hostname(self) -> Optional[str]:
        """sdc:hostname, or None when the VM has none."""
        out = c_void_p()
        err = _native.Error()
        with self._lock:
            self._lib.mdata_sync_get_hostname(self._handle(), byref(out),
                                              pointer(err))
        return _native.take_string(out)

    def dns_domain(self) -> Optional[str]:
        """sdc:dns_domain, or None when the VM has none."""
        out = c_void_p()
        err = _native.Error()
        with self._lock:
            self._lib.mdata_sync_get_dns_domain(self._handle(), byref(out),
                                                pointer(err))
        return _native.take_string(out)

    def __repr__(self) -> str:
        return "<mdata.Client %s>" % ("closed" if self._sync is None else "open")
