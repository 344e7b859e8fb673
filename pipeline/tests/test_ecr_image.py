"""ecr_image.py against moto's ECR: find an image by tag, and tag a digest for prod."""

import hashlib
import json
import subprocess
import sys

import pytest
from conftest import PIPELINE

INDEX = "application/vnd.oci.image.index.v1+json"


def push(ecr, repository, tag, platforms=("amd64", "arm64")):
    """Put a multi-platform index in the repository, as buildx pushes one; return its digest."""
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": INDEX,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "size": 480,
                       "digest": "sha256:" + hashlib.sha256(f"{tag}/{arch}".encode()).hexdigest(),
                       "platform": {"architecture": arch, "os": "linux"}} for arch in platforms],
    })
    # What ECR computes: the sha256 of the manifest's bytes.
    digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    ecr.put_image(repositoryName=repository, imageManifest=manifest, imageManifestMediaType=INDEX,
                  imageTag=tag, imageDigest=digest)
    return digest


def ecr_image(moto, *args):
    return subprocess.run([sys.executable, str(PIPELINE / "ecr_image.py"), *args], env=moto.environment(),
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def repository(moto):
    """A fresh repository, immutable tags as the shared Terraform root makes it."""
    moto.reset()
    ecr = moto.client("ecr")
    url = ecr.create_repository(repositoryName="http-echo", imageTagMutability="IMMUTABLE")["repository"]["repositoryUri"]
    return ecr, url


def test_resolve_prints_the_image_by_digest(moto, repository):
    ecr, url = repository
    digest = push(ecr, "http-echo", "a" * 40)
    push(ecr, "http-echo", "b" * 40)
    result = ecr_image(moto, "resolve", "--repository-url", url, "--tag", "a" * 40)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{url}@{digest}\n"


def test_resolve_of_a_missing_tag_exits_3(moto, repository):
    _, url = repository
    result = ecr_image(moto, "resolve", "--repository-url", url, "--tag", "c" * 40)
    assert result.returncode == 3
    assert result.stderr == f"ecr_image: error: no image tagged {'c' * 40} in {url}\n"


def test_promote_adds_the_tag_to_that_digest(moto, repository):
    ecr, url = repository
    digest = push(ecr, "http-echo", "a" * 40)
    image = f"{url}@{digest}"
    result = ecr_image(moto, "promote", "--image", image, "--tag", "dev-verified-" + "a" * 40)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{image}\n"
    described = ecr.describe_images(repositoryName="http-echo", imageIds=[{"imageDigest": digest}])
    assert sorted(described["imageDetails"][0]["imageTags"]) == ["a" * 40, "dev-verified-" + "a" * 40]
    resolved = ecr_image(moto, "resolve", "--repository-url", url, "--tag", "dev-verified-" + "a" * 40)
    assert resolved.stdout == f"{image}\n"


def test_promoting_twice_is_harmless(moto, repository):
    ecr, url = repository
    image = f"{url}@{push(ecr, 'http-echo', 'a' * 40)}"
    for _ in range(2):
        result = ecr_image(moto, "promote", "--image", image, "--tag", "dev-verified-" + "a" * 40)
        assert result.returncode == 0, result.stderr


def test_promote_refuses_to_move_an_immutable_tag(moto, repository):
    ecr, url = repository
    first = push(ecr, "http-echo", "a" * 40)
    second = push(ecr, "http-echo", "b" * 40)
    assert ecr_image(moto, "promote", "--image", f"{url}@{first}", "--tag", "dev-verified-x").returncode == 0
    result = ecr_image(moto, "promote", "--image", f"{url}@{second}", "--tag", "dev-verified-x")
    assert result.returncode == 1
    assert result.stderr.startswith("ecr_image: error: tag dev-verified-x")
    assert len(result.stderr.splitlines()) == 1


def test_promote_of_an_unknown_digest_exits_3(moto, repository):
    _, url = repository
    result = ecr_image(moto, "promote", "--image", f"{url}@sha256:{'e' * 64}", "--tag", "dev-verified-x")
    assert result.returncode == 3 and "no image sha256:" in result.stderr


@pytest.mark.parametrize("args, reason", [
    (["promote", "--image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo:v1", "--tag", "x"],
     "promote takes an image by digest"),
    (["resolve", "--repository-url", "ghcr.io/someone/http-echo", "--tag", "x"], "is not an ECR repository URL"),
    (["resolve", "--repository-url", "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo", "--tag", "latest"],
     "'latest'"),
])
def test_bad_input_exits_2(moto, args, reason):
    result = ecr_image(moto, *args)
    assert result.returncode == 2, result.stderr
    assert reason in result.stderr and len(result.stderr.splitlines()) == 1
