"""moto_server for the offline AWS tests, with the few handlers moto still lacks.

Started by scripts/lib/moto.sh (moto_start). It binds 127.0.0.1 on the port given
(0 picks a free one, so parallel test runs never race for a port), writes the port
it got to --port-file once it is listening, and serves moto's emulated AWS API
until SIGTERM or SIGINT. With --tls-dir it serves HTTPS with a self-signed
certificate for 127.0.0.1 written there (cert.pem, for AWS_CA_BUNDLE): policies
that deny plain HTTP (aws:SecureTransport) then behave as they do on AWS.

Gaps of moto 5.2.5 are filled here, each in a few lines:
- Application Auto Scaling has targets and policies but no TagResource,
  UntagResource or ListTagsForResource. The Terraform AWS provider calls
  ListTagsForResource after it registers a scalable target, so without them an
  `aws_appautoscaling_target` never finishes applying. Tags are kept in moto's own
  TaggingService, one per account and region, like the services moto does tag.
- S3 bucket policies are evaluated without their Condition blocks, so a
  conditional Deny (the usual "deny unless aws:SecureTransport") denies every
  object request. Statements with conditions are left out of moto's evaluation;
  the conditions we use would not match our (TLS) test requests on AWS either.
- ECS CreateService drops capacityProviderStrategy, deploymentConfiguration
  (maximum/minimum percent, circuit breaker, alarms), availabilityZoneRebalancing,
  enableECSManagedTags and healthCheckGracePeriodSeconds, and reports launchType
  EC2 instead of none. The
  provider then sees a different service after every apply and plans to replace
  it. They are kept on the service as given, so DescribeServices returns them.
- Security group rules that reference another group lose their Description, which
  makes every later plan update them. It is read from the referenced group too.
- ELBv2 CreateLoadBalancer without a Scheme (the provider's call for an
  internet-facing ALB) stores none, where AWS defaults to "internet-facing".

One behaviour of ECS that moto has no notion of is emulated for the tests that need
it: a rollback. An UpdateService to a task definition that ECS would roll back
leaves the service on its previous task definition, as ECS does once the circuit
breaker or a deployment alarm has rolled that deployment back. Which ones, set in
the server's environment:
- MOTO_ECS_ROLLBACK_IMAGES_CONTAINING=<text>: those whose image contains <text>
  (a release whose tasks fail);
- MOTO_ECS_ROLLBACK_ERROR_RATE_ABOVE=<share>: those whose container sets
  ECHO_ERROR_RATE above <share>, as the 5xx alarm rolls back a release whose tasks
  answer more than that share of requests with 503 (0.05 for the alarm's 5 %).
"""

import argparse
import datetime
import ipaddress
import json
import os
import signal
import ssl
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.ec2.models.security_groups import SecurityGroupRule
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.models import ELBv2Backend
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.s3.models import FakeBucket
from moto.utilities.tagging_service import TaggingService
from werkzeug.serving import make_server


def _scaling_tags(response: ApplicationAutoScalingResponse) -> TaggingService:
    backend = response.applicationautoscaling_backend
    if not hasattr(backend, "offline_test_tags"):
        backend.offline_test_tags = TaggingService()
    return backend.offline_test_tags


def _tag_resource(self: ApplicationAutoScalingResponse) -> str:
    tags = self._get_param("Tags") or {}
    _scaling_tags(self).tag_resource(
        self._get_param("ResourceARN"), [{"Key": k, "Value": v} for k, v in tags.items()]
    )
    return "{}"


def _untag_resource(self: ApplicationAutoScalingResponse) -> str:
    _scaling_tags(self).untag_resource_using_names(
        self._get_param("ResourceARN"), self._get_param("TagKeys") or []
    )
    return "{}"


def _list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
    tags = _scaling_tags(self).get_tag_dict_for_resource(self._get_param("ResourceARN"))
    return json.dumps({"Tags": tags})


_register_without_tags = ApplicationAutoScalingResponse.register_scalable_target


def _register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
    # RegisterScalableTarget accepts Tags too; moto drops them, so keep them here.
    body = _register_without_tags(self)
    tags = self._get_param("Tags") or {}
    if tags:
        arn = json.loads(body)["ScalableTargetARN"]
        _scaling_tags(self).tag_resource(arn, [{"Key": k, "Value": v} for k, v in tags.items()])
    return body


ApplicationAutoScalingResponse.tag_resource = _tag_resource
ApplicationAutoScalingResponse.untag_resource = _untag_resource
ApplicationAutoScalingResponse.list_tags_for_resource = _list_tags_for_resource
ApplicationAutoScalingResponse.register_scalable_target = _register_scalable_target


