"""The workflows keep the pipeline's rules (workflow_rules.py), and each rule catches
the mistake it exists for: every rule is also run on a copy of the workflows broken in
exactly that way."""

import copy

import pytest
import workflow_rules as rules
from conftest import REPO_ROOT, WORKFLOWS


def suites() -> set[str]:
    return {path.stem for path in (REPO_ROOT / "scripts" / "check").glob("*.sh")}


def texts() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(WORKFLOWS.glob("*.y*ml"))}


RULES = [
    "pinned_actions", "top_level_permissions", "job_permissions", "oidc_only", "triggers", "production_gate",
    "rehearsal", "deploys_need_tests", "concurrency", "image_once", "deploys_watched", "vulnerability_scans", "ci_runs_every_suite",
    "checkout_without_credentials", "no_expressions_in_scripts", "job_timeouts", "hashed_pip_installs",
    "ci_called_one_way",
]


@pytest.mark.parametrize("rule", RULES)
def test_rule_holds(workflows, rule):
    problems = rules.all_rules(workflows, texts(), suites())[rule]
    assert problems == [], "\n".join(problems)


def test_every_rule_is_run_here(workflows):
    assert sorted(rules.all_rules(workflows, texts(), suites())) == sorted(RULES)


# Each rule, broken on purpose ########################################################


def broken(workflows, change):
    """A deep copy of the workflows with `change` applied to it."""
    copied = copy.deepcopy(workflows)
    change(copied)
    return copied


def job(workflows, name, job_id):
    return workflows[name]["jobs"][job_id]


def step_using(job_, action):
    return next(step for step in job_["steps"] if step.get("uses", "").startswith(action + "@"))


def test_a_tag_instead_of_a_sha_is_caught():
    text = texts()
    text["deploy.yml"] = text["deploy.yml"].replace(
        "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0", "actions/checkout@v5", 1)
    assert any("actions/checkout@v5" in problem for problem in rules.pinned_actions(text))


def test_a_sha_without_its_version_comment_is_caught():
    text = {"x.yml": "      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8\n"}
    assert rules.pinned_actions(text)


def test_a_short_sha_is_caught():
    text = {"x.yml": "      - uses: actions/checkout@08c6903 # v5.0.0\n"}
    assert rules.pinned_actions(text)


def test_write_all_at_the_top_is_caught(workflows):
    assert rules.top_level_permissions(broken(workflows, lambda w: w["ci.yml"].update(permissions="write-all")))


def test_id_token_on_a_job_without_aws_is_caught(workflows):
    def change(w):
        job(w, "ci.yml", "image-scan")["permissions"]["id-token"] = "write"
    assert any("assumes no AWS role" in p for p in rules.job_permissions(broken(workflows, change)))


def test_a_deploy_job_without_id_token_is_caught(workflows):
    def change(w):
        del job(w, "deploy.yml", "deploy-prod")["permissions"]["id-token"]
    assert any("without id-token" in p for p in rules.job_permissions(broken(workflows, change)))


def test_contents_write_is_caught(workflows):
    def change(w):
        job(w, "deploy.yml", "deploy-dev")["permissions"]["contents"] = "write"
    assert any("contents: write" in p for p in rules.job_permissions(broken(workflows, change)))


def test_stored_access_keys_are_caught(workflows):
    text = texts()
    text["deploy.yml"] += "\n# aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}\n"
    assert rules.oidc_only(workflows, text)


def test_a_hard_coded_role_is_caught(workflows):
    def change(w):
        step_using(job(w, "deploy.yml", "deploy-prod"), rules.AWS_CREDENTIALS_ACTION)["with"]["role-to-assume"] = \
            "arn:aws:iam::123456789012:role/deploy"
    assert rules.oidc_only(broken(workflows, change), texts())


def test_deploying_on_pull_requests_is_caught(workflows):
    def change(w):
        w["deploy.yml"]["on"]["pull_request"] = None
    assert rules.triggers(workflows["ci.yml"], broken(workflows, change)["deploy.yml"])


def test_ci_twice_on_dev_is_caught(workflows):
    def change(w):
        del w["ci.yml"]["on"]["push"]["branches-ignore"]
    assert rules.triggers(broken(workflows, change)["ci.yml"], workflows["deploy.yml"])


def test_prod_without_the_production_environment_is_caught(workflows):
    def change(w):
        job(w, "deploy.yml", "deploy-prod")["environment"] = "dev"
    assert any("not 'production'" in p for p in rules.production_gate(broken(workflows, change)["deploy.yml"]))


