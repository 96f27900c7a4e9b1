"""The GitHub Actions workflows: actionlint, secrets, and agreement with the project."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import PROJECT_DIR, STACKS

WORKFLOWS = PROJECT_DIR / ".github" / "workflows"
PREVIEW_CLIENT_ID = "${{ vars.AZURE_PREVIEW_CLIENT_ID }}"
PREVIEW_HARNESS_KEY = "${{ secrets.HARNESS_PREVIEW_API_KEY }}"
DEPLOY_CLIENT_ID = "${{ vars.AZURE_CLIENT_ID }}"
ACTIONS = PROJECT_DIR / ".github" / "actions"


def load(path: Path) -> dict[str, Any]:
    """A workflow or action file; YAML 1.1 reads the key `on` as True, so it is renamed."""
    document = yaml.safe_load(path.read_text())
    if True in document:
        document["on"] = document.pop(True)
    return document


def workflow(name: str) -> dict[str, Any]:
    """One workflow by file name."""
    return load(WORKFLOWS / name)


def actionlint_binary() -> str:
    """The actionlint requirements.txt installs next to this interpreter."""
    beside = Path(sys.executable).parent / "actionlint"
    found = str(beside) if beside.exists() else shutil.which("actionlint")
    assert found, "actionlint is missing: run `make setup` (requirements.txt pins it)."
    return found


def local_actions(job: dict[str, Any]) -> list[Path]:
    """Local composite actions a job uses, and the ones they use in turn."""
    found: list[Path] = []
    pending = [step.get("uses", "") for step in job.get("steps", [])]
    while pending:
        uses = pending.pop()
        if not uses.startswith("./.github/actions/"):
            continue
        path = PROJECT_DIR / uses / "action.yml"
        if path not in found:
            found.append(path)
            pending.extend(step.get("uses", "") for step in load(path)["runs"].get("steps", []))
    return found


def test_actionlint_passes_on_every_workflow() -> None:
    """actionlint finds no problem in any workflow, reusable ones and their callers included."""
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert len(files) >= 4, "The pull request, deploy, drift and reusable workflows exist."
    result = subprocess.run(
        [actionlint_binary(), "-no-color", *[str(f) for f in files]],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, f"actionlint found problems:\n{result.stdout}{result.stderr}"


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    """A misspelt input of pulumi/actions fails actionlint, so the check is live."""
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: pulumi/actions@v7\n        with:\n          comand: preview\n"
    )
    result = subprocess.run(
        [actionlint_binary(), "-no-color", str(broken)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode != 0
    assert "comand" in result.stdout


def test_offline_job_uses_no_secrets() -> None:
    """The offline pull request job, and every local action it uses, reads no secret."""
    job = workflow("pull-request.yml")["jobs"]["offline"]
    texts = [yaml.safe_dump(job)] + [path.read_text() for path in local_actions(job)]
    for text in texts:
        assert "secrets." not in text, "The offline job must run without secrets."
        assert "secrets[" not in text, "The offline job must run without secrets."


def test_offline_job_runs_for_forks() -> None:
    """The offline job is unconditional on `pull_request`, the event forks may trigger
    without secrets (never `pull_request_target`)."""
    document = workflow("pull-request.yml")
    assert "pull_request" in document["on"]
    assert "pull_request_target" not in document["on"]
    assert "if" not in document["jobs"]["offline"]
    assert document["permissions"] == {"contents": "read"}


def test_offline_job_tests_then_diffs_head_against_base() -> None:
    """The offline job runs make test, checks out the base, and posts make diff to the summary."""
    steps = workflow("pull-request.yml")["jobs"]["offline"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "make test" in runs
    assert "make --no-print-directory --silent diff BASE=build/base-checkout" in runs
    assert "$GITHUB_STEP_SUMMARY" in runs


def test_offline_difference_is_the_merge_against_its_first_parent() -> None:
    """The offline job diffs the merge commit against the base it merges into, so a pull
    request behind main is not reported as undoing what main gained since it branched."""
    steps = workflow("pull-request.yml")["jobs"]["offline"]["steps"]
    checkouts = [step for step in steps if "checkout" in step.get("uses", "")]
    assert len(checkouts) == 1, "One checkout: the merge commit, with its parents."
    assert "ref" not in checkouts[0]["with"], "The default ref of pull_request is the merge."
    assert checkouts[0]["with"]["fetch-depth"] == 2, "The merge commit's parents are fetched."
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "git archive HEAD^1 | tar -x -C build/base-checkout" in runs, (
        "The base is the merge commit's first parent, not pull_request.base.sha."
    )
    assert "pull_request.base.sha" not in runs + str(checkouts)


def test_real_preview_runs_per_stack_with_a_pr_comment() -> None:
    """The preview job is one matrix leg per committed stack, skips forks, and comments."""
    job = workflow("pull-request.yml")["jobs"]["preview"]
    assert job["strategy"]["matrix"]["stack"] == list(STACKS)
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]
    assert job["uses"] == "./.github/workflows/pulumi-stack.yml"
    assert job["with"] == {
        "stack": "${{ matrix.stack }}",
        "command": "preview",
        "azure-client-id": PREVIEW_CLIENT_ID,
        "comment-on-pr": True,
    }
    assert job["permissions"] == {
        "contents": "read",
        "id-token": "write",
        "pull-requests": "write",
    }, "The preview job comments on the PR, so it alone may write pull requests."


def test_reusable_workflow_signs_in_with_oidc() -> None:
    """The Pulumi job signs in with azure/login by federated credential as the identity its
    caller names, no client secret, and hands the Harness key it is given to pulumi/actions."""
    document = workflow("pulumi-stack.yml")
    (job,) = document["jobs"].values()
    steps = {step["uses"].split("@")[0]: step for step in job["steps"] if "uses" in step}
    login = steps["azure/login"]["with"]
    assert set(login) == {"client-id", "tenant-id", "subscription-id"}, "No creds, no secret."
    assert login["client-id"] == "${{ inputs.azure-client-id }}"
    assert "permissions" not in job, "The job takes its permissions from the caller's job."
    pulumi = steps["pulumi/actions"]
    assert pulumi["with"]["comment-on-pr"] == "${{ inputs.comment-on-pr }}"
    assert pulumi["with"]["expect-no-changes"] == "${{ inputs.expect-no-changes }}"
    assert pulumi["with"]["refresh"] == "${{ inputs.refresh }}"
    assert pulumi["env"]["ARM_USE_OIDC"] == "true"
    assert "ARM_CLIENT_SECRET" not in pulumi["env"]
    assert pulumi["env"]["ARM_CLIENT_ID"] == "${{ inputs.azure-client-id }}"
    assert pulumi["env"]["HARNESS_PLATFORM_API_KEY"] == "${{ secrets.HARNESS_PLATFORM_API_KEY }}"
    assert job["environment"] == "${{ inputs.environment }}"


def test_reusable_workflow_refuses_a_harness_key_in_the_stack_file(tmp_path: Path) -> None:
    """Before any Pulumi command, the job fails on a stack file that sets the Harness key,
    which would win over the key the job is given, and passes one that leaves it out."""
    (job,) = workflow("pulumi-stack.yml")["jobs"].values()
    steps = job["steps"]
    (guard,) = [i for i, step in enumerate(steps) if "harnessApiKey" in step.get("run", "")]
    (command,) = [i for i, step in enumerate(steps) if "pulumi/actions" in step.get("uses", "")]
    assert guard < command, "The stack file is checked before pulumi runs."
    committed = PROJECT_DIR / "stacks" / "Pulumi.dev.yaml"
    document = yaml.safe_load(committed.read_text())
    assert "acr-fleet:harnessApiKey" in document["config"], "The dev stack file sets the key."
    del document["config"]["acr-fleet:harnessApiKey"]
    without = tmp_path / "Pulumi.dev.yaml"
    without.write_text(yaml.safe_dump(document))
    results = {
        stack_file: subprocess.run(
            ["bash", "-e", "-c", steps[guard]["run"]],
            env={"PATH": "/usr/bin:/bin", "STACK_FILE": str(stack_file)},
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
        for stack_file in (committed, without)
    }
    assert results[committed].returncode == 1, "A stack file with the key fails the job."
    assert "pulumi config rm acr-fleet:harnessApiKey" in results[committed].stdout, (
        "The failure says how to remove the key."
    )
    assert results[without].returncode == 0, "A stack file without the key passes."


def test_pulumi_cli_matches_the_sdk_pin() -> None:
    """The CLI the workflows install is the version of the pulumi SDK in requirements.txt."""
    pin = re.search(r"^pulumi==(\S+)$", (PROJECT_DIR / "requirements.txt").read_text(), re.M)
    assert pin, "requirements.txt pins pulumi."
    assert workflow("pulumi-stack.yml")["env"]["PULUMI_VERSION"] == pin[1]


def test_deploys_go_dev_then_staging_then_prod_through_environments() -> None:
    """A push to main runs up for dev, then staging, then prod, each in its environment,
    as the deploy identity with the environment's Harness key."""
    document = workflow("deploy.yml")
    assert document["on"]["push"]["branches"] == ["main"]
    jobs = document["jobs"]
    previous = "test"
    for stack in ("dev", "staging", "prod"):
        job = jobs[stack]
        assert job["needs"] == previous, f"{stack} should wait for {previous}."
        assert job["with"] == {
            "stack": stack,
            "command": "up",
            "azure-client-id": DEPLOY_CLIENT_ID,
            "environment": stack,
        }
        assert job.get("secrets") == "inherit", (
            f"{stack} should inherit secrets: a called workflow sees an environment's secret "
            "only under a name its caller passes or inherits."
        )
        assert job["permissions"] == {"contents": "read", "id-token": "write"}, (
            f"{stack} does not comment, so it should not write pull requests."
        )
        previous = stack


