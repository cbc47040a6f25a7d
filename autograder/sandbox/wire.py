"""The plain-data wire protocol between the grader and the sandboxed worker.

This module is loaded on BOTH sides: by the trusted grader as
``autograder.sandbox.wire`` and inside the sandbox as a top-level ``wire``
module next to ``worker.py``. It therefore imports only the standard library
and numpy, and nothing from the kit.

Values that can cross the wire: ``None``, ``bool``, ``int``, ``float``
(including nan and +-inf), ``str``, ``list``/``tuple`` (both arrive as
``list``), ``dict`` with ``str`` keys, and numpy arrays whose dtype is bool,
signed/unsigned integer or float (not complex or structured; an object array only when it
holds plain numbers, sent as the numeric array numpy makes of them). numpy scalars are sent as
the matching Python scalar.

Frame layout (all integers big-endian)::

    8 bytes   payload length L (checked against a maximum BEFORE allocating)
    4 bytes   JSON header length H
    H bytes   UTF-8 JSON header {"value": tree, "blobs": [n0, n1, ...]}, H <= 4 MiB
    n0 + n1 + ... bytes of array blobs, each: b"AGA1", a dtype code and the number of
              dimensions (one byte each), two pad bytes, each dimension as a little-endian
              int64, then the raw C-order data (``_array_blob``)

In the JSON tree lists are JSON arrays and the three non-JSON kinds are
single-key objects: ``{"dict": {...}}``, ``{"ndarray": i}`` (blob index, each
blob used exactly once) and ``{"float": "nan" | "inf" | "-inf"}``. Any other
object is an unknown tag. Decoding never unpickles and yields exact builtin
types and base ``np.ndarray``; anything malformed raises ``ProtocolError``.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import select
import struct
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    import socket

MAX_FRAME_BYTES = 64 * 1024 * 1024
# JSON expands in memory far more than array bytes do (a 4 MiB header of
# "[]," is ~1.4M list objects), so it gets its own, smaller cap.
MAX_HEADER_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_TEXT_CHARS = 4000
MAX_TRACEBACK_CHARS = 16000
_PREFIX = struct.Struct(">Q")
_HEADER_LEN = struct.Struct(">I")
_ARRAY_KINDS = frozenset("biuf")
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
_READ_CHUNK = 1 << 20
_T = TypeVar("_T")


class ProtocolError(Exception):
    """Bytes from the other side that do not form a valid message."""


class FrameTooLarge(ProtocolError):
    """A frame whose announced length exceeds the agreed maximum."""


class UnsupportedValue(TypeError):
    """A value (or part of one) that the protocol cannot carry."""


class ChannelClosed(EOFError):
    """The other side closed its end of the pipe (usually: it exited)."""


class ChannelTimeout(TimeoutError):
    """The deadline passed before a whole frame was read or written."""


# --------------------------------------------------------------------------
# Encoding


_ARRAY_MAGIC = b"AGA1"
_ARRAY_HEAD = struct.Struct("<4sBB2x")  # magic, dtype code, ndim
_DIM = struct.Struct("<q")
_DTYPES = tuple(np.dtype(code) for code in
                ("|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8"))
"""Every dtype that may cross, by its one-byte code: bool, integers and floats, little-endian."""
_DTYPE_CODES = {dtype: code for code, dtype in enumerate(_DTYPES)}
_NATIVE_DTYPES = tuple(dtype.newbyteorder("=") for dtype in _DTYPES)
MAX_NDIM = 64
_DIMS = tuple(struct.Struct(f"<{ndim}q") for ndim in range(MAX_NDIM + 1))
"""The dimensions of an array of each number of dimensions."""


def _array_blob(array: np.ndarray) -> bytes:
    """``array`` (viewed as a base ndarray) as its dtype code, shape and raw C-order bytes.

    A dozen bytes of fixed header instead of a ``.npy`` file: no text header to parse (a
    ``.npy``'s is read with ``ast.literal_eval``, ~0.2 ms per array, twice), and nothing in it
    that could name another dtype."""
    # np.ndarray.view called on the class bypasses any subclass override.
    base = np.ndarray.view(array, np.ndarray)
    if base.dtype.kind == "O":
        base = _numbers_of(base)
    dtype = base.dtype
    if dtype.kind not in _ARRAY_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise UnsupportedValue(f"cannot send an array of dtype {dtype}")
    little = dtype.newbyteorder("<") if dtype.byteorder == ">" else dtype
    code = _DTYPE_CODES.get(np.dtype(little.str))
    if code is None or base.ndim > MAX_NDIM:
        raise UnsupportedValue(f"cannot send an array of dtype {dtype} and {base.ndim} dimensions")
    data = np.ascontiguousarray(base, dtype=_DTYPES[code])
    return b"".join([_ARRAY_HEAD.pack(_ARRAY_MAGIC, code, base.ndim), _DIMS[base.ndim].pack(*base.shape),
                     data.tobytes()])


def _numbers_of(array: np.ndarray) -> np.ndarray:
    """An object array of plain numbers (what ``np.frompyfunc`` returns) as the numeric array
    numpy makes of its items; UnsupportedValue for any other object array. Only the worker sends
    one: the grader's own arguments never hold objects."""
    if array.size == 0:  # no items to say which numbers: the float64 of the same shape
        return np.zeros(array.shape)
    try:
        numbers = np.array(array.tolist())
    except (TypeError, ValueError, OverflowError) as err:  # ragged items, say
        raise UnsupportedValue(f"cannot send an array of dtype {array.dtype}: {err}") from None
    if numbers.dtype.kind not in _ARRAY_KINDS or numbers.shape != array.shape:
        raise UnsupportedValue(f"cannot send an array of dtype {array.dtype} holding non-numbers")
    return numbers


def _float_tree(number: float) -> Any:
    """A finite float as itself, a non-finite one as a ``{"float": ...}`` tag."""
    if math.isnan(number):
        return {"float": "nan"}
    if math.isinf(number):
        return {"float": "inf" if number > 0 else "-inf"}
    return number


def _to_tree(value: Any, blobs: list[bytes], depth: int) -> Any:
    """The JSON tree for ``value``, appending array blobs; raises UnsupportedValue."""
    if depth > MAX_DEPTH:
        raise UnsupportedValue(f"value is nested deeper than {MAX_DEPTH} levels")
    kind = type(value)
    # The exact types first (nearly every value): what the checks below make of them.
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return _float_tree(value)
    if kind is np.ndarray:
        blobs.append(_array_blob(value))
        return {"ndarray": len(blobs) - 1}
    if kind is list or kind is tuple:
        return [_to_tree(item, blobs, depth + 1) for item in value]
    if kind is dict:
        return {"dict": _dict_tree(value, blobs, depth)}
    # bool first: it is a subclass of int. Exact-type conversions strip subclasses.
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int.__index__(value) if isinstance(value, int) else int(value)
    if isinstance(value, (float, np.floating)):
        return _float_tree(float.__float__(value) if isinstance(value, float) else float(value))
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (list, tuple)):
        items = list.__iter__(value) if isinstance(value, list) else tuple.__iter__(value)
        return [_to_tree(item, blobs, depth + 1) for item in items]
    if isinstance(value, dict):
        return {"dict": _dict_tree(value, blobs, depth)}
    if isinstance(value, np.ndarray):
        blobs.append(_array_blob(value))
        return {"ndarray": len(blobs) - 1}
    raise UnsupportedValue(f"cannot send a value of type {type(value).__name__}")


