"""What assignment suites are written with: oracle-backed expectations and helpers."""

from autograder.gradcheck import spread
from autograder.suite.expect import (
    Expected,
    UnderivedExpectation,
    as_float_array,
    assert_close,
    assert_equal_value,
    assert_float_array_like,
    assert_gradcheck,
    assert_raises_value_error,
    derive,
    fail,
)

__all__ = [
    "Expected",
    "UnderivedExpectation",
    "as_float_array",
    "assert_close",
    "assert_equal_value",
    "assert_float_array_like",
    "assert_gradcheck",
    "assert_raises_value_error",
    "derive",
    "fail",
    "spread",
]
