#!/usr/bin/env python3
"""Find and mark images in ECR by tag, so that prod runs the very digest dev ran.

    ecr_image.py resolve --repository-url URL --tag TAG
        prints URL@sha256:<digest> of the image tagged TAG. Exit 3 when no image
        has that tag (the build job then builds it), 1 on any other failure.

    ecr_image.py promote --image URL@sha256:<digest> --tag TAG
        adds TAG to that image, without pulling or pushing any layer. The deploy
        workflow tags an image "dev-verified-<commit>" once it runs and answers in dev;
        prod deploys only the digest that tag names, so a commit whose dev deploy
        failed never reaches prod, and prod never rebuilds.

URL is the repository URL the shared Terraform root outputs (ecr_repository_url):
<account>.dkr.ecr.<region>.amazonaws.com/<name>. Credentials and region come from
the usual AWS environment.
"""

import argparse
import sys

import image_reference

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_NOT_FOUND = 3

# What ECR may answer for a multi-platform image (an index) or a single manifest.
MANIFEST_MEDIA_TYPES = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
]


class Failed(RuntimeError):
    def __init__(self, message: str, exit_code: int = EXIT_FAILED):
        super().__init__(message)
        self.exit_code = exit_code


def split_repository_url(url: str) -> tuple[str, str]:
    """(registry id, repository name) of an ECR repository URL."""
    host, _, name = url.partition("/")
    account = host.split(".", 1)[0]
    if not name or ".dkr.ecr." not in host or not account.isdigit():
        raise Failed(f"{url!r} is not an ECR repository URL (<account>.dkr.ecr.<region>.amazonaws.com/<name>)",
                     EXIT_BAD_INPUT)
    return account, name


def resolve(ecr, repository_url: str, tag: str) -> str:
    registry, name = split_repository_url(repository_url)
    answer = ecr.batch_get_image(registryId=registry, repositoryName=name, imageIds=[{"imageTag": tag}],
                                 acceptedMediaTypes=MANIFEST_MEDIA_TYPES)
    if not answer.get("images"):
        raise Failed(f"no image tagged {tag} in {repository_url}", EXIT_NOT_FOUND)
    return f"{repository_url}@{answer['images'][0]['imageId']['imageDigest']}"


def promote(ecr, image: str, tag: str) -> str:
    reference = image_reference.parse(image)
    if reference.digest is None:
        raise Failed(f"promote takes an image by digest (URL@sha256:...), not {image!r}", EXIT_BAD_INPUT)
    registry, name = split_repository_url(reference.repository)
    answer = ecr.batch_get_image(registryId=registry, repositoryName=name,
                                 imageIds=[{"imageDigest": reference.digest}],
                                 acceptedMediaTypes=MANIFEST_MEDIA_TYPES)
    if not answer.get("images"):
        raise Failed(f"no image {reference.digest} in {reference.repository}", EXIT_NOT_FOUND)
    found = answer["images"][0]
    arguments = {"registryId": registry, "repositoryName": name, "imageManifest": found["imageManifest"],
                 "imageTag": tag, "imageDigest": reference.digest}
    if found.get("imageManifestMediaType"):
        arguments["imageManifestMediaType"] = found["imageManifestMediaType"]
    try:
        ecr.put_image(**arguments)
    except ecr.exceptions.ImageAlreadyExistsException:
        pass  # this image already has the tag: promoting twice is harmless
    except ecr.exceptions.ImageTagAlreadyExistsException:
        current = resolve(ecr, reference.repository, tag)
        if current != image:
            raise Failed(f"tag {tag} already names {current} in an immutable repository, not {image}") from None
    # Read it back: the tag must now name this digest, whatever the repository's rules.
    current = resolve(ecr, reference.repository, tag)
    if current != image:
        raise Failed(f"tag {tag} names {current}, not {image}")
    return current


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ecr_image.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    resolve_parser = commands.add_parser("resolve", help="print URL@digest of the image with a tag")
    resolve_parser.add_argument("--repository-url", required=True)
    resolve_parser.add_argument("--tag", required=True)
    promote_parser = commands.add_parser("promote", help="add a tag to an image given by digest")
    promote_parser.add_argument("--image", required=True)
    promote_parser.add_argument("--tag", required=True)
    arguments = parser.parse_args(argv)

    try:
        image_reference.check_tag(arguments.tag)
        import boto3  # only now: bad input is refused without it

        ecr = boto3.client("ecr")
        if arguments.command == "resolve":
            print(resolve(ecr, arguments.repository_url, arguments.tag))
        else:
            print(promote(ecr, arguments.image, arguments.tag))
            print(f"ecr_image: tagged {arguments.image} as {arguments.tag}", file=sys.stderr)
        return 0
    except image_reference.BadImageReference as bad:
        print(f"ecr_image: error: {bad}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Failed as failure:
        print(f"ecr_image: error: {failure}", file=sys.stderr)
        return failure.exit_code
    except Exception as failure:  # boto3/botocore errors: one line, not a traceback
        print(f"ecr_image: error: {type(failure).__name__}: {failure}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
