"""Dependabot keeps every pin current: each directory it watches exists, every update
targets dev (so it is tested and run there before prod), and the actions are covered."""

import yaml
from conftest import REPO_ROOT

CONFIG = yaml.safe_load((REPO_ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))


def watched(update):
    return update.get("directories") or [update["directory"]]


def test_every_update_targets_dev():
    assert CONFIG["version"] == 2
    assert all(update.get("target-branch") == "dev" for update in CONFIG["updates"])


def test_pinned_actions_are_updated():
    assert "github-actions" in {update["package-ecosystem"] for update in CONFIG["updates"]}


def exists(pattern: str) -> bool:
    relative = pattern.strip("/")
    return not relative or any(path.is_dir() for path in REPO_ROOT.glob(relative))


def test_every_watched_directory_exists():
    missing = [f"{update['package-ecosystem']}: {pattern}" for update in CONFIG["updates"]
               for pattern in watched(update) if not exists(pattern)]
    assert missing == []


def test_every_requirements_file_is_watched():
    pip = next(update for update in CONFIG["updates"] if update["package-ecosystem"] == "pip")
    directories = {pattern.strip("/") for pattern in watched(pip)}
    files = {str(path.parent.relative_to(REPO_ROOT)) for path in REPO_ROOT.rglob("requirements*.txt")
             if not any(part.startswith(".") or part == "target" for part in path.relative_to(REPO_ROOT).parts)}
    assert files <= directories, f"not watched: {sorted(files - directories)}"
