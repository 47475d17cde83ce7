"""docker-container-resource-limits (CIS 5.10, 5.28)."""

from __future__ import annotations

from components.plan.recording import UNKNOWN

from ..conftest import container, resource
from ..harness import RuleCases, fails, passes, unknown

NPROC = {"name": "nproc", "soft": 512, "hard": 512}
NOFILE = {"name": "nofile", "soft": 1024, "hard": 4096}
NO_MEMORY = "No memory limit: `memory` is not set."
NO_NPROC = "No process limit: `ulimits` has no nproc entry."

CASES = RuleCases(
    cases=[
        passes(container("pass_baseline")),
        passes(container("pass_nproc_among_others", ulimits=[NOFILE, NPROC])),
        passes(container("pass_small_memory", memory=6)),
        passes(
            container("pass_unknown_other_ulimit", ulimits=[{**NOFILE, "hard": UNKNOWN}, NPROC])
        ),
        passes(resource("docker:index/image:Image", "pass_not_a_container", {"name": "app"})),
        fails(container("fail_no_memory", memory=None), NO_MEMORY),
        fails(container("fail_zero_memory", memory=0), "No memory limit: `memory` is 0."),
        fails(container("fail_negative_memory", memory=-1), "No memory limit: `memory` is -1."),
        fails(container("fail_no_ulimits", ulimits=None), NO_NPROC),
        fails(container("fail_empty_ulimits", ulimits=[]), NO_NPROC),
        fails(container("fail_nofile_only", ulimits=[NOFILE]), NO_NPROC),
        fails(
            container("fail_nproc_zero", ulimits=[{"name": "nproc", "soft": 0, "hard": 0}]),
            "No process limit: the nproc ulimit's `hard` is 0.",
        ),
        fails(
            container("fail_nproc_unlimited", ulimits=[{"name": "nproc", "soft": -1, "hard": -1}]),
            "No process limit: the nproc ulimit's `hard` is -1.",
        ),
        fails(
            container("fail_nproc_hard_missing", ulimits=[{"name": "nproc", "soft": 512}]),
            "No process limit: the nproc ulimit's `hard` is not set.",
        ),
        fails(
            container(
                "fail_one_of_two_nproc", ulimits=[NPROC, {"name": "nproc", "soft": 0, "hard": 0}]
            ),
            "No process limit: the nproc ulimit's `hard` is 0.",
        ),
        fails(container("fail_both", memory=None, ulimits=None), NO_MEMORY, NO_NPROC),
        unknown(container("unknown_memory", memory=UNKNOWN), ".memory"),
        unknown(container("unknown_ulimits", ulimits=UNKNOWN), ".ulimits"),
        unknown(container("unknown_ulimit_entry", ulimits=[UNKNOWN]), ".ulimits.0"),
        unknown(
            container("unknown_ulimit_name", ulimits=[{"name": UNKNOWN, "soft": 1, "hard": 1}]),
            ".ulimits.0.name",
        ),
        unknown(
            container(
                "unknown_hard_after_memory",
                memory=None,
                ulimits=[{"name": "nproc", "soft": 1, "hard": UNKNOWN}],
            ),
            ".ulimits.0.hard",
            NO_MEMORY,
        ),
    ],
)