def _dict_tree(value: dict[Any, Any], blobs: list[bytes], depth: int) -> dict[str, Any]:
    """The JSON object for a dict with str keys; raises UnsupportedValue otherwise."""
    tree: dict[str, Any] = {}
    for key, item in dict.items(value):
        if not isinstance(key, str):
            raise UnsupportedValue(f"dict keys must be str, not {type(key).__name__}")
        tree[str.__str__(key)] = _to_tree(item, blobs, depth + 1)
    return tree


_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))
"""``json.dumps`` with these options, made once (``dumps`` makes an encoder per call)."""


def pack_message(message: Any) -> bytes:
    """A complete frame (length prefix included) carrying ``message``.

    Raises ``UnsupportedValue`` if any part of ``message`` cannot be sent.
    """
    blobs: list[bytes] = []
    try:
        tree = _to_tree(message, blobs, 0)
    except RecursionError:
        raise UnsupportedValue("value is nested too deeply") from None
    header = _ENCODER.encode({"value": tree, "blobs": [len(b) for b in blobs]}).encode("ascii")
    if len(header) > MAX_HEADER_BYTES:
        raise UnsupportedValue(f"the non-array part of the value is larger than {MAX_HEADER_BYTES} "
                               "bytes of JSON; send large data as numpy arrays")
    payload_len = _HEADER_LEN.size + len(header) + sum(len(b) for b in blobs)
    return b"".join([_PREFIX.pack(payload_len), _HEADER_LEN.pack(len(header)), header, *blobs])