def _bucket_permission_without_conditions(self: FakeBucket, action: str, resource: str):
    if self.policy is None:
        return PermissionResult.NEUTRAL
    policy = json.loads(self.policy)
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    unconditional = [statement for statement in statements if "Condition" not in statement]
    if not unconditional:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps({**policy, "Statement": unconditional})).is_action_permitted(
        action, resource
    )


FakeBucket.get_permission = _bucket_permission_without_conditions


_create_service_partly = EC2ContainerServiceResponse.create_service


def _create_service(self: EC2ContainerServiceResponse):
    result = _create_service_partly(self)
    [service], _ = self.ecs_backend.describe_services(
        self._get_param("cluster", "default"), [self._get_param("serviceName")]
    )
    strategy = self._get_param("capacityProviderStrategy")
    if strategy:
        service.capacity_provider_strategy = strategy
        service.launch_type = None  # ECS reports no launch type with a strategy
    for parameter, attribute in (
        ("availabilityZoneRebalancing", "availability_zone_rebalancing"),
        ("deploymentConfiguration", "deployment_configuration"),
        ("enableECSManagedTags", "enable_ecs_managed_tags"),
        ("healthCheckGracePeriodSeconds", "health_check_grace_period_seconds"),
    ):
        value = self._get_param(parameter)
        if value is not None:
            setattr(service, attribute, value)
    return result


EC2ContainerServiceResponse.create_service = _create_service

_update_service_always = EC2ContainerServiceBackend.update_service


def _rolled_back_by_ecs(containers: list[dict]) -> bool:
    """Whether ECS would roll a deployment of these containers back (the emulation)."""
    marker = os.environ.get("MOTO_ECS_ROLLBACK_IMAGES_CONTAINING")
    threshold = os.environ.get("MOTO_ECS_ROLLBACK_ERROR_RATE_ABOVE")
    for container in containers:
        if marker and marker in container.get("image", ""):
            return True
        rates = [pair.get("value") for pair in container.get("environment") or []
                 if pair.get("name") == "ECHO_ERROR_RATE"]
        if threshold and any(float(rate) > float(threshold) for rate in rates):
            return True
    return False


def _update_service_rolling_back(self: EC2ContainerServiceBackend, service_properties: dict):
    wanted = service_properties.get("task_definition")
    previous = None
    if wanted:
        service = self._get_service(service_properties.get("cluster", "default"),
                                    service_properties["service"].split("/")[-1])
        previous = service.task_definition
    service = _update_service_always(self, service_properties)
    if previous is not None and _rolled_back_by_ecs(self.describe_task_definition(wanted).container_definitions):
        service.task_definition = previous  # rolled back
    return service


EC2ContainerServiceBackend.update_service = _update_service_rolling_back

_create_load_balancer_without_default = ELBv2Backend.create_load_balancer


def _create_load_balancer(self: ELBv2Backend, *args, **kwargs):
    kwargs["scheme"] = kwargs.get("scheme") or "internet-facing"
    return _create_load_balancer_without_default(self, *args, **kwargs)


ELBv2Backend.create_load_balancer = _create_load_balancer

SecurityGroupRule.description = property(
    lambda rule: rule.ip_range.get("Description") or (rule.source_group or {}).get("Description")
)


def _self_signed_certificate(directory: str) -> tuple[str, str]:
    """Writes a one-day certificate for 127.0.0.1 and localhost; returns (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "moto_server on 127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    os.makedirs(directory, exist_ok=True)
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(key_path, "wb") as handle:
        handle.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    with open(cert_path, "wb") as handle:
        handle.write(certificate.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="where to write the port once listening")
    parser.add_argument("--tls-dir", help="serve HTTPS; write cert.pem and key.pem here")
    args = parser.parse_args()

    ssl_context = None
    if args.tls_dir:
        ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_context.load_cert_chain(*_self_signed_certificate(args.tls_dir))

    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        args.host,
        args.port,
        app,
        threaded=True,
        request_handler=MotoRequestHandler,
        ssl_context=ssl_context,
    )
    port = server.socket.getsockname()[1]
    # moto builds some URLs (S3 presigned URLs, ECR endpoints) from MOTO_PORT.
    os.environ["MOTO_PORT"] = str(port)
    if args.port_file:
        temporary = f"{args.port_file}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(f"{port}\n")
        os.replace(temporary, args.port_file)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
    scheme = "https" if ssl_context else "http"
    print(f"moto_server listening on {scheme}://{args.host}:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
