"""Exceptions raised by the mdata bindings, one class per family of C
error codes (``MDATA_E*`` of mdata.h).

Every exception carries:

- ``code``: the negative C code (``mdata.errors.ETIMEDOUT`` ...), None for
  a :class:`LibraryError`;
- ``name``: its C name, e.g. ``"MDATA_ETIMEDOUT"``;
- ``message``: ``mdata_strerror(code)``;
- ``detail``: what the library said about this failure (the JSON path of a
  parse error, the host's message, the reason a key was refused), or None.

``str(exc)`` is ``"message: detail"`` (just the message without detail).
"""
from __future__ import annotations

from typing import Dict, Optional, Type

# The C codes (stable ABI values of MDATA_ERRNO_MAP).
EINVAL = -1
ENOMEM = -2
ETIMEDOUT = -3
ECANCELED = -4
ECLOSED = -5
EIO = -6
ECRC = -7
EFRAME = -8
ELENGTH = -9
EBASE64 = -10
ETOOBIG = -11
EPROTO = -12
EJSON = -13
EREMOTE = -14
ENOTFOUND = -15
EBUSY = -16
ENOTSUP = -17
ENODEV = -18
ELOCKED = -19
ERANGE = -20
EOPEN = -21


class MdataError(Exception):
    """Base class of every libmdata error."""

    code: Optional[int]
    name: str
    message: str
    detail: Optional[str]

    def __init__(self, message: str, code: Optional[int] = None,
                 name: str = "", detail: Optional[str] = None) -> None:
        # One positional argument only: OSError subclasses would read two
        # as (errno, strerror).
        super().__init__(message if not detail else "%s: %s" % (message, detail))
        self.code = code
        self.name = name
        self.message = message
        self.detail = detail

    def __str__(self) -> str:
        if self.detail and self.detail != self.message:
            return "%s: %s" % (self.message, self.detail)
        return self.message


class LibraryError(MdataError, ImportError):
    """libmdata could not be found or loaded, or its version does not match
    the bindings."""

    def __init__(self, message: str) -> None:
        MdataError.__init__(self, message, None, "", None)


class InvalidArgument(MdataError, ValueError):
    """MDATA_EINVAL: a bad key (empty, white space at its ends, CR/LF, NUL),
    an empty PUT value, an option out of range."""


class OutOfMemory(MdataError, MemoryError):
    """MDATA_ENOMEM."""


class Timeout(MdataError, TimeoutError):
    """MDATA_ETIMEDOUT: the deadline passed before the host answered."""


class Canceled(MdataError):
    """MDATA_ECANCELED."""


class ConnectionLost(MdataError, ConnectionError):
    """MDATA_ECLOSED: the Client is closed. (A connection the host hung up
    is reopened by the library within the call's deadline: a call then
    succeeds or raises Timeout.)"""


class DeviceError(MdataError, OSError):
    """MDATA_EIO, MDATA_ENODEV, MDATA_ELOCKED, MDATA_EOPEN: the metadata
    device could not be opened, locked or used."""


class NoDevice(DeviceError):
    """MDATA_ENODEV: no metadata device or socket (nothing auto-detected,
    or the path is neither a socket nor a character device)."""


class DeviceOpenError(DeviceError):
    """MDATA_EOPEN: opening the device failed in a way waiting would not
    change (EIO: the host end of the serial line is gone; ENOENT: no such
    serial device; EACCES, EPERM, ENXIO, ENODEV); ``detail`` says which.
    A later call tries again."""


class DeviceLocked(DeviceError):
    """MDATA_ELOCKED: another process held the serial line until the
    deadline."""


class ProtocolError(MdataError):
    """The host's answers were unusable: damaged frames on every attempt
    (MDATA_ECRC, MDATA_EFRAME, MDATA_ELENGTH, MDATA_EBASE64) or an
    unexpected answer (MDATA_EPROTO)."""


class ParseError(ProtocolError, ValueError):
    """MDATA_EJSON, MDATA_ERANGE: a value (sdc:nics ...) is not the
    expected JSON; ``detail`` names the JSON path, e.g.
    ``nics[1].ips[0]: "10.0.0/24" is not an address``."""


class TooBig(MdataError):
    """MDATA_ETOOBIG: a reply over the configured maximum size."""


class RemoteError(MdataError):
    """MDATA_EREMOTE: the host answered FAILURE; ``detail`` is its message
    (often empty)."""


class NotFound(MdataError, KeyError):
    """MDATA_ENOTFOUND: no such metadata key. Also a KeyError."""

    key: Optional[str] = None


class Busy(MdataError):
    """MDATA_EBUSY: too many requests in flight."""


class NotSupported(MdataError):
    """MDATA_ENOTSUP: PUT/DELETE on a host that only speaks protocol V1."""


# Two of them also under Mdata-prefixed names.
MdataTimeout = Timeout
MdataIOError = DeviceError

#: Code -> class; a code not listed raises MdataError itself.
CODE_CLASSES: Dict[int, Type[MdataError]] = {
    EINVAL: InvalidArgument,
    ENOMEM: OutOfMemory,
    ETIMEDOUT: Timeout,
    ECANCELED: Canceled,
    ECLOSED: ConnectionLost,
    EIO: DeviceError,
    ECRC: ProtocolError,
    EFRAME: ProtocolError,
    ELENGTH: ProtocolError,
    EBASE64: ProtocolError,
    ETOOBIG: TooBig,
    EPROTO: ProtocolError,
    EJSON: ParseError,
    EREMOTE: RemoteError,
    ENOTFOUND: NotFound,
    EBUSY: Busy,
    ENOTSUP: NotSupported,
    ENODEV: NoDevice,
    ELOCKED: DeviceLocked,
    ERANGE: ParseError,
    EOPEN: DeviceOpenError,
}


def error_from_code(code: int, detail: Optional[str] = None) -> MdataError:
    """The exception for a negative C code, with the library's message
    (mdata_strerror) and optional detail."""
    from . import _native

    lib = _native.lib()
    message = lib.mdata_strerror(code).decode()
    name = lib.mdata_err_name(code).decode()
    if detail is not None and (detail == message or
                               (detail == "" and code != EREMOTE)):
        detail = None
    cls = CODE_CLASSES.get(code, MdataError)
    return cls(message, code, name, detail)