# --------------------------------------------------------------------------
# Decoding


def _reject_constant(name: str) -> Any:
    raise ProtocolError(f"bare JSON constant {name!r} is not allowed")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, rejecting duplicate keys (they hide data)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ProtocolError("duplicate key in JSON object")
    return obj


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_object, parse_constant=_reject_constant)
"""``json.loads`` with these options, made once (``loads`` makes a decoder per call)."""


def _decode_array(blob: bytes) -> np.ndarray:
    """A base ndarray from its blob, every length checked before anything is allocated."""
    if len(blob) < _ARRAY_HEAD.size:
        raise ProtocolError("array blob shorter than its header")
    magic, code, ndim = _ARRAY_HEAD.unpack_from(blob)
    if magic != _ARRAY_MAGIC or code >= len(_DTYPES) or ndim > MAX_NDIM:
        raise ProtocolError("bad array header")
    start = _ARRAY_HEAD.size + ndim * _DIM.size
    if len(blob) < start:
        raise ProtocolError("array header shorter than its dimensions")
    shape = _DIMS[ndim].unpack_from(blob, _ARRAY_HEAD.size)
    dtype = _DTYPES[code]
    count = math.prod(shape)
    if any(n < 0 for n in shape) or count * dtype.itemsize != len(blob) - start:
        raise ProtocolError("array data length does not match its header")
    if count == 0:
        return np.zeros(shape, dtype=_NATIVE_DTYPES[code])
    flat = np.frombuffer(blob, dtype=dtype, count=count, offset=start)
    return flat.reshape(shape).astype(_NATIVE_DTYPES[code], copy=True)  # owned, writable, native


# A lone surrogate: JSON carries "\ud800" as six ASCII characters, but no UTF-8 file can hold
# the character, so a message that holds one would fail wherever the grader writes it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: str) -> str:
    """``value`` with every lone surrogate as U+FFFD (the kit's ``escaping.valid_text``; this
    module imports nothing of the kit)."""
    return value if value.isascii() else _SURROGATE.sub("\ufffd", value)


def _from_tree(tree: Any, arrays: list[np.ndarray | None], depth: int) -> Any:
    """The value a JSON tree stands for, its text valid Unicode; arrays are taken (once) from ``arrays``."""
    if depth > MAX_DEPTH:
        raise ProtocolError(f"value is nested deeper than {MAX_DEPTH} levels")
    if type(tree) is str:
        return _text(tree)
    if tree is None or type(tree) in (bool, int, float):
        return tree
    if type(tree) is list:
        return [_from_tree(item, arrays, depth + 1) for item in tree]
    if type(tree) is not dict or len(tree) != 1:
        raise ProtocolError("malformed value object")
    ((tag, body),) = tree.items()
    if tag == "dict" and type(body) is dict:
        return {_text(key): _from_tree(item, arrays, depth + 1) for key, item in body.items()}
    if tag == "float" and type(body) is str and body in _NONFINITE:
        return _NONFINITE[body]
    if tag == "ndarray" and type(body) is int and 0 <= body < len(arrays):
        array, arrays[body] = arrays[body], None
        if array is None:
            raise ProtocolError("array blob referenced twice")
        return array
    raise ProtocolError(f"unknown or malformed tag {tag!r}")