def test_a_deploy_run_by_hand_is_caught(workflows):
    # A run by hand is the rehearsal's: no other deploy may run then.
    def change(w):
        job(w, "deploy.yml", "deploy-dev")["if"] = "github.ref == 'refs/heads/dev'"
    assert any("not only on a push to refs/heads/dev" in p
               for p in rules.production_gate(broken(workflows, change)["deploy.yml"]))


def test_a_dispatch_with_inputs_is_caught(workflows):
    def change(w):
        w["deploy.yml"]["on"]["workflow_dispatch"] = {"inputs": {"environment": {"default": "prod"}}}
    assert any("takes inputs" in p for p in rules.triggers(workflows["ci.yml"], broken(workflows, change)["deploy.yml"]))


def rehearsal_problems(workflows, change) -> list[str]:
    return rules.rehearsal(broken(workflows, change)["deploy.yml"])


def test_a_rehearsal_in_prod_is_caught(workflows):
    def change(w):
        rehearse = job(w, "deploy.yml", "rehearse-rollback-dev")
        step = step_running(rehearse, "--rehearse-rollback")
        step["run"] = step["run"].replace("--environment dev", "--environment prod")
        rehearse["environment"] = "production"
    assert any("rehearses in 'prod' (environment 'production'), not dev" in p
               for p in rehearsal_problems(workflows, change))


def test_a_rehearsal_on_push_is_caught(workflows):
    def change(w):
        job(w, "deploy.yml", "rehearse-rollback-dev")["if"] = "github.ref == 'refs/heads/dev'"
    assert any("not only when run by hand on dev" in p for p in rehearsal_problems(workflows, change))


def test_a_rehearsal_that_marks_its_image_is_caught(workflows):
    def change(w):
        promote = step_running(job(w, "deploy.yml", "mark-verified"), "ecr_image.py promote")
        job(w, "deploy.yml", "rehearse-rollback-dev")["steps"].append(copy.deepcopy(promote))
    assert any("marks an image after a rehearsal" in p for p in rehearsal_problems(workflows, change))


def test_a_missing_rehearsal_is_caught(workflows):
    def change(w):
        del w["deploy.yml"]["jobs"]["rehearse-rollback-dev"]
    assert any("expected one job that rehearses a rollback" in p for p in rehearsal_problems(workflows, change))


def test_prod_from_another_branch_is_caught(workflows):
    def change(w):
        job(w, "deploy.yml", "deploy-prod")["if"] = "always()"
    assert rules.production_gate(broken(workflows, change)["deploy.yml"])


def test_a_deploy_that_skips_the_tests_is_caught(workflows):
    def change(w):
        job(w, "deploy.yml", "deploy-prod")["needs"] = []
    assert any("deploy-prod does not need ci" in p
               for p in rules.deploys_need_tests(broken(workflows, change)["deploy.yml"]))


def test_cancel_in_progress_is_caught(workflows):
    def change(w):
        job(w, "deploy.yml", "deploy-dev")["concurrency"]["cancel-in-progress"] = True
    assert rules.concurrency(broken(workflows, change)["deploy.yml"])


def test_a_shared_group_is_caught(workflows):
    def change(w):
        job(w, "deploy.yml", "deploy-prod")["concurrency"]["group"] = "environment-dev-production"
        job(w, "deploy.yml", "deploy-dev")["concurrency"]["group"] = "environment-dev-production"
    assert any("deploy-dev and deploy-prod deploy to two in one queue" in p
               for p in rules.concurrency(broken(workflows, change)["deploy.yml"]))


def test_a_rehearsal_beside_a_deploy_of_dev_is_caught(workflows):
    # Both change dev's service: one must wait for the other.
    def change(w):
        job(w, "deploy.yml", "rehearse-rollback-dev")["concurrency"]["group"] = "environment-dev-rehearsal"
    assert any("deploy-dev and rehearse-rollback-dev deploy to one environment in two queues" in p
               for p in rules.concurrency(broken(workflows, change)["deploy.yml"]))


def test_a_job_group_equal_to_the_run_group_is_caught(workflows):
    def change(w):
        w["deploy.yml"]["concurrency"]["group"] = "environment-dev"
    assert any("its own run" in p for p in rules.concurrency(broken(workflows, change)["deploy.yml"]))


def test_a_rebuild_for_prod_is_caught(workflows):
    def change(w):
        pusher = step_using(job(w, "deploy.yml", "build-image"), rules.BUILD_PUSH_ACTION)
        job(w, "deploy.yml", "deploy-prod")["steps"].append(copy.deepcopy(pusher))
    assert any("builds an image" in p for p in rules.image_once(broken(workflows, change)["deploy.yml"]))


