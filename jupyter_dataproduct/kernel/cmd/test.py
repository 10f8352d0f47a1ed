"""%dataproduct test [PROTOCOL]: run the protocols' tests (a product folder's)."""

from ...core.errors import TestsFailedError


def add_arguments(parser):
    parser.add_argument("protocol", nargs="?", help="Only this protocol's tests (name or name@version).")


def run(magics, args, cell):
    outcomes = magics.product(args.product).test(args.protocol)
    passed = sum(1 for o in outcomes if o["passed"])
    skipped = sum(1 for o in outcomes if o["skipped"])
    failed = [o for o in outcomes if not o["passed"] and not o["skipped"]]
    for outcome in outcomes:
        mark = "PASSED" if outcome["passed"] else "SKIPPED" if outcome["skipped"] else "FAILED"
        print(f"{mark} {outcome['protocol']}::{outcome['test']}" + ("" if outcome["passed"] else f": {outcome['message']}"))
    summary = f"protocol tests: {passed} passed, {len(failed)} failed" + (f", {skipped} skipped" if skipped else "")
    if not outcomes:
        which = f" of {args.protocol!r} (is the name right? %dataproduct list)" if args.protocol else ""
        raise TestsFailedError(f"No protocol tests{which}: write `tests:` in the protocols (protocols/*.yaml).")
    if failed:
        raise TestsFailedError(f"{summary}: " + "; ".join(f"{o['protocol']}::{o['test']}" for o in failed))
    print(summary)
    return None
