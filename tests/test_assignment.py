"""Manifests: the bundled ones load, and every malformed one is a clear ManifestError.
Courses: where the assignments are found (``--course``, ``AUTOGRADER_COURSE``, the clone),
and a student's release folder standing on its own."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import autograder.assignment as assignment_module
from autograder.assignment import (
    COURSE_ENV,
    MANIFEST_KEYS,
    MANIFEST_VERSION,
    Assignment,
    Course,
    CourseError,
    Limits,
    ManifestError,
    assignment_for_file,
    available_assignments,
    find_course,
    get_assignment,
    load_manifest,
    load_release,
    release_manifest,
)

BUNDLED = available_assignments()
REPO = Path(__file__).resolve().parent.parent
ASSIGNMENTS_ROOT = REPO / "assignments"


def manifest_copy(tmp_path: Path, edit: str = "", *, folder: str = "activations",
                  drop: str | None = None, replace: tuple[str, str] | None = None) -> Path:
    """The bundled activations manifest copied to ``tmp_path/folder``, with one change.

    ``edit`` is appended TOML (top-level keys must go before ``[limits]``, so they
    are inserted at the top); ``drop`` removes a top-level key's line;
    ``replace`` is a (pattern, replacement) regex applied to the text.
    """
    root = tmp_path / folder
    root.mkdir(parents=True)
    text = (ASSIGNMENTS_ROOT / "activations" / "manifest.toml").read_text(encoding="utf-8")
    if drop is not None:
        text = re.sub(rf"(?m)^{drop} = [^\n]*$", "", text)
    if replace is not None:
        text, count = re.subn(replace[0], replace[1], text, count=1, flags=re.MULTILINE | re.DOTALL)
        assert count == 1, f"pattern {replace[0]!r} did not match the manifest"  # its first match only
    (root / "manifest.toml").write_text(edit + "\n" + text, encoding="utf-8")
    return root


@pytest.mark.parametrize("assignment_id", BUNDLED)
def test_each_bundled_manifest_loads(assignment_id: str) -> None:
    assignment = get_assignment(assignment_id)
    assert assignment.id == assignment_id == assignment.root.name
    assert assignment.manifest_version == MANIFEST_VERSION
    assert assignment.functions and all(isinstance(f, str) for f in assignment.functions)
    assert assignment.total_points > 0
    assert assignment.source_path.is_file()
    assert assignment.hidden_tests.is_dir() and assignment.public_tests.is_dir()


def test_the_three_assignments_of_the_unit_are_bundled() -> None:
    assert BUNDLED == ["activations", "backprop", "vanishing"]


def test_a_faithful_copy_loads_like_the_bundled_one(tmp_path: Path) -> None:
    copy = load_manifest(manifest_copy(tmp_path))
    bundled = get_assignment("activations")
    assert isinstance(copy, Assignment)
    assert (copy.functions, copy.total_points, copy.limits) == (bundled.functions, bundled.total_points,
                                                                bundled.limits)


def test_limits_default_when_the_table_is_missing(tmp_path: Path) -> None:
    root = manifest_copy(tmp_path)
    path = root / "manifest.toml"
    without = re.sub(r"\[limits\]\n(?:[^\n\[]+\n)*", "", path.read_text(encoding="utf-8"))
    path.write_text(without, encoding="utf-8")
    assert load_manifest(root).limits == Limits()


def test_the_default_limits_are_the_sandboxs_defaults() -> None:
    """A worker started before its manifest is read (``check``) gets ``SandboxLimits()``: the
    limits a manifest without a [limits] table, and each bundled one, asks for."""
    from autograder.grading.early import sandbox_limits
    from autograder.sandbox.limits import SandboxLimits

    assert sandbox_limits(Limits()) == SandboxLimits()
    for assignment_id in ("activations", "backprop", "vanishing"):
        assert sandbox_limits(get_assignment(assignment_id).limits) == SandboxLimits()


def test_unknown_key_is_named(tmp_path: Path) -> None:
    root = manifest_copy(tmp_path, 'total_point = 100')  # a typo must not fall back to a default
    with pytest.raises(ManifestError, match=r"unknown keys \['total_point'\]"):
        load_manifest(root)


def test_unknown_limit_is_named(tmp_path: Path) -> None:
    root = manifest_copy(tmp_path, replace=(r"^memory_mb = [^\n]*$", "memory_gb = 1"))
    with pytest.raises(ManifestError, match=r"unknown limits \['memory_gb'\]"):
        load_manifest(root)


@pytest.mark.parametrize(("key", "value", "expected_type"), [
    ("total_points", '"100"', "float"),
    ("total_points", "true", "float"),
    ("functions", '"sigmoid"', "list"),
    ("title", "3", "str"),
    ("manifest_version", "1.0", "int"),
    ("limits", '"fast"', "dict"),
])
def test_wrong_type_names_key_expected_type_and_value(tmp_path: Path, key: str, value: str,
                                                       expected_type: str) -> None:
    if key == "limits":  # the [limits] table replaced by a string
        root = manifest_copy(tmp_path)
        path = root / "manifest.toml"
        head = path.read_text(encoding="utf-8").split("[limits]")[0]
        path.write_text(f"{head}limits = {value}\n", encoding="utf-8")
    else:
        root = manifest_copy(tmp_path, replace=(rf"^{key} = (\[.*?\]|[^\n]*)", f"{key} = {value}"))
    with pytest.raises(ManifestError) as err:
        load_manifest(root)
    message = str(err.value)
    assert f"{key!r} should be {expected_type}" in message
    assert "manifest.toml" in message


def test_missing_key_is_named(tmp_path: Path) -> None:
    root = manifest_copy(tmp_path, drop="title")
    with pytest.raises(ManifestError, match=r"missing key 'title'"):
        load_manifest(root)


def test_wrong_version_is_refused(tmp_path: Path) -> None:
    root = manifest_copy(tmp_path, replace=(r"^manifest_version = [^\n]*$", "manifest_version = 2"))
    with pytest.raises(ManifestError, match=f"manifest_version 2 is not {MANIFEST_VERSION}"):
        load_manifest(root)


def test_id_must_equal_the_folder_name(tmp_path: Path) -> None:
    root = manifest_copy(tmp_path, folder="activations_v2")
    with pytest.raises(ManifestError, match=r"id 'activations' differs from folder 'activations_v2'"):
        load_manifest(root)


def test_invalid_toml_is_a_manifest_error(tmp_path: Path) -> None:
    root = manifest_copy(tmp_path, "this is = = not toml")
    with pytest.raises(ManifestError, match="cannot read"):
        load_manifest(root)


def test_missing_manifest_is_a_manifest_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(ManifestError, match="cannot read"):
        load_manifest(tmp_path / "empty")


def test_unknown_assignment_lists_the_known_ones() -> None:
    with pytest.raises(ManifestError) as err:
        get_assignment("activatons")
    assert str(err.value) == f"no assignment 'activatons' in course {ASSIGNMENTS_ROOT}; known: {', '.join(BUNDLED)}"


@pytest.mark.parametrize("bad_id", ["", ".", "..", "activations/../backprop", "/etc", "activations/tests"])
def test_an_id_is_a_folder_name_never_a_path(bad_id: str) -> None:
    with pytest.raises(ManifestError, match="no assignment .* in course .*; known: activations"):
        get_assignment(bad_id)


def test_schema_describes_every_manifest_key() -> None:
    keys = set(MANIFEST_KEYS)
    text = (ASSIGNMENTS_ROOT / "activations" / "manifest.toml").read_text(encoding="utf-8")
    assert keys == set(re.findall(r"(?m)^(\w+) = ", text.split("[limits]")[0])) | {"limits", "skill", "rules"}
    assert all(description for _, description in MANIFEST_KEYS.values())


@pytest.mark.parametrize(("value", "message"), [
    ('"lots"', "limits.memory_mb should be int"),
    ("1.5", "limits.memory_mb should be int"),
    ("true", "limits.memory_mb should be int"),
    ("0", "limits.memory_mb must be positive and finite"),
    ("-512", "limits.memory_mb must be positive and finite"),
], ids=["string", "float-for-int", "bool", "zero", "negative"])
def test_a_mistyped_or_non_positive_limit_is_refused(tmp_path: Path, value: str, message: str) -> None:
    root = manifest_copy(tmp_path, replace=(r"^memory_mb = [^\n]*$", f"memory_mb = {value}"))
    with pytest.raises(ManifestError, match=message):
        load_manifest(root)


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_non_finite_time_limit_is_refused(tmp_path: Path, value: str) -> None:
    root = manifest_copy(tmp_path, replace=(r"^call_timeout_s = [^\n]*$", f"call_timeout_s = {value}"))
    with pytest.raises(ManifestError, match="limits.call_timeout_s must be positive and finite"):
        load_manifest(root)


def test_an_integer_time_limit_is_accepted(tmp_path: Path) -> None:
    root = manifest_copy(tmp_path, replace=(r"^call_timeout_s = [^\n]*$", "call_timeout_s = 2"))
    assert load_manifest(root).limits.call_timeout_s == pytest.approx(2.0)


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-10"])
def test_total_points_must_be_positive_and_finite(tmp_path: Path, value: str) -> None:
    """A NaN total could not even be written to results.json (no NaN in JSON)."""
    root = manifest_copy(tmp_path, replace=(r"^total_points = [^\n]*$", f"total_points = {value}"))
    with pytest.raises(ManifestError, match="total_points must be a positive finite number"):
        load_manifest(root)


def test_functions_must_be_a_list_of_names(tmp_path: Path) -> None:
    root = manifest_copy(tmp_path, replace=(r"^functions = (\[.*?\])", "functions = [1, 2]"))
    with pytest.raises(ManifestError, match="functions"):
        load_manifest(root)


@pytest.mark.parametrize(("edit", "message"), [
    ((r'^points = 14$', "points = 13"), "skills add up to 99 points, total_points says 100"),
    ((r'^name = "tanh"$', 'name = "sigmoid"'), "distinct names"),
    ((r'^points = 14$', "points = -14"), "points must be positive"),
    ((r'^title = "sigmoid\(x\)[^\n]*$', "title = 3"), "name and title should be non-empty strings"),
    ((r'^contract_share = 0.2$', "contract_share = 0.9"), "contract_share must be a number in [0, 0.5]"),
], ids=["points-do-not-add-up", "duplicate-skill", "negative-points", "title-not-text", "contract-share-too-big"])
def test_a_malformed_skill_table_is_refused(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    root = manifest_copy(tmp_path, replace=edit)
    with pytest.raises(ManifestError, match=re.escape(message)):
        load_manifest(root)


def test_the_credit_model_is_read_from_the_manifest() -> None:
    credit = get_assignment("activations").credit
    assert credit.contract_share == pytest.approx(0.2)
    assert credit.skill("sigmoid").points == pytest.approx(14.0)  # type: ignore[union-attr]
    assert credit.total == pytest.approx(100.0) and credit.skill("nope") is None


# --------------------------------------------------------------------------
# Where the course is: --course, $AUTOGRADER_COURSE, the current folder, the clone


def course_copy(tmp_path: Path, *ids: str) -> Path:
    """A course folder in ``tmp_path`` holding copies of the bundled assignments ``ids``."""
    course = tmp_path / "course"
    course.mkdir()
    for assignment_id in ids:
        shutil.copytree(ASSIGNMENTS_ROOT / assignment_id, course / assignment_id,
                        ignore=shutil.ignore_patterns("__pycache__", "samples"))
    return course


def test_the_clone_s_assignments_are_the_default_course(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(COURSE_ENV, raising=False)
    monkeypatch.chdir(REPO)
    assert find_course() == Course(ASSIGNMENTS_ROOT, "the current folder")
    monkeypatch.chdir(REPO / "autograder" / "grading")  # from a sub-folder of the clone too
    assert find_course().root == ASSIGNMENTS_ROOT
    assert BUNDLED == find_course().ids()


def test_outside_the_clone_the_kit_s_own_clone_is_found_last(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(COURSE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    course = find_course()
    if Path(assignment_module.__file__).resolve().parent.parent == REPO:  # an editable install or a checkout
        assert course == Course(ASSIGNMENTS_ROOT, "the kit's clone")
    else:
        assert course.root == ASSIGNMENTS_ROOT  # pragma: no cover (an installed kit never finds a course)


def test_no_course_anywhere_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(COURSE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(assignment_module, "_kit_clone_course", lambda: None)  # as an installed kit
    with pytest.raises(CourseError) as err:
        get_assignment("activations")
    message = str(err.value)
    assert "\n" not in message and "--course DIR" in message and COURSE_ENV in message


def test_course_option_and_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    course = course_copy(tmp_path, "vanishing")
    monkeypatch.setenv(COURSE_ENV, str(course))
    assert find_course() == Course(course, f"${COURSE_ENV}")
    assert available_assignments() == ["vanishing"]
    assert get_assignment("vanishing").root == course / "vanishing"
    with pytest.raises(ManifestError, match=f"no assignment 'activations' in course {re.escape(str(course))}; "
                                            "known: vanishing$"):
        get_assignment("activations")
    assert find_course(ASSIGNMENTS_ROOT).root == ASSIGNMENTS_ROOT  # the option wins over the variable
    assert get_assignment("activations", ASSIGNMENTS_ROOT).root == ASSIGNMENTS_ROOT / "activations"
    with pytest.raises(CourseError, match="does not exist"):
        find_course(tmp_path / "missing")


def test_a_course_folder_as_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    course = course_copy(tmp_path, "backprop")
    monkeypatch.delenv(COURSE_ENV, raising=False)
    monkeypatch.chdir(course)
    assert find_course() == Course(course, "the current folder")
    project = tmp_path / "project"
    (project / "assignments").mkdir(parents=True)
    shutil.copytree(course / "backprop", project / "assignments" / "backprop")
    monkeypatch.chdir(project)
    assert find_course().root == project / "assignments"


# --------------------------------------------------------------------------
# A student's release folder: assignment.toml


@pytest.mark.parametrize("assignment_id", BUNDLED)
def test_the_release_manifest_reads_back_as_the_same_assignment(assignment_id: str, tmp_path: Path) -> None:
    assignment = get_assignment(assignment_id)
    folder = tmp_path / "renamed-by-the-student"
    folder.mkdir()
    (folder / "assignment.toml").write_text(release_manifest(assignment), encoding="utf-8")
    released = load_release(folder)
    assert released.released and released.root == folder
    assert released.public_tests == folder / "tests"
    same = ("id", "title", "module", "functions", "total_points", "limits", "credit", "manifest_version")
    assert {k: getattr(released, k) for k in same} == {k: getattr(assignment, k) for k in same}


def test_check_finds_the_release_beside_the_file_before_any_course(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "release"
    folder.mkdir()
    (folder / "assignment.toml").write_text(release_manifest(get_assignment("vanishing")), encoding="utf-8")
    file = folder / "vanishing.py"
    file.write_text("x = 1\n", encoding="utf-8")
    assert assignment_for_file(file).root == folder and assignment_for_file(file).released
    assert assignment_for_file(file, "vanishing").released
    # an explicit course, or another assignment asked for, is read from the course
    assert assignment_for_file(file, course=ASSIGNMENTS_ROOT).root == ASSIGNMENTS_ROOT / "vanishing"
    assert assignment_for_file(file, "backprop").root == ASSIGNMENTS_ROOT / "backprop"
    monkeypatch.chdir(folder)  # `autograder check ~/Downloads/vanishing.py` run in the release folder
    elsewhere = tmp_path / "elsewhere" / "vanishing.py"
    elsewhere.parent.mkdir()
    elsewhere.write_text("x = 1\n", encoding="utf-8")
    assert assignment_for_file(elsewhere).root == folder


def test_a_file_is_matched_to_the_course_assignment_of_its_name(tmp_path: Path) -> None:
    assert assignment_for_file(tmp_path / "backprop.py").root == ASSIGNMENTS_ROOT / "backprop"
    assert assignment_for_file(tmp_path / "Activations-final (1).ipynb").id == "activations"
    with pytest.raises(ManifestError, match="cannot tell the assignment from homework.py .no file name in it "
                                            "mentions activations, backprop, vanishing.; pass --assignment "
                                            "activations, --assignment backprop or --assignment vanishing"):
        assignment_for_file(tmp_path / "homework.py")


# --------------------------------------------------------------------------
# [rules]: what breaking a stated rule costs


def test_rule_costs_default_to_the_contract_share() -> None:
    credit = get_assignment("activations").credit
    assert credit.rule_costs == ()
    for rule in ("no-input-mutation", "accepts-int-input", "no-floating-point-errors"):
        assert credit.rule_cost(rule) == pytest.approx(credit.contract_share)
    assert "default" in MANIFEST_KEYS["rules"][1]


def test_rule_costs_are_read_from_the_manifest_and_released(tmp_path: Path) -> None:
    root = manifest_copy(tmp_path, replace=(r"^\[limits\]$", "[rules]\nno-input-mutation = 0.5\n"
                                                               "accepts-int-input = 0\n\n[limits]"))
    assignment = load_manifest(root)
    assert assignment.credit.rule_cost("no-input-mutation") == pytest.approx(0.5)
    assert assignment.credit.rule_cost("accepts-int-input") == 0.0
    release = tmp_path / "release"
    release.mkdir()
    (release / "assignment.toml").write_text(release_manifest(assignment), encoding="utf-8")
    assert load_release(release).credit.rule_costs == assignment.credit.rule_costs


@pytest.mark.parametrize(("table", "message"), [
    ("no-input-mutation = 1.5", "rules.no-input-mutation must be a share of the skill's points in [0, 1], got 1.5"),
    ("no-input-mutation = -0.1", "must be a share of the skill's points in [0, 1]"),
    ('no-input-mutation = "high"', "must be a share of the skill's points in [0, 1], got 'high'"),
    ("no-input-mutation = true", "must be a share of the skill's points in [0, 1], got True"),
    ("No_Mutation = 0.2", "[rules] key 'No_Mutation' is not a rule id"),
], ids=["above-one", "negative", "text", "bool", "not-an-id"])
def test_a_bad_rule_cost_is_refused_with_a_clear_error(tmp_path: Path, table: str, message: str) -> None:
    root = manifest_copy(tmp_path, replace=(r"^\[limits\]$", f"[rules]\n{table}\n\n[limits]"))
    with pytest.raises(ManifestError, match=re.escape(message)):
        load_manifest(root)


def test_rules_must_be_a_table(tmp_path: Path) -> None:
    root = manifest_copy(tmp_path, "rules = 0.2")
    with pytest.raises(ManifestError, match="'rules' should be dict"):
        load_manifest(root)