@pytest.mark.parametrize(("name", "job"), [("pull-request.yml", "preview"), ("drift.yml", "drift")])
def test_previews_and_drift_checks_never_use_the_deploy_identity(name: str, job: str) -> None:
    """Jobs that run without an environment (a pull request's code, the drift check) sign in
    as the read-only preview identity with the view-only Harness key, never as the deployer."""
    definition = workflow(name)["jobs"][job]
    text = yaml.safe_dump(definition)
    assert not re.search(r"vars\.AZURE_CLIENT_ID\b", text), f"{job} names the deploy identity."
    assert "secrets.HARNESS_PLATFORM_API_KEY" not in text, f"{job} reads the deploy Harness key."
    assert definition["with"]["azure-client-id"] == PREVIEW_CLIENT_ID
    assert definition["secrets"] == {"HARNESS_PLATFORM_API_KEY": PREVIEW_HARNESS_KEY}
    assert "environment" not in definition["with"], f"{job} should run outside environments."
    assert PREVIEW_CLIENT_ID.strip("${} ") in definition["if"]


def test_reusable_workflow_names_no_identity_of_its_own() -> None:
    """The reusable workflow signs in only as the identity its caller passes, so it cannot
    hand the deploy identity to a preview."""
    text = (WORKFLOWS / "pulumi-stack.yml").read_text()
    assert not re.search(r"vars\.AZURE(_PREVIEW)?_CLIENT_ID\b", text)
    assert "HARNESS_PREVIEW_API_KEY" not in text


