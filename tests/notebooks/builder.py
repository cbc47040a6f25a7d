"""A corpus of notebooks and scripts as students really hand them in, built with nbformat.

Every item holds the ``activations`` solution's functions (``solution_source``)
wrapped in what students add around them: magics and shell lines, plots,
scratch cells calling unfinished stubs, typos, ``input()``, redefinitions,
stored outputs with a large image, cells out of order, JupyterLab widget
metadata, trailing demo code, renamed files in folders and zips. Each item
also names the clean ``.py`` it must score like (per skill), and the warnings
its grading must give, each with its cell and line.
"""

from __future__ import annotations

import ast
import base64
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.assignment import Assignment
from autograder.release import solution_source, stub_source


@dataclass(frozen=True)
class Solution:
    """The instructor's functions, one source text each, and the released stubs."""

    source: str
    imports: str
    functions: dict[str, str]
    stubs: dict[str, str]

    @classmethod
    def of(cls, assignment: Assignment) -> Solution:
        source = solution_source(assignment)
        return cls(source, "import numpy as np", _functions(source), _functions(stub_source(assignment)))

    def cells(self, *names: str) -> list[str]:
        """The source of the named functions (all of them by default), one per cell."""
        return [self.functions[name] for name in names or self.functions]

    def without(self, *names: str) -> list[str]:
        return [source for name, source in self.functions.items() if name not in names]


def _functions(source: str) -> dict[str, str]:
    """Every top-level ``def`` of ``source``, by name, as written (markers included)."""
    tree = ast.parse(source)
    return {node.name: ast.get_source_segment(source, node) or "" for node in tree.body
            if isinstance(node, ast.FunctionDef)}


class Notebook:
    """A notebook under construction; adding a cell returns its number (1-based, markdown counts)."""

    def __init__(self) -> None:
        self.node: NotebookNode = nbformat.v4.new_notebook()
        self.node.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}

    def markdown(self, text: str) -> int:
        self.node.cells.append(nbformat.v4.new_markdown_cell(text))
        return len(self.node.cells)

    def code(self, text: str, **fields: object) -> int:
        self.node.cells.append(nbformat.v4.new_code_cell(text, **fields))  # type: ignore[arg-type]
        return len(self.node.cells)

    def write(self, path: Path) -> Path:
        nbformat.validate(self.node)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(self.node, str(path))
        return path


@dataclass(frozen=True)
class Built:
    """A written corpus item: where it is, and what its warnings must say (each with cell and line)."""

    path: Path
    mentions: tuple[str, ...]
    warnings: int


@dataclass(frozen=True)
class CorpusItem:
    """How to write one submission, and the clean ``.py`` of the same functions it must score like."""

    name: str
    build: Callable[[Path, Solution], Built]
    clean: Callable[[Solution], str] = field(default=lambda solution: solution.source)


def png(width: int, height: int) -> bytes:
    """A real PNG of noise (noise does not compress, so the file is about width * height * 3 bytes)."""
    import random

    rng = random.Random(0)
    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b"")


def _solution_notebook(solution: Solution, notebook: Notebook | None = None, *,
                       names: tuple[str, ...] = ()) -> Notebook:
    notebook = notebook or Notebook()
    for cell in solution.cells(*names):
        notebook.code(cell)
    return notebook


# ------------------------------------------------------------------ the items


def magics_and_shell(folder: Path, solution: Solution) -> Built:
    nb = Notebook()
    nb.markdown("# Activation functions")
    magics = nb.code("%matplotlib inline\n%load_ext autoreload\n%autoreload 2")
    shell = nb.code("!pip install numpy matplotlib\n" + solution.imports)
    _solution_notebook(solution, nb)
    bash = nb.code("%%bash\nls -la\necho done")
    nb.code("%time check = sigmoid(np.zeros(3))\nprint(check)")
    captured = nb.code("files = !ls\nnp.exp?")
    nb.code("%%time\nvalues = tanh(np.linspace(-3, 3, 7))\nprint(values)")
    nb.code("%timeit relu(np.ones(10))")
    mentions = (f"cell {magics}, line 1: skipped IPython-only line '%matplotlib inline'",
                f"cell {magics}, line 3: skipped IPython-only line '%autoreload 2'",
                f"cell {shell}, line 1: skipped IPython-only line '!pip install numpy matplotlib'",
                f"cell {bash}: skipped a %%bash cell (not Python)",
                f"cell {captured}, line 1: skipped IPython-only line 'files = !ls'",
                f"cell {captured}, line 2: skipped IPython-only line 'np.exp?'")
    return Built(nb.write(folder / "magics.ipynb"), mentions, 7)


