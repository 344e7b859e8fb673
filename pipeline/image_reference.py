"""Container image references: parse one, and refuse the ones a deploy must not take.

A deploy names exactly one build. So a reference must carry a tag or a digest (never
neither, never both, never the moving tag "latest"), and production takes only a digest:
prod runs the very bytes dev ran, which a tag cannot promise.
"""

import re
from dataclasses import dataclass

# The Docker reference grammar (distribution/reference), narrowed to what ECR and the
# Terraform variable accept: lowercase path components, an optional registry host with
# a port, then ":tag" or "@sha256:<64 hex>". The port is only a port when a "/" follows,
# so "app:1234" is the repository "app" with the tag "1234".
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_REFERENCE = re.compile(
    rf"(?P<repository>[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]+(?=/))?(?:/{_COMPONENT})*)"
    rf"(?::(?P<tag>{_TAG}))?"
    r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?"
)


class BadImageReference(ValueError):
    """The reference cannot be deployed; the message says why in one line."""


@dataclass(frozen=True)
class ImageReference:
    repository: str
    tag: str | None
    digest: str | None

    def __str__(self) -> str:
        if self.digest:
            return f"{self.repository}@{self.digest}"
        return f"{self.repository}:{self.tag}"


def parse(text: str) -> ImageReference:
    """Parse a reference that names one build; raise BadImageReference otherwise."""
    if not text or not text.strip():
        raise BadImageReference("no image given: pass --image REPOSITORY:TAG or REPOSITORY@sha256:DIGEST")
    match = _REFERENCE.fullmatch(text)
    if not match:
        raise BadImageReference(
            f"malformed image reference {text!r}: expected REPOSITORY:TAG or REPOSITORY@sha256:<64 hex digits>"
        )
    reference = ImageReference(match["repository"], match["tag"], match["digest"])
    if reference.tag is None and reference.digest is None:
        raise BadImageReference(f"image reference {text!r} has no tag or digest: a deploy must name one build")
    if reference.tag is not None and reference.digest is not None:
        raise BadImageReference(f"image reference {text!r} has both a tag and a digest: give one of them")
    if reference.tag == "latest":
        raise BadImageReference(f"image reference {text!r} uses the moving tag 'latest': name a commit tag or a digest")
    return reference


def parse_for_environment(text: str, environment: str) -> ImageReference:
    """Parse a reference and apply the environment's rule: prod takes digests only."""
    reference = parse(text)
    if environment == "prod" and reference.digest is None:
        raise BadImageReference(
            f"prod deploys by digest only (REPOSITORY@sha256:...), the one dev ran; got {text!r}"
        )
    return reference


def check_tag(tag: str) -> str:
    """Return `tag` if it is a valid image tag (and not "latest"); raise otherwise."""
    if not re.fullmatch(_TAG, tag or ""):
        raise BadImageReference(f"malformed image tag {tag!r}: letters, digits, '_', '.', '-', at most 128")
    if tag == "latest":
        raise BadImageReference("the moving tag 'latest' names no particular build")
    return tag