def test_drift_check_runs_on_a_schedule_for_every_stack() -> None:
    """The drift workflow is scheduled and previews each stack with refresh, expecting nothing."""
    document = workflow("drift.yml")
    assert document["on"]["schedule"], "The drift check should run on a schedule."
    job = document["jobs"]["drift"]
    assert job["strategy"]["matrix"]["stack"] == list(STACKS)
    assert job["strategy"]["fail-fast"] is False, "One drifting stack must not hide another."
    assert job["with"]["command"] == "preview"
    assert job["with"]["refresh"] is True
    assert job["with"]["expect-no-changes"] is True
    assert job["permissions"] == {"contents": "read", "id-token": "write"}, (
        "The drift check comments nowhere, so it should not write pull requests."
    )


def test_stack_matrices_match_the_stack_files() -> None:
    """Every committed stack file is previewed and drift-checked; no other stack is."""
    files = sorted(
        p.name[len("Pulumi.") : -len(".yaml")]
        for p in (PROJECT_DIR / "stacks").glob("Pulumi.*.yaml")
    )
    for name, job in (("pull-request.yml", "preview"), ("drift.yml", "drift")):
        assert sorted(workflow(name)["jobs"][job]["strategy"]["matrix"]["stack"]) == files


@pytest.mark.parametrize("path", sorted(WORKFLOWS.glob("*.yml")), ids=lambda p: p.name)
def test_workflows_call_make_targets_the_readme_names(path: Path) -> None:
    """Every make target a workflow runs exists in the Makefile and is named in the README."""
    makefile = (PROJECT_DIR / "Makefile").read_text()
    readme = (PROJECT_DIR / "README.md").read_text()
    text = path.read_text()
    for action in local_actions({"steps": [{"uses": u} for u in re.findall(r"uses: (\S+)", text)]}):
        text += action.read_text()
    for target in re.findall(r"\bmake (?:--?[\w-]+ )*([a-z][\w-]*)", text):
        assert re.search(rf"^{target}:", makefile, re.M), f"`make {target}` is no Makefile target."
        assert f"make {target}" in readme, f"The README should name `make {target}`."


def test_setup_action_installs_from_requirements() -> None:
    """The setup action installs with make setup, which is pip install -r requirements.txt."""
    action = load(ACTIONS / "setup" / "action.yml")
    runs = [step.get("run", "") for step in action["runs"]["steps"]]
    assert "make setup" in runs
    makefile = (PROJECT_DIR / "Makefile").read_text()
    assert "pip install --disable-pip-version-check --progress-bar off -r requirements.txt" in (
        makefile
    )
