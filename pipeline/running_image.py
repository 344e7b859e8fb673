#!/usr/bin/env python3
"""Print the image an ECS service runs to steady state, or fail saying why it does not.

    running_image.py --cluster CLUSTER --service SERVICE [--expect IMAGE]

prints the one container image of the task definition the service is stable on
(REPOSITORY@sha256:DIGEST as the deploy registered it). Exit 1 when the service is
not stable on one task definition (a rollout in progress or failed, or tasks
missing), when its task definition runs more than one image, or, with --expect,
when that image is not IMAGE; 2 on bad input.

prod's plan job runs it with dev's promotion-reader role, which may only describe
dev's service: prod deploys a digest only if dev runs it, stable, right now. Only
dev's deploy role can change what dev's service runs, and only dev's deploy job
can assume that role, so no other job can make prod deploy an image dev never ran.
"""

import argparse
import sys
from datetime import datetime, timezone

import rollout

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class NotSteady(RuntimeError):
    """The service does not run one image to steady state; the message says why."""


def running_image(ecs, cluster: str, service_name: str) -> str:
    answer = ecs.describe_services(cluster=cluster, services=[service_name])
    if not answer.get("services"):
        raise NotSteady(f"service {service_name} not found in cluster {cluster}")
    service = answer["services"][0]
    # Judged against the task definition it runs now: stable means one deployment,
    # COMPLETED, every desired task running, and not a rollback to it.
    verdict = rollout.judge(service, service.get("taskDefinition"), datetime.min.replace(tzinfo=timezone.utc))
    if verdict.state is not rollout.State.STABLE:
        raise NotSteady(f"service {service_name} is not steady: {verdict.state.value}: {verdict.reason}")
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    images = sorted({container["image"] for container in definition.get("containerDefinitions", [])})
    if len(images) != 1:
        raise NotSteady(f"{definition['taskDefinitionArn']} runs {len(images)} images, not one: {images}")
    return images[0]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="running_image.py", description=__doc__.splitlines()[0])
    parser.add_argument("--cluster", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--expect", help="fail unless the service runs exactly this image")
    try:
        arguments = parser.parse_args(argv)
    except SystemExit:
        return EXIT_BAD_INPUT
    try:
        import boto3  # only now: bad input is refused without it

        image = running_image(boto3.client("ecs"), arguments.cluster, arguments.service)
        if arguments.expect is not None and image != arguments.expect:
            raise NotSteady(f"service {arguments.service} runs {image}, not {arguments.expect}: "
                            "that image was never run there to steady state")
        print(image)
        return 0
    except NotSteady as failure:
        print(f"running_image: error: {failure}", file=sys.stderr)
        return EXIT_FAILED
    except Exception as failure:  # boto3/botocore errors: one line, not a traceback
        print(f"running_image: error: {type(failure).__name__}: {failure}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
