"""Grade every held-out bug and correct variant and print the shares:
``python -m tests.assignments.heldout.benchmark [first second third]``.

For bugs: the share named (any "Likely mistake" line), named as expected, and, where the set states
each bug's skills, the share charged once (points lost only in those skills). For correct variants:
the share at full marks with no likely mistake and no "does not define a function" message.
"""

from __future__ import annotations

import sys

from tests.assignments.heldout.bugs import Outcome, bugs, correct_variants, grade


def _lost(o: Outcome) -> str:
    return " ".join(f"{skill}-{points:g}" for skill, points in o.lost) or "no loss"


def report_bugs(set_name: str) -> list[Outcome]:
    outcomes = [grade(b) for b in bugs(set_name)]
    for o in outcomes:
        mark = "named+" if o.named_as_expected else ("named " if o.named else "-     ")
        once = "" if not o.bug.skills else ("once " if o.charged_once else "MORE ")
        print(f"  {mark} {once}{o.bug.assignment:12} {o.bug.id:48} {', '.join(o.diagnoses) or '(nothing)'}"
              f"  [{_lost(o)}]")
    total = len(outcomes)
    named = sum(o.named for o in outcomes)
    expected = sum(o.named_as_expected for o in outcomes)
    lost = sum(o.lost_points for o in outcomes)
    print(f"{set_name}: {total} bugs, {lost} lose points; named {named}/{total} = {named / total:.0%}; "
          f"named as expected {expected}/{total} = {expected / total:.0%}")
    stated = [o for o in outcomes if o.bug.skills]
    if stated:
        once = sum(o.charged_once for o in stated)
        print(f"{set_name}: charged once, to the bug's own skills {once}/{len(stated)} = {once / len(stated):.0%}")
    return outcomes


def report_correct(set_name: str) -> list[Outcome]:
    outcomes = [grade(b) for b in correct_variants(set_name)]
    if not outcomes:
        return outcomes
    for o in outcomes:
        mark = "full  " if o.clean else "WRONG "
        said = (", ".join(o.diagnoses) + (" missing-function" if o.claims_missing else "")).strip()
        print(f"  {mark} {o.bug.assignment:12} {o.bug.id:48} [{_lost(o)}] {said}")
    clean = sum(o.clean for o in outcomes)
    print(f"{set_name}: correct variants at full marks, nothing named {clean}/{len(outcomes)} = "
          f"{clean / len(outcomes):.0%}")
    return outcomes


def main(argv: list[str]) -> None:
    for set_name in argv or ["first", "second", "third"]:
        report_bugs(set_name)
        report_correct(set_name)


if __name__ == "__main__":
    main(sys.argv[1:])
