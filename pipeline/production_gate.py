#!/usr/bin/env python3
"""Fail unless a GitHub environment is the gate it must be: reviewers, no way around them.

    production_gate.py --repository OWNER/NAME [--environment production] [--branch main]

reads the environment through the GitHub API (`gh api`, with GH_TOKEN; in a workflow
the job's GITHUB_TOKEN with actions: read) and requires:
  - required reviewers, at least one, with prevent_self_review on (the pusher cannot
    approve alone);
  - can_admins_bypass off (administrators cannot skip the review);
  - deployments only from the one branch (a custom branch policy naming exactly it).
Exit 0 when all hold; 1 with one line per problem; 1 also when the settings cannot
be read, since an unreadable gate is no proof of one. pipeline/setup-github.sh
creates these settings.
"""

import argparse
import json
import subprocess
import sys

EXIT_FAILED = 1


class CannotRead(RuntimeError):
    pass


def gh_api(path: str) -> dict:
    try:
        result = subprocess.run(["gh", "api", path], capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise CannotRead("the GitHub CLI (gh) is not installed") from None
    if result.returncode != 0:
        raise CannotRead(f"gh api {path} failed: {(result.stderr or result.stdout).strip()}")
    return json.loads(result.stdout)


def problems(environment: dict, branch_policies: dict, branch: str) -> list[str]:
    found = []
    rules = environment.get("protection_rules") or []
    reviewers = [rule for rule in rules if rule.get("type") == "required_reviewers"]
    if not reviewers or not any(rule.get("reviewers") for rule in reviewers):
        found.append("no required reviewers: anyone who can push to the branch deploys without approval")
    elif not all(rule.get("prevent_self_review") for rule in reviewers):
        found.append("prevent_self_review is off: the person who pushed can approve their own deploy")
    if environment.get("can_admins_bypass", True):
        found.append("administrators may bypass the required reviewers (can_admins_bypass)")
    policy = environment.get("deployment_branch_policy") or {}
    names = sorted(item.get("name") for item in branch_policies.get("branch_policies") or [])
    if not policy.get("custom_branch_policies") or names != [branch]:
        found.append(f"deployments are not limited to the branch {branch} (branch policies: {names or 'none'})")
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="production_gate.py", description=__doc__.splitlines()[0])
    parser.add_argument("--repository", required=True, help="OWNER/NAME")
    parser.add_argument("--environment", default="production")
    parser.add_argument("--branch", default="main")
    arguments = parser.parse_args(argv)
    base = f"repos/{arguments.repository}/environments/{arguments.environment}"
    try:
        environment = gh_api(base)
        branch_policies = gh_api(f"{base}/deployment-branch-policies")
    except (CannotRead, json.JSONDecodeError) as failure:
        print(f"production_gate: error: cannot read the {arguments.environment} environment's protection "
              f"({failure}); run pipeline/setup-github.sh, and see pipeline/README.md", file=sys.stderr)
        return EXIT_FAILED
    found = problems(environment, branch_policies, arguments.branch)
    for problem in found:
        print(f"production_gate: error: environment {arguments.environment}: {problem}; "
              "fix it with pipeline/setup-github.sh", file=sys.stderr)
    if not found:
        print(f"production_gate: environment {arguments.environment} has required reviewers, no self-review, "
              f"no administrator bypass, and deploys only from {arguments.branch}", file=sys.stderr)
    return EXIT_FAILED if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