def _split_payload(payload: bytes) -> tuple[Any, list[bytes]]:
    """(JSON tree, blobs) of a payload; checks every length it is told."""
    if len(payload) < _HEADER_LEN.size:
        raise ProtocolError("payload shorter than its header length")
    (header_len,) = _HEADER_LEN.unpack_from(payload)
    body_start = _HEADER_LEN.size + header_len
    if header_len > MAX_HEADER_BYTES:
        raise ProtocolError(f"JSON header of {header_len} bytes exceeds {MAX_HEADER_BYTES}")
    if body_start > len(payload):
        raise ProtocolError("header length exceeds payload")
    try:
        header = _DECODER.decode(payload[_HEADER_LEN.size:body_start].decode("utf-8"))
    except ProtocolError:
        raise
    except (ValueError, RecursionError) as err:  # bad UTF-8/JSON, too many digits, too deep
        raise ProtocolError(f"bad JSON header: {err}") from None
    if type(header) is not dict or set(header) != {"value", "blobs"}:
        raise ProtocolError("header must have exactly 'value' and 'blobs'")
    sizes = header["blobs"]
    if type(sizes) is not list or any(type(n) is not int or n < 0 for n in sizes):
        raise ProtocolError("blob sizes must be non-negative integers")
    if body_start + sum(sizes) != len(payload):
        raise ProtocolError("blob sizes do not add up to the payload length")
    ends = list(itertools.accumulate(sizes, initial=body_start))
    return header["value"], [payload[start:end] for start, end in zip(ends, ends[1:])]


def unpack_payload(payload: bytes) -> Any:
    """The message carried by a frame payload (length prefix removed).

    Raises ``ProtocolError`` (and nothing else) on any malformed input.
    """
    try:
        tree, blobs = _split_payload(payload)
        arrays: list[np.ndarray | None] = [_decode_array(blob) for blob in blobs]
        value = _from_tree(tree, arrays, 0)
    except ProtocolError:
        raise
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as err:
        raise ProtocolError(f"malformed payload: {type(err).__name__}") from None
    if any(array is not None for array in arrays):
        raise ProtocolError("array blob not referenced")
    return value


def raw_frame(payload: bytes) -> bytes:
    """A frame carrying ``payload`` as it is (``read_frame`` gives it back)."""
    return _PREFIX.pack(len(payload)) + payload


def frame_length(prefix: bytes, max_bytes: int) -> int:
    """The payload length announced by an 8-byte prefix; FrameTooLarge past ``max_bytes``."""
    if len(prefix) != _PREFIX.size:
        raise ProtocolError("truncated frame prefix")
    length: int = _PREFIX.unpack(prefix)[0]
    if length > max_bytes:
        raise FrameTooLarge(f"frame of {length} bytes exceeds the limit of {max_bytes} bytes")
    return length


def unpack_frame(frame: bytes, max_bytes: int = MAX_FRAME_BYTES) -> Any:
    """The message in a complete frame (prefix + payload); ProtocolError if malformed."""
    length = frame_length(frame[:_PREFIX.size], max_bytes)
    if len(frame) != _PREFIX.size + length:
        raise ProtocolError("frame length does not match its prefix")
    return unpack_payload(frame[_PREFIX.size:])


# --------------------------------------------------------------------------
# Pipe I/O with deadlines


SOCKETS_ONLY = sys.platform == "win32" or not hasattr(select, "poll")
"""Windows has no ``select.poll`` and cannot ``select`` or ``os.read`` a pipe: there the channel is a
socket (the own-machine worker's, ``own_machine``), waited on with ``select.select`` and read with
``recv``. Everywhere else pipes and sockets alike are polled and read as file descriptors."""


