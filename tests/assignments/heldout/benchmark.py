"""Grade every held-out bug and print the share named: ``python -m tests.assignments.heldout.benchmark``."""

from __future__ import annotations

import sys

from tests.assignments.heldout.bugs import Outcome, bugs, grade


def report(set_name: str) -> list[Outcome]:
    outcomes = [grade(b) for b in bugs(set_name)]
    for o in outcomes:
        mark = "named+" if o.named_as_expected else ("named " if o.named else "-     ")
        print(f"  {mark} {o.bug.assignment:12} {o.bug.id:48} {', '.join(o.diagnoses) or '(nothing)'}")
    total = len(outcomes)
    named = sum(o.named for o in outcomes)
    expected = sum(o.named_as_expected for o in outcomes)
    lost = sum(o.lost_points for o in outcomes)
    print(f"{set_name}: {total} bugs, {lost} lose points; named {named}/{total} = {named / total:.0%}; "
          f"named as expected {expected}/{total} = {expected / total:.0%}")
    return outcomes


def main(argv: list[str]) -> None:
    for set_name in argv or ["first", "second"]:
        report(set_name)


if __name__ == "__main__":
    main(sys.argv[1:])
