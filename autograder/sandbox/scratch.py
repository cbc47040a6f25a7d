"""The sandbox's scratch folder with an inode limit, set up from inside bubblewrap.

Run inside the sandbox (imported by ``worker.py`` and ``forkserver.py`` as their first act, before
any student code), never by the grader. bubblewrap's own ``--tmpfs`` takes a size but no inode
count, so a submission could fill /tmp with millions of empty files: memory outside its limits, and
a clean-up time (the fork server empties /tmp between submissions) that it would choose.

``confine_scratch`` therefore enters a nested user and mount namespace, mounts a tmpfs with both
``size`` and ``nr_inodes`` over /tmp, makes /proc read-only (bubblewrap leaves it writable in this
mode, so that the uid map below can be written), and drops every capability the new namespace
gave. The process keeps its uid (a one-line map of itself onto itself), and its seccomp filter,
installed later by the worker, denies any further namespace or mount call.

A host that forbids nested user namespaces (some AppArmor policies do) makes this fail: the grader
learns so from its bubblewrap self-test and starts bubblewrap in its plain mode instead (a tmpfs
with a size only, /proc read-only from bubblewrap itself). Standard library only.
"""

from __future__ import annotations

import ctypes
import os

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REMOUNT, _MS_BIND = 32, 4096
_CAPABILITY_VERSION_3 = 0x20080522
_WORK_DIR = b"/tmp"


class ScratchUnavailable(OSError):
    """The nested namespaces or the mounts could not be made here."""


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL("libc.so.6", use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise ScratchUnavailable(errno, f"{what}: {os.strerror(errno)}")


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, text.encode("ascii"))
    finally:
        os.close(fd)


def _map_self() -> None:
    """In the new user namespace, this process's uid and gid map onto themselves, one id each."""
    uid, gid = os.getuid(), os.getgid()
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")


def _drop_capabilities(libc: ctypes.CDLL) -> None:
    """Effective, permitted and inheritable sets emptied (ambient ones go with the permitted)."""
    header = (ctypes.c_uint32 * 2)(_CAPABILITY_VERSION_3, 0)
    data = (ctypes.c_uint32 * 6)()
    _check(libc.capset(header, data), "capset")


def confine_scratch(size_bytes: int, inodes: int) -> None:
    """A fresh /tmp of at most ``size_bytes`` and ``inodes`` files, a read-only /proc, no capabilities."""
    libc = _libc()
    _check(libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNS), "unshare")
    _map_self()
    options = f"size={int(size_bytes)},nr_inodes={int(inodes)},mode=0755".encode("ascii")
    _check(libc.mount(b"tmpfs", _WORK_DIR, b"tmpfs", _MS_NOSUID | _MS_NODEV, options), "mount /tmp")
    read_only = _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
    _check(libc.mount(None, b"/proc", None, read_only, None), "remount /proc read-only")
    os.chdir(_WORK_DIR)
    _drop_capabilities(libc)
