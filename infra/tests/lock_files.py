#!/usr/bin/env python3
"""Checks that every root's .terraform.lock.hcl covers the platforms infra/README.md names.

    infra/tests/lock_files.py offline     what can be checked without a registry
    infra/tests/lock_files.py online      what needs one (the lock-files job of ci.yml)

A lock holds two kinds of hash per provider version. `zh:` hashes are the SHA-256 of
each platform's release zip, from the registry's signed SHA256SUMS: `terraform
init` on any platform checks a zip it downloads from the registry against them.
`h1:` hashes are of a package's unpacked contents, one per platform whose package
was at hand: Terraform checks a filesystem mirror's unpacked package (and a zip
without a `zh:` match) against them. A lock made from a filesystem mirror holds only
that one `h1:` (no `zh:`, since no registry signed anything), and `terraform init`
from the registry on another platform then fails: "doesn't match any of the
checksums previously recorded in the dependency lock file".

The platforms are those of the `terraform providers lock -platform=...` command in
infra/README.md, which makes the lock with the registry: one `h1:` for each, and the
`zh:` of every platform of the release.

offline: every root's lock names the same provider versions with the same hashes;
each has one `h1:` per platform the README names and at least as many `zh:`; this
machine's platform is among them (`terraform init -lockfile=readonly` in the infra
suite checks its `h1:` against the mirror's package).

online: in a copy of infra/, the README's command makes each root's lock afresh from
the registry, and it must hold exactly the committed hashes; then `terraform init
-backend=false -lockfile=readonly` installs the provider from the registry on this
runner's platform with the committed lock.

Exit status 0 when every check holds, 1 otherwise (one line per problem).
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

INFRA = Path(__file__).resolve().parent.parent
ROOTS = ("bootstrap", "envs/shared", "envs/dev-access", "envs/prod-access", "envs/dev", "envs/prod")
LOCK = ".terraform.lock.hcl"
COMMAND = re.compile(r"^\s*(terraform providers lock(?: -platform=[a-z0-9]+_[a-z0-9]+)+)\s*$", re.MULTILINE)
PROVIDER = re.compile(r'provider "([^"]+)" \{\s*version\s*=\s*"([^"]+)".*?hashes = \[(.*?)\]', re.DOTALL)


def readme_command() -> tuple[str, list[str]]:
    """The lock command infra/README.md shows, and the platforms it names."""
    commands = COMMAND.findall((INFRA / "README.md").read_text(encoding="utf-8"))
    if len(commands) != 1:
        raise SystemExit(f"lock_files: infra/README.md must show one `terraform providers lock -platform=...` "
                         f"command, shows {len(commands)}")
    return commands[0], re.findall(r"-platform=(\S+)", commands[0])


def providers(lock_text: str) -> dict[str, tuple[str, frozenset[str]]]:
    """provider address -> (version, hashes) of a lock file's text."""
    return {address: (version, frozenset(re.findall(r'"([a-z0-9]+:[^"]+)"', hashes)))
            for address, version, hashes in PROVIDER.findall(lock_text)}


def this_platform() -> str:
    version = subprocess.run(["terraform", "version", "-json"], capture_output=True, text=True, check=True)
    return re.search(r'"platform":\s*"([^"]+)"', version.stdout).group(1)


def offline() -> list[str]:
    _, platforms = readme_command()
    problems = []
    locks = {root: providers((INFRA / root / LOCK).read_text(encoding="utf-8")) for root in ROOTS}
    first = locks[ROOTS[0]]
    if not first:
        problems.append(f"infra/{ROOTS[0]}/{LOCK} names no provider")
    for root, lock in locks.items():
        if lock != first:
            problems.append(f"infra/{root}/{LOCK} differs from infra/{ROOTS[0]}/{LOCK}: every root pins the same providers")
        for address, (version, hashes) in lock.items():
            h1 = sorted(h for h in hashes if h.startswith("h1:"))
            zh = sorted(h for h in hashes if h.startswith("zh:"))
            if len(h1) != len(platforms):
                problems.append(f"infra/{root}/{LOCK}: {address} {version} has {len(h1)} h1: hashes for the "
                                f"{len(platforms)} platforms infra/README.md names ({', '.join(platforms)}): "
                                "make the lock with the README's command")
            if len(zh) < len(platforms):
                problems.append(f"infra/{root}/{LOCK}: {address} {version} has {len(zh)} zh: hashes, so it was not "
                                "made from the registry: terraform init from the registry fails on other platforms")
    platform = this_platform()
    if platform not in platforms:
        problems.append(f"this machine's platform {platform} is not among infra/README.md's ({', '.join(platforms)})")
    return problems


def online() -> list[str]:
    command, _ = readme_command()
    problems = []
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "infra"
        shutil.copytree(INFRA, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "github-variables"))
        for root in ROOTS:
            committed = providers((INFRA / root / LOCK).read_text(encoding="utf-8"))
            (copy / root / LOCK).unlink()
            made = subprocess.run(command.split(), cwd=copy / root, capture_output=True, text=True)
            if made.returncode != 0:
                problems.append(f"infra/{root}: `{command}` failed: {made.stderr.strip()}")
                continue
            fresh = providers((copy / root / LOCK).read_text(encoding="utf-8"))
            for address in sorted(set(committed) | set(fresh)):
                have, want = committed.get(address, ("none", frozenset())), fresh.get(address, ("none", frozenset()))
                if have != want:
                    problems.append(f"infra/{root}/{LOCK}: {address} is {have[0]} with {len(have[1])} hashes, the registry "
                                    f"gives {want[0]} with {len(want[1])}; missing {sorted(want[1] - have[1])}, "
                                    f"extra {sorted(have[1] - want[1])}")
            shutil.copy(INFRA / root / LOCK, copy / root / LOCK)
            init = subprocess.run(["terraform", "init", "-backend=false", "-input=false", "-lockfile=readonly"],
                                  cwd=copy / root, capture_output=True, text=True)
            if init.returncode != 0:
                problems.append(f"infra/{root}: terraform init -lockfile=readonly failed on {this_platform()}: "
                                f"{init.stderr.strip()}")
    return problems


def main(argv: list[str]) -> int:
    checks = {"offline": offline, "online": online}
    if len(argv) != 1 or argv[0] not in checks:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    problems = checks[argv[0]]()
    for problem in problems:
        print(f"lock_files: {problem}", file=sys.stderr)
    if not problems:
        print(f"lock_files: {argv[0]}: every root's lock covers the platforms infra/README.md names")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