def _remaining(deadline: float | None) -> float | None:
    """Seconds left before ``deadline`` (None: no deadline); ChannelTimeout once it has passed."""
    if deadline is None:
        return None
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise ChannelTimeout("deadline passed")
    return remaining


def _wait(fd: int, writing: bool, deadline: float | None) -> None:
    """Block until ``fd`` is ready to be read (or written); ChannelTimeout at ``deadline``."""
    if SOCKETS_ONLY:
        return _wait_select(fd, writing, deadline)
    poller = select.poll()
    poller.register(fd, select.POLLOUT if writing else select.POLLIN)
    while True:
        remaining = _remaining(deadline)
        timeout_ms = None if remaining is None else max(1, math.ceil(remaining * 1000))
        if poller.poll(timeout_ms):
            return


def readable_by(fd: int, deadline: float) -> bool:
    """Whether ``fd`` has something to read (or its end) before ``deadline``; False once it passed."""
    try:
        _wait(fd, False, deadline)
    except ChannelTimeout:
        return False
    return True


def _wait_select(fd: int, writing: bool, deadline: float | None) -> None:
    """``_wait`` for a socket, with ``select.select`` (the only readiness call Windows has)."""
    while True:
        remaining = _remaining(deadline)
        ready = select.select([], [fd], [fd], remaining) if writing else select.select([fd], [], [fd], remaining)
        if any(ready):
            return


def _with_socket(fd: int, use: Callable[[socket.socket], _T]) -> _T:
    """``use`` applied to the socket whose handle is ``fd``, which stays open afterwards. (socket is
    imported here, where only Windows' channel needs it: the worker imports it before student code.)"""
    import socket

    sock = socket.socket(fileno=fd)
    try:
        return use(sock)
    finally:
        sock.detach()


def _read_some(fd: int, count: int) -> bytes:
    if SOCKETS_ONLY:
        return _with_socket(fd, lambda sock: sock.recv(count))
    return os.read(fd, count)


def _write_some(fd: int, data: memoryview) -> int:
    if SOCKETS_ONLY:
        return _with_socket(fd, lambda sock: sock.send(data))
    return os.write(fd, data)


_F_GETPIPE_SZ = 1032
"""fcntl's command for a pipe's capacity (Linux)."""


def pipe_capacity(fd: int) -> int | None:
    """The bytes the pipe ``fd`` holds before a write waits; None where that cannot be told (not a
    pipe, not Linux)."""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        return int(fcntl.fcntl(fd, _F_GETPIPE_SZ))
    except OSError:
        return None


def read_exact(fd: int, count: int, deadline: float | None = None, *, ready: bool = False) -> bytes:
    """Exactly ``count`` bytes from ``fd``; ChannelClosed on EOF, ChannelTimeout at deadline.

    Without a deadline a read simply waits for the bytes (a non-blocking ``fd`` is polled); with one,
    ``fd`` is polled before each read, but for the first when the caller has just seen it ``ready``
    (a read then returns what is there at once)."""
    chunks: list[bytes] = []
    remaining = count
    while remaining:
        if deadline is not None and not ready:
            _wait(fd, False, deadline)
        ready = False
        try:
            chunk = _read_some(fd, min(remaining, _READ_CHUNK))
        except BlockingIOError:
            _wait(fd, False, deadline)
            continue
        except ConnectionResetError:
            chunk = b""  # a socket whose other end died: the end of the channel
        if not chunk:
            raise ChannelClosed("the other side closed the pipe")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, *, max_bytes: int = MAX_FRAME_BYTES, deadline: float | None = None,
               ready: bool = False) -> bytes:
    """The payload of the next frame on ``fd``; the size limit is checked before reading it.
    ``ready``: the caller has just seen ``fd`` readable (``read_exact``)."""
    length = frame_length(read_exact(fd, _PREFIX.size, deadline, ready=ready), max_bytes)
    return read_exact(fd, length, deadline)


