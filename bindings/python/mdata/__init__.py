"""mdata: a client for the SmartOS/Triton metadata service, on libmdata.

    import mdata

    with mdata.Client() as md:
        print(md.hostname(), md.get("user-script", None))
        for nic in md.nics():
            print(nic.interface, nic.mac, [str(ip) for ip in nic.ips])

The shared library is loaded with ctypes on first use (see
:mod:`mdata._native` for where it is looked for). No compiler is needed.
"""
from __future__ import annotations

from . import _native
from .client import Client
from .errors import (
    Busy,
    Canceled,
    ConnectionLost,
    DeviceError,
    DeviceLocked,
    DeviceOpenError,
    InvalidArgument,
    LibraryError,
    MdataError,
    NoDevice,
    NotFound,
    NotSupported,
    OutOfMemory,
    ParseError,
    ProtocolError,
    RemoteError,
    Timeout,
    TooBig,
)
from .network import Nic, Resolver, Route

__version__ = "0.1.0"

__all__ = [
    "Client", "Nic", "Route", "Resolver",
    "MdataError", "LibraryError", "InvalidArgument", "OutOfMemory", "Timeout",
    "Canceled", "ConnectionLost", "DeviceError", "NoDevice", "DeviceLocked",
    "DeviceOpenError",
    "ProtocolError", "ParseError", "TooBig", "RemoteError", "NotFound",
    "Busy", "NotSupported", "library_version", "library_path",
]


def library_version() -> str:
    """The version of the libmdata actually loaded ("0.1.0"); loads it."""
    return _native.lib().mdata_version_string().decode()


def library_path() -> str:
    """Where libmdata was loaded from; loads it."""
    _native.lib()
    return _native.library_path() or ""
