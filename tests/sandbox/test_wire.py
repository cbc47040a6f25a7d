"""The wire protocol on its own: exact round trips and strict, single-error decoding."""

from __future__ import annotations

import json
import math
import os
import struct
import time

import numpy as np
import pytest

from autograder.sandbox import wire
from autograder.sandbox.wire import ProtocolError, UnsupportedValue


def round_trip(value: object) -> object:
    return wire.unpack_frame(wire.pack_message(value))


def frame_from(header: object, *blobs: bytes, raw_header: bytes | None = None) -> bytes:
    """A hand-made frame, for feeding malformed input to the decoder."""
    head = raw_header if raw_header is not None else json.dumps(header).encode()
    payload = struct.pack(">I", len(head)) + head + b"".join(blobs)
    return struct.pack(">Q", len(payload)) + payload


def blob(array: np.ndarray) -> bytes:
    """An array's blob as the wire writes it."""
    return wire._array_blob(array)


# ---------------------------------------------------------------- round trips

@pytest.mark.parametrize("value", [
    None, True, False, 0, -7, 2**80, 1.5, -0.0, 1e308, 5e-324, "", "héllo \u2603 \U0001f600",
    [], [1, [2, [3]]], {}, {"a": 1, "b": [None, {"c": "d"}]}, {"dict": 1, "ndarray": 2, "float": 3},
])
def test_plain_values_round_trip_exactly(value: object) -> None:
    back = round_trip(value)
    assert back == value
    assert type(back) is type(value)


def test_a_lone_surrogate_arrives_as_a_replacement_character() -> None:
    """JSON can carry "\\ud800", UTF-8 cannot: text from the other side is always writable."""
    back = round_trip({"message": "bad \ud800 here", "keys": {"k\udcff": ["\udfff"]}})
    assert back == {"message": "bad \ufffd here", "keys": {"k\ufffd": ["\ufffd"]}}


def test_nonfinite_floats_round_trip() -> None:
    nan, inf, ninf = round_trip([math.nan, math.inf, -math.inf])
    assert math.isnan(nan) and inf == math.inf and ninf == -math.inf
    assert all(type(x) is float for x in (nan, inf, ninf))


def test_tuples_become_lists() -> None:
    assert round_trip((1, (2, 3))) == [1, [2, 3]]
    assert type(round_trip((1,))) is list


@pytest.mark.parametrize("dtype", ["bool", "int8", "int16", "int32", "int64", "uint8",
                                   "uint16", "uint32", "uint64", "float16", "float32", "float64"])
def test_arrays_round_trip_with_dtype_and_shape(dtype: str) -> None:
    array = (np.arange(24).reshape(2, 3, 4) % 3).astype(dtype)
    back = round_trip({"a": array})["a"]
    assert type(back) is np.ndarray
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)