def write_all(fd: int, data: bytes, deadline: float | None = None) -> None:
    """Write all of ``data`` to ``fd`` (ideally non-blocking); ChannelTimeout at deadline.

    BrokenPipeError propagates when the reader is gone (a socket's reset too).
    """
    view = memoryview(data)
    while view:
        _wait(fd, True, deadline)
        try:
            written = _write_some(fd, view)
        except BlockingIOError:
            continue
        except ConnectionResetError as err:
            raise BrokenPipeError(str(err)) from None
        view = view[written:]


# --------------------------------------------------------------------------
# Messages


@dataclass(frozen=True)
class ErrorInfo:
    """An exception raised by student code, as plain text."""

    type: str
    message: str
    traceback: str


@dataclass(frozen=True)
class CallOptions:
    """How the worker runs one call.

    ``errstate``: under ``np.errstate(over/invalid/divide="raise")``.
    ``readonly_inputs``: the call must treat its inputs as read-only. The worker
    hands it ordinary (writable) copies and sends them back after the call
    (``inputs_after``); the grader compares them with what it sent and fails
    the call if any changed (``InputChanged``). The check is made outside the
    student's code, so no flag or switch inside the worker can turn it off, and
    ``if not x.flags.writeable: x = x.copy()`` is seen for what it is.
    ``substitute``: names of the submission's functions that, for this call
    only, answer with the grader's values: the worker binds each name to a
    stand-in that sends its arguments back as a ``callback`` frame and returns
    the value the grader answers (``callback_request``, ``callback_answer``).
    Only plain values cross; whatever computes them stays in the grader.
    """

    errstate: bool = False
    readonly_inputs: bool = False
    substitute: tuple[str, ...] = ()

    def updated(self, *, errstate: bool | None = None, readonly_inputs: bool | None = None,
                substitute: tuple[str, ...] | None = None) -> CallOptions:
        """These options with those given changed (None keeps the current one)."""
        return CallOptions(errstate=self.errstate if errstate is None else errstate,
                           readonly_inputs=self.readonly_inputs if readonly_inputs is None else readonly_inputs,
                           substitute=self.substitute if substitute is None else substitute)


def call_request(request_id: int, function: str, args: Any, kwargs: dict[str, Any], *,
                 options: CallOptions = CallOptions()) -> dict[str, Any]:
    """The message asking the worker to run ``function(*args, **kwargs)``.

    ``args`` must be a list or tuple (a bare string would be split into characters).
    """
    if not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict):
        raise TypeError("args must be a list or tuple and kwargs a dict")
    message: dict[str, Any] = {"id": request_id, "op": "call", "function": function,
                               "args": list(args), "kwargs": dict(kwargs)}
    if options.errstate:
        message["errstate"] = "raise"
    if options.readonly_inputs:
        message["readonly"] = True
    if options.substitute:
        message["substitute"] = list(options.substitute)
    return message


_REQUEST_HEAD = b'{"value":{"dict":{"id":'
"""How the JSON header of every ``pack_message(call_request(...))`` frame begins: its id comes next."""
_REQUEST_ID_AT = _PREFIX.size + _HEADER_LEN.size + len(_REQUEST_HEAD)


def _request_id_end(frame: bytes) -> int:
    """Where the id of a packed ``call_request`` frame ends (ValueError for any other frame)."""
    if not frame.startswith(_REQUEST_HEAD, _PREFIX.size + _HEADER_LEN.size):
        raise ValueError("not a packed call request")
    end = frame.find(b",", _REQUEST_ID_AT, _REQUEST_ID_AT + 21)
    if end <= _REQUEST_ID_AT or not frame[_REQUEST_ID_AT:end].isdigit():
        raise ValueError("not a packed call request")
    return end


def request_key(frame: bytes) -> bytes:
    """What a packed ``call_request`` frame asks, without its id: two frames have the same key
    exactly when they ask the same call (function, arguments, options) under any ids."""
    return frame[_request_id_end(frame):]


