"""Loading libmdata with ctypes, and the one prototype table.

The library is found, in this order:

1. ``MDATA_LIBRARY``: an exact path (nothing else is tried when it is set);
2. ``ctypes.util.find_library("mdata")``;
3. the soname, ``libmdata.so.<major>``.

It is loaded lazily, on first use, once per process. Its major version
(``mdata_version() >> 16``) must equal :data:`MAJOR`, the ABI these
bindings were written for; every function of :data:`PROTOTYPES` must be
present. Otherwise :class:`mdata.LibraryError` says what was found and how
to point the bindings at the right library.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading
from ctypes import (
    POINTER,
    Structure,
    c_char,
    c_char_p,
    c_int,
    c_size_t,
    c_uint,
    c_uint8,
    c_uint64,
    c_void_p,
)
from typing import Any, Callable, List, Optional, Sequence, Tuple

from .errors import LibraryError, error_from_code

#: The library ABI (soname major) these bindings speak.
MAJOR = 0

# ---- C types -------------------------------------------------------------


#: MDATA_ERROR_TEXT_MAX of mdata.h: room for an error's text, NUL included.
ERROR_TEXT_MAX = 160


class Error(Structure):
    """mdata_error_t."""

    _fields_ = [
        ("code", c_int),
        ("sys_errno", c_int),
        ("position", c_size_t),
        ("text", c_char * ERROR_TEXT_MAX),
    ]


class Ip(Structure):
    """mdata_ip_t: a plain value type, read field by field."""

    _fields_ = [
        ("family", c_int),
        ("prefix", c_uint),
        ("addr", c_uint8 * 16),
        ("text", c_char * 64),
    ]


# Opaque handles: field-less structures behind typed pointers.
class _Options(Structure):
    pass


class _Sync(Structure):
    pass


class _Client(Structure):
    pass


class _NicList(Structure):
    pass


class _Nic(Structure):
    pass


class _RouteList(Structure):
    pass


class _Route(Structure):
    pass


class _ResolverList(Structure):
    pass


OptionsP = POINTER(_Options)
SyncP = POINTER(_Sync)
ClientP = POINTER(_Client)
NicListP = POINTER(_NicList)
NicP = POINTER(_Nic)
RouteListP = POINTER(_RouteList)
RouteP = POINTER(_Route)
ResolverListP = POINTER(_ResolverList)
ErrorP = POINTER(Error)
IpP = POINTER(Ip)

# mdata_ip_family_t
AF_INET = 4
AF_INET6 = 6
AF_DHCP = 100
AF_ADDRCONF = 101

# mdata_nic_flags bits
NIC_ALLOW_DHCP_SPOOFING = 1 << 0
NIC_ALLOW_IP_SPOOFING = 1 << 1
NIC_ALLOW_MAC_SPOOFING = 1 << 2
NIC_ALLOW_RESTRICTED_TRAFFIC = 1 << 3
NIC_ALLOW_UNFILTERED_PROMISC = 1 << 4
NIC_DHCP_SERVER = 1 << 5

# mdata_counter_t
COUNTER_COUNT = 12

# ---- error checking --------------------------------------------------------


def _check_code(result: int, func: Any, args: Tuple[Any, ...]) -> int:
    """errcheck for int-returning calls: a negative result becomes the
    exception of its code, with the detail of an mdata_error_t argument
    when the call had one."""
    if result < 0:
        detail = None
        for a in args:
            if isinstance(a, ErrorP) and a:
                detail = a.contents.text.decode("utf-8", "replace")
                break
        raise error_from_code(result, detail)
    return result


# One table for every function the bindings call:
# (name, argtypes, restype, checked: negative results raise).
PROTOTYPES: List[Tuple[str, Sequence[Any], Any, bool]] = [
    # version and errors
    ("mdata_version", [], c_uint, False),
    ("mdata_version_string", [], c_char_p, False),
    ("mdata_strerror", [c_int], c_char_p, False),
    ("mdata_err_name", [c_int], c_char_p, False),
    ("mdata_free", [c_void_p], None, False),
    # options
    ("mdata_options_new", [POINTER(OptionsP)], c_int, True),
    ("mdata_options_free", [OptionsP], None, False),
    ("mdata_options_set_device", [OptionsP, c_char_p], c_int, True),
    ("mdata_options_set_timeout_ms", [OptionsP, c_uint64], c_int, True),
    ("mdata_options_set_attempt_timeout_ms", [OptionsP, c_uint64], c_int, True),
    ("mdata_options_set_write_timeout_ms", [OptionsP, c_uint64], c_int, True),
    ("mdata_options_set_max_attempts", [OptionsP, c_uint], c_int, True),
    ("mdata_options_set_max_reply", [OptionsP, c_size_t], c_int, True),
    # blocking API
    ("mdata_sync_new", [OptionsP, POINTER(SyncP), ErrorP], c_int, True),
    ("mdata_sync_free", [SyncP], None, False),
    ("mdata_sync_get",
     [SyncP, c_char_p, POINTER(c_void_p), POINTER(c_size_t), ErrorP], c_int, True),
    ("mdata_sync_keys", [SyncP, POINTER(c_void_p), POINTER(c_size_t), ErrorP],
     c_int, True),
    ("mdata_sync_put", [SyncP, c_char_p, c_void_p, c_size_t, ErrorP], c_int, True),
    ("mdata_sync_delete", [SyncP, c_char_p, ErrorP], c_int, True),
    ("mdata_sync_client", [SyncP], ClientP, False),
    ("mdata_client_protocol", [ClientP], c_int, False),
    ("mdata_client_device", [ClientP], c_char_p, False),
    ("mdata_client_counter", [ClientP, c_int], c_uint64, False),
    ("mdata_counter_name", [c_int], c_char_p, False),
    # typed getters
    ("mdata_sync_get_nics", [SyncP, POINTER(NicListP), ErrorP], c_int, True),
    ("mdata_sync_get_routes", [SyncP, POINTER(RouteListP), ErrorP], c_int, True),
    ("mdata_sync_get_resolvers", [SyncP, POINTER(ResolverListP), ErrorP],
     c_int, True),
    ("mdata_sync_get_hostname", [SyncP, POINTER(c_void_p), ErrorP], c_int, True),
    ("mdata_sync_get_dns_domain", [SyncP, POINTER(c_void_p), ErrorP], c_int, True),
    # nics
    ("mdata_nic_list_free", [NicListP], None, False),
    ("mdata_nic_list_count", [NicListP], c_size_t, False),
    ("mdata_nic_list_at", [NicListP, c_size_t], NicP, False),
    ("mdata_nic_interface", [NicP], c_char_p, False),
    ("mdata_nic_mac", [NicP, POINTER(c_uint8 * 6)], None, False),
    ("mdata_nic_mac_text", [NicP], c_char_p, False),
    ("mdata_nic_tag", [NicP], c_char_p, False),
    ("mdata_nic_vlan_id", [NicP], c_uint, False),
    ("mdata_nic_is_primary", [NicP], c_int, False),
    ("mdata_nic_mtu", [NicP], c_uint, False),
    ("mdata_nic_network_uuid", [NicP], c_char_p, False),
    ("mdata_nic_model", [NicP], c_char_p, False),
    ("mdata_nic_ip_count", [NicP], c_size_t, False),
    ("mdata_nic_ip_at", [NicP, c_size_t], IpP, False),
    ("mdata_nic_ips_are_legacy", [NicP], c_int, False),
    ("mdata_nic_gateway_count", [NicP], c_size_t, False),
    ("mdata_nic_gateway_at", [NicP, c_size_t], IpP, False),
    ("mdata_nic_flags", [NicP], c_uint, False),
    ("mdata_nic_allowed_ip_count", [NicP], c_size_t, False),
    ("mdata_nic_allowed_ip_at", [NicP, c_size_t], IpP, False),
    ("mdata_nic_allowed_dhcp_cid_count", [NicP], c_size_t, False),
    ("mdata_nic_allowed_dhcp_cid_at", [NicP, c_size_t], c_char_p, False),
    ("mdata_nic_blocked_port_count", [NicP], c_size_t, False),
    ("mdata_nic_blocked_port_at", [NicP, c_size_t], c_uint, False),
    ("mdata_nic_vrrp_vrid", [NicP], c_int, False),
    ("mdata_nic_vrrp_primary_ip", [NicP], IpP, False),
    ("mdata_nic_field_json", [NicP, c_char_p], c_char_p, False),
    ("mdata_nic_field_count", [NicP], c_size_t, False),
    ("mdata_nic_field_name_at", [NicP, c_size_t], c_char_p, False),
    # routes
    ("mdata_route_list_free", [RouteListP], None, False),
    ("mdata_route_list_count", [RouteListP], c_size_t, False),
    ("mdata_route_list_at", [RouteListP, c_size_t], RouteP, False),
    ("mdata_route_dst", [RouteP], IpP, False),
    ("mdata_route_gateway", [RouteP], IpP, False),
    ("mdata_route_is_linklocal", [RouteP], c_int, False),
    # resolvers
    ("mdata_resolver_list_free", [ResolverListP], None, False),
    ("mdata_resolver_list_count", [ResolverListP], c_size_t, False),
    ("mdata_resolver_list_at", [ResolverListP, c_size_t], IpP, False),
]

# ---- loading ---------------------------------------------------------------

_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_lib_path: Optional[str] = None


def _candidates() -> List[Tuple[str, str]]:
    """(name or path, where it came from), in the order they are tried."""
    exact = os.environ.get("MDATA_LIBRARY")
    if exact:
        return [(exact, "MDATA_LIBRARY")]
    out = []
    found = ctypes.util.find_library("mdata")
    if found:
        out.append((found, 'ctypes.util.find_library("mdata")'))
    soname = "libmdata.so.%d" % MAJOR
    if sys.platform == "darwin":
        soname = "libmdata.%d.dylib" % MAJOR
    if not found or found != soname:
        out.append((soname, "the soname"))
    return out


def load(path: str, major: int = MAJOR, origin: str = "path") -> ctypes.CDLL:
    """Load the library at path (a file or a name for the dynamic loader),
    check its major version against ``major`` and apply the prototype
    table. Raises LibraryError."""
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise LibraryError(
            "cannot load libmdata from %s (%s): %s. Install libmdata "
            "(soname libmdata.so.%d) or set MDATA_LIBRARY to the path of "
            "libmdata.so" % (path, origin, e, major)) from None
    try:
        version = lib.mdata_version
    except AttributeError:
        raise LibraryError("%s (%s) is not libmdata: it has no mdata_version"
                           % (path, origin)) from None
    version.argtypes = []
    version.restype = c_uint
    v = version()
    if (v >> 16) != major:
        raise LibraryError(
            "%s (%s) is libmdata %d.%d.%d, but these bindings need major "
            "version %d; install a matching libmdata or set MDATA_LIBRARY"
            % (path, origin, v >> 16, (v >> 8) & 0xFF, v & 0xFF, major))
    for name, argtypes, restype, checked in PROTOTYPES:
        try:
            fn = getattr(lib, name)
        except AttributeError:
            raise LibraryError(
                "%s (%s) is libmdata %d.%d.%d without %s: the bindings are "
                "newer than the library" % (path, origin, v >> 16,
                                            (v >> 8) & 0xFF, v & 0xFF, name)
            ) from None
        fn.argtypes = list(argtypes)
        fn.restype = restype
        if checked:
            fn.errcheck = _check_code
    return lib


def lib() -> ctypes.CDLL:
    """The loaded library (loading it on first use)."""
    global _lib, _lib_path
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is None:
            errors = []
            for path, origin in _candidates():
                try:
                    loaded = load(path, MAJOR, origin)
                except LibraryError as e:
                    errors.append(str(e))
                    continue
                _lib_path = path
                _lib = loaded
                break
            else:
                raise LibraryError("; ".join(errors))
    return _lib


def library_path() -> Optional[str]:
    """What the library was loaded from, or None before it was loaded."""
    return _lib_path


def strerror(code: int) -> str:
    return lib().mdata_strerror(code).decode()


def err_name(code: int) -> str:
    return lib().mdata_err_name(code).decode()


def take_bytes(ptr: c_void_p, length: int) -> bytes:
    """Copy length bytes out of library-owned memory and free it through
    the library."""
    try:
        return ctypes.string_at(ptr, length) if ptr.value else b""
    finally:
        lib().mdata_free(ptr)


def take_string(ptr: c_void_p) -> Optional[str]:
    """A NUL-terminated library string as str (None for NULL), freed
    through the library."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8", "replace")
    finally:
        lib().mdata_free(ptr)


def cstr(value: Optional[bytes]) -> Optional[str]:
    """A borrowed C string (c_char_p result) as str."""
    return None if value is None else value.decode("utf-8", "replace")


Func = Callable[..., Any]
