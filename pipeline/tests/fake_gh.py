#!/usr/bin/env python3
"""A stand-in for the GitHub CLI's `gh api`, for tests only: GitHub cannot run here.

It records every call (arguments and the body read with --input -) as one JSON line
in $FAKE_GH_LOG, and keeps what the calls set in $FAKE_GH_STATE (a JSON file), so
that GETs answer with what earlier PUTs and POSTs stored, shaped like GitHub's
answers for the few endpoints pipeline/setup-github.sh and production_gate.py use.
It knows nothing else of GitHub; a call it does not know fails like a 404.
"""

import json
import os
import re
import sys


def load() -> dict:
    try:
        with open(os.environ["FAKE_GH_STATE"], encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return {"environments": {}, "branch_policies": {}, "variables": {}, "users": {}}


def save(state: dict) -> None:
    with open(os.environ["FAKE_GH_STATE"], "w", encoding="utf-8") as handle:
        json.dump(state, handle)


def fail(message: str) -> int:
    print(f"gh: {message} (HTTP 404)", file=sys.stderr)
    return 1


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "api":
        return fail(f"the stand-in knows only `gh api`, not {argv}")
    method, path, fields, jq, body = "GET", None, {}, None, None
    args = argv[1:]
    while args:
        arg = args.pop(0)
        if arg in ("--method", "-X"):
            method = args.pop(0)
        elif arg in ("-f", "-F", "--field", "--raw-field"):
            key, _, value = args.pop(0).partition("=")
            fields[key] = value
        elif arg == "--jq":
            jq = args.pop(0)
        elif arg == "--input":
            args.pop(0)
            body = json.loads(sys.stdin.read() or "null")
        else:
            path = arg
    with open(os.environ["FAKE_GH_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps({"method": method, "path": path, "fields": fields, "body": body}) + "\n")

    state = load()
    answer = None
    if match := re.fullmatch(r"users/([^/]+)", path or ""):
        answer = {"login": match[1], "id": state["users"].setdefault(match[1], 1000 + len(state["users"]))}
    elif re.fullmatch(r"repos/[^/]+/[^/]+/actions/oidc/customization/sub", path or "") and method == "PUT":
        state["oidc_sub"] = body
    elif match := re.fullmatch(r"repos/[^/]+/[^/]+/environments/([^/]+)", path or ""):
        name = match[1]
        if method == "PUT":
            state["environments"][name] = body or {}
        elif name not in state["environments"]:
            return fail(f"environment {name} not found")
        else:
            stored = state["environments"][name]
            rules = []
            if stored.get("reviewers"):
                rules.append({"type": "required_reviewers", "prevent_self_review": bool(stored.get("prevent_self_review")),
                              "reviewers": [{"type": r["type"], "reviewer": {"id": r["id"]}} for r in stored["reviewers"]]})
            if stored.get("deployment_branch_policy"):
                rules.append({"type": "branch_policy"})
            answer = {"name": name, "protection_rules": rules,
                      "deployment_branch_policy": stored.get("deployment_branch_policy"),
                      "can_admins_bypass": stored.get("can_admins_bypass", True)}
    elif match := re.fullmatch(r"repos/[^/]+/[^/]+/environments/([^/]+)/deployment-branch-policies", path or ""):
        policies = state["branch_policies"].setdefault(match[1], [])
        if method == "POST":
            policies.append({"name": fields["name"], "type": fields.get("type", "branch")})
        answer = {"total_count": len(policies), "branch_policies": policies}
    elif match := re.fullmatch(r"repos/[^/]+/[^/]+/(?:actions|environments/([^/]+))/variables(?:/([^/]+))?", path or ""):
        scope = match[1] or "repository"
        variables = state["variables"].setdefault(scope, {})
        if method == "PATCH":
            if match[2] not in variables:
                return fail(f"variable {match[2]} not found")
            variables[match[2]] = fields["value"]
        elif method == "POST":
            variables[fields["name"]] = fields["value"]
    else:
        return fail(f"unknown call {method} {path}")
    save(state)
    if answer is not None:
        if jq == ".id":
            print(answer["id"])
        elif jq == ".branch_policies[].name":
            print("\n".join(policy["name"] for policy in answer["branch_policies"]))
        else:
            print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