def request_id_of(frame: bytes) -> int:
    """The id of a packed ``call_request`` frame."""
    return int(frame[_REQUEST_ID_AT:_request_id_end(frame)])


def renumbered(frame: bytes, request_id: int) -> bytes:
    """The packed ``call_request`` frame asking what ``frame`` asks, under ``request_id``: the same
    bytes ``pack_message`` makes of the same request with that id."""
    end = _request_id_end(frame)
    (header_len,) = _HEADER_LEN.unpack_from(frame, _PREFIX.size)
    id_digits = str(request_id).encode("ascii")
    header_len += len(id_digits) - (end - _REQUEST_ID_AT)
    payload_len = len(frame) - _PREFIX.size + len(id_digits) - (end - _REQUEST_ID_AT)
    return b"".join([_PREFIX.pack(payload_len), _HEADER_LEN.pack(header_len), _REQUEST_HEAD, id_digits,
                     frame[end:]])


# --------------------------------------------------------------------------
# Callbacks: a substituted function asks the grader for its value during a call

MAX_CALLBACKS = 10_000
"""Callbacks the grader answers in one call; one more fails the call (a flood is the student's)."""


class SubstituteRefused(Exception):
    """The grader did not answer a substituted function's arguments with a value (raised in the
    worker, inside the call that used the stand-in)."""


def callback_request(request_id: int, function: str, args: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The frame a stand-in sends: the call ``request_id`` asks for ``function(*args, **kwargs)``."""
    return {"id": request_id, "callback": function, "args": list(args), "kwargs": dict(kwargs)}


def parse_callback(message: Any, expected_id: int,
                   allowed: frozenset[str]) -> tuple[str, list[Any], dict[str, Any]] | None:
    """(function, args, kwargs) of a callback frame of call ``expected_id``; None for any other
    message. ProtocolError for a callback that is malformed, of another call, or names a function
    this call does not substitute."""
    if type(message) is not dict or "callback" not in message:
        return None
    if set(message) != {"id", "callback", "args", "kwargs"} or message["id"] != expected_id \
            or not _is_int(message["id"]):
        raise ProtocolError("malformed callback")
    function, args, kwargs = message["callback"], message["args"], message["kwargs"]
    if type(function) is not str or function not in allowed:
        raise ProtocolError("a callback for a function this call does not substitute")
    if type(args) is not list or type(kwargs) is not dict:
        raise ProtocolError("a callback's args must be a list and its kwargs a dict")
    return function, args, kwargs


def callback_answer(request_id: int, function: str, value: Any = None, *, ok: bool = True) -> dict[str, Any]:
    """The grader's answer to a callback: the value, or (``ok`` False) a refusal."""
    answer: dict[str, Any] = {"id": request_id, "callback": function, "ok": ok}
    if ok:
        answer["value"] = value
    return answer


def callback_value(answer: Any, request_id: int, function: str) -> Any:
    """The value in the grader's answer to a callback; SubstituteRefused for a refusal or anything
    that is not the answer to this very callback."""
    if type(answer) is not dict or answer.get("id") != request_id or answer.get("callback") != function:
        raise SubstituteRefused(f"no answer for {function}()")
    if answer.get("ok") is not True or "value" not in answer:
        raise SubstituteRefused(f"{function}() has no value for these arguments")
    return answer["value"]


def inputs_after(message: Any) -> tuple[list[Any], dict[str, Any]]:
    """The (args, kwargs) a watched call's response sends back; ProtocolError if malformed."""
    raw = message.get("inputs_after") if type(message) is dict else None
    if type(raw) is not list or len(raw) != 2 or type(raw[0]) is not list or type(raw[1]) is not dict:
        raise ProtocolError("a watched call's response has no inputs_after [args, kwargs]")
    return raw[0], raw[1]


def _same_plain(sent: Any, back: Any) -> bool:
    """Exact equality of two plain-data values (arrays by dtype, shape and bits; NaN equals NaN)."""
    import numpy as np

    if isinstance(sent, np.ndarray) or isinstance(back, np.ndarray):
        return (type(sent) is type(back) and sent.dtype == back.dtype and sent.shape == back.shape
                and bool(np.array_equal(sent, back, equal_nan=sent.dtype.kind in "fc")))
    if isinstance(sent, dict):
        return type(back) is dict and set(back) == set(sent) and all(_same_plain(sent[k], back[k]) for k in sent)
    if isinstance(sent, (list, tuple)):
        return (isinstance(back, (list, tuple)) and len(back) == len(sent)
                and all(_same_plain(a, b) for a, b in zip(sent, back)))
    if isinstance(sent, float) and isinstance(back, float) and sent != sent and back != back:
        return True
    return type(sent) is type(back) and bool(sent == back)


def changed_inputs(args: Any, kwargs: dict[str, Any], after: tuple[list[Any], dict[str, Any]]) -> list[str]:
    """Which inputs a watched call changed: ``argument 1``, ``params`` ... (empty when none)."""
    back_args, back_kwargs = after
    changed = [f"argument {i + 1}" for i, value in enumerate(args)
               if i >= len(back_args) or not _same_plain(value, back_args[i])]
    return changed + [name for name, value in kwargs.items()
                      if name not in back_kwargs or not _same_plain(value, back_kwargs[name])]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more characters]"


