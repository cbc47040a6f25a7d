"""Normalised tokens: renaming, reformatting, comments and docstrings change nothing; the
structure does; code Python cannot read is still read."""

from __future__ import annotations

from autograder.integrity.tokens import cells_tokens, code_tokens

ORIGINAL = '''def softmax(z, axis=-1):
    """Softmax along axis."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
'''
DISGUISED = '''def softmax(logits, axis = -2):
    # shift by the max so nothing overflows
    logits = np.asarray(logits,
                        dtype = np.float64)
    ex = np.exp(logits - np.max(logits, axis=axis, keepdims=True))  # stable
    return ex / np.sum(ex, axis=axis, keepdims=True)
'''


def texts(code: str) -> list[str]:
    return [t.text for t in code_tokens(code)]


def test_renaming_reformatting_comments_and_docstrings_change_nothing() -> None:
    assert texts(ORIGINAL) == texts(DISGUISED)


def test_library_calls_keywords_and_builtins_are_kept() -> None:
    found = texts("y = np.exp(max(x, 0)) if x else None\n")
    assert {"exp", "max", "if", "else", "None"} <= set(found)
    assert found.count("V") == 4  # y, np, x, x


def test_a_different_structure_differs() -> None:
    assert texts(ORIGINAL) != texts(ORIGINAL.replace("e / np.sum", "e * np.sum"))


def test_each_token_points_at_its_text() -> None:
    for token in code_tokens(DISGUISED):
        piece = DISGUISED[token.start:token.end]
        assert piece.strip() or token.text in ("NEWLINE", "INDENT", "DEDENT")
        if token.text == "exp":
            assert piece == "exp"


def test_code_python_cannot_read_is_read_by_the_fallback() -> None:
    broken = 'def f(x:\n    return np.exp(x) + "unclosed\n'
    found = texts(broken)
    assert found[:2] == ["def", "V"] and "exp" in found
    assert all(broken[t.start:t.end] for t in code_tokens(broken))


def test_cells_are_offset_into_the_joined_text() -> None:
    cells = ["import numpy as np", "def f(x):\n    return np.tanh(x)"]
    joined = "\n\n".join(cells)
    for token in cells_tokens(cells, "\n\n"):
        if token.text == "tanh":
            assert joined[token.start:token.end] == "tanh"