def test_a_single_platform_push_is_caught(workflows):
    def change(w):
        for step in job(w, "deploy.yml", "build-image")["steps"]:
            if step.get("with", {}).get("push"):
                step["with"]["platforms"] = "linux/amd64"
    assert rules.image_once(broken(workflows, change)["deploy.yml"])


def test_a_push_before_the_scan_is_caught(workflows):
    def change(w):
        build = job(w, "deploy.yml", "build-image")
        build["steps"] = [s for s in build["steps"] if rules.action(s) != rules.TRIVY_ACTION]
    assert any("image scans before the push" in p for p in rules.image_once(broken(workflows, change)["deploy.yml"]))


def test_a_scan_that_does_not_fail_is_caught(workflows):
    def change(w):
        step_using(job(w, "ci.yml", "image-scan"), rules.TRIVY_ACTION)["with"]["exit-code"] = "0"
    assert rules.vulnerability_scans(broken(workflows, change))


def test_a_suite_missing_from_ci_is_caught(workflows):
    assert rules.ci_runs_every_suite(workflows["ci.yml"], suites() | {"a-new-suite"})


def test_persisted_credentials_are_caught(workflows):
    def change(w):
        del step_using(job(w, "deploy.yml", "deploy-dev"), rules.CHECKOUT_ACTION)["with"]["persist-credentials"]
    assert rules.checkout_without_credentials(broken(workflows, change))


def test_a_job_without_timeout_is_caught(workflows):
    def change(w):
        del job(w, "deploy.yml", "deploy-dev")["timeout-minutes"]
    assert rules.job_timeouts(broken(workflows, change))


def test_an_expression_pasted_into_a_script_is_caught(workflows):
    def change(w):
        job(w, "deploy.yml", "deploy-dev")["steps"][-1]["run"] = "echo ${{ github.ref_name }}"
    assert rules.no_expressions_in_scripts(broken(workflows, change))


def step_running(job_, text):
    return next(step for step in job_["steps"] if text in step.get("run", ""))


def test_a_prod_plan_without_the_promotion_check_is_caught(workflows):
    def change(w):
        plan = job(w, "deploy.yml", "plan-prod")
        plan["steps"].remove(step_running(plan, "running_image.py"))
    assert any("without checking that dev runs the digest" in p
               for p in rules.image_once(broken(workflows, change)["deploy.yml"]))


def test_a_prod_plan_that_ignores_a_failed_dev_deploy_is_caught(workflows):
    # dev can run a digest to steady state and still have failed its watch or smoke
    # test; only the dev-verified tag, written after both passed, says it did not.
    def change(w):
        step = step_running(job(w, "deploy.yml", "plan-prod"), "dev-verified-$commit")
        step["run"] = "\n".join(line for line in step["run"].splitlines() if "dev-verified" not in line)
    assert any("without checking that dev's deploy of the digest passed" in p
               for p in rules.image_once(broken(workflows, change)["deploy.yml"]))


def test_a_deploy_job_that_writes_a_tag_is_caught(workflows):
    # The dev deploy job marking its own image: its role would need ecr:PutImage, which
    # would let it write any tag (prod's too) on any digest.
    def change(w):
        mark = job(w, "deploy.yml", "mark-verified")
        step = step_running(mark, "ecr_image.py promote")
        mark["steps"].remove(step)
        job(w, "deploy.yml", "deploy-dev")["steps"].append(step)
    problems = rules.image_once(broken(workflows, change)["deploy.yml"])
    assert any("deploy-dev: tags an image in environment 'dev'" in p for p in problems), problems
    assert any("no job of the build environment marks the image" in p for p in problems), problems


def test_a_mark_before_the_dev_deploy_is_caught(workflows):
    def change(w):
        job(w, "deploy.yml", "mark-verified")["needs"] = ["ci", "build-image"]
    assert any("no job of the build environment marks the image" in p
               for p in rules.image_once(broken(workflows, change)["deploy.yml"]))


def test_a_prod_deploy_that_plans_for_itself_is_caught(workflows):
    def change(w):
        step = step_running(job(w, "deploy.yml", "deploy-prod"), "--apply-plan")
        step["run"] = step["run"].replace(" --apply-plan prod.tfplan", "")
    assert any("without a reviewed plan" in p or "one job that saves a plan and one that applies it" in p
               for p in rules.production_gate(broken(workflows, change)["deploy.yml"]))