def plots(folder: Path, solution: Solution) -> Built:
    nb = Notebook()
    nb.code(solution.imports + "\nimport matplotlib.pyplot as plt\nfrom IPython.display import display\n"
            "from tqdm.notebook import tqdm\nimport seaborn as sns\nsns.set_theme()")
    _solution_notebook(solution, nb)
    nb.code("x = np.linspace(-5, 5, 201)\n"
            "fig, axes = plt.subplots(1, 3, figsize=(15, 4))\n"
            "for ax, f in zip(axes, [sigmoid, tanh, relu]):\n"
            "    ax.plot(x, f(x))\n"
            "    ax.set_title(f.__name__)\n"
            "plt.tight_layout()\n"
            "plt.savefig('activations.png', dpi=150)\n"
            "plt.show()")
    nb.code("def plot_activation(f, df, name):\n"
            "    xs = np.linspace(-6, 6, 300)\n"
            "    plt.figure(figsize=(6, 4))\n"
            "    plt.plot(xs, f(xs), label=name)\n"
            "    plt.plot(xs, df(xs), '--', label=name + \"'\")\n"
            "    plt.legend(); plt.grid(True)\n"
            "    plt.show()\n"
            "\n"
            "for f, df, name in [(sigmoid, sigmoid_derivative, 'sigmoid'), (elu, elu_derivative, 'elu')]:\n"
            "    plot_activation(f, df, name)")
    nb.code("display(softmax(np.array([1.0, 2.0, 3.0])))\nfor epoch in tqdm(range(3), desc='epochs'):\n    pass")
    nb.code("plt.imshow(softmax_jacobian(np.array([0.5, 1.0, 2.0])), cmap='viridis')\nplt.colorbar()\nplt.show()")
    return Built(nb.write(folder / "plots.ipynb"), (), 0)


def scratch_calls_a_stub(folder: Path, solution: Solution) -> Built:
    """The released stub of ``elu`` left in place, a scratch cell calling it, the real ``elu`` below."""
    nb = Notebook()
    nb.code(solution.imports)
    for cell in solution.without("elu", "elu_derivative", "softmax", "softmax_jacobian"):
        nb.code(cell)
    stub = nb.code(solution.stubs["elu"])
    scratch = nb.code("elu(np.array([-1.0, 1.0]))")
    nb.code(solution.functions["elu"])
    for name in ("elu_derivative", "softmax", "softmax_jacobian"):
        nb.code(solution.functions[name])
    raise_line = solution.stubs["elu"].splitlines().index("    raise NotImplementedError()") + 1
    mention = (f"cell {scratch}, line 1: `elu(np.array([-1.0, 1.0]))` raised NotImplementedError "
               f"(in elu, cell {stub}, line {raise_line}); the rest of the notebook still ran")
    return Built(nb.write(folder / "scratch_stub.ipynb"), (mention,), 1)


def typos(folder: Path, solution: Solution) -> Built:
    nb = Notebook()
    nb.code(solution.imports)
    _solution_notebook(solution, nb)
    misspelt = nb.code("sigmiod(np.array([0.0]))")
    unclosed = nb.code("x = np.array([1.0, 2.0])\nprint(softmax(x)")
    wrong_name = nb.code("resutl = relu(np.array([-1.0]))\nprint(result)")
    mentions = (f"cell {misspelt}, line 1: `sigmiod(np.array([0.0]))` raised NameError: name 'sigmiod' is not defined",
                f"cell {unclosed}, line 2 (`print(softmax(x)`): SyntaxError: '(' was never closed; "
                "the whole cell was skipped",
                f"cell {wrong_name}, line 2: `print(result)` raised NameError: name 'result' is not defined")
    return Built(nb.write(folder / "typos.ipynb"), mentions, 3)


def asks_for_input(folder: Path, solution: Solution) -> Built:
    nb = Notebook()
    nb.code(solution.imports)
    hello = nb.code("name = input('What is your name? ')\nprint(f'Hello {name}!')")
    points = nb.code("n_points = int(input('How many points? '))\nxs = np.linspace(-3, 3, 11)")
    _solution_notebook(solution, nb)
    mentions = (f"cell {points}, line 1: `n_points = int(input('How many points? '))` raised ValueError",
                f"cell {hello}, line 1 (`name = input('What is your name? ')`): input() was answered with an "
                "empty string",
                f"cell {points}, line 1 (`n_points = int(input('How many points? '))`): input() was answered")
    return Built(nb.write(folder / "input.ipynb"), mentions, 3)


