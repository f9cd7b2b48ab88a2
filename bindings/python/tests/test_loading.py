"""Loading the library: MDATA_LIBRARY, the version check, the prototype
table."""
import ctypes
import ctypes.util
import os
import subprocess
import sys

import pytest

import mdata
from mdata import _native

from conftest import BINDINGS

LIB = os.environ.get("MDATA_LIBRARY", "")


def run_python(code, env_extra, drop=()):
    env = dict(os.environ)
    for k in drop:
        env.pop(k, None)
    env.update(env_extra)
    env["PYTHONPATH"] = BINDINGS
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, env=env, timeout=60)


def test_loads_the_library_named_by_mdata_library():
    assert LIB, "MDATA_LIBRARY must point at the built libmdata.so"
    assert mdata.library_path() == LIB
    v = mdata.library_version()
    assert v.split(".")[0] == str(_native.MAJOR)
    assert v == "%d.%d.%d" % tuple(int(x) for x in v.split("."))


def test_every_prototype_is_applied():
    lib = _native.lib()
    names = [p[0] for p in _native.PROTOTYPES]
    assert len(names) == len(set(names))
    for name, argtypes, restype, checked in _native.PROTOTYPES:
        fn = getattr(lib, name)
        assert fn.argtypes == list(argtypes), name
        assert fn.restype == restype, name
        assert (getattr(fn, "errcheck", None) is _native._check_code) == checked


def test_bindings_call_only_functions_in_the_table():
    # every lib().mdata_* attribute the package uses is in the table
    import re
    used = set()
    pkg = os.path.join(BINDINGS, "mdata")
    for f in os.listdir(pkg):
        if f.endswith(".py"):
            with open(os.path.join(pkg, f)) as fh:
                used |= set(re.findall(r"\b(mdata_[a-z0-9_]+)\(", fh.read()))
    table = {p[0] for p in _native.PROTOTYPES}
    assert used - table == set()


def test_a_missing_library_is_a_clear_error(tmp_path):
    r = run_python("import mdata; mdata.Client()",
                   {"MDATA_LIBRARY": str(tmp_path / "nope.so")})
    assert r.returncode == 1
    assert "mdata.errors.LibraryError: cannot load libmdata from " in r.stderr
    assert "(MDATA_LIBRARY)" in r.stderr and "set MDATA_LIBRARY" in r.stderr


def test_not_libmdata_is_a_clear_error():
    libc = ctypes.util.find_library("c")
    with pytest.raises(mdata.LibraryError, match="is not libmdata"):
        _native.load(libc, _native.MAJOR, "test")


def test_major_version_mismatch_is_a_clear_error():
    with pytest.raises(mdata.LibraryError) as ei:
        _native.load(LIB, _native.MAJOR + 1, "test")
    msg = str(ei.value)
    assert "these bindings need major version %d" % (_native.MAJOR + 1) in msg
    assert isinstance(ei.value, ImportError)


def test_without_mdata_library_find_library_or_soname_is_tried():
    # Not installed system-wide here: the error lists what was tried.
    r = run_python("import mdata; print(mdata.library_path())", {},
                   drop=("MDATA_LIBRARY",))
    if r.returncode == 0:
        assert "libmdata" in r.stdout  # an installed libmdata was found
    else:
        assert "libmdata.so.%d" % _native.MAJOR in r.stderr
        assert "the soname" in r.stderr


def test_import_does_not_load_the_library(tmp_path):
    r = run_python("import mdata, mdata._native as n; print(n._lib is None)",
                   {"MDATA_LIBRARY": str(tmp_path / "nope.so")})
    assert r.returncode == 0 and r.stdout.strip() == "True"
