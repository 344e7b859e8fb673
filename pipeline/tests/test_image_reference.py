"""Image references: what a deploy accepts, and the one-line reason for what it refuses."""

import pytest
from image_reference import BadImageReference, check_tag, parse, parse_for_environment

DIGEST = "sha256:" + "0123456789abcdef" * 4
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/http-echo"


@pytest.mark.parametrize("text, repository, tag, digest", [
    (f"{ECR}:0f3c2a9", ECR, "0f3c2a9", None),
    (f"{ECR}@{DIGEST}", ECR, None, DIGEST),
    ("http-echo:1.0.0", "http-echo", "1.0.0", None),
    ("app:1234", "app", "1234", None),  # a tag, not a registry port
    ("localhost:5000/team/app:v2_rc-1", "localhost:5000/team/app", "v2_rc-1", None),
])
def test_accepted(text, repository, tag, digest):
    reference = parse(text)
    assert (reference.repository, reference.tag, reference.digest) == (repository, tag, digest)
    assert str(reference) == text


@pytest.mark.parametrize("text, reason", [
    ("", "no image given"),
    ("   ", "no image given"),
    (ECR, "has no tag or digest"),
    ("localhost:5000/app", "has no tag or digest"),
    (f"{ECR}:latest", "moving tag 'latest'"),
    (f"{ECR}:v1@{DIGEST}", "both a tag and a digest"),
    (f"{ECR}@sha256:abc", "malformed"),
    (f"{ECR}@md5:{'0' * 32}", "malformed"),
    ("Http-Echo:1", "malformed"),
    ("http-echo:", "malformed"),
    ("http-echo:a b", "malformed"),
    ("http-echo:" + "x" * 129, "malformed"),
    ("-app:1", "malformed"),
])
def test_refused(text, reason):
    with pytest.raises(BadImageReference, match=reason) as refused:
        parse(text)
    assert "\n" not in str(refused.value)


def test_prod_takes_digests_only():
    assert parse_for_environment(f"{ECR}@{DIGEST}", "prod").digest == DIGEST
    with pytest.raises(BadImageReference, match="prod deploys by digest only"):
        parse_for_environment(f"{ECR}:0f3c2a9", "prod")


def test_dev_takes_a_tag():
    assert parse_for_environment(f"{ECR}:0f3c2a9", "dev").tag == "0f3c2a9"


@pytest.mark.parametrize("tag", ["dev-verified-" + "a" * 40, "0f3c2a9", "v1.0.0"])
def test_tags(tag):
    assert check_tag(tag) == tag


@pytest.mark.parametrize("tag", ["", "latest", "a/b", ".hidden", "x" * 129])
def test_bad_tags(tag):
    with pytest.raises(BadImageReference):
        check_tag(tag)