def test_special_arrays_round_trip() -> None:
    zero_d, empty, fortran, strided = round_trip([
        np.array(2.5), np.zeros((0, 3)), np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        np.arange(10.0)[::3]])
    assert zero_d.shape == () and zero_d == 2.5
    assert empty.shape == (0, 3)
    np.testing.assert_array_equal(fortran, np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(strided, [0.0, 3.0, 6.0, 9.0])


def test_nan_and_inf_inside_arrays_survive() -> None:
    back = round_trip(np.array([np.nan, np.inf, -np.inf, 1.0]))
    assert np.isnan(back[0]) and back[1] == np.inf and back[2] == -np.inf


def test_big_endian_arrays_arrive_native() -> None:
    back = round_trip(np.arange(3, dtype=">f8"))
    assert back.dtype == np.dtype(np.float64)
    np.testing.assert_array_equal(back, [0.0, 1.0, 2.0])


def test_numpy_scalars_become_python_scalars() -> None:
    values = round_trip([np.float64(1.5), np.float32(0.25), np.int64(-3), np.uint8(7), np.bool_(True)])
    assert values == [1.5, 0.25, -3, 7, True]
    assert [type(v) for v in values] == [float, float, int, int, bool]


def test_subclasses_arrive_as_exact_base_types() -> None:
    class LyingFloat(float):
        def __eq__(self, other: object) -> bool:
            return True

    class Matrixish(np.ndarray):
        pass

    class Intish(int):
        pass

    f, m, i, s, l, d = round_trip([LyingFloat(2.0), np.arange(3.0).view(Matrixish), Intish(4),  # noqa: E741 (l: the list)
                                   type("S", (str,), {})("x"), type("L", (list,), {})([1]),
                                   type("D", (dict,), {})(k=1)])
    assert type(f) is float and f == 2.0 and f != 3.0
    assert type(m) is np.ndarray
    assert (type(i), type(s), type(l), type(d)) == (int, str, list, dict)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_matrix_becomes_plain_ndarray() -> None:
    back = round_trip(np.asmatrix(np.eye(2)))
    assert type(back) is np.ndarray


@pytest.mark.parametrize("value", [
    {1: "int key"}, {1.5}, object(), b"bytes", 1 + 2j, np.array([1 + 2j]),
    np.array([None], dtype=object), np.zeros(2, dtype=[("a", "f8")]), np.array(["s"]),
    print, np.datetime64("2020-01-01"), np.array([0.5, "s"], dtype=object),
    np.array([0.5, 10 ** 400], dtype=object), np.array([0.5, 1j], dtype=object),
    np.array([np.zeros(2), np.zeros(2)] + [None], dtype=object)[:2],
    np.array([np.zeros(2), np.zeros(3)] + [None], dtype=object)[:2],
])
def test_unsupported_values_are_refused_on_encode(value: object) -> None:
    with pytest.raises(UnsupportedValue):
        wire.pack_message(value)


@pytest.mark.parametrize(("items", "dtype"), [([[0.5, -1.25], [2.0, 0.0]], np.float64),
                                             ([1, 2, 3], np.int64), ([1, 0.5], np.float64),
                                             ([[], []], np.float64)])
def test_an_object_array_of_numbers_crosses_as_numbers(items: list[object], dtype: type) -> None:
    """What np.frompyfunc returns: an object array of Python numbers, sent as the numbers' array."""
    sent = np.empty(np.shape(items), dtype=object)
    sent[...] = items
    back = round_trip(sent)
    assert type(back) is np.ndarray and back.dtype == dtype and back.shape == sent.shape
    assert np.array_equal(back, np.array(items, dtype=dtype))


def test_huge_json_part_is_refused_both_ways() -> None:
    with pytest.raises(UnsupportedValue, match="numpy arrays"):
        wire.pack_message([[]] * (wire.MAX_HEADER_BYTES // 3))
    header = b'{"value": [' + b"[]," * (wire.MAX_HEADER_BYTES // 3) + b'[]], "blobs": []}'
    with pytest.raises(ProtocolError, match="exceeds"):
        wire.unpack_frame(frame_from(None, raw_header=header))


def test_self_referencing_list_is_refused() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(UnsupportedValue):
        wire.pack_message(loop)


# ---------------------------------------------------------------- malformed input

GOOD_ARRAY = blob(np.arange(3.0))


def with_head(magic: bytes = b"AGA1", code: int = 11, ndim: int = 1, dims: tuple[int, ...] = (3,),
              data: bytes = b"\x00" * 24) -> bytes:
    """A hand-made array blob: the header the wire reads, with whatever lies it is given."""
    return struct.pack("<4sBB2x", magic, code, ndim) + b"".join(struct.pack("<q", n) for n in dims) + data


BAD_BLOBS = [
    with_head(code=200),                               # a dtype code outside the table (object, say)
    with_head(magic=b"\x93NUM"),                       # a .npy, or anything else
    with_head(dims=(1_000_000_000_000,)),              # a huge shape backed by 24 bytes
    with_head(dims=(-3,)),                             # a negative dimension
    with_head(ndim=65, dims=(1,) * 65, data=b"\x00" * 8),  # more dimensions than numpy has
    with_head(ndim=2, dims=(3,)),                      # fewer dimensions than announced
    b"AGA1",                                           # shorter than the header
]


@pytest.mark.parametrize("frame", [
    b"",
    b"\x00" * 7,
    struct.pack(">Q", 10) + b"short",
    frame_from(None, raw_header=b"{not json"),
    frame_from(None, raw_header=b"\xff\xfe"),
    frame_from(None, raw_header=b'{"value": NaN, "blobs": []}'),
    frame_from(None, raw_header=b'{"value": 1, "value": 2, "blobs": []}'),
    frame_from(None, raw_header=b'{"value": ' + b"[" * 5000 + b"]" * 5000 + b', "blobs": []}'),
    frame_from(None, raw_header=b'{"value": ' + b"9" * 5000 + b', "blobs": []}'),
    frame_from([1, 2]),
    frame_from({"value": 1}),
    frame_from({"value": 1, "blobs": [], "extra": 0}),
    frame_from({"value": {"pickle": "gASV"}, "blobs": []}),
    frame_from({"value": {"dict": 1}, "blobs": []}),
    frame_from({"value": {"dict": {}, "float": "nan"}, "blobs": []}),
    frame_from({"value": {"float": "NaN"}, "blobs": []}),
    frame_from({"value": {"ndarray": 0}, "blobs": []}),
    frame_from({"value": {"ndarray": True}, "blobs": [len(GOOD_ARRAY)]}, GOOD_ARRAY),
    frame_from({"value": [{"ndarray": 0}, {"ndarray": 0}], "blobs": [len(GOOD_ARRAY)]}, GOOD_ARRAY),
    frame_from({"value": None, "blobs": [len(GOOD_ARRAY)]}, GOOD_ARRAY),
    frame_from({"value": {"ndarray": 0}, "blobs": [len(GOOD_ARRAY) + 1]}, GOOD_ARRAY),
    frame_from({"value": {"ndarray": 0}, "blobs": [-1]}),
    frame_from({"value": {"ndarray": 0}, "blobs": [4]}, b"junk"),
    frame_from({"value": {"ndarray": 0}, "blobs": [len(GOOD_ARRAY) + 3]}, GOOD_ARRAY + b"xyz"),
    *(frame_from({"value": {"ndarray": 0}, "blobs": [len(bad)]}, bad) for bad in BAD_BLOBS),
    frame_from({"value": 1, "blobs": []}) + b"trailing",
], ids=lambda f: f"{len(f)}B")
def test_malformed_frames_raise_only_protocol_error(frame: bytes) -> None:
    with pytest.raises(ProtocolError):
        wire.unpack_frame(frame)


def test_oversized_frame_is_refused_from_its_prefix() -> None:
    prefix = struct.pack(">Q", wire.MAX_FRAME_BYTES + 1)
    with pytest.raises(wire.FrameTooLarge):
        wire.frame_length(prefix, wire.MAX_FRAME_BYTES)


def test_read_frame_refuses_oversized_frame_before_reading_body() -> None:
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, struct.pack(">Q", 2**62))  # no body follows at all
        with pytest.raises(wire.FrameTooLarge):
            wire.read_frame(read_fd, max_bytes=1024, deadline=time.monotonic() + 1)
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_read_frame_times_out_on_a_trickle() -> None:
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, wire.pack_message("abc")[:9])  # prefix plus one byte, then silence
        started = time.monotonic()
        with pytest.raises(wire.ChannelTimeout):
            wire.read_frame(read_fd, deadline=started + 0.3)
        assert time.monotonic() - started < 2
    finally:
        os.close(read_fd)
        os.close(write_fd)


def test_read_frame_reports_eof() -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, wire.pack_message("abc")[:5])
    os.close(write_fd)
    try:
        with pytest.raises(wire.ChannelClosed):
            wire.read_frame(read_fd, deadline=time.monotonic() + 1)
    finally:
        os.close(read_fd)


def test_frames_stream_over_a_pipe() -> None:
    read_fd, write_fd = os.pipe()
    try:
        message = {"id": 1, "value": np.arange(5.0)}
        wire.write_all(write_fd, wire.pack_message(message) * 2, time.monotonic() + 1)
        for _ in range(2):
            back = wire.unpack_payload(wire.read_frame(read_fd, deadline=time.monotonic() + 1))
            np.testing.assert_array_equal(back["value"], message["value"])
    finally:
        os.close(read_fd)
        os.close(write_fd)


# ---------------------------------------------------------------- messages

def test_response_must_match_request_id() -> None:
    assert wire.parse_response({"id": 3, "ok": True, "value": 1}, 3) == (True, 1)
    with pytest.raises(ProtocolError):
        wire.parse_response({"id": 4, "ok": True, "value": 1}, 3)


@pytest.mark.parametrize("message", [
    None, [], {"ok": True, "value": 1}, {"id": True, "ok": True, "value": 1},
    {"id": 1, "ok": 1, "value": 1}, {"id": 1, "ok": True},
    {"id": 1, "ok": False}, {"id": 1, "ok": False, "error": {"type": 1, "message": "m"}},
])
def test_malformed_responses_are_protocol_errors(message: object) -> None:
    with pytest.raises(ProtocolError):
        wire.parse_response(message, 1)


def test_error_text_is_clipped() -> None:
    ok, error = wire.parse_response(
        {"id": 1, "ok": False, "error": {"type": "E" * 1000, "message": "m" * 10**6}}, 1)
    assert not ok and len(error.type) < 300 and len(error.message) < wire.MAX_TEXT_CHARS + 100


@pytest.mark.parametrize(("old_id", "new_id"), [(1, 2), (9, 10), (10, 9), (1, 123456789012), (77, 77)])
def test_a_renumbered_call_request_is_the_frame_packed_under_the_new_id(old_id: int, new_id: int) -> None:
    options = wire.CallOptions(errstate=True, readonly_inputs=True)
    args = [np.linspace(-2.0, 2.0, 5), {"nested": [1, "two", None]}]

    def packed(request_id: int) -> bytes:
        return wire.pack_message(wire.call_request(request_id, "leaky_relu", args, {"alpha": 0.1}, options=options))

    renumbered = wire.renumbered(packed(old_id), new_id)
    assert renumbered == packed(new_id)
    assert wire.request_id_of(renumbered) == new_id
    assert wire.request_key(packed(old_id)) == wire.request_key(packed(new_id))
    assert wire.unpack_frame(renumbered)["id"] == new_id


def test_request_keys_tell_apart_calls_that_ask_different_things() -> None:
    def key(function: str, x: float, **kwargs: float) -> bytes:
        return wire.request_key(wire.pack_message(wire.call_request(5, function, [np.full(2, x)], kwargs)))

    assert len({key("relu", 1.0), key("relu", 2.0), key("elu", 1.0), key("elu", 1.0, alpha=0.5)}) == 4


@pytest.mark.parametrize("frame", [wire.pack_message({"op": "call", "id": 3}), wire.pack_message([1, 2]),
                                   b"", wire.raw_frame(b"{}")])
def test_only_a_packed_call_request_has_a_request_key(frame: bytes) -> None:
    with pytest.raises(ValueError):
        wire.request_key(frame)
    with pytest.raises(ValueError):
        wire.renumbered(frame, 4)