def parse_error(raw: Any) -> ErrorInfo:
    """An ``ErrorInfo`` from an untrusted error object; ProtocolError if malformed."""
    if type(raw) is not dict or not {"type", "message"} <= set(raw):
        raise ProtocolError("malformed error object")
    fields = (raw["type"], raw["message"], raw.get("traceback", ""))
    if any(type(f) is not str for f in fields):
        raise ProtocolError("error fields must be strings")
    return ErrorInfo(_clip(fields[0], 200), _clip(fields[1], MAX_TEXT_CHARS),
                     _clip(fields[2], MAX_TRACEBACK_CHARS))


def _is_int(value: Any) -> bool:
    return type(value) is int


def parse_response(message: Any, expected_id: int) -> tuple[bool, Any]:
    """(ok, value-or-error) from a call response; ProtocolError if it is malformed.

    On failure the second item is an ``ErrorInfo``, or a ``str`` reason when the
    worker could not send the result (``"bad_result"``).
    """
    if type(message) is not dict or not _is_int(message.get("id")) or type(message.get("ok")) is not bool:
        raise ProtocolError("malformed response")
    if message["id"] != expected_id:
        raise ProtocolError(f"response id {message['id']} does not match request id {expected_id}")
    if message["ok"]:
        if "value" not in message:
            raise ProtocolError("response has no value")
        return True, message["value"]
    if type(message.get("bad_result")) is str:
        return False, _clip(message["bad_result"], MAX_TEXT_CHARS)
    return False, parse_error(message.get("error"))


SEEN_KINDS = ("files", "listing", "network", "processes", "ctypes")
"""The kinds of attempt the worker's audit hook counts (``seen.py``)."""
MAX_SEEN_COUNT = 1_000_000
MAX_SEEN_EXAMPLES = 3


def parse_seen(raw: Any) -> tuple[dict[str, int], tuple[str, ...]]:
    """(counts per kind, example paths) from a worker's ``seen`` field; empty when malformed.

    The worker runs the student's code, which may forge or suppress these: evidence for a person
    to look at, never an input to a grade.
    """
    if type(raw) is not dict or type(raw.get("counts")) is not dict or type(raw.get("examples")) is not list:
        return {}, ()
    counts = {kind: min(n, MAX_SEEN_COUNT) for kind, n in raw["counts"].items()
              if kind in SEEN_KINDS and _is_int(n) and n > 0}
    examples = tuple(_clip("".join(c if c.isprintable() else "?" for c in e), 80)
                     for e in raw["examples"][:MAX_SEEN_EXAMPLES] if type(e) is str)
    return counts, examples