NAIVE = ("def sigmoid(x):\n    return 1 / (1 + np.exp(-x))  # first try: overflows\n\n\n"
         "def relu(x):\n    return x  # TODO\n")
WRONG_RELU_DERIVATIVE = "def relu_derivative(x):\n    return relu(x)  # tried something\n"


def redefined_later(folder: Path, solution: Solution) -> Built:
    """A first, wrong ``sigmoid`` and ``relu``, replaced by the right ones further down: the last wins."""
    nb = Notebook()
    nb.code(solution.imports)
    nb.code(NAIVE)
    nb.code("print(sigmoid(np.array([0.0, 1.0])))")
    _solution_notebook(solution, nb)
    return Built(nb.write(folder / "redefined.ipynb"), (), 0)


def redefined_worse(folder: Path, solution: Solution) -> Built:
    """The right ``relu_derivative`` first, a wrong one last: the last still wins (and loses points)."""
    nb = Notebook()
    nb.code(solution.imports)
    _solution_notebook(solution, nb)
    nb.code(WRONG_RELU_DERIVATIVE)
    return Built(nb.write(folder / "redefined_worse.ipynb"), (), 0)


def stored_outputs(folder: Path, solution: Solution) -> Built:
    """Every code cell ran before saving: streams, results, an old error and a large PNG (about 1.2 MB)."""
    nb = Notebook()
    nb.code(solution.imports + "\nimport matplotlib.pyplot as plt\nxs = np.linspace(-5, 5, 101)",
            execution_count=1, outputs=[])
    for count, cell in enumerate(solution.cells(), start=2):
        nb.code(cell, execution_count=count, outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="defined\n")])
    image = base64.b64encode(png(640, 640)).decode("ascii")
    nb.code("plt.plot(xs, sigmoid(xs))", execution_count=40, outputs=[
        nbformat.v4.new_output("execute_result", data={"text/plain": "[<matplotlib.lines.Line2D at 0x7f>]"},
                               execution_count=40),
        nbformat.v4.new_output("display_data", data={"image/png": image, "text/plain": "<Figure size 640x480>"})])
    nb.code("sigmoid(np.array([0.0]))", execution_count=41, outputs=[
        nbformat.v4.new_output("error", ename="NameError", evalue="name 'sigmoid' is not defined",
                               traceback=["\x1b[0;31mNameError\x1b[0m: name 'sigmoid' is not defined"])])
    path = nb.write(folder / "stored_outputs.ipynb")
    assert path.stat().st_size > 1_000_000
    return Built(path, (), 0)


def out_of_order(folder: Path, solution: Solution) -> Built:
    """A cell using ``relu`` above the cell that defines it; execution counts show the real order."""
    nb = Notebook()
    nb.code(solution.imports, execution_count=1)
    early = nb.code("print(relu(np.array([-1.0, 2.0])))\nprint(leaky_relu(np.array([-1.0])))", execution_count=9)
    nb.code(solution.functions["sigmoid_derivative"], execution_count=4)  # uses sigmoid, defined below
    for count, name in enumerate(solution.functions, start=5):
        if name != "sigmoid_derivative":
            nb.code(solution.functions[name], execution_count=count)
    mentions = (f"cell {early}, line 1: `print(relu(np.array([-1.0, 2.0])))` raised NameError",
                f"cell {early}, line 2: `print(leaky_relu(np.array([-1.0])))` raised NameError")
    return Built(nb.write(folder / "out_of_order.ipynb"), mentions, 2)


WIDGET_ID = "4f9c6b1e2a3d4c5b8e7f6a5b4c3d2e1f"