def test_an_apply_that_does_not_wait_for_its_plan_is_caught(workflows):
    def change(w):
        job(w, "deploy.yml", "deploy-prod")["needs"] = ["ci"]
    assert any("without needing plan-prod" in p for p in rules.production_gate(broken(workflows, change)["deploy.yml"]))


def test_a_prod_job_without_the_gate_check_is_caught(workflows):
    def change(w):
        deploy_prod = job(w, "deploy.yml", "deploy-prod")
        deploy_prod["steps"].remove(step_running(deploy_prod, "production_gate.py"))
    assert any("does not check the production gate" in p
               for p in rules.production_gate(broken(workflows, change)["deploy.yml"]))


def test_the_plan_in_the_approved_environment_is_caught(workflows):
    def change(w):
        job(w, "deploy.yml", "plan-prod")["environment"] = "production"
    assert any("not 'production-plan'" in p for p in rules.production_gate(broken(workflows, change)["deploy.yml"]))


def test_a_pip_install_without_hashes_is_caught(workflows):
    def change(w):
        step = step_running(job(w, "deploy.yml", "deploy-dev"), "pip install")
        step["run"] = step["run"].replace(" --require-hashes", "")
    assert rules.hashed_pip_installs(broken(workflows, change))


def watch_problems(workflows, change) -> list[str]:
    """What deploys_watched says of the workflows broken by `change`."""
    copied = broken(workflows, change)
    return rules.deploys_watched(copied["ci.yml"], copied["deploy.yml"])


def test_a_deploy_without_its_watcher_is_caught(workflows):
    def change(w):
        step = step_running(job(w, "deploy.yml", "deploy-prod"), "--apply-plan")
        step["run"] = step["run"].replace(" --watcher watcher/http-echo", "")
    assert any("deploy-prod: deploys without --watcher" in p for p in watch_problems(workflows, change))


def without_steps_using(workflow: str, job_id: str, action: str):
    """A change that removes the job's steps using `action`."""
    def change(w):
        changed = job(w, workflow, job_id)
        changed["steps"] = [s for s in changed["steps"] if rules.action(s) != action]
    return change


def test_a_watcher_from_elsewhere_is_caught(workflows):
    change = without_steps_using("deploy.yml", "deploy-dev", rules.DOWNLOAD_ACTION)
    assert any("deploy-dev: its watcher watcher/http-echo is not the binary" in p
               for p in watch_problems(workflows, change))


def test_a_ci_call_that_does_not_ask_for_the_watcher_is_caught(workflows):
    def change(w):
        del job(w, "deploy.yml", "ci")["with"]
    assert any("does not ask for the watcher" in p for p in watch_problems(workflows, change))


def test_a_ci_that_uploads_no_watcher_is_caught(workflows):
    change = without_steps_using("ci.yml", "suite", rules.UPLOAD_ACTION)
    assert any("is not the binary ci.yml's container suite uploads" in p for p in watch_problems(workflows, change))


@pytest.mark.parametrize("flag", ["--watch-url https://elsewhere.example", "--skip-smoke-test"])
def test_an_emulator_setting_in_a_deploy_is_caught(workflows, flag):
    def change(w):
        step = step_running(job(w, "deploy.yml", "deploy-dev"), "pipeline/deploy.py")
        step["run"] += f" {flag}"
    assert any(f"deploy-dev: uses {flag.split()[0]}, which is for emulators only" in p
               for p in watch_problems(workflows, change))


def test_a_second_way_of_calling_ci_is_caught(workflows):
    def change(w):
        job(w, "release.yml", "ci")["uses"] = "$/.github/workflows/ci.yml"
    assert any("release.yml/ci: calls '$/.github/workflows/ci.yml'" in p
               for p in rules.ci_called_one_way(broken(workflows, change)))


def test_the_readme_diagram_names_every_suite():
    # pipeline/README.md's diagram says ci.yml runs every suite; it lists them.
    text = (REPO_ROOT / "pipeline" / "README.md").read_text(encoding="utf-8")
    [line] = [line for line in text.splitlines() if "for every suite:" in line]
    listed = set(line.split("<br/>", 1)[1].split('"]', 1)[0].split(" · "))
    assert listed == suites()


def test_a_rehearsal_without_the_tested_watcher_is_caught(workflows):
    change = without_steps_using("deploy.yml", "rehearse-rollback-dev", rules.DOWNLOAD_ACTION)
    assert any("rehearse-rollback-dev: its watcher watcher/http-echo is not the binary" in p
               for p in watch_problems(workflows, change))