def jupyterlab_widgets(folder: Path, solution: Solution) -> Built:
    """Saved from JupyterLab: cell ids, timing and visibility metadata, widget state and widget outputs."""
    nb = Notebook()
    nb.node.metadata.update({
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"codemirror_mode": {"name": "ipython", "version": 3}, "file_extension": ".py",
                          "mimetype": "text/x-python", "name": "python", "nbconvert_exporter": "python",
                          "pygments_lexer": "ipython3", "version": "3.11.7"},
        "widgets": {"application/vnd.jupyter.widget-state+json": {
            "state": {WIDGET_ID: {"model_module": "@jupyter-widgets/controls", "model_module_version": "2.0.0",
                                  "model_name": "FloatSliderModel",
                                  "state": {"description": "x", "max": 5.0, "min": -5.0, "value": 0.0}}},
            "version_major": 2, "version_minor": 0}}})
    timing = {"iopub.execute_input": "2024-05-02T10:00:00.000Z", "shell.execute_reply": "2024-05-02T10:00:00.100Z"}
    nb.code(solution.imports + "\nimport ipywidgets as widgets\nfrom ipywidgets import interact",
            metadata={"tags": [], "execution": timing, "jupyter": {"source_hidden": False}}, execution_count=1)
    for cell in solution.cells():
        nb.code(cell, metadata={"tags": [], "execution": timing})
    view = {"application/vnd.jupyter.widget-view+json": {"model_id": WIDGET_ID, "version_major": 2,
                                                          "version_minor": 0},
            "text/plain": "interactive(children=(FloatSlider(value=0.0, description='x'),))"}
    nb.code("@interact(x=(-5.0, 5.0))\ndef show(x=0.0):\n    print(sigmoid(x), sigmoid_derivative(x))",
            metadata={"collapsed": True, "jupyter": {"outputs_hidden": True}},
            outputs=[nbformat.v4.new_output("display_data", data=view)])
    nb.code("from tqdm.notebook import tqdm\nfor _ in tqdm(range(10)):\n    softmax(np.ones(3))",
            outputs=[nbformat.v4.new_output("display_data", data=view)])
    return Built(nb.write(folder / "jupyterlab.ipynb"), (), 0)


def script_with_a_trailing_demo(folder: Path, solution: Solution) -> Built:
    source = solution.source + '''

# quick check before submitting
print(sigmoid(np.array([-1.0, 0.0, 1.0])))
import matplotlib.pyplot as plt
xs = np.linspace(-5, 5)
plt.plot(xs, elu(xs))
plt.show()
demo(sigmoid)

if __name__ == "__main__":
    value = float(input("x = "))
    print(sigmoid(value))
'''
    path = folder / "trailing_demo.py"
    path.write_text(source, encoding="utf-8")
    line = source.splitlines().index("demo(sigmoid)") + 1
    return Built(path, (f"line {line}: `demo(sigmoid)` raised NameError: name 'demo' is not defined; "
                        "the rest of the file still ran",), 1)


def script_calling_an_unfinished_helper(folder: Path, solution: Solution) -> Built:
    source = solution.source + '''

def plot_everything():
    # YOUR CODE HERE
    raise NotImplementedError()


plot_everything()
'''
    path = folder / "unfinished_helper.py"
    path.write_text(source, encoding="utf-8")
    line = source.splitlines().index("plot_everything()") + 1
    return Built(path, (f"line {line}: `plot_everything()` raised NotImplementedError (in plot_everything, "
                        f"line {line - 3})",), 1)


def renamed_in_a_zip(folder: Path, solution: Solution) -> Built:
    """A zip holding ``Activations-final.ipynb``, a helper script and Jupyter's checkpoint copy."""
    notebook = _solution_notebook(solution, Notebook())
    notebook.node.cells.insert(0, nbformat.v4.new_code_cell(solution.imports))
    text = nbformat.writes(notebook.node)
    path = folder / "carol.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("carol/Activations-final.ipynb", text)
        archive.writestr("carol/helpers.py", "SEED = 0\n")
        archive.writestr("carol/.ipynb_checkpoints/Activations-final-checkpoint.ipynb", text)
    return Built(path, (), 0)


def browser_duplicate_in_a_folder(folder: Path, solution: Solution) -> Built:
    """A folder holding ``activations (1).py`` (a second download) and the student's notes."""
    student = folder / "dave"
    student.mkdir()
    (student / "activations (1).py").write_text(solution.source, encoding="utf-8")
    (student / "scratch.py").write_text("import numpy as np\nprint(np.pi)\n", encoding="utf-8")
    return Built(student, (), 0)


CORPUS: tuple[CorpusItem, ...] = (
    CorpusItem("magics_and_shell", magics_and_shell),
    CorpusItem("plots", plots),
    CorpusItem("scratch_calls_a_stub", scratch_calls_a_stub),
    CorpusItem("typos", typos),
    CorpusItem("input", asks_for_input),
    CorpusItem("redefined_later", redefined_later),
    CorpusItem("redefined_worse", redefined_worse, lambda s: s.source + "\n\n" + WRONG_RELU_DERIVATIVE),
    CorpusItem("stored_outputs", stored_outputs),
    CorpusItem("out_of_order", out_of_order),
    CorpusItem("jupyterlab_widgets", jupyterlab_widgets),
    CorpusItem("script_with_a_trailing_demo", script_with_a_trailing_demo),
    CorpusItem("script_calling_an_unfinished_helper", script_calling_an_unfinished_helper),
    CorpusItem("renamed_in_a_zip", renamed_in_a_zip),
    CorpusItem("browser_duplicate_in_a_folder", browser_duplicate_in_a_folder),
)
